#!/usr/bin/env bash
# Downloads (does not install) the Debian packages bench/run_gpu.sh needs on a
# GPU machine that has no network and lacks them: Google Benchmark, GoogleTest
# and GoogleMock (the CUDA parity tests run first), stb and zlib headers.
# Run it here, on a Debian/Ubuntu machine with apt; it fills bench/.deps/
# (git-ignored). Then carry that folder to the GPU machine (the device tool:
# carry ["bench/.deps"]); run_gpu.sh unpacks the packages under /tmp, never into /.
set -euo pipefail
cd "$(dirname "$0")"
packages=(libbenchmark-dev libbenchmark1debian libgtest-dev libgmock-dev libstb-dev zlib1g-dev)
mkdir -p .deps
cd .deps
rm -f ./*.deb
apt-get download "${packages[@]}"
ls -l
