// The line plotter of plot.h, drawn with cairo, and the reader of a trainer's
// losses.csv that feeds it.
#include "apps/gan/plot.h"

#include <cairo.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io/png_grid.h"

namespace gan::app {

// ---- ticks ------------------------------------------------------------------------------

std::vector<double> nice_ticks(double lo, double hi, int target) {
  GAN_CHECK(std::isfinite(lo) && std::isfinite(hi) && lo < hi && target >= 1, ValueError, "nice_ticks: bad range [",
            lo, ", ", hi, "] or target ", target);
  // step = 1, 2 or 5 x 10^k, the smallest such that about `target` steps cover the range.
  const double raw = (hi / target - lo / target);  // divided first: hi - lo may overflow
  const double power = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10.0 * power;
  for (double m : {1.0, 2.0, 5.0}) {
    if (m * power >= raw) {
      step = m * power;
      break;
    }
  }
  std::vector<double> ticks;
  const double first = std::ceil(lo / step - 1e-9);
  for (double k = first; k * step <= hi + step * 1e-9; k += 1.0) {
    const double v = k * step;
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);  // no "-0"
    if (ticks.size() > 100) break;  // cannot happen for a sane target; guards the loop
  }
  return ticks;
}

namespace {

// Formats v with printf's %.*f or %.*e and tidies the exponent: "1.5e-05" -> "1.5e-5".
std::string format_number(double v, bool scientific, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, scientific ? "%.*e" : "%.*f", digits, v);
  std::string s = buf;
  const size_t e = s.find('e');
  if (e == std::string::npos) return s;
  std::string mantissa = s.substr(0, e), exponent = s.substr(e + 1);
  const bool negative = exponent[0] == '-';
  exponent = exponent.substr(1);
  exponent.erase(0, std::min(exponent.find_first_not_of('0'), exponent.size() - 1));
  return mantissa + "e" + (negative ? "-" : "") + exponent;
}

}  // namespace

std::vector<std::string> tick_labels(const std::vector<double>& ticks) {
  std::vector<std::string> labels;
  if (ticks.empty()) return labels;
  double largest = 0.0;
  for (double t : ticks) largest = std::max(largest, std::abs(t));
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : std::max(largest, 1.0);
  // Fixed notation while it stays short; scientific for very large or very fine scales.
  const bool scientific = largest >= 1e6 || step < 1e-3;
  for (int digits = 0; digits <= 12; ++digits) {
    labels.clear();
    for (double t : ticks) labels.push_back(t == 0.0 ? "0" : format_number(t, scientific, digits));
    // Enough digits when neighbouring labels differ (the step is visible) and
    // every label reads back as its tick to within a hundredth of a step.
    bool distinct = true, exact = true;
    for (size_t i = 0; i < ticks.size(); ++i) {
      if (i > 0 && labels[i] == labels[i - 1]) distinct = false;
      if (std::abs(std::strtod(labels[i].c_str(), nullptr) - ticks[i]) > 0.01 * std::abs(step)) exact = false;
    }
    if (distinct && exact) break;
  }
  return labels;
}

// ---- plotting -------------------------------------------------------------------------

