// Line plots as PNG files, drawn with cairo: training curves (losses.png next
// to losses.csv) without Python or a plotting program.
//
// A plot has a title and one or more panels stacked vertically that share the
// x axis (training step); each panel has its own y range, "nice" ticks (1, 2
// or 5 times a power of ten) with labels, grid lines, and a legend.
//
// Data handling: NaN and +-Inf points are skipped (the line breaks there, and
// the legend counts them); a lone finite point is drawn as a dot; a constant
// series gets a small range around its value; a panel without any finite
// point says "no data". Ranges beyond +-1e300 are clamped (no log scale).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/io/image.h"

namespace gan::app {

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const { return r == o.r && g == o.g && b == o.b; }
};

struct PlotSeries {
  std::string name;
  std::vector<double> x, y;  // same length
  Rgb color;
};

struct PlotPanel {
  std::string title;
  std::vector<PlotSeries> series;
};

struct PlotSpec {
  std::string title;
  std::string x_label = "step";
  std::vector<PlotPanel> panels;
  int width = 1200;
  int panel_height = 320;  // the image is a title band + panels + the x-axis label band
};

// Where a panel landed in the image and what its axes span: data (x, y) maps
// to pixel (x_pixel(x), y_pixel(y)), counted as image rows and columns (cairo
// draws it at the pixel's centre, +0.5).
struct PanelLayout {
  int left = 0, top = 0, right = 0, bottom = 0;  // plot area, inclusive pixel bounds
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;
  double x_pixel(double x) const;
  double y_pixel(double y) const;
};

struct RenderedPlot {
  io::Image image;  // RGB; the curves are antialiased, so pixels at their edges blend with the background
  std::vector<PanelLayout> panels;
};

// The default colours, one per series in order (cycled).
Rgb series_color(size_t index);

// ValueError for a spec without panels, a too small or too large image, or a
// series whose x and y differ in length.
RenderedPlot render_plot(const PlotSpec& spec);
// Renders and writes the PNG atomically (IoError if it cannot be written).
void write_plot_png(const std::string& path, const PlotSpec& spec);

// Tick positions covering [lo, hi] with about `target` steps of 1, 2 or 5 x 10^k,
// and their labels ("0.25", "1.5e-5", "-3"), equally precise.
std::vector<double> nice_ticks(double lo, double hi, int target);
std::vector<std::string> tick_labels(const std::vector<double>& ticks);

// ---- the training log ------------------------------------------------------------

// A CSV written by the trainer: a header line, then one line of numbers per
// logged step. `step` is required; every other column is a series (the
// trainer writes step,loss_D,loss_G,D_x,D_G_z and may add metric columns). An
// empty field is a missing value, e.g. a metric computed every 1000 steps: it
// is left out of the plot, unlike a logged "nan", which breaks the line.
struct TrainingLog {
  std::vector<std::string> columns;         // as in the header
  std::vector<std::vector<double>> values;  // values[c][row]; NaN where not logged
  std::vector<std::vector<bool>> logged;    // logged[c][row]: false for an empty field
  const std::vector<double>& column(const std::string& name) const;  // ValueError if absent
  bool has(const std::string& name) const;
  size_t rows() const { return values.empty() ? 0 : values[0].size(); }
};

// IoError naming the file and line for: a missing/unreadable file, no header,
// an empty or duplicate column name, no `step` column, a line with the wrong
// number of fields, or a field that is not a number ("nan"/"inf" are numbers).
TrainingLog read_training_csv(const std::string& path);

// Panels: losses (loss_D, loss_G), discriminator outputs (D_x, D_G_z),
// CycleGAN's pairs (D_A and D_B, G_AB and G_BA, cycle_A and cycle_B, idt_A and
// idt_B), then one panel per other column; columns without a single logged
// value are left out.
PlotSpec training_plot_spec(const TrainingLog& log, const std::string& title);

// read_training_csv + training_plot_spec + write_plot_png: renders e.g.
// runs/dcgan/losses.csv into runs/dcgan/losses.png.
void plot_training_csv(const std::string& csv_path, const std::string& png_path, const std::string& title = "");

}  // namespace gan::app
