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
from lift.recipe import lift_document
from lift.synth.gist import ABOUT, BEGINNING, ENDING, PART, SUMMARY, central, frequent_names, gist_pairs, parts
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
    assert tasks[:6] == ["gist", "gist", "gist", "gist", "structure", "structure"] and "part" not in tasks
    about = pairs[0]
    assert about.question in ABOUT and pairs[2].question in SUMMARY
    assert pairs[1].question != about.question  # two wordings of the same question
    assert about.answer == " ".join(sentences[i] for i in central(vectors, list(range(12)), 2))
    assert len(pairs[2].answer.split(". ")) == 3  # the summary: three sentences
    assert pairs[4].question in BEGINNING and pairs[4].answer == " ".join(sentences[:2])
    assert pairs[5].question in ENDING and pairs[5].answer == " ".join(sentences[-2:])
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


# ---------------------------------------------------------------------- in a lift


def test_a_lift_with_gist_trains_the_whole_document_pairs_beside_the_qa(tiny, lift_home):
    text = " ".join(f"The mill at Orrin{'e' * (i % 2)} ground {i} sacks of barley for the village." for i in range(8))
    settings = {"train.epochs": 1, "train.min_steps": 0, "train.replay_ratio": 0.0, "train.batch_tokens": 64}
    plain = lift_document(document_from_text(text), tiny, LiftConfig().with_overrides(settings), home=lift_home)
    gist = LiftConfig().with_overrides({**settings, "synth.gist": True})
    lifted = lift_document(document_from_text(text), tiny, gist, force=True, home=lift_home)
    added = lifted.manifest.training.examples - plain.manifest.training.examples
    assert added == 7  # about x2, summary, main point, beginning, end, the names (no parts on this short text)
    assert LiftConfig().synth.gist is False
