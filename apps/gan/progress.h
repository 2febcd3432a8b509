// A progress line for long runs (training steps, sampling).
//
// On a terminal it redraws one line in place with '\r', at most ~10 times a
// second. On anything else (a log file, CI) it prints a plain line only every
// few percent or every 30 seconds, so a million-step run leaves a short log.
//
//   ProgressBar bar(total_steps, "train");
//   for (...) bar.update(step, "loss_D 0.512 loss_G 1.203");
//   bar.finish();
//
// train  1200/5000 [#####..............]  24%  38.2 it/s  0:00:31<0:01:39  loss_D 0.512 ...
#pragma once

#include <cstdint>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

namespace gan::app {

struct ProgressOptions {
  std::function<double()> clock;  // seconds from any fixed origin; default: steady_clock
  std::optional<bool> tty;        // default: whether the stream is std::cout/cerr on a terminal
  int columns = 0;                // terminal width; 0: ask the terminal, else 80
  int64_t initial = 0;            // steps already done (a resumed run): not counted in the rate
  double redraw_seconds = 0.1;    // terminal: the least time between redraws
  double log_percent = 5;         // not a terminal: print when this many more percent are done...
  double log_seconds = 30;        // ...or this much time has passed
};

class ProgressBar {
 public:
  ProgressBar(int64_t total, std::string label, std::ostream& out = std::cerr,
              ProgressOptions options = {});
  ~ProgressBar();  // ends a half-drawn terminal line, so an error message starts on its own line
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // `done` is the absolute count (not an increment); `postfix` is shown after the bar.
  void update(int64_t done, const std::string& postfix = "");
  // Prints a line of text (a warning, an evaluation) above the bar: on a
  // terminal the bar's line is cleared first and redrawn at the next update.
  void message(const std::string& text);
  // Draws the final state (average rate, total time) and ends the line. Idempotent.
  void finish();

  double rate() const { return rate_; }  // smoothed iterations per second; 0 until known
  bool is_tty() const { return tty_; }

 private:
  std::string line(double now, bool final) const;
  void emit(double now, bool final);

  int64_t total_;
  std::string label_;
  std::ostream& out_;
  ProgressOptions opt_;
  bool tty_ = false;
  int columns_ = 80;

  double start_ = 0;
  int64_t done_ = 0;
  std::string postfix_;
  double rate_ = 0;
  double last_sample_time_ = 0;  // the rate estimate folds in progress since this point
  int64_t last_sample_done_ = 0;

  bool drawn_ = false;            // anything printed yet
  double last_emit_time_ = 0;
  int64_t last_emit_done_ = -1;
  size_t last_width_ = 0;         // terminal: length of the line to overwrite
  bool line_open_ = false;        // terminal: a line is drawn without its '\n'
  bool finished_ = false;
};

// "h:mm:ss", hours unbounded ("27:03:00"); "-:--:--" when not finite or absurd.
std::string format_duration(double seconds);

}  // namespace gan::app
