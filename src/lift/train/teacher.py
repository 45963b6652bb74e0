"""The teacher of context distillation: the base model (the adapter switched off, so no second copy is held)
reading each example's teacher prompt (a document chunk and the question, or a general prompt: lift.data.distill)
followed by the example's answer, and its top-k next-token log-probabilities at every answer token.

Examples of one teacher group share the start of their prompts (the chunk). A row holds that shared start once,
then each example's rest (question and answer) with position ids that continue after it; packed attention lets
every rest read the shared start and itself only (lift.train.attention.PackedRow prefixes), so a chunk costs its
tokens once however many questions are asked about it. Targets are cached by content (model, precision, k, the
teacher's tokens), so a resumed lift, an update or a relift reads them instead of computing them again.

DistilledSource puts the teacher between a training source and the loop: its examples get their targets on
the way, a batch at a time (in the pipeline's first epoch, as they are generated).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from transformers import PreTrainedTokenizerBase

from lift.adapters.base import Adapter
from lift.data.examples import IGNORE_INDEX, Example, TeacherTargets
from lift.data.sources import Source
from lift.infer.generation import generate_rows
from lift.prompting import answer_ids
from lift.text.truncate import whole_sentences
from lift.train.attention import NAME as PACKED_NAME
from lift.train.attention import ROW_KWARG, packed_attention, packed_row, resolve_kernel
from lift.train.distributed import Processes
from lift.train.precision import autocast

TEACHER_VERSION = "teacher-v1"
WRITE_BATCH = 8  # prompts per generate() call when the teacher writes answers
ROW_TOKENS = 4096  # question + answer tokens per teacher row, after the shared chunk (bounds the logits held)
SOFTMAX_ROWS = 512  # logits turned into log-probabilities this many positions at a time (fp32 copies stay small)


class TeacherCache(Protocol):
    def get_blobs(self, keys: list[str]) -> dict[str, bytes]: ...

    def put_blobs(self, kind: str, outputs: dict[str, bytes]) -> None: ...


@dataclass
class TeacherCounters:
    """What the teacher did in a lift (the manifest's teacher_* counts)."""

    tokens: int = 0  # tokens through the teacher (a shared chunk once per row)
    examples: int = 0  # examples given targets, from the cache or computed
    cached: int = 0  # of them read from the cache
    seconds: float = 0.0


class Teacher:
    def __init__(
        self,
        adapter: Adapter,
        tokenizer: PreTrainedTokenizerBase,
        model_name: str,
        top_k: int,
        precision: str,
        cache: TeacherCache | None = None,
        row_tokens: int = ROW_TOKENS,
        answer_tokens: int = 64,
    ) -> None:
        self.adapter = adapter
        self.tokenizer = tokenizer
        self.model_name = model_name
        self.top_k = top_k
        self.precision = precision
        self.cache = cache
        self.row_tokens = row_tokens
        self.answer_tokens = answer_tokens  # the most tokens of an answer the teacher writes
        self.counters = TeacherCounters()
        self.device = next(adapter.model.parameters()).device

    def attach(self, examples: list[Example]) -> list[Example]:
        """The examples with the answers the teacher writes (teacher_writes; one it leaves empty is dropped)
        and their teacher targets (those with no teacher prompt or weight as they are)."""
        started = time.perf_counter()
        examples = self._written(examples)
        taught = [n for n, e in enumerate(examples) if e.teacher_prompt is not None and e.teacher is None
                  and e.teacher_weight > 0 and not e.teacher_writes]  # fmt: skip
        if not taught:
            self.counters.seconds += time.perf_counter() - started
            return examples
        keys = {n: self._key(examples[n]) for n in taught}
        cached = self.cache.get_blobs(list(set(keys.values()))) if self.cache is not None else {}
        targets = {n: _decode(cached[keys[n]]) for n in taught if keys[n] in cached}
        missing = [n for n in taught if n not in targets]
        fresh = self._compute([examples[n] for n in missing])
        targets.update(zip(missing, fresh, strict=True))
        if self.cache is not None and missing:
            self.cache.put_blobs(TEACHER_VERSION, {keys[n]: _encode(targets[n]) for n in missing})
        self.counters.examples += len(taught)
        self.counters.cached += len(taught) - len(missing)
        self.counters.seconds += time.perf_counter() - started
        out = list(examples)
        for n in taught:
            out[n] = dataclasses.replace(examples[n], teacher=targets[n])
        return out

    def _written(self, examples: list[Example]) -> list[Example]:
        """Self-study: each example that waits for it gets the teacher's greedy answer to its teacher prompt
        (the chunk and the question), cached by content; one left empty still waits (DistilledSource drops it)."""
        waiting = [e for e in examples if e.teacher_writes]
        if not waiting:
            return examples
        keys = [self._key(e, kind="answer", extra=self.answer_tokens) for e in waiting]
        cached = self.cache.get_blobs(keys) if self.cache is not None else {}
        found = {k: v.decode("utf-8") for k, v in cached.items()}
        missing = list(dict.fromkeys(k for k in keys if k not in found))
        prompts = {k: list(e.teacher_prompt) for k, e in zip(keys, waiting, strict=True)}
        if missing:
            written = self._write([prompts[k] for k in missing])
            found.update(zip(missing, written, strict=True))
            if self.cache is not None:
                self.cache.put_blobs(f"{TEACHER_VERSION}-answer", {k: found[k].encode("utf-8") for k in missing})
        answers = iter(found[k] for k in keys)
        out = []
        for example in examples:
            answer = next(answers) if example.teacher_writes else ""
            if answer:
                target = answer_ids(self.tokenizer, answer)
                example = dataclasses.replace(example, input_ids=example.input_ids + target, teacher_writes=False,
                                              labels=example.labels + target)  # fmt: skip
            out.append(example)
        return out

    @torch.no_grad()
    def _write(self, prompts: list[list[int]]) -> list[str]:
        """The base model's greedy answers, cut back to whole sentences when they hit the token limit."""
        model = self.adapter.model
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        answers = [""] * len(prompts)
        with self.adapter.disabled(), autocast(self.precision, self.device):
            for start in range(0, len(order), WRITE_BATCH):
                batch = order[start : start + WRITE_BATCH]
                rows = generate_rows(model, self.tokenizer, [prompts[i] for i in batch], self.answer_tokens)
                for i, row in zip(batch, rows, strict=True):
                    answers[i] = row.text if row.finished else whole_sentences(row.text)
                    self.counters.tokens += len(prompts[i]) + row.tokens
        return answers

    def _key(self, example: Example, kind: str = "targets", extra: int | None = None) -> str:
        """The content key of what the teacher makes of an example: its targets (k, the answer read) or the
        answer it writes (extra: the token limit)."""
        settings = f"{TEACHER_VERSION}|{kind}|{self.model_name}|{self.precision}|{extra or self.top_k}|"
        digest = hashlib.sha256(settings.encode())
        digest.update(array("i", example.teacher_prompt or ()).tobytes())
        if kind == "targets":
            digest.update(b"|")
            digest.update(array("i", _answer(example)).tobytes())
        return digest.hexdigest()

    @torch.no_grad()
    def _compute(self, examples: list[Example]) -> list[TeacherTargets]:
        """Targets for each example, in order: rows of one group's shared start and several rests."""
        if not examples:
            return []
        model = self.adapter.model
        shared = _packable(model)
        results: list[TeacherTargets | None] = [None] * len(examples)
        groups: dict[int, list[int]] = {}
        for n, example in enumerate(examples):
            groups.setdefault(example.teacher_group, []).append(n)
        kernel = resolve_kernel("auto", self.device)
        was_training = model.training
        model.eval()
        try:
            with contextlib.ExitStack() as stack:
                stack.enter_context(self.adapter.disabled())
                stack.enter_context(packed_attention(model))
                for members in groups.values():
                    sequences = [(*examples[n].teacher_prompt, *_answer(examples[n])) for n in members]
                    prompts = [len(examples[n].teacher_prompt) for n in members]
                    start = _shared_start(sequences, min(prompts) - 1) if shared else 0
                    for row in _rows(list(range(len(members))), sequences, start, self.row_tokens, shared):
                        found = self._row(row, sequences, prompts, start, kernel)
                        for i, target in zip(row, found, strict=True):
                            results[members[i]] = target
        finally:
            model.train(was_training)
        return results  # type: ignore[return-value]

    def _row(self, members, sequences, prompts, start, kernel) -> list[TeacherTargets]:
        """One forward over [shared start][rest of member 1][rest of member 2]...; each member's targets."""
        ids, positions, keep, spans = list(sequences[members[0]][:start]), list(range(start)), [], []
        for i in members:
            first = len(ids) + prompts[i] - 1 - start  # the row position that predicts the first answer token
            count = len(sequences[i]) - prompts[i]
            spans.append((len(keep), count))
            keep += range(first, first + count)
            rest = sequences[i][start:]
            ids += rest
            positions += range(start, start + len(rest))
        input_ids = torch.tensor([ids], device=self.device)
        position_ids = torch.tensor([positions])
        row = packed_row(position_ids, kernel, self.device)
        with autocast(self.precision, self.device):
            logits = self.adapter.model(
                input_ids=input_ids,
                position_ids=position_ids.to(self.device),
                logits_to_keep=torch.tensor(keep, device=self.device),
                use_cache=False,
                **{ROW_KWARG: row},
            ).logits[0]
        tops = [part.float().log_softmax(dim=-1).topk(self.top_k, dim=-1) for part in logits.split(SOFTMAX_ROWS)]
        values = torch.cat([top.values for top in tops]).cpu().to(torch.float16)
        indices = torch.cat([top.indices for top in tops]).cpu().to(torch.int32)
        self.counters.tokens += len(ids)
        return [TeacherTargets(indices[a : a + n].clone(), values[a : a + n].clone()) for a, n in spans]


class DistilledSource:
    """A training source (lift.data.sources.Source) whose examples get the teacher's targets on the way:
    `batch` examples at a time while it streams, all of them at once otherwise (under torchrun process 0
    computes them into the cache first, the others read them)."""

    def __init__(self, source: Source, teacher: Teacher, processes: Processes, batch: int = 512) -> None:
        self.source = source
        self.teacher = teacher
        self.processes = processes
        self.batch = batch
        self.name = source.name
        self.generated = source.generated
        self.streaming = source.streaming

    def examples(self) -> Iterable[tuple[tuple, Example]]:
        if self.streaming:
            return self._streamed(self.source.examples())
        with self.processes.main_first():
            return self._taught(list(self.source.examples()))

    def _streamed(self, items: Iterable[tuple[tuple, Example]]) -> Iterator[tuple[tuple, Example]]:
        waiting: list[tuple[tuple, Example]] = []
        for item in items:
            waiting.append(item)
            if len(waiting) >= self.batch:
                yield from self._taught(waiting)
                waiting = []
        yield from self._taught(waiting)

    def _taught(self, items: list[tuple[tuple, Example]]) -> list[tuple[tuple, Example]]:
        examples = self.teacher.attach([example for _, example in items])
        return [(key, e) for (key, _), e in zip(items, examples, strict=True) if not e.teacher_writes]


def _answer(example: Example) -> list[int]:
    """The answer tokens of an example (the tokens it is trained on)."""
    return [token for token in example.labels if token != IGNORE_INDEX]


def _shared_start(sequences: list[tuple[int, ...]], most: int) -> int:
    """How many leading tokens every sequence has in common (at most `most`, so that every rest keeps one
    prompt token: the position that predicts its first answer token)."""
    first = sequences[0]
    length = max(0, most)
    for sequence in sequences[1:]:
        same = 0
        for a, b in zip(first[:length], sequence[:length], strict=False):
            if a != b:
                break
            same += 1
        length = same
    return length


def _rows(members: list[int], sequences, start: int, row_tokens: int, shared: bool) -> Iterator[list[int]]:
    """Members in rows of up to row_tokens tokens after the shared start (one member a row without packing)."""
    row: list[int] = []
    used = 0
    for i in members:
        rest = len(sequences[i]) - start
        if row and (not shared or used + rest > row_tokens):
            yield row
            row, used = [], 0
        row.append(i)
        used += rest
    if row:
        yield row


def _packable(model: torch.nn.Module) -> bool:
    """Whether the model runs on the SDPA path that packed attention replaces (else every sequence is read
    alone, from its first token)."""
    implementations = {getattr(getattr(m, "config", None), "_attn_implementation", None) for m in model.modules()}
    return bool(implementations & {"sdpa", PACKED_NAME})


def _encode(targets: TeacherTargets) -> bytes:
    n, k = targets.ids.shape
    header = np.array([n, k], dtype=np.int32).tobytes()
    return (
        header + targets.ids.numpy().astype(np.int32).tobytes() + targets.logprobs.numpy().astype(np.float16).tobytes()
    )


def _decode(blob: bytes) -> TeacherTargets:
    n, k = np.frombuffer(blob[:8], dtype=np.int32)
    ids = np.frombuffer(blob[8 : 8 + 4 * n * k], dtype=np.int32).reshape(n, k)
    logprobs = np.frombuffer(blob[8 + 4 * n * k :], dtype=np.float16).reshape(n, k)
    return TeacherTargets(torch.from_numpy(ids.copy()), torch.from_numpy(logprobs.copy()))
