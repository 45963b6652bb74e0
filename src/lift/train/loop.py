"""The training loop: packed batches, loss on answer tokens only, AdamW, linear decay, a checkpoint per
epoch. Readable top to bottom; no callbacks. In the pipeline the first epoch reads a stream of examples that
are still being generated."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import peft
import torch
import torch.nn.functional as F

from lift.config import TrainConfig
from lift.data import IGNORE_INDEX, Example, PackedBatch, pack_examples, pack_stream
from lift.progress import NullProgress, ProgressLike
from lift.train.checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint
from lift.train.precision import autocast, resolve_precision


@dataclass
class TrainResult:
    loss_per_epoch: list[float] = field(default_factory=list)
    steps: int = 0
    tokens: int = 0  # tokens through the model (all of them, prompts included), this run only
    seconds: float = 0.0  # this run only (a resumed run does not count the earlier epochs)
    precision: str = "fp32"
    resumed_from_epoch: int = 0
    examples: int = 0  # examples per epoch
    last_lr: float = 0.0  # the learning rate of the last step (the schedule decays towards 0)

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


def masked_lm_loss(model: torch.nn.Module, batch: PackedBatch, device: torch.device) -> torch.Tensor:
    """Mean next-token cross-entropy over answer tokens. Logits are computed only where a loss is taken
    (logits_to_keep), which skips the vocabulary projection for every prompt token."""
    labels = batch.labels[0]
    targets_at = torch.nonzero(labels[1:] != IGNORE_INDEX).squeeze(-1)  # position t predicts token t+1
    outputs = model(
        input_ids=batch.input_ids.to(device),
        position_ids=batch.position_ids.to(device),
        logits_to_keep=targets_at.to(device),
        use_cache=False,
    )
    logits = outputs.logits[0].float()
    return F.cross_entropy(logits, labels[targets_at + 1].to(device))


class NoExamplesError(ValueError):
    """Raised when there is nothing to train on (no example with answer tokens)."""


def train_adapter(
    model: peft.PeftModel,
    examples: list[Example] | None,
    config: TrainConfig,
    checkpoint_dir: Path | None = None,
    progress: ProgressLike | None = None,
    *,
    stream: Iterable[tuple[tuple, Example]] | None = None,
    expected_examples: int = 0,
) -> TrainResult:
    """Fit the adapter on `examples` for config.epochs epochs, or, in the pipeline, on `stream`: (order key,
    example) pairs arriving while they are generated. The first epoch then trains on them as they come
    (shuffled within config.pipeline_window); later epochs use all of them, in order-key order, shuffled per
    epoch like the sequential path. The learning rate decays linearly with the examples seen, over
    epochs x expected_examples until the first epoch has shown the real count."""
    progress = progress or NullProgress()
    device = next(model.parameters()).device
    precision = resolve_precision(config.precision, device)
    result = TrainResult(precision=precision)

    torch.manual_seed(config.seed)
    random.seed(config.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps, weight_decay=config.weight_decay
    )

    start_epoch, examples_done = 0, 0
    if checkpoint_dir is not None and (found := latest_checkpoint(checkpoint_dir)) is not None:
        start_epoch, path = found
        state = load_checkpoint(path, model)
        optimizer.load_state_dict(state["optimizer"])
        result.loss_per_epoch = list(state["loss_per_epoch"])
        examples_done = int(state["examples_done"])
        result.resumed_from_epoch = start_epoch

    collected: list[tuple[tuple, Example]] = []

    def collect(items: Iterable[tuple[tuple, Example]]) -> Iterator[Example]:
        for key, example in items:
            collected.append((key, example))
            yield example

    if stream is not None and start_epoch > 0:  # resumed after the first epoch: every pair comes from the cache
        for _ in collect(stream):
            pass
        stream = None
    if stream is None:
        examples = _checked(examples if examples is not None else _in_order(collected))
        per_epoch = len(examples)
    else:
        per_epoch = max(1, expected_examples)

    model.train()
    started = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        streaming = stream is not None and epoch == 0
        if streaming:
            batches: Iterable[PackedBatch] = pack_stream(
                collect(stream), config.batch_tokens, config.pipeline_window, config.seed
            )
        else:
            batches = pack_examples(examples, config.batch_tokens, seed=config.seed + epoch)
        task = progress.task(f"train epoch {epoch + 1}/{config.epochs}", total=per_epoch, unit="examples")
        loss_sum, loss_count = 0.0, 0
        for batch in batches:
            # in the streaming epoch examples_done counts this epoch only, and the estimate may be low
            epoch_size = max(per_epoch, examples_done + batch.num_examples) if streaming else per_epoch
            lr = config.lr * max(0.0, 1.0 - examples_done / (config.epochs * epoch_size))
            result.last_lr = lr
            for group in optimizer.param_groups:
                group["lr"] = lr
            with autocast(precision, device):
                loss = masked_lm_loss(model, batch, device)
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}; lower train.lr")
            loss.backward()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.item()
            loss_count += 1
            examples_done += batch.num_examples
            result.steps += 1
            result.tokens += batch.num_tokens
            task.advance(batch.num_examples, tokens=batch.num_tokens)
        task.done()
        if streaming:  # the real count is known now (examples_done == it): the schedule follows it
            examples = _checked(_in_order(collected))
            per_epoch = len(examples)
        result.loss_per_epoch.append(loss_sum / max(1, loss_count))
        if checkpoint_dir is not None:
            state = {
                "optimizer": optimizer.state_dict(),
                "loss_per_epoch": result.loss_per_epoch,
                "examples_done": examples_done,
            }
            save_checkpoint(checkpoint_dir, epoch + 1, model, state)
    result.seconds = time.perf_counter() - started
    result.examples = per_epoch
    model.eval()
    return result


def _in_order(collected: list[tuple[tuple, Example]]) -> list[Example]:
    """The streamed examples in order-key order, however they arrived."""
    return [example for _, example in sorted(collected, key=lambda item: item[0])]


def _checked(examples: list[Example]) -> list[Example]:
    if not any(e.loss_tokens for e in examples):
        raise NoExamplesError("no training examples with answer tokens")
    return examples
