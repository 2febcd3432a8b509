#!/usr/bin/env bash
# The CPU test suite under AddressSanitizer + UndefinedBehaviorSanitizer, with
# libstdc++'s assertions (bounds-checked operator[] and friends) on top: a
# separate CPU-only build in build-asan/ (-O1 with debug info: fast enough for
# CI, and reports name source lines). Every target is instrumented (engine, app,
# tests; see GAN_SANITIZE in CMakeLists.txt) and any finding fails the run: a
# memory error, a leak at exit, or undefined behaviour aborts the process.
#
# OpenMP: GCC's libgomp is not instrumented, which matters for ThreadSanitizer
# (false races) but not here: ASan/UBSan check the engine's own code inside the
# parallel regions, and LeakSanitizer reports nothing from libgomp's thread pool.
# The one suppression (tests/lsan.supp) is fontconfig's process-lifetime cache,
# which cairo's text in the loss plots loads.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${ASAN_BUILD_DIR:-build-asan}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g -D_GLIBCXX_ASSERTIONS" \
  -DGAN_SANITIZE=ON -DGAN_WITH_CUDA=OFF -DGAN_BUILD_BENCH=OFF -DGAN_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)"

asan_options=(detect_leaks=1 abort_on_error=1 detect_stack_use_after_return=1
              check_initialization_order=1 strict_init_order=1)
ASAN_OPTIONS=$(IFS=:; echo "${asan_options[*]}")
export ASAN_OPTIONS
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
# Exported, so the `gan` processes the tests start inherit them.
export LSAN_OPTIONS=suppressions=$PWD/tests/lsan.supp:print_suppressions=0
# One process for the whole suite (ctest would start a sanitized process per
# test, four times slower); tests that run the `gan` binary run it sanitized too.
# Distributed.* start the gan binary under mpirun: OpenMPI's own start-up
# allocations are not the engine's and are not what this run checks (the
# normal test run covers those tests).
"$build/tests/gan_tests" --gtest_brief=1 --gtest_filter='-Distributed.*'
echo "sanitizers: the CPU test suite is clean under ASan + UBSan"
