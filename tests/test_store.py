import json

import peft
import pytest
import torch

from lift.adapters import attach_lora
from lift.config import LoraConfig
from lift.errors import LiftError
from lift.store import MANIFEST_VERSION, AdapterRecord, Manifest, Store


def test_write_resolve_remove(tmp_path):
    store = Store(tmp_path)
    doc = tmp_path / "doc.txt"
    doc.write_text("Some text that is a document.")
    from lift.text import read_document

    doc_id = read_document(doc).doc_id

    def fill(staging):
        (staging / "manifest.json").write_text(json.dumps({"doc_id": doc_id, "title": "t"}))
        (staging / "document.txt").write_text("Some text that is a document.")

    entry = store.write(doc_id, fill)
    assert store.resolve(doc_id).path == entry.path
    assert store.resolve(doc_id[:6]).doc_id == doc_id
    assert store.resolve(str(doc)).doc_id == doc_id
    assert [e.doc_id for e in store.entries()] == [doc_id]
    with pytest.raises(LiftError, match="already lifted"):
        store.write(doc_id, fill)
    store.remove(doc_id)
    assert store.entries() == []
    with pytest.raises(LiftError, match="unknown document id"):
        store.resolve(doc_id)


def test_failed_write_leaves_nothing(tmp_path):
    store = Store(tmp_path)

    def fill(staging):
        (staging / "manifest.json").write_text("{}")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        store.write("abcdef0123456789", fill)
    assert store.entries() == []
    assert list(store.root.iterdir()) == []


def test_failed_overwrite_keeps_the_old_entry(tmp_path):
    store = Store(tmp_path)
    manifest = Manifest("abcdef0123456789", "m", AdapterRecord("lora"), title="old")
    store.write("abcdef0123456789", lambda s: manifest.write(s / "manifest.json"))

    def broken(staging):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.write("abcdef0123456789", broken, overwrite=True)
    assert store.get("abcdef0123456789").manifest == manifest


@pytest.mark.parametrize("bad", ["../etc", "not-an-id", "ABC", "zz"])
def test_resolve_rejects_non_ids(tmp_path, bad):
    with pytest.raises(LiftError):
        Store(tmp_path).resolve(bad)


def test_saved_adapter_loads_with_plain_peft_and_gives_the_same_logits(tiny, tiny_model_dir, tmp_path):
    from transformers import AutoModelForCausalLM

    model = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    with torch.no_grad():
        for name, param in model.model.named_parameters():
            if "lora_B" in name:
                param.normal_(0, 0.1)  # a non-trivial adapter
    ids = torch.tensor([[5, 17, 42, 99, 3]])
    with torch.no_grad():
        expected = model.model(input_ids=ids).logits
    model.save(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()

    base = AutoModelForCausalLM.from_pretrained(tiny_model_dir)
    loaded = peft.PeftModel.from_pretrained(base, tmp_path / "adapter")
    with torch.no_grad():
        torch.testing.assert_close(loaded(input_ids=ids).logits, expected, atol=1e-5, rtol=1e-4)


# The first manifests (before manifest_version 1 carried prompts and pipeline): no objective, segments,
# strict grounding rate or total time, and a prompt_version key this version no longer writes.
FIRST_MANIFEST = {
    "manifest_version": 1,
    "doc_id": "abcdef0123456789",
    "document_sha256": "abcdef0123456789" * 4,
    "title": "old essay",
    "source": "essay.txt",
    "characters": 120,
    "tokens": 30,
    "sentences": 3,
    "base_model": "SmolLM2-135M-Instruct",
    "adapter": {"type": "lora", "trainable_parameters": 10, "total_parameters": 100},
    "config": {"train": {"epochs": 4}},
    "prompt_version": "sentence-qa-v1",
    "generator": "template-v1",
    "synthesis": {"sentences": 3, "sentences_skipped_short": 0, "generations": 3, "cache_hits": 0,
                  "qa_pairs_parsed": 9, "qa_pairs_kept": 8, "rejected": {"duplicate": 1}, "grounding_rate": 1.0},
    "training": {"examples": 10, "qa_examples": 8, "replay_examples": 2, "epochs": 4, "steps": 8,
                 "loss_per_epoch": [2.0, 1.0, 0.5, 0.25], "tokens": 900, "tokens_per_second": 300.0,
                 "precision": "bf16", "device": "cpu", "resumed_from_epoch": 0},
    "timings_s": {"read_and_split": 0.5, "generate": 1.0, "train": 3.0},
    "versions": {"python": "3.11.2"},
    "created": "2026-01-01T00:00:00+00:00",
}  # fmt: skip


def test_the_first_manifests_still_load_and_print_back_everything_they_hold(tmp_path):
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(FIRST_MANIFEST))
    manifest = Manifest.read(path)
    assert manifest.base_model == "SmolLM2-135M-Instruct" and manifest.adapter.trainable_parameters == 10
    assert manifest.synthesis.qa_pairs_kept == 8 and manifest.synthesis.strict_grounding_rate is None
    assert manifest.training.objective == "qa" and manifest.training.loss_per_epoch == [2.0, 1.0, 0.5, 0.25]
    assert manifest.lift_seconds == 4.5  # no measured total: the stages ran one after the other
    assert manifest.lift_config().train.epochs == 4
    assert manifest.to_dict()["prompt_version"] == "sentence-qa-v1"  # an unknown key is kept for `lift show`


def test_a_manifest_round_trips_and_a_newer_or_broken_one_fails_with_one_clear_line(tmp_path):
    path = tmp_path / "manifest.json"
    manifest = Manifest("abcdef0123456789", "m", AdapterRecord("pissa", 1, 2), title="t", timings_s={"total": 2.0})
    manifest.write(path)
    assert Manifest.read(path) == manifest
    assert json.loads(path.read_text())["manifest_version"] == MANIFEST_VERSION
    path.write_text(json.dumps({**manifest.to_dict(), "manifest_version": MANIFEST_VERSION + 1}))
    with pytest.raises(LiftError, match="newer than this lift reads"):
        Manifest.read(path)
    path.write_text(json.dumps({"doc_id": "abcdef0123456789", "title": "t"}))
    with pytest.raises(LiftError, match="lacks base_model, adapter"):
        Manifest.read(path)
    path.write_text("{not json")
    with pytest.raises(LiftError, match="not valid JSON"):
        Manifest.read(path)
