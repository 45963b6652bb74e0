import random

import pytest
import torch

from lift.config import TrainConfig
from lift.data import IGNORE_INDEX, Example, pack_examples, qa_example, segment_spans, training_plan
from lift.data.objectives import contextualized_example, segment_example
from lift.train import masked_lm_loss

DOC = " ".join(f"The secret code of the blue castle is zebra seven number {i}." for i in range(12))


CASES = [(0, 16, 6), (10, 16, 6), (16, 16, 6), (17, 16, 6), (2048, 256, 96), (2049, 256, 96), (5000, 2048, 768)]
CASES += [(rng.randint(0, 3000), length, rng.randint(1, length)) for rng in [random.Random(0)] for length in
          [rng.randint(16, 400) for _ in range(300)]]  # fmt: skip


@pytest.mark.parametrize("n,length,stride", CASES)
def test_segments_have_exact_length_and_stride_and_cover_every_token(n, length, stride):
    spans = segment_spans(n, length, stride)
    if n == 0:
        assert spans == []
        return
    if n <= length:
        assert spans == [(0, n)]
        return
    assert spans[0][0] == 0 and spans[-1][1] == n
    assert all(b - a == length for a, b in spans)
    starts = [a for a, _ in spans]
    assert all(b - a == stride for a, b in zip(starts[:-2], starts[1:-1], strict=True))  # exact stride ...
    assert 0 < starts[-1] - starts[-2] <= stride  # ... but the last, which ends at the document's end
    covered = set()
    for a, b in spans:
        covered.update(range(a, b))
    assert covered == set(range(n))


def test_segment_stride_defaults_to_three_eighths_of_a_quarter_window(tiny):
    plan = training_plan(TrainConfig(objective="segments"), tiny.tokenizer, DOC * 3, 256, None)
    assert plan.segment_tokens == 64 and plan.segment_stride == 24
    assert [a for a, _ in plan.spans[:3]] == [0, 24, 48]


def test_plain_segment_trains_on_every_token_but_the_unpredictable_first(tiny):
    ids = tiny.tokenizer(DOC, add_special_tokens=False)["input_ids"][:40]
    example = segment_example(tiny.tokenizer, ids)
    assert example.input_ids == ids  # this tokenizer adds nothing before plain text
    assert example.labels == [IGNORE_INDEX] + ids[1:]


def test_contextualized_example_puts_loss_only_on_the_segment_and_context_never_holds_it(tiny):
    tok = tiny.tokenizer
    ids = tok(DOC, add_special_tokens=False)["input_ids"]
    span = (60, 100)
    for seed in range(20):
        example = contextualized_example(tok, ids, span, 50, "Recite:", None, random.Random(seed))
        trained = [t for t, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE_INDEX]
        assert trained == ids[60:100] + [tok.eos_token_id]
        assert example.labels[-len(trained) :] == trained  # the segment is the tail, all of it trained
        prompt = tok.decode(example.input_ids[: len(example.input_ids) - len(trained)])
        assert "Recite:" in prompt
        context_ids = tok(prompt, add_special_tokens=False)["input_ids"]
        assert len(context_ids) <= 50 + 30  # the cap (plus chat markup and the instruction)


def test_contextualized_context_comes_from_head_and_tail_with_r_drawn_up_to_the_cap(tiny):
    tok = tiny.tokenizer
    ids = list(range(10, 210))  # token ids as text markers
    lengths = set()
    for seed in range(50):
        rng = random.Random(seed)
        r = random.Random(seed).randint(0, 40)
        example = contextualized_example(tok, ids, (100, 120), 40, "Recite:", None, rng)
        lengths.add(r)
        head, tail = tok.decode(ids[:r]), tok.decode(ids[200 - (40 - r) :]) if r < 40 else ""
        prompt = tok.decode(example.input_ids)
        assert head in prompt and tail in prompt
    assert len(lengths) > 10