namespace {

constexpr Rgb kWhite{255, 255, 255};
constexpr Rgb kBlack{0, 0, 0};
constexpr Rgb kGrid{225, 225, 225};
constexpr Rgb kAxis{90, 90, 90};
constexpr Rgb kText{30, 30, 30};
constexpr double kTextSize = 13, kTitleSize = 18;  // pixels
constexpr int kLineHeight = 16;                    // room for a line of kTextSize text
constexpr double kLineWidth = 2.5;
constexpr double kClampRange = 1e300;  // beyond this, values are drawn at the edge

struct Range {
  double lo = std::numeric_limits<double>::infinity(), hi = -std::numeric_limits<double>::infinity();
  void add(double v) {
    if (!std::isfinite(v)) return;
    v = std::clamp(v, -kClampRange, kClampRange);
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

// The axis span for a data range: padded a little, widened for constant data,
// and extended to the outer ticks so the plot starts and ends on a label.
std::vector<double> axis_ticks(Range r, double* lo, double* hi) {
  if (r.empty()) {
    r.lo = 0.0;
    r.hi = 1.0;
  } else if (r.lo == r.hi) {
    const double pad = r.lo == 0.0 ? 1.0 : std::abs(r.lo) * 0.1;
    r.lo -= pad;
    r.hi += pad;
  }
  std::vector<double> ticks = nice_ticks(r.lo, r.hi, 5);
  const double step = ticks.size() > 1 ? ticks[1] - ticks[0] : (r.hi - r.lo);
  if (ticks.front() > r.lo) ticks.insert(ticks.begin(), ticks.front() - step);
  if (ticks.back() < r.hi) ticks.push_back(ticks.back() + step);
  *lo = ticks.front();
  *hi = ticks.back();
  return ticks;
}

// Drawing on a cairo context in image pixels: pixel (x, y) is the unit square
// whose centre is (x + 0.5, y + 0.5), so 1-pixel lines are drawn through centres.
class Canvas {
 public:
  Canvas(int width, int height)
      : surface_(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height), cairo_surface_destroy),
        cr_(cairo_create(surface_.get()), cairo_destroy) {
    GAN_CHECK(cairo_status(cr_.get()) == CAIRO_STATUS_SUCCESS, ValueError, "render_plot: cannot make a ", width, " x ",
              height, " image: ", cairo_status_to_string(cairo_status(cr_.get())));
    fill_rect(0, 0, width, height, kWhite);
  }
  cairo_t* cr() const { return cr_.get(); }

  void color(Rgb c) const { cairo_set_source_rgb(cr(), c.r / 255.0, c.g / 255.0, c.b / 255.0); }
  void fill_rect(double x, double y, double w, double h, Rgb c) const {
    color(c);
    cairo_rectangle(cr(), x, y, w, h);
    cairo_fill(cr());
  }
  // A 1-pixel line between pixel centres.
  void hairline(double x0, double y0, double x1, double y1, Rgb c) const {
    color(c);
    cairo_set_line_width(cr(), 1.0);
    cairo_move_to(cr(), x0 + 0.5, y0 + 0.5);
    cairo_line_to(cr(), x1 + 0.5, y1 + 0.5);
    cairo_stroke(cr());
  }
  // Width of `text` at `size`.
  double text_width(const std::string& text, double size, bool bold = false) const {
    font(size, bold);
    cairo_text_extents_t e;
    cairo_text_extents(cr(), printable(text).c_str(), &e);
    return e.x_advance;
  }
  // `text` with its top at y and its left edge (align 0), centre (0.5) or right edge (1) at x.
  void text(double x, double y, const std::string& text, double size, Rgb c, double align = 0,
            bool bold = false) const {
    const double w = text_width(text, size, bold);
    cairo_font_extents_t f;
    cairo_font_extents(cr(), &f);
    color(c);
    cairo_move_to(cr(), x - align * w, y + f.ascent);
    cairo_show_text(cr(), printable(text).c_str());
  }

  io::Image image() const {
    GAN_CHECK(cairo_status(cr()) == CAIRO_STATUS_SUCCESS, ValueError,
              "render_plot: drawing failed: ", cairo_status_to_string(cairo_status(cr())));
    cairo_surface_flush(surface_.get());
    io::Image img;
    img.width = cairo_image_surface_get_width(surface_.get());
    img.height = cairo_image_surface_get_height(surface_.get());
    img.channels = 3;
    img.pixels.resize(static_cast<size_t>(img.width) * img.height * 3);
    const unsigned char* data = cairo_image_surface_get_data(surface_.get());
    const int stride = cairo_image_surface_get_stride(surface_.get());
    for (int y = 0; y < img.height; ++y)
      for (int x = 0; x < img.width; ++x) {
        uint32_t px;  // RGB24: 0x00RRGGBB in native byte order
        std::memcpy(&px, data + static_cast<size_t>(y) * stride + 4 * static_cast<size_t>(x), 4);
        uint8_t* out = img.pixels.data() + (static_cast<size_t>(y) * img.width + x) * 3;
        out[0] = static_cast<uint8_t>(px >> 16), out[1] = static_cast<uint8_t>(px >> 8), out[2] = static_cast<uint8_t>(px);
      }
    return img;
  }

 private:
  void font(double size, bool bold) const {
    cairo_select_font_face(cr(), "sans-serif", CAIRO_FONT_SLANT_NORMAL,
                           bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr(), size);
  }
  // Cairo's text functions stop the whole context at a byte sequence that is
  // not UTF-8 (a title is made of paths and dataset names): non-ASCII bytes
  // become '?'.
  static std::string printable(std::string s) {
    for (char& c : s)
      if (c < 0x20 || c > 0x7e) c = '?';
    return s;
  }

  std::unique_ptr<cairo_surface_t, decltype(&cairo_surface_destroy)> surface_;
  std::unique_ptr<cairo_t, decltype(&cairo_destroy)> cr_;
};

// Clips drawing to a panel's plot area for its lifetime.
struct ClipTo {
  ClipTo(const Canvas& canvas, const PanelLayout& a) : cr(canvas.cr()) {
    cairo_save(cr);
    cairo_rectangle(cr, a.left, a.top, a.right - a.left + 1, a.bottom - a.top + 1);
    cairo_clip(cr);
  }
  ~ClipTo() { cairo_restore(cr); }
  cairo_t* cr;
};

// The series as connected runs of finite points; a lone finite point is a dot.
void draw_series(const Canvas& canvas, const PanelLayout& area, const PlotSeries& s) {
  const ClipTo clip(canvas, area);
  cairo_t* cr = canvas.cr();
  canvas.color(s.color);
  cairo_set_line_width(cr, kLineWidth);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  const auto finite = [&](size_t i) { return i < s.x.size() && std::isfinite(s.x[i]) && std::isfinite(s.y[i]); };
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!finite(i)) continue;
    const double x = area.x_pixel(s.x[i]) + 0.5, y = area.y_pixel(s.y[i]) + 0.5;
    const bool prev = i > 0 && finite(i - 1);
    if (!prev && !finite(i + 1)) {
      cairo_new_sub_path(cr);
      cairo_arc(cr, x, y, 2.5, 0, 2 * M_PI);
      cairo_fill(cr);
    } else if (!prev) {
      cairo_move_to(cr, x, y);
    } else {
      cairo_line_to(cr, x, y);
    }
    if (prev && !finite(i + 1)) cairo_stroke(cr);
  }
}

