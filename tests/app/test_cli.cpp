#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "apps/gan/app.h"
#include "apps/gan/cli.h"
#include "core/version.h"

namespace gan::app {
namespace {

using Args = std::vector<std::string>;

ParsedArgs parse_ok(const Cli& cli, const Args& args) {
  Invocation inv = cli.parse(args);
  EXPECT_TRUE(inv.handler) << "expected a command to run, got text:\n" << inv.text;
  return inv.args;
}

// The message of the UsageError that parsing `args` must throw.
std::string usage_error(const Cli& cli, const Args& args) {
  try {
    cli.parse(args);
  } catch (const UsageError& e) {
    return e.what();
  }
  ADD_FAILURE() << "no UsageError";
  return "";
}

std::string usage_error(const Args& args) { return usage_error(make_cli(), args); }

#define EXPECT_CONTAINS(text, part) \
  EXPECT_NE(std::string(text).find(part), std::string::npos) << "'" << (part) << "' not in:\n" << (text)
#define EXPECT_LACKS(text, part) \
  EXPECT_EQ(std::string(text).find(part), std::string::npos) << "'" << (part) << "' in:\n" << (text)

// ---- values -----------------------------------------------------------------------------

TEST(Cli, DefaultsWhenNothingIsGiven) {
  const ParsedArgs a = parse_ok(make_cli(), {"train"});
  EXPECT_EQ(a.command(), "train");
  EXPECT_EQ(a.get_string("dataset"), "fashion-mnist");
  EXPECT_EQ(a.get_string("device"), "auto");
  EXPECT_EQ(a.get_int("batch-size"), 64);
  EXPECT_EQ(a.get_string("image-size"), "0");
  EXPECT_DOUBLE_EQ(a.get_double("lr"), 2e-4);
  EXPECT_DOUBLE_EQ(a.get_double("beta1"), 0.5);
  EXPECT_DOUBLE_EQ(a.get_double("beta2"), 0.999);
  EXPECT_EQ(a.get_int("nz"), 100);
  EXPECT_EQ(a.get_string("out"), "runs/dcgan");
  EXPECT_FALSE(a.get_flag("resume"));
  EXPECT_FALSE(a.has("batch-size"));
  EXPECT_FALSE(a.has("resume"));
}

TEST(Cli, SpaceAndEqualsForms) {
  const ParsedArgs a = parse_ok(make_cli(), {"train", "--batch-size", "32", "--lr=1e-3", "--device=cpu",
                                             "--resume", "--dataset", "folder:/data/faces", "--out=a=b"});
  EXPECT_EQ(a.get_int("batch-size"), 32);
  EXPECT_DOUBLE_EQ(a.get_double("lr"), 1e-3);
  EXPECT_EQ(a.get_string("device"), "cpu");
  EXPECT_TRUE(a.get_flag("resume"));
  EXPECT_EQ(a.get_string("dataset"), "folder:/data/faces");
  EXPECT_EQ(a.get_string("out"), "a=b");  // only the first '=' separates
  EXPECT_TRUE(a.has("batch-size"));
  EXPECT_TRUE(a.has("resume"));
  EXPECT_FALSE(a.has("epochs"));
}

TEST(Cli, NegativeNumberIsAValueNotAnOption) {
  Cli cli("t", "test", "1");
  CommandSpec c("run", "run");
  c.add_int("offset", "N", "shift", 0);
  c.add_double("bias", "X", "bias", 0);
  cli.add(std::move(c), [](const ParsedArgs&) { return 0; });
  const ParsedArgs a = parse_ok(cli, {"run", "--offset", "-3", "--bias", "-0.5"});
  EXPECT_EQ(a.get_int("offset"), -3);
  EXPECT_DOUBLE_EQ(a.get_double("bias"), -0.5);
}

TEST(Cli, RequiredOption) {
  const ParsedArgs a = parse_ok(make_cli(), {"sample", "--checkpoint", "runs/x/ckpt.bin"});
  EXPECT_EQ(a.get_string("checkpoint"), "runs/x/ckpt.bin");
  EXPECT_EQ(a.get_int("n"), 64);
  const std::string msg = usage_error({"export", "--out", "g.onnx"});
  EXPECT_CONTAINS(msg, "missing required option '--checkpoint PATH'");
}

// ---- option errors --------------------------------------------------------------------

TEST(Cli, UnknownOptionSuggestsNearestName) {
  std::string msg = usage_error({"train", "--bath-size", "3"});
  EXPECT_CONTAINS(msg, "unknown option '--bath-size'");
  EXPECT_CONTAINS(msg, "did you mean '--batch-size'?");
  EXPECT_CONTAINS(usage_error({"train", "--batch_size=3"}), "did you mean '--batch-size'?");
  EXPECT_CONTAINS(usage_error({"train", "--bacth-size=3"}), "did you mean '--batch-size'?");  // swap
  EXPECT_CONTAINS(usage_error({"train", "--batch", "3"}), "did you mean '--batch-size'?");    // prefix
  EXPECT_CONTAINS(usage_error({"train", "--Seed", "3"}), "did you mean '--seed'?");
  EXPECT_CONTAINS(usage_error({"train", "-lr", "0.1"}), "did you mean '--lr'?");
  EXPECT_CONTAINS(usage_error({"train", "--checkpoint_evry", "5"}), "did you mean '--checkpoint-every'?");
}

TEST(Cli, UnknownOptionFarFromAnyListsTheKnownOnes) {
  const std::string msg = usage_error({"sample", "--zzzzzzzz", "1"});
  EXPECT_CONTAINS(msg, "unknown option '--zzzzzzzz'");
  EXPECT_LACKS(msg, "did you mean");
  EXPECT_CONTAINS(msg, "--checkpoint, --weights, --n, --out, --seed, --class, --noise, --no-ema, --device");
}

TEST(Cli, MissingValue) {
  EXPECT_CONTAINS(usage_error({"train", "--batch-size"}), "option '--batch-size' needs a value (--batch-size N)");
  // The next word is an option, so it is not taken as the value.
  EXPECT_CONTAINS(usage_error({"train", "--out", "--lr", "1"}), "option '--out' needs a value");
  EXPECT_CONTAINS(usage_error({"train", "--out="}), "option '--out' has an empty value");
}

TEST(Cli, BadIntegers) {
  std::string msg = usage_error({"train", "--batch-size", "abc"});
  EXPECT_CONTAINS(msg, "option '--batch-size' expects an integer, got 'abc'");
  EXPECT_CONTAINS(usage_error({"train", "--batch-size=12x"}), "expects an integer, got '12x'");
  EXPECT_CONTAINS(usage_error({"train", "--batch-size=1.5"}), "expects an integer, got '1.5'");
  EXPECT_CONTAINS(usage_error({"train", "--batch-size= 4"}), "expects an integer, got ' 4'");
  msg = usage_error({"train", "--steps", "99999999999999999999"});
  EXPECT_CONTAINS(msg, "option '--steps' value '99999999999999999999' is out of range");
}

TEST(Cli, BadDoubles) {
  EXPECT_CONTAINS(usage_error({"train", "--lr", "fast"}), "option '--lr' expects a number, got 'fast'");
  EXPECT_CONTAINS(usage_error({"train", "--lr", "nan"}), "expects a number, got 'nan'");
  EXPECT_CONTAINS(usage_error({"train", "--lr", "1e-3x"}), "expects a number, got '1e-3x'");
  EXPECT_CONTAINS(usage_error({"train", "--lr", "1e999"}), "option '--lr' value '1e999' is out of range");
}

TEST(Cli, NumbersOutsideDeclaredBounds) {
  EXPECT_CONTAINS(usage_error({"train", "--batch-size", "0"}), "option '--batch-size' must be at least 1, got '0'");
  EXPECT_CONTAINS(usage_error({"train", "--beta1=1.5"}), "option '--beta1' must be at most 1, got '1.5'");
  EXPECT_CONTAINS(usage_error({"train", "--lr=-0.1"}), "option '--lr' must be at least 0, got '-0.1'");
}

TEST(Cli, ChoiceNotInList) {
  const std::string msg = usage_error({"train", "--device", "gpu"});
  EXPECT_CONTAINS(msg, "option '--device' must be one of auto, cpu, cuda; got 'gpu'");
}

TEST(Cli, DuplicatedOption) {
  EXPECT_CONTAINS(usage_error({"train", "--lr", "1", "--lr=2"}), "option '--lr' given more than once");
  EXPECT_CONTAINS(usage_error({"train", "--resume", "--resume"}), "option '--resume' given more than once");
}

TEST(Cli, FlagTakesNoValue) {
  EXPECT_CONTAINS(usage_error({"train", "--resume=yes"}), "option '--resume' is a flag and takes no value");
}

TEST(Cli, StrayPositionalArgument) {
  EXPECT_CONTAINS(usage_error({"train", "fashion-mnist"}), "unexpected argument 'fashion-mnist'");
  EXPECT_CONTAINS(usage_error({"train", "--lr", "1", "2"}), "unexpected argument '2'");
}

TEST(Cli, UsageErrorNamesTheCommand) {
  try {
    make_cli().parse({"train", "--bogus"});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(e.command(), "train");
  }
}

// ---- commands ----------------------------------------------------------------------------

TEST(Cli, CommandErrors) {
  std::string msg = usage_error({"trian"});
  EXPECT_CONTAINS(msg, "unknown command 'trian'; did you mean 'train'?");
  msg = usage_error({"fly"});
  EXPECT_CONTAINS(msg, "unknown command 'fly'; expected one of: train, sample");
  EXPECT_CONTAINS(usage_error(Args{}), "no command given; expected one of: train, sample");
  EXPECT_CONTAINS(usage_error({"--lr", "1", "train"}), "unknown option '--lr' before the command");
}

TEST(Cli, NestedCommands) {
  Cli cli("t", "test", "1");
  auto handler = [](int code) { return [code](const ParsedArgs&) { return code; }; };
  CommandSpec ctrain("classifier train", "train the classifier");
  ctrain.add_int("epochs", "N", "passes", 1);
  cli.add(std::move(ctrain), handler(1));
  cli.add(CommandSpec("classifier eval", "score images"), handler(2));
  cli.add(CommandSpec("train", "train a GAN"), handler(3));

  Invocation inv = cli.parse({"classifier", "train", "--epochs", "4"});
  ASSERT_TRUE(inv.handler);
  EXPECT_EQ(inv.handler(inv.args), 1);
  EXPECT_EQ(inv.args.command(), "classifier train");
  EXPECT_EQ(inv.args.get_int("epochs"), 4);
  inv = cli.parse({"classifier", "eval"});
  EXPECT_EQ(inv.handler(inv.args), 2);
  inv = cli.parse({"train"});
  EXPECT_EQ(inv.handler(inv.args), 3);

  EXPECT_CONTAINS(usage_error(cli, {"classifier", "trian"}),
                  "unknown command 'classifier trian'; did you mean 'classifier train'?");
  EXPECT_CONTAINS(usage_error(cli, {"classifier"}), "'classifier' needs a command: train, eval");
  const std::string group_help = cli.parse({"classifier", "--help"}).text;
  EXPECT_CONTAINS(group_help, "usage: t classifier <command> [options]");
  EXPECT_CONTAINS(group_help, "  classifier train  ");
  EXPECT_LACKS(group_help, "train a GAN");
  EXPECT_CONTAINS(cli.parse({"classifier", "eval", "-h"}).text, "usage: t classifier eval [options]");
  EXPECT_CONTAINS(cli.help(), "classifier train");

  // "classifier" cannot also be a command of its own.
  EXPECT_THROW(cli.add(CommandSpec("classifier", "x"), handler(0)), std::logic_error);
}

// ---- help ----------------------------------------------------------------------------------

TEST(Cli, CommandHelpListsOptionsAndDefaults) {
  for (const Args& args : {Args{"train", "--help"}, Args{"train", "-h"}, Args{"train", "--lr", "1", "--help"},
                           Args{"train", "--bogus", "-h"}}) {
    const Invocation inv = make_cli().parse(args);
    EXPECT_FALSE(inv.handler);
    const std::string& h = inv.text;
    EXPECT_CONTAINS(h, "usage: gan train [options]");
    EXPECT_CONTAINS(h, "Train a DCGAN");
    EXPECT_CONTAINS(h, "--batch-size N");
    EXPECT_CONTAINS(h, "images per step (default: 64)");
    EXPECT_CONTAINS(h, "(default: 0.0002)");
    EXPECT_CONTAINS(h, "(default: fashion-mnist)");
    EXPECT_CONTAINS(h, "--device auto|cpu|cuda");
    EXPECT_CONTAINS(h, "--resume");
    EXPECT_CONTAINS(h, "-h,--help");
    EXPECT_CONTAINS(h, "--config FILE");
  }
  const std::string h = make_cli().parse({"export", "--help"}).text;
  EXPECT_CONTAINS(h, "usage: gan export --checkpoint PATH --out FILE [options]");
  EXPECT_CONTAINS(h, "(required)");
}

TEST(Cli, HelpTableIsAlignedAndFitsEightyColumns) {
  for (const Args& command : {Args{"train"}, Args{"sample"}, Args{"eval"}, Args{"classifier", "train"},
                              Args{"cyclegan", "train"}, Args{"pix2pix", "train"}, Args{"translate"}}) {
    Args args = command;
    args.push_back("--help");
    const std::string h = make_cli().parse(args).text;
    std::istringstream in(h);
    size_t column = std::string::npos;
    for (std::string line; std::getline(in, line);) {
      EXPECT_LE(line.size(), 80u) << line;
      if (!line.starts_with("  --")) continue;
      // The help text starts after the name column's padding (two or more spaces),
      // or, for a name too long for the column, on the next line.
      const size_t gap = line.find("  ", 2);
      if (gap == std::string::npos) {
        EXPECT_GT(line.size(), 30u) << "a short option name without its help: " << line;
        continue;
      }
      const size_t start = line.find_first_not_of(' ', gap);
      if (column == std::string::npos) column = start;
      EXPECT_EQ(start, column) << line;
    }
    EXPECT_NE(column, std::string::npos) << command[0];
    // Each option states one default at most.
    for (size_t pos = 0; (pos = h.find("\n  --", pos)) != std::string::npos;) {
      const size_t next = h.find("\n  --", pos + 1);
      const std::string row = h.substr(pos, next == std::string::npos ? std::string::npos : next - pos);
      size_t defaults = 0;
      for (size_t at = row.find("default"); at != std::string::npos; at = row.find("default", at + 1)) ++defaults;
      EXPECT_LE(defaults, 1u) << row;
      ++pos;
    }
  }
}

TEST(Cli, TopLevelHelpAndVersion) {
  const Cli cli = make_cli();
  for (const Args& args : {Args{"--help"}, Args{"-h"}}) {
    const std::string h = cli.parse(args).text;
    EXPECT_CONTAINS(h, "usage: gan <command> [options]");
    EXPECT_CONTAINS(h, "train");
    EXPECT_CONTAINS(h, "Train a DCGAN");
    EXPECT_CONTAINS(h, "sample");
    for (const char* command : {"cyclegan train", "pix2pix train", "translate"}) EXPECT_CONTAINS(h, command);
    EXPECT_CONTAINS(h, "--version");
    EXPECT_CONTAINS(h, "exit status: 0 done; 1 the work failed");
    EXPECT_CONTAINS(h, "2 a usage error");
  }
  const std::string version = cli.parse({"--version"}).text;
  EXPECT_EQ(version.rfind(std::string("gan ") + gan::version() + "\n", 0), 0u) << version;
  EXPECT_CONTAINS(version, "OpenMP threads, OMP_WAIT_POLICY=");
}

// ---- config files ----------------------------------------------------------------------

// Writes `text` to a file of the test's own and returns its path.
std::string config_file(const std::string& text) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path dir = std::filesystem::path(GAN_TEST_TMPDIR) / "cli";
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (std::string(info->name()) + ".toml")).string();
  std::ofstream(path) << text;
  return path;
}

