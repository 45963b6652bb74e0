#!/usr/bin/env bash
# Regenerates every committed evaluation result under benchmarks/results/ (embedded SmolLM2-135M, CPU).
# The grids are the subsets this 2-core machine could afford; each command is resumable (rerun to continue)
# and takes --set eval.niah_lengths=... / --limit / --max-documents to grow the grid.
# Usage: bash benchmarks/eval/run.sh [step ...]   (issue O's defaults: rewording_o general_o paraphrase_o; issue M's:
#        general_m squad_m paraphrase_m rewording_m; issue K's:
#        paraphrase_k niah_k niah_long_k niah_long_k_steps squad_k general_k; older steps: niah_lift niah_long squad general niah_base loogle
#        longbench paraphrase paraphrase_wh paraphrase_mix general_mix squad_mix; niah_lift_m1 is the stopped m = 1 run;
#        niah_lift_m1_e12 its 12-epoch version; niah_long_m1_e12 that recipe at 16k; niah_lift_m1_e6_lr3e-3 and
#        niah_long_m1_e6_lr3e-3 the cheaper 6-epoch, lr 3e-3 version). Results land in benchmarks/results/<step>/; then
#        .venv/bin/python benchmarks/eval/summarize.py rewrites benchmarks/results/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
LIFT="${LIFT:-.venv/bin/lift}"
R=benchmarks/results
# The steps below pin the recipes of their time. V0: the defaults before issue K (LoRA rank 8, 4 epochs, lr 1e-3
# -- unset then --, the system prompt "You are a helpful assistant."); their run.json files recorded train.lr
# unset, so a rerun into an old folder stops on that difference: give it a new --out.
V0=(--set lora.rank=8 --set lora.alpha=16 --set train.epochs=4 --set train.lr=1e-3
    --set "infer.system_prompt=You are a helpful assistant.")
# V1: before mix / the wh+about forms with m = 6 / train.min_steps 100 became the defaults (2026-12-01).
V1=("${V0[@]}" --set train.objective=qa --set synth.template_forms=definition,key_phrase,cloze,succession
    --set train.min_steps=0)
# D1201: the defaults of 2026-12-01 to 2026-12-03.
D1201=("${V0[@]}" --set train.objective=mix --set synth.template_forms=definition,wh,about,key_phrase,cloze,succession
       --set train.min_steps=100)
V1M3=("${V1[@]}" --set synth.qa_per_sentence=3)
export LIFT_HOME="${LIFT_HOME:-$HOME/.cache/lift-bench}"

