// The command line on CLI11 (see cli.h): the command table as a CLI::App, the
// strict conversion of values, "did you mean" for typos, help layout, and the
// config files that --config reads and training runs write.
#include "apps/gan/cli.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace gan::app {

std::string format_number(double v) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (res.ec != std::errc() || res.ptr - buf > 10) res = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, res.ptr);
}
namespace {

constexpr size_t kHelpWidth = 80;   // wrap help text for a standard terminal
constexpr size_t kNameColumn = 30;  // longer option names put their help on the next line
constexpr char kNoBreakSpace = '\x1f';  // joins words that wrap() keeps on one line: "(default: 64)"
const std::string kConfig = "config";

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


// `text` word-wrapped into lines of at most `width` columns, joined by '\n'
// (a '\n' in the text also starts a line); the caller indents them.
std::string wrap(const std::string& text, size_t width) {
  std::string out;
  std::istringstream paragraphs(text);
  bool first = true;
  for (std::string para; std::getline(paragraphs, para); first = false) {
    if (!first) out += '\n';
    size_t col = 0;
    for (const std::string& w : split_words(para)) {
      if (col > 0 && col + 1 + w.size() > width) out += '\n', col = 0;
      if (col > 0) out += ' ', ++col;
      out += w;
      col += w.size();
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

// Parses `text` as the value of `o`. `what` names where it came from in
// errors: "option '--lr'" or "config file 'F', key 'lr'". On the command line
// a flag has no value (CLI11 hands "true") and a value is never empty; in a
// file a flag is true or false and a string may be empty.
OptionValue convert(const OptionSpec& o, const std::string& text, const std::string& what, const std::string& command,
                    bool from_file) {
  auto fail = [&](const std::string& why) { return UsageError(what + " " + why, command); };
  if (o.kind == OptionKind::Flag) {
    if (text == "true" || (from_file && text == "false")) return text == "true";
    throw fail(from_file ? "expects true or false, got '" + text + "'" : "is a flag and takes no value");
  }
  if (!from_file && text.empty()) throw fail("has an empty value");
  // CLI11 takes the word after an option as its value even when it is another
  // option (--out --lr 1); a single dash may start a value (--lr -1).
  if (!from_file && text.starts_with("--")) throw fail("needs a value (--" + o.name + " " + o.value_name + ")");
  auto check_bounds = [&](double v) {
    if (o.min && v < *o.min) throw fail("must be at least " + format_number(*o.min) + ", got '" + text + "'");
    if (o.max && v > *o.max) throw fail("must be at most " + format_number(*o.max) + ", got '" + text + "'");
  };
  const char* begin = text.data();
  const char* end = begin + text.size();
  switch (o.kind) {
    case OptionKind::Flag:
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
      if (ec != std::errc() || ptr != end || !std::isfinite(v)) throw fail("expects a number, got '" + text + "'");
      check_bounds(v);
      return v;
    }
  }
  throw std::logic_error("unhandled option kind");
}

std::string unknown_message(const std::string& what, const std::string& shown, const std::string& word,
                            const std::vector<std::string>& known, const std::string& prefix) {
  std::string msg = "unknown " + what + " '" + shown + "'";
  if (auto near = nearest(word, known)) return msg + "; did you mean '" + prefix + *near + "'?";
  std::vector<std::string> listed;
  for (const auto& k : known) listed.push_back(prefix + k);
  return msg + "; expected one of: " + join(listed, ", ");
}

// A value as TOML that CLI11's reader gives back as the same text.
std::string toml_literal(const OptionValue& v) {
  if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
  if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
  if (const double* d = std::get_if<double>(&v)) return format_number(*d);
  const std::string& s = std::get<std::string>(v);
  const char quote = s.find('"') == std::string::npos ? '"' : '\'';
  return quote + s + quote;
}

std::vector<std::string> option_names(const CommandSpec& spec) {
  std::vector<std::string> names;
  for (const auto& o : spec.options()) names.push_back(o.name);
  return names;
}

// The command a CLI11 app stands for, below the program: "classifier train".
std::string path_of(const CLI::App* app) {
  std::string path;
  for (; app->get_parent() != nullptr; app = app->get_parent())
    path = app->get_name() + (path.empty() ? "" : " " + path);
  return path;
}

// The innermost command the parse reached.
const CLI::App* deepest(const CLI::App* app) {
  const std::vector<CLI::App*> parsed = app->get_subcommands();
  return parsed.empty() ? app : deepest(parsed.front());
}

// "  name    text" with the text wrapped in the column after the names.
std::string help_row(const std::string& name, const std::string& text) {
  std::string row = "  " + name;
  row += row.size() >= kNameColumn ? "\n" + std::string(kNameColumn, ' ') : std::string(kNameColumn - row.size(), ' ');
  std::string body = wrap(text, kHelpWidth - kNameColumn);
  for (size_t at = body.find('\n'); at != std::string::npos; at = body.find('\n', at + 1))
    body.insert(at + 1, kNameColumn, ' ');
  return row + body + "\n";
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

std::optional<std::string> nearest(const std::string& word, const std::vector<std::string>& candidates) {
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
  if (o.name == "help" || o.name == "h") throw std::logic_error("option --help is built in");
  if (find(o.name)) throw std::logic_error("option --" + o.name + " declared twice");
  options_.push_back(std::move(o));
  return options_.back();
}

OptionSpec& CommandSpec::add_flag(std::string name, std::string help) {
  return add({std::move(name), OptionKind::Flag, "", std::move(help), "", {}, false, {}, {}});
}

OptionSpec& CommandSpec::add_string(std::string name, std::string value_name, std::string help,
                                    std::string default_value) {
  return add({std::move(name), OptionKind::String, std::move(value_name), std::move(help), std::move(default_value),
              {}, false, {}, {}});
}

OptionSpec& CommandSpec::add_int(std::string name, std::string value_name, std::string help, int64_t default_value) {
  return add({std::move(name), OptionKind::Int, std::move(value_name), std::move(help),
              std::to_string(default_value), {}, false, {}, {}});
}

OptionSpec& CommandSpec::add_double(std::string name, std::string value_name, std::string help,
                                    double default_value) {
  return add({std::move(name), OptionKind::Double, std::move(value_name), std::move(help),
              format_number(default_value), {}, false, {}, {}});
}

OptionSpec& CommandSpec::add_choice(std::string name, std::vector<std::string> choices, std::string help,
                                    std::string default_value) {
  std::string value_name = join(choices, "|");
  return add({std::move(name), OptionKind::Choice, std::move(value_name), std::move(help), std::move(default_value),
              std::move(choices), false, {}, {}});
}

const OptionSpec* CommandSpec::find(const std::string& name) const {
  for (const auto& o : options_)
    if (o.name == name) return &o;
  return nullptr;
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
  return source_.at(name) != Source::Default;
}

bool ParsedArgs::given_on_command_line(const std::string& name) const {
  value(name);
  return source_.at(name) == Source::CommandLine;
}

// Each getter insists on its own type: get_int on a double option is a bug in the app.
template <typename T>
static const T& typed(const OptionValue& v, const std::string& name, const char* getter) {
  if (const T* p = std::get_if<T>(&v)) return *p;
  throw std::logic_error(std::string(getter) + "(\"" + name + "\"): option has another type");
}

bool ParsedArgs::get_flag(const std::string& name) const { return typed<bool>(value(name), name, "get_flag"); }
int64_t ParsedArgs::get_int(const std::string& name) const { return typed<int64_t>(value(name), name, "get_int"); }
double ParsedArgs::get_double(const std::string& name) const {
  return typed<double>(value(name), name, "get_double");
}
const std::string& ParsedArgs::get_string(const std::string& name) const {
  return typed<std::string>(value(name), name, "get_string");
}

void ParsedArgs::set(const std::string& name, OptionValue v) {
  if (value(name).index() != v.index()) throw std::logic_error("set(\"" + name + "\"): option has another type");
  values_[name] = std::move(v);
  source_[name] = Source::CommandLine;
}

void ParsedArgs::read_config(const std::string& path) {
  std::ifstream in(path);
  usage_check(in.good(), "cannot read config file '" + path + "': " + std::strerror(errno), command_);
  read_config(in, path);
}

void ParsedArgs::read_config(std::istream& in, const std::string& file) {
  std::vector<CLI::ConfigItem> items;
  try {
    items = CLI::ConfigTOML().from_config(in);
  } catch (const CLI::Error& e) {
    throw UsageError("config file '" + file + "': " + e.what(), command_);
  }
  std::set<std::string> seen;
  for (const CLI::ConfigItem& item : items) {
    if (item.name == "++" || item.name == "--") continue;  // CLI11's marks of a [section]'s start and end
    const std::string key = item.fullname();  // "train.lr" in a [train] section: no option has that name
    const OptionSpec* o = key == kConfig ? nullptr : spec_->find(key);
    if (!o)
      throw UsageError("config file '" + file + "': " + unknown_message("key", key, key, option_names(*spec_), "") +
                           " (the keys are the options of 'gan " + command_ + "' without their dashes)",
                       command_);
    const std::string what = "config file '" + file + "', key '" + key + "'";
    usage_check(seen.insert(key).second, what + " appears twice", command_);
    usage_check(item.inputs.size() == 1, what + " needs one value, got " + std::to_string(item.inputs.size()),
                command_);
    const OptionValue v = convert(*o, item.inputs[0], what, command_, /*from_file=*/true);
    if (source_.at(key) == Source::CommandLine) continue;  // the command line wins
    values_[key] = v;
    source_[key] = Source::File;
  }
}

std::string ParsedArgs::config_text(const std::set<std::string>& leave_out) const {
  std::ostringstream out;
  out << "# The options of 'gan " << command_ << "', defaults included. 'gan " << command_
      << " --config FILE' reads them;\n# options given on the command line win over the file.\n";
  std::vector<const OptionSpec*> written;
  for (const OptionSpec& o : spec_->options()) {
    if (o.name == kConfig || leave_out.count(o.name)) continue;
    out << "\n# " << o.help << "\n" << o.name << " = " << toml_literal(value(o.name)) << "\n";
    written.push_back(&o);
  }
  // Proven to read back before anyone relies on it.
  ParsedArgs back = *this;
  for (auto& [name, source] : back.source_) source = Source::Default;
  std::istringstream in(out.str());
  back.read_config(in, "config.toml");
  for (const OptionSpec* o : written) {
    usage_check(back.value(o->name) == value(o->name),
                "--" + o->name + " " + toml_literal(value(o->name)) +
                    " cannot be stored in a config file (its reader takes '#' as the start of a comment and knows no "
                    "escapes); choose a value without '#' and without both kinds of quotes",
                command_);
  }
  return out.str();
}

// ---- help ----------------------------------------------------------------------------------

// CLI11's option rows, with the project's layout around them: the usage line
// names the required options, text wraps at 80 columns, and nested commands are
// listed with their full path ("classifier train").
class HelpFormatter : public CLI::Formatter {
 public:
  explicit HelpFormatter(const Cli& cli) : cli_(cli) { column_width(kNameColumn); }

  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override {
    const Cli::Entry* entry = cli_.find(path_of(app));
    std::string out = "usage: " + name;
    if (entry) {
      for (const auto& o : entry->spec->options())
        if (o.is_required) out += " --" + o.name + " " + o.value_name;
    }
    out += entry ? " [options]\n" : " <command> [options]\n";
    if (!app->get_description().empty()) out += "\n" + wrap(app->get_description(), kHelpWidth) + "\n";
    if (entry && !entry->spec->description().empty())
      out += "\n" + wrap(entry->spec->description(), kHelpWidth) + "\n";
    out += make_groups(app, mode) + make_subcommands(app, mode);
    if (!app->get_parent())
      out += "\nrun '" + name + " <command> --help' for the options of a command.\n"
             "exit status: 0 done; 1 the work failed (data, files, memory, NaN); 2 a usage error;\n"
             "128+N stopped by signal N after saving (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP).\n";
    return out;
  }

  std::string make_option_desc(const CLI::Option* opt) const override {
    return wrap(opt->get_description(), kHelpWidth - kNameColumn);
  }

  std::string make_subcommand(const CLI::App* sub) const override {
    const std::vector<const CLI::App*> nested = sub->get_subcommands({});
    if (nested.empty()) return help_row(path_of(sub), sub->get_description());
    std::string rows;
    for (const CLI::App* c : nested) rows += make_subcommand(c);
    return rows;
  }

 private:
  const Cli& cli_;
};

// ---- Cli -------------------------------------------------------------------------------

Cli::Cli(std::string program, std::string summary, std::string version)
    : program_(std::move(program)), summary_(std::move(summary)), version_(std::move(version)) {}

const Cli::Entry* Cli::find(const std::string& path) const {
  for (const Entry& e : commands_)
    if (e.spec->path_string() == path) return &e;
  return nullptr;
}

Cli& Cli::add(CommandSpec spec, Handler handler) {
  const auto& path = spec.path();
  for (const auto& e : commands_) {
    const auto& other = e.spec->path();
    if (other == path) throw std::logic_error("command '" + spec.path_string() + "' added twice");
    // "gan classifier" cannot be both a command and a group of commands.
    if (other[0] == path[0] && other.size() != path.size())
      throw std::logic_error("'" + path[0] + "' is used both as a command and as a group");
  }
  if (spec.find(kConfig)) throw std::logic_error("option --config is built in");
  // Defaults go through the same conversion as typed values, so a default
  // outside its own bounds or choices is caught here rather than at the user.
  for (const auto& o : spec.options()) {
    if (o.is_required && !o.default_value.empty())
      throw std::logic_error("required option --" + o.name + " has a default");
    if (o.kind == OptionKind::Choice && !o.is_required && o.default_value.empty())
      throw std::logic_error("choice option --" + o.name + " needs a default");
    if (o.kind == OptionKind::Flag || o.default_value.empty()) continue;
    try {
      convert(o, o.default_value, "default of --" + o.name, spec.path_string(), false);
    } catch (const UsageError& e) {
      throw std::logic_error("bad default for '" + spec.path_string() + "': " + e.what());
    }
  }
  spec.add_string(kConfig, "FILE",
                  "read options from FILE, TOML 'name = value' lines such as the config.toml a training run writes; "
                  "options on the command line win");
  commands_.push_back({std::make_shared<const CommandSpec>(std::move(spec)), std::move(handler)});
  return *this;
}

std::unique_ptr<CLI::App> Cli::build() const {
  auto app = std::make_unique<CLI::App>(summary_, program_);
  app->formatter(std::make_shared<HelpFormatter>(*this));  // before the commands, which inherit it
  app->set_help_flag("-h,--help", "show this help and exit");
  app->set_version_flag("--version", program_ + " " + version_, "print the version and exit");
  // Stray words are collected, not thrown, so that the error can suggest a
  // name; one command per line, so a later word naming one is stray too.
  app->allow_extras()->require_subcommand(0, 1);
  std::map<std::string, CLI::App*> groups;
  for (const Entry& e : commands_) {
    const auto& path = e.spec->path();
    CLI::App* parent = app.get();
    if (path.size() == 2) {
      CLI::App*& group = groups[path[0]];
      if (!group) group = app->add_subcommand(path[0]);
      parent = group;
    }
    CLI::App* command = parent->add_subcommand(path.back(), e.spec->summary());
    for (const OptionSpec& o : e.spec->options()) {
      std::string help = o.help;
      if (o.is_required) help += " (required)";
      else if (o.kind != OptionKind::Flag && !o.default_value.empty())
        help += std::string(" (default:") + kNoBreakSpace + o.default_value + ")";
      CLI::Option* opt = o.kind == OptionKind::Flag ? command->add_flag("--" + o.name) : command->add_option("--" + o.name);
      // Every given value is kept: a repeated option is reported, not silently resolved.
      opt->description(help)->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
      if (o.kind != OptionKind::Flag) opt->option_text(o.value_name);
    }
  }
  return app;
}

std::string Cli::help() const { return build()->help(); }

Invocation Cli::parse(int argc, const char* const* argv) const {
  return parse(std::vector<std::string>(argv + std::min(argc, 1), argv + argc));
}

Invocation Cli::parse(const std::vector<std::string>& args) const {
  std::vector<std::string> first_words;
  for (const auto& e : commands_)
    if (std::find(first_words.begin(), first_words.end(), e.spec->path()[0]) == first_words.end())
      first_words.push_back(e.spec->path()[0]);
  if (args.empty()) throw UsageError("no command given; expected one of: " + join(first_words, ", "));
  const std::string& first = args[0];
  if (first.starts_with("-") && !is_help(first) && first != "--version")
    throw UsageError("unknown option '" + first + "' before the command; usage: " + program_ + " <command> [options]");
  // CLI11 reads "--" and "++" as the end of options or of a command; this line
  // has neither (and a value never is one).
  for (const std::string& a : args)
    if (a == "--" || a == "++") throw UsageError("unexpected argument '" + a + "'; options are written --name value");

  // --help anywhere wins, even after a malformed option: someone asking for help
  // wants the option list, not an error about the line they are trying to fix.
  const bool wants_help = std::any_of(args.begin(), args.end(), is_help);
  const std::unique_ptr<CLI::App> app = build();
  std::vector<std::string> reversed(args.rbegin(), args.rend());  // CLI11 takes words from the back
  try {
    app->parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return {app->help(), {}, {}};
  } catch (const CLI::CallForVersion& e) {
    return {std::string(e.what()) + "\n", {}, {}};
  } catch (const CLI::ParseError& e) {
    if (wants_help) return {app->help(), {}, {}};
    const std::string command = path_of(deepest(app.get()));
    // CLI11 ran out of words for an option's value: that option ended the line.
    const std::string& last = args.back();
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && last.starts_with("--")) {
      const size_t eq = last.find('=');
      const std::string name = last.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq != std::string::npos) throw UsageError("option '--" + name + "' has an empty value", command);
      const Entry* entry = find(command);
      const OptionSpec* o = entry ? entry->spec->find(name) : nullptr;
      throw UsageError("option '--" + name + "' needs a value" + (o ? " (--" + name + " " + o->value_name + ")" : ""),
                       command);
    }
    throw UsageError(e.what(), command);
  }
  if (wants_help) return {app->help(), {}, {}};  // "-h" taken as a value: --out -h

  const CLI::App* parsed = deepest(app.get());
  const std::string command = path_of(parsed);
  const std::vector<std::string> rest = app->remaining(true);
  const Entry* entry = find(command);
  if (!entry) {  // the top level or a group: the command is missing or misspelt
    std::vector<std::string> words;
    for (const CLI::App* c : parsed->get_subcommands({})) words.push_back(c->get_name());
    const std::string prefix = command.empty() ? "" : command + " ";
    if (!rest.empty() && !rest[0].starts_with("-"))
      throw UsageError(unknown_message("command", prefix + rest[0], rest[0], words, prefix), command);
    throw UsageError("'" + command + "' needs a command: " + join(words, ", "), command);
  }

  const CommandSpec& spec = *entry->spec;
  ParsedArgs out;
  out.command_ = command;
  out.spec_ = entry->spec;
  for (const OptionSpec& o : spec.options()) {
    const std::vector<std::string>& given = parsed->get_option("--" + o.name)->results();
    const std::string what = "option '--" + o.name + "'";
    usage_check(given.size() <= 1, what + " given more than once", command);
    out.source_[o.name] = given.empty() ? ParsedArgs::Source::Default : ParsedArgs::Source::CommandLine;
    if (!given.empty()) out.values_[o.name] = convert(o, given[0], what, command, false);
    else if (o.kind == OptionKind::Flag) out.values_[o.name] = false;
    else out.values_[o.name] = o.default_value.empty() ? OptionValue(std::string()) : convert(o, o.default_value, what, command, false);
  }
  if (!rest.empty()) {
    const std::string& arg = rest[0];
    if (arg.size() < 2 || arg[0] != '-')
      throw UsageError("unexpected argument '" + arg + "'; options are written --name value", command);
    const size_t skip = arg.starts_with("--") ? 2 : 1, eq = arg.find('=');  // "-lr" too: only -h is short
    const std::string word = arg.substr(skip, eq == std::string::npos ? std::string::npos : eq - skip);
    throw UsageError(unknown_message("option", skip == 2 ? "--" + word : arg, word, option_names(spec), "--"), command);
  }
  if (out.given_on_command_line(kConfig)) out.read_config(out.get_string(kConfig));
  for (const OptionSpec& o : spec.options())
    usage_check(!o.is_required || out.has(o.name), "missing required option '--" + o.name + " " + o.value_name + "'",
                command);
  return {"", entry->handler, std::move(out)};
}

}  // namespace gan::app
