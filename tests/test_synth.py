import json

import pytest

from lift.config import SynthConfig
from lift.synth.backend import BatchGenerator
from lift.synth.cache import GenerationCache
from lift.synth.contexts import sentence_requests
from lift.synth.grounding import answer_overlap, is_grounded
from lift.synth.parsing import parse_qa_pairs
from lift.synth.template import UNNAMED_FORMS, TemplateGenerator, template_pairs
from lift.testing.synthesis import synthesize_qa

NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."


OLDER_FORMS = ("definition", "wh", "about", "key_phrase", "cloze", "succession")


def test_template_pairs_for_the_needle_are_spans_of_the_sentence():
    pairs = template_pairs(NEEDLE, "Before that came another sentence.", OLDER_FORMS)
    questions = [p["question"] for p in pairs]
    assert questions[0] == "What is the best thing to do in San Francisco?"
    assert any("San Francisco" in q or "Dolores Park" in q for q in questions[1:])
    assert any(q.startswith("Complete the sentence") for q in questions)
    assert any("Before that came another sentence." in q for q in questions)
    for pair in pairs:
        assert pair["answer"] in NEEDLE


def test_template_skips_pronoun_definitions_and_tiny_sentences():
    questions = [p["question"] for p in template_pairs("It is a long way from home to the sea.", forms=OLDER_FORMS)]
    assert not any(q.startswith("What is it") for q in questions)
    assert template_pairs("Too short.") == []


def test_about_questions_name_two_phrases_of_the_sentence_in_rotating_wordings():
    sentence = (
        "After the flood of 1952, the carpenter Idris Mallow rebuilt the chapel at Corran Bay from the timber of "
        "118 wrecked fishing boats."
    )
    pairs = template_pairs(sentence, forms=["about"])
    assert [p["answer"] for p in pairs] == [sentence, sentence]
    first, second = (p["question"] for p in pairs)
    assert "1952 and Idris Mallow" in first  # the first two phrases, in the order they appear
    assert "118 wrecked fishing boats and 1952" in second  # the last with the first
    assert first.split("1952")[0] != second.split("118")[0]  # two different wordings
    openings = {" ".join(template_pairs(s, forms=["about"])[0]["question"].split()[:2]) for s in (
        "Edda Voss repaired the clock at Harrowgate in 1961.",
        "Oskar Lindqvist shipped three hundred hives from Varnholm to Skelby.",
        "At the Kessler Observatory near Lake Tamsin, Ruth Okafor logged meteors.",
        "In 1944 Sister Agathe Romero hid violins in crates of figs.",
    )}  # fmt: skip
    assert len(openings) >= 2
    assert (
        template_pairs("At the Kessler Observatory near Lake Tamsin, Ruth Okafor logged meteors.", forms=["about"])[0][
            "question"
        ].count("the Kessler Observatory and Lake Tamsin")
        == 1
    )  # "At" is not part of the name
    assert template_pairs("It is a long way from home to the sea and back.", forms=["about"]) == []


def test_sentence_requests_context_is_bounded_and_ends_with_the_sentence():
    sentences = [f"Sentence number {i} has some words in it." for i in range(50)]
    requests = sentence_requests(sentences, context_chars=200)
    for request in requests:
        assert request.context.endswith(request.sentence)
        before = request.context[: -len(request.sentence)].strip()
        assert len(before) <= 200
    assert requests[0].previous_sentence == "" and requests[5].previous_sentence == sentences[4]
    assert len(requests[-1].context) > 150  # it does fill the budget


@pytest.mark.parametrize(
    "raw",
    [
        '{"qa_list": [{"question": "Who?", "answer": "Bob"}, {"question": "Where?", "answer": "Paris"}]}',
        'Sure! Here you go:\n```json\n[{"question": "Who?", "answer": "Bob"}, '
        '{"question": "Where?", "answer": "Paris"}]\n```',
        "Q: Who?\nA: Bob\nQ: Where?\nA: Paris",
        "1. Question: Who?\n   Answer: Bob\n2. Question: Where?\n   Answer: Paris\nHope this helps.",
        "**Question 1:** Who?\n**Answer 1:** Bob\n\n**Question 2:** Where?\n**Answer 2:** Paris",
    ],
)
def test_parse_accepts_real_output_shapes(raw):
    assert parse_qa_pairs(raw) == [("Who?", "Bob"), ("Where?", "Paris")]


