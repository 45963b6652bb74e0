"""Paired comparison of two settings on the same questions: `lift compare A B`.

Each side is one or more eval output folders (one per seed). A question counts when every folder of both sides
answered it in the mode; its score on a side is the mean over that side's folders. The difference B - A is
averaged over questions, and its 95 % interval comes from a bootstrap that resamples clusters of questions (by
default the group key `fact` where rows carry one, else each question alone), since the questions about one fact
rise and fall together. The spread of each side over its folders (the seed-to-seed range) comes with it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from lift.errors import LiftError
from lift.eval.results import RESULTS, EvalRow, read_results

CLUSTER_KEYS = ("fact",)  # group keys that tie several questions together, tried in order


@dataclass
class Side:
    """One setting: its folders' scores per question key, in folder order."""

    folders: list[Path]
    scores: list[dict[str, float]]  # per folder: question key -> score

    def per_folder_means(self, keys: list[str]) -> list[float]:
        return [sum(s[k] for k in keys) / len(keys) for s in self.scores]


@dataclass
class Comparison:
    mode: str
    metric: str
    questions: int
    clusters: int
    cluster_key: str
    mean_a: float
    mean_b: float
    difference: float
    low: float
    high: float
    gained: int  # questions B answers right more often than A (over the seeds)
    lost: int
    seeds_a: list[float] = field(default_factory=list)  # each folder's mean over the compared questions
    seeds_b: list[float] = field(default_factory=list)

    def line(self, name_a: str = "A", name_b: str = "B") -> str:
        spread = lambda means: (  # noqa: E731
            f" (seeds {' / '.join(f'{100 * m:.1f}' for m in means)})" if len(means) > 1 else ""
        )
        return (
            f"{self.mode} {self.metric}: {name_a} {100 * self.mean_a:.1f}{spread(self.seeds_a)}, "
            f"{name_b} {100 * self.mean_b:.1f}{spread(self.seeds_b)}; {name_b} - {name_a} "
            f"{100 * self.difference:+.1f} points, 95 % paired bootstrap over {self.clusters} "
            f"{self.cluster_key + 's' if self.cluster_key != 'question' else 'questions'} "
            f"[{100 * self.low:+.1f}, {100 * self.high:+.1f}]; {self.questions} questions, "
            f"{self.gained} gained, {self.lost} lost"
        )


def read_side(folders: list[Path], mode: str, metric: str, suite: str | None = None) -> tuple[Side, dict]:
    """The folders' scores in `mode` and `metric` (only `suite`'s rows when given), and each question's row
    (the first folder's) for its group keys."""
    scores, rows_by_key = [], {}
    for folder in folders:
        path = folder / RESULTS
        if not path.is_file():
            raise LiftError(f"no {RESULTS} in {folder}")
        rows = [r for r in read_results(path) if r.mode == mode and (suite is None or r.suite == suite)]
        found = {_key(r): r.scores[metric] for r in rows if r.scores.get(metric) is not None}
        if not found:
            raise LiftError(f"{folder}: no {metric} scores in mode {mode}")
        scores.append(found)
        for r in rows:
            rows_by_key.setdefault(_key(r), r)
    return Side(list(folders), scores), rows_by_key


def _key(row: EvalRow) -> str:
    return f"{row.suite}/{row.item_id}"


def compare(
    a: list[Path],
    b: list[Path],
    mode: str = "lift_only",
    metric: str = "correct",
    *,
    mode_b: str | None = None,
    cluster: str | None = None,
    samples: int = 2000,
    seed: int = 0,
) -> Comparison:
    """B - A on the questions both sides answered in every folder. `mode_b`: compare another mode of B (e.g.
    lift_icl against A's icl); `cluster`: the group key to resample by ('question': none; None: fact when the
    rows have it)."""
    side_a, rows = read_side(a, mode, metric)
    side_b, _ = read_side(b, mode_b or mode, metric)
    keys = sorted(set.intersection(*(set(s) for s in side_a.scores + side_b.scores)))
    if not keys:
        raise LiftError("the two sides have no question in common (another suite, split or mode?)")
    score_a = {k: sum(s[k] for s in side_a.scores) / len(side_a.scores) for k in keys}
    score_b = {k: sum(s[k] for s in side_b.scores) / len(side_b.scores) for k in keys}
    cluster_key = cluster or next((c for c in CLUSTER_KEYS if all(c in rows[k].group for k in keys)), "question")
    groups: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        groups[k if cluster_key == "question" else f"{rows[k].suite}/{rows[k].group.get(cluster_key)}"].append(k)
    clusters = [(sum(score_b[k] - score_a[k] for k in ks), len(ks)) for ks in groups.values()]
    draw = random.Random(seed)
    means = []
    for _ in range(samples):
        picked = draw.choices(clusters, k=len(clusters))
        means.append(sum(d for d, _ in picked) / sum(n for _, n in picked))
    means.sort()
    n = len(keys)
    return Comparison(
        mode=mode if not mode_b or mode_b == mode else f"{mode_b} vs {mode}",
        metric=metric,
        questions=n,
        clusters=len(clusters),
        cluster_key=cluster_key,
        mean_a=sum(score_a.values()) / n,
        mean_b=sum(score_b.values()) / n,
        difference=sum(score_b[k] - score_a[k] for k in keys) / n,
        low=means[int(0.025 * (samples - 1))],
        high=means[int(round(0.975 * (samples - 1)))],
        gained=sum(score_b[k] > score_a[k] for k in keys),
        lost=sum(score_b[k] < score_a[k] for k in keys),
        seeds_a=side_a.per_folder_means(keys),
        seeds_b=side_b.per_folder_means(keys),
    )
