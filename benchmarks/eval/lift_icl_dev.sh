#!/usr/bin/env bash
# Issue Q's dev suite for one setting: the paraphrase dev split (two 2,000-token haystacks, 10 facts, 83
# questions), lift_only, lift_icl and icl with the document cut to 1,024 tokens of head and tail
# (infer.context_tokens=1024: the facts at 10 % and 90 % are in the cut, those at 30 / 50 / 70 % are not), so
# that lift_icl meets what it meets beyond the window: part of the document read, the rest in the adapter.
# Usage: bash benchmarks/eval/lift_icl_dev.sh NAME [--set key=value ...]  -> benchmarks/results/q_dev/NAME/paraphrase
# Resumable. Compare: lift compare q_dev/A/paraphrase q_dev/B/paraphrase --mode lift_icl
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
name="$1"; shift
out="benchmarks/results/q_dev/$name"
export LIFT_HOME="${LIFT_HOME:-$HOME/.cache/lift-dev}"
$LIFT eval paraphrase --modes lift_only,lift_icl,icl --set eval.paraphrase_split=dev --set eval.paraphrase_tokens=2000 \
  --set infer.context_tokens=1024 "$@" -o "$out/paraphrase"
