// Typed errors. Every failure the engine can detect throws one of these with a
// message that says what was wrong and what to do; the app prints it and exits
// non-zero. Nothing aborts silently.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace gan {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class ShapeError : public Error { public: using Error::Error; };     // incompatible shapes
class DeviceError : public Error { public: using Error::Error; };    // device mismatch / no GPU
class DTypeError : public Error { public: using Error::Error; };     // dtype mismatch / unsupported
class ValueError : public Error { public: using Error::Error; };     // a bad argument value
class IoError : public Error { public: using Error::Error; };        // files: missing, truncated, corrupt
class CudaError : public Error { public: using Error::Error; };      // a failed CUDA/cuBLAS call
class OutOfMemoryError : public Error { public: using Error::Error; };
class AutogradError : public Error { public: using Error::Error; };  // misuse of backward()
class NumericalError : public Error { public: using Error::Error; }; // NaN or Inf where numbers must be finite
class DistributedError : public Error { public: using Error::Error; }; // ranks that disagree, MPI/NCCL failures

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace gan

// GAN_CHECK(cond, ErrorType, message parts...): throw ErrorType(message) unless cond.
#define GAN_CHECK(cond, ErrorType, ...)                              \
  do {                                                               \
    if (!(cond)) throw ErrorType(::gan::detail::concat(__VA_ARGS__)); \
  } while (0)
