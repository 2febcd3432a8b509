#!/usr/bin/env python3
"""Turns benchmark output into the markdown tables of bench/results/.

Inputs (any combination):
  --kernels FILE   Google Benchmark JSON from bench_kernels_cuda or
                   bench_kernels_cpu (--benchmark_out_format=json); repeatable
  --train FILE     Google Benchmark JSON from bench_train_step (any counters)
  --pytorch FILE   JSON lines from bench/pytorch_dcgan.py (lines starting with
                   '{'; anything else is ignored)
  --note TEXT      a line for the header (device, command, ...); repeatable

Kernel rows: benchmark names are <op>/<layer>/<batch>/<impl>[/...] (see
bench/common/bench_common.h); one table per op, rows in model order (layers
as the program first ran them, batches ascending, implementations side by
side), whatever order the program ran them in. For each row:
  time        the median over repetitions of the per-launch time (the "median"
              aggregate; a lone repetition is used as it is)
  cv          the repetitions' standard deviation over their mean
  TFLOP/s, GB/s   the flop and bytes counters over the median time
  vs cuDNN    cuDNN's median time over this row's (same op, layer, batch):
              above 1 is faster than cuDNN
  bound, % of limit   with the ceilings measured in the same run (GPU only):
              floor = max(flop / SGEMM rate, bytes / copy bandwidth); bound says
              which term is larger; % of limit = floor / time
  rel err     ||out - ref|| / ||ref|| against cuDNN or the CPU kernel

Standard library only: it runs wherever python3 does.
"""
import argparse
import csv
import json
import sys
from collections import OrderedDict

TIME_UNIT_TO_S = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}


def load_gbench(path):
    with open(path) as f:
        return json.load(f)


def split_name(run_name):
    """op, layer, batch, impl from '<op>/<layer>/<batch>/<impl>/...'; None if it does not fit."""
    parts = run_name.split("/")
    if len(parts) < 4:
        return None
    return parts[0], parts[1], parts[2], parts[3]


def collect_runs(data):
    """One record per benchmark: median time (s), cv, counters, label, or error."""
    runs = OrderedDict()
    singles = {}
    for b in data.get("benchmarks", []):
        run_name = b.get("run_name", b["name"])
        rec = runs.setdefault(run_name, {"name": run_name})
        if b.get("error_occurred"):
            rec["error"] = b.get("error_message", "error")
            continue
        scale = TIME_UNIT_TO_S[b.get("time_unit", "ns")]
        if b.get("run_type") == "aggregate":
            agg = b.get("aggregate_name")
            if agg == "median":
                rec["time_s"] = b["real_time"] * scale
                rec["cpu_time_s"] = b["cpu_time"] * scale
                rec["counters"] = counters_of(b)
                rec["label"] = b.get("label", "")
                rec["repetitions"] = b.get("repetitions")
            elif agg == "cv":
                rec["cv"] = b["real_time"]
        else:
            singles.setdefault(run_name, []).append(b)
    # Without aggregates (one repetition), the iteration runs stand alone.
    for run_name, items in singles.items():
        rec = runs[run_name]
        if "time_s" in rec or "error" in rec:
            continue
        items.sort(key=lambda b: b["real_time"])
        mid = items[len(items) // 2]
        rec["time_s"] = mid["real_time"] * TIME_UNIT_TO_S[mid.get("time_unit", "ns")]
        rec["cpu_time_s"] = mid["cpu_time"] * TIME_UNIT_TO_S[mid.get("time_unit", "ns")]
        rec["counters"] = counters_of(mid)
        rec["label"] = mid.get("label", "")
        rec["repetitions"] = len(items)
    return runs


STANDARD_KEYS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type", "repetitions",
    "repetition_index", "threads", "aggregate_name", "aggregate_unit", "iterations", "real_time",
    "cpu_time", "time_unit", "label", "error_occurred", "error_message",
}


def counters_of(b):
    return {k: v for k, v in b.items() if k not in STANDARD_KEYS and isinstance(v, (int, float))}


