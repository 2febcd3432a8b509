// Fuzzes the `gan` command-line parser: Cli::parse over the real command table
// (gan::app::make_cli()), with an argument vector decoded from the input —
// arguments separated by NUL bytes, as in /proc/<pid>/cmdline. Handlers are
// never run. A bad command line must end in UsageError (a gan::Error); the
// std::logic_error the parser throws for malformed specs or wrong getter types
// would mean a bug in the parser or the app.
// Promises checked on success: either text to print (help, version) and no
// handler, or a handler with the parsed options of a named command.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "apps/gan/app.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const gan::app::Cli cli = gan::app::make_cli();
  // Each NUL ends an argument (empty ones included); bytes after the last NUL
  // are one more argument.
  std::vector<std::string> args;
  const char* text = reinterpret_cast<const char*>(data);
  size_t start = 0;
  for (size_t i = 0; i < size; ++i) {
    if (data[i] != 0) continue;
    args.emplace_back(text + start, i - start);
    start = i + 1;
  }
  if (start < size) args.emplace_back(text + start, size - start);
  gan::fuzz::expect_typed_errors_only([&] {
    const gan::app::Invocation inv = cli.parse(args);
    if (inv.handler) {
      FUZZ_CHECK(inv.text.empty(), "a parse with a handler also returned text");
      FUZZ_CHECK(!inv.args.command().empty(), "a parse with a handler names no command");
    } else {
      FUZZ_CHECK(!inv.text.empty(), "a parse without a handler returned no text to print");
    }
  });
  return 0;
}
