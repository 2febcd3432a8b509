#!/usr/bin/env bash
# Installs what the project needs from Debian's packages (idempotent: installs
# only what is missing). The CUDA toolkit is optional: without nvcc the CPU
# backend is built alone. With --fuzz it also installs what tests/fuzz/run.sh
# needs: clang with its libFuzzer/sanitizer runtimes and OpenMP runtime.
set -euo pipefail

# nlohmann-json3-dev: safetensors headers; libonnx-dev with protobuf: ONNX
# export (optional to the build, needed by the tests); python3-venv: the
# export tests' runtimes (ONNX Runtime, safetensors) live in .venv-test;
# libopenmpi-dev and openmpi-bin: data-parallel training and its tests
# (optional to the build, docs/distributed.md).
packages=(build-essential cmake libgtest-dev libgmock-dev libbenchmark-dev libstb-dev libjpeg-dev
          zlib1g-dev libcli11-dev libcairo2-dev pkg-config dataset-fashion-mnist
          nlohmann-json3-dev libonnx-dev libprotobuf-dev protobuf-compiler python3-venv
          libopenmpi-dev openmpi-bin)
if [ "${1:-}" = "--fuzz" ]; then
  packages+=(clang libclang-rt-dev libomp-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
