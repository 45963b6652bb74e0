"""Prompt templates, lenient parsing of real model output, and seed 001's auxiliary tasks."""

import json

import pytest

from lift.config import LiftConfig, SynthConfig
from lift.data.tasks import training_answer
from lift.errors import LiftError
from lift.synth.aux import aux_windows, evidence_in_window, parse_aux_output, template_aux_pair
from lift.synth.cache import GenerationCache
from lift.synth.generate import build_jobs
from lift.synth.parsing import parse_qa_pairs
from lift.synth.prompts import builtin_prompt_names, load_prompt
from lift.synth.template import TemplateGenerator
from lift.synth.types import AuxWindow, QAPair
from lift.testing.synthesis import synthesize_qa


def test_builtin_prompts_load_and_fill_in():
    assert {"sentence-qa-v1", "aux-qa-v1", "aux-qa-brief-v1", "aux-qa-details-v1"} <= set(builtin_prompt_names())
    system, user = load_prompt("sentence-qa-v1", "sentence").messages(num_questions=3, paragraph="P.", sentence="S.")
    assert "at most 3 different questions" in system and user.endswith("last part of the paragraph.")
    system, user = load_prompt("aux-qa-v1", "aux").messages(context="Some text.")
    assert system is None and user.endswith("The following is the piece of text: Some text.")
    assert "Evidence: [evidence]" in user


def test_prompt_errors_are_clear(tmp_path):
    with pytest.raises(LiftError, match="unknown prompt template 'nope'"):
        load_prompt("nope", "sentence")
    with pytest.raises(LiftError, match="is a 'aux' prompt"):
        load_prompt("aux-qa-v1", "sentence")
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: aux\nuser: 'Text {contexts}'\n")
    with pytest.raises(LiftError, match="bad placeholder"):
        load_prompt(str(bad), "aux")


def test_a_users_prompt_file_is_used_and_its_text_is_part_of_the_cache_key(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("kind: sentence\nsystem: null\nuser: 'Ask {num_questions} about: {sentence}'\n")
    config = SynthConfig(prompt=str(path), qa_per_sentence=3)
    generator = TemplateGenerator(2)
    first = build_jobs("doc", ["Alice founded the bakery in Lisbon."], config, generator).jobs
    assert first[0].user == "Ask 3 about: Alice founded the bakery in Lisbon." and first[0].system is None
    path.write_text("kind: sentence\nsystem: null\nuser: 'Please ask {num_questions} about: {sentence}'\n")
    second = build_jobs("doc", ["Alice founded the bakery in Lisbon."], config, generator).jobs
    assert first[0].key != second[0].key  # an edited template never reuses old outputs
    builtin = build_jobs("doc", ["Alice founded the bakery in Lisbon."], SynthConfig(), generator).jobs
    assert builtin[0].key not in (first[0].key, second[0].key)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"qa_list": [{"question": "Who?", "answer": "Alice"}]}', [("Who?", "Alice")]),
        ('Sure! Here you go:\n```json\n[{"question": "Who?", "answer": "Alice"}]\n```\nHope it helps.',
         [("Who?", "Alice")]),
        ('{"qa_list": [{"question": "Who?", "answer": "Alice"}, {"question": "Where?", "ans',
         [("Who?", "Alice")]),  # truncated JSON: the complete pairs
        ("Q: Who founded it?\nA: Alice.\n\nQ: Where?\nA: Lisbon.",
         [("Who founded it?", "Alice."), ("Where?", "Lisbon.")]),
        ("1. **Question:** Who?\n   **Answer:** Alice", [("Who?", "Alice")]),
        ("Here are some questions:\n1. Who founded the bakery? Alice founded it.\n2. Where is it? - In Lisbon.",
         [("Who founded the bakery?", "Alice founded it."), ("Where is it?", "In Lisbon.")]),
        ("1. Who founded the bakery?\n   Alice.\n2. Where is it?\n   Answer: Lisbon.",
         [("Who founded the bakery?", "Alice."), ("Where is it?", "Lisbon.")]),
        ("I am sorry, I cannot help with that.", []),
        ("1. Who founded the bakery?\n2. Where is it?", []),  # questions without answers
        ("", []),
    ],
)  # fmt: skip
def test_parsing_survives_real_model_output(raw, expected):
    assert parse_qa_pairs(raw) == expected


