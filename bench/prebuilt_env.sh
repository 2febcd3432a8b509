#!/usr/bin/env bash
# Prints the LD_LIBRARY_PATH under which programs packed by
# bench/pack_prebuilt.sh run on this machine, or fails naming the shared
# libraries still missing. For running them by hand:
#   eval "$(bench/prebuilt_env.sh build-gpu)" && build-gpu/tests/gan_tests --gtest_filter='*Cuda*'
# (bench/run_gpu.sh --prebuilt does the same.)
# The carried libraries (BUILD_DIR/lib) are used only where this machine has
# none of that name: its own are as new or newer, and glibc's and the driver's
# must be its own. cuBLAS and cuDNN: the toolkit's, else the pip wheels'
# (PyTorch's).
set -euo pipefail
build=${1:?usage: prebuilt_env.sh BUILD_DIR}
carried=/tmp/gan-prebuilt-lib
rm -rf "$carried" && mkdir -p "$carried"
system_libs=$(ldconfig -p)
for f in "$build"/lib/*.so*; do
  [ -e "$f" ] || continue
  grep -q " $(basename "$f") " <<< "$system_libs" || ln -s "$(realpath "$f")" "$carried/"
done
path=$carried
for lib in libcublas.so.13 libcublasLt.so.13 libcudnn.so.9; do
  grep -q " $lib " <<< "$system_libs" && continue
  found=$(find /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib /usr/local/lib /opt /usr/lib \
            -name "$lib" 2>/dev/null | head -1 || true)
  [ -n "$found" ] && path="$path:$(dirname "$found")"
done
path="$path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
missing=$(for p in "$build"/tests/gan_tests "$build"/bench/bench_* "$build"/gan; do
            [ -x "$p" ] && LD_LIBRARY_PATH=$path ldd "$p" | grep "not found" | sed "s|^|$(basename "$p"): |"
          done | sort -u || true)
if [ -n "$missing" ]; then
  echo "$missing" >&2
  echo "prebuilt_env.sh: the prebuilt programs in $build miss shared libraries (above)" >&2
  exit 1
fi
echo "export LD_LIBRARY_PATH='$path'"