niah_lift() {  # every lifted cell is its own document: ~3 min of training per 1k tokens here
  $LIFT eval niah "${V1M3[@]}" --modes lift_only,lift_icl,icl,rag,no_context \
    --set eval.niah_lengths=1000,2000 --set eval.niah_depths=0,50,100 -o $R/niah_lift
  $LIFT eval niah "${V1M3[@]}" --modes lift_only,lift_icl,icl,rag,no_context \
    --set eval.niah_lengths=4000 --set eval.niah_depths=50 -o $R/niah_lift  # the grid grows in place
}
niah_lift_m1() {  # seed 000's m = 1 QA pair per sentence (stopped after the 1k cells: none recalled)
  $LIFT eval niah "${V1[@]}" -c benchmarks/eval/niah.yaml --modes lift_only,lift_icl,icl,rag,no_context \
    --set eval.niah_lengths=1000,2000,4000 --set eval.niah_depths=0,50,100 -o $R/niah_lift_m1
}
niah_lift_m1_e12() {  # m = 1 with the 12 epochs chosen on the dev needle (benchmarks/results/niah_dev)
  for length in 1000 2000; do  # the grid grows in place (4000 not run yet)
    $LIFT eval niah "${V1[@]}" --modes lift_only --set synth.qa_per_sentence=1 --set train.epochs=12 \
      --set eval.niah_lengths=$length --set eval.niah_depths=0,50,100 -o $R/niah_lift_m1_e12
  done
}
M1_CHEAP=("${V1[@]}" --set synth.qa_per_sentence=1 --set train.epochs=6 --set train.lr=3e-3)
niah_lift_m1_e6_lr3e-3() {  # the cost lever chosen on the dev needle: 6 epochs at lr 3e-3 (~15 tok per doc tok)
  for length in 1000 2000 4000; do
    $LIFT eval niah "${M1_CHEAP[@]}" --modes lift_only --set eval.niah_lengths=$length --set eval.niah_depths=0,50,100 \
      -o $R/niah_lift_m1_e6_lr3e-3
  done
}
niah_long_m1_e6_lr3e-3() {  # that recipe at 16k tokens (2x the window), icl and rag beside; ~45 min per cell here
  for depth in 50 10 90; do  # 32k not run yet (~1.5 h of training per cell here)
    $LIFT eval niah "${M1_CHEAP[@]}" --modes lift_only,icl,rag --set eval.niah_lengths=16000 \
      --set eval.niah_depths=$depth -o $R/niah_long_m1_e6_lr3e-3
  done
}
niah_base() {  # the base-model modes need no training: the whole length range, beyond the 8k window
  $LIFT eval niah "${V1M3[@]}" --modes icl,rag \
    --set eval.niah_lengths=1000,2000,4000,8000,16000,32000 --set eval.niah_depths=0,50,100 \
    -o $R/niah_base
}
niah_long() {  # beyond the 8k window: 16k-token haystacks (2x the window), ~50 min of training per cell here
  $LIFT eval niah "${V1M3[@]}" --modes lift_only,icl,rag,no_context \
    --set eval.niah_lengths=16000 --set eval.niah_depths=50 -o $R/niah_long
  $LIFT eval niah "${V1M3[@]}" --modes lift_only,icl,rag,no_context \
    --set eval.niah_lengths=16000 --set eval.niah_depths=10,90 -o $R/niah_long  # the grid grows in place
}
niah_long_m1_e12() {  # 16k tokens with the m = 1, 12-epoch recipe that recalled every 1k cell (30 tok per doc tok)
  $LIFT eval niah "${V1[@]}" --modes lift_only,icl,rag --set synth.qa_per_sentence=1 --set train.epochs=12 \
    --set eval.niah_lengths=16000 --set eval.niah_depths=50 -o $R/niah_long_m1_e12
}
squad() { $LIFT eval squad "${V1M3[@]}" --limit 200 -o $R/squad; }
general() {  # forgetting after lifting the demo essay, without and with the question gate (auto)
  $LIFT eval general "${V1M3[@]}" --modes no_context,lift_only,auto -o $R/general
}
paraphrase() {  # the test split (15 facts in 3 haystacks), default template forms
  $LIFT eval paraphrase "${V1M3[@]}" --modes lift_only -o $R/paraphrase
}
paraphrase_wh() {  # the lever chosen on the dev split: wh questions after definition, m = 5
  $LIFT eval paraphrase "${V1M3[@]}" --modes lift_only,auto,icl,rag,no_context -o $R/paraphrase_wh \
    --set synth.template_forms=definition,wh,key_phrase,cloze,succession --set synth.qa_per_sentence=5
}
paraphrase_mix() {  # the defaults since 2026-12-01 (mix, wh+about forms, m = 6), chosen on the dev split
  $LIFT eval paraphrase "${D1201[@]}" --modes lift_only,auto -o $R/paraphrase_mix
}
general_mix() {  # forgetting with the defaults since 2026-12-01 (the demo essay lifted with them)
  $LIFT eval general "${D1201[@]}" --modes no_context,lift_only,auto -o $R/general_mix
}
squad_mix() {  # the same 200 questions as `squad`, with the defaults since 2026-12-01 (+ train.min_steps 100)
  $LIFT eval squad "${D1201[@]}" --limit 200 --modes lift_only -o $R/squad_mix
}
loogle() {  # the first 3 documents (15k-26k tokens, all beyond the 8k window), m = 1: ~2.5 h here
  $LIFT eval loogle "${V1[@]}" -c benchmarks/eval/long.yaml --max-documents 3 \
    --modes no_context,icl,lift_only,lift_icl,rag,rag_bm25 -o $R/loogle
}
longbench() {  # the shortest sample of the task with the shortest contexts (qmsum, ~2.5k tokens)
  $LIFT eval longbench "${V1[@]}" -c benchmarks/eval/long.yaml --set eval.longbench_tasks=qmsum \
    --set eval.longbench_per_task=1 -o $R/longbench
}

