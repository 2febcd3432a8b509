#include "apps/gan/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/error.h"

namespace gan::app {
namespace {

// The rate is an exponential moving average over roughly this many seconds:
// long enough to hide per-step jitter (data loading, checkpoints), short enough
// to follow a real change (a slower phase, another job on the GPU).
constexpr double kRateTimeConstant = 10.0;
constexpr int kBarWidth = 24;

double steady_seconds() {
  using namespace std::chrono;
  return duration<double>(steady_clock::now().time_since_epoch()).count();
}

// The file descriptor behind the standard streams; -1 for any other stream.
int stream_fd(const std::ostream& out) {
  if (&out == &std::cout) return STDOUT_FILENO;
  if (&out == &std::cerr || &out == &std::clog) return STDERR_FILENO;
  return -1;
}

int terminal_columns(int fd) {
  winsize ws{};
  if (fd >= 0 && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* env = std::getenv("COLUMNS")) {
    const int c = std::atoi(env);
    if (c > 0) return c;
  }
  return 80;
}

std::string format_rate(double rate) {
  char buf[32];
  if (!(rate > 0)) return "? it/s";
  // Slow GAN steps on CPU take seconds each; "0.25 it/s" reads worse than "4.00 s/it".
  if (rate < 1) std::snprintf(buf, sizeof buf, "%.2f s/it", 1 / rate);
  else if (rate < 100) std::snprintf(buf, sizeof buf, "%.1f it/s", rate);
  else std::snprintf(buf, sizeof buf, "%.0f it/s", rate);
  return buf;
}

}  // namespace

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > 1e8) return "-:--:--";
  const auto s = static_cast<long long>(seconds + 0.5);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return buf;
}

ProgressBar::ProgressBar(int64_t total, std::string label, std::ostream& out, ProgressOptions options)
    : total_(total), label_(std::move(label)), out_(out), opt_(std::move(options)) {
  GAN_CHECK(total_ > 0, ValueError, "ProgressBar: total must be positive, got ", total_);
  if (!opt_.clock) opt_.clock = steady_seconds;
  const int fd = stream_fd(out_);
  tty_ = opt_.tty.value_or(fd >= 0 && isatty(fd));
  columns_ = opt_.columns > 0 ? opt_.columns : terminal_columns(fd);
  start_ = last_sample_time_ = opt_.clock();
  done_ = last_sample_done_ = opt_.initial;
}

ProgressBar::~ProgressBar() {
  if (line_open_) out_ << '\n' << std::flush;
}

void ProgressBar::update(int64_t done, const std::string& postfix) {
  if (finished_) return;
  const double now = opt_.clock();
  done_ = done;
  postfix_ = postfix;

  // Fold the progress since the last sample into the rate. Samples with no
  // elapsed time (a coarse clock, many fast steps) just accumulate.
  const double dt = now - last_sample_time_;
  if (dt > 0) {
    const double elapsed = now - start_;
    if (elapsed <= kRateTimeConstant) {
      // Early on the plain average is steadier than an average of few samples.
      rate_ = static_cast<double>(done - opt_.initial) / elapsed;
    } else {
      // Weighting by elapsed time makes the average independent of how often update() is called.
      const double instant = static_cast<double>(done - last_sample_done_) / dt;
      rate_ += (1 - std::exp(-dt / kRateTimeConstant)) * (instant - rate_);
    }
    rate_ = std::max(rate_, 0.0);
    last_sample_time_ = now;
    last_sample_done_ = done;
  }

  bool due;
  if (!drawn_) {
    due = true;  // show signs of life at once
  } else if (tty_) {
    due = now - last_emit_time_ >= opt_.redraw_seconds;
  } else {
    // Print when progress crosses the next multiple of log_percent (5%, 10%, ...),
    // giving tidy, evenly spaced log lines, or when the log has been quiet too long.
    auto bucket = [&](int64_t d) {
      return std::floor(100.0 * static_cast<double>(d) / static_cast<double>(total_) / opt_.log_percent);
    };
    due = bucket(done) > bucket(last_emit_done_) || now - last_emit_time_ >= opt_.log_seconds;
  }
  if (due) emit(now, false);
}

