"""Prototype of infer.beams, as run on 2026-12-07 (Intel Xeon, avx512_bf16 + AMX, one thread) on o22's stored
adapters (LIFT_HOME ~/.cache/lift-dev-main): for each rewording dev question the adapter writes K answers by beam
search and a greedy one; the similarity of each beam to the question (all-MiniLM-L6-v2) and its log-probability
per token are kept, so that any way of choosing can be scored afterwards (beam_choice_summary.py).
Usage: beam_choice.py RESULTS_JSONL OUT_JSONL HAYSTACKS(comma) K; stopped after 95 questions (r01, r02) when
the product code (lift.infer.candidates) took over."""

import collections
import json
import sys
from pathlib import Path

import torch

from lift.adapters import load_adapter
from lift.eval.items import score_prediction
from lift.eval.suites.rewording import rewording_items
from lift.infer.generation import to_continuation
from lift.infer.modes import build_prompt_ids
from lift.infer.rag import embed
from lift.models import load_model
from lift.prompting import end_of_turn_id
from lift.store import Store

results, out, hay, k = sys.argv[1], Path(sys.argv[2]), set(sys.argv[3].split(",")), int(sys.argv[4])
home = Path.home() / ".cache/lift-dev-main"
adapter_of = {}
greedy_old = {}
for line in open(results):
    r = json.loads(line)
    if r["mode"] == "lift_only":
        adapter_of[r["group"]["haystack"]] = r["adapter"]
        greedy_old[r["item_id"]] = r["scores"]["correct"]
loaded = load_model(None, "cpu")
tok = loaded.tokenizer
items = [it for it in rewording_items(Path("/work/shared/data"), tok, "dev") if it.group["haystack"] in hay]
by = collections.defaultdict(list)
for it in items:
    by[it.group["haystack"]].append(it)
done = set()
if out.exists():
    done = {json.loads(line)["item_id"] for line in open(out)}
eot = end_of_turn_id(tok)
for h, its in sorted(by.items()):
    entry = Store(home).get(adapter_of[h])
    adapter = load_adapter(loaded.model, entry.adapter_dir)
    try:
        for it in its:
            if it.item_id in done:
                continue
            ids = build_prompt_ids(tok, it.question, "lift_only", None, loaded.window, 64, "")
            x = torch.tensor([ids])
            with torch.inference_mode():
                g = adapter.model.generate(
                    input_ids=x,
                    attention_mask=torch.ones_like(x),
                    max_new_tokens=64,
                    do_sample=False,
                    num_beams=k,
                    num_return_sequences=k,
                    eos_token_id=eot,
                    pad_token_id=eot,
                    output_scores=True,
                    return_dict_in_generate=True,
                    early_stopping=True,
                )
                gr = adapter.model.generate(
                    input_ids=x,
                    attention_mask=torch.ones_like(x),
                    max_new_tokens=64,
                    do_sample=False,
                    eos_token_id=eot,
                    pad_token_id=eot,
                )
            cands = [to_continuation(tok, row[len(ids) :].tolist(), eot).text for row in g.sequences]
            greedy = to_continuation(tok, gr[0][len(ids) :].tolist(), eot).text
            seq = g.sequences_scores.tolist()
            v = embed([it.question] + cands)
            sims = (v[1:] @ v[0]).tolist()
            row = {
                "item_id": it.item_id,
                "haystack": h,
                "form": it.group["form"],
                "question": it.question,
                "greedy": greedy,
                "greedy_correct": score_prediction(it, greedy)["correct"],
                "old_correct": greedy_old.get(it.item_id),
                "cands": cands,
                "seq_scores": seq,
                "sims": sims,
                "cand_correct": [score_prediction(it, c)["correct"] for c in cands],
            }
            with out.open("a") as f:
                f.write(json.dumps(row) + "\n")
    finally:
        adapter.unload()
    print(h, "done", flush=True)
