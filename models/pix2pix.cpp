#include "models/pix2pix.h"

#include <limits>

#include "core/error.h"

namespace gan {

void UnetGeneratorConfig::validate() const {
  GAN_CHECK(in_channels > 0 && out_channels > 0, ValueError, "UnetGenerator: channel counts must be positive, got ",
            in_channels, " in and ", out_channels, " out");
  GAN_CHECK(ngf > 0, ValueError, "UnetGenerator: ngf must be positive, got ", ngf);
  GAN_CHECK(num_downs >= 5 && num_downs <= 12, ValueError,
            "UnetGenerator: num_downs must be in [5, 12] (8 for 256x256 images, 7 for 128, 6 for 64), got ",
            num_downs);
}

UnetBlock::UnetBlock(Kind kind, int64_t outer_channels, int64_t inner_channels, std::shared_ptr<UnetBlock> inner,
                     const UnetGeneratorConfig& config, bool dropout, const std::shared_ptr<Rng>& noise,
                     Rng& rng)
    : kind_(kind), inner_(std::move(inner)) {
  GAN_CHECK((kind == Kind::Innermost) == (inner_ == nullptr), ValueError,
            "UnetBlock: the innermost block, and only it, has no inner block");
  const bool bias = config.norm == Norm::Instance;  // as in models/cyclegan.cpp
  const int64_t in_channels = kind == Kind::Outermost ? config.in_channels : outer_channels;
  // The up path reads the inner block's output: its up conv's channels plus the
  // skip copy of its input (2 * inner_channels), except from the innermost, which has no skip.
  const int64_t up_in = kind == Kind::Innermost ? inner_channels : 2 * inner_channels;
  const int64_t up_out = kind == Kind::Outermost ? config.out_channels : outer_channels;

  down_ = register_module("down", std::make_shared<Sequential>());
  down_->add(std::make_shared<Conv2d>(in_channels, inner_channels, 4, rng, 2, 1, bias));
  if (kind == Kind::Middle) down_->add(make_norm2d(config.norm, inner_channels));
  if (inner_) register_module("inner", inner_);

  up_ = register_module("up", std::make_shared<Sequential>());
  up_->add(std::make_shared<ReLU>());
  up_->add(std::make_shared<ConvTranspose2d>(up_in, up_out, 4, rng, 2, 1, 0, bias || kind == Kind::Outermost));
  if (kind == Kind::Outermost) {
    up_->add(std::make_shared<Tanh>());
  } else {
    up_->add(make_norm2d(config.norm, up_out));
    if (dropout) up_->add(std::make_shared<Dropout>(0.5, noise));
  }
}

Tensor UnetBlock::forward(const Tensor& x) {
  // The encoder's leaky ReLU opens every block but the outermost, and its
  // output is what the skip carries (see the header).
  const Tensor a = kind_ == Kind::Outermost ? x : leaky_relu(x, 0.2);
  Tensor h = down_->forward(a);
  if (inner_) h = inner_->forward(h);
  h = up_->forward(h);
  return kind_ == Kind::Outermost ? h : concat({a, h}, 1);
}

UnetGenerator::UnetGenerator(const UnetGeneratorConfig& cfg, Rng& rng) : config(cfg) {
  config.validate();
  // The dropout stream gets its own seed, drawn from the construction generator.
  noise_ = std::make_shared<Rng>(rng.next_below(std::numeric_limits<uint64_t>::max()));
  using Kind = UnetBlock::Kind;
  const int64_t ngf = config.ngf;
  // Built from the inside out: the innermost block, num_downs - 5 blocks at
  // 8*ngf (with dropout), then 8ngf<-4ngf<-2ngf<-ngf, then the outermost.
  auto block = std::make_shared<UnetBlock>(Kind::Innermost, 8 * ngf, 8 * ngf, nullptr, config, false, noise_, rng);
  for (int64_t i = 0; i < config.num_downs - 5; ++i)
    block = std::make_shared<UnetBlock>(Kind::Middle, 8 * ngf, 8 * ngf, block, config, config.use_dropout, noise_, rng);
  for (int64_t outer : {4 * ngf, 2 * ngf, ngf})
    block = std::make_shared<UnetBlock>(Kind::Middle, outer, 2 * outer, block, config, false, noise_, rng);
  root_ = std::make_shared<UnetBlock>(Kind::Outermost, config.out_channels, ngf, block, config, false, noise_, rng);
  register_module("model", root_);
}

Tensor UnetGenerator::forward(const Tensor& x) {
  GAN_CHECK(x.dim() == 4 && x.shape()[1] == config.in_channels, ShapeError, "UnetGenerator: input must be [N, ",
            config.in_channels, ", H, W], got ", shape_str(x.shape()));
  const int64_t m = config.size_multiple();
  GAN_CHECK(x.shape()[2] % m == 0 && x.shape()[3] % m == 0 && x.shape()[2] > 0 && x.shape()[3] > 0, ShapeError,
            "UnetGenerator with num_downs = ", config.num_downs, " needs height and width that are multiples of ", m,
            ", got ", shape_str(x.shape()), "; resize the images or choose num_downs = log2(image size)");
  return root_->forward(x);
}

}  // namespace gan