def test_parse_keeps_the_complete_pairs_of_truncated_or_broken_json():
    truncated = (
        '{"qa_list": [{"question": "Who?", "answer": "Bob \\"the baker\\""}, '
        '{"question": "Where?", "answer": "Paris"}, {"question": "When?", "answ'
    )
    assert parse_qa_pairs(truncated) == [("Who?", 'Bob "the baker"'), ("Where?", "Paris")]
    broken = '{"qa_list": [{"question": "Who?", "answer": "Bob"},\n"question": "Where?", "answer": "Paris"}]}'
    assert parse_qa_pairs(broken) == [("Who?", "Bob"), ("Where?", "Paris")]


@pytest.mark.parametrize(
    "raw", ["", "I cannot help with that.", '{"qa_list": [{"question": "Who?"', "Q: only a question"]
)
def test_parse_rejects_garbage(raw):
    assert parse_qa_pairs(raw) == []


def test_grounding_overlap():
    source = "The committee met in Geneva in March 1998 to sign the treaty."
    assert answer_overlap("Geneva, March 1998", source) == 1.0
    assert is_grounded("They met in Geneva.", source, 0.6)
    assert not is_grounded("In Tokyo during the summer of 2004", source, 0.6)
    assert answer_overlap("the", source) == 0.0  # no content words: unsupported


class CountingTemplate(TemplateGenerator):
    def __init__(self, qa_per_sentence, fail_after=None):
        super().__init__(qa_per_sentence)
        self.batch_size = 2
        self.calls = 0
        self.fail_after = fail_after

    def generate(self, requests):
        if self.fail_after is not None and self.calls >= self.fail_after:
            raise KeyboardInterrupt("killed")
        self.calls += 1
        return super().generate(requests)


SENTENCES = [
    "Alice founded the Rivergate bakery in Lisbon in 2004.",
    "The bakery is famous for its orange cake with almonds.",
    "Every Sunday the queue reaches the old tram stop.",
    "Short.",
    "Her brother Tomas runs the delivery service on bicycles.",
    "In 2019 the bakery opened a second shop in Porto.",
]


def test_synthesize_caches_and_a_killed_run_reuses_finished_work(tmp_path):
    config = SynthConfig(qa_per_sentence=2)
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        killed = CountingTemplate(2, fail_after=1)
        with pytest.raises(KeyboardInterrupt):
            synthesize_qa("doc-sha", SENTENCES, killed, cache, config)
        assert len(cache) == 2  # the one finished batch of 2 sentences was committed

        rerun = CountingTemplate(2)
        result = synthesize_qa("doc-sha", SENTENCES, rerun, cache, config)
        assert result.stats.cache_hits == 2
        assert result.stats.generations == 3  # 5 long-enough sentences, 2 cached
        assert result.stats.sentences_skipped_short == 1

        again = synthesize_qa("doc-sha", SENTENCES, CountingTemplate(2), cache, config)
        assert again.stats.cache_hits == 5 and again.stats.generations == 0
        assert [(p.question, p.answer) for p in again.pairs] == [(p.question, p.answer) for p in result.pairs]

        other_doc = synthesize_qa("other-sha", SENTENCES, CountingTemplate(2), cache, config)
        assert other_doc.stats.cache_hits == 0  # the key includes the document hash


def test_synthesize_counts_rejections(tmp_path):
    class Scripted(BatchGenerator):
        generator_id = "scripted"
        batch_size = 8

        def sampling_params(self):
            return {}

        def generate(self, requests):
            outputs = {
                0: json.dumps({"qa_list": [{"question": "Who founded it?", "answer": "Alice"}]}),
                1: "no pairs here",
                2: json.dumps({"qa_list": [{"question": "Where?", "answer": "On the moon with astronauts"}]}),
            }
            return [outputs.get(r.index, outputs[0]) for r in requests]

    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        result = synthesize_qa("d", SENTENCES[:5], Scripted(), cache, SynthConfig(qa_per_sentence=3))
    assert [p.answer for p in result.pairs] == ["Alice"]  # sentence 4 repeats sentence 0's pair
    assert result.stats.rejected == {"malformed_output": 1, "ungrounded": 1, "duplicate": 1}
    assert result.stats.qa_pairs_parsed == 3 and result.stats.qa_pairs_kept == 1
    assert result.stats.grounding_rate == 0.5


