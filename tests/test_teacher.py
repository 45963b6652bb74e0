"""Context distillation: teacher prompts, the teacher's shared-chunk rows, the cache, and the loss."""

import dataclasses

import pytest
import torch

from lift.adapters import attach_lora
from lift.config import LiftConfig, LoraConfig, TrainConfig
from lift.data import pack_examples, qa_example
from lift.data.distill import NO_CHUNK, TeacherPrompts
from lift.data.examples import TeacherTargets
from lift.data.sources import TrainingData
from lift.errors import LiftError
from lift.synth.cache import GenerationCache
from lift.train import masked_lm_loss, train_adapter
from lift.train.teacher import DistilledSource, Teacher

SENTENCES = [
    "The secret code of the blue castle is zebra seven.",
    "The best thing to do in San Francisco is eat a sandwich.",
    "Hello world, this is a tiny tokenizer.",
    "The capital of France is Paris.",
]
QUESTIONS = ["What is the secret code of the blue castle?", "What does the text say about Paris?"]


def _prompts(tok, context_tokens=1024):
    return TeacherPrompts.for_document(tok, SENTENCES, context_tokens, "You are a helpful assistant.", 512)


def _taught_examples(tok, prompts):
    examples = []
    for question, sentence in [(QUESTIONS[0], 0), (QUESTIONS[1], 3), (QUESTIONS[0], 1)]:
        example = qa_example(tok, question, SENTENCES[sentence], "", 256)
        group, prompt = prompts.for_question(question, sentence)
        examples.append(dataclasses.replace(example, teacher_prompt=prompt, teacher_group=group, teacher_weight=0.5))
    group, prompt = prompts.for_general("What is 2 plus 2?")
    replay = qa_example(tok, "What is 2 plus 2?", "Four.", "", 256)
    examples.append(dataclasses.replace(replay, teacher_prompt=prompt, teacher_group=group, teacher_weight=1.0))
    return examples


def _alone(model, example, k):
    """The teacher's targets computed the plain way: the whole sequence alone, no packing, no shared chunk."""
    answer = [t for t in example.labels if t != -100]
    ids = torch.tensor([[*example.teacher_prompt, *answer]])
    with torch.no_grad():
        logprobs = model(input_ids=ids).logits[0].float().log_softmax(-1)
    start = len(example.teacher_prompt) - 1
    values, indices = logprobs[start : start + len(answer)].topk(k, dim=-1)
    return indices, values


def test_teacher_prompts_cut_the_document_into_chunks_at_sentence_bounds(tiny):
    tok = tiny.tokenizer
    whole = _prompts(tok)
    assert len(whole.chunks) == 1 and whole.chunks[0] == " ".join(SENTENCES)
    small = _prompts(tok, context_tokens=64)
    assert len(small.chunks) > 1 and " ".join(small.chunks) == " ".join(SENTENCES)
    assert small.chunk_of_sentence == sorted(small.chunk_of_sentence)
    group, prompt = small.for_question(QUESTIONS[0], 3)
    assert group == small.chunk_of_sentence[3] and SENTENCES[3] in tok.decode(prompt)
    assert "Answer the question based on the text above." in tok.decode(prompt)  # the icl mode's layout
    assert small.for_general("Hi?")[0] == NO_CHUNK and "helpful assistant" in tok.decode(small.for_general("Hi?")[1])


def test_teacher_rows_with_a_shared_chunk_give_the_targets_of_each_sequence_read_alone(tiny):
    tok = tiny.tokenizer
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    with torch.no_grad():  # a non-zero adapter: the teacher must switch it off
        for param in adapter.trainable():
            param.add_(torch.randn_like(param) * 0.3)
    examples = _taught_examples(tok, _prompts(tok))
    teacher = Teacher(adapter, tok, "tiny", top_k=5, precision="fp32")
    taught = teacher.attach(examples)
    # two examples of chunk 0 share the chunk: fewer tokens than reading each sequence alone
    alone_tokens = sum(len(e.teacher_prompt) + e.loss_tokens for e in examples)
    assert 0 < teacher.counters.tokens < alone_tokens and teacher.counters.examples == 4
    with adapter.disabled():
        for example in taught:
            ids, values = _alone(adapter.model, example, 5)
            assert example.teacher.ids.shape == (example.loss_tokens, 5)
            torch.testing.assert_close(example.teacher.logprobs.float(), values, atol=2e-3, rtol=2e-3)
            assert (example.teacher.ids.long() == ids).float().mean() > 0.95  # ties may swap


