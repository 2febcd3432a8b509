#!/usr/bin/env bash
# The GPU benchmarks in one command, on a machine with an NVIDIA GPU (written
# for H100/H200; any GPU works with CUDA_ARCH set): configure and build
# (Release), run the CUDA parity tests, the kernel benchmarks, the engine's
# training-step benchmark when bench_train_step exists, and the PyTorch peer,
# then write bench/results/<device>-<date>.md.
#
#   bench/run_gpu.sh [--quick] [--prebuilt] [--no-tests] [--sanitize] [--no-kernels] [--no-train]
#                    [--no-pytorch] [--app-data DIR] [--filter REGEX] [--budget SECONDS]
#
#   --quick       3 repetitions instead of 7, no torch.compile: about half the time
#   --prebuilt    $BUILD_DIR already holds the programs, built on another machine
#                 with the same CUDA toolkit (bench/pack_prebuilt.sh packs them
#                 with the shared libraries this machine lacks, in $BUILD_DIR/lib):
#                 no configure or build here
#   --ladder      also time the convolution ladder (bench_conv_ladder_cuda: every
#                 rung of kernels/conv/ladder on the DCGAN layers, cuDNN beside;
#                 LADDER_RUNGS=4_vectorized,5_implicit_gemm times only those)
#   --conv-tiles  also time every tile of the implicit GEMM, forced, on every
#                 pass of the DCGAN layers at batch 128 (bench_kernels_cuda
#                 --conv-tiles: what plan_gemm should choose), cuDNN beside
#   --op-cases    also time the op-case table's cuda rows (bench_op_cases: the
#                 public ops with dispatch and the tape, synchronized per op)
#   --profile     also list the GPU time of every kernel of two DCGAN training
#                 steps (Nsight Compute's gpu__time_duration, clocks untouched)
#   --app-data D  also train the app's DCGAN on cuda for 60 s on the IDX data in
#                 D (Ctrl-C semantics: it stops after a checkpoint) and keep its
#                 last sample grid
#   --sanitize    also run compute-sanitizer (memcheck, racecheck) over the CUDA
#                 tests on small shapes; slow, best as its own call:
#                 bench/run_gpu.sh --sanitize --no-kernels --no-train --no-pytorch
#   --filter      only the kernel benchmarks matching REGEX (Google Benchmark syntax)
#   --tests-filter F   only the CUDA tests matching the gtest filter F
#   --budget      finish within SECONDS (default 540 when $OUT is set, for a
#                 10-minute call; otherwise none): after the build, the kernel
#                 benchmarks get what is left minus PyTorch's share, and those
#                 not started in time are listed as "not run" (the cheap ones
#                 run first, the naive convolutions last)
# Environment: BUILD_DIR (build-gpu), CUDA_ARCH (90), CUDNN_ROOT (found if unset).
#
# A GPU machine that cannot build the project (no network, none of its
# Debian dependencies: the device tool's) runs programs built on another
# machine: bench/pack_prebuilt.sh there, carry the archive, unpack it here and
# pass --prebuilt (bench/prebuilt_env.sh finds the libraries).
# With $OUT set (the device tool's output folder), the table, the raw results
# and the logs are copied there. Raw results stay in $BUILD_DIR/bench-results/.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

args="$*"
quick=0 prebuilt=0 tests=1 sanitize=0 kernels=1 train=1 pytorch=1 filter="" tests_filter="" app_data=""
ladder=0 op_cases=0 profile=0 conv_tiles=0
budget=0
[ -n "${OUT:-}" ] && budget=540
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --prebuilt) prebuilt=1 ;;
    --ladder) ladder=1 ;;
    --conv-tiles) conv_tiles=1 ;;
    --op-cases) op_cases=1 ;;
    --profile) profile=1 ;;
    --app-data) app_data="$2"; shift ;;
    --no-tests) tests=0 ;;
    --sanitize) sanitize=1 ;;
    --no-kernels) kernels=0 ;;
    --no-train) train=0 ;;
    --no-pytorch) pytorch=0 ;;
    --filter) filter="$2"; shift ;;
    --tests-filter) tests_filter="$2"; shift ;;
    --budget) budget="$2"; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    *) echo "run_gpu.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

