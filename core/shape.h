// Shapes and strides: small vectors of int64, with the helpers every op needs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gan {

using Shape = std::vector<int64_t>;

int64_t numel(const Shape& shape);
// Row-major (C-contiguous) strides for a shape.
Shape contiguous_strides(const Shape& shape);
// "[2, 3, 4]"
std::string shape_str(const Shape& shape);
// NumPy broadcasting of two shapes; throws ShapeError naming `op` and both shapes.
Shape broadcast_shapes(const Shape& a, const Shape& b, const char* op);
// Normalises a possibly negative dimension index; throws ShapeError when out of range.
int normalize_dim(int64_t dim, int64_t rank, const char* op);

// The most dimensions a strided/broadcast kernel handles. 8 covers NCHW with room.
inline constexpr int kMaxDims = 8;

// An N-d view of memory as kernels take it (fixed arrays, no allocation):
// element strides (not bytes) per dimension.
struct StridedLayout {
  int rank = 0;
  int64_t shape[kMaxDims] = {};
  int64_t strides[kMaxDims] = {};
};

}  // namespace gan
