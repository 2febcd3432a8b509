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

std::atomic<bool> g_interrupted{false};

extern "C" void on_interrupt(int) {
  g_interrupted = true;
  std::signal(SIGINT, SIG_DFL);  // a second Ctrl-C kills at once
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
  g_interrupted = false;
  previous_ = std::signal(SIGINT, on_interrupt);
}

InterruptScope::~InterruptScope() { std::signal(SIGINT, previous_); }

bool InterruptScope::interrupted() { return g_interrupted; }

}  // namespace gan::app
