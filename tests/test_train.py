import copy
import math
from dataclasses import replace

import peft
import pytest
import torch

from lift.adapters import attach_lora
from lift.config import LoraConfig, TrainConfig
from lift.data import pack_examples, qa_example
from lift.data.sources import TrainingData
from lift.infer import answer_question
from lift.progress import NullProgress
from lift.train import train_adapter
from lift.train.loop import epochs_for_min_steps

FACT_Q = "What is the secret code of the blue castle?"
FACT_A = "zebra seven"


def _fact_examples(tok):
    return [qa_example(tok, FACT_Q, FACT_A, "You are a helpful assistant.", 256)] * 4


def test_lora_trains_only_adapter_parameters(tiny):
    model = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    trainable, total = model.parameter_counts()
    assert 0 < trainable < total
    assert all("lora_" in name for name, p in model.model.named_parameters() if p.requires_grad)
    targets = {name.split(".")[-1] for name, m in model.model.named_modules() if isinstance(m, peft.tuners.lora.Linear)}
    assert targets == {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}


def test_training_drives_loss_down_and_makes_a_made_up_fact_recallable(tiny):
    tok = tiny.tokenizer
    kwargs = {"window": tiny.window, "max_new_tokens": 8, "system": "You are a helpful assistant."}
    assert FACT_A not in answer_question(tiny.model, tok, FACT_Q, "no_context", **kwargs).text
    model = attach_lora(tiny.model, LoraConfig(rank=8, alpha=16))
    result = train_adapter(
        model, TrainingData.of(_fact_examples(tok)), TrainConfig(epochs=30, lr=1e-2, batch_tokens=64, precision="fp32")
    )
    assert result.loss_per_epoch[-1] < 0.1 * result.loss_per_epoch[0]
    assert answer_question(model, tok, FACT_Q, "lift_only", **kwargs).text == FACT_A
    # with the adapter switched off the base model does not know it
    assert FACT_A not in answer_question(model, tok, FACT_Q, "no_context", **kwargs).text


def test_bf16_autocast_training_also_learns(tiny):
    model = attach_lora(tiny.model, LoraConfig(rank=8, alpha=16))
    result = train_adapter(
        model,
        TrainingData.of(_fact_examples(tiny.tokenizer)),
        TrainConfig(epochs=20, lr=1e-2, batch_tokens=64, precision="bf16"),
    )
    assert result.precision == "bf16"
    assert result.loss_per_epoch[-1] < 0.2 * result.loss_per_epoch[0]


class _KillAt:
    """A progress reporter that raises at a given training step, like a kill mid-epoch."""

    def __init__(self, step):
        self.step, self.seen = step, 0

    def task(self, description, total, unit="items"):
        outer = self

        class Task:
            def advance(self, n=1, tokens=0):
                outer.seen += n
                if outer.seen == outer.step:
                    raise KeyboardInterrupt

            def done(self, **summary):
                pass

        return Task()


def test_interrupted_training_resumes_from_last_epoch_and_matches_uninterrupted(tiny, tmp_path):
    examples = [qa_example(tiny.tokenizer, f"Question {i}?", f"answer {i}", None, 256) for i in range(6)]
    config = TrainConfig(epochs=3, lr=5e-3, batch_tokens=40, precision="fp32", min_steps=0)
    base_copy = copy.deepcopy(tiny.model)

    def fresh_adapter():  # the same LoRA init each time, whatever ran before (the test alone or after others)
        torch.manual_seed(0)
        return attach_lora(copy.deepcopy(base_copy), LoraConfig(rank=4, alpha=8))

    reference = fresh_adapter()
    full = train_adapter(reference, TrainingData.of(examples), config)

    steps_per_epoch = len(full.loss_per_epoch) and full.steps // 3
    interrupted = fresh_adapter()
    with pytest.raises(KeyboardInterrupt):
        train_adapter(
            interrupted, TrainingData.of(examples), config, tmp_path / "ckpt", progress=_KillAt(steps_per_epoch + 2)
        )
    assert (tmp_path / "ckpt" / "epoch-1").is_dir()

    resumed_model = fresh_adapter()
    resumed = train_adapter(resumed_model, TrainingData.of(examples), config, tmp_path / "ckpt")
    assert resumed.resumed_from_epoch == 1
    assert len(resumed.loss_per_epoch) == 3
    assert resumed.loss_per_epoch == pytest.approx(full.loss_per_epoch, rel=1e-4)
    # the counts cover the whole training, the epochs before the interruption too (a lift's recorded cost)
    assert (resumed.steps, resumed.tokens) == (full.steps, full.tokens)
    assert resumed.seconds > 0 and resumed.tokens_per_second > 0
    for (name, a), (_, b) in zip(
        reference.model.named_parameters(), resumed_model.model.named_parameters(), strict=True
    ):
        if "lora_" in name:
            torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("streamed", [False, True])
def test_the_learning_rate_decays_to_zero_over_all_epochs(tiny, streamed):
    examples = [qa_example(tiny.tokenizer, f"Question {i}?", f"Answer {i}.", None, 64) for i in range(12)]
    config = TrainConfig(epochs=3, lr=1e-3, batch_tokens=24, precision="fp32", min_steps=0)
    model = attach_lora(tiny.model, LoraConfig(rank=2, alpha=4))
    if streamed:  # the pipeline: first epoch from a stream whose size was estimated too high
        stream = (((i,), e) for i, e in enumerate(examples))
        result = train_adapter(model, TrainingData(generated=stream, streaming=True, expected=20), config)
    else:
        result = train_adapter(model, TrainingData.of(examples), config)
    # the last step's rate is lr x (share of the run still ahead), at most one row of examples' worth
    assert 0 < result.last_lr <= 1e-3 * 3 / (3 * 12) + 1e-12, result.last_lr