TEST(CliConfig, FileFillsTheOptionsTheCommandLineLeavesOut) {
  const std::string path = config_file(
      "# a comment\n"
      "batch-size = 8\n"
      "lr = 0.001\n"
      "dataset = \"folder:/my data/a,b\"\n"
      "out = 'runs/\"quoted\"'\n"
      "conditional = true\n"
      "resume = false\n");
  const ParsedArgs a = parse_ok(make_cli(), {"train", "--config", path, "--batch-size", "16"});
  EXPECT_EQ(a.get_int("batch-size"), 16);  // the command line wins
  EXPECT_DOUBLE_EQ(a.get_double("lr"), 1e-3);
  EXPECT_EQ(a.get_string("dataset"), "folder:/my data/a,b");
  EXPECT_EQ(a.get_string("out"), "runs/\"quoted\"");
  EXPECT_TRUE(a.get_flag("conditional"));
  EXPECT_FALSE(a.get_flag("resume"));
  EXPECT_EQ(a.get_int("nz"), 100);  // neither: the default
  EXPECT_TRUE(a.has("lr"));
  EXPECT_FALSE(a.given_on_command_line("lr"));
  EXPECT_TRUE(a.given_on_command_line("batch-size"));
  EXPECT_FALSE(a.has("nz"));
  // A required option may come from the file.
  const std::string sample = config_file("checkpoint = \"runs/x/checkpoint.ckpt\"\nn = 9\n");
  const ParsedArgs s = parse_ok(make_cli(), {"sample", "--config", sample});
  EXPECT_EQ(s.get_string("checkpoint"), "runs/x/checkpoint.ckpt");
  EXPECT_EQ(s.get_int("n"), 9);
}

