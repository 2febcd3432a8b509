#!/usr/bin/env bash
# Installs what the project needs from Debian's packages (idempotent: installs
# only what is missing). The CUDA toolkit is optional: without nvcc the CPU
# backend is built alone. With --fuzz it also installs what tests/fuzz/run.sh
# needs: clang with its libFuzzer/sanitizer runtimes and OpenMP runtime.
set -euo pipefail

packages=(build-essential cmake libgtest-dev libgmock-dev libbenchmark-dev libstb-dev libjpeg-dev
          zlib1g-dev libcli11-dev libcairo2-dev pkg-config dataset-fashion-mnist)
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
