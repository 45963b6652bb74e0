"""The phrase grammar of the template's ask / cue / yes_no forms (lift.synth.phrases, lift.synth.template)."""

import pytest

from lift.data.restatements import restatements
from lift.synth.phrases import do_question, parse, phrase_first, resolve_pronoun, wh_question, yes_no_question
from lift.synth.statements import statements
from lift.synth.template import phrase_pairs

KEY = "Maria left the spare key under the blue flowerpot by the back door."
HIVES = (
    "In 1994 a beekeeper named Oskar Lindqvist carried 312 hives by barge from Varnholm to the island of Skelby to "
    "escape a mite plague."
)
NEEDLE = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."


def _asked(sentence: str) -> dict[str, str]:
    """The clause's own phrases (not the names and noun phrases inside them) and the question asking each."""
    clause = parse(sentence)
    return {p.text: wh_question(clause, p) for p in clause.phrases if p.role != "name" or p.text == "Oskar Lindqvist"}


def test_every_phrase_of_a_sentence_is_asked_for_with_its_own_wh_word():
    assert _asked(KEY) == {
        "Maria": "Who left the spare key?",
        "the spare key": "What did Maria leave?",
        "under the blue flowerpot by the back door": "Where did Maria leave the spare key?",
    }
    asked = _asked(HIVES)
    assert asked["In 1994"] == "When did a beekeeper named Oskar Lindqvist carry 312 hives?"
    assert asked["a beekeeper named Oskar Lindqvist"] == "Who carried 312 hives?"
    assert asked["312 hives"] == "How many hives did a beekeeper named Oskar Lindqvist carry?"
    assert asked["by barge"] == "How did a beekeeper named Oskar Lindqvist carry 312 hives?"
    assert asked["from Varnholm"] == "Where did a beekeeper named Oskar Lindqvist carry 312 hives from?"
    assert asked["to escape a mite plague"] == "Why did a beekeeper named Oskar Lindqvist carry 312 hives?"
    assert asked["Oskar Lindqvist"] is None  # a name inside a phrase is a cue only


def test_a_copula_sentence_asks_for_its_complement_and_a_time_clause_answers_when():
    clause = parse(NEEDLE)
    complement = next(p for p in clause.phrases if p.role == "object")
    assert complement.text == "eat a sandwich and sit in Dolores Park on a sunny day"
    assert wh_question(clause, complement) == "What is the best thing to do in San Francisco?"
    assert _asked("The committee met twice before it approved the new bridge over the river.") == {
        "The committee": "What met twice?",
        "before it approved the new bridge over the river": "When did the committee meet?",
    }
    assert (
        _asked("The old ferry to Norvik stops running when the harbour freezes in January.")["The old ferry to Norvik"]
        == "What stops running?"
    )


@pytest.mark.parametrize("time", ["at a quarter past eleven", "at half past six", "at 7pm"])
def test_a_clock_time_after_at_is_asked_with_when_not_where(time):
    """'at a quarter past eleven' was read as a place ('Where does the night train leave?')."""
    asked = _asked(f"The night train to Harrow Bay leaves {time} every Thursday.")
    assert asked[time] == "When does the night train to Harrow Bay leave?"
    assert _asked(KEY)["under the blue flowerpot by the back door"].startswith("Where")  # places stay places


def test_yes_no_and_do_questions_and_restatements_with_each_phrase_first():
    clause = parse(KEY)
    assert yes_no_question(clause) == "Did Maria leave the spare key under the blue flowerpot by the back door?"
    assert do_question(clause) == "What did Maria do?"
    firsts = {p.text: phrase_first(clause, p) for p in clause.phrases if p.role != "name"}
    assert firsts == {
        "Maria": None,  # already first
        "the spare key": "The spare key was left under the blue flowerpot by the back door by Maria.",
        "under the blue flowerpot by the back door": (
            "Under the blue flowerpot by the back door, Maria left the spare key."
        ),
    }
    assert restatements([KEY], 1) == [(0, "The spare key was left under the blue flowerpot by the back door by Maria.")]


