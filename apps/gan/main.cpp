#include <unistd.h>

#include <csignal>
#include <cstdlib>

#include "apps/gan/app.h"

namespace {

// OpenMP's idle worker threads spin by default (libgomp: for ~300,000 polls
// between parallel regions). As soon as anything else runs on the machine they
// take cores from the threads doing the work: with two busy processes beside
// it, a 200-step CPU run took 36.6 s instead of 20.2 s with sleeping threads.
// Sleeping at once costs ~15 % on an idle machine (7.5 s against 6.5 s), a
// short spin first (GOMP_SPINCOUNT=10000, microseconds) only ~6 % (6.9 s)
// and it is as robust under load (19.4 s). libgomp reads these variables once,
// when it is loaded, before main: so when the user has not chosen a policy,
// the app sets them and re-executes itself (same pid, same arguments). If that
// fails it carries on with the defaults, and unsets the variables again so
// that `gan --version` reports what is in force.
void prefer_sleeping_openmp_threads(char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr) return;
  const bool spin_given = std::getenv("GOMP_SPINCOUNT") != nullptr;
  if (setenv("OMP_WAIT_POLICY", "passive", 0) != 0) return;
  if (!spin_given) setenv("GOMP_SPINCOUNT", "10000", 0);
  execv("/proc/self/exe", argv);
  unsetenv("OMP_WAIT_POLICY");
  if (!spin_given) unsetenv("GOMP_SPINCOUNT");
}

}  // namespace

int main(int argc, char** argv) {
  prefer_sleeping_openmp_threads(argv);
  // Past a file-size limit (ulimit -f) a write should fail with an error the
  // app reports (EFBIG), like a full disk, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  return gan::app::run_cli(argc, argv);
}
