"""Wh-questions made from a sentence's parts (the template generator's older `wh` form)."""

import pytest

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.synth.template import UNNAMED_FORMS, TemplateGenerator, template_pairs
from lift.synth.wh_questions import wh_questions


def _asked(sentence: str) -> list[tuple[str, str]]:
    return [(q.form, q.question) for q in wh_questions(sentence)]


def test_subject_object_place_and_date_are_asked_with_do_support():
    assert _asked("Alice founded the Rivergate bakery in Lisbon in 2004.") == [
        ("who", "Who founded the Rivergate bakery?"),
        ("what", "What did Alice found?"),
        ("where", "Where did Alice found the Rivergate bakery?"),
        ("when", "When did Alice found the Rivergate bakery?"),
    ]


def test_counts_fronted_dates_present_tense_and_named_objects():
    assert _asked("In 1998, Tomas delivered forty-two crates of apples to the harbour in Porto.") == [
        ("who", "Who delivered forty-two crates of apples?"),
        ("how_many", "How many crates of apples did Tomas deliver?"),
        ("where", "Where did Tomas deliver forty-two crates of apples?"),
        ("when", "When did Tomas deliver forty-two crates of apples?"),
    ]
    assert ("how_many", "How many paintings does the museum display?") in _asked(
        "The museum displays 312 paintings by Ana Silva near the river."
    )
    assert ("who", "Who did Elena meet?") in _asked("Elena met Bruno at the Castle of Saint George in May 2011.")
    assert ("where", "Where did Elena meet Bruno?") in _asked("Elena met Bruno at the Castle of Saint George.")


def test_each_question_records_the_phrase_it_asks_about():
    assert [q.answer for q in wh_questions("Alice founded the Rivergate bakery in Lisbon in 2004.")] == [
        "Alice",
        "the Rivergate bakery",
        "in Lisbon",
        "in 2004",
    ]


@pytest.mark.parametrize(
    "sentence",
    [
        "She painted the tower green in 1987.",  # a pronoun subject: "Who painted ...?" would answer "She"
        "When I was young I wrote programs on an IBM 1401 at school.",  # the subject is a clause
        "The best thing to do in San Francisco is eat a sandwich.",  # no lexical finite verb: `definition` asks it
        "Too short here.",
    ],
)
def test_sentences_without_a_clear_subject_and_verb_give_no_questions(sentence):
    assert wh_questions(sentence) == []


def test_template_forms_pick_and_order_the_pairs_and_the_first_four_keep_their_cache_key():
    sentence = "Alice founded the Rivergate bakery in Lisbon in 2004."
    pairs = template_pairs(sentence, "", ("wh", "cloze"))
    assert [p["question"] for p in pairs][:2] == ["Who founded the Rivergate bakery?", "What did Alice found?"]
    assert pairs[-1]["question"].startswith("Complete the sentence") and len(pairs) == 5
    assert all(p["answer"] == sentence for p in pairs[:-1])
    assert template_pairs(sentence, "Before.") == template_pairs(sentence, "Before.", LiftConfig().synth.template_forms)
    assert TemplateGenerator(3, UNNAMED_FORMS).sampling_params() == {"qa_per_sentence": 3}
    assert TemplateGenerator(3, ["wh"]).sampling_params() == {"qa_per_sentence": 3, "forms": ["wh"]}


def test_an_unknown_template_form_is_a_config_error():
    with pytest.raises(LiftError, match="synth.template_forms must be"):
        LiftConfig().with_overrides({"synth.template_forms": "wh,telepathy"})
    assert LiftConfig().with_overrides({"synth.template_forms": "wh,cloze"}).synth.template_forms == ["wh", "cloze"]
