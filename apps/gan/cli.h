// A small argument parser for `gan <command> [options]`.
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
// Only long options (`--name value`, `--name=value`) plus `-h` are accepted:
// a training run's command line is read in logs later, so explicit names win
// over terse single-letter aliases.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"

namespace gan::app {

// A bad command line. `command` is the sub-command being parsed ("train",
// "classifier train"; empty at top level) so the app can point at its --help.
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

  // Formatted `--help` text; `program` is the executable name ("gan").
  std::string help(const std::string& program) const;

 private:
  OptionSpec& add(OptionSpec o);
  OptionSpec& add(std::string name, OptionKind kind, std::string value_name, std::string help,
                  std::string default_value);

  std::vector<std::string> path_;
  std::string summary_, description_;
  std::vector<OptionSpec> options_;
};

using OptionValue = std::variant<bool, int64_t, double, std::string>;

// The parsed options of one command, every declared option present (given or
// defaulted). Getters take the long name without dashes. Asking for an
// undeclared option, or with the wrong type, is a bug in the app and throws
// std::logic_error.
class ParsedArgs {
 public:
  ParsedArgs() = default;

  const std::string& command() const { return command_; }  // "train"
  bool has(const std::string& name) const;  // given on the command line (not defaulted)
  bool get_flag(const std::string& name) const;
  int64_t get_int(const std::string& name) const;
  double get_double(const std::string& name) const;
  const std::string& get_string(const std::string& name) const;  // String and Choice

 private:
  friend class Cli;
  const OptionValue& value(const std::string& name) const;

  std::string command_;
  std::map<std::string, OptionValue> values_;
  std::set<std::string> given_;
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

  // Registers a command. A malformed spec (duplicate option, bad default, a
  // command name clashing with a group) is a bug and throws std::logic_error.
  Cli& add(CommandSpec spec, Handler handler);

  // `args` excludes argv[0]. Throws UsageError.
  Invocation parse(const std::vector<std::string>& args) const;
  Invocation parse(int argc, const char* const* argv) const;

  std::string help() const;  // top level: lists the commands
  const std::string& program() const { return program_; }

 private:
  struct Entry {
    CommandSpec spec;
    Handler handler;
  };
  std::string group_help(const std::string& group) const;
  std::string command_table(const std::string& group) const;
  ParsedArgs parse_options(const CommandSpec& spec, const std::vector<std::string>& args) const;

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
