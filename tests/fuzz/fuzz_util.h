// Shared by the libFuzzer targets. The contract every target checks: on any
// input, a parser either succeeds with a result that keeps its documented
// promises or throws one of the engine's typed errors (gan::Error and
// subclasses). Anything else is a bug and aborts, so libFuzzer records the
// input: another exception type, a broken promise (FUZZ_CHECK), and of course
// a crash, a sanitizer report, a timeout or running out of memory.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <vector>

#include "core/error.h"

// Aborts with a message when a promise of the code under test is broken.
#define FUZZ_CHECK(cond, what)                                                               \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "fuzz: broken promise at %s:%d: %s (%s)\n", __FILE__, __LINE__, \
                   what, #cond);                                                             \
      std::abort();                                                                          \
    }                                                                                        \
  } while (0)

namespace gan::fuzz {

// Runs fn(); a gan::Error is a correct rejection of bad input, any other
// exception is reported and aborts.
template <typename Fn>
void expect_typed_errors_only(Fn&& fn) {
  try {
    fn();
  } catch (const gan::Error&) {
    // The input was rejected with a typed, explained error: correct behaviour.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: untyped exception %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  } catch (...) {
    std::fprintf(stderr, "fuzz: exception that is not a std::exception\n");
    std::abort();
  }
}

// A private directory under the system's temporary directory ($TMPDIR),
// removed at exit, for loaders whose entry point takes a path: each input is
// written to a file there and the real entry point reads it back.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "gan-fuzz-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("fuzz: mkdtemp");
      std::abort();
    }
    dir_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  std::string path(const std::string& name) const { return (std::filesystem::path(dir_) / name).string(); }

  // Writes the bytes to `name` (replacing it) and returns the file's path.
  std::string write(const std::string& name, const uint8_t* data, size_t size) const {
    const std::string p = path(name);
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
    out.close();
    if (!out) {
      std::fprintf(stderr, "fuzz: cannot write the scratch file %s\n", p.c_str());
      std::abort();
    }
    return p;
  }

 private:
  std::string dir_;
};

}  // namespace gan::fuzz
