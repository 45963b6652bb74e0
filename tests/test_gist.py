"""Whole-document questions (issue P): the gist tasks trained beside the QA (lift.synth.gist) and the gist suite
that asks a lifted document about itself (lift.eval.suites.gist)."""

import json
import re

import pytest
import torch

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.eval.metrics import keyword_score
from lift.eval.suites import DEFAULT_MODES, load_suite
from lift.eval.suites.gist import FORMS, gist_document, gist_items, gist_questions
from lift.infer.generation import Continuation
from lift.recipe import lift_document
from lift.synth import gist_reader
from lift.synth.cache import GenerationCache
from lift.synth.gist import (
    ABOUT,
    BEGINNING,
    ENDING,
    MAIN_POINT,
    PART,
    READ_WORDINGS,
    SUMMARY,
    central,
    frequent_names,
    gist_pairs,
    parts,
)  # fmt: skip
from lift.synth.gist_reader import PART_QUESTION, QUESTIONS, first_sentences, grounded_in, read_document
from lift.text.documents import document_from_text


def _unit(*values: float) -> list[float]:
    vector = torch.tensor(values, dtype=torch.float32)
    return (vector / vector.norm()).tolist()


def test_the_most_central_sentences_come_back_in_document_order():
    # sentences 1 and 3 are close to each other and to the rest; 0 and 2 are outliers
    vectors = torch.tensor([_unit(1, 0, 0), _unit(0.6, 1, 0.2), _unit(0, 0, 1), _unit(0.5, 1, 0.3)])
    assert central(vectors, [0, 1, 2, 3], 2) == [1, 3]
    assert central(vectors, [0, 2], 3) == [0, 2]  # fewer sentences than asked for: all of them


def test_a_long_document_is_cut_into_parts_of_about_the_given_size():
    sentences = [f"Sentence number {i} is here." for i in range(100)]
    cut = parts(sentences, part_chars=300)
    assert [i for part in cut for i in part] == list(range(100))
    assert all(290 <= sum(len(sentences[i]) + 1 for i in part) <= 330 for part in cut[:-1])
    assert parts(sentences[:3], part_chars=300) == [[0, 1, 2]]


def test_gist_pairs_answer_from_the_document_itself():
    sentences = [f"The harbour of Vell{'a' * (i % 3)} sees ship number {i} arrive at dawn." for i in range(12)]
    vectors = torch.nn.functional.normalize(torch.randn(12, 8, generator=torch.Generator().manual_seed(0)), dim=-1)
    pairs = gist_pairs(sentences, vectors, "sha")
    tasks = [p.task for p in pairs]
    assert tasks[:10] == ["gist"] * 4 + ["structure"] * 6 and "part" not in tasks
    about = pairs[0]
    assert about.question in ABOUT and pairs[2].question in SUMMARY
    assert pairs[1].question != about.question  # two wordings of the same question
    assert about.answer == " ".join(sentences[i] for i in central(vectors, list(range(12)), 2))
    assert len(pairs[2].answer.split(". ")) == 3  # the summary: three sentences
    begin, end = pairs[4:7], pairs[7:10]  # each asked in three wordings
    assert {p.question for p in begin} <= set(BEGINNING) and len({p.question for p in begin}) == 3
    assert {p.question for p in end} <= set(ENDING) and len({p.question for p in end}) == 3
    assert {p.answer for p in begin} == {" ".join(sentences[:2])}
    assert {p.answer for p in end} == {" ".join(sentences[-2:])}
    for pair in pairs:  # every answer sentence is a sentence of the document
        if pair.task != "names":
            assert all(s + "." in " ".join(sentences) for s in pair.answer.rstrip(".").split(". "))
    assert gist_pairs(sentences, vectors, "sha") == pairs  # deterministic
    assert gist_pairs(sentences[:1], vectors[:1]) == []


def test_a_document_of_several_parts_asks_what_each_part_is_about():
    sentences = [f"Chapter {i // 40} sentence {i} tells of the long road to the sea." for i in range(160)]
    vectors = torch.nn.functional.normalize(torch.randn(160, 8, generator=torch.Generator().manual_seed(1)), dim=-1)
    pairs = gist_pairs(sentences, vectors, "sha")
    asked = [p for p in pairs if p.task == "part"]
    cut = parts(sentences)
    assert len(asked) == len(cut) > 1
    assert "first" in asked[0].question and "last" in asked[-1].question
    assert all(p.question.replace("first", "{}").replace("last", "{}") in PART or "part" in p.question for p in asked)
    summary = pairs[2].answer  # one sentence from each part (at most MAX_PARTS)
    assert len([s for s in sentences if s in summary]) == min(len(cut), 5)


