#!/usr/bin/env python3
"""Floors ("speed of light") of the DCGAN 64x64 kernels on a given GPU.

For each kernel: its FLOPs, the fewest bytes it must move through device memory
(each input read once, each output written once, float32), the time each would
take at the peak rate, and the larger of the two, which no implementation
beats. The cost model is the one in bench/common/bench_common.h; the defaults
are the H100 SXM datasheet's FP32 (non-tensor) rate and HBM3 bandwidth.

  bench/floors.py                       # H100 SXM, batch 128 (docs/performance.md)
  bench/floors.py --tbps 4.8            # H200 (same FP32 rate, faster memory)
  bench/floors.py --tflops 51 --tbps 4.0 --batch 64   # your measured ceilings

Standard library only. Prints markdown.
"""
import argparse
import sys

# name, transposed, in_channels, out_channels, kernel, stride, pad, in_size (models/dcgan.cpp, nz 100, ngf=ndf=64)
LAYERS = [
    ("G1", True, 100, 512, 4, 1, 0, 1), ("G2", True, 512, 256, 4, 2, 1, 4), ("G3", True, 256, 128, 4, 2, 1, 8),
    ("G4", True, 128, 64, 4, 2, 1, 16), ("G5", True, 64, 3, 4, 2, 1, 32),
    ("D1", False, 3, 64, 4, 2, 1, 64), ("D2", False, 64, 128, 4, 2, 1, 32), ("D3", False, 128, 256, 4, 2, 1, 16),
    ("D4", False, 256, 512, 4, 2, 1, 8), ("D5", False, 512, 1, 4, 1, 0, 4),
]
# Batch norm follows G1..G4 and D2..D4: (layers, channels, size)
BATCHNORMS = [("after G1, D4", 512, 4), ("after G2, D3", 256, 8), ("after G3, D2", 128, 16), ("after G4", 64, 32)]


def conv_cost(layer, n):
    """FLOPs and fewest bytes of one pass (forward, backward-data and backward-weight cost the same)."""
    _, transposed, cin, cout, k, stride, pad, size = layer
    out = (size - 1) * stride - 2 * pad + k if transposed else (size + 2 * pad - k) // stride + 1
    x, w, y = n * cin * size * size, cin * cout * k * k, n * cout * out * out
    # 2 FLOPs per multiply-add; every input pixel meets every weight of its
    # channel once (transposed) / every output pixel every weight (conv).
    flops = 2 * (x if transposed else y) * (cout if transposed else cin) * k * k
    return flops, 4 * (x + w + y), out


def row(name, shape, flops, nbytes, peak_flops, peak_bw):
    t_math, t_mem = flops / peak_flops, nbytes / peak_bw
    bound = "compute" if t_math > t_mem else "memory"
    intensity = f"{flops / nbytes:.1f}" if flops else "—"
    return (f"| {name} | {shape} | {flops / 1e9:.3f} | {nbytes / 1e6:.2f} | {intensity} | {t_math * 1e6:.2f} "
            f"| {t_mem * 1e6:.2f} | **{max(t_math, t_mem) * 1e6:.2f}** | {bound} |")


def iteration_conv_passes():
    """How many times each (layer, pass) runs in one DCGAN training iteration as
    the engine's trainer and bench/pytorch_dcgan.py do it: D on real, D on
    detached fake (D step), D on fake again with D frozen (G step: no weight
    gradients for D); backward-data stops at a tensor that needs no gradient
    (the data, the noise, the detached fake)."""
    passes = {}
    for name, *_ in LAYERS:
        if name.startswith("G"):
            passes[name] = (1, 0 if name == "G1" else 1, 1)   # fwd, bwd_data, bwd_weight
        else:
            passes[name] = (3, 1 if name == "D1" else 3, 2)
    return passes


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--tflops", type=float, default=67.0, help="FP32 non-tensor peak, TFLOP/s")
    ap.add_argument("--tbps", type=float, default=3.35, help="memory bandwidth, TB/s")
    args = ap.parse_args(argv)
    n, peak_flops, peak_bw = args.batch, args.tflops * 1e12, args.tbps * 1e12

    print(f"Batch {n}; peaks {args.tflops:g} TFLOP/s FP32, {args.tbps:g} TB/s. "
          "Times in µs; each convolution pass (forward, backward-data, backward-weight) has the same floor.\n")
    print("| kernel | shape | GFLOP | MB | FLOP/B | t_math | t_mem | floor | bound |")
    print("|---|---|--:|--:|--:|--:|--:|--:|---|")
    total_flops = total_floor = 0.0
    passes = iteration_conv_passes()
    for layer in LAYERS:
        name, transposed, cin, cout, k, stride, pad, size = layer
        flops, nbytes, out = conv_cost(layer, n)
        kind = "ConvTranspose2d" if transposed else "Conv2d"
        shape = f"{cin}x{size}x{size} -> {cout}x{out}x{out}, k{k} s{stride} p{pad}"
        print(row(f"{name} {kind}", shape, flops, nbytes, peak_flops, peak_bw))
        runs = sum(passes[name])
        total_flops += runs * flops
        total_floor += runs * max(flops / peak_flops, nbytes / peak_bw)
    for layers, c, s in BATCHNORMS:
        elems = n * c * s * s
        shape = f"{c}x{s}x{s} ({layers})"
        print(row("BatchNorm2d fwd (train)", shape, 5 * elems, 8 * elems + 32 * c, peak_flops, peak_bw))
        print(row("BatchNorm2d bwd", shape, 9 * elems, 12 * elems + 20 * c, peak_flops, peak_bw))
    print(row("BCE-with-logits", f"{n} logits", 0, 4 * (3 * n + 1), peak_flops, peak_bw))
    g_params = sum(l[2] * l[3] * l[4] ** 2 for l in LAYERS if l[0].startswith("G"))
    d_params = sum(l[2] * l[3] * l[4] ** 2 for l in LAYERS if l[0].startswith("D"))
    print(row("Adam, all G weights", f"{g_params:,} params", 0, 28 * g_params, peak_flops, peak_bw))
    print(row("Adam, all D weights", f"{d_params:,} params", 0, 28 * d_params, peak_flops, peak_bw))
    print(f"\nConvolutions of one training iteration (D step on real and detached fake, G step; "
          f"{sum(sum(p) for p in passes.values())} passes): {total_flops / 1e9:.1f} GFLOP, "
          f"floor {total_floor * 1e3:.3f} ms, so at most {n / total_floor:,.0f} images/s "
          "from the convolutions alone.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
