"""Pack examples into rows with no padding: each optimizer step gets one row of up to `batch_tokens`
tokens, examples laid end to end with position ids restarting at 0 for each.

transformers (>= 4.54) reads restarting position ids with no attention mask as packed sequences and builds
a block-diagonal causal mask, so an example never attends to its neighbours (tests check the logits). The
loss side of the separation: an example's first token is never a target (its predictor would be the previous
example's last token), which _to_batch enforces for every task type.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import torch

from lift.data.examples import IGNORE_INDEX, Example


@dataclass
class TeacherBatch:
    """The teacher's targets at a row's answer tokens, in row order (one line per loss token): its top-k token
    ids and log-probabilities, and the share of each token's loss that matches them (0 where an example has no
    teacher)."""

    ids: torch.Tensor  # (loss tokens, k) int32
    logprobs: torch.Tensor  # (loss tokens, k) float16
    weight: torch.Tensor  # (loss tokens,) float32


@dataclass
class PackedBatch:
    input_ids: torch.Tensor  # (1, T)
    labels: torch.Tensor  # (1, T), IGNORE_INDEX outside answers
    position_ids: torch.Tensor  # (1, T), restarting at every example
    num_examples: int
    weights: torch.Tensor | None = None  # (1, T) loss weight per token; None: all 1
    teacher: TeacherBatch | None = None  # context distillation targets of the row's answer tokens; None: none
    reading: int = -1  # the frozen reading every example of the row continues (positions start at its end)

    @property
    def num_tokens(self) -> int:
        return int(self.input_ids.shape[1])


def pack_examples(examples: list[Example], batch_tokens: int, seed: int | None = None) -> list[PackedBatch]:
    """Greedy packing in order (shuffled first when a seed is given). An example longer than batch_tokens
    gets a row of its own. Examples that continue a frozen reading share rows only with examples of the same
    reading; their rows are spread among the others in a seeded order."""
    plain = [e for e in examples if e.reading < 0]
    if len(plain) == len(examples):
        return _packed(examples, batch_tokens, seed)
    rows = _packed(plain, batch_tokens, seed)
    for reading in sorted({e.reading for e in examples if e.reading >= 0}):
        rows += _packed([e for e in examples if e.reading == reading], batch_tokens, seed)
    if seed is not None:
        random.Random(seed + 1).shuffle(rows)
    return rows


def _packed(examples: list[Example], batch_tokens: int, seed: int | None) -> list[PackedBatch]:
    order = list(range(len(examples)))
    if seed is not None:
        random.Random(seed).shuffle(order)
    rows: list[list[Example]] = []
    current: list[Example] = []
    current_tokens = 0
    for index in order:
        example = examples[index]
        if current and current_tokens + len(example) > batch_tokens:
            rows.append(current)
            current, current_tokens = [], 0
        current.append(example)
        current_tokens += len(example)
    if current:
        rows.append(current)
    return [_to_batch(row) for row in rows]


def pack_stream(examples: Iterable[Example], batch_tokens: int, window: int, seed: int) -> Iterator[PackedBatch]:
    """Pack examples as they arrive (the pipeline's first epoch): each is held in a shuffle buffer of up to
    `window` examples and a random one leaves when the buffer is full, so a step mixes pairs from a stretch of
    the document without waiting for the whole of it. Rows fill greedily as in pack_examples."""
    rng = random.Random(seed)
    buffer: list[Example] = []
    row: list[Example] = []
    row_tokens = 0

    def take() -> Example:
        i = rng.randrange(len(buffer))
        buffer[i], buffer[-1] = buffer[-1], buffer[i]
        return buffer.pop()

    def leaving() -> Iterator[Example]:
        for example in examples:
            buffer.append(example)
            if len(buffer) >= window:
                yield take()
        while buffer:
            yield take()

    reading_rows: dict[int, tuple[list[Example], int]] = {}  # frozen readings fill rows of their own
    for example in leaving():
        if example.reading >= 0:
            held, held_tokens = reading_rows.get(example.reading, ([], 0))
            if held and held_tokens + len(example) > batch_tokens:
                yield _to_batch(held)
                held, held_tokens = [], 0
            reading_rows[example.reading] = (held + [example], held_tokens + len(example))
            continue
        if row and row_tokens + len(example) > batch_tokens:
            yield _to_batch(row)
            row, row_tokens = [], 0
        row.append(example)
        row_tokens += len(example)
    if row:
        yield _to_batch(row)
    for held, _ in reading_rows.values():
        if held:
            yield _to_batch(held)


def _to_batch(row: list[Example]) -> PackedBatch:
    for example in row:
        if example.labels and example.labels[0] != IGNORE_INDEX:
            raise ValueError("an example's first token cannot be a training target in a packed row")
    if len({e.reading for e in row}) > 1:
        raise ValueError("a packed row mixes examples of different frozen readings")
    input_ids = [t for e in row for t in e.input_ids]
    labels = [t for e in row for t in e.labels]
    positions = [p for e in row for p in range(e.offset, e.offset + len(e))]
    return PackedBatch(
        input_ids=torch.tensor([input_ids], dtype=torch.long),
        labels=torch.tensor([labels], dtype=torch.long),
        position_ids=torch.tensor([positions], dtype=torch.long),
        num_examples=len(row),
        weights=None
        if all(e.weight == 1.0 for e in row)
        else torch.tensor([[e.weight for e in row for _ in e.input_ids]], dtype=torch.float32),
        teacher=_teacher_batch(row),
        reading=row[0].reading,
    )


def _teacher_batch(row: list[Example]) -> TeacherBatch | None:
    taught = [e for e in row if e.teacher is not None and e.teacher_weight > 0]
    if not taught:
        return None
    k = taught[0].teacher.ids.shape[1]
    ids, logprobs, weight = [], [], []
    for example in row:
        n = example.loss_tokens
        if example.teacher is not None and example.teacher_weight > 0:
            if example.teacher.ids.shape != (n, k):
                raise ValueError(f"teacher targets of shape {tuple(example.teacher.ids.shape)} for {n} answer tokens")
            ids.append(example.teacher.ids)
            logprobs.append(example.teacher.logprobs)
        else:
            ids.append(torch.zeros((n, k), dtype=torch.int32))
            logprobs.append(torch.zeros((n, k), dtype=torch.float16))
        weight.append(torch.full((n,), example.teacher_weight if example.teacher is not None else 0.0))
    return TeacherBatch(torch.cat(ids), torch.cat(logprobs), torch.cat(weight).float())
