#!/usr/bin/env python3
"""The engine's exports checked by independent runtimes (run by ctest).

For every model kind in REFERENCE_DIR (written by the gtest
ExportReference.EveryModelKindRoundTrips: a training checkpoint, model.<net>.onnx,
model.safetensors and reference.safetensors with the engine's inputs and
outputs):
  * onnx.checker accepts each graph, and ONNX Runtime computes the engine's
    outputs from the same inputs within 1e-5 relative (max |a - b| / max |b|),
    for the whole batch and for a batch of one (the batch is dynamic);
  * the safetensors package reads model.safetensors: the same names, shapes and
    values as the ONNX initializers, its model options in the metadata, and
    ONNX Runtime on those arrays gives the engine's outputs too;
  * the engine reads a file written by the safetensors package (tensors in
    another order): `gan sample --weights` draws the checkpoint's grid byte for
    byte, and a file with a wrong shape or cut short is refused naming it.

Usage: check_export.py REFERENCE_DIR GAN_BINARY onnx|no-onnx
Exits 1 on any failure; when the Python packages are missing it tries the
repository's .venv-test (what scripts/test.sh creates), then fails, or exits 77
(skipped) when GAN_SKIP_PYTHON_CHECKS=1.
"""
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV = os.path.join(REPO, ".venv-test")
VENV_PYTHON = os.path.join(VENV, "bin", "python")
TOLERANCE = 1e-5

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import onnxruntime as ort
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file
except ImportError as e:
    # (The venv's python is a link to this same interpreter: compare prefixes.)
    if os.path.exists(VENV_PYTHON) and os.path.realpath(sys.prefix) != os.path.realpath(VENV):
        os.execv(VENV_PYTHON, [VENV_PYTHON] + sys.argv)
    message = (f"check_export: {e}: these checks need numpy, onnx, onnxruntime and safetensors "
               f"(tests/export/requirements.txt); scripts/test.sh installs them into {REPO}/.venv-test")
    if os.environ.get("GAN_SKIP_PYTHON_CHECKS") == "1":
        print(message + "; skipped because GAN_SKIP_PYTHON_CHECKS=1")
        sys.exit(77)
    print(message + " (or set GAN_SKIP_PYTHON_CHECKS=1 to skip them)")
    sys.exit(1)

failures = []


def check(ok, what):
    print(("ok    " if ok else "FAIL  ") + what)
    if not ok:
        failures.append(what)


def relative_error(got, expected):
    scale = float(np.max(np.abs(expected))) or 1.0
    return float(np.max(np.abs(got.astype(np.float64) - expected))) / scale


def networks(reference):
    """{net: ({input name: array}, output)} from the reference file's names."""
    nets = {}
    for name, value in reference.items():
        net, _, rest = name.partition(".")
        inputs, output = nets.setdefault(net, ({}, None))
        if rest == "output":
            nets[net] = (inputs, value)
        else:
            inputs[rest[len("input."):]] = value
    return nets


def run_onnx(model_bytes, inputs):
    session = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return session.run(None, inputs)[0]


def check_onnx(kind, net, path, inputs, expected, weights):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    check(model.opset_import[0].version >= 17, f"{kind} {net}: opset {model.opset_import[0].version}")
    got = run_onnx(model.SerializeToString(), inputs)
    check(got.shape == expected.shape and relative_error(got, expected) <= TOLERANCE,
          f"{kind} {net}: ONNX Runtime output {got.shape} vs engine {expected.shape}, "
          f"relative error {relative_error(got, expected) if got.shape == expected.shape else 'n/a'}")
    one = run_onnx(model.SerializeToString(), {k: v[:1] for k, v in inputs.items()})
    check(relative_error(one, expected[:1]) <= TOLERANCE, f"{kind} {net}: batch of one (dynamic batch)")

    # The safetensors arrays are the graph's weights: same names, shapes, values;
    # the export's own constants (named onnx_*) have no network prefix.
    prefix = net + "."
    initializers = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    model_tensors = {k for k in initializers if k.startswith(prefix)}
    file_tensors = {k for k in weights if k.startswith(prefix)}
    check(model_tensors == file_tensors,
          f"{kind} {net}: safetensors names = ONNX initializer names ({len(model_tensors)} tensors)")
    same = all(initializers[k].shape == weights[k].shape and np.array_equal(initializers[k], weights[k])
               for k in model_tensors & file_tensors)
    check(same, f"{kind} {net}: safetensors shapes and values = the ONNX initializers'")
    for init in model.graph.initializer:
        if init.name in weights:
            init.CopyFrom(onnx.numpy_helper.from_array(weights[init.name], init.name))
    got = run_onnx(model.SerializeToString(), inputs)
    check(relative_error(got, expected) <= TOLERANCE,
          f"{kind} {net}: ONNX Runtime on the safetensors arrays, relative error {relative_error(got, expected)}")


