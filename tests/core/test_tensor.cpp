// Tensor basics: factories, views, copies, the RNG, and error messages.
#include <gtest/gtest.h>

#include "core/cuda_runtime.h"
#include "core/error.h"
#include "core/ops.h"
#include "core/random.h"

namespace gan {
namespace {

TEST(Tensor, FactoriesAndViews) {
  const Tensor t = Tensor::from_vector(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  EXPECT_EQ(t.dtype(), DType::F32);
  EXPECT_EQ(t.numel(), 6);
  EXPECT_TRUE(t.is_contiguous());
  const Tensor r = t.reshape({3, -1});
  EXPECT_EQ(r.shape(), (Shape{3, 2}));
  EXPECT_EQ(r.data_ptr(), t.data_ptr());  // a view shares storage
  const Tensor tr = t.transpose(0, 1);
  EXPECT_EQ(tr.contiguous().to_vector(), (std::vector<double>{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(t.slice(1, 1, 3).to_vector(), (std::vector<double>{2, 3, 5, 6}));
  EXPECT_EQ(Tensor::full({2}, 7.5).to_vector(), (std::vector<double>{7.5, 7.5}));
  EXPECT_EQ(t.to(DType::F64).dtype(), DType::F64);
}

TEST(Tensor, CopyAndFillInPlace) {
  Tensor t = Tensor::zeros({2, 2}, DType::F64);
  t.copy_(Tensor::from_vector(std::vector<double>{1, 2, 3, 4}, {2, 2}, DType::F32));
  EXPECT_EQ(t.to_vector(), (std::vector<double>{1, 2, 3, 4}));
  Tensor col = t.slice(1, 0, 1);
  col.fill_(9.0);
  EXPECT_EQ(t.to_vector(), (std::vector<double>{9, 2, 9, 4}));
}

TEST(Random, SameSeedSameNumbersAndMoments) {
  Rng a(42), b(42), c(43);
  const auto x = Tensor::randn({10000}, a).to_vector();
  EXPECT_EQ(x, Tensor::randn({10000}, b).to_vector());
  EXPECT_NE(x, Tensor::randn({10000}, c).to_vector());
  double m = 0, v = 0;
  for (double e : x) m += e;
  m /= x.size();
  for (double e : x) v += (e - m) * (e - m);
  v /= x.size();
  EXPECT_NEAR(m, 0.0, 0.05);
  EXPECT_NEAR(v, 1.0, 0.05);
  // float32 and float64 draws of the same stream agree to float precision.
  Rng d(7), e(7);
  const auto f32 = Tensor::rand({100}, d, DType::F32).to_vector();
  const auto f64 = Tensor::rand({100}, e, DType::F64).to_vector();
  for (size_t i = 0; i < f32.size(); ++i) EXPECT_NEAR(f32[i], f64[i], 1e-7);
}

TEST(Errors, ShapeMismatchNamesOpAndShapes) {
  const Tensor a = Tensor::ones({2, 3}), b = Tensor::ones({4});
  try {
    add(a, b);
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 3]"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[4]"), std::string::npos) << msg;
  }
  try {
    matmul(Tensor::ones({2, 3}), Tensor::ones({2, 3}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("matmul: shapes [2, 3] and [2, 3]"), std::string::npos) << e.what();
  }
  EXPECT_THROW(conv2d(Tensor::ones({1, 3, 8, 8}), Tensor::ones({4, 2, 3, 3}), Tensor()), ShapeError);
  EXPECT_THROW(conv2d(Tensor::ones({1, 1, 2, 2}), Tensor::ones({1, 1, 3, 3}), Tensor()), ShapeError);
  EXPECT_THROW(bce_with_logits(Tensor::ones({2, 1}), Tensor::ones({2})), ShapeError);
  EXPECT_THROW(Tensor::ones({2}).reshape({3}), ShapeError);
}

TEST(Errors, DTypeMismatch) {
  try {
    mul(Tensor::ones({2}, DType::F32), Tensor::ones({2}, DType::F64));
    FAIL() << "expected DTypeError";
  } catch (const DTypeError& e) {
    EXPECT_NE(std::string(e.what()).find("mul"), std::string::npos) << e.what();
  }
}

TEST(Errors, DeviceMismatchOrNoGpu) {
  if (!cuda::available()) {
    // Asking for a CUDA tensor without a GPU says so plainly.
    try {
      Tensor::ones({2}, DType::F32, Device::cuda());
      FAIL() << "expected DeviceError";
    } catch (const DeviceError& e) {
      EXPECT_NE(std::string(e.what()).find("cpu"), std::string::npos) << e.what();
    }
    GTEST_SKIP() << "no CUDA device: the cross-device mismatch case needs one";
  }
  try {
    add(Tensor::ones({2, 2}), Tensor::ones({2, 2}, DType::F32, Device::cuda()));
    FAIL() << "expected DeviceError";
  } catch (const DeviceError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("add"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[2, 2]"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace gan
