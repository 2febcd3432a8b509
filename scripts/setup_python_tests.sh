#!/usr/bin/env bash
# Installs the Python packages of the export checks (tests/export/requirements.txt:
# ONNX Runtime, onnx, safetensors, numpy) into .venv-test, only when one is
# missing. Without network the install fails, and so does this script (CI must
# not pass without those checks), unless GAN_SKIP_PYTHON_CHECKS=1: then it
# says so and the checks report themselves skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.venv-test
check='import numpy, onnx, onnxruntime, safetensors'
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" 2>/dev/null; then
  exit 0
fi
echo "setup: installing the export checks' Python packages into $venv"
if python3 -m venv "$venv" && "$venv/bin/python" -m pip install -q --disable-pip-version-check \
     -r tests/export/requirements.txt && "$venv/bin/python" -c "$check"; then
  exit 0
fi
if [ "${GAN_SKIP_PYTHON_CHECKS:-}" = "1" ]; then
  echo "setup: could not install them (no network?); GAN_SKIP_PYTHON_CHECKS=1, so the export checks will be skipped"
  exit 0
fi
echo "setup: could not install tests/export/requirements.txt into $venv (is PyPI reachable?);" \
     "set GAN_SKIP_PYTHON_CHECKS=1 to run the other tests without the export checks" >&2
exit 1