def test_a_leading_he_or_she_takes_the_previous_sentences_named_subject():
    assert resolve_pronoun("She hid the map in a drum.", "The clockmaker Edda Voss repaired the clock.") == (
        "The clockmaker Edda Voss hid the map in a drum."
    )
    assert resolve_pronoun("She hid the map.", "The storm broke the clock.") == "She hid the map."  # no name
    assert resolve_pronoun("It rained.", "Edda Voss repaired the clock.") == "It rained."


def test_phrase_pairs_answer_with_the_phrase_first_and_name_each_phrase():
    pairs = phrase_pairs(KEY)
    by_question = {p["question"]: p["answer"] for p in pairs}
    assert by_question["Where did Maria leave the spare key?"] == f"Under the blue flowerpot by the back door: {KEY}"
    assert by_question["Who left the spare key?"] == f"Maria: {KEY}"
    assert by_question[yes_no_question(parse(KEY))] == f"Yes: {KEY}"
    cue = next(
        p for p in pairs if p["question"].startswith(("Tell", "What", "Remind")) and "flowerpot" in p["question"]
    )
    assert cue["answer"] == "Under the blue flowerpot by the back door, Maria left the spare key."
    assert phrase_pairs("Too short.") == []


@pytest.mark.parametrize(
    "sentence",
    [
        "So if you want to start a startup, you should probably do it in your twenties.",
        "Ok then.",
        "Why?",
        "The Normans were the people who in the 10th and 11th centuries gave their name to Normandy.",
    ],
)
def test_hard_sentences_give_no_malformed_questions(sentence):
    for pair in phrase_pairs(sentence):
        assert pair["question"].endswith(("?", ".")) and "  " not in pair["question"]
        assert pair["answer"].strip()


def test_a_sentence_keeps_one_pair_per_four_words_at_most_m_and_at_least_two():
    from lift.synth.template import pairs_for

    assert pairs_for(NEEDLE, 6) == 6  # 22 words
    assert pairs_for("The ferry stops in January.", 6) == 2
    assert pairs_for("Maria left the spare key under the blue flowerpot.", 6) == 3
    assert pairs_for(HIVES, 4) == 4
    maps = "The Dunmore library owns exactly 4,312 maps of the northern coast."  # 11 words
    assert pairs_for(maps, 6) == 3 and pairs_for(maps, 6, words_per_pair=3) == 4
    assert pairs_for("The ferry stops in January.", 6, words_per_pair=2) == 3


def test_a_relative_clause_in_the_subject_is_stepped_over():
    # the verb of "who planted ..." is not the sentence's: the subject runs to 'was'
    assert _asked("The gardener who planted the old yew hedge was a quiet man named Osric Vane.") == {
        "The gardener who planted the old yew hedge": "What was a quiet man named Osric Vane?",
        "a quiet man named Osric Vane": "Who was the gardener who planted the old yew hedge?",
    }
    asked = _asked("The bridge that spans the Tamble river had been built by a Dutch engineer.")
    assert asked["by a Dutch engineer"] == "By whom had the bridge that spans the Tamble river been built?"
    # a verb the tagger reads as an adjective right after the pronoun ('rid'), and a participle after an article
    # past the relative clause ('the wrecked brig'), are not the main verb
    clause = parse("The man who finally rid the moors of highwaymen was a retired dragoon.")
    assert clause.subject_text == "The man who finally rid the moors of highwaymen" and clause.copula
    clause = parse("The one who rowed out to the wrecked brig in the gale was the keeper's daughter.")
    assert clause.subject_text == "The one who rowed out to the wrecked brig in the gale"


def test_an_adverb_before_the_verb_is_no_auxiliary():
    assert _asked("Maria later sold the bakery to her cousin.") == {
        "Maria": "Who later sold the bakery?",
        "the bakery": "What did Maria later sell?",
        "to her cousin": "To whom did Maria later sell the bakery?",
    }


