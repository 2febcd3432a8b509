#!/usr/bin/env python3
"""Writes a small paired data set for `gan pix2pix train`: Fashion-MNIST
images and their edge maps, as pix2pix's A|B files (the edge map on the left,
the image on the right, 32 x 32 each; the 28 x 28 images get a 2-pixel border).
It is the edges -> shoes task of the pix2pix paper in miniature.

    python3 scripts/fashion_edges.py runs/fashion-edges --classes 7,9 --train 2000
    build/gan pix2pix train --data runs/fashion-edges --image-size 32

Only the Python standard library: reads Debian's dataset-fashion-mnist (IDX,
gzip) and writes grayscale PNGs (train/ from the training split, val/ from the
test split).
"""
import argparse
import gzip
import os
import struct
import zlib

FASHION = "/usr/share/datasets/fashion-mnist"
SIZE = 32  # 28 + a 2-pixel border: a power of two, as the U-Net needs


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return shape, data[4 + 4 * dims:]


def padded(pixels, index):
    """Image `index` (28 x 28) centred on a 32 x 32 black canvas, as rows."""
    rows = [[0] * SIZE for _ in range(SIZE)]
    base = index * 28 * 28
    for y in range(28):
        rows[y + 2][2:30] = pixels[base + y * 28:base + (y + 1) * 28]
    return rows


def edges(img, threshold=120):
    """Sobel gradient magnitude, thresholded: white outlines on black."""
    out = [[0] * SIZE for _ in range(SIZE)]
    for y in range(1, SIZE - 1):
        for x in range(1, SIZE - 1):
            gx = (img[y - 1][x + 1] + 2 * img[y][x + 1] + img[y + 1][x + 1]
                  - img[y - 1][x - 1] - 2 * img[y][x - 1] - img[y + 1][x - 1])
            gy = (img[y + 1][x - 1] + 2 * img[y + 1][x] + img[y + 1][x + 1]
                  - img[y - 1][x - 1] - 2 * img[y - 1][x] - img[y - 1][x + 1])
            out[y][x] = 255 if gx * gx + gy * gy > threshold * threshold else 0
    return out


def write_png(path, rows):
    """An 8-bit grayscale PNG (no filtering)."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(r) for r in rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) +
                chunk(b"IEND", b""))


def write_split(out, split, prefix, classes, count):
    shape, pixels = read_idx(os.path.join(FASHION, prefix + "-images-idx3-ubyte.gz"))
    _, labels = read_idx(os.path.join(FASHION, prefix + "-labels-idx1-ubyte.gz"))
    folder = os.path.join(out, split)
    os.makedirs(folder, exist_ok=True)
    written = 0
    for i in range(shape[0]):
        if written == count:
            break
        if labels[i] not in classes:
            continue
        image = padded(pixels, i)
        pair = [e + r for e, r in zip(edges(image), image)]  # A | B
        write_png(os.path.join(folder, "%05d.png" % i), pair)
        written += 1
    return written


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", help="folder to create (train/ and val/ inside)")
    parser.add_argument("--classes", default="7,9", help="Fashion-MNIST classes to use (default: 7,9, sneakers and "
                        "ankle boots)")
    parser.add_argument("--train", type=int, default=2000, help="training pairs (default: 2000)")
    parser.add_argument("--val", type=int, default=8, help="pairs for the sample grids (default: 8)")
    args = parser.parse_args()
    if not os.path.isdir(FASHION):
        raise SystemExit(FASHION + " is missing: apt-get install dataset-fashion-mnist")
    classes = {int(c) for c in args.classes.split(",")}
    n_train = write_split(args.out, "train", "train", classes, args.train)
    n_val = write_split(args.out, "val", "t10k", classes, args.val)
    print("wrote %d training and %d validation pairs to %s" % (n_train, n_val, args.out))


if __name__ == "__main__":
    main()