def test_strict_grounding_needs_every_answer_word_in_the_sentence_itself(tmp_path):
    class Scripted(BatchGenerator):
        generator_id = "scripted-strict"
        batch_size = 8

        def sampling_params(self):
            return {}

        def generate(self, requests):
            answers = {
                0: "Alice founded it in Lisbon",  # every content word in sentence 0: strict
                1: "An orange cake in Lisbon",  # "lisbon" only in the context: overlap yes, strict no
                2: "Pancakes on the moon",  # neither
            }
            return [
                json.dumps({"qa_list": [{"question": f"Q{r.index}?", "answer": answers[r.index]}]}) for r in requests
            ]

    sentences = SENTENCES[:3]
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        overlap = synthesize_qa("d", sentences, Scripted(), cache, SynthConfig(grounding="overlap"))
        strict = synthesize_qa("d", sentences, Scripted(), cache, SynthConfig(grounding="strict"))
    assert [p.answer for p in overlap.pairs] == ["Alice founded it in Lisbon", "An orange cake in Lisbon"]
    assert [p.answer for p in strict.pairs] == ["Alice founded it in Lisbon"]
    assert strict.stats.rejected == {"ungrounded": 2}
    # the faithfulness figure is the same whatever the filter: 1 of 3 distinct pairs is strictly grounded
    assert (
        overlap.stats.strict_grounding_rate == strict.stats.strict_grounding_rate == pytest.approx(1 / 3, abs=1e-4)
    )  # stored rounded


def test_long_answers_survive_parsing_whole_or_cut_at_a_word_boundary():
    sentence = (
        "Other institutions include " + ", ".join(f"the University number {i} of Warsaw" for i in range(16)) + "."
    )
    assert 500 < len(sentence) < 1000  # SQuAD's Warsaw passage has a 547-character sentence
    (pair,) = parse_qa_pairs(json.dumps({"qa_list": [{"question": "Which?", "answer": sentence}]}))
    assert pair[1] == sentence and is_grounded(pair[1], sentence, 1.0)
    runaway = "word " * 400
    (pair,) = parse_qa_pairs(json.dumps({"qa_list": [{"question": "Which?", "answer": runaway}]}))
    assert len(pair[1]) <= 1000 and pair[1].endswith("word")


def test_a_cached_output_is_only_reused_for_the_same_sentence_text(tmp_path):
    # the same document split differently (e.g. a splitter fix) puts other text at the same index
    config = SynthConfig(qa_per_sentence=1)
    resplit = [SENTENCES[0], "The bakery is famous.", "Its orange cake has almonds.", *SENTENCES[2:]]
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        synthesize_qa("doc-sha", SENTENCES, CountingTemplate(8), cache, config)
        result = synthesize_qa("doc-sha", resplit, CountingTemplate(8), cache, config)
    assert result.stats.cache_hits == 1  # only sentence 0 kept its text and its preceding context
    assert all(p.answer.split(": ", 1)[-1].rstrip(".") in " ".join(resplit) for p in result.pairs)  # its own text


def _open_cache_at(path: str, start: float) -> str | None:
    import time

    while time.time() < start:  # every process opens the new cache at the same moment
        pass
    try:
        with GenerationCache(path) as cache:
            cache.get_many(["a"])
    except Exception as error:  # noqa: BLE001 - reported to the test
        return repr(error)
    return None


def test_processes_opening_a_new_cache_at_once_all_get_it(tmp_path):
    """torchrun's ranks and a corpus batch's workers open one cache.sqlite together; switching a new database
    to WAL then raised 'database is locked' in about a third of the openings (4 processes)."""
    import multiprocessing
    import time

    with multiprocessing.get_context("fork").Pool(4) as pool:
        for attempt in range(40):
            start = time.time() + 0.05
            errors = pool.starmap(_open_cache_at, [(str(tmp_path / f"c{attempt}.sqlite"), start)] * 4)
            assert not any(errors), errors


def test_template_cache_keys_name_the_forms_unless_they_are_the_first_four():
    assert TemplateGenerator(3, UNNAMED_FORMS).sampling_params() == {"qa_per_sentence": 3}
    default = TemplateGenerator(3, SynthConfig().template_forms).sampling_params()
    if tuple(SynthConfig().template_forms) != UNNAMED_FORMS:  # a changed default must not reuse their cache
        assert default["forms"] == list(SynthConfig().template_forms)
    assert TemplateGenerator(3, ("definition", "wh")).sampling_params()["forms"] == ["definition", "wh"]