def run_gan(gan, *args):
    return subprocess.run([gan, *args], capture_output=True, text=True)


def check_import(kind, directory, gan, weights, metadata):
    """The engine reads what the safetensors package writes (DCGAN: via gan sample)."""
    with tempfile.TemporaryDirectory() as tmp:
        ck_png, w_png = os.path.join(tmp, "ck.png"), os.path.join(tmp, "w.png")
        checkpoint = os.path.join(directory, "run", "checkpoint.ckpt")
        r = run_gan(gan, "sample", "--checkpoint", checkpoint, "--n", "8", "--out", ck_png, "--device", "cpu")
        check(r.returncode == 0, f"{kind}: gan sample --checkpoint ({r.stderr.strip()})")
        # Written by the safetensors package, tensors in reverse order.
        theirs = os.path.join(tmp, "theirs.safetensors")
        save_file({k: weights[k] for k in reversed(list(weights))}, theirs, metadata=metadata)
        r = run_gan(gan, "sample", "--weights", theirs, "--n", "8", "--out", w_png, "--device", "cpu")
        check(r.returncode == 0, f"{kind}: gan sample --weights of a safetensors-package file ({r.stderr.strip()})")
        if r.returncode == 0:
            with open(ck_png, "rb") as a, open(w_png, "rb") as b:
                check(a.read() == b.read(), f"{kind}: its grid is the checkpoint's, byte for byte")

        wrong = dict(weights)
        wrong["G.main.0.weight"] = weights["G.main.0.weight"][:-1]
        save_file(wrong, theirs, metadata=metadata)
        r = run_gan(gan, "sample", "--weights", theirs, "--out", w_png, "--device", "cpu")
        check(r.returncode == 1 and "'G.main.0.weight' has shape" in r.stderr,
              f"{kind}: a wrong shape is refused naming the tensor ({r.stderr.strip()})")
        with open(theirs, "rb") as f:
            data = f.read()
        with open(theirs, "wb") as f:
            f.write(data[: len(data) // 2])
        r = run_gan(gan, "sample", "--weights", theirs, "--out", w_png, "--device", "cpu")
        check(r.returncode == 1 and "truncated or corrupt" in r.stderr,
              f"{kind}: a file cut short is refused ({r.stderr.strip()})")


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("onnx", "no-onnx"):
        sys.exit(__doc__)
    root, gan, with_onnx = sys.argv[1], sys.argv[2], sys.argv[3] == "onnx"
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}, numpy {np.__version__}")
    kinds = sorted(d for d in os.listdir(root) if os.path.exists(os.path.join(root, d, "reference.safetensors")))
    check(len(kinds) >= 5, f"model kinds found in {root}: {', '.join(kinds)}")
    for kind in kinds:
        directory = os.path.join(root, kind)
        reference = load_file(os.path.join(directory, "reference.safetensors"))
        weights_path = os.path.join(directory, "model.safetensors")
        weights = load_file(weights_path)
        with safe_open(weights_path, framework="numpy") as f:
            metadata = f.metadata()
        check(metadata.get("model") in ("dcgan", "cyclegan", "pix2pix"), f"{kind}: metadata {metadata}")
        for net, (inputs, expected) in sorted(networks(reference).items()):
            onnx_path = os.path.join(directory, f"model.{net}.onnx")
            if with_onnx:
                check_onnx(kind, net, onnx_path, inputs, expected, weights)
        if metadata.get("model") == "dcgan":
            check_import(kind, directory, gan, weights, metadata)
    if not with_onnx:
        print("check_export: this build has no ONNX export (libonnx-dev missing): only safetensors was checked")
    if failures:
        print(f"\n{len(failures)} check(s) failed")
        sys.exit(1)
    print("\nall export checks passed")


if __name__ == "__main__":
    main()