@pytest.mark.parametrize(
    "sentence, said",
    [
        ("Tolvane, the mapping startup, hired its first engineer in Brisk.",
         ["Tolvane hired its first engineer in Brisk.", "Tolvane was the mapping startup."]),
        ("Hedda Morrow, who later founded the ferry company Sallow, grew up in Penmarrow.",
         ["Hedda Morrow grew up in Penmarrow.", "Hedda Morrow later founded the ferry company Sallow."]),
        ("The Quillon teapot, made by a potter named Anwen Rees, was sold at auction in 1921.",
         ["The Quillon teapot was sold at auction in 1921.",
          "The Quillon teapot was made by a potter named Anwen Rees."]),
        ("After the storm, the harbour master, Jory Pask, closed the port for a week.",
         ["After the storm, Jory Pask closed the port for a week.", "Jory Pask was the harbour master."]),
        ("Paris, London, and Rome are capitals.", ["Paris, London, and Rome are capitals."]),
        ("Maria, however, left early.", ["Maria, however, left early."]),
    ],
)  # fmt: skip
def test_a_parenthetical_after_the_subject_becomes_a_statement_of_its_own(sentence, said):
    assert statements(sentence) == said


def test_both_statements_of_a_sentence_are_asked_about_and_answered_with_the_whole_sentence():
    sentence = "Hedda Morrow, who later founded the ferry company Sallow, grew up in Penmarrow."
    pairs = phrase_pairs(sentence)
    asked = {p["question"]: p["answer"] for p in pairs}
    assert asked["Who later founded the ferry company Sallow?"] == f"Hedda Morrow: {sentence}"
    assert asked["What did Hedda Morrow later found?"] == f"The ferry company Sallow: {sentence}"
    assert any(q.startswith("Where did Hedda Morrow grow") for q in asked)
    assert all(p["answer"].endswith(sentence) for p in pairs)  # no answer leaves the parenthetical out


def test_what_a_relative_clause_does_not_end_the_subject_with():
    # a second verb of the relative clause ('and ultimately looted'), a verb after 'to be', a participle before a
    # bare noun: the subject runs on to the sentence's own verb
    assert parse("The raiders who burned and ultimately looted the abbey fled north.").subject_text == (
        "The raiders who burned and ultimately looted the abbey"
    )
    assert parse("The stories that seemed to be most admired were long ones.").copula
    clause = parse("A design choice that gives you elegant finished programs may not give you a good process.")
    assert clause.subject_text == "A design choice that gives you elegant finished programs"
    # a form of be after an adjective is the verb: "after dark was"
    assert parse("The watchword that opened the gate after dark was thistledown.").copula


def test_a_pronoun_with_its_verb_in_one_word_is_no_subject_but_a_possessive_is():
    assert parse("I've often had a juicy bug to track down.").subject is None  # no "Did I've often have ...?"
    assert parse("It's something the market already determines.").subject is None
    assert _asked("Maria's brother left the farm in May.")["in May"] == "When did Maria's brother leave the farm?"


def test_an_adverb_before_a_copula_leaves_it_a_copula():
    assert _asked("The problem here is the price.")["the price"] == "What is the problem?"


def test_a_sentence_is_tagged_once_for_its_statements_and_its_phrases(monkeypatch):
    from lift.synth import phrases

    calls = []
    tagger = phrases._tagger()

    class Counting:
        def find_tags(self, tokens):
            calls.append(tuple(tokens))
            return tagger.find_tags(tokens)

    phrases._tag.cache_clear()
    monkeypatch.setattr(phrases, "_tagger", lambda: Counting())
    sentence = "The keeper of the north light rowed to Skelby island every Tuesday in 1911."
    assert phrase_pairs(sentence)
    assert len(calls) == len(set(calls)) == 1
