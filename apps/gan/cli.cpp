#include "apps/gan/cli.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace gan::app {
namespace {

constexpr size_t kHelpWidth = 80;  // wrap help text for a standard terminal
constexpr size_t kMaxNameColumn = 30;  // longer option names put their help on the next line

std::string join(const std::vector<std::string>& parts, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? sep : "") + parts[i];
  return out;
}

std::vector<std::string> split_words(const std::string& text) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  return words;
}

// Shortest text that reads back as the same double, in plain notation unless
// that gets long: 2e-4 prints "0.0002" (not "2e-04"), 1e-10 prints "1e-10".
std::string format_number(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (res.ec != std::errc() || res.ptr - buf > 10) res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}

// Joins words that wrap() must keep on one line, as in "(default: 64)".
constexpr char kNoBreakSpace = '\x1f';

// Word-wraps `text` to kHelpWidth columns, assuming its first line already
// starts at column `indent`; later lines (also those after a '\n' in the text)
// are indented by `indent` spaces.
std::string wrap(const std::string& text, size_t indent) {
  const size_t width = std::max(kHelpWidth, indent + 20);
  std::string out;
  std::istringstream paragraphs(text);
  bool first_line = true;
  for (std::string para; std::getline(paragraphs, para);) {
    size_t col = indent;
    if (!first_line) out.append("\n").append(indent, ' ');
    first_line = false;
    bool line_empty = true;
    for (const std::string& w : split_words(para)) {
      if (!line_empty && col + 1 + w.size() > width) {
        out.append("\n").append(indent, ' ');
        col = indent;
        line_empty = true;
      }
      if (!line_empty) { out += ' '; ++col; }
      out += w;
      col += w.size();
      line_empty = false;
    }
  }
  std::replace(out.begin(), out.end(), kNoBreakSpace, ' ');
  return out;
}

bool is_help(const std::string& arg) { return arg == "-h" || arg == "--help"; }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

// Parses `text` as the value of option `o`; the UsageError names the option and the text.
OptionValue convert(const OptionSpec& o, const std::string& text, const std::string& command) {
  auto fail = [&](const std::string& why) -> UsageError {
    return UsageError("option '--" + o.name + "' " + why, command);
  };
  auto check_bounds = [&](double v) {
    if (o.min && v < *o.min) throw fail("must be at least " + format_number(*o.min) + ", got '" + text + "'");
    if (o.max && v > *o.max) throw fail("must be at most " + format_number(*o.max) + ", got '" + text + "'");
  };
  const char* begin = text.data();
  const char* end = begin + text.size();
  switch (o.kind) {
    case OptionKind::Flag:
      return true;
    case OptionKind::String:
      return text;
    case OptionKind::Choice:
      if (std::find(o.choices.begin(), o.choices.end(), text) == o.choices.end())
        throw fail("must be one of " + join(o.choices, ", ") + "; got '" + text + "'");
      return text;
    case OptionKind::Int: {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(begin, end, v);
      if (ec == std::errc::result_out_of_range) throw fail("value '" + text + "' is out of range");
      if (ec != std::errc() || ptr != end) throw fail("expects an integer, got '" + text + "'");
      check_bounds(static_cast<double>(v));
      return v;
    }
    case OptionKind::Double: {
      double v = 0;
      auto [ptr, ec] = std::from_chars(begin, end, v);
      if (ec == std::errc::result_out_of_range) throw fail("value '" + text + "' is out of range");
      // from_chars accepts "inf" and "nan"; neither is a sensible hyper-parameter.
      if (ec != std::errc() || ptr != end || !std::isfinite(v))
        throw fail("expects a number, got '" + text + "'");
      check_bounds(v);
      return v;
    }
  }
  throw std::logic_error("unhandled option kind");
}

std::string unknown_message(const std::string& what, const std::string& shown,
                            const std::string& word, const std::vector<std::string>& known,
                            const std::string& prefix) {
  std::string msg = "unknown " + what + " '" + shown + "'";
  if (auto near = nearest(word, known)) return msg + "; did you mean '" + prefix + *near + "'?";
  std::vector<std::string> listed;
  for (const auto& k : known) listed.push_back(prefix + k);
  return msg + "; expected one of: " + join(listed, ", ");
}

}  // namespace

// ---- suggestions ---------------------------------------------------------------------

int edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<int>> d(n + 1, std::vector<int>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = static_cast<int>(i);
  for (size_t j = 0; j <= m; ++j) d[0][j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[n][m];
}

std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates) {
  const std::string w = lower(word);
  if (w.empty()) return std::nullopt;  // "--" alone is close to every short name
  // A truncated name ("--batch") is far from its full form by edit distance
  // but obviously meant it; prefer the shortest such extension.
  std::optional<std::string> best;
  if (w.size() >= 2) {
    for (const auto& c : candidates)
      if (lower(c).starts_with(w) && (!best || c.size() < best->size())) best = c;
    if (best) return best;
  }
  // Allow about one typo per three characters, so short names do not match everything.
  int best_d = std::clamp(static_cast<int>(w.size()) / 3, 1, 3) + 1;
  for (const auto& c : candidates) {
    const int d = edit_distance(w, lower(c));
    if (d < best_d) best_d = d, best = c;
  }
  return best;
}

// ---- CommandSpec ----------------------------------------------------------------------

CommandSpec::CommandSpec(const std::string& path, std::string summary, std::string description)
    : path_(split_words(path)), summary_(std::move(summary)), description_(std::move(description)) {
  if (path_.empty() || path_.size() > 2)
    throw std::logic_error("command path must be one or two words, got '" + path + "'");
}

std::string CommandSpec::path_string() const { return join(path_, " "); }

OptionSpec& CommandSpec::add(OptionSpec o) {
  if (o.name.empty() || o.name.starts_with("-") || o.name.find_first_of("= ") != std::string::npos)
    throw std::logic_error("bad option name '" + o.name + "'");
  if (o.name == "help" || o.name == "h")
    throw std::logic_error("option --help is built in");
  if (find(o.name)) throw std::logic_error("option --" + o.name + " declared twice");
  options_.push_back(std::move(o));
  return options_.back();
}

OptionSpec& CommandSpec::add(std::string name, OptionKind kind, std::string value_name, std::string help,
                             std::string default_value) {
  OptionSpec o;
  o.name = std::move(name);
  o.kind = kind;
  o.value_name = std::move(value_name);
  o.help = std::move(help);
  o.default_value = std::move(default_value);
  return add(std::move(o));
}

OptionSpec& CommandSpec::add_flag(std::string name, std::string help) {
  return add(std::move(name), OptionKind::Flag, "", std::move(help), "");
}

OptionSpec& CommandSpec::add_string(std::string name, std::string value_name, std::string help,
                                    std::string default_value) {
  return add(std::move(name), OptionKind::String, std::move(value_name), std::move(help),
             std::move(default_value));
}

OptionSpec& CommandSpec::add_int(std::string name, std::string value_name, std::string help,
                                 int64_t default_value) {
  return add(std::move(name), OptionKind::Int, std::move(value_name), std::move(help),
             std::to_string(default_value));
}

OptionSpec& CommandSpec::add_double(std::string name, std::string value_name, std::string help,
                                    double default_value) {
  return add(std::move(name), OptionKind::Double, std::move(value_name), std::move(help),
             format_number(default_value));
}

OptionSpec& CommandSpec::add_choice(std::string name, std::vector<std::string> choices,
                                    std::string help, std::string default_value) {
  OptionSpec& o = add(std::move(name), OptionKind::Choice, join(choices, "|"), std::move(help),
                      std::move(default_value));
  o.choices = std::move(choices);
  return o;
}

const OptionSpec* CommandSpec::find(const std::string& name) const {
  for (const auto& o : options_)
    if (o.name == name) return &o;
  return nullptr;
}

std::string CommandSpec::help(const std::string& program) const {
  std::ostringstream out;
  out << "usage: " << program << ' ' << path_string();
  for (const auto& o : options_)
    if (o.is_required) out << " --" << o.name << ' ' << o.value_name;
  out << " [options]\n\n" << wrap(summary_, 0) << "\n";
  if (!description_.empty()) out << "\n" << wrap(description_, 0) << "\n";

  // Option table: "  --name VALUE" left, help right, aligned on one column.
  std::vector<std::pair<std::string, std::string>> rows;
  for (const auto& o : options_) {
    std::string left = "  --" + o.name + (o.kind == OptionKind::Flag ? "" : " " + o.value_name);
    std::string right = o.help;
    if (o.is_required) right += " (required)";
    else if (o.kind != OptionKind::Flag && !o.default_value.empty())
      right += std::string(" (default:") + kNoBreakSpace + o.default_value + ")";
    rows.emplace_back(std::move(left), std::move(right));
  }
  rows.emplace_back("  -h, --help", "show this help and exit");
  size_t column = 0;
  for (const auto& [left, right] : rows)
    if (left.size() + 2 <= kMaxNameColumn) column = std::max(column, left.size() + 2);
  out << "\noptions:\n";
  for (const auto& [left, right] : rows) {
    out << left;
    if (left.size() + 2 > column) out << "\n" << std::string(column, ' ');
    else out << std::string(column - left.size(), ' ');
    out << wrap(right, column) << "\n";
  }
  return out.str();
}

