import copy
import subprocess
import sys

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM, MistralConfig, MistralForCausalLM

from conftest import lifted_entry
from lift.adapters import attach_adapter, learning_rate, load_adapter
from lift.adapters.gated_memory import CONFIG_FILE, GatedMemoryAttention
from lift.config import AdapterConfig, LoraConfig, TrainConfig
from lift.data import qa_example
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.infer import answer_question
from lift.train import train_adapter

IDS = torch.tensor([[5, 17, 42, 99, 3, 250, 7, 31]])


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, use_cache=False).logits


def _perturb(adapter, std=0.2):
    with torch.no_grad():
        for p in adapter.trainable():
            p.add_(torch.randn_like(p) * std)


# Gated Memory


def test_gated_memory_wraps_every_attention_and_trains_only_gate_and_memory(tiny):
    adapter = attach_adapter(
        tiny.model, AdapterConfig(type="gated_memory", memory_hidden=8, gate_hidden=4), LoraConfig()
    )
    layers = tiny.model.model.layers
    assert all(isinstance(layer.self_attn, GatedMemoryAttention) for layer in layers)
    trainable, total = adapter.parameter_counts()
    heads, dim = tiny.model.config.num_attention_heads, 16
    per_layer = heads * (dim * 8 + 8 + 8 * dim + dim) + heads * (dim * 4 + 4 + 4 + 1)
    assert trainable == len(layers) * per_layer
    names = [n for n, p in tiny.model.named_parameters() if p.requires_grad]
    assert names and all(n.split(".")[-1].startswith(("memory_", "gate_")) for n in names)


def test_gated_memory_with_the_gate_forced_to_zero_gives_the_base_logits_exactly(tiny):
    base = _logits(tiny.model)
    adapter = attach_adapter(tiny.model, AdapterConfig(type="gated_memory"), LoraConfig())
    _perturb(adapter)
    assert not torch.equal(_logits(tiny.model), base)  # the adapter does change the output
    with adapter.disabled():  # what base modes use
        assert torch.equal(_logits(tiny.model), base)
    with torch.no_grad():
        for module in adapter.modules:
            module.gate_out_bias.fill_(float("-inf"))  # sigmoid(-inf) = 0: the gate is exactly closed
    assert torch.equal(_logits(tiny.model), base)
    adapter.unload()
    assert torch.equal(_logits(tiny.model), base)


def test_gated_memory_gradients_reach_only_gate_and_memory(tiny):
    adapter = attach_adapter(tiny.model, AdapterConfig(type="gated_memory", gate_init_bias=0.0), LoraConfig())
    loss = tiny.model(input_ids=IDS, labels=IDS, use_cache=False).loss
    loss.backward()
    for name, p in tiny.model.named_parameters():
        if p.requires_grad:
            assert p.grad is not None and p.grad.abs().sum() > 0, name
        else:
            assert p.grad is None, name
    assert all(p.requires_grad for p in adapter.trainable())


def test_gated_memory_save_load_round_trip_reproduces_logits(tiny, tiny_model_dir, tmp_path):
    adapter = attach_adapter(tiny.model, AdapterConfig(type="gated_memory", gate_init_bias=0.0), LoraConfig())
    _perturb(adapter)
    expected = _logits(tiny.model)
    adapter.save(tmp_path / "adapter")
    assert {p.name for p in (tmp_path / "adapter").iterdir()} == {CONFIG_FILE, "gated_memory.safetensors"}
    fresh = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    loaded = load_adapter(fresh, tmp_path / "adapter")
    assert loaded.kind == "gated_memory"
    torch.testing.assert_close(_logits(loaded.model), expected, atol=0, rtol=0)


def _small(model_class, config_class, layers):
    sizes = {"hidden_size": 32, "intermediate_size": 64, "num_attention_heads": 2, "num_key_value_heads": 1}
    return model_class(config_class(vocab_size=64, num_hidden_layers=layers, **sizes))


def test_gated_memory_refuses_other_architectures_and_mismatched_shapes(tiny, tmp_path):
    mistral = _small(MistralForCausalLM, MistralConfig, layers=1)
    with pytest.raises(LiftError, match="Llama-family.*'mistral'"):
        attach_adapter(mistral, AdapterConfig(type="gated_memory"), LoraConfig())
    adapter = attach_adapter(tiny.model, AdapterConfig(type="gated_memory"), LoraConfig())
    adapter.save(tmp_path / "gm")
    adapter.unload()
    other = _small(LlamaForCausalLM, LlamaConfig, layers=3)
    with pytest.raises(LiftError, match="was made for"):
        load_adapter(other, tmp_path / "gm")


# PiSSA


def test_pissa_starts_equal_to_the_original_weights_and_unload_restores_them_exactly(tiny):
    originals = {n: p.detach().clone() for n, p in tiny.model.named_parameters()}
    base = _logits(tiny.model)
    adapter = attach_adapter(tiny.model, AdapterConfig(type="pissa"), LoraConfig(rank=4, alpha=8))
    torch.testing.assert_close(_logits(adapter.model), base, atol=1e-4, rtol=1e-4)
    # the residual is not the original: the principal part moved into the adapter
    layer = adapter.model.base_model.model.model.layers[0].self_attn.q_proj
    original = originals["model.layers.0.self_attn.q_proj.weight"]
    assert (layer.base_layer.weight - original).abs().max() > 1e-2
    effective = (
        layer.base_layer.weight
        + layer.scaling["default"] * layer.lora_B["default"].weight @ layer.lora_A["default"].weight
    )
    torch.testing.assert_close(effective, original, atol=1e-5, rtol=1e-5)
    restored = adapter.unload()
    for name, p in restored.named_parameters():
        assert torch.equal(p, originals[name]), name


