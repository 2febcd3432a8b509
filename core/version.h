#pragma once
namespace gan {
// The engine's version, written into checkpoints and printed by `gan --version`.
const char* version();
}  // namespace gan
