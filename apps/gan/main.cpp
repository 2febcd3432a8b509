#include <csignal>

#include "apps/gan/app.h"

int main(int argc, char** argv) {
  // Past a file-size limit (ulimit -f) a write should fail with an error the
  // app reports (EFBIG), like a full disk, instead of killing the process.
  std::signal(SIGXFSZ, SIG_IGN);
  return gan::app::run_cli(argc, argv);
}
