"""The novelty term's study, step 2: on beam_dump.py's dumps, each seed's recall over a grid of
infer.novelty_weight (infer.choice_weight 1 and the repeat filter: the product's rule, lift.infer.candidates),
and the paired difference against novelty 0 (each question's score averaged over the seeds; 95 % bootstrap over
facts, as `lift compare`). Usage: novelty_eval.py DUMP [DUMP ...]"""

import collections
import json
import sys

import numpy as np

from lift.infer.candidates import new_share, repeats

GRID = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0]
seeds = {}
for path in sys.argv[1:]:
    rows = []
    for line in open(path):
        row = json.loads(line)
        if "vectors" in row:  # a dump as beam_dump.py writes it (the committed beams/*.jsonl are compacted)
            vectors = np.array(row.pop("vectors"))
            row["sims"] = (vectors[1:] @ vectors[0]).round(5).tolist()
            row["new"] = [round(new_share(row["question"], c), 5) for c in row["cands"]]
            row["repeats"] = [repeats(row["question"], c) for c in row["cands"]]
        row["sim"], row["lp"], row["new_"] = np.array(row["sims"]), np.array(row["log_probs"]), np.array(row["new"])
        row["answering"] = [i for i, r in enumerate(row["repeats"]) if not r] or list(range(len(row["cands"])))
        rows.append(row)
    seeds[path] = rows


def kept(row, novelty: float) -> int:
    score = row["sim"] + row["lp"] + novelty * row["new_"]
    return max(row["answering"], key=lambda i: score[i])


for path, rows in seeds.items():
    print(path, len(rows), "questions; any beam right %.1f" % (100 * np.mean([max(r["correct"]) for r in rows])))
    for novelty in GRID:
        right = 100 * np.mean([r["correct"][kept(r, novelty)] for r in rows])
        other = 100 * np.mean([r["other_fact"][kept(r, novelty)] for r in rows])
        print(f"  novelty {novelty}: {right:.1f} % right, {other:.1f} % naming another fact")


def paired(novelty: float, rng: np.random.Generator) -> str:
    by_question = collections.defaultdict(list)
    for rows in seeds.values():
        for r in rows:
            by_question[(r["haystack"], r["item_id"])].append(
                (r, r["correct"][kept(r, novelty)], r["correct"][kept(r, 0)])
            )
    by_fact = collections.defaultdict(list)
    for answers in by_question.values():
        fact = (answers[0][0]["haystack"], answers[0][0]["fact"])
        by_fact[fact].append(np.mean([a[1] for a in answers]) - np.mean([a[2] for a in answers]))
    diffs = [np.array(d) for d in by_fact.values()]
    point = sum(d.sum() for d in diffs) / sum(len(d) for d in diffs)
    boots = []
    for _ in range(2000):
        pick = rng.integers(0, len(diffs), len(diffs))
        boots.append(sum(diffs[i].sum() for i in pick) / sum(len(diffs[i]) for i in pick))
    low, high = np.percentile(boots, [2.5, 97.5])
    gained = sum(a[1] > a[2] for answers in by_question.values() for a in answers)
    lost = sum(a[1] < a[2] for answers in by_question.values() for a in answers)
    return (f"novelty {novelty} against 0: {100 * point:+.1f} [{100 * low:+.1f}, {100 * high:+.1f}] over "
            f"{len(by_question)} questions, {len(diffs)} facts; {gained} answers gained, {lost} lost")  # fmt: skip


for novelty in (0.3, 0.5):
    print(paired(novelty, np.random.default_rng(0)))
