"""The novelty term's study, step 1 (2026-12-08, Intel Xeon, avx512_bf16 + AMX, one thread): every rewording dev
question answered again by the product's beam search (lift.infer.candidates.beam_candidates, 6 beams, batches of
8) on a seed's stored adapters, each beam kept with its log-probability per token, its all-MiniLM-L6-v2 vector
and the question's, and whether it is right or names another fact, so that any way of choosing can be scored
afterwards (novelty_eval.py). The default rule applied to these beams gives 30 of the first 32 answers o25 gave
(the batches differ). Usage: beam_dump.py RESULTS_JSONL LIFT_HOME OUT_JSONL [BEAMS], RESULTS_JSONL being the
seed's o25 run (it names the adapter that answered each haystack)."""

import collections
import json
import sys
from pathlib import Path

import torch

from lift.adapters import load_adapter
from lift.eval.items import score_prediction
from lift.eval.suites.rewording import rewording_items
from lift.infer.candidates import beam_candidates
from lift.infer.modes import build_prompt_ids
from lift.infer.rag import embed
from lift.models import load_model
from lift.store import Store

results, home, out = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
beams = int(sys.argv[4]) if len(sys.argv) > 4 else 6
torch.set_num_threads(1)
adapter_of = {}
for line in open(results):
    row = json.loads(line)
    if row["mode"] == "lift_only":
        adapter_of[row["group"]["haystack"]] = row["adapter"]
loaded = load_model(None, "cpu")
tokenizer = loaded.tokenizer
by_haystack = collections.defaultdict(list)
for item in rewording_items(Path("/work/shared/data"), tokenizer, "dev"):
    by_haystack[item.group["haystack"]].append(item)
done = set()
if out.exists():
    done = {(row["haystack"], row["item_id"]) for row in map(json.loads, open(out))}
for haystack, items in sorted(by_haystack.items()):
    items = [item for item in items if (haystack, item.item_id) not in done]
    if not items:
        continue
    adapter = load_adapter(loaded.model, Store(home).get(adapter_of[haystack]).adapter_dir)
    try:
        for start in range(0, len(items), 8):
            batch = items[start : start + 8]
            prompts = [
                build_prompt_ids(tokenizer, it.question, "lift_only", None, loaded.window, 64, "") for it in batch
            ]
            rows = []
            for item, candidates in zip(
                batch, beam_candidates(adapter.model, tokenizer, prompts, 64, beams), strict=True
            ):
                texts = [c.continuation.text for c in candidates]
                rows.append({
                    "item_id": item.item_id, "haystack": haystack, "form": item.group["form"],
                    "shape": item.group["shape"], "fact": item.group["fact"], "question": item.question,
                    "cands": texts, "log_probs": [c.log_prob for c in candidates],
                    "vectors": embed([item.question, *texts]).tolist(),
                    "correct": [score_prediction(item, t)["correct"] for t in texts],
                    "other_fact": [score_prediction(item, t)["other_fact"] for t in texts],
                })  # fmt: skip
            with out.open("a") as f:
                f.writelines(json.dumps(row) + "\n" for row in rows)
    finally:
        adapter.unload()
    print(haystack, "done", flush=True)