int64_t count_non_finite(const PlotSeries& s) {
  int64_t n = 0;
  for (size_t i = 0; i < s.y.size(); ++i) n += !(std::isfinite(s.x[i]) && std::isfinite(s.y[i]));
  return n;
}

// How many of the panel's data points fall inside the pixel rectangle.
int64_t points_inside(const PanelLayout& area, const std::vector<PlotSeries>& series, int x0, int y0, int x1, int y1) {
  int64_t n = 0;
  for (const PlotSeries& s : series) {
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      const double x = area.x_pixel(s.x[i]), y = area.y_pixel(s.y[i]);
      n += x >= x0 && x <= x1 && y >= y0 && y <= y1;
    }
  }
  return n;
}

// The legend box goes in the corner of the plot area that hides the fewest points.
void draw_legend(const Canvas& canvas, const PanelLayout& area, const std::vector<PlotSeries>& series) {
  if (series.empty()) return;
  std::vector<std::string> names;
  int widest = 0;
  for (const PlotSeries& s : series) {
    const int64_t bad = count_non_finite(s);
    names.push_back(bad > 0 ? s.name + " (" + std::to_string(bad) + " NaN/Inf)" : s.name);
    widest = std::max(widest, static_cast<int>(std::ceil(canvas.text_width(names.back(), kTextSize))));
  }
  const int row = kLineHeight + 4, sample = 28, pad = 8, margin = 8;
  const int w = pad + sample + 8 + widest + pad, h = pad + row * static_cast<int>(series.size()) + pad - 4;
  int x0 = area.right - w - margin, y0 = area.top + margin;  // top right unless another corner is emptier
  int64_t best = -1;
  for (const auto& [cx, cy] : {std::pair{area.right - w - margin, area.top + margin},
                               std::pair{area.left + margin, area.top + margin},
                               std::pair{area.right - w - margin, area.bottom - h - margin},
                               std::pair{area.left + margin, area.bottom - h - margin}}) {
    const int64_t hidden = points_inside(area, series, cx, cy, cx + w, cy + h);
    if (best < 0 || hidden < best) best = hidden, x0 = cx, y0 = cy;
  }
  canvas.fill_rect(x0, y0, w + 1, h + 1, kWhite);
  canvas.color(kAxis);
  cairo_set_line_width(canvas.cr(), 1.0);
  cairo_rectangle(canvas.cr(), x0 + 0.5, y0 + 0.5, w, h);
  cairo_stroke(canvas.cr());
  for (size_t i = 0; i < series.size(); ++i) {
    const int y = y0 + pad + static_cast<int>(i) * row;
    canvas.fill_rect(x0 + pad, y + kLineHeight / 2 - 1, sample, 3, series[i].color);
    canvas.text(x0 + pad + sample + 8, y, names[i], kTextSize, kText);
  }
}

}  // namespace

