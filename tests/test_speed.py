"""Correctness guards for the training speed-ups: each must compute what the plain path computes."""

import copy
import itertools

import pytest
import torch

from lift.adapters import attach_lora
from lift.config import LiftConfig, LoraConfig, TrainConfig
from lift.data import pack_examples, qa_example
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.train import train_adapter
from lift.train.attention import NAME, SHORT_CPU, example_bounds, packed_attention, resolve_kernel
from lift.train.compiled import compiled_layers, decoder_layers
from lift.train.loop import masked_lm_loss
from lift.train.precision import autocast, no_redundant_casts

CPU = torch.device("cpu")


def _examples(tok, lengths=(0, 3, 9, 1)):
    """QA examples of different lengths (the answer repeats a phrase n times)."""
    return [
        qa_example(tok, f"Question number {i}?", "zebra seven " * (1 + n), "You are a helpful assistant.", 512)
        for i, n in enumerate(lengths)
    ]


def _loss_and_grads(adapter, batch, precision="fp32", kernel=None):
    adapter.model.zero_grad(set_to_none=True)
    with autocast(precision, CPU):
        loss = masked_lm_loss(adapter.model, batch, CPU, kernel)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in adapter.model.named_parameters() if p.requires_grad}
    return loss.detach(), grads


def test_example_bounds_split_a_packed_row_where_positions_restart():
    positions = torch.tensor([0, 1, 2, 0, 1, 0, 0, 1, 2, 3])
    assert example_bounds(positions) == [0, 3, 5, 6, 10]
    assert example_bounds(torch.arange(7)) == [0, 7]


@pytest.mark.parametrize(
    "long_example, kernel", [(False, None), (True, None), (False, "loop"), (True, "block_mask"), (False, "block_mask")]
)
def test_packed_attention_gives_the_masked_paths_logits_and_gradients(tiny, long_example, kernel):
    """Per-example attention (loop: plain math for short examples, the causal kernel for long ones; block_mask:
    one call with the row's block-diagonal mask; None: the layout read from the position ids in every layer)
    against transformers' block-diagonal mask over the whole row."""
    lengths = (0, 3, 9, 1) + ((75,) if long_example else ())
    (batch,) = pack_examples(_examples(tiny.tokenizer, lengths), batch_tokens=10_000)
    longest = max(b - a for a, b in itertools.pairwise(example_bounds(batch.position_ids[0])))
    assert (longest > SHORT_CPU) == long_example
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    torch.nn.init.normal_(next(p for n, p in adapter.model.named_parameters() if "lora_B" in n), std=0.1)
    masked_loss, masked_grads = _loss_and_grads(adapter, batch)
    with packed_attention(adapter.model):
        assert adapter.model.config._attn_implementation == NAME
        packed_loss, packed_grads = _loss_and_grads(adapter, batch, kernel=kernel)
    assert adapter.model.config._attn_implementation == "sdpa"  # put back for generation
    torch.testing.assert_close(packed_loss, masked_loss, atol=1e-6, rtol=1e-5)
    for name, grad in masked_grads.items():
        torch.testing.assert_close(packed_grads[name], grad, atol=1e-6, rtol=1e-4)


def test_packed_kernel_choice_per_device():
    assert resolve_kernel("auto", CPU) == "loop"
    assert resolve_kernel("block_mask", CPU) == "block_mask"
    with pytest.raises(LiftError, match="varlen needs CUDA"):
        resolve_kernel("varlen", CPU)
    with pytest.raises(LiftError, match="train.packed_kernel must be one of"):
        LiftConfig().with_overrides({"train.packed_kernel": "triangle"})


def test_packed_and_unpacked_batches_give_the_same_loss(tiny):
    """One packed row vs each example in a row of its own: the packed loss is the token-weighted mean of the
    per-example losses, with and without per-example attention."""
    examples = _examples(tiny.tokenizer)
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    (packed,) = pack_examples(examples, batch_tokens=10_000)
    alone = pack_examples(examples, batch_tokens=1)  # too small for two: one example per row
    assert len(alone) == len(examples)
    with torch.no_grad():
        per_example = [(masked_lm_loss(adapter.model, b, CPU), examples[i].loss_tokens) for i, b in enumerate(alone)]
        expected = sum(loss * n for loss, n in per_example) / sum(n for _, n in per_example)
        torch.testing.assert_close(masked_lm_loss(adapter.model, packed, CPU), expected, atol=1e-6, rtol=1e-5)
        with packed_attention(adapter.model):
            torch.testing.assert_close(masked_lm_loss(adapter.model, packed, CPU), expected, atol=1e-6, rtol=1e-5)


