// Handlers of the `gan` sub-commands: each reads its options from ParsedArgs
// (declared in app.cpp) and returns the process exit status.
#pragma once

#include "apps/gan/cli.h"

namespace gan::app {

int cmd_train(const ParsedArgs& args);
int cmd_sample(const ParsedArgs& args);
int cmd_eval(const ParsedArgs& args);

// Image-to-image translation (apps/gan/cmd_translation.cpp): the specs live
// beside their handlers.
CommandSpec cyclegan_train_spec();
int cmd_cyclegan_train(const ParsedArgs& args);
CommandSpec pix2pix_train_spec();
int cmd_pix2pix_train(const ParsedArgs& args);
CommandSpec translate_spec();
int cmd_translate(const ParsedArgs& args);

}  // namespace gan::app
