#!/usr/bin/env bash
# The test command: installs dependencies, builds, runs every test. CUDA tests
# skip (reported as skipped) when no GPU is present.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/setup_python_tests.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)"