OP_ORDER = ["convT_fwd", "convT_bwd_data", "convT_bwd_weight", "conv2d_fwd", "conv2d_bwd_data",
            "conv2d_bwd_weight", "bn_fwd_train", "bn_bwd", "bce_logits", "adam", "gemm"]
IMPL_ORDER = ["fast", "naive", "cudnn", "own", "cublas", "engine", "cpu"]
# The vendor implementation each row is compared with (same op, layer, batch).
PEER_IMPLS = ("cudnn", "cublas")


def batch_rank(batch):
    return int(batch[1:]) if batch.startswith("b") and batch[1:].isdigit() else 1 << 30


def impl_rank(impl):
    return IMPL_ORDER.index(impl) if impl in IMPL_ORDER else len(IMPL_ORDER)


def ceilings_of(context):
    try:
        return (float(context["ceiling_copy_bytes_per_s"]), float(context["ceiling_sgemm_flop_per_s"]))
    except (KeyError, ValueError):
        return None


def fmt(x, digits=3):
    """A number with `digits` significant digits, no exponent for everyday sizes."""
    if x is None:
        return "—"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def cell(text):
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def time_cell(seconds):
    us = seconds * 1e6
    return fmt(us) if us < 1e5 else f"{us:,.0f}"


def kernel_tables(data, out):
    context = data.get("context", {})
    gpu = context.get("backend") == "cuda"
    ceilings = ceilings_of(context) if gpu else None
    runs = collect_runs(data)

    by_op = OrderedDict()
    peer_time = {}
    layer_seen = {}
    for rec in runs.values():
        key = split_name(rec["name"])
        if key is None:
            continue
        op, layer, batch, impl = key
        by_op.setdefault(op, []).append((layer, batch, impl, rec))
        layer_seen.setdefault((op, layer), len(layer_seen))
        if impl in PEER_IMPLS and "time_s" in rec:
            peer_time[(op, layer, batch)] = rec["time_s"]
    # The program runs cheap benchmarks first and naive ones last; the table
    # reads in model order: ops as in OP_ORDER, layers as first seen, batches
    # ascending, then the implementations side by side.
    ops = sorted(by_op, key=lambda op: (OP_ORDER.index(op) if op in OP_ORDER else len(OP_ORDER)))
    by_op = OrderedDict((op, sorted(by_op[op], key=lambda r: (layer_seen[(op, r[0])], batch_rank(r[1]),
                                                               impl_rank(r[2])))) for op in ops)

    flop_unit, flop_scale = ("TFLOP/s", 1e-12) if gpu else ("GFLOP/s", 1e-9)
    for op, rows in by_op.items():
        out.append(f"\n### {op}\n")
        if gpu:
            out.append(f"| layer | batch | impl | time (µs) | cv | {flop_unit} | GB/s | vs cuDNN/cuBLAS | bound "
                       "| % of limit | rel err | shape; algorithm |")
            out.append("|---|---|---|--:|--:|--:|--:|--:|---|--:|--:|---|")
        else:
            out.append(f"| layer | batch | time (µs) | cv | main thread CPU (µs) | {flop_unit} | GB/s | shape |")
            out.append("|---|---|--:|--:|--:|--:|--:|---|")
        for layer, batch, impl, rec in rows:
            if "time_s" not in rec:
                msg = cell(rec.get("error", "no result"))
                if gpu:
                    out.append(f"| {layer} | {batch} | {impl} | error | | | | | | | | {msg} |")
                else:
                    out.append(f"| {layer} | {batch} | error | | | | | {msg} |")
                continue
            t = rec["time_s"]
            c = rec.get("counters", {})
            flop, nbytes = c.get("flop", 0.0), c.get("bytes", 0.0)
            rate = fmt(flop / t * flop_scale) if flop else "—"
            bw = fmt(nbytes / t * 1e-9) if nbytes else "—"
            cv = f"{100 * rec['cv']:.1f}%" if "cv" in rec else "—"
            label = cell(rec.get("label", ""))
            if not gpu:
                cpu = time_cell(rec["cpu_time_s"]) if "cpu_time_s" in rec else "—"
                out.append(f"| {layer} | {batch} | {time_cell(t)} | {cv} | {cpu} | {rate} | {bw} | {label} |")
                continue
            ref = peer_time.get((op, layer, batch))
            vs = f"{ref / t:.2f}×" if ref and impl not in PEER_IMPLS else "—"
            bound = pct = "—"
            if ceilings:
                copy_bps, sgemm_fps = ceilings
                t_mem, t_math = nbytes / copy_bps, flop / sgemm_fps
                bound = "compute" if t_math > t_mem else "memory"
                pct = f"{100 * max(t_mem, t_math) / t:.0f}%"
            err = f"{c['rel_err']:.1e}" if "rel_err" in c else "—"
            out.append(f"| {layer} | {batch} | {impl} | {time_cell(t)} | {cv} | {rate} | {bw} | {vs} | {bound} "
                       f"| {pct} | {err} | {label} |")


