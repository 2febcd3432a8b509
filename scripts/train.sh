#!/usr/bin/env bash
# The main job: installs dependencies, builds, and trains a DCGAN on
# Fashion-MNIST, writing sample grids and a loss CSV under runs/dcgan.
# On a GPU it trains the 64x64 model; without one a small 28x28 model on the CPU.
# Extra arguments go to `gan train` (see `build/gan train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
# OpenMP threads sleep when idle rather than spin: spinning threads steal the
# cores from working ones as soon as anything else runs on the machine (a
# browser, a build), which slowed a training step 15-fold in our measurements.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-passive}"
exec "${BUILD_DIR:-build}/gan" train "$@"
