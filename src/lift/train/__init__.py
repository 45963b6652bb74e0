"""Training: the loop that fits the adapter, with per-epoch checkpoints."""

from lift.train.loop import NoExamplesError, TrainResult, masked_lm_loss, train_adapter

__all__ = ["NoExamplesError", "TrainResult", "masked_lm_loss", "train_adapter"]