def context_lines(data, out):
    ctx = data.get("context", {})
    if ctx.get("backend") == "cuda":
        out.append(f"- GPU: {ctx.get('gpu_name', '?')} (compute capability {ctx.get('gpu_compute_capability', '?')}, "
                   f"{ctx.get('gpu_sms', '?')} SMs, L2 {int(ctx.get('gpu_l2_bytes', 0)) >> 20} MiB); "
                   f"CUDA driver {ctx.get('cuda_driver_version', '?')}, runtime {ctx.get('cuda_runtime_version', '?')}, "
                   f"cuBLAS {ctx.get('cublas_version', '?')}, cuDNN {ctx.get('cudnn_version_library', '?')}")
        ceilings = ceilings_of(ctx)
        if ceilings:
            out.append(f"- Ceilings measured in this run: copy {ceilings[0] * 1e-9:,.0f} GB/s "
                       f"({ctx.get('ceiling_copy_what', '')}); FP32 SGEMM {ceilings[1] * 1e-12:.1f} TFLOP/s "
                       f"({ctx.get('ceiling_sgemm_what', '')})")
        if "timing" in ctx:
            out.append(f"- Timing: {ctx['timing']}")
    else:
        load = ", ".join(f"{x:.1f}" for x in ctx.get("load_avg", []))
        out.append(f"- CPU: {ctx.get('num_cpus', '?')} CPUs at {ctx.get('mhz_per_cpu', '?')} MHz, "
                   f"OpenMP threads {ctx.get('omp_max_threads', '?')}, load average at start {load or '?'}")
        out.append("- Timing: wall clock per call (Google Benchmark real time), median of the repetitions; "
                   "'main thread CPU' is the calling thread's CPU time per call (the OpenMP workers' is not "
                   "counted): far below the wall time means the threads waited, e.g. for cores other work held")
    out.append(f"- Run started {ctx.get('date', '?')} on host '{ctx.get('host_name', '?')}' "
               f"({ctx.get('executable', '?')})")


def train_table(data, out):
    runs = collect_runs(data)
    out.append("| benchmark | time (ms) | cv | counters |")
    out.append("|---|--:|--:|---|")
    for rec in runs.values():
        if "time_s" not in rec:
            out.append(f"| {rec['name']} | error | | {cell(rec.get('error', ''))} |")
            continue
        counters = ", ".join(f"{k} {fmt(v)}" for k, v in sorted(rec.get("counters", {}).items()))
        cv = f"{100 * rec['cv']:.1f}%" if "cv" in rec else "—"
        out.append(f"| {rec['name']} | {fmt(rec['time_s'] * 1e3)} | {cv} | {counters} |")


