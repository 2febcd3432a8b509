#!/usr/bin/env python3
"""Tests of bench/format_results.py on hand-made inputs (bench/testdata/).

gpu_sample.json is shaped like bench_kernels_cuda's output (Google Benchmark
1.7 JSON: median and cv aggregates, an error run, a one-repetition run, the
ceilings in the context) with round numbers, so every derived cell can be
checked by hand:
  conv2d_fwd D2 b128: flop 8.59e9, bytes 50.86e6; fast 200 us, naive 2000 us,
  cudnn 250 us; ceilings 3 TB/s copy, 50 TFLOP/s SGEMM
  -> fast: 42.9 TFLOP/s, 254 GB/s, 250/200 = 1.25x cuDNN, compute-bound,
     floor 8.59e9/50e12 = 171.8 us = 86% of 200 us
  adam 64M: 1.879e9 bytes in 1000 us -> 1,879 GB/s, floor 626 us = 63%
Run by ctest (bench_format_results) or directly.
"""
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # keep bench/ free of __pycache__
sys.path.insert(0, HERE)
import format_results  # noqa: E402


def render(*args):
    out = subprocess.run([sys.executable, os.path.join(HERE, "format_results.py"), *args], check=True,
                         capture_output=True, text=True)
    return out.stdout


def row(text, *starts):
    """The one table row whose first cells are `starts`."""
    prefix = "| " + " | ".join(starts) + " |"
    rows = [line for line in text.splitlines() if line.startswith(prefix)]
    assert len(rows) == 1, f"expected one row starting {prefix!r}, found {rows}"
    return [c.strip() for c in rows[0].strip("|").split(" | ")]


class GpuTable(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.text = render("--kernels", os.path.join(HERE, "testdata", "gpu_sample.json"), "--pytorch",
                          os.path.join(HERE, "testdata", "pytorch_sample.jsonl"), "--title", "t", "--note", "n1")

    def test_engine_row_against_cudnn_and_ceilings(self):
        cells = row(self.text, "D2_64px", "b128", "fast")
        # layer batch impl time cv TFLOP/s GB/s vs bound % err label
        self.assertEqual(cells[3:11], ["200", "1.2%", "42.9", "254", "1.25×", "compute", "86%", "2.5e-07"])

    def test_slower_implementation_has_ratio_below_one(self):
        cells = row(self.text, "D2_64px", "b128", "naive")
        self.assertEqual(cells[3], "2,000")
        self.assertEqual(cells[7], "0.12×")
        self.assertEqual(cells[9], "9%")

    def test_cudnn_row_is_the_baseline_and_names_its_algorithm(self):
        cells = row(self.text, "D2_64px", "b128", "cudnn")
        self.assertEqual(cells[7], "—")
        self.assertIn("IMPLICIT_PRECOMP_GEMM", cells[11])

    def test_memory_bound_row_without_flops_or_cudnn(self):
        cells = row(self.text, "n67108864", "any", "engine")
        self.assertEqual(cells[3:11], ["1,000", "—", "—", "1,879", "—", "memory", "63%", "1.0e-07"])

    def test_error_is_shown_and_escaped(self):
        cells = row(self.text, "C128x16x16", "b128", "engine")
        self.assertEqual(cells[3], "error")
        self.assertIn(r"\|\|out-ref\|\|", cells[-1])

    def test_ceilings_and_notes_in_header(self):
        self.assertIn("- n1", self.text)
        self.assertIn("copy 3,000 GB/s", self.text)
        self.assertIn("FP32 SGEMM 50.0 TFLOP/s", self.text)

    def test_pytorch_rows(self):
        self.assertEqual(row(self.text, "eager")[1:3], ["10", "12,800"])
        self.assertIn("RuntimeError: sample failure", row(self.text, "torch.compile, cudnn.benchmark")[3])


class RowOrder(unittest.TestCase):
    def test_rows_come_back_in_model_order(self):
        # The GPU program runs cheap ops first and naive convolutions last.
        names = ["adam/n64/any/engine", "bn_bwd/C64x32x32/b64/engine", "convT_fwd/G1_64px/b256/fast",
                 "convT_fwd/G1_64px/b256/cudnn", "convT_fwd/G1_64px/b64/fast", "convT_fwd/G2_64px/b64/fast",
                 "convT_fwd/G1_64px/b64/naive", "convT_fwd/G1_64px/b256/naive"]
        data = {"context": {"backend": "cuda"}, "benchmarks": [
            {"name": n + "/manual_time_median", "run_name": n + "/manual_time", "run_type": "aggregate",
             "aggregate_name": "median", "real_time": 1.0, "cpu_time": 1.0, "time_unit": "us", "bytes": 4.0}
            for n in names]}
        out = []
        format_results.kernel_tables(data, out)
        got = []
        for line in "\n".join(out).splitlines():
            if line.startswith("### "):
                got.append(line[4:])
            elif line.startswith("| ") and not line.startswith("| layer"):
                got.append("/".join(c.strip() for c in line.strip("|").split(" | ")[:3]))
        self.assertEqual(got, ["convT_fwd", "G1_64px/b64/fast", "G1_64px/b64/naive", "G1_64px/b256/fast",
                               "G1_64px/b256/naive", "G1_64px/b256/cudnn", "G2_64px/b64/fast",
                               "bn_bwd", "C64x32x32/b64/engine", "adam", "n64/any/engine"])


class CpuTable(unittest.TestCase):
    def test_cpu_json_has_no_gpu_columns(self):
        data = {
            "context": {"backend": "cpu", "num_cpus": 2, "load_avg": [1.0, 0.5, 0.25], "omp_max_threads": "2"},
            "benchmarks": [
                {"name": "conv2d_fwd/D2_28px/b64/cpu/real_time_median", "run_name": "conv2d_fwd/D2_28px/b64/cpu/real_time",
                 "run_type": "aggregate", "aggregate_name": "median", "real_time": 50000.0, "cpu_time": 25000.0,
                 "time_unit": "us",
                 "flop": 1.0e9, "bytes": 1.0e7, "label": "x[64,64,14,14]"},
            ],
        }
        out = []
        format_results.kernel_tables(data, out)
        text = "\n".join(out)
        self.assertIn("| layer | batch | time (µs) | cv | main thread CPU (µs) | GFLOP/s | GB/s | shape |", text)
        self.assertEqual(row(text, "D2_28px", "b64"),
                         ["D2_28px", "b64", "50,000", "—", "25,000", "20", "0.2", "x[64,64,14,14]"])


if __name__ == "__main__":
    unittest.main()