double PanelLayout::x_pixel(double x) const {
  const double t = (std::clamp(x, -kClampRange, kClampRange) - x_min) / (x_max - x_min);
  return left + t * (right - left);
}

double PanelLayout::y_pixel(double y) const {
  const double t = (std::clamp(y, -kClampRange, kClampRange) - y_min) / (y_max - y_min);
  return bottom - t * (bottom - top);
}

Rgb series_color(size_t index) {
  static constexpr Rgb kPalette[] = {{31, 119, 180}, {255, 127, 14}, {44, 160, 44},  {214, 39, 40},
                                     {148, 103, 189}, {140, 86, 75}, {227, 119, 194}, {127, 127, 127}};
  return kPalette[index % (sizeof kPalette / sizeof kPalette[0])];
}

RenderedPlot render_plot(const PlotSpec& spec) {
  GAN_CHECK(!spec.panels.empty(), ValueError, "render_plot: the plot has no panels");
  GAN_CHECK(spec.width >= 320 && spec.width <= 8192 && spec.panel_height >= 160 && spec.panel_height <= 4096 &&
                spec.panels.size() <= 32,
            ValueError, "render_plot: the image must be 320 to 8192 wide with panels 160 to 4096 high (got ",
            spec.width, " and ", spec.panel_height, ") and have at most 32 panels");
  Range xr;
  std::vector<Range> yr(spec.panels.size());
  for (size_t p = 0; p < spec.panels.size(); ++p) {
    for (const PlotSeries& s : spec.panels[p].series) {
      GAN_CHECK(s.x.size() == s.y.size(), ValueError, "render_plot: series '", s.name, "' has ", s.x.size(),
                " x values and ", s.y.size(), " y values");
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        xr.add(s.x[i]);
        yr[p].add(s.y[i]);
      }
    }
  }
  const int title_band = spec.title.empty() ? 12 : 44, x_label_band = kLineHeight + 16;
  const Canvas canvas(spec.width, title_band + static_cast<int>(spec.panels.size()) * spec.panel_height + x_label_band);
  double x_lo = 0, x_hi = 1;
  const std::vector<double> x_ticks = axis_ticks(xr, &x_lo, &x_hi);
  const std::vector<std::string> x_labels = tick_labels(x_ticks);
  std::vector<std::vector<double>> y_ticks(spec.panels.size());
  std::vector<std::vector<std::string>> y_labels(spec.panels.size());
  std::vector<std::pair<double, double>> y_span(spec.panels.size());
  double label_width = 0;
  for (size_t p = 0; p < spec.panels.size(); ++p) {
    y_ticks[p] = axis_ticks(yr[p], &y_span[p].first, &y_span[p].second);
    y_labels[p] = tick_labels(y_ticks[p]);
    for (const std::string& l : y_labels[p]) label_width = std::max(label_width, canvas.text_width(l, kTextSize));
  }
  if (!spec.title.empty()) canvas.text(spec.width / 2.0, 12, spec.title, kTitleSize, kBlack, 0.5, /*bold=*/true);

  // Room on the right for half of the last x label, which is centred on the edge.
  const int left = static_cast<int>(std::ceil(label_width)) + 20;
  const int right = spec.width - std::max(24, static_cast<int>(canvas.text_width(x_labels.back(), kTextSize) / 2) + 8);
  RenderedPlot out;
  for (size_t p = 0; p < spec.panels.size(); ++p) {
    const PlotPanel& panel = spec.panels[p];
    const int band_top = title_band + static_cast<int>(p) * spec.panel_height;
    PanelLayout area;
    area.left = left;
    area.right = right;
    area.top = band_top + kLineHeight + 14;
    area.bottom = band_top + spec.panel_height - kLineHeight - 16;
    area.x_min = x_lo;
    area.x_max = x_hi;
    area.y_min = y_span[p].first;
    area.y_max = y_span[p].second;
    canvas.text(left, band_top + 6, panel.title, kTextSize, kBlack, 0, /*bold=*/true);

    // Grid, then the frame and tick labels, then the data, then the legend on top.
    for (size_t i = 0; i < x_ticks.size(); ++i) {
      const double x = std::round(area.x_pixel(x_ticks[i]));
      canvas.hairline(x, area.top, x, area.bottom, kGrid);
      canvas.text(x + 0.5, area.bottom + 6, x_labels[i], kTextSize, kText, 0.5);
    }
    for (size_t i = 0; i < y_ticks[p].size(); ++i) {
      const double y = std::round(area.y_pixel(y_ticks[p][i]));
      canvas.hairline(area.left, y, area.right, y, kGrid);
      canvas.text(area.left - 8, y - kLineHeight / 2.0, y_labels[p][i], kTextSize, kText, 1);
    }
    canvas.color(kAxis);
    cairo_set_line_width(canvas.cr(), 1.0);
    cairo_rectangle(canvas.cr(), area.left + 0.5, area.top + 0.5, area.right - area.left, area.bottom - area.top);
    cairo_stroke(canvas.cr());
    if (yr[p].empty())
      canvas.text((area.left + area.right) / 2.0, (area.top + area.bottom - kLineHeight) / 2.0, "no data", kTextSize,
                  kAxis, 0.5);
    for (const PlotSeries& s : panel.series) draw_series(canvas, area, s);
    draw_legend(canvas, area, panel.series);
    out.panels.push_back(area);
  }
  if (!spec.x_label.empty())
    canvas.text((left + right) / 2.0, (title_band + static_cast<int>(spec.panels.size()) * spec.panel_height + x_label_band) - x_label_band + 8, spec.x_label,
                kTextSize, kBlack, 0.5);
  out.image = canvas.image();
  return out;
}

