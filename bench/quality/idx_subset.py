#!/usr/bin/env python3
"""Write a class-balanced subset of an MNIST-style IDX training set.

    idx_subset.py SRC_DIR DST_DIR PER_CLASS

Takes the first PER_CLASS images of each class, in file order, from
SRC_DIR/train-images-idx3-ubyte[.gz] and its labels, and writes them (still in
file order) to DST_DIR as uncompressed IDX files, so `gan train --dataset
idx:DST_DIR` trains on a data-limited set. The test split is copied unchanged
when present (gan eval compares against it). Deterministic: the same input
gives the same bytes.
"""
import gzip
import os
import shutil
import struct
import sys


def read(path):
    for p in (path, path + ".gz"):
        if os.path.exists(p):
            opener = gzip.open if p.endswith(".gz") else open
            with opener(p, "rb") as f:
                return f.read()
    sys.exit(f"idx_subset.py: {path}[.gz] not found")


def write_atomically(path, write):
    """Write through a temporary beside path, so a failure leaves no partial file."""
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        write(f)
    os.replace(tmp, path)


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: idx_subset.py SRC_DIR DST_DIR PER_CLASS")
    src, dst, per_class = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if per_class <= 0:
        sys.exit("idx_subset.py: PER_CLASS must be positive")
    images = read(os.path.join(src, "train-images-idx3-ubyte"))
    labels = read(os.path.join(src, "train-labels-idx1-ubyte"))
    magic, n, rows, cols = struct.unpack(">IIII", images[:16])
    lmagic, ln = struct.unpack(">II", labels[:8])
    if magic != 2051 or lmagic != 2049 or n != ln:
        sys.exit(f"idx_subset.py: {src} is not an IDX image/label pair")
    size = rows * cols
    taken, counts = [], {}
    for i in range(n):
        c = labels[8 + i]
        if counts.get(c, 0) < per_class:
            counts[c] = counts.get(c, 0) + 1
            taken.append(i)
    short = {c: k for c, k in counts.items() if k < per_class}
    if short:
        sys.exit(f"idx_subset.py: classes with fewer than {per_class} images: {short}")
    os.makedirs(dst, exist_ok=True)
    img = bytearray(struct.pack(">IIII", 2051, len(taken), rows, cols))
    lab = bytearray(struct.pack(">II", 2049, len(taken)))
    for i in taken:
        img += images[16 + i * size:16 + (i + 1) * size]
        lab.append(labels[8 + i])
    for name, data in (("train-images-idx3-ubyte", img), ("train-labels-idx1-ubyte", lab)):
        write_atomically(os.path.join(dst, name), lambda f, data=data: f.write(data))
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        for suffix in ("", ".gz"):
            p = os.path.join(src, name + suffix)
            if os.path.exists(p):
                with open(p, "rb") as source:
                    write_atomically(os.path.join(dst, name + suffix),
                                     lambda f, source=source: shutil.copyfileobj(source, f))
                break
    print(f"{dst}: {len(taken)} images ({per_class} per class, {len(counts)} classes)")


if __name__ == "__main__":
    main()