TEST(CliConfig, WrittenTextReadsBackToTheSameOptions) {
  const ParsedArgs a = parse_ok(make_cli(), {"train", "--lr", "1e-10", "--dataset", "folder:/with space, comma",
                                             "--out", "it's", "--conditional", "--n-critic", "3"});
  const std::string text = a.config_text({"resume"});
  EXPECT_CONTAINS(text, "lr = 1e-10\n");
  EXPECT_CONTAINS(text, "beta2 = 0.999\n");  // defaults too, as given: not 0.99899999999999999911
  EXPECT_CONTAINS(text, "# images per step\nbatch-size = 64\n");
  EXPECT_CONTAINS(text, "conditional = true\n");
  EXPECT_LACKS(text, "resume =");
  EXPECT_LACKS(text, "config =");
  const ParsedArgs b = parse_ok(make_cli(), {"train", "--config", config_file(text)});
  for (const char* name : {"lr", "beta1", "beta2", "clip"}) EXPECT_EQ(a.get_double(name), b.get_double(name)) << name;
  for (const char* name : {"batch-size", "n-critic", "nz", "steps"}) EXPECT_EQ(a.get_int(name), b.get_int(name));
  for (const char* name : {"dataset", "out", "device", "loss", "on-nan"}) EXPECT_EQ(a.get_string(name), b.get_string(name));
  EXPECT_TRUE(b.get_flag("conditional"));
  EXPECT_FALSE(b.get_flag("quiet"));

  // A value CLI11's reader would cut ('#' starts a comment anywhere) is refused, not written wrong.
  const ParsedArgs hash = parse_ok(make_cli(), {"train", "--out", "runs/#1"});
  try {
    hash.config_text();
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_CONTAINS(e.what(), "--out \"runs/#1\" cannot be stored in a config file");
  }
}

