// What every training command shares about its --out directory and its
// lifetime: an exclusive lock (two runs must not write one directory),
// cleanup of temporaries a killed run left behind, and Ctrl-C handling that
// lets the loop finish its step and save before exiting.
#pragma once

#include <string>
#include <vector>

namespace gan::app {

// Holds an exclusive lock on DIR/.lock for its lifetime. IoError saying so
// when another process holds it.
class RunDirLock {
 public:
  explicit RunDirLock(const std::string& dir);
  ~RunDirLock();  // closing the file releases the lock
  RunDirLock(const RunDirLock&) = delete;
  RunDirLock& operator=(const RunDirLock&) = delete;

 private:
  int fd_ = -1;
};

// Removes DIR/.<name>.tmp.* for each name: the temporaries of atomic writes
// (core/io/atomic_file.h) that a killed run left behind. The complete files
// they were replacing are untouched. Call it with the lock held.
void remove_stale_temporaries(const std::string& dir, const std::vector<std::string>& names);

// While alive, the first Ctrl-C (SIGINT) only sets interrupted(): the training
// loop checks it after each step, saves, and exits with status 130. A second
// Ctrl-C kills at once.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  static bool interrupted();

 private:
  void (*previous_)(int);
};

// The exit status of a run stopped by Ctrl-C (128 + SIGINT, as a shell reports it).
inline constexpr int kInterruptedStatus = 130;

}  // namespace gan::app
