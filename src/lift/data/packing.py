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
class PackedBatch:
    input_ids: torch.Tensor  # (1, T)
    labels: torch.Tensor  # (1, T), IGNORE_INDEX outside answers
    position_ids: torch.Tensor  # (1, T), restarting at every example
    num_examples: int
    weights: torch.Tensor | None = None  # (1, T) loss weight per token; None: all 1

    @property
    def num_tokens(self) -> int:
        return int(self.input_ids.shape[1])


def pack_examples(examples: list[Example], batch_tokens: int, seed: int | None = None) -> list[PackedBatch]:
    """Greedy packing in order (shuffled first when a seed is given). An example longer than batch_tokens
    gets a row of its own."""
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

    for example in leaving():
        if row and row_tokens + len(example) > batch_tokens:
            yield _to_batch(row)
            row, row_tokens = [], 0
        row.append(example)
        row_tokens += len(example)
    if row:
        yield _to_batch(row)


def _to_batch(row: list[Example]) -> PackedBatch:
    for example in row:
        if example.labels and example.labels[0] != IGNORE_INDEX:
            raise ValueError("an example's first token cannot be a training target in a packed row")
    input_ids = [t for e in row for t in e.input_ids]
    labels = [t for e in row for t in e.labels]
    positions = [p for e in row for p in range(len(e))]
    return PackedBatch(
        input_ids=torch.tensor([input_ids], dtype=torch.long),
        labels=torch.tensor([labels], dtype=torch.long),
        position_ids=torch.tensor([positions], dtype=torch.long),
        num_examples=len(row),
        weights=None
        if all(e.weight == 1.0 for e in row)
        else torch.tensor([[e.weight for e in row for _ in e.input_ids]], dtype=torch.float32),
    )
