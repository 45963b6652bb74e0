"""Other wordings of the template's questions (synth.reask): lift.synth.wordings and embedded_question."""

import pytest

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.synth.phrases import embedded_question, parse, wh_question
from lift.synth.template import TemplateGenerator, phrase_pairs
from lift.synth.types import SentenceRequest
from lift.synth.wordings import AROUND, INDIRECT, KINDS, REQUEST, reworded, short_query

KEY = "Maria left the spare key under the blue flowerpot by the back door."
HIVES = (
    "In 1994 a beekeeper named Oskar Lindqvist carried 312 hives by barge from Varnholm to the island of Skelby to "
    "escape a mite plague."
)
PASSWORD = "The password to the old lighthouse of Kestrel Point is silver harbor."


def _embedded(sentence: str) -> dict[str, str | None]:
    clause = parse(sentence)
    return {p.text: embedded_question(clause, p) for p in clause.phrases if wh_question(clause, p)}


def test_an_asked_question_turns_into_a_clause_in_statement_order():
    assert _embedded(KEY) == {
        "Maria": "who left the spare key",
        "the spare key": "what Maria left",
        "under the blue flowerpot by the back door": "where Maria left the spare key",
    }
    hives = _embedded(HIVES)
    assert hives["In 1994"] == "when a beekeeper named Oskar Lindqvist carried 312 hives"
    assert hives["312 hives"] == "how many hives a beekeeper named Oskar Lindqvist carried"
    assert hives["from Varnholm"] == "where a beekeeper named Oskar Lindqvist carried 312 hives from"
    assert _embedded(PASSWORD)["silver harbor"] == "what the password to the old lighthouse of Kestrel Point is"
    needle = parse("The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day.")
    in_situ = [p for p in needle.phrases if p.text == "a sandwich"][0]
    assert wh_question(needle, in_situ) and embedded_question(needle, in_situ) is None  # no fronted form


def test_short_queries_keep_the_content_words_and_end_with_the_wh_word():
    assert short_query("Where did Maria leave the spare key?", "where:under") == "Maria leave spare key: where?"
    assert short_query("How many hives did Oskar carry?", "how_many") == "hives Oskar carry: how many?"
    assert short_query("Who is he?", "who") is None


def test_each_wording_is_another_kind_and_the_kinds_rotate():
    question, embedded = "Where did Maria leave the spare key?", "where Maria left the spare key"
    assert reworded(question, embedded, "where", 0, 0) == []
    four = reworded(question, embedded, "where", 0, 4)
    assert four == [
        INDIRECT[0].format(embedded),
        REQUEST[1].format(embedded),
        AROUND[2].format(question),
        "Maria leave spare key: where?",
    ]
    firsts = {reworded(question, embedded, "where", turn, 1)[0] for turn in range(4 * len(KINDS))}
    assert len(firsts) == 3 * 4 + 1  # every kind first in turn, the three framed kinds in another frame each time
    assert all("Maria" in q for q in firsts)
    without = reworded(question, None, "where", 0, 4)  # no clause to embed: only the message and the query
    assert without == [AROUND[2].format(question), "Maria leave spare key: where?"]


def test_reask_adds_wordings_after_each_kept_ask_pair_with_its_answer():
    plain = phrase_pairs(HIVES)
    pairs = phrase_pairs(HIVES, reask=2)
    assert [p for p in pairs if "reworded" not in p] == plain
    for i, pair in enumerate(pairs):
        if "reworded" in pair:
            before = next(p for p in reversed(pairs[:i]) if "reworded" not in p)
            assert pair["answer"] == before["answer"] and pair["question"] != before["question"]
            assert before["answer"].split(":")[0].lower() not in pair["question"].lower()  # the answer not given away
    made = TemplateGenerator(6, reask=2)._make(SentenceRequest(0, HIVES, "", ""))
    kept = TemplateGenerator(6)._make(SentenceRequest(0, HIVES, "", ""))
    assert all("reworded" not in p for p in made)
    followers = {}  # each ask question -> how many wordings follow it
    for i, pair in enumerate(pairs):
        if "reworded" in pair:
            before = next(p for p in reversed(pairs[:i]) if "reworded" not in p)
            followers[before["question"]] = followers.get(before["question"], 0) + 1
    assert sum(followers.values()) > 0
    assert len(made) == len(kept) + sum(followers.get(p["question"], 0) for p in kept)  # on top of the cap
    assert [p for p in made if p in kept] == kept


def test_reask_is_a_setting_and_part_of_the_cache_key():
    assert LiftConfig().synth.reask == 1
    assert "reask" not in TemplateGenerator(6).sampling_params()
    assert TemplateGenerator(6, reask=1).sampling_params()["reask"] == 1
    with pytest.raises(LiftError, match="synth.reask must be >= 0"):
        LiftConfig().with_overrides({"synth.reask": -1})


def test_a_long_sentence_keeps_its_yes_no_pair_and_its_other_wordings_through_the_pair_filter(tmp_path):
    """The filter cut every sentence's pairs to synth.qa_per_sentence (6): a sentence of 21 words or more lost
    its yes/no pair, which the template keeps on top of the cap, and synth.reask's other wordings replaced the
    pairs after them instead of coming on top."""
    from lift.config import SynthConfig
    from lift.synth.cache import GenerationCache
    from lift.testing.synthesis import synthesize_qa

    needle = "The best thing to do in San Francisco is eat a sandwich and sit in Dolores Park on a sunny day."
    for reask in (0, 1):
        generator = TemplateGenerator(6, reask=reask)
        made = generator._make(SentenceRequest(0, needle, needle, ""))
        with GenerationCache(tmp_path / f"cache{reask}.sqlite") as cache:
            kept = synthesize_qa("sha", [needle], generator, cache, SynthConfig(reask=reask)).pairs
        assert len(made) > 6 and [p.question for p in kept] == [p["question"] for p in made]
        assert kept[-1].answer.startswith("Yes: ")
