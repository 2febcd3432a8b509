#include "apps/gan/run_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>

#include "core/error.h"

namespace gan::app {

namespace {

constexpr int kStopSignals[] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> g_signal{0};  // lock-free, so safe to write in a handler
static_assert(std::atomic<int>::is_always_lock_free);

extern "C" void on_stop_signal(int sig) {
  int none = 0;
  g_signal.compare_exchange_strong(none, sig);
  for (int s : kStopSignals) std::signal(s, SIG_DFL);  // a second signal ends the process at once
}

}  // namespace

RunDirLock::RunDirLock(const std::string& dir) {
  const std::string path = dir + "/.lock";
  fd_ = ::open(path.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0644);
  GAN_CHECK(fd_ >= 0, IoError, "cannot create ", path, ": ", std::strerror(errno));
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd_);
    throw IoError("another 'gan' training run is already running in " + dir + "; wait for it or use another --out");
  }
}

RunDirLock::~RunDirLock() { ::close(fd_); }

void remove_stale_temporaries(const std::string& dir, const std::vector<std::string>& names) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    const std::string file = entry.path().filename().string();
    for (const std::string& name : names)
      if (file.rfind("." + name + ".tmp.", 0) == 0) std::filesystem::remove(entry.path(), ec);
  }
}

InterruptScope::InterruptScope() {
  g_signal = 0;
  for (int i = 0; i < 3; ++i) previous_[i] = std::signal(kStopSignals[i], on_stop_signal);
}

InterruptScope::~InterruptScope() {
  for (int i = 0; i < 3; ++i) std::signal(kStopSignals[i], previous_[i]);
}

bool InterruptScope::interrupted() { return g_signal != 0; }

int InterruptScope::signal_number() { return g_signal; }

const char* InterruptScope::signal_name() {
  switch (g_signal) {
    case SIGINT: return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGHUP: return "SIGHUP";
    default: return "";
  }
}

int InterruptScope::exit_status() { return 128 + g_signal; }

}  // namespace gan::app