// ---- ParsedArgs ----------------------------------------------------------------------

const OptionValue& ParsedArgs::value(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end())
    throw std::logic_error("option --" + name + " is not declared by command '" + command_ + "'");
  return it->second;
}

bool ParsedArgs::has(const std::string& name) const {
  value(name);  // an undeclared name is a bug, not "absent"
  return given_.count(name) > 0;
}

// Each getter insists on its own type: get_int on a double option is a bug in the app.
template <typename T>
static const T& typed(const OptionValue& v, const std::string& name, const char* getter) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw std::logic_error(std::string(getter) + "(\"" + name + "\"): option has another type");
}

bool ParsedArgs::get_flag(const std::string& name) const { return typed<bool>(value(name), name, "get_flag"); }
int64_t ParsedArgs::get_int(const std::string& name) const { return typed<int64_t>(value(name), name, "get_int"); }
double ParsedArgs::get_double(const std::string& name) const { return typed<double>(value(name), name, "get_double"); }
const std::string& ParsedArgs::get_string(const std::string& name) const {
  return typed<std::string>(value(name), name, "get_string");
}

// ---- Cli -------------------------------------------------------------------------------

Cli::Cli(std::string program, std::string summary, std::string version)
    : program_(std::move(program)), summary_(std::move(summary)), version_(std::move(version)) {}

Cli& Cli::add(CommandSpec spec, Handler handler) {
  const auto& path = spec.path();
  for (const auto& e : commands_) {
    const auto& other = e.spec.path();
    if (other == path) throw std::logic_error("command '" + spec.path_string() + "' added twice");
    // "gan classifier" cannot be both a command and a group of commands.
    if (other[0] == path[0] && other.size() != path.size())
      throw std::logic_error("'" + path[0] + "' is used both as a command and as a group");
  }
  // Defaults go through the same conversion as typed values, so a default
  // outside its own bounds or choices is caught here rather than at the user.
  for (const auto& o : spec.options()) {
    if (o.is_required && !o.default_value.empty())
      throw std::logic_error("required option --" + o.name + " has a default");
    if (o.kind == OptionKind::Choice && !o.is_required && o.default_value.empty())
      throw std::logic_error("choice option --" + o.name + " needs a default");
    if (o.kind == OptionKind::Flag || o.default_value.empty()) continue;
    try {
      convert(o, o.default_value, spec.path_string());
    } catch (const UsageError& e) {
      throw std::logic_error("bad default for '" + spec.path_string() + "': " + e.what());
    }
  }
  commands_.push_back({std::move(spec), std::move(handler)});
  return *this;
}

// "  name    summary" rows for the commands whose path starts with `group` (all when empty).
std::string Cli::command_table(const std::string& group) const {
  size_t column = 0;
  for (const auto& e : commands_) column = std::max(column, e.spec.path_string().size() + 4);
  std::string out;
  for (const auto& e : commands_) {
    if (!group.empty() && e.spec.path()[0] != group) continue;
    const std::string name = e.spec.path_string();
    out += "  " + name + std::string(column - 2 - name.size(), ' ') + wrap(e.spec.summary(), column) + "\n";
  }
  return out;
}

std::string Cli::help() const {
  return "usage: " + program_ + " <command> [options]\n\n" + wrap(summary_, 0) + "\n\ncommands:\n" +
         command_table("") +
         "\noptions:\n"
         "  -h, --help   show this help and exit\n"
         "  --version    print the version and exit\n"
         "\nrun '" + program_ + " <command> --help' for the options of a command.\n";
}

std::string Cli::group_help(const std::string& group) const {
  return "usage: " + program_ + " " + group + " <command> [options]\n\ncommands:\n" + command_table(group);
}