# The CUDA tests (every test that skips without a GPU), and the subsets the
# sanitizers run: memcheck everything on small and edge shapes (Simulator/* is
# the op-case table's small subset); racecheck the kernels that share memory
# between threads (reductions, norms, the convolution tiles).
cuda_tests='*Cuda*:Gpu/*:Simulator/*:CachingAllocator.*:Device.*:Errors.DeviceMismatchOrNoGpu'
[ -n "$tests_filter" ] && cuda_tests=$tests_filter
sanitize_memcheck='Simulator/*:CudaConv.EdgeShapes:CudaConv.EveryTileAndIndexWidth:CudaConvLadder.*:CudaParity.*:CudaParityImageOps.*'
sanitize_memcheck+=':DoubleBackwardCuda.*:CudaAllocator.*:CudaIndex.*:CudaSumToPlan.*:CudaTrainStep.*:CudaModels.*'
# (memcheck reports every failed CUDA call: the allocator test that asks for 1 PiB on purpose stays out)
sanitize_memcheck+='-CudaAllocator.AbsurdAllocation*'
sanitize_racecheck='Simulator/*:CudaConv.EdgeShapes:CudaConv.EveryTileAndIndexWidth:CudaConvLadder.EdgeShapes:CudaParity.SumTo*:CudaParity.BatchNorm*'
sanitize_racecheck+=':CudaParity.Loss*:CudaParityImageOps.InstanceNorm*'

BUILD_DIR=${BUILD_DIR:-build-gpu}
app_reserve=0
[ -n "$app_data" ] && app_reserve=95
CUDA_ARCH=${CUDA_ARCH:-90}
start=$(date +%s)
stage() { echo; echo "== [$(( $(date +%s) - start )) s] $*"; }
# Seconds left of the budget, less `reserve` (0 means no budget).
left() { local reserve=${1:-0}; [ "$budget" -gt 0 ] || { echo 0; return; }
         local l=$(( budget - ($(date +%s) - start) - reserve )); echo $(( l > 30 ? l : 30 )); }
# The smaller of SECONDS and what is left of the budget (less 60 s for the later stages).
cap() { local l; l=$(left 60); if [ "$l" -gt 0 ] && [ "$l" -lt "$1" ]; then echo "$l"; else echo "$1"; fi; }
# Runs a command under `timeout SECONDS` when a budget is set.
bounded() { local s=$1; shift; if [ "$budget" -gt 0 ]; then timeout "$s" "$@"; else "$@"; fi; }