TEST(CliConfig, BadFilesNameTheFileAndTheKey) {
  const auto error_for = [](const std::string& text) {
    const std::string path = config_file(text);
    try {
      make_cli().parse({"train", "--config", path});
    } catch (const UsageError& e) {
      EXPECT_EQ(e.command(), "train");
      EXPECT_CONTAINS(e.what(), "config file '" + path + "'");
      return std::string(e.what());
    }
    ADD_FAILURE() << "no UsageError for:\n" << text;
    return std::string();
  };
  EXPECT_CONTAINS(error_for("bach-size = 3\n"), "unknown key 'bach-size'; did you mean 'batch-size'?");
  EXPECT_CONTAINS(error_for("zzzzzz = 3\n"), "unknown key 'zzzzzz'; expected one of: dataset, device");
  EXPECT_CONTAINS(error_for("config = \"other.toml\"\n"), "unknown key 'config'");
  EXPECT_CONTAINS(error_for("[train]\nlr = 0.1\n"), "unknown key 'train.lr'");
  EXPECT_CONTAINS(error_for("lr = fast\n"), "key 'lr' expects a number, got 'fast'");
  EXPECT_CONTAINS(error_for("batch-size = 0\n"), "key 'batch-size' must be at least 1, got '0'");
  EXPECT_CONTAINS(error_for("device = \"gpu\"\n"), "key 'device' must be one of auto, cpu, cuda; got 'gpu'");
  EXPECT_CONTAINS(error_for("quiet = yes\n"), "key 'quiet' expects true or false, got 'yes'");
  EXPECT_CONTAINS(error_for("lr = [0.1, 0.2]\n"), "key 'lr' needs one value, got 2");
  EXPECT_CONTAINS(error_for("lr = 0.1\nnz = 5\nlr = 0.2\n"), "key 'lr' appears twice");
  // A bad value is reported even where the command line gives the option.
  try {
    make_cli().parse({"train", "--config", config_file("lr = fast\n"), "--lr", "0.1"});
    ADD_FAILURE() << "no UsageError";
  } catch (const UsageError& e) {
    EXPECT_CONTAINS(e.what(), "key 'lr' expects a number");
  }
  EXPECT_CONTAINS(usage_error({"train", "--config", "/nonexistent/gan.toml"}),
                  "cannot read config file '/nonexistent/gan.toml'");

  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"train", "--config", config_file("bach-size = 3\n")}, out, err), 2);
  EXPECT_CONTAINS(err.str(), "did you mean 'batch-size'?");
  EXPECT_CONTAINS(err.str(), "run 'gan train --help' for usage");
}

