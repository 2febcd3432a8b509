// Placeholders until the training loop and sampler land; this file is meant to
// be replaced wholesale.
#include "apps/gan/commands.h"

#include <iostream>

namespace gan::app {

int cmd_train(const ParsedArgs& args) {
  std::cerr << "gan " << args.command() << ": not implemented yet\n";
  return 2;
}

int cmd_sample(const ParsedArgs& args) {
  std::cerr << "gan " << args.command() << ": not implemented yet\n";
  return 2;
}

}  // namespace gan::app
