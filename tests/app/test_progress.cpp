#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "apps/gan/progress.h"
#include "core/error.h"

namespace gan::app {
namespace {

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in:\n" << (text)

// A bar on a string stream with a clock the test moves by hand.
struct Fixture {
  double now = 0;
  std::ostringstream out;
  ProgressOptions options(bool tty) {
    ProgressOptions o;
    o.clock = [this] { return now; };
    o.tty = tty;
    o.columns = 200;
    return o;
  }
  size_t lines() const {
    const std::string s = out.str();
    return static_cast<size_t>(std::count(s.begin(), s.end(), '\n'));
  }
};

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0:00:00");
  EXPECT_EQ(format_duration(9.4), "0:00:09");
  EXPECT_EQ(format_duration(65), "0:01:05");
  EXPECT_EQ(format_duration(3599.6), "1:00:00");
  EXPECT_EQ(format_duration(27 * 3600 + 180), "27:03:00");
  EXPECT_EQ(format_duration(-1), "-:--:--");
  EXPECT_EQ(format_duration(std::numeric_limits<double>::infinity()), "-:--:--");
}

TEST(Progress, LineShowsCountsRateElapsedAndEta) {
  Fixture f;
  ProgressBar bar(100, "train", f.out, f.options(false));
  f.now = 1;
  bar.update(10, "loss_D 0.512 loss_G 1.203");
  EXPECT_DOUBLE_EQ(bar.rate(), 10);
  EXPECT_EQ(f.out.str(), "train  10/100  10%  10.0 it/s  elapsed 0:00:01  eta 0:00:09  loss_D 0.512 loss_G 1.203\n");
}

TEST(Progress, SlowStepsShowSecondsPerIteration) {
  Fixture f;
  ProgressBar bar(10, "train", f.out, f.options(false));
  f.now = 4;
  bar.update(1);
  EXPECT_CONTAINS(f.out.str(), "4.00 s/it");
  EXPECT_CONTAINS(f.out.str(), "eta 0:00:36");
}

TEST(Progress, RateIsSmoothedAndFollowsAChange) {
  Fixture f;
  ProgressBar bar(100000, "train", f.out, f.options(false));
  // 10 it/s for 20 s: the estimate is exact.
  for (int i = 1; i <= 200; ++i) {
    f.now = i * 0.1;
    bar.update(i);
  }
  EXPECT_NEAR(bar.rate(), 10, 1e-9);
  // Then 20 it/s: one second later the estimate has moved only part of the way...
  int64_t done = 200;
  for (int i = 1; i <= 10; ++i) {
    f.now += 0.1;
    bar.update(done += 2);
  }
  EXPECT_GT(bar.rate(), 10.5);
  EXPECT_LT(bar.rate(), 12);
  // ...and two minutes later it has arrived.
  for (int i = 1; i <= 1200; ++i) {
    f.now += 0.1;
    bar.update(done += 2);
  }
  EXPECT_NEAR(bar.rate(), 20, 0.01);
}

TEST(Progress, ResumedRunCountsOnlyNewSteps) {
  Fixture f;
  ProgressOptions o = f.options(false);
  o.initial = 500;
  ProgressBar bar(1000, "train", f.out, o);
  f.now = 2;
  bar.update(510);
  EXPECT_DOUBLE_EQ(bar.rate(), 5);
  EXPECT_CONTAINS(f.out.str(), "510/1000  51%");
  EXPECT_CONTAINS(f.out.str(), "eta 0:01:38");
}

TEST(Progress, LogOutputIsThrottledByPercent) {
  Fixture f;
  ProgressBar bar(1000, "train", f.out, f.options(false));
  for (int i = 1; i <= 1000; ++i) {
    f.now = i * 0.01;
    bar.update(i);
  }
  // The first update, then each 5% (50, 100, ..., 1000).
  EXPECT_EQ(f.lines(), 21u);
  f.now = 10;
  EXPECT_EQ(f.out.str().find('\r'), std::string::npos);
  EXPECT_EQ(f.out.str().find('['), std::string::npos);  // no bar in logs
  bar.finish();
  EXPECT_EQ(f.lines(), 22u);
  EXPECT_CONTAINS(f.out.str(), "train  1000/1000  100%  100 it/s  elapsed 0:00:10\n");
  bar.finish();  // idempotent
  bar.update(1000);
  EXPECT_EQ(f.lines(), 22u);
}

TEST(Progress, LogOutputIsThrottledByTime) {
  Fixture f;
  ProgressBar bar(1000, "train", f.out, f.options(false));
  for (int i = 1; i <= 40; ++i) {  // 4% in 40 s: no percent boundary crossed
    f.now = i;
    bar.update(i);
  }
  EXPECT_EQ(f.lines(), 2u);  // at 1 s, then 30 s later
  EXPECT_CONTAINS(f.out.str(), "train  31/1000");
}

TEST(Progress, TerminalRedrawsOneLineAtMostTenTimesASecond) {
  Fixture f;
  ProgressBar bar(100, "train", f.out, f.options(true));
  for (int i = 1; i <= 100; ++i) {
    f.now = i * 0.01;  // one second in all
    bar.update(i, "loss 1.0");
  }
  const std::string s = f.out.str();
  const auto redraws = std::count(s.begin(), s.end(), '\r');
  EXPECT_GE(redraws, 9);
  EXPECT_LE(redraws, 11);
  EXPECT_EQ(s.find('\n'), std::string::npos);  // one line, redrawn in place
  EXPECT_CONTAINS(s, "[#");
  bar.finish();
  EXPECT_EQ(f.out.str().back(), '\n');
  EXPECT_CONTAINS(f.out.str(), "\rtrain  100/100 [########################]  100%");
}

TEST(Progress, TerminalLineFitsTheWidthAndErasesLeftovers) {
  Fixture f;
  ProgressOptions o = f.options(true);
  o.columns = 100;
  ProgressBar bar(100, "train", f.out, o);
  f.now = 1;
  // Longer than the terminal even with every optional field dropped: cut.
  bar.update(1, "a postfix long enough to push the whole line past one hundred columns on its own, "
                "with the count and the eta");
  const std::string first = f.out.str();
  EXPECT_EQ(first.size(), 1u + 99u);  // '\r' + width - 1
  f.now = 2;
  bar.update(2);  // shorter: padded with spaces over the old text
  const std::string second = f.out.str().substr(first.size());
  EXPECT_EQ(second.size(), 1u + 99u);
  EXPECT_EQ(second.back(), ' ');
}

// At 80 columns a training line keeps its count, ETA and losses: the bar goes
// first, then the elapsed time, the rate, the percentage and the label.
TEST(Progress, NarrowTerminalDropsTheBarBeforeTheEtaAndTheLosses) {
  const std::string losses = "loss_D 0.512  loss_G 1.203  D(x) 0.651  D(G(z)) 0.302";
  const auto drawn = [&](int columns) {
    Fixture f;
    ProgressOptions o = f.options(true);
    o.columns = columns;
    ProgressBar bar(5000, "train", f.out, o);
    f.now = 10;
    bar.update(1200, losses);
    std::string s = f.out.str();
    return s.substr(s.rfind('\r') + 1);
  };
  const std::string wide = drawn(200);
  EXPECT_CONTAINS(wide, "[#");
  EXPECT_CONTAINS(wide, "elapsed");
  const std::string at80 = drawn(80);
  EXPECT_LT(at80.size(), 80u);
  EXPECT_EQ(at80.find('['), std::string::npos) << at80;  // the bar went first
  EXPECT_CONTAINS(at80, "1200/5000");
  EXPECT_CONTAINS(at80, "eta 0:00:32");
  EXPECT_CONTAINS(at80, losses);
  const std::string at100 = drawn(100);  // room for more than the essentials, not for the bar
  EXPECT_LT(at100.size(), 100u);
  EXPECT_EQ(at100.find('['), std::string::npos) << at100;
  EXPECT_CONTAINS(at100, "it/s");
  EXPECT_CONTAINS(at100, "eta 0:00:32");
}

TEST(Progress, DestructorEndsAnOpenTerminalLine) {
  Fixture f;
  {
    ProgressBar bar(100, "train", f.out, f.options(true));
    f.now = 1;
    bar.update(5);
  }
  EXPECT_EQ(f.out.str().back(), '\n');
  EXPECT_EQ(f.lines(), 1u);
}

TEST(Progress, RejectsNonPositiveTotal) {
  std::ostringstream out;
  EXPECT_THROW(ProgressBar(0, "x", out), gan::ValueError);
}

TEST(Progress, OtherStreamsAreNotTerminals) {
  std::ostringstream out;
  ProgressBar bar(10, "x", out);
  EXPECT_FALSE(bar.is_tty());
}

}  // namespace
}  // namespace gan::app
