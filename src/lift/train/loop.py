"""The training loop: packed batches, loss on answer tokens only, AdamW, linear decay, a checkpoint per
epoch. Readable top to bottom; no callbacks."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from pathlib import Path

import peft
import torch
import torch.nn.functional as F

from lift.config import TrainConfig
from lift.data import IGNORE_INDEX, Example, PackedBatch, pack_examples
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


def train_adapter(
    model: peft.PeftModel,
    examples: list[Example],
    config: TrainConfig,
    checkpoint_dir: Path | None = None,
    progress: ProgressLike | None = None,
) -> TrainResult:
    progress = progress or NullProgress()
    device = next(model.parameters()).device
    precision = resolve_precision(config.precision, device)
    result = TrainResult(precision=precision)
    if not any(e.loss_tokens for e in examples):
        raise ValueError("no training examples with answer tokens")

    # Every epoch's batches are known up front, so the schedule length is exact.
    epoch_batches = [pack_examples(examples, config.batch_tokens, seed=config.seed + e) for e in range(config.epochs)]
    total_steps = sum(len(b) for b in epoch_batches)

    torch.manual_seed(config.seed)
    random.seed(config.seed)
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(
        trainable, lr=config.lr, betas=(config.beta1, config.beta2), eps=config.eps, weight_decay=config.weight_decay
    )
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: max(0.0, 1.0 - step / total_steps))

    start_epoch = 0
    if checkpoint_dir is not None and (found := latest_checkpoint(checkpoint_dir)) is not None:
        start_epoch, path = found
        state = load_checkpoint(path, model)
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        result.loss_per_epoch = list(state["loss_per_epoch"])
        result.resumed_from_epoch = start_epoch

    model.train()
    started = time.perf_counter()
    for epoch in range(start_epoch, config.epochs):
        batches = epoch_batches[epoch]
        task = progress.task(f"train epoch {epoch + 1}/{config.epochs}", total=len(batches), unit="steps")
        loss_sum, loss_count = 0.0, 0
        for batch in batches:
            with autocast(precision, device):
                loss = masked_lm_loss(model, batch, device)
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"loss became {loss.item()} at epoch {epoch + 1}; lower train.lr")
            loss.backward()
            if config.max_grad_norm > 0:
                torch.nn.utils.clip_grad_norm_(trainable, config.max_grad_norm)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            loss_sum += loss.item()
            loss_count += 1
            result.steps += 1
            result.tokens += batch.num_tokens
            task.advance(1, tokens=batch.num_tokens)
        task.done()
        result.loss_per_epoch.append(loss_sum / max(1, loss_count))
        if checkpoint_dir is not None:
            state = {
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "loss_per_epoch": result.loss_per_epoch,
            }
            save_checkpoint(checkpoint_dir, epoch + 1, model, state)
    result.seconds = time.perf_counter() - started
    model.eval()
    return result
