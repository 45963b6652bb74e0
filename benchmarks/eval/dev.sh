#!/usr/bin/env bash
# Issue M's dev suites for one lever setting, lift_only (auto beside it on the general questions):
#   the paraphrase dev split at 600 tokens (2 haystacks, 10 facts, 83 questions, both families),
#   the general dev questions (54) asked after lifting those same two haystacks (their adapters are reused),
#   the dev needle (2k tokens, depth 50, asked in its own words and in 5 others).
# Usage: bash benchmarks/eval/dev.sh NAME [--set key=value ...]   -> benchmarks/results/m_dev/NAME/{paraphrase,general,niah}
# Resumable (rerun the same line). Then: .venv/bin/python benchmarks/eval/dev_summary.py
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
name="$1"; shift
out="benchmarks/results/m_dev/$name"
export LIFT_HOME="${LIFT_HOME:-$HOME/.cache/lift-dev}"
P=(--set eval.paraphrase_split=dev --set eval.paraphrase_tokens=600)
$LIFT eval paraphrase --modes lift_only "${P[@]}" "$@" -o "$out/paraphrase"
$LIFT eval general --modes lift_only,auto --set eval.general_split=dev "${P[@]}" "$@" -o "$out/general"
$LIFT eval niah --modes lift_only --set eval.niah_needle=dev --set eval.niah_lengths=2000 --set eval.niah_depths=50 \
  "$@" -o "$out/niah"
