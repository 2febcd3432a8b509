#!/usr/bin/env bash
# Configures and builds into build/ (CUDA backend when nvcc is found; set
# GAN_CMAKE_ARGS for extra options, e.g. -DCMAKE_CUDA_ARCHITECTURES=80;90).
# Arguments name the targets to build (default: all), e.g. `build.sh gan`.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
# shellcheck disable=SC2086
cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DGAN_WERROR=ON ${GAN_CMAKE_ARGS:-} >/dev/null
targets=()
for t in "$@"; do targets+=(--target "$t"); done
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
