// The PNG line plotter: ticks and labels, where text and lines land in the
// image (and where lines must not: across NaN gaps), edge cases (one point,
// constant and huge ranges, no data), the PNG file, and the training CSV
// reader's errors.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>

#include "apps/gan/plot.h"
#include "core/io/image.h"
#include "io/io_test_util.h"

namespace gan::app {
namespace {

using io::testing::io_error_message;
using io::testing::join;
using io::testing::scratch_dir;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

Rgb pixel(const io::Image& img, double x, double y) {
  const int px = static_cast<int>(std::lround(x)), py = static_cast<int>(std::lround(y));
  EXPECT_TRUE(px >= 0 && py >= 0 && px < img.width && py < img.height) << px << "," << py;
  const uint8_t* p = img.pixels.data() + (static_cast<size_t>(py) * img.width + px) * 3;
  return {p[0], p[1], p[2]};
}

// Cairo antialiases the curves: a pixel on one is its colour, or within a few
// levels of it where the pixel's corner pokes out of the stroke.
bool near(Rgb a, Rgb b, int tolerance = 40) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance && std::abs(a.b - b.b) <= tolerance;
}

// Pixels in the rectangle [x0, x1] x [y0, y1] darker than the grid (text, axes or curves).
int dark_pixels(const io::Image& img, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = std::max(y0, 0); y <= std::min(y1, img.height - 1); ++y)
    for (int x = std::max(x0, 0); x <= std::min(x1, img.width - 1); ++x) {
      const uint8_t* p = img.pixels.data() + (static_cast<size_t>(y) * img.width + x) * 3;
      n += p[0] < 128 && p[1] < 128 && p[2] < 128;
    }
  return n;
}

PlotSpec one_series(std::vector<double> x, std::vector<double> y) {
  PlotSpec spec;
  spec.title = "test";
  spec.panels.push_back({"panel", {{"series", std::move(x), std::move(y), series_color(0)}}});
  return spec;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

TEST(PlotTicks, NiceStepsAndLabels) {
  EXPECT_EQ(nice_ticks(0, 1, 5), (std::vector<double>{0, 0.2, 0.4, 0.6000000000000001, 0.8, 1}));
  EXPECT_EQ(tick_labels(nice_ticks(0, 1, 5)), (std::vector<std::string>{"0", "0.2", "0.4", "0.6", "0.8", "1.0"}));
  EXPECT_EQ(tick_labels(nice_ticks(0, 2000, 4)), (std::vector<std::string>{"0", "500", "1000", "1500", "2000"}));
  EXPECT_EQ(tick_labels(nice_ticks(-3, 3, 3)), (std::vector<std::string>{"-2", "0", "2"}));
  // Very fine and very large scales switch to scientific notation with a short exponent.
  EXPECT_EQ(tick_labels(nice_ticks(1e-6, 4e-6, 3)), (std::vector<std::string>{"1e-6", "2e-6", "3e-6", "4e-6"}));
  EXPECT_EQ(tick_labels(nice_ticks(-1e300, 1e300, 2)), (std::vector<std::string>{"-1e300", "0", "1e300"}));
  EXPECT_EQ(tick_labels(nice_ticks(1.5e7, 1.65e7, 3)), (std::vector<std::string>{"1.50e7", "1.55e7", "1.60e7", "1.65e7"}));
  EXPECT_THROW(nice_ticks(1, 1, 5), ValueError);
  EXPECT_THROW(nice_ticks(0, kInf, 5), ValueError);
}

TEST(PlotText, TitleLabelsAndNoDataNoteAreDrawnWhereTheyBelong) {
  PlotSpec spec = one_series({0, 50, 100}, {1, 2, 3});
  spec.panels.push_back({"empty", {{"nothing", {1, 2}, {kNaN, kInf}, series_color(1)}}});
  const RenderedPlot plot = render_plot(spec);
  const io::Image& img = plot.image;
  ASSERT_EQ(plot.panels.size(), 2u);
  const PanelLayout& a = plot.panels[0];
  const PanelLayout& empty = plot.panels[1];
  // The title, centred above the first panel; nothing dark in the margins beside it.
  EXPECT_GT(dark_pixels(img, img.width / 2 - 40, 0, img.width / 2 + 40, a.top - 30), 20);
  EXPECT_EQ(dark_pixels(img, 0, 0, 100, a.top - 30), 0);
  // y tick labels left of the plot area, x tick labels under it.
  EXPECT_GT(dark_pixels(img, 0, a.top, a.left - 4, a.bottom), 20);
  EXPECT_GT(dark_pixels(img, a.left, a.bottom + 3, a.right, a.bottom + 24), 20);
  // "no data" in the middle of the empty panel (in the axis grey, darker than the grid).
  const int cx = (empty.left + empty.right) / 2, cy = (empty.top + empty.bottom) / 2;
  EXPECT_GT(dark_pixels(img, cx - 40, cy - 15, cx + 40, cy + 15), 20);
  // The x-axis label "step" at the bottom, centred.
  EXPECT_GT(dark_pixels(img, (a.left + a.right) / 2 - 30, empty.bottom + 20, (a.left + a.right) / 2 + 30,
                        img.height - 1),
            5);
}

TEST(PlotText, NonAsciiTextDoesNotStopTheDrawing) {
  // Cairo refuses text that is not UTF-8 and then draws nothing more on that
  // context: the curve must still appear after such a title.
  PlotSpec spec = one_series({0, 1}, {0, 1});
  spec.title = "run \xff\xfe caf\xc3\xa9";
  const RenderedPlot plot = render_plot(spec);
  const PanelLayout& a = plot.panels[0];
  EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(0.5), a.y_pixel(0.5)), series_color(0)));
}

