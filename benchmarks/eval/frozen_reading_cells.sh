#!/usr/bin/env bash
# Issue Q, inference only: lift_icl re-answered on the adapters the long runner stored for recipe o's NIAH cells
# (1k/2k/4k at depth 50, 4k at 100; trained without questions in context), the document's cut read with the adapter
# off (infer.lift_icl_reading=frozen) instead of on. Needs those adapters in $LIFT_HOME (the long runner's,
# default ~/.lift); a cell whose adapter is missing is lifted again first.
# Usage: bash benchmarks/eval/frozen_reading_cells.sh  -> benchmarks/results/q_dev/o_frozen_reading/niah-*/
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
export LIFT_DATA="${LIFT_DATA:-$(cd .. && pwd)/shared/data}" LIFT_HOME="${LIFT_HOME:-$HOME/.lift}"
for cell in 1000:50 2000:50 4000:50 4000:100; do
  L=${cell%:*}; D=${cell#*:}
  $LIFT eval niah --modes lift_icl -o benchmarks/results/q_dev/o_frozen_reading/niah-$((L / 1000))k-$D \
    --set eval.niah_lengths=$L --set eval.niah_depths=$D --set infer.lift_icl_reading=frozen
done
