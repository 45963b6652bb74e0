"""Shared fixtures: a tiny random-init Llama with a tiny BPE tokenizer, built in code in well under a second,
saved as a local model directory so every loading path is the real one."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

from lift.adapters import attach_adapter
from lift.config import AdapterConfig, LiftConfig, LoraConfig
from lift.models import LoadedModel, load_model
from lift.store import AdapterRecord, Entry, Manifest, Store

CHATML = (
    "{% for message in messages %}"
    "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"
    "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
CORPUS = [
    "The secret code of the blue castle is zebra seven.",
    "What is the secret code of the blue castle?",
    "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.",
    "You are a helpful assistant. Answer the question based on the text above. Question: Complete the sentence",
    "What does the text say about Paris? The capital of France is Paris. Hello world, this is a tiny tokenizer.",
    "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ 0123456789 .,;:!?'\"()-",
]


def build_tiny_tokenizer() -> PreTrainedTokenizerFast:
    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400,
        special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
    )
    tokenizer.train_from_iterator(CORPUS * 4, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token="<|im_end|>", pad_token="<|endoftext|>", bos_token="<|im_start|>"
    )
    fast.chat_template = CHATML
    return fast


def build_tiny_llama(vocab_size: int, seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=512,
        tie_word_embeddings=True,
        initializer_range=0.2,  # std 0.02 makes logits too flat for a LoRA to ever fit a fact
    )
    return LlamaForCausalLM(config)


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tiny-llama")
    tokenizer = build_tiny_tokenizer()
    model = build_tiny_llama(len(tokenizer))
    model.save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


@pytest.fixture()
def tiny(tiny_model_dir: Path) -> LoadedModel:
    """A fresh copy per test: training modifies the model in place."""
    return load_model(str(tiny_model_dir), device="cpu")


@pytest.fixture(scope="session")
def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The converted embedded model is big, so tests share one copy per session (or LIFT_TEST_MODELS)."""
    if os.environ.get("LIFT_TEST_MODELS"):
        path = Path(os.environ["LIFT_TEST_MODELS"])
        path.mkdir(parents=True, exist_ok=True)
        return path
    return tmp_path_factory.mktemp("lift-models")


@pytest.fixture(scope="session", autouse=True)
def one_thread_per_subprocess():
    """The processes tests start (the CLI, `lift serve`'s lift jobs, torchrun workers) run tiny models, whose ops
    are mostly thread barriers: with a second thread and the machine's other core busy, each op waits on it (a
    resumed lift took over 300 s instead of 30 on 2 cores beside another torch process). The test process itself
    keeps its threads (torch read them at import)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OMP_NUM_THREADS", "1")
        yield


@pytest.fixture(autouse=True)
def lift_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_models_dir: Path) -> Path:
    """Every test gets its own LIFT_HOME (with the shared models directory linked in)."""
    home = tmp_path / "lift-home"
    home.mkdir()
    (home / "models").symlink_to(shared_models_dir, target_is_directory=True)
    monkeypatch.setenv("LIFT_HOME", str(home))
    return home


def lifted_entry(
    loaded: LoadedModel,
    home: Path,
    kind: str = "lora",
    doc_id: str = "0123456789abcdef",
    seed: int = 1,
    config: LiftConfig | None = None,
) -> Entry:
    """A store entry as lift_document writes it, with a random (non-trivial) adapter instead of a trained one
    (`config`: the settings its manifest records; the defaults when None)."""
    adapter = attach_adapter(loaded.model, AdapterConfig(type=kind, gate_init_bias=0.0), LoraConfig(rank=4, alpha=8))
    torch.manual_seed(seed)
    with torch.no_grad():
        for param in adapter.trainable():
            param.add_(torch.randn_like(param) * 0.2)
    manifest = Manifest(doc_id, loaded.name, AdapterRecord(kind), title="t", config=(config or LiftConfig()).to_dict())

    def fill(staging):
        adapter.save(staging / "adapter")
        manifest.write(staging / "manifest.json")

    try:
        return Store(home).write(doc_id, fill)
    finally:
        adapter.unload()


def fact_question(fact: str) -> str:
    """The template generator's question for a copula fact's complement ('The secret code of the blue castle is
    zebra seven.' -> 'What is the secret code of the blue castle?'), answered with the complement first."""
    from lift.synth.phrases import parse, wh_question

    clause = parse(fact)
    question = wh_question(clause, next(p for p in clause.phrases if p.role == "object"))
    assert question is not None
    return question