command -v nvidia-smi >/dev/null || { echo "run_gpu.sh: nvidia-smi not found: this needs a machine with an NVIDIA GPU" >&2; exit 1; }
gpu_name=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)
device=$(echo "$gpu_name" | tr '[:upper:]' '[:lower:]' | sed -e 's/[^a-z0-9]\+/-/g' -e 's/^-//' -e 's/-$//')
day=$(date +%F)
raw="$BUILD_DIR/bench-results/$device-$day"
report="bench/results/$device-$day.md"
mkdir -p "$raw" bench/results
# With $OUT (the device tool's folder, which returns at most 8 files): the
# report, the raw JSON, the test log, the app's last grid and loss plot, and
# every log in one archive; also when a stage fails or the budget runs out.
copy_out() {
  [ -n "${OUT:-}" ] || return 0
  [ -f "$report" ] && cp "$report" "$OUT/"
  for f in kernels.json train.json pytorch.jsonl tests.log; do [ -f "$raw/$f" ] && cp "$raw/$f" "$OUT/"; done
  local grid; grid=$(ls "$raw"/app-run/samples/*.png 2>/dev/null | tail -1 || true)
  [ -n "$grid" ] && cp "$grid" "$OUT/app-samples.png"
  [ -f "$raw/app-run/losses.png" ] && cp "$raw/app-run/losses.png" "$OUT/app-losses.png"
  tar -C "$raw" -czf "$OUT/logs.tgz" --exclude='*.ckpt' --exclude='*.png' . 2>/dev/null || true
  echo "copied the report and raw results to \$OUT"
}
trap copy_out EXIT
gpu_fields="name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,power.draw,power.limit,temperature.gpu,utilization.gpu"
gpu_state="$gpu_fields = $(nvidia-smi --query-gpu="$gpu_fields" --format=csv,noheader 2>&1 | head -1 || true)"
echo "GPU (nvidia-smi): $gpu_state"

cmake_args=()

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

# ---- build, or the programs built elsewhere ----
if [ "$prebuilt" = 1 ]; then
  stage "prebuilt programs in $BUILD_DIR"
  [ -x "$BUILD_DIR/tests/gan_tests" ] || [ "$tests" = 0 ] \
    || { echo "run_gpu.sh: --prebuilt but $BUILD_DIR/tests/gan_tests is missing (bench/pack_prebuilt.sh)" >&2; exit 1; }
  env_line=$(bench/prebuilt_env.sh "$BUILD_DIR") || exit 1
  eval "$env_line"
  echo "LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
else
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
fi

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
  bounded "$(cap 240)" "$BUILD_DIR/tests/gan_tests" --gtest_filter="$cuda_tests" --gtest_brief=1 \
    --gtest_output="xml:$raw/tests.xml" > "$raw/tests.log" 2>&1 \
    && verdict="passed" || verdict="FAILED (exit $?): the numbers below are suspect"
  counts=$(grep -E '^\[ +(PASSED|SKIPPED|FAILED) +\] [0-9]+ tests?' "$raw/tests.log" \
    | sed -E 's/^\[ +([A-Z]+) +\] ([0-9]+) tests?.*/\2 \1/' | tr '\n' ' ' | tr '[:upper:]' '[:lower:]' || true)
  notes+=(--note "CUDA parity tests: $verdict (${counts% }; tests.log)")
  tail -5 "$raw/tests.log"
fi

# ---- compute-sanitizer over the CUDA tests (--sanitize; slow: a separate call) ----
if [ "$sanitize" = 1 ] && [ "$tests" = 1 ]; then
  stage "compute-sanitizer memcheck and racecheck over the CUDA tests"
  sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda/bin/compute-sanitizer \
              /usr/local/cuda/compute-sanitizer/compute-sanitizer 2>/dev/null | head -1 || true)
  [ -n "$sanitizer" ] || { sanitize=0; notes+=(--note "compute-sanitizer: not found, not run"); }
fi
if [ "$sanitize" = 1 ] && [ "$tests" = 1 ]; then
  # memcheck: every CUDA test on the small and edge shapes; racecheck: the
  # kernels that share memory between threads (reductions, norms, the conv tiles).
  # Each tool has a cap in seconds, so that the benchmarks keep their share.
  for check in "memcheck|150|$sanitize_memcheck" "racecheck|75|$sanitize_racecheck"; do
    tool=${check%%|*} rest=${check#*|}
    seconds=${rest%%|*} gfilter=${rest#*|}
    # No caching allocator: every tensor its own cudaMalloc, so memcheck sees its exact bounds.
    GAN_CUDA_NO_CACHING=1 bounded "$(cap "$seconds")" "$sanitizer" --tool "$tool" --error-exitcode 3 \
      "$BUILD_DIR/tests/gan_tests" --gtest_filter="$gfilter" --gtest_brief=1 > "$raw/sanitize-$tool.log" 2>&1 \
      && verdict="no errors" || verdict="FAILED (exit $?)"
    summary=$(grep -E "(ERROR|RACECHECK) SUMMARY" "$raw/sanitize-$tool.log" | tail -1 || true)
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
    reserve=$(( reserve + app_reserve ))
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
    # The GPU rows only: the CPU rows describe the host's cores, measured by bench/results/cpu-*.
    bounded "$(left 10)" "$BUILD_DIR/bench/bench_train_step" --benchmark_filter=/cuda --benchmark_out_format=json \
      --benchmark_out="$raw/train.json" 2>&1 | tee "$raw/train.log" || true
  else
    echo "bench_train_step does not exist yet (bench/train_step.cpp): skipped"
    notes+=(--note "Engine training step: bench_train_step does not exist yet, not measured")
  fi
fi

# ---- optional: the convolution ladder, the op table's cuda rows, a kernel profile ----
if [ "$ladder" = 1 ]; then
  stage "convolution ladder (bench_conv_ladder_cuda)"
  GAN_BENCH_TIME_BUDGET_S=$(cap 120) NVIDIA_TF32_OVERRIDE=0 bounded "$(cap 150)" \
    "$BUILD_DIR/bench/bench_conv_ladder_cuda" ${LADDER_RUNGS:+--rungs="$LADDER_RUNGS"} "${bench_args[@]}" \
    --benchmark_out="$raw/ladder.json" \
    > "$raw/ladder.log" 2>&1 || notes+=(--note "Convolution ladder: FAILED ($(tail -1 "$raw/ladder.log"))")
  grep -v -E '_(mean|stddev|cv)\b' "$raw/ladder.log" | tail -40 || true
fi
if [ "$conv_tiles" = 1 ]; then
  stage "implicit-GEMM tile sweep (bench_kernels_cuda --conv-tiles)"
  GAN_BENCH_TIME_BUDGET_S=$(cap 200) NVIDIA_TF32_OVERRIDE=0 bounded "$(cap 230)" \
    "$BUILD_DIR/bench/bench_kernels_cuda" --conv-tiles "${bench_args[@]}" --benchmark_out="$raw/tiles.json" \
    > "$raw/tiles.log" 2>&1 || notes+=(--note "Tile sweep: FAILED ($(tail -1 "$raw/tiles.log"))")
  tail -5 "$raw/tiles.log"
fi
if [ "$op_cases" = 1 ]; then
  stage "op-case table, cuda rows (bench_op_cases)"
  bounded "$(cap 120)" "$BUILD_DIR/bench/bench_op_cases" --benchmark_filter=/cuda "${bench_args[@]}" \
    --benchmark_out="$raw/op_cases.json" > "$raw/op_cases.log" 2>&1 \
    || notes+=(--note "Op-case benchmarks: FAILED ($(tail -1 "$raw/op_cases.log"))")
  tail -5 "$raw/op_cases.log"
fi
if [ "$profile" = 1 ]; then
  stage "kernel profile of two DCGAN training steps (ncu)"
  ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1 || true)
  if [ -z "$ncu" ]; then
    notes+=(--note "Kernel profile: ncu not found, not run")
  else
    # The benchmark's 3 warm-up steps and its first timed ones are skipped: what is listed is a steady step.
    bounded "$(cap 120)" "$ncu" --clock-control none --metrics gpu__time_duration.sum --launch-skip 1500 \
      --launch-count 600 --csv "$BUILD_DIR/bench/bench_train_step" --benchmark_filter=/cuda \
      --benchmark_repetitions=1 > "$raw/profile.csv" 2> "$raw/profile.log" || true
    python3 bench/format_results.py --title "Kernel profile" --profile "$raw/profile.csv" | head -40 || true
  fi
fi

# ---- the PyTorch peer ----
if [ "$pytorch" = 1 ]; then
  stage "PyTorch DCGAN (bench/pytorch_dcgan.py)"
  rm -f "$raw/pytorch.jsonl"
  py_args=(--json "$raw/pytorch.jsonl")
  [ "$quick" = 1 ] && py_args+=(--no-compile)
  if python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    PYTHONUNBUFFERED=1 bounded "$(left $(( 15 + app_reserve )))" python3 bench/pytorch_dcgan.py "${py_args[@]}" 2>&1 \
      | tee "$raw/pytorch.log" || true
  else
    echo "python3 has no CUDA-enabled torch: skipped"
    notes+=(--note "PyTorch: not available on this machine, not measured")
  fi
fi

# ---- the app: the main job on cuda (--app-data) ----
if [ -n "$app_data" ] && [ "$budget" -gt 0 ] && [ "$(left 0)" -lt 80 ]; then
  notes+=(--note "App: gan train on cuda not run (the time budget was spent)")
elif [ -n "$app_data" ]; then
  stage "gan train --device cuda for 60 s on idx:$app_data"
  run_dir="$raw/app-run"
  rm -rf "$run_dir"
  # SIGINT after 60 s: the app finishes its step, writes the checkpoint and the
  # last sample grid, and exits 130; SIGKILL 30 s later if it does not.
  timeout -s INT -k 30 60 "$BUILD_DIR/gan" train --device cuda --dataset "idx:$app_data" --out "$run_dir" \
    --sample-every 200 > "$raw/app.log" 2>&1 || true
  tail -4 "$raw/app.log"
  steps=$(tail -1 "$run_dir/losses.csv" 2>/dev/null | cut -d, -f1 || true)
  notes+=(--note "App: gan train --device cuda --dataset idx:$app_data (64x64 DCGAN, batch 64), stopped by SIGINT \
after 60 s: ${steps:-no} steps logged (app.log, app-samples.png, app-losses.png)")
fi

# ---- the table ----
stage "report $report"
fmt_args=()
for f in kernels ladder tiles op_cases; do [ -f "$raw/$f.json" ] && fmt_args+=(--kernels "$raw/$f.json"); done
[ -s "$raw/profile.csv" ] && fmt_args+=(--profile "$raw/profile.csv")
[ -f "$raw/train.json" ] && fmt_args+=(--train "$raw/train.json")
[ -f "$raw/pytorch.jsonl" ] && fmt_args+=(--pytorch "$raw/pytorch.jsonl")
python3 bench/format_results.py --title "GPU benchmarks: $gpu_name, $day" "${notes[@]}" "${fmt_args[@]}" \
  --out "$report"
echo "wrote $repo/$report"
echo "rows reporting an error or not run: $(grep -c '| error |' "$report" || true)"
stage "done"