def test_pissa_trained_adapter_saves_as_lora_on_the_original_base(tiny, tiny_model_dir, tmp_path):
    adapter = attach_adapter(tiny.model, AdapterConfig(type="pissa"), LoraConfig(rank=4, alpha=8))
    examples = [qa_example(tiny.tokenizer, "What is the code?", "zebra seven", None, 64)] * 4
    train_adapter(adapter, TrainingData.of(examples), TrainConfig(epochs=3, batch_tokens=64, precision="fp32"), lr=1e-3)
    expected = _logits(adapter.model)
    adapter.save(tmp_path / "adapter")
    adapter.unload()
    fresh = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    loaded = load_adapter(fresh, tmp_path / "adapter")
    assert loaded.model.peft_config["default"].r == 8  # rank 2r: the delta to the original weights
    torch.testing.assert_close(_logits(loaded.model), expected, atol=1e-4, rtol=1e-4)


# every adapter type learns a made-up fact


@pytest.mark.parametrize("kind,lr,epochs", [("lora", 1e-2, 30), ("pissa", 3e-3, 30), ("gated_memory", 1e-2, 40)])
def test_every_adapter_learns_a_made_up_fact(tiny, kind, lr, epochs):
    tok = tiny.tokenizer
    question, answer = "What is the secret code of the blue castle?", "zebra seven"
    kwargs = {"window": tiny.window, "max_new_tokens": 8, "system": None}
    assert answer not in answer_question(tiny.model, tok, question, "no_context", **kwargs).text
    adapter = attach_adapter(tiny.model, AdapterConfig(type=kind, gate_init_bias=0.0), LoraConfig(rank=8, alpha=16))
    examples = [qa_example(tok, question, answer, None, 256)] * 4
    train_adapter(
        adapter, TrainingData.of(examples), TrainConfig(epochs=epochs, batch_tokens=64, precision="fp32"), lr=lr
    )
    assert answer_question(adapter, tok, question, "lift_only", **kwargs).text == answer
    base = copy.deepcopy(adapter.unload())
    assert answer not in answer_question(base, tok, question, "no_context", **kwargs).text


def test_adapter_slots_keep_the_most_recently_used_adapters_and_switch_without_reloading(tiny, lift_home):
    from lift.adapters.slots import AdapterSlots

    keys = ("aaaa1111", "bbbb2222", "cccc3333")
    entries = {key: lifted_entry(tiny, lift_home, doc_id=key, seed=n) for n, key in enumerate(keys)}
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        base_logits = tiny.model(ids).logits
    slots = AdapterSlots(tiny.model, capacity=2)
    with slots.adapters_off() as net, torch.no_grad():  # before any adapter: the base itself
        assert torch.equal(net(ids).logits, base_logits)
    logits = {}
    for key, entry in entries.items():
        with torch.no_grad():
            logits[key] = slots.activate(key, entry.adapter_dir)(ids).logits
    assert slots.loaded() == ["bbbb2222", "cccc3333"]  # the least recently used was unloaded
    with torch.no_grad():
        again = slots.activate("bbbb2222", entries["bbbb2222"].adapter_dir)(ids).logits
    assert torch.allclose(again, logits["bbbb2222"]) and not torch.allclose(again, logits["cccc3333"])
    assert slots.loaded() == ["cccc3333", "bbbb2222"]
    with slots.adapters_off() as net, torch.no_grad():
        assert torch.allclose(net(ids).logits, base_logits, atol=1e-6)
    slots.forget("cccc3333")
    assert slots.loaded() == ["bbbb2222"] and slots.base_model is tiny.model


def test_default_lr_grows_with_the_square_root_of_large_steps_only():
    assert learning_rate(TrainConfig(), "lora") == 3e-3  # auto: 384 tokens per step
    assert learning_rate(TrainConfig(batch_tokens=128), "lora") == 3e-3  # small steps keep the default
    assert learning_rate(TrainConfig(batch_tokens=1536), "lora") == pytest.approx(6e-3)
    assert learning_rate(TrainConfig(batch_tokens=384, rows_per_step=4), "gated_memory") == pytest.approx(2e-2)
    assert learning_rate(TrainConfig(), "lora", processes=4) == pytest.approx(6e-3)  # one row per process
    assert learning_rate(TrainConfig(batch_tokens=1536, lr=5e-4), "lora") == 5e-4  # a set lr is kept


def test_each_package_imports_first_in_a_fresh_interpreter():
    """A circular import fails only in some import orders: each package first, each in its own interpreter (all
    at once: most of the time is starting Python and torch)."""
    modules = ["lift.train", "lift.adapters", "lift.recipe", "lift.cli"]
    running = {
        module: subprocess.Popen([sys.executable, "-c", f"import {module}"], stderr=subprocess.PIPE, text=True)
        for module in modules
    }
    failed = {}
    for module, process in running.items():
        _, stderr = process.communicate(timeout=120)
        if process.returncode != 0:
            failed[module] = stderr[-2000:]
    assert not failed, failed
