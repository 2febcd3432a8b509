#!/usr/bin/env python3
"""DCGAN 64x64 training iterations in PyTorch: the peer gan-engine is compared with.

Not part of the engine (which has no Python and no framework inside); it runs
on the GPU machine, whose python3 has PyTorch. The model mirrors
models/dcgan.cpp; the step is the standard DCGAN step (as in PyTorch's DCGAN
example), the one bench_train_step is to time in the engine:

  G: ConvTranspose2d(nz->8ngf, 4, 1, 0) BN ReLU, then (ConvTranspose2d 4/2/1,
     BN, ReLU) x3 halving the channels, ConvTranspose2d(ngf->3, 4, 2, 1) Tanh;
     no conv bias (batch norm follows, or the last layer, as in the engine)
  D: Conv2d(3->ndf, 4, 2, 1) LeakyReLU(0.2), then (Conv2d 4/2/1, BN,
     LeakyReLU(0.2)) x3 doubling, Conv2d(8ndf->1, 4, 1, 0), one logit per image
  loss BCE-with-logits; Adam lr 2e-4, betas (0.5, 0.999) for both; DCGAN init
  (conv weights N(0, 0.02), BN weight N(1, 0.02), BN bias 0)

One iteration: D step on a real batch (target 1) and a detached fake batch
(target 0), then a G step with the non-saturating loss (D(fake) against 1),
batch 128 by default, "real" images random in [-1, 1] on the device, fresh
noise each iteration. FP32 with TF32 disabled everywhere.

Modes: eager with cudnn.benchmark off, eager with it on, and torch.compile
(default mode, cudnn.benchmark on) where it works. Each mode builds its
models afresh from the same seed, runs warm-up iterations (compilation and
cuDNN's autotuning happen there), then times each iteration with CUDA events
and reports the median and images/s = batch / median.

Prints a table, and with --json writes one JSON line per mode (what
bench/format_results.py --pytorch reads).
"""
import argparse
import json
import statistics
import sys


def build_models(torch, nz, ngf, ndf, channels):
    nn = torch.nn

    def up(cin, cout, stride, pad, last=False):
        conv = nn.ConvTranspose2d(cin, cout, 4, stride, pad, bias=False)
        return [conv, nn.Tanh()] if last else [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]

    def down(cin, cout, bn=True):
        layers = [nn.Conv2d(cin, cout, 4, 2, 1, bias=False)]
        if bn:
            layers.append(nn.BatchNorm2d(cout))
        return layers + [nn.LeakyReLU(0.2, inplace=True)]

    generator = nn.Sequential(
        *up(nz, ngf * 8, 1, 0), *up(ngf * 8, ngf * 4, 2, 1), *up(ngf * 4, ngf * 2, 2, 1),
        *up(ngf * 2, ngf, 2, 1), *up(ngf, channels, 2, 1, last=True))
    discriminator = nn.Sequential(
        *down(channels, ndf, bn=False), *down(ndf, ndf * 2), *down(ndf * 2, ndf * 4), *down(ndf * 4, ndf * 8),
        nn.Conv2d(ndf * 8, 1, 4, 1, 0, bias=False), nn.Flatten())

    def dcgan_init(m):
        if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        elif isinstance(m, nn.BatchNorm2d):
            nn.init.normal_(m.weight, 1.0, 0.02)
            nn.init.zeros_(m.bias)

    generator.apply(dcgan_init)
    discriminator.apply(dcgan_init)
    return generator, discriminator


def time_mode(torch, args, mode, compile_models, cudnn_benchmark):
    torch.backends.cudnn.benchmark = cudnn_benchmark
    torch.manual_seed(0)
    dev = torch.device("cuda")
    g, d = build_models(torch, args.nz, args.ngf, args.ndf, 3)
    g, d = g.to(dev), d.to(dev)
    opt_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    if compile_models:
        g, d = torch.compile(g), torch.compile(d)
    bce = torch.nn.BCEWithLogitsLoss()
    real = torch.rand(args.batch, 3, 64, 64, device=dev) * 2 - 1
    ones = torch.ones(args.batch, 1, device=dev)
    zeros = torch.zeros(args.batch, 1, device=dev)

    def iteration():
        opt_d.zero_grad(set_to_none=True)
        bce(d(real), ones).backward()
        fake = g(torch.randn(args.batch, args.nz, 1, 1, device=dev))
        bce(d(fake.detach()), zeros).backward()
        opt_d.step()
        opt_g.zero_grad(set_to_none=True)
        # D frozen for G's update, as the engine's trainer does: the same work
        # on both sides (no weight gradients for D in this backward).
        d.requires_grad_(False)
        bce(d(fake), ones).backward()
        d.requires_grad_(True)
        opt_g.step()

    for _ in range(args.warmup):
        iteration()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(args.iterations)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(args.iterations)]
    for s, e in zip(starts, ends):
        s.record()
        iteration()
        e.record()
    torch.cuda.synchronize()
    times = [s.elapsed_time(e) for s, e in zip(starts, ends)]
    median_ms = statistics.median(times)
    return {
        "mode": mode,
        "median_ms": median_ms,
        "min_ms": min(times),
        "max_ms": max(times),
        "images_per_s": args.batch / (median_ms * 1e-3),
        "note": f"cudnn.benchmark={cudnn_benchmark}",
    }


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--nz", type=int, default=100)
    ap.add_argument("--ngf", type=int, default=64)
    ap.add_argument("--ndf", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--iterations", type=int, default=100)
    ap.add_argument("--no-compile", action="store_true", help="skip the torch.compile mode")
    ap.add_argument("--json", help="append one JSON line per mode to this file")
    args = ap.parse_args(argv)

    import torch  # only here: --help works without PyTorch

    if not torch.cuda.is_available():
        print("pytorch_dcgan.py: no CUDA device visible to PyTorch", file=sys.stderr)
        return 1
    # True FP32: no TF32 in matrix products or cuDNN convolutions.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")

    common = {
        "batch": args.batch,
        "torch": torch.__version__,
        "cudnn": torch.backends.cudnn.version(),
        "device": torch.cuda.get_device_name(),
        "timing": f"CUDA events around each iteration after {args.warmup} warm-up iterations; "
                  f"median of {args.iterations}",
    }
    modes = [("eager", False, False), ("eager, cudnn.benchmark", False, True)]
    if not args.no_compile:
        modes.append(("torch.compile, cudnn.benchmark", True, True))
    results = []
    for name, compile_models, cudnn_benchmark in modes:
        try:
            r = time_mode(torch, args, name, compile_models, cudnn_benchmark)
        except Exception as e:  # torch.compile may not work on every machine: record why
            r = {"mode": name, "error": f"{type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}"[:300]}
        r.update(common)
        results.append(r)
        print(json.dumps(r), flush=True)
        if args.json:  # one line per mode as it finishes: a run cut short keeps what it measured
            with open(args.json, "a") as f:
                f.write(json.dumps(r) + "\n")

    print(f"\nDCGAN 64x64, batch {args.batch}, {common['device']}, torch {common['torch']}, FP32 (TF32 off)")
    print("| mode | iteration (ms) | images/s |\n|---|--:|--:|")
    for r in results:
        if "error" in r:
            print(f"| {r['mode']} | failed: {r['error']} | |")
        else:
            print(f"| {r['mode']} | {r['median_ms']:.3f} | {r['images_per_s']:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
