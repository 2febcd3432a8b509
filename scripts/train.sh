#!/usr/bin/env bash
# The main job: installs dependencies, builds, and trains a DCGAN on
# Fashion-MNIST, writing sample grids and a loss CSV under runs/dcgan.
# On a GPU it trains the 64x64 model; without one a small 28x28 model on the CPU.
# Extra arguments go to `gan train` (see `build/gan train --help`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# Only the app: the tests and benchmarks are not needed to train.
bash scripts/build.sh gan
# `gan` chooses its own OpenMP wait policy (short spin, then sleep) unless
# OMP_WAIT_POLICY is set: apps/gan/main.cpp says why.
exec "${BUILD_DIR:-build}/gan" train "$@"
