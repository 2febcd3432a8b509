// ONNX export of the trained networks: a walk over a model's modules that
// emits one ONNX node (or a few) per layer, in inference form, with the
// weights as initializers. Built on the ONNX protobuf schema of libonnx-dev;
// a build without it (GAN_HAVE_ONNX unset) still has these functions, and they
// throw an error that says how to get it (onnx_export_available() tells).
//
// The graphs use opset 17 (ONNX 1.12), a dynamic batch ("N"; the translators'
// height and width are dynamic too), and name every initializer as the
// parameter or buffer it holds, with the given prefix: "G.main.0.weight", the
// names of the safetensors export and of the checkpoint records
// (docs/export.md lists them). Inference form: batch norm uses its running
// statistics (BatchNormalization with training_mode 0), dropout is left out.
//
// Inputs and outputs (f32 unless said):
//   DCGAN generator      z [N, nz] (+ class: int64 [N] when conditional) -> image [N, C, S, S]
//   DCGAN discriminator  image [N, C, S, S] (+ class: int64 [N])          -> logits [N, 1]
//   CycleGAN generator   image [N, C, H, W]                               -> image_out [N, C, H, W]
//   pix2pix U-Net        image [N, C, H, W]                               -> image_out [N, C, H, W]
//   PatchGAN             image [N, C_in, H, W]                            -> logits [N, 1, H', W']
#pragma once

#include <string>

#include "models/cyclegan.h"
#include "models/dcgan.h"
#include "models/pix2pix.h"

namespace gan {

// The ONNX opset the exports declare.
inline constexpr int kOnnxOpset = 17;

// Whether this build has the exporter (libonnx-dev was found at configure time).
bool onnx_export_available();

// Each writes an ONNX model file atomically (write_file_atomic). `prefix`
// starts every initializer's name ("G.", "G_AB."). ValueError (from a build
// without ONNX: what to install) or IoError when the file cannot be written.
void export_onnx(const std::string& path, const DcganGenerator& g, const std::string& prefix);
void export_onnx(const std::string& path, const DcganDiscriminator& d, const std::string& prefix);
void export_onnx(const std::string& path, const ResnetGenerator& g, const std::string& prefix);
void export_onnx(const std::string& path, const UnetGenerator& g, const std::string& prefix);
void export_onnx(const std::string& path, const PatchDiscriminator& d, const std::string& prefix);

}  // namespace gan
