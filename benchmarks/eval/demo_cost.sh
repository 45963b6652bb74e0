#!/usr/bin/env bash
# Issue O's cost figure: the demo essay lifted with each recipe in a fresh LIFT_HOME (only the converted model
# copied in, so the teacher's replay distributions are computed, as on a fresh clone): training + teacher tokens
# per document token, wall time, examples. One line per recipe appended to benchmarks/results/o_dev/demo_cost.txt.
# Usage: bash benchmarks/eval/demo_cost.sh "default:" "reask1:--set synth.reask=1" ...   (NAME:SETTINGS)
set -euo pipefail
cd "$(dirname "$0")/../.."
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
models="${LIFT_MODELS:-$HOME/.cache/lift/models}"  # a LIFT_HOME's models/ folder holding the converted model
out=benchmarks/results/o_dev/demo_cost.txt
for spec in "$@"; do
  name=${spec%%:*}; sets=${spec#*:}
  home=$(mktemp -d); cp -r "$models" "$home/"
  start=$(date +%s)
  # shellcheck disable=SC2086
  LIFT_HOME=$home .venv/bin/lift train src/lift/samples/needle_essay.txt $sets > "$home/lift.log" 2>&1
  end=$(date +%s)
  .venv/bin/python - "$home" "$name" "$((end - start))" "$sets" >> "$out" <<'PY'
import glob, json, sys
from lift.bench.machine import cpu_flags
home, name, wall, sets = sys.argv[1:5]
m = json.load(open(glob.glob(f"{home}/documents/*/manifest.json")[0]))
t = m["training"]
cpu = cpu_flags().replace(", ", ",")  # one field of the line
print(name, "wall_s", wall, "doc_tokens", m["tokens"], "train", t["tokens"], "teacher", t["teacher_tokens"],
      "per_doc_token", round((t["tokens"] + t["teacher_tokens"]) / m["tokens"], 1), "train_tok_s",
      t["tokens_per_second"], "qa", t["qa_examples"], "replay", t["replay_examples"], "precision", t["precision"],
      "cpu", cpu, "settings", repr(sets))
PY
  rm -rf "$home"
done
