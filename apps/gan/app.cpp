// The `gan` app: its command table, the --version text, and how a command's
// outcome becomes an exit status and a message.
#include "apps/gan/app.h"

#include <omp.h>

#include <cstdlib>
#include <iostream>
#include <new>
#include <string>

#include "apps/gan/classifier.h"
#include "apps/gan/commands.h"
#include "apps/gan/memory_estimate.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/version.h"

namespace gan::app {

// `gan --version`: the version, and how the CPU backend will run (what a
// benchmark report or a bug report needs to say).
std::string version_text() {
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  const char* spin = std::getenv("GOMP_SPINCOUNT");
  return std::string(gan::version()) + "\nCPU backend: " + std::to_string(omp_get_max_threads()) +
         " OpenMP threads, OMP_WAIT_POLICY=" + (policy ? policy : "unset") +
         ", GOMP_SPINCOUNT=" + (spin ? spin : "unset");
}

Cli make_cli() {
  Cli cli("gan", "Train and sample GANs with a from-scratch deep-learning engine.", version_text());
  cli.add(train_spec(), cmd_train);
  cli.add(sample_spec(), cmd_sample);
  cli.add(eval_spec(), cmd_eval);
  cli.add(export_spec(), cmd_export);
  cli.add(classifier_train_spec(), cmd_classifier_train);
  cli.add(cyclegan_train_spec(), cmd_cyclegan_train);
  cli.add(pix2pix_train_spec(), cmd_pix2pix_train);
  cli.add(translate_spec(), cmd_translate);
  return cli;
}

namespace {

// "gan: error: ", naming the rank in a distributed run.
std::string error_prefix() {
  if (dist::size() == 1) return "gan: error: ";
  return "gan: error on rank " + std::to_string(dist::rank()) + " of " + std::to_string(dist::size()) + ": ";
}

int run_command(const std::vector<std::string>& args, std::ostream& out, std::ostream& err, bool& failed) {
  failed = true;  // until the handler returns
  std::string command;  // set once parsed: a handler's own UsageError points at its --help
  try {
    const Cli cli = make_cli();
    Invocation inv = cli.parse(args);
    if (!inv.handler) {
      out << inv.text;
      failed = false;
      return 0;
    }
    command = inv.args.command();
    const int status = inv.handler(inv.args);
    failed = false;
    return status;
  } catch (const UsageError& e) {
    const std::string cmd = e.command().empty() ? command : e.command();
    err << error_prefix() << e.what() << "\nrun 'gan" << (cmd.empty() ? "" : " " + cmd)
        << " --help' for usage\n";
    return 2;
  } catch (const OutOfMemoryError& e) {
    err << error_prefix() << e.what() << "; " << memory_advice(command) << "\n";
    return 1;
  } catch (const gan::Error& e) {
    err << error_prefix() << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    // From an allocation outside the engine's allocators (a std::vector, a kernel's scratch).
    err << error_prefix() << "out of host memory: the work needs more memory than this machine (or its ulimit) "
           "allows; "
        << memory_advice(command) << "\n";
    return 1;
  } catch (const std::exception& e) {
    // A bug (std::logic_error from a getter): still a message, not an abort.
    err << "gan: internal error: " << e.what() << "\n";
    return 1;
  }
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  bool failed = false;
  const int status = run_command(args, out, err, failed);
  // A rank that fails (its message is out) takes the others down with it:
  // they would otherwise wait forever in their next collective. What a
  // handler returns (success, an interrupt all ranks agreed on) is no failure.
  if (failed && dist::size() > 1) {
    err << std::flush;
    dist::abort("", status);
  }
  return status;
}

int run_cli(int argc, char** argv) {
  try {
    dist::init_from_launcher();
  } catch (const gan::Error& e) {
    std::cerr << "gan: error: " << e.what() << "\n";
    return 2;
  }
  const int status = run_cli(std::vector<std::string>(argv + (argc > 0 ? 1 : 0), argv + argc), std::cout, std::cerr);
  dist::finalize();
  return status;
}

}  // namespace gan::app