def test_teacher_targets_are_cached_by_content(tiny, tmp_path):
    tok = tiny.tokenizer
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    examples = _taught_examples(tok, _prompts(tok))
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        first = Teacher(adapter, tok, "tiny", top_k=5, precision="fp32", cache=cache)
        computed = first.attach(examples)
        again = Teacher(adapter, tok, "tiny", top_k=5, precision="fp32", cache=cache)
        reread = again.attach(examples)
        other_k = Teacher(adapter, tok, "tiny", top_k=3, precision="fp32", cache=cache)
        other_k.attach(examples[:1])
    assert first.counters.cached == 0 and again.counters.cached == 4 and again.counters.tokens == 0
    assert other_k.counters.cached == 0 and other_k.counters.tokens > 0
    for a, b in zip(computed, reread, strict=True):
        assert torch.equal(a.teacher.ids, b.teacher.ids) and torch.equal(a.teacher.logprobs, b.teacher.logprobs)


def test_distillation_loss_is_cross_entropy_at_weight_0_and_kl_at_weight_1(tiny):
    tok = tiny.tokenizer
    example = qa_example(tok, QUESTIONS[0], "zebra seven", "", 256)
    n = example.loss_tokens
    plain = pack_examples([example], 256)[0]
    loss_ce = masked_lm_loss(tiny.model, plain, torch.device("cpu"))
    with torch.no_grad():
        logprobs = tiny.model(input_ids=plain.input_ids).logits[0, -n - 1 : -1].float().log_softmax(-1)
    values, indices = logprobs.topk(logprobs.shape[-1])  # the whole vocabulary: KL to itself is 0
    targets = TeacherTargets(indices.int(), values.half())
    at = {w: pack_examples([dataclasses.replace(example, teacher=targets, teacher_weight=w)], 256)[0] for w in (0, 1)}
    torch.testing.assert_close(masked_lm_loss(tiny.model, at[0], torch.device("cpu")), loss_ce)
    assert masked_lm_loss(tiny.model, at[1], torch.device("cpu")).abs() < 2e-3  # fp16 targets: not exactly 0
    # a row with a taught and an untaught example: the untaught one keeps its cross-entropy
    mixed = pack_examples([dataclasses.replace(example, teacher=targets, teacher_weight=1.0), example], 256)[0]
    assert mixed.teacher is not None and mixed.teacher.weight.tolist() == [1.0] * n + [0.0] * n
    torch.testing.assert_close(masked_lm_loss(tiny.model, mixed, torch.device("cpu")), loss_ce / 2, atol=2e-3, rtol=0)


def test_distilled_training_moves_the_adapter_toward_the_teacher_with_the_chunk(tiny):
    """Pure distillation (weight 1): the adapter without the chunk comes to answer as the base model does
    with the chunk in front of it; its answer-token loss against the teacher falls."""
    tok = tiny.tokenizer
    adapter = attach_lora(tiny.model, LoraConfig(rank=8, alpha=16))
    prompts = _prompts(tok)
    examples = [dataclasses.replace(e, teacher_weight=1.0) for e in _taught_examples(tok, prompts)[:2]] * 3
    teacher = Teacher(adapter, tok, "tiny", top_k=8, precision="fp32")
    source = DistilledSource(_Fixed(examples), teacher, _OneProcess())
    data = TrainingData.from_sources([source])
    result = train_adapter(adapter, data, TrainConfig(epochs=15, lr=1e-2, batch_tokens=256, precision="fp32"))
    assert result.loss_per_epoch[-1] < 0.3 * result.loss_per_epoch[0]
    assert teacher.counters.examples == len(examples)


def test_pissa_cannot_be_distilled():
    with pytest.raises(LiftError, match="context distillation needs an adapter"):
        LiftConfig().with_overrides({"adapter.type": "pissa", "distill.weight": 0.5})


@dataclasses.dataclass
class _Fixed:
    items: list
    name: str = "qa"
    generated: bool = True
    streaming: bool = False

    def examples(self):
        return [((n,), e) for n, e in enumerate(self.items)]


