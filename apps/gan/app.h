// The `gan` command line: the sub-commands, their options, and the error policy.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "apps/gan/cli.h"

namespace gan::app {

// Every sub-command with its options and handler (handlers live in commands.h).
Cli make_cli();

// Parses and dispatches. Returns the exit status: the handler's, 0 after
// --help/--version, 1 after a gan::Error, 2 after a bad command line.
int run_cli(int argc, char** argv);
// The same with `args` excluding the program name, for in-process tests.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace gan::app