def pytorch_table(path, out):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                rows.append(json.loads(line))
    if not rows:
        out.append("(no results in " + path + ")")
        return
    first = rows[0]
    out.append(f"PyTorch {first.get('torch', '?')}, cuDNN {first.get('cudnn', '?')}, batch {first.get('batch', '?')}, "
               f"FP32 with TF32 off; {first.get('timing', '')}\n")
    out.append("| mode | iteration (ms) | images/s | note |")
    out.append("|---|--:|--:|---|")
    for r in rows:
        if r.get("error"):
            out.append(f"| {r.get('mode', '?')} | — | — | {cell(r['error'])} |")
        else:
            out.append(f"| {r.get('mode', '?')} | {fmt(r['median_ms'])} | {fmt(r['images_per_s'])} "
                       f"| {r.get('note', '')} |")


def short_kernel_name(name):
    """'void gan::cuda::(anonymous namespace)::foo<float, 2>(const float *, ...)' -> 'foo<float, 2>'."""
    name = name.replace("(anonymous namespace)::", "")
    name = name.split("(", 1)[0].replace("void ", "", 1)
    head, sep, tail = name.partition("<")
    return head.split("::")[-1] + sep + tail


def profile_table(path, out):
    """Nsight Compute's --csv with the metric gpu__time_duration.sum: GPU time per kernel name."""
    totals, counts = {}, {}
    with open(path, newline="") as f:
        lines = [ln for ln in f if ln.startswith('"')]
    for row in csv.DictReader(lines):
        if row.get("Metric Name") != "gpu__time_duration.sum":
            continue
        value = float(row["Metric Value"].replace(",", ""))
        unit = row.get("Metric Unit", "ns")
        ns = value * {"ns": 1, "nsecond": 1, "us": 1e3, "usecond": 1e3, "ms": 1e6, "msecond": 1e6}.get(unit, 1)
        name = short_kernel_name(row["Kernel Name"])
        totals[name] = totals.get(name, 0.0) + ns
        counts[name] = counts.get(name, 0) + 1
    if not totals:
        out.append(f"(no kernel times in {path})")
        return
    whole = sum(totals.values())
    out.append(f"{sum(counts.values())} kernel launches, {whole / 1e6:.3f} ms of GPU time in all\n")
    out.append("| kernel | launches | GPU time (µs) | share |")
    out.append("|---|--:|--:|--:|")
    for name, ns in sorted(totals.items(), key=lambda kv: -kv[1]):
        out.append(f"| {cell(name)} | {counts[name]} | {fmt(ns / 1e3)} | {100 * ns / whole:.1f}% |")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kernels", action="append", default=[])
    ap.add_argument("--train")
    ap.add_argument("--pytorch")
    ap.add_argument("--profile", help="Nsight Compute CSV (gpu__time_duration.sum per kernel)")
    ap.add_argument("--title", default="Benchmark results")
    ap.add_argument("--note", action="append", default=[])
    ap.add_argument("--out", help="write here instead of stdout")
    args = ap.parse_args(argv)

    out = [f"# {args.title}\n"]
    out += [f"- {n}" for n in args.note]
    kernel_data = [load_gbench(p) for p in args.kernels]
    for d in kernel_data:
        context_lines(d, out)
    out.append("\nHow to read this: docs/performance.md. Times are medians over repetitions; "
               "'vs cuDNN' above 1 means faster than cuDNN.")
    for path, d in zip(args.kernels, kernel_data):
        backend = d.get("context", {}).get("backend")
        out.append(f"\n## Kernels ({backend + ': ' if backend else ''}{path.split('/')[-1]})")
        kernel_tables(d, out)
    if args.train or args.pytorch:
        out.append("\n## Training iteration (DCGAN; the model size and batch are in each row's name)\n")
    if args.train:
        out.append("### gan-engine (bench_train_step)\n")
        train_table(load_gbench(args.train), out)
    if args.pytorch:
        out.append("\n### PyTorch (bench/pytorch_dcgan.py)\n")
        pytorch_table(args.pytorch, out)
    if args.profile:
        out.append("\n## GPU time per kernel (Nsight Compute)\n")
        profile_table(args.profile, out)
    text = "\n".join(out) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
