#!/usr/bin/env bash
# The GPU benchmarks in one command, on a machine with an NVIDIA GPU (written
# for H100/H200; any GPU works with CUDA_ARCH set): configure and build
# (Release), run the CUDA parity tests, the kernel benchmarks, the engine's
# training-step benchmark when bench_train_step exists, and the PyTorch peer,
# then write bench/results/<device>-<date>.md.
#
#   bench/run_gpu.sh [--quick] [--no-tests] [--sanitize] [--no-kernels] [--no-train] [--no-pytorch]
#                    [--filter REGEX] [--budget SECONDS]
#
#   --quick       3 repetitions instead of 7, no torch.compile: about half the time
#   --sanitize    also run compute-sanitizer (memcheck, racecheck) over the CUDA
#                 tests on small shapes; slow, best as its own call:
#                 bench/run_gpu.sh --sanitize --no-kernels --no-train --no-pytorch
#   --filter      only the kernel benchmarks matching REGEX (Google Benchmark syntax)
#   --budget      finish within SECONDS (default 540 when $OUT is set, for a
#                 10-minute call; otherwise none): after the build, the kernel
#                 benchmarks get what is left minus PyTorch's share, and those
#                 not started in time are listed as "not run" (the cheap ones
#                 run first, the naive convolutions last)
# Environment: BUILD_DIR (build-gpu), CUDA_ARCH (90), CUDNN_ROOT (found if unset).
#
# On a machine without network that lacks Google Benchmark, GoogleTest/GMock,
# stb or zlib headers (the device tool's GPU machine), run
# bench/fetch_gpu_deps.sh beforehand where apt works and carry bench/.deps;
# the packages are unpacked under /tmp, never into /.
# With $OUT set (the device tool's output folder), the table, the raw results
# and the logs are copied there. Raw results stay in $BUILD_DIR/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

args="$*"
quick=0 tests=1 sanitize=0 kernels=1 train=1 pytorch=1 filter=""
budget=0
[ -n "${OUT:-}" ] && budget=540
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --no-tests) tests=0 ;;
    --sanitize) sanitize=1 ;;
    --no-kernels) kernels=0 ;;
    --no-train) train=0 ;;
    --no-pytorch) pytorch=0 ;;
    --filter) filter="$2"; shift ;;
    --budget) budget="$2"; shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "run_gpu.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

BUILD_DIR=${BUILD_DIR:-build-gpu}
CUDA_ARCH=${CUDA_ARCH:-90}
start=$(date +%s)
stage() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }
# Seconds left of the budget, less `reserve` (0 means no budget).
left() { local reserve=${1:-0}; [ "$budget" -gt 0 ] || { echo 0; return; }
         local l=$(( budget - ($(date +%s) - start) - reserve )); echo $(( l > 30 ? l : 30 )); }
# Runs a command under `timeout SECONDS` when a budget is set.
bounded() { local s=$1; shift; if [ "$budget" -gt 0 ]; then timeout "$s" "$@"; else "$@"; fi; }

