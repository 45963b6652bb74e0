#!/usr/bin/env bash
# Issue O's dev suites for one lever setting (recall in a user's own words first):
#   the rewording dev split (12 haystacks of 1,000 tokens, fiction and essays, 120 facts, 600 questions in five
#   wordings no template writes), lift_only and auto;
#   the general dev questions (54) asked after lifting the paraphrase dev haystacks at 600 tokens (forgetting),
#   lift_only and auto;
#   the dev needle (2k tokens, depth 50, its own words and 5 others), lift_only.
# Usage: bash benchmarks/eval/recall_dev.sh NAME [--set key=value ...]  -> benchmarks/results/o_dev/NAME/{rewording,general,niah}
# Resumable (rerun the same line). Compare two settings: lift compare o_dev/A/rewording o_dev/B/rewording.
# Then: .venv/bin/python benchmarks/eval/recall_summary.py
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
name="$1"; shift
out="benchmarks/results/o_dev/$name"
export LIFT_HOME="${LIFT_HOME:-$HOME/.cache/lift-dev}"
$LIFT eval rewording --modes lift_only,auto --set eval.rewording_split=dev "$@" -o "$out/rewording"
$LIFT eval general --modes lift_only,auto --set eval.general_split=dev --set eval.paraphrase_split=dev \
  --set eval.paraphrase_tokens=600 "$@" -o "$out/general"
$LIFT eval niah --modes lift_only --set eval.niah_needle=dev --set eval.niah_lengths=2000 --set eval.niah_depths=50 \
  "$@" -o "$out/niah"
