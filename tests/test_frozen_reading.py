"""Training on a frozen reading (issue Q): a document cut read once by the base model (adapter off, no gradient)
and examples that continue it with the adapter on. Their loss is the one transformers computes for the cut read
into a cache with the adapter off and each example read after it with the adapter on."""

import pytest
import torch
import torch.nn.functional as F
from transformers import DynamicCache

from lift.adapters import attach_lora
from lift.config import LoraConfig, TrainConfig
from lift.data import pack_examples
from lift.data.examples import IGNORE_INDEX, Example
from lift.data.packing import pack_stream
from lift.data.sources import TrainingData
from lift.train import train_adapter
from lift.train.attention import packed_attention, read_once
from lift.train.loop import masked_lm_loss


def _adapter(tiny):
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    torch.manual_seed(0)
    for name, parameter in adapter.model.named_parameters():
        if "lora_B" in name:  # a trained-looking adapter: with B = 0 the adapter would change nothing
            torch.nn.init.normal_(parameter, std=0.2)
    return adapter


def _examples(tok, reading_length: int) -> list[Example]:
    out = []
    for question, answer in (("Who keeps the key?", "the miller"), ("Where is the mill?", "by the river bank")):
        prompt = tok(f" Question: {question} Answer:")["input_ids"]
        target = tok(f" {answer}.")["input_ids"]
        out.append(Example(prompt + target, [IGNORE_INDEX] * len(prompt) + target, reading=0, offset=reading_length))
    return out


def _reference_loss(adapter, reading_ids, examples) -> torch.Tensor:
    """transformers' own path: the cut read into a cache with the adapter off, each example after it."""
    model = adapter.model
    losses, count = [], 0
    for example in examples:
        cache = DynamicCache()
        with torch.no_grad(), adapter.disabled():
            model(input_ids=torch.tensor([reading_ids]), use_cache=True, past_key_values=cache)
        ids = torch.tensor([example.input_ids])
        positions = torch.arange(len(reading_ids), len(reading_ids) + ids.shape[1])[None]
        logits = model(input_ids=ids, position_ids=positions, past_key_values=cache, use_cache=True).logits[0]
        labels = torch.tensor(example.labels)
        at = torch.nonzero(labels[1:] != IGNORE_INDEX).squeeze(-1)
        losses.append(F.cross_entropy(logits[at].float(), labels[at + 1], reduction="sum"))
        count += len(at)
    return torch.stack(losses).sum() / count


def test_a_row_on_a_frozen_reading_has_the_loss_of_the_cut_cached_with_the_adapter_off(tiny):
    tok = tiny.tokenizer
    adapter = _adapter(tiny)
    reading_ids = tok("The mill by the river bank grinds barley. The miller keeps the key under a stone.")["input_ids"]
    examples = _examples(tok, len(reading_ids))
    (row,) = pack_examples(examples, batch_tokens=512)
    assert row.reading == 0 and row.position_ids[0, 0].item() == len(reading_ids)
    expected = _reference_loss(adapter, reading_ids, examples)
    with torch.no_grad(), adapter.disabled():
        reading = read_once(adapter.model, reading_ids, torch.device("cpu"))
    with packed_attention(adapter.model):
        got = masked_lm_loss(adapter.model, row, torch.device("cpu"), "loop", [reading])
    assert got.item() == pytest.approx(expected.item(), rel=1e-4)
    with torch.no_grad():  # the adapter reading the cut itself gives another loss
        on = read_once(adapter.model, reading_ids, torch.device("cpu"))
        with packed_attention(adapter.model):
            other = masked_lm_loss(adapter.model, row, torch.device("cpu"), "loop", [on])
    assert abs(other.item() - got.item()) > 1e-3


def test_rows_of_a_reading_hold_its_examples_only_and_training_reads_it_once(tiny, monkeypatch):
    tok = tiny.tokenizer
    reading_ids = tok("The mill by the river bank grinds barley.")["input_ids"]
    on_reading = _examples(tok, len(reading_ids))
    plain = [Example(e.input_ids, e.labels) for e in on_reading]
    rows = pack_examples(plain + on_reading, batch_tokens=512, seed=3)
    assert sorted(r.reading for r in rows) == [-1, 0] and all(r.num_examples == 2 for r in rows)
    assert [r.reading for r in pack_examples(plain, 512, seed=3)] == [-1]  # rows without readings as before
    streamed = list(pack_stream(iter(plain + on_reading), 512, window=2, seed=0))
    assert sorted(r.reading for r in streamed) == [-1, 0]
    with pytest.raises(ValueError, match="mixes examples of different frozen readings"):
        from lift.data.packing import _to_batch

        _to_batch([plain[0], on_reading[0]])

    import lift.train.loop as loop

    reads = []
    real = loop.read_once
    monkeypatch.setattr(loop, "read_once", lambda model, ids, device: reads.append(ids) or real(model, ids, device))
    adapter = _adapter(tiny)
    before = {n: p.detach().clone() for n, p in adapter.model.named_parameters() if p.requires_grad}
    data = TrainingData(generated=[((n,), e) for n, e in enumerate(on_reading)], readings=[reading_ids])
    result = train_adapter(adapter, data, TrainConfig(epochs=2, lr=1e-2, batch_tokens=512, precision="fp32"))
    assert reads == [reading_ids] and result.steps == 2  # read once for both epochs
    assert any(not torch.equal(p, before[n]) for n, p in adapter.model.named_parameters() if p.requires_grad)
    with pytest.raises(Exception, match="packed attention"):
        train_adapter(_adapter(tiny), data, TrainConfig(epochs=1, batch_tokens=512, packed_attention=False, lr=1e-2))


def test_lift_icl_on_a_frozen_reading_reads_the_document_with_the_adapter_off(tiny):
    from lift.infer import answer_question
    from lift.infer.modes import build_prompt_ids, reading_length

    tok = tiny.tokenizer
    adapter = _adapter(tiny)
    document = "The mill by the river bank grinds barley. The miller keeps the key under a stone. " * 3
    question = "Where is the key?"
    prompt = build_prompt_ids(tok, question, "lift_icl", document, tiny.window, 6, "")
    reading = reading_length(tok, prompt)
    assert 0 < reading < len(prompt) and tok.decode(prompt[reading:]).startswith("\n\nAnswer the question")
    # the reference: the reading cached with the adapter off, then greedy decoding with the adapter on
    cache = DynamicCache()
    with torch.no_grad():
        with adapter.disabled():
            adapter.model(input_ids=torch.tensor([prompt[:reading]]), use_cache=True, past_key_values=cache)
        ids, written = prompt[reading:], []
        for _ in range(6):
            logits = adapter.model(input_ids=torch.tensor([ids]), past_key_values=cache, use_cache=True).logits
            token = int(logits[0, -1].argmax())
            if token == tok.eos_token_id:
                break
            written.append(token)
            ids = [token]
    kwargs = {"document": document, "window": tiny.window, "max_new_tokens": 6, "system": ""}
    frozen = answer_question(adapter, tok, question, "lift_icl", frozen=True, **kwargs)
    assert frozen.text == tok.decode(written, skip_special_tokens=True).strip()
