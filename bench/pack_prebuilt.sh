#!/usr/bin/env bash
# Packs a CUDA build made on this machine for a GPU machine that cannot build
# it: the device tool's machine has the CUDA driver and toolkit, cuBLAS, cuDNN
# and PyTorch, but no network and none of GoogleTest, Google Benchmark, CLI11,
# cairo or stb. Building here and carrying the programs also keeps the build's
# minutes off the GPU's lease.
#
#   bench/pack_prebuilt.sh BUILD_DIR [ARCHIVE]      (default ARCHIVE: out/gan-prebuilt.tar.gz)
#
# BUILD_DIR must be a Release build for the GPU's architecture with the
# programs built, e.g.
#   cmake -S . -B build-sm90 -DCMAKE_BUILD_TYPE=Release -DCMAKE_CUDA_ARCHITECTURES=90 \
#         -DGAN_NATIVE_ARCH=OFF           # portable host code: the other machine's CPU may differ
#   cmake --build build-sm90 -j --target gan gan_tests bench_kernels_cuda bench_conv_ladder_cuda \
#         bench_op_cases bench_train_step
# The archive holds build-gpu/{gan,tests/gan_tests,bench/bench_*} (stripped of
# host symbols; device code untouched) and build-gpu/lib/: every shared library
# they load that is neither glibc's nor the CUDA stack's (cuBLAS and cuDNN are
# hundreds of megabytes and on the GPU machine already). On the GPU machine:
#   tar -xzf gan-prebuilt.tar.gz && bench/run_gpu.sh --prebuilt
set -euo pipefail
cd "$(dirname "$0")/.."
usage() { sed -n '2,20p' "$0"; }
case "${1:-}" in
  -h|--help) usage; exit 0 ;;
  "") usage; exit 2 ;;
esac
build=$1
archive=${2:-out/gan-prebuilt.tar.gz}

programs=(gan tests/gan_tests bench/bench_kernels_cuda bench/bench_conv_ladder_cuda bench/bench_op_cases
          bench/bench_train_step)
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/build-gpu/lib" "$stage/build-gpu/tests" "$stage/build-gpu/bench"
for p in "${programs[@]}"; do
  [ -x "$build/$p" ] || { echo "pack_prebuilt: $build/$p is missing: build it first (bench/pack_prebuilt.sh --help)" >&2; exit 1; }
  cp "$build/$p" "$stage/build-gpu/$p"
  strip --strip-unneeded "$stage/build-gpu/$p"
done

# Shared libraries to carry: what ldd resolves, less glibc (the GPU machine's
# own must serve its kernel) and the CUDA stack (the driver's libcuda must
# match the machine; cuBLAS and cuDNN are found there by run_gpu.sh).
skip='^(libc|libm|libdl|librt|libpthread|libresolv|ld-linux-x86-64|linux-vdso|libcuda|libcublas|libcublasLt|libcudnn.*|libnvidia-.*)\.so'
for p in "${programs[@]}"; do
  ldd "$build/$p" | awk '/=> \// {print $1, $3}'
done | sort -u | while read -r name path; do
  if [[ "$name" =~ $skip ]]; then continue; fi
  cp -L "$path" "$stage/build-gpu/lib/$name"
done
echo "carried libraries: $(cd "$stage/build-gpu/lib" && ls | tr '\n' ' ')"

mkdir -p "$(dirname "$archive")"
tar -C "$stage" -czf "$archive.tmp" build-gpu
mv "$archive.tmp" "$archive"
echo "wrote $archive ($(du -h "$archive" | cut -f1))"
