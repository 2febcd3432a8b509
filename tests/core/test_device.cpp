// parse_device: the names it accepts, and what it says when a GPU is asked
// for and cannot be used (the case every CPU-only machine, CI included, sees).
#include <gtest/gtest.h>

#include <string>

#include "core/cuda_runtime.h"
#include "core/device.h"
#include "core/error.h"

namespace gan {
namespace {

TEST(Device, ParsesCpuAndAuto) {
  EXPECT_EQ(parse_device("cpu"), Device::cpu());
  EXPECT_EQ(parse_device("auto"), cuda::available() ? Device::cuda() : Device::cpu());
}

TEST(Device, RejectsUnknownNamesAndBadIndices) {
  for (const char* name : {"gpu", "CPU", "", "cuda0", "cuda:", "cuda:-1", "cuda:1x", "cuda: 0", "cuda:99999999999"}) {
    try {
      parse_device(name);
      ADD_FAILURE() << "'" << name << "' was accepted";
    } catch (const ValueError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("'" + std::string(name) + "'"), std::string::npos) << msg;
      EXPECT_NE(msg.find("expected cpu, cuda, cuda:0 or auto"), std::string::npos) << msg;
    }
  }
}

TEST(Device, OtherGpuIndicesPointAtCudaVisibleDevices) {
  try {
    parse_device("cuda:1");
    FAIL() << "cuda:1 was accepted although the engine drives one GPU";
  } catch (const ValueError& e) {
    EXPECT_NE(std::string(e.what()).find("CUDA_VISIBLE_DEVICES"), std::string::npos) << e.what();
  }
}

TEST(Device, CudaWithoutAGpuSaysSoPlainly) {
  if (cuda::available()) {
    EXPECT_EQ(parse_device("cuda"), Device::cuda());
    EXPECT_EQ(parse_device("cuda:0"), Device::cuda());
    return;
  }
  for (const char* name : {"cuda", "cuda:0"}) {
    try {
      parse_device(name);
      ADD_FAILURE() << name << " was accepted without a usable GPU";
    } catch (const DeviceError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("cannot use device '" + std::string(name) + "'"), std::string::npos) << msg;
#ifdef GAN_HAVE_CUDA
      EXPECT_NE(msg.find("no CUDA device found"), std::string::npos) << msg;
#else
      EXPECT_NE(msg.find("no CUDA backend"), std::string::npos) << msg;
#endif
      EXPECT_NE(msg.find("--device cpu"), std::string::npos) << msg;
    }
  }
}

}  // namespace
}  // namespace gan