void write_plot_png(const std::string& path, const PlotSpec& spec) { io::write_png(path, render_plot(spec).image); }

// ---- the training log ------------------------------------------------------------------

bool TrainingLog::has(const std::string& name) const {
  return std::find(columns.begin(), columns.end(), name) != columns.end();
}

const std::vector<double>& TrainingLog::column(const std::string& name) const {
  const auto it = std::find(columns.begin(), columns.end(), name);
  GAN_CHECK(it != columns.end(), ValueError, "training log has no column '", name, "'");
  return values[static_cast<size_t>(it - columns.begin())];
}

namespace {

std::string trim(const std::string& s) {
  const size_t b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

std::vector<std::string> split_fields(const std::string& line) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, ',')) fields.push_back(trim(field));
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

}  // namespace

TrainingLog read_training_csv(const std::string& path) {
  std::ifstream in(path);
  GAN_CHECK(in, IoError, "cannot open training log '", path, "': ", std::strerror(errno));
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {  // skip leading blank lines
    ++line_no;
    if (!trim(line).empty()) break;
  }
  GAN_CHECK(!trim(line).empty(), IoError, "training log '", path,
            "' is empty; expected a header line such as step,loss_D,loss_G,D_x,D_G_z");
  TrainingLog log;
  log.columns = split_fields(line);
  std::set<std::string> seen;
  for (const std::string& c : log.columns) {
    GAN_CHECK(!c.empty(), IoError, "training log '", path, "' line ", line_no, ": the header has an empty column name: '",
              trim(line), "'");
    GAN_CHECK(seen.insert(c).second, IoError, "training log '", path, "' line ", line_no, ": column '", c,
              "' appears twice in the header");
  }
  GAN_CHECK(log.has("step"), IoError, "training log '", path, "' has no 'step' column (header: '", trim(line),
            "'); expected a header such as step,loss_D,loss_G,D_x,D_G_z");
  log.values.assign(log.columns.size(), {});
  log.logged.assign(log.columns.size(), {});
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    const std::vector<std::string> fields = split_fields(line);
    GAN_CHECK(fields.size() == log.columns.size(), IoError, "training log '", path, "' line ", line_no, " has ",
              fields.size(), " fields, but the header has ", log.columns.size(), " columns");
    for (size_t c = 0; c < fields.size(); ++c) {
      double v = std::numeric_limits<double>::quiet_NaN();
      log.logged[c].push_back(!fields[c].empty());  // an empty field: not logged at this step
      if (!fields[c].empty()) {
        char* end = nullptr;
        v = std::strtod(fields[c].c_str(), &end);
        GAN_CHECK(end == fields[c].c_str() + fields[c].size(), IoError, "training log '", path, "' line ", line_no,
                  ", column '", log.columns[c], "': '", fields[c], "' is not a number");
      }
      log.values[c].push_back(v);
    }
  }
  return log;
}

