#!/usr/bin/env bash
# Stages what a lent GPU machine lacks for benchmarks/gpu/run.py, in two folders git ignores (run here, once):
# .whl/ the wheels of the pure-Python packages missing there (pysbd, lemminflect), .gpu-tokenizer/ the
# embedded model's tokenizer files. Then, through the device tool, with carry [".whl", ".gpu-tokenizer"]:
#   python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl \
#     && export PYTHONPATH=/tmp/site:$PWD/src PYTHONUNBUFFERED=1 \
#     && python3 benchmarks/gpu/run.py --tokenizer .gpu-tokenizer --out $OUT
set -euo pipefail
cd "$(dirname "$0")/../.."
grep -qx '/.whl/' .git/info/exclude 2>/dev/null || echo '/.whl/' >> .git/info/exclude
grep -qx '/.gpu-tokenizer/' .git/info/exclude 2>/dev/null || echo '/.gpu-tokenizer/' >> .git/info/exclude
mkdir -p .whl .gpu-tokenizer
python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .whl pysbd==0.3.4 lemminflect==0.2.3
PYTHON="${PYTHON:-.venv/bin/python}"
"$PYTHON" - <<'PY'
from lift.models import load_model  # converts the embedded model once, under $LIFT_HOME

loaded = load_model(None, "cpu")
loaded.tokenizer.save_pretrained(".gpu-tokenizer")
print("tokenizer files in .gpu-tokenizer:", loaded.name)
PY
du -sh .whl .gpu-tokenizer