void ProgressBar::message(const std::string& text) {
  if (line_open_) {
    // Clear the bar's line, print the message in its place; the next update redraws the bar below.
    out_ << '\r' << std::string(last_width_, ' ') << '\r';
    line_open_ = false;
    last_width_ = 0;
    drawn_ = false;  // redraw at the next update, not only when due
  }
  out_ << text << '\n' << std::flush;
}

void ProgressBar::finish() {
  if (finished_) return;
  finished_ = true;
  emit(opt_.clock(), true);
}

std::string ProgressBar::line(double now, bool final) const {
  const double fraction = std::clamp(static_cast<double>(done_) / static_cast<double>(total_), 0.0, 1.0);
  const double elapsed = now - start_;
  // The fields in display order, each with its rank in what a narrow terminal
  // drops first: the bar, then elapsed time, the rate, the percentage and the
  // label. The count, the ETA (the total time at the end) and the losses stay;
  // at 80 columns they fit with room to spare.
  struct Field {
    std::string text;
    int drop;  // 0: never dropped; else dropped in increasing order
    const char* before = "  ";
  };
  std::vector<Field> fields = {{label_, 5, ""}, {std::to_string(done_) + "/" + std::to_string(total_), 0}};
  if (tty_) {
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::string bar = "[";
    bar.append(static_cast<size_t>(filled), '#').append(static_cast<size_t>(kBarWidth - filled), '-').append("]");
    fields.push_back({std::move(bar), 1, " "});
  }
  fields.push_back({std::to_string(static_cast<int>(fraction * 100)) + "%", 4});
  if (final) {
    // The summary shows the whole run's average, not the recent smoothed rate.
    const double average = elapsed > 0 ? static_cast<double>(done_ - opt_.initial) / elapsed : 0;
    fields.push_back({format_rate(average), 3});
    fields.push_back({"elapsed " + format_duration(elapsed), 0});
  } else {
    const double eta = rate_ > 0 ? static_cast<double>(total_ - done_) / rate_ : -1;
    fields.push_back({format_rate(rate_), 3});
    fields.push_back({"elapsed " + format_duration(elapsed), 2});
    fields.push_back({"eta " + format_duration(eta), 0});
  }
  if (!postfix_.empty()) fields.push_back({postfix_, 0});

  const auto join = [&](int dropped_below) {
    std::string s;
    for (const Field& f : fields) {
      if (f.drop != 0 && f.drop < dropped_below) continue;
      if (!s.empty()) s += f.before;
      s += f.text;
    }
    return s;
  };
  std::string s = join(0);
  // On a terminal a line wider than the screen wraps, and '\r' then rewinds
  // only its last row: drop fields until it fits (emit() cuts what still does not).
  for (int rank = 1; tty_ && static_cast<int>(s.size()) >= columns_ && rank <= 5; ++rank) s = join(rank + 1);
  return s;
}

void ProgressBar::emit(double now, bool final) {
  std::string s = line(now, final);
  if (tty_) {
    // Still wider than the terminal with every optional field dropped: cut.
    if (static_cast<int>(s.size()) >= columns_) s.resize(static_cast<size_t>(std::max(columns_ - 1, 0)));
    out_ << '\r' << s;
    if (s.size() < last_width_) out_ << std::string(last_width_ - s.size(), ' ');  // erase the longer old line
    last_width_ = s.size();
    line_open_ = !final;
    if (final) out_ << '\n';
  } else {
    out_ << s << '\n';
  }
  out_.flush();
  drawn_ = true;
  last_emit_time_ = now;
  last_emit_done_ = done_;
}

}  // namespace gan::app