PlotSpec training_plot_spec(const TrainingLog& log, const std::string& title) {
  PlotSpec spec;
  spec.title = title;
  const std::vector<double>& step = log.column("step");
  const auto panel_of = [&](const std::string& panel_title, const std::vector<std::string>& names) {
    PlotPanel panel;
    panel.title = panel_title;
    for (const std::string& name : names) {
      if (!log.has(name)) continue;
      // Only the steps where the column was logged: a metric computed every
      // 1000 steps is a connected line, not isolated dots between gaps.
      PlotSeries s{name, {}, {}, series_color(panel.series.size())};
      const std::vector<double>& y = log.column(name);
      const std::vector<bool>& logged = log.logged[static_cast<size_t>(
          std::find(log.columns.begin(), log.columns.end(), name) - log.columns.begin())];
      for (size_t i = 0; i < y.size(); ++i) {
        if (!logged[i]) continue;
        s.x.push_back(step[i]);
        s.y.push_back(y[i]);
      }
      // A column never logged (a metric that was not asked for) gets no panel.
      if (!s.x.empty()) panel.series.push_back(std::move(s));
    }
    if (!panel.series.empty()) spec.panels.push_back(std::move(panel));
  };
  // Columns that share a panel (the DCGAN's, then CycleGAN's pairs); every
  // other column gets a panel of its own.
  static const std::vector<std::pair<std::string, std::vector<std::string>>> kShared = {
      {"losses", {"loss_D", "loss_G"}},
      {"discriminator outputs", {"D_x", "D_G_z"}},
      {"discriminator losses", {"D_A", "D_B"}},
      {"generator adversarial losses", {"G_AB", "G_BA"}},
      {"cycle-consistency L1", {"cycle_A", "cycle_B"}},
      {"identity L1", {"idt_A", "idt_B"}},
  };
  for (const auto& [panel_title, names] : kShared) panel_of(panel_title, names);
  for (const std::string& c : log.columns) {
    bool shared = c == "step";
    for (const auto& group : kShared)
      shared = shared || std::find(group.second.begin(), group.second.end(), c) != group.second.end();
    if (!shared) panel_of(c, {c});
  }
  if (spec.panels.empty()) spec.panels.push_back({"no series besides 'step'", {}});
  return spec;
}

void plot_training_csv(const std::string& csv_path, const std::string& png_path, const std::string& title) {
  write_plot_png(png_path, training_plot_spec(read_training_csv(csv_path), title.empty() ? csv_path : title));
}

}  // namespace gan::app
