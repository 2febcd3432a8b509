#include "core/version.h"
namespace gan {
const char* version() { return "0.1.0"; }
}  // namespace gan
