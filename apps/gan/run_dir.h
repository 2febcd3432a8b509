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

// While alive, the first SIGINT (Ctrl-C), SIGTERM (kill, timeout, a scheduler
// or a container stopping) or SIGHUP (a dropped terminal) only records the
// signal: the training loop checks interrupted() after each step, saves, and
// exits with status 128 + the signal's number, as a shell reports a process
// that signal ended. A second signal of any of the three ends at once.
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  static bool interrupted();
  static int signal_number();       // the first signal received; 0 when none
  static const char* signal_name();  // "SIGINT", "SIGTERM", "SIGHUP"; "" when none
  static int exit_status();          // 128 + signal_number()

 private:
  void (*previous_[3])(int);
};

}  // namespace gan::app
