"""The training loop: packed batches, loss on answer tokens only, AdamW, linear decay, a checkpoint per
epoch. Readable top to bottom; no callbacks. In the pipeline the first QA epoch reads a stream of examples
that are still being generated; stage-1 epochs (document segments only) need no generation at all."""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import torch
import torch.nn.functional as F

from lift.adapters.base import Adapter
from lift.config import TrainConfig, step_tokens
from lift.data import IGNORE_INDEX, Example, PackedBatch, pack_examples, pack_stream
from lift.data.packing import TeacherBatch
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.progress import NullProgress, ProgressLike
from lift.train.attention import ROW_KWARG, packed_attention, packed_row, read_once, resolve_kernel
from lift.train.checkpoints import latest_checkpoint, load_checkpoint, save_checkpoint
from lift.train.compiled import compiled_layers
from lift.train.distributed import barrier, is_main, sum_gradients, sum_over_processes, world
from lift.train.precision import autocast, no_redundant_casts, resolve_precision


@dataclass
class TrainResult:
    loss_per_epoch: list[float] = field(default_factory=list)
    steps: int = 0  # all epochs, those before a resume included (they come with the checkpoint)
    tokens: int = 0  # tokens through the model (all of them, prompts included), all epochs as steps
    seconds: float = 0.0  # training time, all epochs as steps
    precision: str = "fp32"
    resumed_from_epoch: int = 0
    examples: int = 0  # examples per epoch
    last_lr: float = 0.0  # the learning rate of the last step (the schedule decays towards 0)
    batch_tokens: int = 0  # tokens per step of the last epoch (train.batch_tokens, or what auto chose)
    epochs: int = 0  # epochs on fixed + QA examples: config.epochs, or more under config.min_steps
    stopped_early: bool = False  # train.stop_at_recall ended training before the last epoch

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.seconds if self.seconds else 0.0


SYNC_EVERY = 32  # steps between reads of the loss on an accelerator (each read waits for the device)


def masked_lm_loss(
    model: torch.nn.Module,
    batch: PackedBatch,
    device: torch.device,
    kernel: str | None = None,
    readings: list | None = None,
) -> torch.Tensor:
    """Next-token cross-entropy over answer tokens: sum of weight x token loss over the number of answer
    tokens (the plain mean when every weight is 1; L_input + gamma L_AT, LIFT blog §3.2, with QA weighted gamma).
    Logits are computed only where a loss is taken (logits_to_keep), which skips the vocabulary projection
    for every prompt token. `kernel`: the packed-attention kernel (under packed_attention); the row's layout is
    then worked out here, on the host, once for every layer. `readings`: the frozen readings (read_once) a
    row's examples may continue (batch.reading)."""
    labels = batch.labels[0]
    targets_at = torch.nonzero(labels[1:] != IGNORE_INDEX).squeeze(-1)  # position t predicts token t+1
    reading = None
    if batch.reading >= 0:
        if not kernel or readings is None:
            raise LiftError("examples on a frozen reading need the packed attention (train.packed_attention)")
        reading = readings[batch.reading]
    extra = {ROW_KWARG: packed_row(batch.position_ids, kernel, device, reading)} if kernel else {}
    outputs = model(
        input_ids=_to(batch.input_ids, device),
        position_ids=_to(batch.position_ids, device),
        logits_to_keep=_to(targets_at, device),
        use_cache=False,
        **extra,
    )
    logits = outputs.logits[0].float()
    targets = _to(labels[targets_at + 1], device)
    if batch.weights is None and batch.teacher is None:
        return F.cross_entropy(logits, targets)
    losses = F.cross_entropy(logits, targets, reduction="none")
    if batch.teacher is not None:
        losses = _with_distillation(losses, logits, batch.teacher, device)
    if batch.weights is None:
        return losses.mean()
    return (losses * _to(batch.weights[0, targets_at + 1], device)).sum() / len(targets)