Invocation Cli::parse(int argc, const char* const* argv) const {
  return parse(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

Invocation Cli::parse(const std::vector<std::string>& args) const {
  Invocation inv;
  std::vector<std::string> first_words;
  for (const auto& e : commands_)
    if (std::find(first_words.begin(), first_words.end(), e.spec.path()[0]) == first_words.end())
      first_words.push_back(e.spec.path()[0]);

  if (args.empty())
    throw UsageError("no command given; expected one of: " + join(first_words, ", "));
  const std::string& first = args[0];
  if (is_help(first)) return {help(), {}, {}};
  if (first == "--version") return {program_ + " " + version_ + "\n", {}, {}};
  if (first.starts_with("-"))
    throw UsageError("unknown option '" + first + "' before the command; usage: " + program_ +
                     " <command> [options]");

  std::vector<const Entry*> matches;  // commands whose first word is `first`
  for (const auto& e : commands_)
    if (e.spec.path()[0] == first) matches.push_back(&e);
  if (matches.empty()) throw UsageError(unknown_message("command", first, first, first_words, ""));

  const Entry* entry = matches[0];
  size_t used = 1;
  if (entry->spec.path().size() == 2) {  // `first` names a group: the next word picks the command
    std::vector<std::string> second_words;
    for (const Entry* m : matches) second_words.push_back(m->spec.path()[1]);
    if (args.size() < 2 || args[1].starts_with("-")) {
      if (std::any_of(args.begin() + 1, args.end(), is_help)) return {group_help(first), {}, {}};
      throw UsageError("'" + first + "' needs a command: " + join(second_words, ", "), first);
    }
    entry = nullptr;
    for (const Entry* m : matches)
      if (m->spec.path()[1] == args[1]) entry = m;
    if (!entry)
      throw UsageError(unknown_message("command", first + " " + args[1], args[1], second_words, first + " "),
                       first);
    used = 2;
  }

  const std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(used), args.end());
  // --help anywhere wins, even after a malformed option: someone asking for help
  // wants the option list, not an error about the line they are trying to fix.
  if (std::any_of(rest.begin(), rest.end(), is_help)) return {entry->spec.help(program_), {}, {}};
  return {"", entry->handler, parse_options(entry->spec, rest)};
}

ParsedArgs Cli::parse_options(const CommandSpec& spec, const std::vector<std::string>& args) const {
  const std::string cmd = spec.path_string();
  std::vector<std::string> names;
  for (const auto& o : spec.options()) names.push_back(o.name);

  ParsedArgs out;
  out.command_ = cmd;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("-") || arg == "-")
      throw UsageError("unexpected argument '" + arg + "'; options are written --name value", cmd);
    if (!arg.starts_with("--")) {  // "-lr": only -h is a short option
      std::string word = arg.substr(1, arg.find('=') - 1);
      throw UsageError(unknown_message("option", arg, word, names, "--"), cmd);
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const OptionSpec* o = spec.find(name);
    if (!o) throw UsageError(unknown_message("option", "--" + name, name, names, "--"), cmd);
    if (out.given_.count(name)) throw UsageError("option '--" + name + "' given more than once", cmd);
    out.given_.insert(name);

    if (o->kind == OptionKind::Flag) {
      if (eq != std::string::npos) throw UsageError("option '--" + name + "' is a flag and takes no value", cmd);
      out.values_[name] = true;
      continue;
    }
    std::string text;
    if (eq != std::string::npos) {
      text = arg.substr(eq + 1);
    } else if (i + 1 < args.size() && !args[i + 1].starts_with("--")) {
      text = args[++i];  // a single dash may start a value: --lr -1 is a bad value, not a missing one
    } else {
      throw UsageError("option '--" + name + "' needs a value (--" + name + " " + o->value_name + ")", cmd);
    }
    if (text.empty()) throw UsageError("option '--" + name + "' has an empty value", cmd);
    out.values_[name] = convert(*o, text, cmd);
  }

  for (const auto& o : spec.options()) {
    if (out.values_.count(o.name)) continue;
    if (o.is_required) throw UsageError("missing required option '--" + o.name + " " + o.value_name + "'", cmd);
    out.values_[o.name] = o.kind == OptionKind::Flag ? OptionValue(false)
                          : o.default_value.empty()  ? OptionValue(std::string())
                                                     : convert(o, o.default_value, cmd);
  }
  return out;
}

}  // namespace gan::app