def test_names_are_the_capitalized_ones_found_in_several_sentences():
    sentences = [
        "The baron rode to Drachenhausen with Hans.",
        "Most of the men stayed behind, said Hans.",
        "At Drachenhausen the gate was shut.",
        "Where were they going, asked Ursela.",
        "Nobody knew where they went, and most did not care.",
    ]
    assert frequent_names(sentences) == ["Drachenhausen", "Hans"]  # not 'Most' or 'Where', written in lower case too
    funded = ["We went to Y Combinator first.", "Later Y Combinator and Sequoia met.", "I said Sequoia was early."]
    assert frequent_names(funded) == ["Y Combinator", "Sequoia"]  # a one-letter word starts a name before another


# ---------------------------------------------------------------------- the suite


def test_the_gist_fixture_is_well_formed():
    data = gist_questions()
    assert data["recipe"] and {d["split"] for d in data["documents"]} == {"dev", "test"}
    ids = [d["id"] for d in data["documents"]]
    assert len(set(ids)) == len(ids) and {d["kind"] for d in data["documents"]} == {"essay", "article", "story"}
    for spec in data["documents"]:
        mine = [q for q in data["questions"] if q["document"] == spec["id"]]
        assert 6 <= len(mine) <= 8, spec["id"]
        assert {"about", "main_point", "summary", "structure"} <= {q["form"] for q in mine} <= set(FORMS)
    for question in data["questions"]:
        assert question["document"] in ids
        assert 1 <= len(question["keywords"]) <= 4, question
        for keyword in question["keywords"]:  # no keyword gives itself away in its question
            assert not any(
                re.search(r"\b" + re.escape(option), question["question"], re.IGNORECASE)
                for option in keyword.split("|")
            ), question


def _fake_data(root):
    essays = root / "needle_haystack_pg_essays" / "PaulGrahamEssays"
    essays.mkdir(parents=True)
    for spec in gist_questions()["documents"]:
        if spec["kind"] == "essay":
            (essays / spec["source"]["file"]).write_text(f"An essay called {spec['id']}. It argues a point.", "utf-8")
    squad = root / "squad_v1.1_dev"
    squad.mkdir()
    articles = [
        {"title": s["source"]["title"], "paragraphs": [{"context": f"{s['id']} paragraph {n}."} for n in range(10)]}
        for s in gist_questions()["documents"]
        if s["kind"] == "article"
    ]
    (squad / "dev-v1.1.json").write_text(json.dumps({"data": articles}), "utf-8")
    folder = root / "longbench_subset_minilongbench"
    folder.mkdir()
    samples = {}
    for spec in gist_questions()["documents"]:
        if spec["kind"] == "story":
            source = spec["source"]
            before = samples.get(source["sample"], "Front matter.\n\n")
            body = f"{source['start']}\n\nThe   knight\nrode on ({spec['id']}).\n\nHe slept.\n\n{source['end']}\n\n"
            samples[source["sample"]] = before + body
    story = {k: {"origin_prompt": f"Story: {v}\n\nNow, answer the question based on the story as concisely as you "
                 "can.\n\nQuestion: Who?\n\nAnswer:", "gold": ["x"]} for k, v in samples.items()}  # fmt: skip
    (folder / "MiniLongBench_narrativeqa.json").write_text(json.dumps(story), "utf-8")