# Issue K's default recipe (2026-12-03: template forms ask, cue, yes_no with m = 6; qa; 2 epochs; LoRA rank 32 at
# lr 3e-3; an empty system turn). Its results go to folders ending in _k.
paraphrase_k() {  # the test split of both families (names: h2-h4, objects: h6-h8), icl and rag beside
  $LIFT eval paraphrase --modes lift_only,icl,rag -o $R/paraphrase_k
}
niah_k() {  # 1k-4k x depths 0/50/100 and 8k at 50 %, each cell asked in its own words and in 5 others
  for length in 1000 2000 4000; do
    $LIFT eval niah --modes lift_only,icl,rag --set eval.niah_lengths=$length --set eval.niah_depths=0,50,100 \
      -o $R/niah_k
  done
  $LIFT eval niah --modes lift_only,icl,rag --set eval.niah_lengths=8000 --set eval.niah_depths=50 -o $R/niah_k
}
niah_long_k() {  # beyond the 8k window: 16k at 10/50/90 %, then 32k at 50 %; ~1 h of training per 16k cell here
  for depth in 50 10 90; do
    $LIFT eval niah --modes lift_only,icl,rag --set eval.niah_lengths=16000 --set eval.niah_depths=$depth \
      -o $R/niah_long_k
  done
  $LIFT eval niah --modes lift_only,icl,rag --set eval.niah_lengths=32000 --set eval.niah_depths=50 -o $R/niah_long_k
}
niah_long_k_steps() {  # 16k at 50 % with steps sized for ~100 optimizer steps per lift (3.2k tokens) and the sqrt lr
  $LIFT eval niah --modes lift_only --set eval.niah_lengths=16000 --set eval.niah_depths=50 \
    --set train.target_steps=100 -o $R/niah_long_k_steps
}
squad_k() {  # the scored 200 questions, icl and no_context beside (their prompts have the new empty system turn)
  $LIFT eval squad --limit 200 --modes lift_only,icl,no_context -o $R/squad_k
}
general_k() {  # forgetting after lifting the demo essay, without and with the question gate (auto)
  $LIFT eval general --modes no_context,lift_only,auto -o $R/general_k
}

# Issue M's default recipe (2026-12-04: K's recipe with replay 0.5 learned by distillation, distill.replay_weight 1).
# Its results go to folders ending in _m, beside K's; the needle cells of this recipe are benchmarks/long's (recipe m).
# M: issue M's default (2026-12-04), spelled out since issue O made synth.reask 1 the default.
M=(--set synth.reask=0)
general_m() {  # forgetting after lifting the demo essay, without and with the question gate (auto)
  $LIFT eval general "${M[@]}" --modes no_context,lift_only,auto -o $R/general_m
}
squad_m() {  # the scored 200 questions, icl beside (no_context: see squad_k, the same prompts)
  $LIFT eval squad "${M[@]}" --limit 200 --modes lift_only,icl -o $R/squad_m
}
paraphrase_m() {  # the test split of both families (names: h2-h4, objects: h6-h8), icl beside
  $LIFT eval paraphrase "${M[@]}" --modes lift_only,icl -o $R/paraphrase_m
}
rewording_m() {  # the rewording test split (40 facts, 200 questions), the same questions as rewording_o
  $LIFT eval rewording "${M[@]}" --modes lift_only,auto,icl,rag -o $R/rewording_m
}
# Issue O's default (2026-12-07, today's): the test splits, scored once after the choice on o_dev.
rewording_o() {  # the rewording test split: 40 facts in four haystacks, each asked in five wordings
  $LIFT eval rewording --modes lift_only,auto,icl,rag -o $R/rewording_o
}
general_o() {  # forgetting after lifting the demo essay, without and with the question gate (auto)
  $LIFT eval general --modes no_context,lift_only,auto -o $R/general_o
}
paraphrase_o() {  # the test split of both families (names: h2-h4, objects: h6-h8), icl beside
  $LIFT eval paraphrase --modes lift_only,icl -o $R/paraphrase_o
}

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=(niah_lift squad general niah_base loogle longbench paraphrase paraphrase_wh paraphrase_mix general_mix squad_mix)
for step in "${steps[@]}"; do
  echo "== $step"
  "$step"
done