command -v nvidia-smi >/dev/null || { echo "run_gpu.sh: nvidia-smi not found: this needs a machine with an NVIDIA GPU" >&2; exit 1; }
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
device=$(echo "$gpu_name" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')
day=$(date +%F)
raw="$BUILD_DIR/bench-results/$device-$day"
report="bench/results/$device-$day.md"
mkdir -p "$raw" bench/results
gpu_fields="name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw,power.limit,temperature.gpu,utilization.gpu"
gpu_state="$gpu_fields = $(nvidia-smi --query-gpu="$gpu_fields" --format=csv,noheader 2>&1 | head -1 || true)"
echo "GPU (nvidia-smi): $gpu_state"

# ---- dependencies carried as Debian packages (only what the system lacks) ----
cmake_args=()
deps=/tmp/gan-bench-deps
if ls bench/.deps/*.deb >/dev/null 2>&1; then
  stage "unpacking bench/.deps into $deps"
  mkdir -p "$deps"
  for deb in bench/.deps/*.deb; do dpkg -x "$deb" "$deps"; done
  lib="$deps/usr/lib/x86_64-linux-gnu"
  export LD_LIBRARY_PATH="$lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  [ -f /usr/include/benchmark/benchmark.h ] || cmake_args+=(-Dbenchmark_DIR="$lib/cmake/benchmark")
  [ -f /usr/include/gtest/gtest.h ] || cmake_args+=(-DGTest_DIR="$lib/cmake/GTest")
  [ -f /usr/include/stb/stb_image.h ] || cmake_args+=(-DSTB_INCLUDE_DIR="$deps/usr/include/stb")
  # zlib: the package's libz.so is an absolute link to the system's file; link the static one.
  [ -f /usr/include/zlib.h ] || cmake_args+=(-DZLIB_INCLUDE_DIR="$deps/usr/include" -DZLIB_LIBRARY="$lib/libz.a")
fi

# ---- cuDNN: the CUDA toolkit's, else the one PyTorch's wheel ships ----
if [ -z "${CUDNN_ROOT:-}" ]; then
  if [ -f /usr/local/cuda/include/cudnn.h ]; then
    CUDNN_ROOT=/usr/local/cuda
  else
    CUDNN_ROOT=$(python3 -c 'import nvidia.cudnn as m; print(list(m.__path__)[0])' 2>/dev/null || true)
  fi
fi
if [ -n "$CUDNN_ROOT" ]; then
  cmake_args+=(-DCUDNN_ROOT="$CUDNN_ROOT")
  export LD_LIBRARY_PATH="$CUDNN_ROOT/lib:$CUDNN_ROOT/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
echo "cuDNN root: ${CUDNN_ROOT:-not found}"

notes=(--note "Device (nvidia-smi at the start): $gpu_state")
if [ "$tests" = 1 ] && [ ! -f /usr/include/gtest/gtest.h ] && [ ! -f "$deps/usr/include/gtest/gtest.h" ]; then
  tests=0
  notes+=(--note "CUDA parity tests: not run (no GoogleTest; bench/fetch_gpu_deps.sh carries it)")
fi

# ---- build ----
stage "configure and build ($BUILD_DIR, Release, sm_$CUDA_ARCH)"
if [ -x /usr/local/cuda/bin/nvcc ]; then export PATH="/usr/local/cuda/bin:$PATH"; fi
build_tests=ON
[ "$tests" = 1 ] || build_tests=OFF
if ! { cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCH" \
         -DGAN_BUILD_TESTS="$build_tests" "${cmake_args[@]}" && cmake --build "$BUILD_DIR" -j "$(nproc)"; } \
     > "$raw/build.log" 2>&1; then
  tail -40 "$raw/build.log"
  echo "run_gpu.sh: build failed (log: $raw/build.log)" >&2
  exit 1
fi
grep -E "cuDNN|Google Benchmark|nvcc" "$raw/build.log" || true

revision="not a git checkout"
if commit=$(git rev-parse --short HEAD 2>/dev/null); then
  revision="git $commit"
  git diff --quiet HEAD 2>/dev/null || revision="$revision with local changes"
fi
notes+=(--note "Command: bench/run_gpu.sh $args (build $BUILD_DIR, sm_$CUDA_ARCH, cuDNN from ${CUDNN_ROOT:-?})"
        --note "Date: $day; source: $revision")

# ---- correctness first: the CUDA parity tests ----
if [ "$tests" = 1 ]; then
  stage "CUDA parity tests"
  rm -f "$raw/tests.log"
  "$BUILD_DIR/tests/gan_tests" --gtest_filter='*Cuda*:CachingAllocator*' --gtest_brief=1 > "$raw/tests.log" 2>&1 \
    && verdict="passed" || verdict="FAILED: the numbers below are suspect"
  counts=$(grep -E '^\[ +(PASSED|SKIPPED|FAILED) +\] [0-9]+ tests?' "$raw/tests.log" \
    | sed -E 's/^\[ +([A-Z]+) +\] ([0-9]+) tests?.*/\2 \1/' | tr '\n' ' ' | tr '[:upper:]' '[:lower:]')
  notes+=(--note "CUDA parity tests: $verdict (${counts% }; tests.log)")
  tail -5 "$raw/tests.log"
fi

# ---- compute-sanitizer over the CUDA tests (--sanitize; slow: a separate call) ----
if [ "$sanitize" = 1 ] && [ "$tests" = 1 ]; then
  stage "compute-sanitizer memcheck and racecheck over the CUDA tests"
  # memcheck: every CUDA test on the small and edge shapes; racecheck: the
  # kernels that share memory between threads (reductions, norms, the conv tiles).
  for check in "memcheck|CudaConv.EdgeShapes:CudaParity.*:CudaParityImageOps.*:DoubleBackwardCuda.*:CudaAllocator.*" \
               "racecheck|CudaConv.EdgeShapes:CudaParity.SumTo*:CudaParity.BatchNorm*:CudaParity.Loss*:CudaParityImageOps.InstanceNorm*"; do
    tool=${check%%|*} gfilter=${check#*|}
    bounded "$(left 60)" compute-sanitizer --tool "$tool" --error-exitcode 3 \
      "$BUILD_DIR/tests/gan_tests" --gtest_filter="$gfilter" --gtest_brief=1 > "$raw/sanitize-$tool.log" 2>&1 \
      && verdict="no errors" || verdict="FAILED (exit $?)"
    summary=$(grep -E "ERROR SUMMARY" "$raw/sanitize-$tool.log" | tail -1)
    notes+=(--note "compute-sanitizer --tool $tool, tests '$gfilter': $verdict; ${summary:-no summary} (sanitize-$tool.log)")
    tail -3 "$raw/sanitize-$tool.log"
  done
fi

# ---- kernels ----
bench_args=(--benchmark_out_format=json)
[ "$quick" = 1 ] && bench_args+=(--benchmark_repetitions=3)
[ -n "$filter" ] && bench_args+=(--benchmark_filter="$filter")
if [ "$kernels" = 1 ]; then
  stage "kernel benchmarks (bench_kernels_cuda)"
  rm -f "$raw/kernels.json"
  if [ -x "$BUILD_DIR/bench/bench_kernels_cuda" ]; then
    # What the later stages need is kept back: PyTorch (with compilation) and the train step.
    reserve=20
    [ "$pytorch" = 1 ] && reserve=$(( reserve + (quick ? 60 : 150) ))
    [ "$train" = 1 ] && [ -x "$BUILD_DIR/bench/bench_train_step" ] && reserve=$(( reserve + 60 ))
    kernel_budget=$(left "$reserve")
    [ "$kernel_budget" -gt 0 ] && echo "time budget for the kernel benchmarks: $kernel_budget s"
    # TF32 off process-wide as well: cuDNN and cuBLAS run true FP32 whatever a descriptor says.
    GAN_BENCH_TIME_BUDGET_S=$kernel_budget NVIDIA_TF32_OVERRIDE=0 bounded $(( kernel_budget + 60 )) \
      "$BUILD_DIR/bench/bench_kernels_cuda" "${bench_args[@]}" --benchmark_out="$raw/kernels.json" 2>&1 \
      | tee "$raw/kernels.log" | grep -v -E '_(mean|stddev|cv)\b' || true
    [ -s "$raw/kernels.json" ] || notes+=(--note "Kernel benchmarks: FAILED to run ($(tail -1 "$raw/kernels.log"))")
  else
    notes+=(--note "Kernel benchmarks: not built (no Google Benchmark or no cuDNN; see build.log)")
  fi
fi

# ---- the engine's training step (written separately; skipped until it exists) ----
if [ "$train" = 1 ]; then
  stage "engine training step (bench_train_step)"
  rm -f "$raw/train.json"
  if [ -x "$BUILD_DIR/bench/bench_train_step" ]; then
    bounded "$(left 10)" "$BUILD_DIR/bench/bench_train_step" --benchmark_out_format=json \
      --benchmark_out="$raw/train.json" 2>&1 | tee "$raw/train.log" || true
  else
    echo "bench_train_step does not exist yet (bench/train_step.cpp): skipped"
    notes+=(--note "Engine training step: bench_train_step does not exist yet, not measured")
  fi
fi

# ---- the PyTorch peer ----
if [ "$pytorch" = 1 ]; then
  stage "PyTorch DCGAN (bench/pytorch_dcgan.py)"
  rm -f "$raw/pytorch.jsonl"
  py_args=(--json "$raw/pytorch.jsonl")
  [ "$quick" = 1 ] && py_args+=(--no-compile)
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    PYTHONUNBUFFERED=1 bounded "$(left 15)" python3 bench/pytorch_dcgan.py "${py_args[@]}" 2>&1 \
      | tee "$raw/pytorch.log" || true
  else
    echo "python3 has no CUDA-enabled torch: skipped"
    notes+=(--note "PyTorch: not available on this machine, not measured")
  fi
fi

# ---- the table ----
stage "report $report"
fmt_args=()
[ -f "$raw/kernels.json" ] && fmt_args+=(--kernels "$raw/kernels.json")
[ -f "$raw/train.json" ] && fmt_args+=(--train "$raw/train.json")
[ -f "$raw/pytorch.jsonl" ] && fmt_args+=(--pytorch "$raw/pytorch.jsonl")
python3 bench/format_results.py --title "GPU benchmarks: $gpu_name, $day" "${notes[@]}" "${fmt_args[@]}" \
  --out "$report"
echo "wrote $repo/$report"
if [ -n "${OUT:-}" ]; then
  cp "$report" "$OUT/"
  for f in kernels.json train.json pytorch.jsonl build.log tests.log kernels.log pytorch.log; do
    [ -f "$raw/$f" ] && cp "$raw/$f" "$OUT/"
  done
  echo "copied the report and raw results to \$OUT"
fi
echo "rows reporting an error or not run: $(grep -c '| error |' "$report" || true)"
stage "done"