// ---- spec bugs and getter misuse -----------------------------------------------------

TEST(Cli, MalformedSpecsAreLogicErrors) {
  Cli cli("t", "test", "1");
  auto h = [](const ParsedArgs&) { return 0; };
  CommandSpec bad_default("a", "a");
  bad_default.add_int("n", "N", "count", 0).at_least(1);
  EXPECT_THROW(cli.add(std::move(bad_default), h), std::logic_error);
  CommandSpec bad_choice("b", "b");
  bad_choice.add_choice("mode", {"x", "y"}, "mode", "z");
  EXPECT_THROW(cli.add(std::move(bad_choice), h), std::logic_error);
  CommandSpec dup("c", "c");
  dup.add_flag("v", "verbose");
  EXPECT_THROW(dup.add_flag("v", "again"), std::logic_error);
  EXPECT_THROW(dup.add_flag("help", "mine"), std::logic_error);
  EXPECT_THROW(CommandSpec("a b c", "too deep"), std::logic_error);
  cli.add(CommandSpec("d", "d"), h);
  EXPECT_THROW(cli.add(CommandSpec("d", "again"), h), std::logic_error);
  CommandSpec own_config("e", "e");
  own_config.add_string("config", "FILE", "mine");  // --config is every command's
  EXPECT_THROW(cli.add(std::move(own_config), h), std::logic_error);
}

