"""Prototype: ask the adapter the nearest synthetic question (by all-MiniLM-L6-v2) instead of the user's own words."""

import collections
import json
import sys
from pathlib import Path

from lift.adapters import load_adapter
from lift.eval.items import score_prediction
from lift.eval.suites.rewording import rewording_items
from lift.infer.generation import generate_batch
from lift.infer.modes import build_prompt_ids
from lift.infer.rag import embed
from lift.models import load_model
from lift.store import Store
from lift.synth.template import TemplateGenerator
from lift.synth.types import SentenceRequest
from lift.text import split_sentences

home = Path(sys.argv[1])
out = Path(sys.argv[2])
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 99
loaded = load_model(None, "cpu")
tok = loaded.tokenizer
items = rewording_items(Path("../shared/data"), tok, "dev")
docs = collections.OrderedDict()
for it in items:
    docs.setdefault(it.document.doc_id, []).append(it)
rows = []
for n, (doc_id, its) in enumerate(docs.items()):
    if n >= limit:
        break
    entry = Store(home).get(doc_id)
    sents = split_sentences(its[0].document.text)
    gen = TemplateGenerator(6)
    synth = []
    prev = ""
    for s in sents:
        synth += [p["question"] for p in gen._make(SentenceRequest(0, s, s, prev))]
        prev = s
    synth = list(dict.fromkeys(synth))
    sv = embed(synth)
    qv = embed([it.question for it in its])
    sims = qv @ sv.T
    best = sims.argmax(1).tolist()
    bestsim = sims.max(1).values.tolist()
    adapter = load_adapter(loaded.model, entry.adapter_dir)
    try:
        for variant in ("own", "nearest", "both"):
            prompts = []
            for it, b in zip(its, best, strict=True):
                q = {"own": it.question, "nearest": synth[b], "both": f"{it.question} ({synth[b]})"}[variant]
                prompts.append(build_prompt_ids(tok, q, "lift_only", None, loaded.window, 48, ""))
            answers = generate_batch(adapter.model, tok, prompts, 48)
            for it, a, b, s in zip(its, answers, best, bestsim, strict=True):
                rows.append(
                    {
                        "item_id": it.item_id,
                        "variant": variant,
                        "nearest": synth[b],
                        "sim": round(s, 3),
                        "prediction": a,
                        "scores": score_prediction(it, a),
                        "form": it.group["form"],
                        "adapter_config": entry.manifest.lift_config().train.replay_ratio,
                    }
                )
    finally:
        adapter.unload()
    with out.open("w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    for v in ("own", "nearest", "both"):
        rs = [r for r in rows if r["variant"] == v]
        print(n, v, len(rs), round(100 * sum(r["scores"]["correct"] for r in rs) / len(rs), 1), flush=True)