def test_gist_documents_and_items_by_split(tmp_path):
    _fake_data(tmp_path)
    data = gist_questions()
    every = gist_items(tmp_path, "all")
    assert len(every) == len(data["questions"]) and len({i.item_id for i in every}) == len(every)
    dev, test = gist_items(tmp_path, "dev"), gist_items(tmp_path)
    assert {i.group["split"] for i in dev} == {"dev"} and {i.group["split"] for i in test} == {"test"}
    assert len(dev) + len(test) == len(every)
    by_id = {d["id"]: d for d in data["documents"]}
    essay = gist_document(tmp_path, by_id["e-want"])
    assert essay.text == "An essay called e-want. It argues a point." and essay.source == "gist"
    article = gist_document(tmp_path, by_id["a-normans"])
    assert article.text.split("\n\n") == [f"a-normans paragraph {n}." for n in range(8)]  # its first 8 paragraphs
    chapter = gist_document(tmp_path, by_id["s-otto2"])
    assert chapter.text.startswith(by_id["s-otto2"]["source"]["start"])
    assert "The knight rode on (s-otto2)." in chapter.text  # whitespace inside a paragraph collapsed
    assert by_id["s-otto2"]["source"]["end"] not in chapter.text  # up to the next chapter's heading
    item = every[0]
    assert item.suite == "gist" and item.metrics == ("keywords",) and item.max_new_tokens == 96
    assert DEFAULT_MODES["gist"][:2] == ("lift_only", "auto")
    config = LiftConfig().with_overrides({"eval.gist_split": "dev"})
    assert [i.item_id for i in load_suite("gist", config, None, data_dir=tmp_path)] == [i.item_id for i in dev]
    with pytest.raises(LiftError, match="eval.gist_split must be one of"):
        LiftConfig().with_overrides({"eval.gist_split": "train"})
    with pytest.raises(LiftError, match="unknown gist split"):
        gist_items(tmp_path, "train")
    (tmp_path / "squad_v1.1_dev" / "dev-v1.1.json").write_text(json.dumps({"data": []}), "utf-8")
    with pytest.raises(LiftError, match="no SQuAD article 'Normans'"):
        gist_items(tmp_path, "dev")


def test_a_keyword_with_alternatives_counts_once_when_either_is_found():
    assert keyword_score("It is about addictive technology.", ["addict", "technolog|progress"]) == 1.0
    assert keyword_score("It is about progress.", ["addict", "technolog|progress"]) == 0.5
    assert keyword_score("The sandwiches were good.", ["sandwich"]) == 1.0  # NIAH's keywords, as before


def test_note_markers_are_not_part_of_an_extractive_answer():
    sentences = [f"The mill at Orrin ground {i} sacks.[{i + 1}]" for i in range(4)] + ["It closed in 1990. [5]"]
    vectors = torch.nn.functional.normalize(torch.randn(5, 8, generator=torch.Generator().manual_seed(2)), dim=-1)
    assert all("[" not in p.answer for p in gist_pairs(sentences, vectors, "sha"))


def test_a_readers_answers_are_trained_in_several_wordings_and_the_extractive_ones_stay_where_it_gave_none():
    sentences = [f"Chapter {i // 40} sentence {i} tells of the long road to the sea." for i in range(160)]
    vectors = torch.nn.functional.normalize(torch.randn(160, 8, generator=torch.Generator().manual_seed(1)), dim=-1)
    read = {"about": "It is about the long road to the sea.", "main_point": "The road to the sea is long."}
    cut = parts(sentences)
    part_gists = ["The first chapters walk the road."] + [""] * (len(cut) - 1)
    pairs = gist_pairs(sentences, vectors, "sha", read, part_gists)
    about = [p for p in pairs if p.answer == read["about"]]
    assert len(about) == READ_WORDINGS["about"] and {p.question for p in about} <= set(ABOUT)
    assert len({p.question for p in about}) == len(about) and all(p.task == "read" for p in about)
    main = [p for p in pairs if p.answer == read["main_point"]]
    assert len(main) == READ_WORDINGS["main_point"] and {p.question for p in main} <= set(MAIN_POINT)
    summary = [p for p in pairs if p.question in SUMMARY]  # no reader summary: the extractive one
    assert len(summary) == 1 and summary[0].task == "gist"
    assert summary[0].answer.startswith(sentences[summary[0].sentence_index])
    asked = [p for p in pairs if p.task == "part"]
    assert asked[0].answer == part_gists[0] and asked[1].answer.startswith(sentences[asked[1].sentence_index])


def test_a_looping_readers_answer_is_cut_before_it_repeats_itself():
    assert first_sentences("It is about a mill. The mill grinds barley. The mill grinds barley again.") == (
        "It is about a mill. The mill grinds barley."
    )
    assert first_sentences("One. Two. Three. Four.") == "One. Two. Three."  # at most three sentences
    assert first_sentences("It is about a mill that grinds") == ""  # no whole sentence
    assert first_sentences("A mysterious and mysterious mystery of a mysterious and mysterious tree.") == ""


