// `gan sample`: a grid of images from a trained generator.
#include <cmath>
#include <iostream>

#include "apps/gan/commands.h"
#include "apps/gan/dcgan_trainer.h"
#include "core/autograd.h"
#include "core/io/png_grid.h"
#include "core/random.h"

namespace gan::app {

int cmd_sample(const ParsedArgs& a) {
  const Device device = parse_device(a.get_string("device"));
  const std::string path = a.get_string("checkpoint");
  const auto g = load_generator(path, device);
  const int64_t n = a.get_int("n");
  Generator noise(static_cast<uint64_t>(a.get_int("seed")));
  const Tensor z = Tensor::randn({n, g->config.nz}, noise, DType::F32, device);
  Tensor images;
  {
    NoGradGuard no_grad;
    images = g->forward(z).to(Device::cpu());
  }
  const int side = static_cast<int>(g->config.image_size);
  const int nrow = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
  const std::string out = a.get_string("out");
  io::write_image_grid_png(out, images.data<float>(), static_cast<int>(n), static_cast<int>(g->config.channels), side,
                           side, nrow);
  std::cerr << "gan sample: wrote " << n << " images to " << out << "\n";
  return 0;
}

}  // namespace gan::app