def _with_distillation(cross_entropy: torch.Tensor, logits: torch.Tensor, teacher: TeacherBatch, device):
    """Per answer token: (1 - w) x cross-entropy on the reference + w x KL(teacher || student) over the
    teacher's top-k tokens (the teacher's probabilities as they are, not renormalised, as in Cartridges), w the
    token's teacher weight. KL and not cross-entropy to the teacher: the same gradient, and a loss of 0 when
    the student matches."""
    teacher_logprobs = _to(teacher.logprobs, device).float()
    student = logits.log_softmax(dim=-1).gather(1, _to(teacher.ids, device).long())
    kl = (teacher_logprobs.exp() * (teacher_logprobs - student)).sum(dim=-1)
    weight = _to(teacher.weight, device)
    return (1 - weight) * cross_entropy + weight * kl


def _to(tensor: torch.Tensor, device: torch.device) -> torch.Tensor:
    """A host tensor on the device; to CUDA through pinned memory, without waiting for the copy."""
    if device.type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


class NoExamplesError(ValueError):
    """Raised when there is nothing to train on (no example with answer tokens)."""


def train_adapter(
    adapter: Adapter,
    data: TrainingData,
    config: TrainConfig,
    checkpoint_dir: Path | None = None,
    progress: ProgressLike | None = None,
    *,
    stage1_epochs: int = 0,
    lr: float | None = None,
    lean_casts: bool = True,
    until: Callable[[], bool] | None = None,
) -> TrainResult:
    """Fit the adapter for stage1_epochs on data.fixed alone (LIFT 2024 paper's stage 1: document segments,
    known before any generation), then config.epochs (more under config.min_steps) on the fixed and the
    generated examples. Generated examples come keyed (order key, example); while data.streaming (the
    pipeline) the first epoch after stage 1 trains on them as they arrive (shuffled within
    config.pipeline_window); later epochs use all of them, in order-key order, shuffled per epoch. The learning
    rate (`lr`, else config.lr) decays linearly with the examples seen, over all epochs, with data.expected
    standing in for the generated count until the streamed epoch has shown it.
    Speed (none of it changes what is computed beyond rounding): bf16 autocast where the hardware has it,
    per-example attention in packed rows (config.packed_attention), no redundant casts of frozen weights
    under bf16 (lean_casts; benchmarks switch it off to measure it), optionally compiled decoder layers.
    `until` (train.stop_at_recall): asked after each epoch but the last, with the model in eval mode; training
    ends there when it says so."""
    progress = progress or NullProgress()
    fixed = list(data.fixed)
    stream = data.generated if data.streaming else None
    base_lr = lr if lr is not None else config.lr
    if base_lr is None:
        raise ValueError("no learning rate: pass lr or set config.lr")
    model = adapter.model
    device = next(model.parameters()).device
    precision = resolve_precision(config.precision, device)
    result = TrainResult(precision=precision)

    torch.manual_seed(config.seed)
    random.seed(config.seed)
    trainable = adapter.trainable()
    # the fused kernel updates every adapter tensor in one call instead of one call per tensor
    fused = device.type in ("cpu", "cuda") and all(p.is_floating_point() for p in trainable)
    optimizer = torch.optim.AdamW(
        trainable,
        lr=base_lr,
        betas=(config.beta1, config.beta2),
        eps=config.eps,
        weight_decay=config.weight_decay,
        fused=fused or None,
    )

    start_epoch, examples_done, earlier_seconds = 0, 0, 0.0
    if checkpoint_dir is not None and (found := latest_checkpoint(checkpoint_dir)) is not None:
        start_epoch, path = found
        state = load_checkpoint(path, adapter)
        optimizer.load_state_dict(state["optimizer"])
        result.loss_per_epoch = list(state["loss_per_epoch"])
        examples_done = int(state["examples_done"])
        result.resumed_from_epoch = start_epoch
        # checkpoints written before these counts were kept resume with this run's counts only
        result.steps, result.tokens = int(state.get("steps", 0)), int(state.get("tokens", 0))
        earlier_seconds = float(state.get("seconds", 0.0))

    collected: list[tuple[tuple, Example]] = []

    def collect(items: Iterable[tuple[tuple, Example]]) -> Iterator[Example]:
        for key, example in items:
            collected.append((key, example))
            yield example

    stage1 = stage1_epochs if fixed else 0
    epochs = config.epochs  # raised by config.min_steps once the examples are known
    if stream is not None and start_epoch > stage1:  # resumed after the streamed epoch: all pairs are cached
        for _ in collect(stream):
            pass
        stream = None
    rank, processes = world()
    rows_per_step = config.rows_per_step or processes
    if rows_per_step % processes:
        raise LiftError(f"train.rows_per_step ({rows_per_step}) must be a multiple of the {processes} processes")
    if stream is None:
        qa = [example for _, example in data.generated] if not data.streaming else _in_order(collected)
        qa_count = len(qa)
        _checked(fixed + qa)
        epochs = epochs_for_min_steps(config, fixed + qa, rows_per_step)
    else:
        qa, qa_count = [], max(1, data.expected)

    kernel = resolve_kernel(config.packed_kernel, device) if config.packed_attention and not config.compile else None
    readings = _read(adapter, data.readings, precision, device, kernel)
    if processes > 1 and stream is not None:
        raise ValueError("training in several processes needs every example up front (train.pipeline false)")
    sync_every = 1 if device.type == "cpu" else SYNC_EVERY  # a CPU loss is read for free

    model.train()
    started = time.perf_counter()
    with contextlib.ExitStack() as speedups:
        speedups.enter_context(no_redundant_casts(model, lean_casts and precision == "bf16"))
        speedups.enter_context(packed_attention(model, config.packed_attention and not config.compile))
        speedups.enter_context(compiled_layers(model, config.compile))
        epoch = start_epoch
        while epoch < stage1 + epochs:
            in_stage1 = epoch < stage1
            streaming = stream is not None and epoch == stage1
            epoch_examples = fixed if in_stage1 else fixed + qa
            batch_tokens = step_tokens(config.batch_tokens)
            if streaming:
                items = itertools.chain(fixed, collect(stream))
                batches: Iterable[PackedBatch] = pack_stream(items, batch_tokens, config.pipeline_window, config.seed)
            else:
                batches = pack_examples(epoch_examples, batch_tokens, seed=config.seed + epoch)
            result.batch_tokens = batch_tokens
            size = len(fixed) if in_stage1 else len(fixed) + qa_count
            # in the streamed epoch min_steps may still raise the count, known once the stream has ended
            more = " or more" if streaming and config.min_steps > 0 else ""
            name = f"train epoch {epoch + 1}/{stage1 + epochs}{more}" + (" (segments)" if in_stage1 else "")
            task = progress.task(name, total=size, unit="examples")
            loss_sum, loss_count, done_in_epoch = torch.zeros((), device=device), 0, 0
            for step_rows in _in_steps(batches, rows_per_step):
                step_examples = sum(row.num_examples for row in step_rows)
                # in the streaming epoch the QA count is an estimate, raised when more examples arrive
                if streaming:
                    qa_count = max(qa_count, done_in_epoch + step_examples - len(fixed))
                total = stage1 * len(fixed) + epochs * (len(fixed) + qa_count)
                step_lr = base_lr * max(0.0, 1.0 - examples_done / total)
                result.last_lr = step_lr
                for group in optimizer.param_groups:
                    group["lr"] = step_lr
                for batch in step_rows[rank::processes]:  # this process's rows of the step
                    with autocast(precision, device):
                        loss = masked_lm_loss(model, batch, device, kernel, readings) / len(step_rows)
                    loss.backward()
                    loss_sum += loss.detach()  # stays on the device: read every sync_every steps
                sum_gradients(trainable)  # over the processes: the mean over the step's rows
                if config.max_grad_norm > 0:
                    torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
                optimizer.step()
                optimizer.zero_grad(set_to_none=True)
                loss_count += 1
                if loss_count % sync_every == 0:
                    _check_finite(sum_over_processes(loss_sum), epoch, loss_count)
                step_tokens_seen = sum(row.num_tokens for row in step_rows)
                examples_done += step_examples
                done_in_epoch += step_examples
                result.steps += 1
                result.tokens += step_tokens_seen
                task.advance(step_examples, tokens=step_tokens_seen)
            epoch_loss = _check_finite(sum_over_processes(loss_sum), epoch, loss_count) / max(1, loss_count)
            task.done(loss=epoch_loss)
            if streaming:  # the real count is known now: the schedule follows it
                qa = _in_order(collected)
                qa_count = len(qa)
                _checked(fixed + qa)
                epochs = epochs_for_min_steps(config, fixed + qa, rows_per_step)
            result.loss_per_epoch.append(epoch_loss)
            if checkpoint_dir is not None and is_main():  # the processes' adapters are identical: one writes
                state = {
                    "optimizer": optimizer.state_dict(),
                    "loss_per_epoch": result.loss_per_epoch,
                    "examples_done": examples_done,
                    "steps": result.steps,
                    "tokens": result.tokens,
                    "seconds": earlier_seconds + time.perf_counter() - started,
                }
                save_checkpoint(checkpoint_dir, epoch + 1, adapter, state)
            barrier()
            epoch += 1
            if until is not None and stage1 <= epoch < stage1 + epochs and _asked(until, model, precision, device):
                result.stopped_early = True
                break
    result.seconds = earlier_seconds + time.perf_counter() - started
    result.examples = len(fixed) + qa_count
    result.epochs = epoch - stage1 if result.stopped_early else epochs
    model.eval()
    return result


