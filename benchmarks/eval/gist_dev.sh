#!/usr/bin/env bash
# Issue P's dev suite for one setting: the gist dev split (8 documents that fit the window: essays, articles,
# story chapters; 64 questions about each document as a whole), in lift_only, auto, icl and rag.
# Usage: bash benchmarks/eval/gist_dev.sh NAME [--set key=value ...]  -> benchmarks/results/p_dev/NAME/gist
# Resumable (rerun the same line). Compare two settings: lift compare p_dev/A/gist p_dev/B/gist --metric keywords
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
name="$1"; shift
out="benchmarks/results/p_dev/$name"
export LIFT_HOME="${LIFT_HOME:-$HOME/.cache/lift-dev}"
$LIFT eval gist --modes lift_only,auto,icl,rag --set eval.gist_split=dev "$@" -o "$out/gist"