TEST(Plot, LineLandsWhereTheDataIs) {
  std::vector<double> x, y;
  for (int i = 0; i <= 100; ++i) {
    x.push_back(i);
    y.push_back(2.0 * i - 50);
  }
  const RenderedPlot plot = render_plot(one_series(x, y));
  ASSERT_EQ(plot.panels.size(), 1u);
  const PanelLayout& a = plot.panels[0];
  EXPECT_EQ(plot.image.width, 1200);
  EXPECT_EQ(plot.image.channels, 3);
  // The axes cover the data and start/end on ticks: x in [0, 100], y in [-50, 150].
  EXPECT_EQ(a.x_min, 0);
  EXPECT_EQ(a.x_max, 100);
  EXPECT_EQ(a.y_min, -50);
  EXPECT_EQ(a.y_max, 150);
  EXPECT_NEAR(a.x_pixel(0), a.left, 1e-9);
  EXPECT_NEAR(a.y_pixel(150), a.top, 1e-9);
  for (double t : {3.0, 17.5, 50.0, 71.25, 97.0}) {
    EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(t), a.y_pixel(2.0 * t - 50)), series_color(0))) << "x = " << t;
  }
  // Far from the line (below it, right side; the legend goes to an empty corner
  // at the top left): background or grid, not the series colour.
  EXPECT_FALSE(near(pixel(plot.image, a.x_pixel(80), a.y_pixel(0)), series_color(0)));
  EXPECT_FALSE(near(pixel(plot.image, a.x_pixel(20), a.y_pixel(120)), series_color(0)));
  // The legend sits in that corner: its swatch is the series colour, left of its name.
  EXPECT_GT(dark_pixels(plot.image, a.left, a.top, a.left + 150, a.top + 40), 10);
}

TEST(Plot, NonFiniteValuesBreakTheLine) {
  // A constant series (its range is widened around 1) with a NaN at x = 5 and an Inf at x = 12.
  std::vector<double> x, y;
  for (int i = 0; i <= 16; ++i) {
    x.push_back(i);
    y.push_back(i == 5 ? kNaN : i == 12 ? kInf : 1.0);
  }
  const RenderedPlot plot = render_plot(one_series(x, y));
  const PanelLayout& a = plot.panels[0];
  EXPECT_LT(a.y_min, 1.0);
  EXPECT_GT(a.y_max, 1.0);
  const double py = a.y_pixel(1.0);
  EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(2.5), py), series_color(0)));
  EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(8.5), py), series_color(0)));
  EXPECT_FALSE(near(pixel(plot.image, a.x_pixel(5.0), py), series_color(0)));  // no line from 4 to 6 across the NaN
  EXPECT_FALSE(near(pixel(plot.image, a.x_pixel(12.0), py), series_color(0)));
}

TEST(Plot, SinglePointHugeRangeAndNoData) {
  {
    const RenderedPlot plot = render_plot(one_series({7}, {3.5}));
    const PanelLayout& a = plot.panels[0];
    EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(7), a.y_pixel(3.5)), series_color(0)));  // a dot
  }
  {
    const RenderedPlot plot = render_plot(one_series({0, 1, 2}, {-1e308, 0, 1e308}));
    const PanelLayout& a = plot.panels[0];
    EXPECT_TRUE(std::isfinite(a.y_max - a.y_min));
    EXPECT_TRUE(near(pixel(plot.image, a.x_pixel(1), a.y_pixel(0)), series_color(0)));
  }
  {
    const RenderedPlot plot = render_plot(one_series({0, 1}, {kNaN, -kInf}));
    ASSERT_EQ(plot.panels.size(), 1u);  // "no data", drawn without a series
  }
  PlotSpec bad = one_series({0, 1}, {1});
  EXPECT_THROW(render_plot(bad), ValueError);
  EXPECT_THROW(render_plot(PlotSpec{}), ValueError);
  bad = one_series({0, 1}, {0, 1});
  bad.width = 100000;  // 100000 x 400 pixels: refused before cairo is asked for them
  EXPECT_THROW(render_plot(bad), ValueError);
}