TEST(Cli, GetterMisuseIsALogicError) {
  const ParsedArgs a = parse_ok(make_cli(), {"train"});
  EXPECT_THROW(a.get_int("lr"), std::logic_error);
  EXPECT_THROW(a.get_double("batch-size"), std::logic_error);
  EXPECT_THROW(a.get_string("no-such-option"), std::logic_error);
  EXPECT_THROW(a.has("no-such-option"), std::logic_error);
}

TEST(Cli, EditDistanceAndNearest) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3);
  EXPECT_EQ(edit_distance("abc", "acb"), 1);
  EXPECT_EQ(edit_distance("", "abc"), 3);
  EXPECT_EQ(nearest("epoch", {"epochs", "steps"}), "epochs");
  EXPECT_EQ(nearest("ndf", {"ngf", "ndf"}), "ndf");
  EXPECT_EQ(nearest("xyz", {"epochs", "steps"}), std::nullopt);
  EXPECT_EQ(nearest("", {"n", "out"}), std::nullopt);
}

// ---- the app entry point ------------------------------------------------------------------

TEST(App, RunCliReportsUsageErrorsWithAHint) {
  std::ostringstream out, err;
  EXPECT_EQ(run_cli({"train", "--bath-size", "3"}, out, err), 2);
  EXPECT_CONTAINS(err.str(), "gan: error: unknown option '--bath-size'; did you mean '--batch-size'?");
  EXPECT_CONTAINS(err.str(), "run 'gan train --help' for usage");
  EXPECT_EQ(out.str(), "");

  std::ostringstream out2, err2;
  EXPECT_EQ(run_cli({"train", "--help"}, out2, err2), 0);
  EXPECT_CONTAINS(out2.str(), "--batch-size");
  EXPECT_EQ(err2.str(), "");

  std::ostringstream out3, err3;
  EXPECT_EQ(run_cli({}, out3, err3), 2);
  EXPECT_CONTAINS(err3.str(), "run 'gan --help' for usage");
}

