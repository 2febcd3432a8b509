// The `gan` sub-commands: each command's options (a CommandSpec, declared in
// apps/gan/cli.h) beside its handler, which reads them from ParsedArgs (also
// cli.h) and returns the process exit status. app.cpp puts them on the Cli.
// (`gan classifier train` is declared in classifier.h.)
#pragma once

#include <string>
#include <vector>

#include "apps/gan/cli.h"

namespace gan::app {

// --device's choices.
inline const std::vector<std::string> kDeviceChoices = {"auto", "cpu", "cuda"};

CommandSpec train_spec();  // cmd_train.cpp
int cmd_train(const ParsedArgs& args);
CommandSpec sample_spec();  // cmd_sample.cpp
int cmd_sample(const ParsedArgs& args);
CommandSpec eval_spec();  // cmd_eval.cpp
int cmd_eval(const ParsedArgs& args);
CommandSpec export_spec();  // cmd_export.cpp
int cmd_export(const ParsedArgs& args);

// Image-to-image translation (cmd_translation.cpp).
CommandSpec cyclegan_train_spec();
int cmd_cyclegan_train(const ParsedArgs& args);
CommandSpec pix2pix_train_spec();
int cmd_pix2pix_train(const ParsedArgs& args);
CommandSpec translate_spec();
int cmd_translate(const ParsedArgs& args);

}  // namespace gan::app