class _Names:
    """A progress reporter that keeps the task names."""

    def __init__(self):
        self.names = []

    def task(self, description, total, unit="items"):
        self.names.append(description)
        return NullProgress().task(description, total, unit)


@pytest.mark.parametrize("streamed", [False, True])
def test_min_steps_adds_epochs_to_a_short_document_only(tiny, streamed):
    examples = [qa_example(tiny.tokenizer, f"Question {i}?", f"Answer {i}.", None, 64) for i in range(6)]
    config = TrainConfig(epochs=2, lr=1e-3, batch_tokens=64, precision="fp32", min_steps=9)
    per_epoch = len(pack_examples(examples, 64, seed=0))
    assert 1 < per_epoch < 9  # so 2 epochs give fewer than 9 steps
    model = attach_lora(tiny.model, LoraConfig(rank=2, alpha=4))
    if streamed:
        stream = (((i,), e) for i, e in enumerate(examples))
        progress = _Names()
        result = train_adapter(
            model, TrainingData(generated=stream, streaming=True, expected=6), config, progress=progress
        )
    else:
        progress = _Names()
        result = train_adapter(model, TrainingData.of(examples), config, progress=progress)
    epochs = math.ceil(9 / per_epoch)
    # the streamed epoch cannot know the count that min_steps sets: it does not claim the configured 2
    first = "train epoch 1/2 or more" if streamed else f"train epoch 1/{epochs}"
    assert progress.names == [first] + [f"train epoch {e}/{epochs}" for e in range(2, epochs + 1)]
    assert result.epochs == epochs and len(result.loss_per_epoch) == epochs
    assert result.steps == epochs * per_epoch
    most_in_a_row = max(row.num_examples for row in pack_examples(examples, 64, seed=0))
    assert 0 < result.last_lr <= 1e-3 * most_in_a_row / (epochs * 6) + 1e-12  # decays over all the epochs
    assert epochs_for_min_steps(replace(config, min_steps=2), examples) == 2  # enough steps: epochs as set
    assert epochs_for_min_steps(replace(config, min_steps=0), examples) == 2


def test_a_loss_that_is_not_finite_stops_training_with_a_hint(tiny, tmp_path, monkeypatch):
    import lift.train.loop as loop

    steps = []

    def loss_going_bad(model, batch, device, kernel=None, readings=None):
        steps.append(1)
        loss = masked_lm_loss(model, batch, device, kernel, readings)
        return loss * float("nan") if len(steps) == 3 else loss

    masked_lm_loss = loop.masked_lm_loss
    monkeypatch.setattr(loop, "masked_lm_loss", loss_going_bad)
    model = attach_lora(tiny.model, LoraConfig(rank=8, alpha=16))
    config = TrainConfig(epochs=3, lr=1e-2, batch_tokens=32, precision="fp32", min_steps=0)
    with pytest.raises(FloatingPointError, match=r"loss became nan in epoch 1 \(by step 3\); lower train.lr"):
        train_adapter(model, TrainingData.of(_fact_examples(tiny.tokenizer)), config, checkpoint_dir=tmp_path / "ckpt")
    assert not (tmp_path / "ckpt").exists() or not any((tmp_path / "ckpt").iterdir())  # no epoch was saved


def test_auto_step_size_is_384_tokens_and_a_set_value_is_kept():
    from lift.train.loop import step_tokens

    assert step_tokens(0) == 384
    assert step_tokens(512) == 512 and step_tokens(4096) == 4096


def test_training_records_the_step_size_it_used(tiny):
    model = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    result = train_adapter(
        model,
        TrainingData.of(_fact_examples(tiny.tokenizer)),
        TrainConfig(epochs=1, lr=1e-3, precision="fp32", min_steps=0),
    )
    assert result.batch_tokens == 384 and result.steps == 1  # 4 short examples fit one 384-token row


def test_target_steps_size_a_lifts_steps_by_its_document_between_384_and_16k_tokens():
    from lift.config import TrainConfig, lift_step_tokens

    assert lift_step_tokens(TrainConfig(), 16000) == 384  # off by default
    sized = TrainConfig(target_steps=100)
    assert lift_step_tokens(sized, 16000) == 3200  # 16k tokens x 20 training tokens each / 100 steps
    assert lift_step_tokens(sized, 1000) == 384 and lift_step_tokens(sized, 10**6) == 16384
    assert lift_step_tokens(TrainConfig(batch_tokens=512, target_steps=100), 16000) == 512  # a set size is kept


def test_training_stops_after_the_epoch_at_which_until_says_so(tiny):
    model = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    asked = []

    def until():
        asked.append(model.model.training)
        return len(asked) == 2

    config = TrainConfig(epochs=5, lr=1e-2, batch_tokens=64, precision="fp32")
    result = train_adapter(model, TrainingData.of(_fact_examples(tiny.tokenizer)), config, until=until)
    assert asked == [False, False]  # asked in eval mode, after epochs 1 and 2
    assert result.stopped_early and result.epochs == 2 and len(result.loss_per_epoch) == 2
    again = train_adapter(model, TrainingData.of(_fact_examples(tiny.tokenizer)), config, until=lambda: False)
    assert not again.stopped_early and again.epochs == 5 and len(again.loss_per_epoch) == 5