def test_a_readers_answer_is_grounded_by_its_words_about_the_text_not_the_words_about_texts():
    source = "The mill at Orrin ground barley for the village until the river dried up."
    assert grounded_in("The text explores how the mill ground barley for the village.", source)
    assert not grounded_in("The essay discusses climate change and polar bears.", source)
    assert not grounded_in("The text explores the main idea.", source)  # nothing but words about a text


def _reader(monkeypatch) -> list[str]:
    """Stub the reader's generation: each answer names the last line of what it read (a text of walls: something
    else); returns the prompts read."""
    read = []

    def generate(model, tokenizer, prompts, max_new_tokens, prefix_length, **_):
        texts = [tokenizer.decode(p) for p in prompts]
        read.extend(texts)
        lines = [t.split("Answer the question")[0].strip().splitlines()[-1] for t in texts]
        answers = [f"It says that {line.split('.')[0].lower()}. And more" for line in lines]
        answers = ["Polar bears swim far." if "walls" in t else a for t, a in zip(texts, answers, strict=True)]
        yield [Continuation(answer, 9, True) for answer in answers]

    monkeypatch.setattr(gist_reader, "generate_after_prefix", generate)
    return read


def test_the_reader_reads_a_document_that_fits_once_and_answers_from_the_cache_next_time(tiny, tmp_path, monkeypatch):
    read = _reader(monkeypatch)
    text = "The mill at Orrin ground barley.\nThe river turned the mill wheel."
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        first = read_document(tiny, cache, text, [text], None)
        assert len(read) == len(QUESTIONS) and all(text in prompt for prompt in read)
        assert first.answers == dict.fromkeys(QUESTIONS, "It says that the river turned the mill wheel.")
        assert first.generated_tokens == 9 * len(QUESTIONS) and first.parts == []
        again = read_document(tiny, cache, text, [text], None)
    assert again.answers == first.answers and again.generated_tokens == 0 and len(read) == len(QUESTIONS)
    assert read_document(tiny, cache, " \n", [], None) == gist_reader.ReaderAnswers()  # nothing to read


def test_a_document_beyond_the_window_is_read_a_part_at_a_time_then_from_the_parts_gists(tiny, tmp_path, monkeypatch):
    read = _reader(monkeypatch)
    part_texts = [f"Part {i}: " + " ".join(f"the mill{i} ground {j} sacks." for j in range(40)) for i in range(3)]
    part_texts[1] = "\n".join(["Nothing here but walls."] * 5)
    text = "\n".join(part_texts)
    assert len(tiny.tokenizer(text)["input_ids"]) > tiny.window
    with GenerationCache(tmp_path / "cache.sqlite") as cache:
        result = read_document(tiny, cache, text, part_texts, None)
    assert sum(PART_QUESTION in prompt for prompt in read) == 3
    assert result.parts[0] == "It says that part 0: the mill0 ground 0 sacks." and result.parts[1] == ""  # not grounded
    whole = [prompt for prompt in read if PART_QUESTION not in prompt]
    assert len(whole) == len(QUESTIONS) and all(result.parts[2] in prompt and "walls" not in prompt for prompt in whole)
    assert set(result.answers) == set(QUESTIONS)


# ---------------------------------------------------------------------- in a lift


def test_a_lift_with_gist_trains_the_whole_document_pairs_beside_the_qa(tiny, lift_home):
    text = " ".join(f"The mill at Orrin{'e' * (i % 2)} ground {i} sacks of barley for the village." for i in range(8))
    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 64}
    plain = lift_document(document_from_text(text), tiny, LiftConfig().with_overrides(settings), home=lift_home)
    gist = LiftConfig().with_overrides({**settings, "synth.gist": True})
    lifted = lift_document(document_from_text(text), tiny, gist, force=True, home=lift_home)
    added = lifted.manifest.training.examples - plain.manifest.training.examples
    assert added == 13  # about x2, summary, main point, beginning x3, end x3, the names x3 (no parts on this text)
    # (the tiny random model's own answers are not grounded in the text: the extractive ones are trained)
    assert LiftConfig().synth.gist is False