#ifdef GAN_APP_BINARY
// Runs the built executable (after `env_prefix`, e.g. "env -u VAR "); returns its
// exit status and fills `output` with stdout+stderr.
int run_binary(const std::string& args, std::string& output, const std::string& env_prefix = "") {
  const std::string cmd = env_prefix + "'" + GAN_APP_BINARY + "' " + args + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "r");
  if (!pipe) return -1;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;) output.append(buf, n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(App, BinaryRejectsABadFlag) {
  std::string output;
  EXPECT_EQ(run_binary("train --bath-size 3", output), 2);
  EXPECT_CONTAINS(output, "gan: error: unknown option '--bath-size'; did you mean '--batch-size'?");
  EXPECT_CONTAINS(output, "run 'gan train --help' for usage");
}

TEST(App, BinaryPrintsVersion) {
  std::string output;
  EXPECT_EQ(run_binary("--version", output), 0);
  EXPECT_EQ(output.rfind(std::string("gan ") + gan::version() + "\n", 0), 0u) << output;
}

TEST(App, BinaryMakesIdleOpenMPThreadsSleepUnlessTheUserChose) {
  // Without a policy the binary sets `passive` and re-executes itself (main.cpp).
  std::string output;
  EXPECT_EQ(run_binary("--version", output, "env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT "), 0);
  EXPECT_CONTAINS(output, "OMP_WAIT_POLICY=passive, GOMP_SPINCOUNT=10000");
  // A policy the user set is kept.
  output.clear();
  EXPECT_EQ(run_binary("--version", output, "env -u GOMP_SPINCOUNT OMP_WAIT_POLICY=active "), 0);
  EXPECT_CONTAINS(output, "OMP_WAIT_POLICY=active, GOMP_SPINCOUNT=unset");
}
#endif

}  // namespace
}  // namespace gan::app
