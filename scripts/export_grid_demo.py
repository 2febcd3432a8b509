#!/usr/bin/env python3
"""The same noise through the engine and through ONNX Runtime: the two grids of
docs/export.md.

Exports a DCGAN checkpoint's generator to ONNX, draws 64 noise vectors with
numpy, samples them with `gan sample --noise` and with ONNX Runtime, writes
both grids in the engine's layout (8 per row, 2 black pixels of padding) and
reports how many 8-bit pixel values differ. Needs numpy, onnxruntime and safetensors
(.venv-test/bin/python has them after scripts/test.sh).

Usage: export_grid_demo.py CHECKPOINT GAN_BINARY OUT_DIR
"""
import os
import struct
import subprocess
import sys
import tempfile
import zlib

import numpy as np
import onnxruntime as ort
from safetensors import safe_open
from safetensors.numpy import save_file


def write_grid_png(path, images, columns=8, padding=2):
    """NCHW floats in [-1, 1] -> an 8-bit PNG laid out as io::write_image_grid_png does."""
    n, c, h, w = images.shape
    rows = (n + columns - 1) // columns
    grid = np.zeros((rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.uint8)
    pixels = np.round((np.clip(np.nan_to_num(images, nan=-1.0), -1, 1).astype(np.float64) + 1) * 127.5)
    for i in range(n):
        top, left = padding + (i // columns) * (h + padding), padding + (i % columns) * (w + padding)
        grid[top:top + h, left:left + w] = pixels[i].transpose(1, 2, 0)
    height, width = grid.shape[:2]
    raw = b"".join(b"\0" + grid[y].tobytes() for y in range(height))

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    color = 0 if c == 1 else 2
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def read_png_pixels(path):
    """The 8-bit pixels of a non-interlaced gray or RGB PNG (what the engine writes)."""
    with open(path, "rb") as f:
        data = f.read()
    at, idat, header = 8, b"", None
    while at < len(data):
        (length,), kind = struct.unpack(">I", data[at:at + 4]), data[at + 4:at + 8]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", data[at + 8:at + 8 + 13])
        elif kind == b"IDAT":
            idat += data[at + 8:at + 8 + length]
        at += 12 + length
    width, height, depth, color = header[:4]
    assert depth == 8 and color in (0, 2), "only 8-bit gray or RGB"
    bpp = 1 if color == 0 else 3
    raw, stride = zlib.decompress(idat), width * bpp
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):  # undo the PNG row filter (none, sub, up, average, Paeth)
            a = line[x - bpp] if x >= bpp else 0
            b, c = previous[x], previous[x - bpp] if x >= bpp else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        previous = line
    return np.frombuffer(b"".join(rows), np.uint8)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    checkpoint, gan, out = sys.argv[1:]
    os.makedirs(out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path, weights = os.path.join(tmp, "G.onnx"), os.path.join(tmp, "G.safetensors")
        subprocess.run([gan, "export", "--checkpoint", checkpoint, "--out", onnx_path], check=True)
        subprocess.run([gan, "export", "--checkpoint", checkpoint, "--format", "safetensors", "--out", weights],
                       check=True)
        with safe_open(weights, framework="numpy") as f:
            nz = int(f.metadata()["nz"])
        z = np.random.default_rng(1).standard_normal((64, nz)).astype(np.float32)
        noise = os.path.join(tmp, "z.safetensors")
        save_file({"z": z}, noise)
        subprocess.run([gan, "sample", "--checkpoint", checkpoint, "--noise", noise, "--device", "cpu",
                        "--out", os.path.join(out, "export-engine-grid.png")], check=True)
        session = ort.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
        images = session.run(None, {"z": z})[0]
    write_grid_png(os.path.join(out, "export-onnxruntime-grid.png"), images)
    print(f"ONNX Runtime {ort.__version__}: {images.shape[0]} images written to {out}/export-onnxruntime-grid.png")
    engine = read_png_pixels(os.path.join(out, "export-engine-grid.png")).astype(int)
    theirs = read_png_pixels(os.path.join(out, "export-onnxruntime-grid.png")).astype(int)
    print(f"the grids differ in {int(np.sum(engine != theirs))} of {engine.size} pixel values, "
          f"by at most {int(np.max(np.abs(engine - theirs)))} (of 255)")


if __name__ == "__main__":
    main()
