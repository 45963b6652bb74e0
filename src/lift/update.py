"""Incremental update (`lift train --update`): what to train when a lifted document has changed.

The new version trains on from the previous version's adapter. Only its changed sentences (those not in the
previous version, compared as whole sentences) get new synthetic QA; a share of the unchanged sentences has
its QA trained again, asked as the previous lift asked it (the previous document's generation requests, so
the cache answers them), so the old facts stay. Half of that share are the unchanged sentences closest in
meaning to the changed ones (all-MiniLM-L6-v2), since new facts overwrite the old facts they resemble most;
the other half is a seeded random sample. Auxiliary windows are not regenerated. Under the `mix` objective an
update trains this QA alone: the document's segments would train the whole text again.
"""

from __future__ import annotations

import dataclasses
import random
from collections import Counter
from dataclasses import dataclass

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.store import Entry, LineageRecord
from lift.synth.types import Job, JobPlan


@dataclass
class UpdatePlan:
    previous: Entry
    changed: list[int]  # indices of the new version's sentences that the previous one lacks
    replayed: list[int]  # indices of the previous version's sentences whose QA is trained again
    removed: int  # sentences of the previous version that are gone
    moved_to: dict[int, int] = dataclasses.field(default_factory=dict)  # an unchanged sentence: old -> new index

    def lineage(self) -> LineageRecord:
        return LineageRecord(
            previous=self.previous.doc_id,
            version=self.previous.manifest.version + 1,
            changed_sentences=self.changed,
            removed_sentences=self.removed,
            replayed_sentences=len(self.replayed),
        )

    def jobs(self, new: JobPlan, old: JobPlan) -> JobPlan:
        """The new version's requests for its changed sentences, then the previous version's requests for the
        replayed ones, numbered again in that order."""
        changed, replayed = set(self.changed), set(self.replayed)
        chosen: list[Job] = [j for j in new.jobs if j.kind == "sentence" and j.index in changed]
        # a replayed request keeps its cache key, and its pairs name the sentence where it is now (the teacher
        # of context distillation reads the new version's chunk around it)
        chosen += [dataclasses.replace(j, unit=dataclasses.replace(j.unit, index=self.moved_to[j.index]))
                   for j in old.jobs if j.kind == "sentence" and j.index in replayed]  # fmt: skip
        renumbered = tuple(dataclasses.replace(job, number=number) for number, job in enumerate(chosen))
        return JobPlan(renumbered, new.sentences, new.qa_per_sentence)


def plan_update(previous: Entry, previous_sentences: list[str], sentences: list[str], config: LiftConfig) -> UpdatePlan:
    """Which sentences changed, and which unchanged ones are replayed (train.update_replay of them, seeded)."""
    check_compatible(previous, config)
    old = Counter(previous_sentences)
    changed = []
    for index, sentence in enumerate(sentences):
        if old[sentence] > 0:
            old[sentence] -= 1
        else:
            changed.append(index)
    if not changed:
        raise LiftError(f"nothing changed since document {previous.doc_id}: every sentence is in it already")
    now: dict[str, list[int]] = {}
    for index, sentence in enumerate(sentences):
        now.setdefault(sentence, []).append(index)
    unchanged, moved_to = [], {}
    for index, sentence in enumerate(previous_sentences):
        if now.get(sentence):
            moved_to[index] = now[sentence].pop(0)
            unchanged.append(index)
    count = round(config.train.update_replay * len(unchanged))
    similar = _closest(unchanged, previous_sentences, [sentences[i] for i in changed], count // 2)
    chosen = set(similar)
    others = [i for i in unchanged if i not in chosen]
    replayed = sorted(similar + random.Random(config.train.seed).sample(others, count - len(similar)))
    return UpdatePlan(previous, changed, replayed, len(previous_sentences) - len(unchanged), moved_to)


def _closest(candidates: list[int], sentences: list[str], changed: list[str], count: int) -> list[int]:
    """The `count` candidate sentences most similar to any changed sentence (cosine of MiniLM embeddings); none
    when the embedder is not installed."""
    if count <= 0 or not candidates:
        return []
    from lift.infer.gate import embedder_installed
    from lift.infer.rag import embed

    if not embedder_installed():
        return []

    scores = (embed([sentences[i] for i in candidates]) @ embed(changed).T).max(dim=1).values
    order = sorted(range(len(candidates)), key=lambda k: (-float(scores[k]), k))
    return [candidates[k] for k in order[:count]]


def check_compatible(previous: Entry, config: LiftConfig) -> None:
    """An update trains on from the previous adapter: same adapter type and shape, a QA objective (qa, or mix,
    whose update trains its QA part)."""
    before = previous.manifest.lift_config()
    if config.adapter.type == "pissa":
        raise LiftError("--update trains on from the previous adapter, which a PiSSA lift saves as a plain LoRA; "
                        "lift PiSSA documents again without --update")  # fmt: skip
    if config.train.objective not in ("qa", "mix"):
        raise LiftError(f"--update needs train.objective qa or mix (this lift asks for {config.train.objective})")
    same = (before.adapter.type, before.lora.rank, before.lora.target_modules, before.adapter.memory_hidden,
            before.adapter.gate_hidden) == (config.adapter.type, config.lora.rank, config.lora.target_modules,
                                            config.adapter.memory_hidden, config.adapter.gate_hidden)  # fmt: skip
    if not same:
        raise LiftError(
            f"--update trains on from document {previous.doc_id}'s adapter ({before.adapter.type}, rank "
            f"{before.lora.rank}); lift with the same adapter settings, or without --update"
        )
