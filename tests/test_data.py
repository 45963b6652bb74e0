import torch

from lift.data import IGNORE_INDEX, pack_examples, qa_example
from lift.prompting import chat_prompt_ids
from lift.train import masked_lm_loss


def test_loss_mask_covers_exactly_the_answer_tokens(tiny):
    tok = tiny.tokenizer
    example = qa_example(tok, "What is the secret code?", "zebra seven", "You are a helpful assistant.", 512)
    prompt = chat_prompt_ids(tok, "What is the secret code?", "You are a helpful assistant.")
    assert example.input_ids[: len(prompt)] == prompt
    assert all(label == IGNORE_INDEX for label in example.labels[: len(prompt)])
    answer_part = example.labels[len(prompt) :]
    assert answer_part == example.input_ids[len(prompt) :]
    assert tok.decode(answer_part) == "zebra seven<|im_end|>"
    assert example.loss_tokens == len(answer_part)


def test_long_prompt_is_cut_from_the_left_and_keeps_the_answer(tiny):
    example = qa_example(tiny.tokenizer, "word " * 300, "zebra seven", None, 64)
    assert len(example) == 64
    assert tiny.tokenizer.decode([t for t in example.labels if t != IGNORE_INDEX]) == "zebra seven<|im_end|>"


def _examples(tok, n):
    return [
        qa_example(tok, f"Question number {i} about the castle?", "zebra " * (1 + i % 4), None, 512) for i in range(n)
    ]


def test_packing_respects_budget_and_keeps_every_example(tiny):
    examples = _examples(tiny.tokenizer, 23)
    batches = pack_examples(examples, batch_tokens=120, seed=3)
    assert sum(b.num_examples for b in batches) == 23
    assert sum(b.num_tokens for b in batches) == sum(len(e) for e in examples)  # no padding at all
    for batch in batches:
        assert batch.num_tokens <= 120 or batch.num_examples == 1
        starts = (batch.position_ids[0] == 0).sum().item()
        assert starts == batch.num_examples


def test_packed_examples_do_not_attend_to_each_other(tiny):
    """Logits of each example inside a packed row equal its logits when run alone."""
    model = tiny.model
    examples = _examples(tiny.tokenizer, 4)
    (batch,) = pack_examples(examples, batch_tokens=10_000)
    with torch.no_grad():
        packed = model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False).logits[0]
        offset = 0
        for example in examples:
            alone = model(input_ids=torch.tensor([example.input_ids])).logits[0]
            torch.testing.assert_close(packed[offset : offset + len(example)], alone, atol=1e-5, rtol=1e-4)
            offset += len(example)


def test_masked_loss_equals_full_logits_loss(tiny):
    examples = _examples(tiny.tokenizer, 5)
    (batch,) = pack_examples(examples, batch_tokens=10_000)
    with torch.no_grad():
        fast = masked_lm_loss(tiny.model, batch, torch.device("cpu"))
        logits = tiny.model(input_ids=batch.input_ids, position_ids=batch.position_ids, use_cache=False).logits[0]
        reference = torch.nn.functional.cross_entropy(logits[:-1], batch.labels[0, 1:], ignore_index=IGNORE_INDEX)
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)