def test_bf16_loss_stays_within_tolerance_of_fp32(tiny):
    """Same batch, same weights: the bf16 autocast loss is within 2% of fp32's, and 20 epochs of training in
    each precision stay within 10% (or 0.05 nats) of each other epoch by epoch (the embedded model's curves
    are plotted in benchmarks/results/perf)."""
    examples = _examples(tiny.tokenizer)
    (batch,) = pack_examples(examples, batch_tokens=10_000)
    with torch.no_grad():
        fp32 = masked_lm_loss(tiny.model, batch, CPU)
        with autocast("bf16", CPU):
            bf16 = masked_lm_loss(tiny.model, batch, CPU)
    assert abs(bf16.item() - fp32.item()) <= 0.02 * fp32.item()
    curves = {}
    for precision in ("fp32", "bf16"):
        torch.manual_seed(0)
        adapter = attach_lora(copy.deepcopy(tiny.model), LoraConfig(rank=4, alpha=8))
        config = TrainConfig(epochs=20, lr=1e-2, batch_tokens=64, precision=precision)
        curves[precision] = train_adapter(adapter, TrainingData.of(examples), config).loss_per_epoch
    assert curves["fp32"][-1] < 0.3 * curves["fp32"][0]
    for a, b in zip(curves["fp32"], curves["bf16"], strict=True):
        assert abs(a - b) <= 0.1 * a + 0.05  # 10%, or 0.05 nats once the loss is near 0


def test_lean_casts_change_nothing_and_restore_the_fp32_weights(tiny):
    """Frozen weights held in bf16 (and peft's input casts off) give bit-identical bf16 losses and gradients;
    afterwards every weight is its original fp32 tensor."""
    (batch,) = pack_examples(_examples(tiny.tokenizer), batch_tokens=10_000)
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    torch.nn.init.normal_(next(p for n, p in adapter.model.named_parameters() if "lora_B" in n), std=0.1)
    before = {n: p.detach().clone() for n, p in adapter.model.named_parameters()}
    plain_loss, plain_grads = _loss_and_grads(adapter, batch, "bf16")
    with no_redundant_casts(adapter.model):
        assert any(p.dtype == torch.bfloat16 for p in adapter.model.parameters())
        lean_loss, lean_grads = _loss_and_grads(adapter, batch, "bf16")
    assert torch.equal(lean_loss, plain_loss)
    for name, grad in plain_grads.items():
        assert torch.equal(lean_grads[name], grad), name
    for name, param in adapter.model.named_parameters():
        assert param.dtype == torch.float32 and torch.equal(param, before[name]), name
    assert all(m.cast_input_dtype_enabled for m in adapter.model.modules() if hasattr(m, "cast_input_dtype_enabled"))


def test_compiled_layers_match_eager_and_go_back_to_eager(tiny):
    """torch.compile'd decoder layers: same loss and gradients as eager (fp32, up to fused-kernel rounding),
    on two row lengths (dynamic shapes), and the layers are plain eager modules again afterwards."""
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    torch.nn.init.normal_(next(p for n, p in adapter.model.named_parameters() if "lora_B" in n), std=0.1)
    layouts = [(0, 3), (9, 1, 2)]
    rows = [pack_examples(_examples(tiny.tokenizer, lengths), batch_tokens=10_000)[0] for lengths in layouts]
    eager = [_loss_and_grads(adapter, row) for row in rows]
    with compiled_layers(adapter.model):
        assert all(layer._compiled_call_impl is not None for layer in decoder_layers(adapter.model))
        compiled = [_loss_and_grads(adapter, row) for row in rows]
    assert len(decoder_layers(adapter.model)) == 2
    assert all(layer._compiled_call_impl is None for layer in decoder_layers(adapter.model))
    for (e_loss, e_grads), (c_loss, c_grads) in zip(eager, compiled, strict=True):
        torch.testing.assert_close(c_loss, e_loss, atol=1e-5, rtol=1e-5)
        for name, grad in e_grads.items():
            torch.testing.assert_close(c_grads[name], grad, atol=1e-5, rtol=1e-4)


def test_training_with_every_speedup_on_or_off_ends_at_the_same_loss(tiny):
    """The loop with packed attention, lean casts and compile each switched: same per-epoch losses (fp32)."""
    examples = _examples(tiny.tokenizer) * 3
    results = {}
    for name, overrides, lean in [
        ("plain", {"packed_attention": False}, False),
        ("packed", {"packed_attention": True}, True),
        ("compiled", {"compile": True}, True),
    ]:
        torch.manual_seed(0)  # the same LoRA init for every run
        adapter = attach_lora(copy.deepcopy(tiny.model), LoraConfig(rank=4, alpha=8))
        config = TrainConfig(epochs=3, lr=1e-2, batch_tokens=64, precision="fp32", **overrides)
        results[name] = train_adapter(adapter, TrainingData.of(examples), config, lean_casts=lean).loss_per_epoch
    for name in ("packed", "compiled"):
        assert results[name] == pytest.approx(results["plain"], rel=1e-4), name


def test_fused_adamw_takes_the_same_steps_as_the_plain_one(tiny):
    """train_adapter uses torch's fused AdamW on CPU/CUDA: the same parameter updates as the per-tensor one."""
    batch = pack_examples(_examples(tiny.tokenizer), 512)[0]
    params = {}
    for fused in (False, True):
        torch.manual_seed(0)
        adapter = attach_lora(copy.deepcopy(tiny.model), LoraConfig(rank=4, alpha=8))
        optimizer = torch.optim.AdamW(adapter.trainable(), lr=1e-2, betas=(0.9, 0.95), fused=fused or None)
        for _ in range(3):
            _loss_and_grads(adapter, batch)
            optimizer.step()
        params[fused] = [p.detach().clone() for p in adapter.trainable()]
    for plain, fused in zip(params[False], params[True], strict=True):
        torch.testing.assert_close(fused, plain, rtol=1e-5, atol=1e-6)
