// Handlers of the `gan` sub-commands: each reads its options from ParsedArgs
// (declared in app.cpp) and returns the process exit status.
#pragma once

#include "apps/gan/cli.h"

namespace gan::app {

int cmd_train(const ParsedArgs& args);
int cmd_sample(const ParsedArgs& args);
int cmd_eval(const ParsedArgs& args);

}  // namespace gan::app
