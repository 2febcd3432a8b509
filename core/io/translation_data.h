// Training data for image-to-image translation: two domains A and B, either
// unpaired (CycleGAN) or as aligned pairs (pix2pix), in the layouts the
// reference implementations use, and the batches made from them.
//
// Layouts (--data):
//   CycleGAN (unpaired)
//     DIR/trainA/  DIR/trainB/   images of domain A and of domain B (any
//                                number of each, no correspondence)
//     DIR/testA/   DIR/testB/    optional: the images of the sample grids
//                                (else the first training images)
//     fashion-mnist:CA,CB        two classes of Debian's Fashion-MNIST: domain
//                                A = class CA, domain B = class CB (training
//                                split; the grids use the test split)
//     idx:DIR:CA,CB              the same for any MNIST-style IDX directory
//   pix2pix (paired)
//     DIR/train/                 A|B images: the input A on the left half, the
//                                target B on the right half (even width)
//     DIR/val/ or DIR/test/      optional: pairs for the sample grids (val/
//                                first; else the first training pairs)
// Images are directly inside those folders (PNG, JPEG, BMP).
//
// Augmentation (as in the papers' code): training images are resized and
// center-cropped to load_size (a little larger than the model's image_size),
// and every batch takes a random image_size window of each and mirrors it left
// to right with probability 1/2. The two images of a pix2pix pair get the same
// window and the same flip, so they stay aligned. Sample-grid images are
// resized straight to image_size, as `gan translate` does.
#pragma once

#include <cstdint>
#include <string>

#include "core/io/dataset.h"

namespace gan::io {

struct TranslationData {
  bool paired = false;
  ImageSet train_a, train_b;  // at load_size; paired: image i of A goes with image i of B
  ImageSet test_a, test_b;    // at image_size, for the sample grids
  int64_t channels() const { return train_a.channels; }
  std::string describe() const;  // "6000 A images (...) and 6000 B images (...)"
};

struct TranslationDataOptions {
  int64_t image_size = 32;
  int64_t load_size = 36;
  int64_t channels = 0;          // 0: the data's own (1 for IDX, 3 for image files)
  int64_t test_images = 8;       // at most this many test images (or pairs) are loaded
  bool swap_halves = false;      // pix2pix: learn B -> A (the right half is the input)
  BadImages bad_images = BadImages::Refuse;  // image folders: refuse undecodable files, or leave them out
};

// CycleGAN's data from a spec (see above). IoError naming what is missing and
// the layout expected (no trainA/ or trainB/, a folder without images);
// ValueError for a malformed class spec.
TranslationData load_unpaired(const std::string& spec, const TranslationDataOptions& options);
// pix2pix's data from DIR (see above). IoError naming what is missing and the
// layout expected; an A|B image of odd width is named.
TranslationData load_paired(const std::string& dir, const TranslationDataOptions& options);

// True for the class specs (fashion-mnist:CA,CB, idx:DIR:CA,CB), false for a folder.
bool is_class_spec(const std::string& spec);
// --data with its folder made absolute (DIR, or the DIR of idx:DIR:CA,CB),
// so that a resumed run finds it from any working directory.
std::string absolute_data_spec(const std::string& spec);
// What --data reads, apart from where (dataset.h): the IDX folder of a class
// spec, or the layout folders of DIR (trainA/, trainB/, testA/, testB/,
// train/, val/, test/, those that exist). IoError when the folder is missing.
DatasetIdentity data_identity(const std::string& spec);

// load_size for an image size when none is given: the papers' 286 for 256,
// the same ratio for other sizes (36 for 32).
int64_t default_load_size(int64_t image_size);

// The batches of a run. Each domain is an endless sequence of seeded
// permutations of its images (EpochOrder), the items of batch b being the
// positions b * batch_size ... of that sequence; a pair shares one sequence,
// unpaired domains have one each. An epoch is max(|A|, |B|) / batch_size
// batches: every image of the larger domain once. The window and flip of
// every image are drawn from a generator seeded by (seed, b). So batch b is a
// pure function of (data, batch_size, seed, b). `data` must outlive it.
class TranslationBatches : public BatchSource {
 public:
  TranslationBatches(const TranslationData& data, int64_t batch_size, int64_t image_size, bool flip, uint64_t seed);
  int64_t batches_per_epoch() const override { return per_epoch_; }
  // images: domain A [B, C, S, S]; images_b: domain B, in [-1, 1], on the CPU.
  Batch make_batch(int64_t b) const override;

 private:
  const TranslationData& data_;
  int64_t batch_size_, image_size_, per_epoch_;
  bool flip_;
  uint64_t augment_seed_;
  EpochOrder order_a_, order_b_;
};

// The whole of a set whose images are already at the model's size, as one
// batch tensor [n, C, S, S] in [-1, 1] on `device` (the sample grids' images).
Tensor image_set_tensor(const ImageSet& set, Device device);

}  // namespace gan::io
