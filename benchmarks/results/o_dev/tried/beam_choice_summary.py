"""Summarise beam_choice.jsonl: greedy, beam search's best, the beam closest to the question (similarity +
weight x log-probability per token, for several weights) and any beam right, by haystack half and by form.
Usage: python beam_choice_summary.py beam_choice.jsonl"""

import collections
import json
import sys

rows = [json.loads(line) for path in sys.argv[1:] for line in open(path)]


def acc(sel, rs):
    return 100 * sum(sel(r) for r in rs) / max(1, len(rs))


def pick(r, weight):
    s = [sim + weight * lp for sim, lp in zip(r["sims"], r["seq_scores"], strict=True)]
    return r["cand_correct"][max(range(len(s)), key=s.__getitem__)]


halves = {
    "r01-r06": [r for r in rows if r["haystack"] <= "r06"],
    "r07-r12": [r for r in rows if r["haystack"] > "r06"],
    "all": rows,
}
for name, rs in halves.items():
    if not rs:
        continue
    weights = " ".join(f"w{w:.1f}={acc(lambda r, w=w: pick(r, w), rs):.1f}" for w in (0, 0.5, 1, 1.5, 2, 3, 5))
    print(
        f"{name} {len(rs)} questions: eval's greedy {acc(lambda r: r['old_correct'] or 0, rs):.1f}, "
        f"greedy here {acc(lambda r: r['greedy_correct'], rs):.1f}, beam search's best "
        f"{acc(lambda r: r['cand_correct'][0], rs):.1f}, any beam {acc(lambda r: max(r['cand_correct']), rs):.1f}; "
        f"chosen: {weights}"
    )
forms = collections.defaultdict(list)
for r in rows:
    forms[r["form"]].append(r)
for form, rs in sorted(forms.items()):
    print(
        f"  {form} {len(rs)}: greedy {acc(lambda r: r['greedy_correct'], rs):.1f}, beam search's best "
        f"{acc(lambda r: r['cand_correct'][0], rs):.1f}, chosen (w 1) {acc(lambda r: pick(r, 1), rs):.1f}"
    )