TEST(Plot, WritesAValidPngOfTheRenderedSize) {
  const std::string dir = scratch_dir();
  const PlotSpec spec = one_series({0, 1, 2, 3}, {0.5, 0.25, 0.75, 0.1});
  const std::string path = join(dir, "plot.png");
  write_plot_png(path, spec);
  const std::vector<uint8_t> bytes = io::testing::slurp(path);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.begin() + 8),
            (std::vector<uint8_t>{0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}));
  const io::Image loaded = io::load_image(path, 3);
  const RenderedPlot rendered = render_plot(spec);
  EXPECT_EQ(loaded.width, rendered.image.width);
  EXPECT_EQ(loaded.height, rendered.image.height);
  EXPECT_EQ(loaded.pixels, rendered.image.pixels);  // PNG is lossless
}

TEST(TrainingCsv, ReadsColumnsAndMissingValues) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "losses.csv");
  write_text(path, "step,loss_D,loss_G,D_x,D_G_z,frechet\n0,1.5,0.7,0.5,0.4,\n10, 1.25 ,0.75,0.6,0.3,42.5\n"
                   "20,nan,0.8,0.6,0.3,\r\n");
  const TrainingLog log = read_training_csv(path);
  EXPECT_EQ(log.columns, (std::vector<std::string>{"step", "loss_D", "loss_G", "D_x", "D_G_z", "frechet"}));
  EXPECT_EQ(log.rows(), 3u);
  EXPECT_EQ(log.column("step"), (std::vector<double>{0, 10, 20}));
  EXPECT_EQ(log.column("loss_D")[1], 1.25);
  EXPECT_TRUE(std::isnan(log.column("loss_D")[2]));
  EXPECT_EQ(log.logged[1], (std::vector<bool>{true, true, true}));  // "nan" was logged
  EXPECT_EQ(log.logged[5], (std::vector<bool>{false, true, false}));
  EXPECT_EQ(log.column("frechet")[1], 42.5);
  EXPECT_THROW(log.column("nope"), ValueError);

  const PlotSpec spec = training_plot_spec(log, "run");
  ASSERT_EQ(spec.panels.size(), 3u);  // losses, discriminator outputs, frechet
  EXPECT_EQ(spec.panels[0].series.size(), 2u);
  EXPECT_EQ(spec.panels[2].series[0].x, (std::vector<double>{10}));  // only the logged step

  const std::string png = join(dir, "losses.png");
  plot_training_csv(path, png, "run");
  const io::Image img = io::load_image(png, 3);
  EXPECT_EQ(img.width, 1200);
  EXPECT_EQ(img.height, render_plot(spec).image.height);
}

TEST(TrainingCsv, CycleGanColumnsSharePanelsInPairs) {
  const std::string path = join(scratch_dir(), "losses.csv");
  write_text(path, "step,D_A,D_B,G_AB,G_BA,cycle_A,cycle_B,idt_A,idt_B,lr\n1,1,2,3,4,5,6,7,8,2e-4\n");
  const PlotSpec spec = training_plot_spec(read_training_csv(path), "cyclegan");
  std::vector<std::string> titles;
  for (const PlotPanel& p : spec.panels) titles.push_back(p.title + ":" + std::to_string(p.series.size()));
  EXPECT_EQ(titles, (std::vector<std::string>{"discriminator losses:2", "generator adversarial losses:2",
                                              "cycle-consistency L1:2", "identity L1:2", "lr:1"}));
}

TEST(TrainingCsv, ErrorsNameTheFileLineAndColumn) {
  const std::string dir = scratch_dir();
  const std::string path = join(dir, "bad.csv");
  const auto error_for = [&](const std::string& text) {
    write_text(path, text);
    return io_error_message([&] { read_training_csv(path); });
  };
  std::string msg = io_error_message([&] { read_training_csv(join(dir, "missing.csv")); });
  EXPECT_NE(msg.find("missing.csv"), std::string::npos) << msg;
  msg = error_for("");
  EXPECT_NE(msg.find("empty"), std::string::npos) << msg;
  msg = error_for("iteration,loss_D\n1,2\n");
  EXPECT_NE(msg.find("no 'step' column"), std::string::npos) << msg;
  msg = error_for("step,loss_D,loss_D\n");
  EXPECT_NE(msg.find("'loss_D' appears twice"), std::string::npos) << msg;
  msg = error_for("step,,loss_G\n");
  EXPECT_NE(msg.find("empty column name"), std::string::npos) << msg;
  msg = error_for("step,loss_D,loss_G\n0,1,2\n1,2\n");
  EXPECT_NE(msg.find("line 3 has 2 fields, but the header has 3 columns"), std::string::npos) << msg;
  msg = error_for("step,loss_D,loss_G\n0,1,2\n1,2,abc\n");
  EXPECT_NE(msg.find("line 3, column 'loss_G': 'abc' is not a number"), std::string::npos) << msg;
  msg = error_for("step,loss_D\n0,1.5x\n");
  EXPECT_NE(msg.find("'1.5x' is not a number"), std::string::npos) << msg;
  EXPECT_NE(msg.find("bad.csv"), std::string::npos) << msg;
}

}  // namespace
}  // namespace gan::app
