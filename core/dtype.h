// Element types. float32 is what models train in; float64 exists so that the
// gradient checks can use finite differences without drowning in rounding.
#pragma once

#include <cstddef>
#include <string>

namespace gan {

enum class DType { F32, F64 };

inline std::size_t dtype_size(DType t) { return t == DType::F32 ? 4 : 8; }
inline std::string to_string(DType t) { return t == DType::F32 ? "float32" : "float64"; }

template <typename T> struct dtype_of;
template <> struct dtype_of<float> { static constexpr DType value = DType::F32; };
template <> struct dtype_of<double> { static constexpr DType value = DType::F64; };

}  // namespace gan