def test_aux_output_parsing():
    raw = "Question: Who met whom in Paris?\n\nAnswer: Alice met\nBob.\n\nEvidence: Alice met Bob in Paris."
    assert parse_aux_output(raw) == [("Who met whom in Paris?", "Alice met Bob.", "Alice met Bob in Paris.")]
    assert parse_aux_output("**Question:** Q?\n**Answer:** A\n**Evidences:** E1.") == [("Q?", "A", "E1.")]
    assert parse_aux_output(json.dumps({"question": "Q?", "answer": "A", "evidence": ["E1.", "E2."]})) == [
        ("Q?", "A", "E1. E2.")
    ]
    assert parse_aux_output("Answer: no question here") == []


def test_aux_windows_are_evenly_spread_and_cover_both_ends():
    sentences = [f"Sentence {i}." for i in range(100)]
    windows = aux_windows(sentences, 4, 16)
    assert [w.first_sentence for w in windows] == [0, 28, 56, 84]
    assert all(len(w.sentences) == 16 for w in windows) and windows[-1].sentences[-1] == "Sentence 99."
    assert [w.first_sentence for w in aux_windows(sentences[:10], 3, 16)] == [0]  # one window fits it all
    assert aux_windows(sentences, 0, 16) == []


def test_evidence_must_be_verbatim_from_the_window():
    window = 'Alice met Bob in Paris. They said "hello" to the baker. The shop closed at noon.'
    assert evidence_in_window("They said “hello” to the baker.", window)  # quote style aside
    assert evidence_in_window("alice met bob in paris.  They said", window)  # case and spaces aside
    assert not evidence_in_window("Alice met Carol in Paris.", window)
    assert not evidence_in_window("Paris", window)  # too short to be a sentence of evidence


def test_template_aux_pair_needs_a_name_in_several_sentences():
    window = AuxWindow(0, 0, ("Then Alice moved to Lisbon.", "It rained.", "In Lisbon she opened a bakery."))
    pair = template_aux_pair(window)
    assert pair["question"] == "What does the text tell us about Lisbon?"
    assert pair["answer"] == "Then Alice moved to Lisbon. In Lisbon she opened a bakery."
    assert evidence_in_window(pair["evidence"], window.text)
    assert template_aux_pair(AuxWindow(0, 0, ("One sentence.", "Another sentence."))) is None


def test_aux_tasks_are_generated_checked_and_counted(tmp_path):
    sentences = [
        "Then Alice moved to Lisbon in 2004.", "It rained for a week.", "In Lisbon she opened a bakery.",
        "The Rivergate bakery sold orange cakes.", "Customers loved the Rivergate cakes.", "Prices were low.",
    ]  # fmt: skip

    class Scripted(TemplateGenerator):
        def generate(self, jobs):
            outputs = super().generate(jobs)
            for i, job in enumerate(jobs):
                if job.kind == "aux" and job.unit.index == 1:  # evidence that is not in the window
                    outputs[i] = "Question: Q?\nAnswer: A cake.\nEvidence: The moon is made of cheese, said Alice."
            return outputs

    config = SynthConfig(aux_tasks=2, aux_window_sentences=3)
    with GenerationCache(tmp_path / "c.sqlite") as cache:
        result = synthesize_qa("doc", sentences, Scripted(1), cache, config)
    aux = [p for p in result.pairs if p.kind == "aux"]
    assert result.stats.aux_windows == 2 and result.stats.aux_pairs_kept == 1
    assert aux[0].question == "What does the text tell us about Lisbon?" and aux[0].sentence_index == 0
    assert result.stats.rejected == {"evidence_not_verbatim": 1}


def test_evidence_augmented_answers_quote_the_evidence_first():
    pair = QAPair("Where?", "Lisbon", 0, kind="aux", evidence="She moved to Lisbon.")
    assert training_answer(pair, "answer") == "Lisbon"
    assert training_answer(pair, "evidence_answer") == 'The text says: "She moved to Lisbon."\nSo the answer is: Lisbon'
    sentence_pair = QAPair("Where?", "Lisbon", 0)
    assert training_answer(sentence_pair, "evidence_answer") == "Lisbon"


def test_operational_settings_stay_out_of_the_run_key():
    base = LiftConfig()
    faster = base.with_overrides({"synth.concurrency": 8, "synth.request_timeout": 5.0, "train.queue_size": 10})
    assert faster.training_dict() == base.training_dict()
    assert base.with_overrides({"synth.aux_tasks": 10}).training_dict() != base.training_dict()


def test_the_openai_generator_needs_a_url_and_model():
    with pytest.raises(LiftError, match="needs synth.generator_url and synth.generator_model"):
        LiftConfig().with_overrides({"synth.generator": "openai"})
