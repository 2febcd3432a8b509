// The `gan <command> [options]` command line, parsed by CLI11.
//
// The app describes each sub-command with a CommandSpec, registers it with a
// handler on a Cli, and dispatches:
//
//   Cli cli("gan", "Train GANs with a from-scratch engine.", gan::version());
//   CommandSpec train("train", "Train a DCGAN");
//   train.add_int("batch-size", "N", "images per step", 64).at_least(1);
//   cli.add(std::move(train), cmd_train);
//   Invocation inv = cli.parse(args);       // throws UsageError on a bad line
//   if (!inv.handler) print(inv.text);       // --help / --version
//   else return inv.handler(inv.args);       // args.get_int("batch-size")
//
// CLI11 splits the line (sub-commands, `--name value`, `--name=value`, flags),
// formats --help and reads config files. The values are converted here rather
// than by CLI11, whose integer parsing is lax (strtoll with base 0 reads "010"
// as 8 and saturates on overflow): every option is strict, bounded, and its
// error names the option. Only long options plus `-h` exist: a run's command
// line is read in logs later, so explicit names win over single letters.
//
// Every command also takes `--config FILE`: a TOML file of `name = value`
// lines, such as the config.toml a training run writes (ParsedArgs::config_text);
// options on the command line win over the file.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"

namespace CLI {
class App;
}

namespace gan::app {

// A bad command line or config file. `command` is the sub-command being parsed
// ("train", "classifier train"; empty at top level) so the app can point at its --help.
class UsageError : public gan::Error {
 public:
  explicit UsageError(const std::string& message, std::string command = "")
      : gan::Error(message), command_(std::move(command)) {}
  const std::string& command() const { return command_; }

 private:
  std::string command_;
};

// Throws UsageError(message, command) unless `ok`. (GAN_CHECK would glue the
// command onto the message: it concatenates all of its arguments.)
inline void usage_check(bool ok, const std::string& message, const std::string& command) {
  if (!ok) throw UsageError(message, command);
}

enum class OptionKind { Flag, String, Int, Double, Choice };

struct OptionSpec {
  std::string name;        // long name without the dashes: "batch-size"
  OptionKind kind = OptionKind::String;
  std::string value_name;  // shown in help: "--batch-size N"
  std::string help;
  std::string default_value;         // as text; shown in help, parsed like a given value
  std::vector<std::string> choices;  // OptionKind::Choice only
  bool is_required = false;
  std::optional<double> min, max;    // inclusive bounds for Int and Double

  // Fluent setters, chained onto CommandSpec::add_*.
  OptionSpec& at_least(double v) { min = v; return *this; }
  OptionSpec& at_most(double v) { max = v; return *this; }
  OptionSpec& required() { is_required = true; return *this; }
};

class CommandSpec {
 public:
  // `path` is one or two words: "train", or "classifier train" for a nested command.
  CommandSpec(const std::string& path, std::string summary, std::string description = "");

  OptionSpec& add_flag(std::string name, std::string help);
  OptionSpec& add_string(std::string name, std::string value_name, std::string help,
                         std::string default_value = "");
  OptionSpec& add_int(std::string name, std::string value_name, std::string help,
                      int64_t default_value);
  OptionSpec& add_double(std::string name, std::string value_name, std::string help,
                         double default_value);
  OptionSpec& add_choice(std::string name, std::vector<std::string> choices, std::string help,
                         std::string default_value);

  const std::vector<std::string>& path() const { return path_; }
  std::string path_string() const;  // "classifier train"
  const std::string& summary() const { return summary_; }
  const std::string& description() const { return description_; }
  const std::vector<OptionSpec>& options() const { return options_; }
  const OptionSpec* find(const std::string& name) const;

 private:
  friend class Cli;
  OptionSpec& add(OptionSpec o);

  std::vector<std::string> path_;
  std::string summary_, description_;
  std::vector<OptionSpec> options_;
};

using OptionValue = std::variant<bool, int64_t, double, std::string>;

// The shortest text that reads back as the same double, in plain notation
// unless that gets long: 2e-4 prints "0.0002" (not "0.00020000000000000001" or
// "2e-04"), 1e-10 prints "1e-10". For help texts, config files, checkpoint
// metadata and messages alike, so a number reads the same everywhere.
std::string format_number(double v);

// The parsed options of one command, every declared option present (given or
// defaulted). Getters take the long name without dashes. Asking for an
// undeclared option, or with the wrong type, is a bug in the app and throws
// std::logic_error.
class ParsedArgs {
 public:
  ParsedArgs() = default;

  const std::string& command() const { return command_; }  // "train"
  bool has(const std::string& name) const;  // given on the command line or in the --config file
  bool given_on_command_line(const std::string& name) const;
  bool get_flag(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;  // String and Choice

  // Replaces a value as if given on the command line (a command recording what
  // it resolved, e.g. a loss's own learning rate). The type must match.
  void set(const std::string& name, OptionValue value);

  // Takes the options of the TOML file `path` that were not given on the
  // command line. UsageError naming the file and key for a key that is no
  // option of this command, a bad value, or a file that cannot be read.
  void read_config(const std::string& path);

  // Every option (defaults included) as TOML that read_config reads back to the
  // same values, each under its help as a comment; `leave_out` and --config are
  // left out. UsageError when a value cannot be written so (CLI11's reader
  // takes '#' anywhere as a comment, and knows no escapes).
  std::string config_text(const std::set<std::string>& leave_out = {}) const;

 private:
  friend class Cli;
  enum class Source { Default, File, CommandLine };
  const OptionValue& value(const std::string& name) const;
  void read_config(std::istream& in, const std::string& file);

  std::string command_;
  std::shared_ptr<const CommandSpec> spec_;
  std::map<std::string, OptionValue> values_;
  std::map<std::string, Source> source_;
};

using Handler = std::function<int(const ParsedArgs&)>;

// What the command line asked for: either text to print (help, version) and
// exit 0 — then `handler` is empty — or a handler to call with `args`.
struct Invocation {
  std::string text;
  Handler handler;
  ParsedArgs args;
};

class Cli {
 public:
  Cli(std::string program, std::string summary, std::string version);

  // Registers a command and gives it --config. A malformed spec (duplicate
  // option, bad default, a command name clashing with a group) is a bug and
  // throws std::logic_error.
  Cli& add(CommandSpec spec, Handler handler);

  // `args` excludes argv[0]. Throws UsageError.
  Invocation parse(const std::vector<std::string>& args) const;
  Invocation parse(int argc, const char* const* argv) const;

  std::string help() const;  // top level: lists the commands
  const std::string& program() const { return program_; }

 private:
  struct Entry {
    std::shared_ptr<const CommandSpec> spec;
    Handler handler;
  };
  friend class HelpFormatter;
  // A fresh CLI11 parser of the command table (parsing changes its state).
  std::unique_ptr<CLI::App> build() const;
  const Entry* find(const std::string& path) const;

  std::string program_, summary_, version_;
  std::vector<Entry> commands_;
};

// The candidate closest to `word` (a prefix extension, else the smallest edit
// distance within a small threshold), or nullopt when none is close.
std::optional<std::string> nearest(const std::string& word,
                                   const std::vector<std::string>& candidates);

// Optimal string alignment distance: insertions, deletions, substitutions and
// adjacent transpositions each cost 1.
int edit_distance(const std::string& a, const std::string& b);

}  // namespace gan::app
