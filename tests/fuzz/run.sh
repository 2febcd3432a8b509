#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan, CPU only) into build-fuzz/
# and runs each for SECONDS (default 30; 0 only builds). Fails if any target
# finds an input that crashes, trips a sanitizer, throws anything but a
# gan::Error, breaks a checked promise, hangs (-timeout) or exhausts memory.
#
#   tests/fuzz/run.sh [SECONDS]
#
# Each target starts from the committed seeds in tests/fuzz/corpus/<target>/
# and keeps what it learns in build-fuzz/corpus/<target>/ (reused by later runs
# in the same build dir). A failing input is saved as
# build-fuzz/artifacts/<target>/crash-* (or timeout-*, oom-*); reproduce with
#   build-fuzz/tests/fuzz/fuzz_<target> build-fuzz/artifacts/<target>/crash-...
# then add it as a regression test to the unit tests and fix the code.
# Needs clang, libclang-rt-dev (libFuzzer, sanitizer runtimes) and libomp-dev
# (clang's OpenMP runtime); `scripts/setup.sh --fuzz`, run first, installs them.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash scripts/setup.sh --fuzz
seconds=${1:-30}
build=${FUZZ_BUILD_DIR:-build-fuzz}
targets=(idx image checkpoint safetensors cli)

CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DGAN_FUZZ=ON -DGAN_WITH_CUDA=OFF -DGAN_BUILD_TESTS=OFF -DGAN_BUILD_BENCH=OFF -DGAN_WERROR=ON >/dev/null
cmake --build "$build" -j "$(nproc)" --target "${targets[@]/#/fuzz_}" fuzz_make_seeds
[ "$seconds" -gt 0 ] || exit 0

# The targets write each input to a scratch file; on tmpfs (/dev/shm) when
# there is one, since the checkpoint target's round trip fsyncs every save.
TMPDIR=$(mktemp -d /dev/shm/gan-fuzz.XXXXXX 2>/dev/null || mktemp -d)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
failed=()
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t" "$build/artifacts/$t"
  echo "fuzz: $t for ${seconds} s"
  # -timeout: seconds one input may take (a hang is a bug); -rss_limit_mb: the
  # memory one process may use (a small input must not make the parser
  # allocate gigabytes); -max_len: inputs up to 64 KiB.
  if ! "$build/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/$t/" \
      "$build/corpus/$t" "tests/fuzz/corpus/$t" >"$build/artifacts/$t.log" 2>&1; then
    failed+=("$t")
    tail -n 60 "$build/artifacts/$t.log"
  fi
  grep -E "^stat::number_of_executed_units|^stat::peak_rss_mb" "$build/artifacts/$t.log" | sed "s/^/fuzz: $t: /" || true
done
if ((${#failed[@]})); then
  echo "fuzz: FAILED: ${failed[*]} (inputs in $build/artifacts/, logs in $build/artifacts/<target>.log)" >&2
  exit 1
fi
echo "fuzz: all targets ran ${seconds} s each without a finding"