class _OneProcess:
    import contextlib

    main_first = staticmethod(contextlib.nullcontext)


def test_self_study_trains_on_the_answers_the_teacher_writes_with_the_chunk(tiny, tmp_path):
    """distill.targets teacher: each question's answer is the base model's own greedy answer with the chunk in
    its window (cached by content); an empty answer drops the example."""
    tok = tiny.tokenizer
    adapter = attach_lora(tiny.model, LoraConfig(rank=4, alpha=8))
    prompts = _prompts(tok)
    waiting = []
    for example in _taught_examples(tok, prompts)[:3]:
        prompt_length = example.labels.count(-100)
        waiting.append(dataclasses.replace(example, input_ids=example.input_ids[:prompt_length],
                                           labels=example.labels[:prompt_length], teacher_writes=True))  # fmt: skip
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        teacher = Teacher(adapter, tok, "tiny", top_k=4, precision="fp32", cache=cache, answer_tokens=12)
        written = DistilledSource(_Fixed(waiting), teacher, _OneProcess()).examples()
        again = Teacher(adapter, tok, "tiny", top_k=4, precision="fp32", cache=cache, answer_tokens=12)
        reread = DistilledSource(_Fixed(waiting), again, _OneProcess()).examples()
    assert teacher.counters.tokens > 0 and again.counters.tokens == 0  # the answers and targets come from the cache
    assert [e.input_ids for _, e in written] == [e.input_ids for _, e in reread]
    with adapter.disabled(), torch.no_grad():
        assert written and len(written) <= len(waiting)
        for _, example in written:
            prompt = example.input_ids[: example.labels.count(-100)]
            assert not example.teacher_writes and prompt in [before.input_ids for before in waiting]
            answer = [t for t in example.labels if t != -100]
            assert 0 < len(answer) <= 13 and example.teacher.ids.shape == (len(answer), 4)
            # the answer is the teacher's greedy continuation of its own prompt: its argmax at every position
            # (up to a sentence cut at the token limit)
            ids, _ = _alone(adapter.model, example, 1)
            assert ids[:, 0].tolist()[: len(answer) - 1] == answer[: len(answer) - 1] or answer[-1] == tok.eos_token_id


def test_gated_memory_adapters_distil_too(tiny, lift_home):
    from lift.recipe import lift_document
    from lift.text.documents import document_from_text

    config = LiftConfig().with_overrides({
        "adapter.type": "gated_memory", "distill.weight": 0.5, "distill.replay_weight": 1.0, "train.epochs": 1,
        "train.min_steps": 0, "train.replay_ratio": 0.5, "train.replay_max_tokens": 8, "train.batch_tokens": 64,
    })  # fmt: skip
    document = document_from_text(" ".join(SENTENCES), title="gated")
    training = lift_document(document, tiny, config, home=lift_home).manifest.training
    assert training.teacher_examples == training.qa_examples + training.replay_examples > 0
    assert training.teacher_tokens > 0


@pytest.mark.parametrize("targets", ["template", "teacher", "both"])
def test_the_example_maker_gives_each_pair_the_answers_distill_targets_asks_for(tiny, targets):
    from lift.data.tasks import ExampleMaker
    from lift.synth.types import QAPair

    tok = tiny.tokenizer
    config = LiftConfig().with_overrides({"distill.weight": 0.5, "distill.targets": targets, "train.replay_ratio": 0})
    maker = ExampleMaker(tok, config, [], 512, teacher_prompts=_prompts(tok))
    pairs = [QAPair(QUESTIONS[0], "Zebra seven.", 0, order=(0, 0)), QAPair(QUESTIONS[1], "Paris.", 3, order=(1, 0))]
    made = list(maker.stream(pairs))
    per_pair = {"template": 1, "teacher": 1, "both": 2}[targets]
    assert len(made) == per_pair * len(pairs) == maker.qa_examples == maker.expected(len(pairs))
    writes = [e.teacher_writes for _, e in made]
    assert writes == {"template": [False, False], "teacher": [True, True], "both": [False, True] * 2}[targets]
    for _, example in made:
        assert example.teacher_prompt is not None and example.teacher_weight == 0.5
        assert example.loss_tokens == 0 if example.teacher_writes else example.loss_tokens > 0
    assert len({key for key, _ in made}) == len(made)  # each example its own order key
