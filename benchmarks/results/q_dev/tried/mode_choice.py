"""Offline (issue Q, tried, not built): keep, per question, the answer of whichever mode is closest to the
question (all-MiniLM-L6-v2 cosine), against each mode alone and the oracle, from stored eval rows.

    python mode_choice.py METRIC LABEL=results.jsonl[:mode] LABEL=results.jsonl[:mode] ...
"""

import json
import sys

import torch

from lift.infer.rag import embed


def main() -> None:
    metric = sys.argv[1]
    sources = []
    for arg in sys.argv[2:]:
        label, spec = arg.split("=", 1)
        path, _, mode = spec.partition(":")
        rows = {}
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                if not mode or row["mode"] == mode:
                    rows[(row["doc_id"], row["item_id"])] = row
        sources.append((label, rows))
    keys = sorted(set.intersection(*[set(rows) for _, rows in sources]))
    print(len(keys), "questions in all sources")
    asked = embed([sources[0][1][k]["question"] for k in keys])
    answers = [embed([rows[k]["prediction"] or "" for k in keys]) for _, rows in sources]
    similarity = torch.stack([(vectors * asked).sum(-1) for vectors in answers])
    scores = torch.tensor([[rows[k]["scores"][metric] for k in keys] for _, rows in sources], dtype=torch.float)
    for (label, _), score in zip(sources, scores, strict=True):
        print(f"{label:>12}: {100 * score.mean():.1f}")
    best = similarity.argmax(0)
    picks = ", ".join(f"{label} {(best == i).sum().item()}" for i, (label, _) in enumerate(sources))
    print(f"{'chosen':>12}: {100 * scores[best, torch.arange(len(keys))].mean():.1f}   picks: {picks}")
    print(f"{'oracle':>12}: {100 * scores.max(0).values.mean():.1f}")


if __name__ == "__main__":
    main()