def _read(adapter: Adapter, readings: list[list[int]], precision: str, device: torch.device, kernel: str | None):
    """The frozen readings' keys and values, each read once by the base model (adapter off, no gradient)."""
    if not readings:
        return []
    if kernel is None:
        raise LiftError("examples on a frozen reading need the packed attention (train.packed_attention)")
    model = adapter.model
    was_training = model.training
    model.eval()
    try:
        with adapter.disabled(), autocast(precision, device):
            return [read_once(model, ids, device) for ids in readings]
    finally:
        model.train(was_training)


def _asked(until: Callable[[], bool], model: torch.nn.Module, precision: str, device: torch.device) -> bool:
    """The stopping rule's answer; it generates, so the model is in eval mode and under the training precision
    (frozen weights may be held in bf16)."""
    model.eval()
    try:
        with torch.no_grad(), autocast(precision, device):
            return until()
    finally:
        model.train()


def epochs_for_min_steps(config: TrainConfig, examples: list[Example], rows_per_step: int = 1) -> int:
    """config.epochs, raised so that the epochs on these examples give about config.min_steps optimizer
    steps: a passage of a few sentences packs into a handful of steps per epoch, too few for the adapter to
    move far enough to store it. The steps per epoch are counted on one packing of the examples; the epochs'
    own shuffles (and the pipeline's streamed first epoch) pack a few rows more or fewer."""
    if config.min_steps <= 0 or not examples:
        return config.epochs
    rows = len(pack_examples(examples, step_tokens(config.batch_tokens), seed=config.seed))
    return max(config.epochs, math.ceil(config.min_steps / math.ceil(rows / rows_per_step)))


def _in_steps(rows: Iterable[PackedBatch], size: int) -> Iterator[list[PackedBatch]]:
    """The packed rows in groups of `size` (the last one may be shorter): one group per optimizer step."""
    step: list[PackedBatch] = []
    for row in rows:
        step.append(row)
        if len(step) == size:
            yield step
            step = []
    if step:
        yield step


def _check_finite(loss_sum: torch.Tensor, epoch: int, steps: int) -> float:
    """The epoch's loss sum so far, read from the device; an error when a step's loss was not finite."""
    value = loss_sum.item()
    if not math.isfinite(value):
        raise FloatingPointError(f"loss became {value} in epoch {epoch + 1} (by step {steps}); lower train.lr")
    return value


def _in_order(collected: list[tuple[tuple, Example]]) -> list[Example]:
    """The streamed examples in order-key order, however they arrived."""
    return [example for _, example in sorted(collected, key=lambda item: item[0])]


def _checked(examples: list[Example]) -> None:
    if not any(e.loss_tokens for e in examples):
        raise NoExamplesError("no training examples with answer tokens")
