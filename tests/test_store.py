import json

import peft
import pytest
import torch

from lift.adapters import attach_lora
from lift.config import LoraConfig
from lift.errors import LiftError
from lift.store import Store


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
    store.write("abcdef0123456789", lambda s: (s / "manifest.json").write_text('{"v": 1}'))

    def broken(staging):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        store.write("abcdef0123456789", broken, overwrite=True)
    assert store.get("abcdef0123456789").manifest == {"v": 1}


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
