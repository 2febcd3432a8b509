#include "apps/gan/plot.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "core/error.h"
#include "core/io/png_grid.h"

namespace gan::app {

// ---- the bitmap font ---------------------------------------------------------------
//
// Each glyph is a 5 x 9 cell: rows 0-6 hold capitals, digits and ascenders
// (the baseline is under row 6), rows 7-8 the descenders of g, j, p, q, y and
// the comma/underscore. Missing trailing rows are blank.

namespace {

struct Glyph {
  char c;
  const char* rows[kGlyphHeight];
};

// clang-format off
constexpr Glyph kFont[] = {
  {'0', {" ### ", "#   #", "#  ##", "# # #", "##  #", "#   #", " ### "}},
  {'1', {"  #  ", " ##  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
  {'2', {" ### ", "#   #", "    #", "   # ", "  #  ", " #   ", "#####"}},
  {'3', {"#####", "   # ", "  #  ", "   # ", "    #", "#   #", " ### "}},
  {'4', {"   # ", "  ## ", " # # ", "#  # ", "#####", "   # ", "   # "}},
  {'5', {"#####", "#    ", "#### ", "    #", "    #", "#   #", " ### "}},
  {'6', {"  ## ", " #   ", "#    ", "#### ", "#   #", "#   #", " ### "}},
  {'7', {"#####", "    #", "   # ", "  #  ", " #   ", " #   ", " #   "}},
  {'8', {" ### ", "#   #", "#   #", " ### ", "#   #", "#   #", " ### "}},
  {'9', {" ### ", "#   #", "#   #", " ####", "    #", "   # ", " ##  "}},
  {'A', {" ### ", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
  {'B', {"#### ", "#   #", "#   #", "#### ", "#   #", "#   #", "#### "}},
  {'C', {" ### ", "#   #", "#    ", "#    ", "#    ", "#   #", " ### "}},
  {'D', {"#### ", "#   #", "#   #", "#   #", "#   #", "#   #", "#### "}},
  {'E', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#####"}},
  {'F', {"#####", "#    ", "#    ", "#### ", "#    ", "#    ", "#    "}},
  {'G', {" ### ", "#   #", "#    ", "# ###", "#   #", "#   #", " ####"}},
  {'H', {"#   #", "#   #", "#   #", "#####", "#   #", "#   #", "#   #"}},
  {'I', {" ### ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
  {'J', {"  ###", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
  {'K', {"#   #", "#  # ", "# #  ", "##   ", "# #  ", "#  # ", "#   #"}},
  {'L', {"#    ", "#    ", "#    ", "#    ", "#    ", "#    ", "#####"}},
  {'M', {"#   #", "## ##", "# # #", "# # #", "#   #", "#   #", "#   #"}},
  {'N', {"#   #", "#   #", "##  #", "# # #", "#  ##", "#   #", "#   #"}},
  {'O', {" ### ", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
  {'P', {"#### ", "#   #", "#   #", "#### ", "#    ", "#    ", "#    "}},
  {'Q', {" ### ", "#   #", "#   #", "#   #", "# # #", "#  # ", " ## #"}},
  {'R', {"#### ", "#   #", "#   #", "#### ", "# #  ", "#  # ", "#   #"}},
  {'S', {" ####", "#    ", "#    ", " ### ", "    #", "    #", "#### "}},
  {'T', {"#####", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
  {'U', {"#   #", "#   #", "#   #", "#   #", "#   #", "#   #", " ### "}},
  {'V', {"#   #", "#   #", "#   #", "#   #", "#   #", " # # ", "  #  "}},
  {'W', {"#   #", "#   #", "#   #", "# # #", "# # #", "# # #", " # # "}},
  {'X', {"#   #", "#   #", " # # ", "  #  ", " # # ", "#   #", "#   #"}},
  {'Y', {"#   #", "#   #", " # # ", "  #  ", "  #  ", "  #  ", "  #  "}},
  {'Z', {"#####", "    #", "   # ", "  #  ", " #   ", "#    ", "#####"}},
  {'a', {"     ", "     ", " ### ", "    #", " ####", "#   #", " ####"}},
  {'b', {"#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#### "}},
  {'c', {"     ", "     ", " ### ", "#    ", "#    ", "#   #", " ### "}},
  {'d', {"    #", "    #", " ## #", "#  ##", "#   #", "#   #", " ####"}},
  {'e', {"     ", "     ", " ### ", "#   #", "#####", "#    ", " ### "}},
  {'f', {"  ## ", " #  #", " #   ", "###  ", " #   ", " #   ", " #   "}},
  {'g', {"     ", "     ", " ####", "#   #", "#   #", "#   #", " ####", "    #", " ### "}},
  {'h', {"#    ", "#    ", "# ## ", "##  #", "#   #", "#   #", "#   #"}},
  {'i', {"  #  ", "     ", " ##  ", "  #  ", "  #  ", "  #  ", " ### "}},
  {'j', {"   # ", "     ", "  ## ", "   # ", "   # ", "   # ", "   # ", "#  # ", " ##  "}},
  {'k', {"#    ", "#    ", "#  # ", "# #  ", "##   ", "# #  ", "#  # "}},
  {'l', {" ##  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", " ### "}},
  {'m', {"     ", "     ", "## # ", "# # #", "# # #", "#   #", "#   #"}},
  {'n', {"     ", "     ", "# ## ", "##  #", "#   #", "#   #", "#   #"}},
  {'o', {"     ", "     ", " ### ", "#   #", "#   #", "#   #", " ### "}},
  {'p', {"     ", "     ", "#### ", "#   #", "#   #", "#   #", "#### ", "#    ", "#    "}},
  {'q', {"     ", "     ", " ####", "#   #", "#   #", "#   #", " ####", "    #", "    #"}},
  {'r', {"     ", "     ", "# ## ", "##  #", "#    ", "#    ", "#    "}},
  {'s', {"     ", "     ", " ####", "#    ", " ### ", "    #", "#### "}},
  {'t', {" #   ", " #   ", "###  ", " #   ", " #   ", " #  #", "  ## "}},
  {'u', {"     ", "     ", "#   #", "#   #", "#   #", "#  ##", " ## #"}},
  {'v', {"     ", "     ", "#   #", "#   #", "#   #", " # # ", "  #  "}},
  {'w', {"     ", "     ", "#   #", "#   #", "# # #", "# # #", " # # "}},
  {'x', {"     ", "     ", "#   #", " # # ", "  #  ", " # # ", "#   #"}},
  {'y', {"     ", "     ", "#   #", "#   #", "#   #", "#   #", " ####", "    #", " ### "}},
  {'z', {"     ", "     ", "#####", "   # ", "  #  ", " #   ", "#####"}},
  {'.', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  "}},
  {',', {"     ", "     ", "     ", "     ", "     ", " ##  ", " ##  ", "  #  ", " #   "}},
  {'-', {"     ", "     ", "     ", " ### ", "     ", "     ", "     "}},
  {'+', {"     ", "  #  ", "  #  ", "#####", "  #  ", "  #  ", "     "}},
  {'_', {"     ", "     ", "     ", "     ", "     ", "     ", "     ", "#####"}},
  {':', {"     ", "     ", " ##  ", " ##  ", "     ", " ##  ", " ##  "}},
  {'/', {"    #", "    #", "   # ", "  #  ", " #   ", "#    ", "#    "}},
  {'(', {"   # ", "  #  ", " #   ", " #   ", " #   ", "  #  ", "   # "}},
  {')', {" #   ", "  #  ", "   # ", "   # ", "   # ", "  #  ", " #   "}},
  {'[', {" ### ", " #   ", " #   ", " #   ", " #   ", " #   ", " ### "}},
  {']', {" ### ", "   # ", "   # ", "   # ", "   # ", "   # ", " ### "}},
  {'%', {"##   ", "##  #", "   # ", "  #  ", " #   ", "#  ##", "   ##"}},
  {'=', {"     ", "     ", "#####", "     ", "#####", "     ", "     "}},
  {'<', {"   # ", "  #  ", " #   ", "#    ", " #   ", "  #  ", "   # "}},
  {'>', {" #   ", "  #  ", "   # ", "    #", "   # ", "  #  ", " #   "}},
  {'*', {"     ", "# # #", " ### ", "#####", " ### ", "# # #", "     "}},
  {'!', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "     ", "  #  "}},
  {'?', {" ### ", "#   #", "    #", "   # ", "  #  ", "     ", "  #  "}},
  {'\'', {"  #  ", "  #  ", " #   "}},
  {'|', {"  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  ", "  #  "}},
  {' ', {}},
};
// clang-format on

// Drawn for characters the font lacks, so they show up as visibly wrong.
constexpr Glyph kMissingGlyph = {'\0', {"#####", "#   #", "#   #", "#   #", "#   #", "#   #", "#####"}};

const Glyph& glyph_for(char c) {
  for (const Glyph& g : kFont) {
    if (g.c == c) return g;
  }
  return kMissingGlyph;
}

void set_pixel(io::Image& image, int x, int y, Rgb color) {
  if (x < 0 || y < 0 || x >= image.width || y >= image.height) return;
  uint8_t* p = image.pixels.data() + (static_cast<size_t>(y) * image.width + x) * 3;
  p[0] = color.r;
  p[1] = color.g;
  p[2] = color.b;
}

void fill_rect(io::Image& image, int x0, int y0, int x1, int y1, Rgb color) {
  for (int y = std::max(y0, 0); y <= std::min(y1, image.height - 1); ++y)
    for (int x = std::max(x0, 0); x <= std::min(x1, image.width - 1); ++x) set_pixel(image, x, y, color);
}

}  // namespace

bool font_has_glyph(char c) { return &glyph_for(c) != &kMissingGlyph; }

int text_width(const std::string& text, int scale) {
  if (text.empty()) return 0;
  return static_cast<int>(text.size()) * (kGlyphWidth + 1) * scale - scale;
}

void draw_text(io::Image& image, int x, int y, const std::string& text, Rgb color, int scale) {
  for (size_t i = 0; i < text.size(); ++i) {
    const Glyph& g = glyph_for(text[i]);
    const int gx = x + static_cast<int>(i) * (kGlyphWidth + 1) * scale;
    for (int r = 0; r < kGlyphHeight; ++r) {
      if (!g.rows[r]) continue;
      for (int c = 0; c < kGlyphWidth && g.rows[r][c]; ++c) {
        if (g.rows[r][c] != ' ') fill_rect(image, gx + c * scale, y + r * scale, gx + (c + 1) * scale - 1,
                                           y + (r + 1) * scale - 1, color);
      }
    }
  }
}

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
constexpr int kTextScale = 2;
constexpr int kTitleScale = 3;
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

// A line of width 2 from (x0, y0) to (x1, y1), clipped to the panel area.
void draw_line(io::Image& image, const PanelLayout& area, double x0, double y0, double x1, double y1, Rgb color) {
  const int steps = static_cast<int>(std::ceil(std::max(std::abs(x1 - x0), std::abs(y1 - y0)))) + 1;
  for (int i = 0; i <= steps; ++i) {
    const double t = static_cast<double>(i) / steps;
    const int x = static_cast<int>(std::lround(x0 + (x1 - x0) * t));
    const int y = static_cast<int>(std::lround(y0 + (y1 - y0) * t));
    for (int py = y; py <= y + 1; ++py)
      for (int px = x; px <= x + 1; ++px) {
        if (px >= area.left && px <= area.right && py >= area.top && py <= area.bottom) set_pixel(image, px, py, color);
      }
  }
}

void draw_dot(io::Image& image, const PanelLayout& area, double x, double y, Rgb color) {
  const int cx = static_cast<int>(std::lround(x)), cy = static_cast<int>(std::lround(y));
  fill_rect(image, std::max(cx - 2, area.left), std::max(cy - 2, area.top), std::min(cx + 2, area.right),
            std::min(cy + 2, area.bottom), color);
}

void draw_series(io::Image& image, const PanelLayout& area, const PlotSeries& s) {
  const auto finite = [&](size_t i) { return std::isfinite(s.x[i]) && std::isfinite(s.y[i]); };
  const auto px = [&](size_t i) { return area.x_pixel(s.x[i]); };
  const auto py = [&](size_t i) { return area.y_pixel(s.y[i]); };
  for (size_t i = 0; i < s.x.size(); ++i) {
    if (!finite(i)) continue;
    const bool prev = i > 0 && finite(i - 1), next = i + 1 < s.x.size() && finite(i + 1);
    if (next) draw_line(image, area, px(i), py(i), px(i + 1), py(i + 1), s.color);
    if (!prev && !next) draw_dot(image, area, px(i), py(i), s.color);  // an isolated point
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
void draw_legend(io::Image& image, const PanelLayout& area, const std::vector<PlotSeries>& series) {
  if (series.empty()) return;
  std::vector<std::string> names;
  int widest = 0;
  for (const PlotSeries& s : series) {
    const int64_t bad = count_non_finite(s);
    names.push_back(bad > 0 ? s.name + " (" + std::to_string(bad) + " NaN/Inf)" : s.name);
    widest = std::max(widest, text_width(names.back(), kTextScale));
  }
  const int row = kGlyphHeight * kTextScale + 6, sample = 28, pad = 8, margin = 8;
  const int w = pad + sample + 8 + widest + pad, h = pad + row * static_cast<int>(series.size()) + pad - 6;
  int x0 = area.right - w - margin, y0 = area.top + margin;  // top right unless another corner is emptier
  int64_t best = -1;
  for (const auto& [cx, cy] : {std::pair{area.right - w - margin, area.top + margin},
                               std::pair{area.left + margin, area.top + margin},
                               std::pair{area.right - w - margin, area.bottom - h - margin},
                               std::pair{area.left + margin, area.bottom - h - margin}}) {
    const int64_t hidden = points_inside(area, series, cx, cy, cx + w, cy + h);
    if (best < 0 || hidden < best) {
      best = hidden;
      x0 = cx;
      y0 = cy;
    }
  }
  fill_rect(image, x0, y0, x0 + w, y0 + h, kWhite);
  for (int x = x0; x <= x0 + w; ++x) set_pixel(image, x, y0, kAxis), set_pixel(image, x, y0 + h, kAxis);
  for (int y = y0; y <= y0 + h; ++y) set_pixel(image, x0, y, kAxis), set_pixel(image, x0 + w, y, kAxis);
  for (size_t i = 0; i < series.size(); ++i) {
    const int y = y0 + pad + static_cast<int>(i) * row;
    const int mid = y + 3 * kTextScale;  // about the middle of a capital
    fill_rect(image, x0 + pad, mid, x0 + pad + sample, mid + 1, series[i].color);
    draw_text(image, x0 + pad + sample + 8, y, names[i], kText, kTextScale);
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
  GAN_CHECK(spec.width >= 320 && spec.panel_height >= 160 && spec.panels.size() <= 32, ValueError,
            "render_plot: the image must be at least 320 wide with panels at least 160 high (got ", spec.width, " and ",
            spec.panel_height, ") and have at most 32 panels");
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
  double x_lo = 0, x_hi = 1;
  const std::vector<double> x_ticks = axis_ticks(xr, &x_lo, &x_hi);
  const std::vector<std::string> x_labels = tick_labels(x_ticks);
  std::vector<std::vector<double>> y_ticks(spec.panels.size());
  std::vector<std::vector<std::string>> y_labels(spec.panels.size());
  std::vector<std::pair<double, double>> y_span(spec.panels.size());
  int label_width = 0;
  for (size_t p = 0; p < spec.panels.size(); ++p) {
    y_ticks[p] = axis_ticks(yr[p], &y_span[p].first, &y_span[p].second);
    y_labels[p] = tick_labels(y_ticks[p]);
    for (const std::string& l : y_labels[p]) label_width = std::max(label_width, text_width(l, kTextScale));
  }

  const int char_h = kGlyphHeight * kTextScale;
  const int title_band = spec.title.empty() ? 12 : kGlyphHeight * kTitleScale + 24;
  const int x_label_band = char_h + 16;
  RenderedPlot out;
  io::Image& img = out.image;
  img.width = spec.width;
  img.height = title_band + static_cast<int>(spec.panels.size()) * spec.panel_height + x_label_band;
  img.channels = 3;
  img.pixels.assign(static_cast<size_t>(img.width) * img.height * 3, 255);
  if (!spec.title.empty()) {
    draw_text(img, (img.width - text_width(spec.title, kTitleScale)) / 2, 12, spec.title, kBlack, kTitleScale);
  }

  // Room on the right for half of the last x label, which is centred on the edge.
  const int left = label_width + 20, right = img.width - std::max(24, text_width(x_labels.back(), kTextScale) / 2 + 8);
  for (size_t p = 0; p < spec.panels.size(); ++p) {
    const PlotPanel& panel = spec.panels[p];
    const int band_top = title_band + static_cast<int>(p) * spec.panel_height;
    PanelLayout area;
    area.left = left;
    area.right = right;
    area.top = band_top + char_h + 14;
    area.bottom = band_top + spec.panel_height - char_h - 16;
    area.x_min = x_lo;
    area.x_max = x_hi;
    area.y_min = y_span[p].first;
    area.y_max = y_span[p].second;
    draw_text(img, left, band_top + 6, panel.title, kBlack, kTextScale);

    // Grid, then the frame and tick labels, then the data, then the legend on top.
    for (size_t i = 0; i < x_ticks.size(); ++i) {
      const int x = static_cast<int>(std::lround(area.x_pixel(x_ticks[i])));
      for (int y = area.top; y <= area.bottom; ++y) set_pixel(img, x, y, kGrid);
      draw_text(img, x - text_width(x_labels[i], kTextScale) / 2, area.bottom + 8, x_labels[i], kText, kTextScale);
    }
    for (size_t i = 0; i < y_ticks[p].size(); ++i) {
      const int y = static_cast<int>(std::lround(area.y_pixel(y_ticks[p][i])));
      for (int x = area.left; x <= area.right; ++x) set_pixel(img, x, y, kGrid);
      draw_text(img, area.left - 10 - text_width(y_labels[p][i], kTextScale), y - 3 * kTextScale, y_labels[p][i],
                kText, kTextScale);
    }
    for (int x = area.left; x <= area.right; ++x) set_pixel(img, x, area.top, kAxis), set_pixel(img, x, area.bottom, kAxis);
    for (int y = area.top; y <= area.bottom; ++y) set_pixel(img, area.left, y, kAxis), set_pixel(img, area.right, y, kAxis);
    if (yr[p].empty()) {
      const std::string msg = "no data";
      draw_text(img, (area.left + area.right - text_width(msg, kTextScale)) / 2, (area.top + area.bottom - char_h) / 2,
                msg, kAxis, kTextScale);
    }
    for (const PlotSeries& s : panel.series) draw_series(img, area, s);
    draw_legend(img, area, panel.series);
    out.panels.push_back(area);
  }
  if (!spec.x_label.empty()) {
    draw_text(img, (left + right - text_width(spec.x_label, kTextScale)) / 2, img.height - x_label_band + 4,
              spec.x_label, kBlack, kTextScale);
  }
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