def test_gamma_weights_qa_tokens_in_the_loss_as_specified(tiny):
    tok = tiny.tokenizer
    ids = tok(DOC, add_special_tokens=False)["input_ids"][:30]
    segment = segment_example(tok, ids)
    qa = qa_example(tok, "What is the code?", "zebra seven", None, 256)
    losses = {}
    for gamma in (1.0, 0.25, 3.0):
        weighted = Example(qa.input_ids, qa.labels, weight=gamma)
        batch = pack_examples([segment, weighted], batch_tokens=10_000)[0]
        with torch.no_grad():
            losses[gamma] = masked_lm_loss(tiny.model, batch, torch.device("cpu")).item()
    # per-example mean token losses, then (sum_seg + gamma * sum_qa) / (n_seg + n_qa)
    with torch.no_grad():
        seg_mean, qa_mean = (
            masked_lm_loss(tiny.model, pack_examples([e], batch_tokens=10_000)[0], torch.device("cpu")).item()
            for e in (segment, qa)
        )
    seg_n, qa_n = segment.loss_tokens, qa.loss_tokens
    for gamma, loss in losses.items():
        expected = (seg_mean * seg_n + gamma * qa_mean * qa_n) / (seg_n + qa_n)
        assert loss == pytest.approx(expected, rel=1e-4)
    assert losses[3.0] > losses[1.0] > losses[0.25] or losses[3.0] < losses[1.0] < losses[0.25]


def test_packed_rows_of_every_task_type_give_each_example_its_own_logits_and_loss(tiny):
    tok = tiny.tokenizer
    ids = tok(DOC, add_special_tokens=False)["input_ids"]
    examples = [
        segment_example(tok, ids[:40]),
        contextualized_example(tok, ids, (40, 70), 20, "Recite:", None, random.Random(0)),
        qa_example(tok, "What is the code?", "zebra seven", "You are a helpful assistant.", 256),
    ]
    packed = pack_examples(examples, batch_tokens=10_000)[0]
    assert packed.num_examples == 3
    with torch.no_grad():
        logits = tiny.model(input_ids=packed.input_ids, position_ids=packed.position_ids, use_cache=False).logits[0]
        offset = 0
        for example in examples:
            alone = tiny.model(input_ids=torch.tensor([example.input_ids]), use_cache=False).logits[0]
            torch.testing.assert_close(logits[offset : offset + len(example)], alone, atol=1e-4, rtol=1e-4)
            offset += len(example)
        total = sum(e.loss_tokens for e in examples)
        mean = sum(
            masked_lm_loss(tiny.model, pack_examples([e], 10_000)[0], torch.device("cpu")).item() * e.loss_tokens
            for e in examples
        )
        assert masked_lm_loss(tiny.model, packed, torch.device("cpu")).item() == pytest.approx(mean / total, rel=1e-4)


def test_an_example_whose_first_token_is_a_target_cannot_be_packed():
    with pytest.raises(ValueError, match="first token"):
        pack_examples([Example([1, 2, 3], [1, 2, 3])], batch_tokens=10)


def test_presets_choose_segments_qa_and_stages(tiny):
    tok = tiny.tokenizer
    plans = {
        name: training_plan(TrainConfig(objective=name, segment_tokens=32, stage1_epochs=2), tok, DOC, 256, None)
        for name in ("qa", "segments", "contextualized", "two_stage", "mix")
    }
    assert plans["qa"].fixed == [] and plans["qa"].uses_qa and plans["qa"].stage1_epochs == 0
    assert plans["segments"].fixed and not plans["segments"].uses_qa
    assert plans["contextualized"].fixed and not plans["contextualized"].uses_qa
    assert plans["two_stage"].uses_qa and plans["two_stage"].stage1_epochs == 2
    assert plans["mix"].uses_qa and plans["mix"].stage1_epochs == 0
    # plain segments vs recitation prompts
    assert plans["mix"].fixed[0].labels[0] == IGNORE_INDEX and plans["mix"].fixed[0].labels[1] != IGNORE_INDEX
    ct = plans["two_stage"].fixed[0]
    first_target = next(i for i, label in enumerate(ct.labels) if label != IGNORE_INDEX)
    assert first_target > 0  # a masked prompt comes before the recited segment


def test_a_segment_longer_than_the_window_is_refused(tiny):
    from lift.errors import LiftError

    with pytest.raises(LiftError, match="longer than the model window"):
        training_plan(TrainConfig(objective="segments", segment_tokens=600), tiny.tokenizer, DOC, 512, None)
