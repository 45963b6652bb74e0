"""Suite loaders: needle placement, prompt splitting, file formats and their errors."""

import bisect
import json
import random
import re
from pathlib import Path

import pytest

from conftest import build_tiny_tokenizer
from lift.config import TEMPLATE_FORMS, LiftConfig
from lift.errors import LiftError
from lift.eval.data_dir import resolve_data_dir
from lift.eval.metrics import all_keywords_whole_word
from lift.eval.report import write_report
from lift.eval.results import DOCUMENTS, RESULTS, EvalRow, append_rows
from lift.eval.suites import DEFAULT_MODES, load_suite
from lift.eval.suites.custom import custom_items
from lift.eval.suites.longbench import TASKS, split_prompt
from lift.eval.suites.loogle import loogle_items
from lift.eval.suites.niah import (
    DEV_NEEDLE,
    DEV_QUESTION,
    NEEDLE,
    REWORDED,
    build_haystack,
    niah_items,
    plant_needles,
)  # fmt: skip
from lift.eval.suites.paraphrase import DIRECT_FORMS, INDIRECT_FORMS, paraphrase_facts, paraphrase_items
from lift.eval.suites.squad import squad_items
from lift.samples import needle_sample
from lift.synth.template import phrase_pairs, template_pairs

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def synthetic_essays(seed: int = 0, sentences: int = 600) -> str:
    rng = random.Random(seed)
    words = "startup founders build products users money growth ideas essays cities work time people".split()
    out = []
    for _ in range(sentences):
        n = rng.randint(3, 25)
        out.append(" ".join(rng.choice(words) for _ in range(n)).capitalize() + rng.choice(".!?"))
    return " ".join(out)


@pytest.mark.parametrize("length", [400, 777, 1500])
def test_needle_sits_at_a_sentence_boundary_at_the_requested_depth(tiny, length):
    essays = synthetic_essays()
    tokenizer = tiny.tokenizer
    for depth in range(0, 101, 10):
        haystack = build_haystack(essays, tokenizer, length, depth)
        text = haystack.text
        start = haystack.needle_char
        assert text[start : start + len(NEEDLE)] == NEEDLE
        assert start == 0 or text[start - 2] in ".!?"  # a sentence ended right before the needle
        after = text[start + len(NEEDLE) :]
        assert after == "" or after[0] == " "
        # the needle's real depth, in tokens of the haystack without it
        hay = (text[:start] + text[start + len(NEEDLE) :]).strip()
        before_tokens = len(tokenizer(text[:start].rstrip(), add_special_tokens=False)["input_ids"])
        hay_tokens = len(tokenizer(hay, add_special_tokens=False)["input_ids"])
        longest_sentence = max(len(tokenizer(s, add_special_tokens=False)["input_ids"]) for s in _sentences(hay))
        assert abs(before_tokens / hay_tokens - depth / 100) <= (longest_sentence / 2 + 3) / hay_tokens, (length, depth)
        assert abs(haystack.depth - before_tokens / hay_tokens) < 0.02
        total = len(tokenizer(text, add_special_tokens=False)["input_ids"])
        assert length - longest_sentence - 4 <= total <= length + 2, (length, depth, total)


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s]


def test_niah_items_cover_the_grid(tmp_path, tiny):
    folder = tmp_path / "needle_haystack_pg_essays" / "PaulGrahamEssays"
    folder.mkdir(parents=True)
    (folder / "b.txt").write_text(synthetic_essays(1, 200), encoding="utf-8")
    (folder / "a.txt").write_text(synthetic_essays(2, 200), encoding="utf-8")
    items = niah_items(tmp_path, tiny.tokenizer, [300, 600], [0, 50, 100], reworded=False)
    assert [i.item_id for i in items] == ["L300-d0", "L300-d50", "L300-d100", "L600-d0", "L600-d50", "L600-d100"]
    assert len({i.document.doc_id for i in items}) == 6
    # every cell asks its needle in its own words, then in five others (group wording "reworded")
    asked = niah_items(tmp_path, tiny.tokenizer, [300], [50])
    assert [i.item_id for i in asked] == ["L300-d50"] + [f"L300-d50-w{n}" for n in range(1, 6)]
    assert [i.question for i in asked[1:]] == list(REWORDED) and len({i.document.doc_id for i in asked}) == 1
    assert {i.group["wording"] for i in asked[1:]} == {"reworded"} and asked[0].group["wording"] == "original"
    assert items[0].document.text.startswith(NEEDLE) and items[2].document.text.endswith(NEEDLE)
    assert items[0].keywords == ["sandwich", "Dolores Park", "sunny"]
    dev = niah_items(tmp_path, tiny.tokenizer, [300], [0], needle="dev")
    assert dev[0].item_id == "dev-L300-d0" and dev[0].document.text.startswith(DEV_NEEDLE)
    assert dev[0].question == DEV_QUESTION and dev[0].keywords == ["tram 28", "coffee", "kiosk"]
    haystack = dev[0].document.text[len(DEV_NEEDLE) :].strip()
    assert haystack.startswith(synthetic_essays(1, 200)[:40])  # the essays in reverse file order: b.txt first
    assert items[0].document.text[len(NEEDLE) :].strip().startswith(synthetic_essays(2, 200)[:40])


def longbench_prompt(task: str) -> tuple[str, str, str]:
    context = "Paragraph 1: Alpha.\nParagraph 2: Beta." if task == "passage_retrieval_en" else "Some long context."
    prompts = {
        "narrativeqa": f"You are given a story.\n\nStory: {context}\n\nNow, answer the question based on the story "
        "as concisely as you can.\n\nQuestion: Who is Apis?\n\nAnswer:",
        "musique": f"Answer the question.\n\nThe following are given passages.\n{context}\n\nAnswer the question "
        "based on the given passages. Only give me the answer.\n\nQuestion: Where is X?\nAnswer:",
        "qmsum": f"You are given a transcript.\n\nTranscript:\n{context}\n\nNow, answer the query based on the "
        "above meeting transcript in one or more sentences.\n\nQuery: What was decided?\nAnswer:",
        "gov_report": f"You are given a report.\n\nReport:\n{context}\n\nNow, write a one-page summary of the "
        "report.\n\nSummary:",
        "passage_retrieval_en": "Here are 2 paragraphs from Wikipedia, along with an abstract. Please determine "
        f"which paragraph the abstract is from.\n\n{context}\n\nThe following is an abstract.\n\nBeta things."
        "\n\nPlease enter the number of the paragraph that the abstract is from. The answer format must be like "
        '"Paragraph 1".\n\nThe answer is: ',
    }
    question = {
        "narrativeqa": "Who is Apis?",
        "musique": "Where is X?",
        "qmsum": "What was decided?",
        "gov_report": None,
        "passage_retrieval_en": "Beta things.",
    }[task]
    return prompts[task], context, question


@pytest.mark.parametrize("task", list(TASKS))
def test_longbench_prompt_splits_into_context_and_question(task):
    prompt, context, question = longbench_prompt(task)
    got_context, got_question = split_prompt(task, prompt)
    assert got_context == context
    if question is None:
        assert got_question == TASKS[task].instruction
    else:
        assert got_question == f"{question}\n{TASKS[task].instruction}"


def test_longbench_split_rejects_a_foreign_prompt():
    with pytest.raises(LiftError, match="context markers"):
        split_prompt("qmsum", "nothing to see")


@pytest.mark.skipif(not SHARED.is_dir(), reason="shared benchmark data not on this machine")
def test_every_staged_longbench_sample_splits():
    from lift.eval.suites.longbench import longbench_items

    items = longbench_items(SHARED)
    assert len(items) == 46
    for item in items:
        assert len(item.document.text) > 5000 and item.question
        assert "Question:" not in item.question and "Transcript:" not in item.document.text[:20]


def test_loogle_reads_python_literal_qa_pairs(tmp_path):
    folder = tmp_path / "loogle_sample"
    folder.mkdir()
    pairs = [{"S": "s", "Q": "Where was Ana born?", "A": "In Porto."}, {"S": "t", "Q": "When?", "A": "1990"}]
    record = {"input": "Ana was born in Porto in 1990.", "title": "Ana", "qa_pairs": repr(pairs), "output": "none"}
    (folder / "shortdep_qa.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    long_pairs = [{"Q": "Why?", "A": "Because.", "type": "computation", "S": ["x"]}]
    (folder / "longdep_qa.jsonl").write_text(json.dumps({**record, "qa_pairs": repr(long_pairs)}) + "\n", "utf-8")
    items = loogle_items(tmp_path)
    assert [i.item_id for i in items] == ["shortdep_qa-1-0", "shortdep_qa-1-1", "longdep_qa-1-0"]
    assert items[0].references == ["In Porto."] and items[2].group == {"task": "longdep_qa", "type": "computation"}
    assert len({i.document.doc_id for i in items}) == 1  # the same document is lifted once


def test_squad_takes_whole_passages_seeded(tmp_path):
    folder = tmp_path / "squad_v1.1_dev"
    folder.mkdir()
    paragraphs = [
        {
            "context": f"Passage {p} text.",
            "qas": [{"id": f"{p}-{q}", "question": "Q?", "answers": [{"text": "A"}]} for q in range(3)],
        }
        for p in range(5)
    ]
    (folder / "dev-v1.1.json").write_text(json.dumps({"data": [{"title": "T", "paragraphs": paragraphs}]}), "utf-8")
    items = squad_items(tmp_path, questions=7, seed=3)
    assert len(items) == 7
    assert len({i.document.doc_id for i in items}) == 3  # 3 + 3 + 1
    assert squad_items(tmp_path, questions=7, seed=3)[0].item_id == items[0].item_id
    assert items[0].question.endswith("Answer in a few words.")
    dev = squad_items(tmp_path, questions=6, seed=3, split="dev")
    assert len({i.document.doc_id for i in dev}) == 2  # the two passages the test split drew last
    assert not {i.document.doc_id for i in dev} & {i.document.doc_id for i in items}


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n", "utf-8")
    return path


def test_custom_format_free_text_path_and_multiple_choice(tmp_path):
    (tmp_path / "doc.txt").write_text("Mira keeps bees on the roof.", encoding="utf-8")
    path = write_jsonl(
        tmp_path / "q.jsonl",
        [
            {"question": "Who keeps bees?", "answer": "Mira", "document_path": "doc.txt"},
            {
                "id": "mc",
                "question": "Where?",
                "options": ["roof", "cellar"],
                "answer": "A",
                "document_path": "doc.txt",
            },
            {"question": "Colour?", "answers": ["red", "crimson"], "document": "The door is red."},
        ],
    )
    items = custom_items(path)
    assert [i.item_id for i in items] == ["1", "mc", "3"]
    assert items[0].document.doc_id == items[1].document.doc_id != items[2].document.doc_id
    assert items[1].references == ["roof"] and items[1].metrics == ("accuracy",)
    assert "A. roof" in items[1].question and "B. cellar" in items[1].question
    assert items[2].references == ["red", "crimson"]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "1: not valid JSON"),
        ('["a"]', "1: each line must be a JSON object"),
        ({"answer": "x", "document": "d"}, "'question'"),
        ({"question": "q", "answer": "x"}, "exactly one of 'document'"),
        ({"question": "q", "answer": "x", "document": "d", "document_path": "p"}, "exactly one of 'document'"),
        ({"question": "q", "answer": "x", "document_path": "missing.txt"}, "not found"),
        ({"question": "q", "document": "d"}, "'answers'"),
        ({"question": "q", "document": "d", "options": ["a"], "answer": "a"}, "'options'"),
        ({"question": "q", "document": "d", "options": ["a", "b"], "answer": "C"}, "option letter"),
    ],
)
def test_custom_format_errors_name_the_line(tmp_path, line, message):
    path = write_jsonl(tmp_path / "bad.jsonl", [line])
    with pytest.raises(LiftError, match=re.escape(message)):
        custom_items(path)


def test_custom_duplicate_ids_and_empty_file(tmp_path):
    record = {"id": "x", "question": "q", "answer": "a", "document": "d"}
    with pytest.raises(LiftError, match="duplicate id"):
        custom_items(write_jsonl(tmp_path / "dup.jsonl", [record, record]))
    (tmp_path / "empty.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(LiftError, match="no questions"):
        custom_items(tmp_path / "empty.jsonl")


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv("LIFT_DATA", str(tmp_path))
    assert resolve_data_dir() == tmp_path
    assert resolve_data_dir(explicit=tmp_path / ".") == tmp_path / "."
    with pytest.raises(LiftError, match="data directory not found"):
        resolve_data_dir(explicit=tmp_path / "nope")


# The paraphrase suite and the multi-needle haystack it is built on.


@pytest.fixture(scope="module")
def tiny_tokenizer():
    return build_tiny_tokenizer()


def _build_haystack_before_refactor(essays: str, tokenizer, length: int, depth_percent: float, needle: str = NEEDLE):
    """niah.build_haystack as it was before plant_needles (commit 1ce7d5f), kept to prove NIAH is unchanged."""
    sentence_end = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
    needle_tokens = len(tokenizer(" " + needle, add_special_tokens=False)["input_ids"]) + 1
    target_tokens = length - needle_tokens
    text = essays[: length * 8]
    encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    while len(encoded["input_ids"]) < target_tokens:
        text = text + "\n\n" + essays
        encoded = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    haystack = text[: offsets[target_tokens - 1][1]]
    ends = [m.start() for m in sentence_end.finditer(haystack + " ")]
    if ends and ends[-1] > len(haystack) // 2:
        haystack = haystack[: ends[-1]]
    starts = [start for start, end in offsets if end <= len(haystack)]
    target_tokens = len(starts)
    boundaries = {0: 0, target_tokens: len(haystack)}
    for match in sentence_end.finditer(haystack):
        token = bisect.bisect_left(starts, match.end())
        if 0 < token < target_tokens:
            boundaries.setdefault(token, match.start())
    wanted = depth_percent / 100 * target_tokens
    token = min(boundaries, key=lambda b: (abs(b - wanted), b))
    char = boundaries[token]
    before, after = haystack[:char].rstrip(), haystack[char:].lstrip()
    joined = (before + " " if before else "") + needle + (" " + after if after else "")
    return joined, token / target_tokens, len(before) + (1 if before else 0)


@pytest.mark.parametrize("length", [300, 777, 1500])
def test_niah_haystacks_unchanged_by_the_multi_needle_refactor(tiny_tokenizer, length):
    for essays in (synthetic_essays(), synthetic_essays(4, 40) + "\n\n" + synthetic_essays(5, 40)):
        for depth in (0, 10, 33.3, 50, 87.5, 100):
            haystack = build_haystack(essays, tiny_tokenizer, length, depth)
            got = (haystack.text, haystack.depth, haystack.needle_char)
            assert got == _build_haystack_before_refactor(essays, tiny_tokenizer, length, depth), (length, depth)


def test_needles_on_the_same_boundary_go_side_by_side_in_the_given_order(tiny_tokenizer):
    planted = plant_needles(synthetic_essays(), tiny_tokenizer, 600, [("First one.", 50), ("Second one.", 50)])
    assert "First one. Second one." in planted.text
    assert planted.depths[0] == planted.depths[1]
    assert planted.needle_chars == [planted.text.index("First one."), planted.text.index("Second one.")]


def _fixture_facts() -> dict[str, dict]:
    return {fact["id"]: fact for fact in paraphrase_facts()["facts"]}


def _whole_word(option: str, text: str) -> bool:
    return re.search(rf"\b{re.escape(option)}\b", text, re.IGNORECASE) is not None


def test_paraphrase_fixture_is_well_formed():
    data = paraphrase_facts()
    facts = _fixture_facts()
    assert data["recipe"] and len(facts) == len(data["facts"]) >= 20
    assert len({h["id"] for h in data["haystacks"]}) == len(data["haystacks"])
    families = {h.get("family", "names") for h in data["haystacks"]}
    assert families == {"names", "objects"}
    for family in families:  # one dev haystack per family, the rest scored
        splits = [h["split"] for h in data["haystacks"] if h.get("family", "names") == family]
        assert splits.count("dev") == 1 and set(splits) == {"dev", "test"}, family
    objects = {f for h in data["haystacks"] if h.get("family") == "objects" for f in h["facts"]}
    for fact_id in objects:  # asked without a name: no capitalized word after the first
        assert not any(w[0].isupper() for w in facts[fact_id]["fact"].split()[1:]), fact_id
    assert sorted(f for h in data["haystacks"] for f in h["facts"]) == sorted(facts)  # each fact planted once
    for fact in facts.values():
        sentence = fact["fact"]
        assert 15 <= len(sentence.split()) <= 30, fact["id"]
        assert sentence.endswith(".") and not re.search(r"[.!?]\s", sentence), fact["id"]  # one sentence
        forms = [q["form"] for q in fact["questions"]]
        assert len(forms) >= 7, fact["id"]
        assert set(forms) <= set(DIRECT_FORMS) | set(INDIRECT_FORMS), fact["id"]
        assert len(set(forms) & set(DIRECT_FORMS)) >= 3, fact["id"]
        assert set(INDIRECT_FORMS) <= set(forms), fact["id"]
        assert len({q["question"] for q in fact["questions"]}) == len(forms), fact["id"]
        for question in fact["questions"]:
            keywords = question["keywords"]
            assert 1 <= len(keywords) <= 2 and all(k.strip() for k in keywords), question
            for keyword in keywords:  # the question does not give its answer away
                assert not any(_whole_word(option, question["question"]) for option in keyword.split("|")), question
            if question["form"] == "yes_no":
                assert keywords == ["yes"], question
            else:  # the fact itself is a right answer
                assert all_keywords_whole_word(sentence, keywords), question


# What the template generator asks (lift/synth/template.py; aux.py's template pair for the auxiliary tasks).
TEMPLATE_FORM = re.compile(
    r"^\s*what\s+(is|are|was|were)\b|what does the text (say|tell)|complete the sentence|right after", re.IGNORECASE
)


def test_paraphrase_questions_use_no_template_form():
    fixed_forms = ["definition", "key_phrase", "cloze", "succession"]
    for fact in _fixture_facts().values():
        previous = "The essay went on about startups."
        fixed = template_pairs(fact["fact"], previous_sentence=previous, forms=fixed_forms)
        assert fixed and all(TEMPLATE_FORM.search(p["question"]) for p in fixed)  # the pattern covers them
        # the sentence-specific forms (wh, about, ...) are in the default: none of them may be a suite question
        asked = {_plain(p["question"]) for p in template_pairs(fact["fact"], previous, forms=TEMPLATE_FORMS)}
        asked |= {_plain(p["question"]) for p in phrase_pairs(fact["fact"], previous)}
        for question in fact["questions"]:
            assert not TEMPLATE_FORM.search(question["question"]), question
            assert _plain(question["question"]) not in asked, question


def _plain(question: str) -> str:
    return " ".join(question.lower().rstrip("?.!").split())


def write_fake_essays(root: Path, files: int = 5) -> list[str]:
    folder = root / "needle_haystack_pg_essays" / "PaulGrahamEssays"
    folder.mkdir(parents=True)
    texts = [synthetic_essays(10 + n, 150) for n in range(files)]
    for n, text in enumerate(texts):
        (folder / f"essay{n}.txt").write_text(text, encoding="utf-8")
    return texts


def test_paraphrase_haystacks_hold_each_fact_once_in_depth_order(tmp_path, tiny_tokenizer):
    data = paraphrase_facts()
    essays = write_fake_essays(tmp_path, files=len(data["haystacks"]))
    facts = _fixture_facts()
    items = paraphrase_items(tmp_path, tiny_tokenizer, split="all")
    documents = {item.group["haystack"]: item.document for item in items}
    assert list(documents) == [h["id"] for h in data["haystacks"]]
    assert len({d.doc_id for d in documents.values()}) == len(documents)
    for j, haystack in enumerate(data["haystacks"]):
        document = documents[haystack["id"]]
        assert document.text.startswith(essays[j][:80])  # haystack j starts at the j-th essay file
        assert document.title == f"Paraphrase haystack {haystack['id']} (2000 tokens, 5 facts)"
        assert document.source == "paraphrase"
        positions = []
        for fact_id in haystack["facts"]:
            assert document.text.count(facts[fact_id]["fact"]) == 1, fact_id
            positions.append(document.text.index(facts[fact_id]["fact"]))
        assert positions == sorted(positions)
        depths = {i.group["fact"]: i.group["achieved_depth"] for i in items if i.group["haystack"] == haystack["id"]}
        k = len(haystack["facts"])
        for i, fact_id in enumerate(haystack["facts"]):
            assert abs(depths[fact_id] - (i + 0.5) / k) < 0.05, (fact_id, depths[fact_id])
        tokens = len(tiny_tokenizer(document.text, add_special_tokens=False)["input_ids"])
        assert 1800 <= tokens <= 2002, tokens
    short = paraphrase_items(tmp_path, tiny_tokenizer, split="dev", tokens=600)  # the inner loop's haystacks
    assert {i.group["haystack"] for i in short} == {h["id"] for h in data["haystacks"] if h["split"] == "dev"}
    for document in {i.document.doc_id: i.document for i in short}.values():
        assert len(tiny_tokenizer(document.text, add_special_tokens=False)["input_ids"]) <= 602
    for item in short:  # other_fact: the other facts' answers of the same haystack, never this fact's own
        own = {a for q in facts[item.group["fact"]]["questions"] for k in q["keywords"] for a in k.split("|")}
        assert item.distractors and not set(item.distractors) & own


def test_paraphrase_items_by_split(tmp_path, tiny_tokenizer):
    write_fake_essays(tmp_path)
    data = paraphrase_facts()
    facts = _fixture_facts()
    every = paraphrase_items(tmp_path, tiny_tokenizer, split="all")
    dev = paraphrase_items(tmp_path, tiny_tokenizer, split="dev")
    test = paraphrase_items(tmp_path, tiny_tokenizer)
    assert [i.item_id for i in test] == [i.item_id for i in paraphrase_items(tmp_path, tiny_tokenizer, "test")]
    assert sorted((i.item_id, i.document.doc_id) for i in dev + test) == sorted(
        (i.item_id, i.document.doc_id) for i in every
    )
    assert len({i.item_id for i in every}) == len(every) == sum(len(f["questions"]) for f in facts.values())
    dev_facts = {f for h in data["haystacks"] if h["split"] == "dev" for f in h["facts"]}
    assert {i.group["fact"] for i in dev} == dev_facts and {i.group["split"] for i in dev} == {"dev"}
    assert {i.group["fact"] for i in test} == set(facts) - dev_facts and {i.group["split"] for i in test} == {"test"}
    first = every[0]
    fact = facts[first.group["fact"]]
    question = fact["questions"][0]
    assert first.item_id == f"{fact['id']}-{question['form']}-1" and first.suite == "paraphrase"
    assert first.question == question["question"] and first.keywords == question["keywords"]
    assert first.references == [fact["fact"]] and first.metrics == ("correct", "other_fact")
    assert first.max_new_tokens == 48 and first.group["family"] == "names"
    assert {i.group["direct"] for i in every if i.group["form"] in DIRECT_FORMS} == {True}
    assert {i.group["direct"] for i in every if i.group["form"] in INDIRECT_FORMS} == {False}
    with pytest.raises(LiftError, match="unknown paraphrase split 'train'"):
        paraphrase_items(tmp_path, tiny_tokenizer, split="train")


def test_paraphrase_split_setting_reaches_the_suite(tmp_path, tiny_tokenizer):
    write_fake_essays(tmp_path)
    assert LiftConfig().eval.paraphrase_split == "test"
    assert DEFAULT_MODES["paraphrase"] == ("lift_only", "icl", "rag", "no_context")
    with pytest.raises(LiftError, match="eval.paraphrase_split must be one of"):
        LiftConfig().with_overrides({"eval.paraphrase_split": "train"})
    config = LiftConfig().with_overrides({"eval.paraphrase_split": "dev"})
    items = load_suite("paraphrase", config, tiny_tokenizer, data_dir=tmp_path)
    assert items and {i.group["split"] for i in items} == {"dev"}


def test_paraphrase_report_breaks_down_by_direct_and_form(tmp_path):
    rows = [
        {
            "suite": "paraphrase",
            "mode": mode,
            "item_id": f"f01-{form}-1",
            "doc_id": "d1",
            "scores": {"correct": float(mode == "icl" or form == "who")},
            "seconds": 0.1,
            "group": {"form": form, "direct": form in DIRECT_FORMS, "fact": "f01", "haystack": "h1", "split": "dev"},
        }
        for mode in ("lift_only", "icl")
        for form in ("who", "when", "synonym", "yes_no")
    ]
    append_rows(tmp_path / RESULTS, [EvalRow.from_dict(row) for row in rows])
    text = write_report(tmp_path, samples=200).read_text(encoding="utf-8")
    assert "By direct (correct):" in text and "By form (correct):" in text
    assert "| True | 50.0 (n=2) | 100.0 (n=2) |" in text and "| False | 0.0 (n=2) | 100.0 (n=2) |" in text
    assert "| who | 100.0 (n=1) | 100.0 (n=1) |" in text


def test_long_document_report_scores_each_document_with_its_interval(tmp_path):
    rows = [
        {
            "suite": "loogle",
            "mode": mode,
            "item_id": f"shortdep_qa-{doc}-{q}",
            "doc_id": f"doc{doc}",
            "scores": {"f1": float(mode == "lift_icl" and doc == 1)},
            "seconds": 0.1,
            "group": {"task": "shortdep_qa"},
        }
        for mode in ("icl", "lift_icl")
        for doc in (1, 2)
        for q in range(3)
    ]
    append_rows(tmp_path / RESULTS, [EvalRow.from_dict(row) for row in rows])
    lifted = {"title": "LooGLE: One", "tokens": 9000, "qa_pairs_kept": 1, "qa_pairs_parsed": 1, "lift_seconds": 1.0}
    lifted |= {"strict_grounding_rate": 1.0, "train_tokens_per_second": 1.0, "reused_from_store": False}
    (tmp_path / DOCUMENTS).write_text(json.dumps({"doc1": lifted}), encoding="utf-8")
    text = write_report(tmp_path, samples=200).read_text(encoding="utf-8")
    assert "By document (f1, 95 % interval over its questions):" in text
    assert "| LooGLE: One | 3 | 100.0 [100.0, 100.0] | 0.0 [0.0, 0.0] |" in text
    assert "| doc2 | 3 | 0.0 [0.0, 0.0] | 0.0 [0.0, 0.0] |" in text


def test_load_suite_keeps_the_documents_named_by_id_prefix(tmp_path, tiny_tokenizer):
    write_fake_essays(tmp_path)
    config = LiftConfig().with_overrides({"eval.paraphrase_split": "dev"})
    every = load_suite("paraphrase", config, tiny_tokenizer, data_dir=tmp_path)
    ids = list(dict.fromkeys(i.document.doc_id for i in every))
    assert len(ids) >= 2
    chosen = load_suite("paraphrase", config, tiny_tokenizer, data_dir=tmp_path, doc_ids=[ids[1][:8]])
    assert chosen and {i.document.doc_id for i in chosen} == {ids[1]}
    with pytest.raises(LiftError, match="no document of the paraphrase suite has an id starting with ffff"):
        load_suite("paraphrase", config, tiny_tokenizer, data_dir=tmp_path, doc_ids=["ffff"])


def test_general_dev_split_asks_other_questions_after_lifting_the_paraphrase_dev_haystacks(tmp_path, tiny_tokenizer):
    write_fake_essays(tmp_path, files=len(paraphrase_facts()["haystacks"]))
    test = load_suite("general", LiftConfig(), tiny_tokenizer)
    config = LiftConfig().with_overrides({"eval.general_split": "dev", "eval.paraphrase_tokens": 600})
    dev = load_suite("general", config, tiny_tokenizer, data_dir=tmp_path)
    paraphrase_dev = config.with_overrides({"eval.paraphrase_split": "dev"})
    haystacks = {i.document.doc_id for i in load_suite("paraphrase", paraphrase_dev, tiny_tokenizer, data_dir=tmp_path)}
    assert {i.document.doc_id for i in dev} == haystacks and len(haystacks) >= 2
    assert {i.document.doc_id for i in test} == {needle_sample().doc_id}
    assert not {i.question for i in dev} & {i.question for i in test}
    assert len(dev) == len(haystacks) * len({i.question for i in dev})
    with pytest.raises(LiftError, match="eval.general_split must be one of"):
        LiftConfig().with_overrides({"eval.general_split": "train"})


def test_the_facts_needle_family_plants_each_needle_once_in_its_own_haystack(tmp_path, tiny_tokenizer):
    from lift.eval.suites.niah import FACT_NEEDLES

    write_fake_essays(tmp_path)
    folder = tmp_path / "longbench_subset_minilongbench"
    folder.mkdir()
    story = "Otto rode to the castle at dawn. The baron waited by the gate.\n\n" * 2000
    samples = {key: {"origin_prompt": f"Story: {story}\n\nNow, answer the question based on the story.\n\n"
                     "Question: Who?\n\nAnswer:", "gold": ["x"]} for key in ("0", "1", "3")}  # fmt: skip
    (folder / "MiniLongBench_narrativeqa.json").write_text(json.dumps(samples), encoding="utf-8")
    config = LiftConfig().with_overrides(
        {"eval.niah_needle": "facts", "eval.niah_lengths": [400, 800], "eval.niah_depths": [50]}
    )
    items = load_suite("niah", config, tiny_tokenizer, data_dir=tmp_path)
    documents = {i.document.doc_id: i for i in items}
    assert len(documents) == len(FACT_NEEDLES) * 2 and len(items) == 3 * len(documents)
    for name, kind, needle, question, keywords, _ in FACT_NEEDLES:
        mine = [i for i in items if i.group["needle"] == name]
        assert {i.group["haystack"] for i in mine} == {kind} and {i.references[0] for i in mine} == {needle}
        assert [i.question for i in mine if i.group["wording"] == "original"] == [question, question]
        for item in mine:
            assert item.document.text.count(needle) == 1 and item.keywords == keywords
            assert ("Otto rode" in item.document.text) == (kind == "fiction")
    with pytest.raises(LiftError, match="narrativeqa stories"):
        (folder / "MiniLongBench_narrativeqa.json").unlink()
        load_suite("niah", config, tiny_tokenizer, data_dir=tmp_path)


def test_a_needle_never_lands_inside_a_quotation(tiny_tokenizer):
    # Fiction ends sentences inside quotes ('... abroad."'): the boundary is after the closing quote, so a planted
    # fact is never read as something a character says (the bug: it went in before the closing quote).
    story = " ".join(
        f'"Go back, Conrad number {n}," said Nicholas. "Thou art not fit to be abroad." He went.' for n in range(80)
    )
    for depth in range(0, 101, 5):
        planted = plant_needles(story, tiny_tokenizer, 500, [("The key lay under the stairs.", depth)])
        start = planted.needle_chars[0]
        assert planted.text.count('"', 0, start) % 2 == 0, (depth, planted.text[start - 40 : start + 40])


# The rewording suite: recall in a user's own words on enough facts to tell two recipes apart (issue O).
from lift.eval.suites.rewording import FORMS as REWORDING_FORMS  # noqa: E402
from lift.eval.suites.rewording import SHAPES, rewording_facts, rewording_items  # noqa: E402

_TEMPLATE_START = re.compile(
    r"^\s*(what\s+(is|are|was|were)\b|tell me about|what do you know about|what happened with|what can you tell me "
    r"about|what is said about|remind me what we know about|what is the story of|what did .{1,60} do\?)",
    re.IGNORECASE,
)


def test_rewording_fixture_is_well_formed():
    data = rewording_facts()
    facts = {fact["id"]: fact for fact in data["facts"]}
    assert data["recipe"] and len(facts) == len(data["facts"])
    assert sorted(f for h in data["haystacks"] for f in h["facts"]) == sorted(facts)  # each fact planted once
    dev = [facts[f] for h in data["haystacks"] if h["split"] == "dev" for f in h["facts"]]
    assert len(dev) >= 100 and all(len(f["questions"]) >= 4 for f in dev)  # a dev set with power
    assert {h["split"] for h in data["haystacks"]} == {"dev", "test"}
    assert {f["shape"] for f in dev} == set(SHAPES)
    for haystack in data["haystacks"]:
        assert haystack["kind"] in ("fiction", "essays")
        style = "story" if haystack["kind"] == "fiction" else "essay"
        assert {facts[f]["style"] for f in haystack["facts"]} == {style}, haystack["id"]
        words = [{o.lower() for q in facts[f]["questions"] for k in q["keywords"] for o in k.split("|")}
                 for f in haystack["facts"]]  # fmt: skip
        for i, mine in enumerate(words):  # no two facts of a haystack share an answer word (other_fact)
            assert not any(mine & other for other in words[i + 1 :]), haystack["id"]
    for fact in facts.values():
        sentence = fact["fact"]
        assert 10 <= len(sentence.split()) <= 32 and sentence.endswith(".") and not re.search(r"[.!?]\s", sentence)
        forms = [q["form"] for q in fact["questions"]]
        assert {"synonym", "reverse", "request", "indirect"} <= set(forms) <= set(REWORDING_FORMS), fact["id"]
        assert len(forms) == 5 and len(set(forms)) == 5, fact["id"]
        asked = {_plain(p["question"]) for p in template_pairs(sentence, "The story went on.", forms=TEMPLATE_FORMS)}
        asked |= {_plain(p["question"]) for p in phrase_pairs(sentence, "The story went on.")}
        for question in fact["questions"]:
            text, keywords = question["question"], question["keywords"]
            assert not _TEMPLATE_START.search(text) and not TEMPLATE_FORM.search(text), question
            assert _plain(text) not in asked, question  # no question a template writes for this fact
            assert 1 <= len(keywords) <= 2, question
            for keyword in keywords:  # the answer is in the fact, never in the question
                assert not any(_whole_word(option, text) for option in keyword.split("|")), question
            assert all_keywords_whole_word(sentence, keywords), question


def _fake_fiction(root: Path) -> None:
    folder = root / "longbench_subset_minilongbench"
    folder.mkdir(exist_ok=True)
    story = "\n\n".join(f'"Ride on, Otto {n}," the baron said. The gate stood open at dawn.' for n in range(3000))
    samples = {key: {"origin_prompt": f"Story: {story}\n\nNow, answer the question based on the story.\n\n"
                     "Question: Who?\n\nAnswer:", "gold": ["x"]} for key in ("0", "1", "3")}  # fmt: skip
    (folder / "MiniLongBench_narrativeqa.json").write_text(json.dumps(samples), encoding="utf-8")


def _word_tokenizer():
    """One token per word or punctuation mark: the tiny BPE tokenizer spends ~4 tokens a word, and ten facts
    would not fit a 1,000-token haystack."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.WordLevel({"[UNK]": 0}, unk_token="[UNK]"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tokenizer, unk_token="[UNK]")


def test_rewording_haystacks_hold_their_facts_in_order_and_split(tmp_path):
    tiny_tokenizer = _word_tokenizer()
    data = rewording_facts()
    facts = {fact["id"]: fact for fact in data["facts"]}
    write_fake_essays(tmp_path, files=10)
    _fake_fiction(tmp_path)
    every = rewording_items(tmp_path, tiny_tokenizer, split="all")
    dev = rewording_items(tmp_path, tiny_tokenizer, split="dev")
    test = rewording_items(tmp_path, tiny_tokenizer)
    assert len({i.item_id for i in every}) == len(every) == sum(len(f["questions"]) for f in facts.values())
    assert sorted((i.item_id, i.document.doc_id) for i in dev + test) == sorted(
        (i.item_id, i.document.doc_id) for i in every
    )  # a haystack's text does not depend on the split asked
    assert {i.group["split"] for i in dev} == {"dev"} and {i.group["split"] for i in test} == {"test"}
    documents = {i.group["haystack"]: i.document for i in every}
    assert len({d.doc_id for d in documents.values()}) == len(documents) == len(data["haystacks"])
    for haystack in data["haystacks"]:
        document = documents[haystack["id"]]
        assert ("Otto" in document.text) == (haystack["kind"] == "fiction")
        positions = [document.text.index(facts[f]["fact"]) for f in haystack["facts"]]
        assert positions == sorted(positions) and all(
            document.text.count(facts[f]["fact"]) == 1 for f in haystack["facts"]
        )
        tokens = len(tiny_tokenizer(document.text, add_special_tokens=False)["input_ids"])
        assert 850 <= tokens <= 1002, tokens
    item = every[0]
    assert item.suite == "rewording" and item.item_id == f"{item.group['fact']}-{item.group['form']}"
    assert item.metrics == ("correct", "other_fact") and item.references == [facts[item.group["fact"]]["fact"]]
    own = {o for q in facts[item.group["fact"]]["questions"] for k in q["keywords"] for o in k.split("|")}
    assert item.distractors and not set(item.distractors) & own
    with pytest.raises(LiftError, match="unknown rewording split 'train'"):
        rewording_items(tmp_path, tiny_tokenizer, split="train")
    config = LiftConfig().with_overrides({"eval.rewording_split": "dev"})
    assert [i.item_id for i in load_suite("rewording", config, tiny_tokenizer, data_dir=tmp_path)] == [
        i.item_id for i in dev
    ]
    assert LiftConfig().eval.rewording_split == "test" and DEFAULT_MODES["rewording"][:2] == ("lift_only", "auto")
    with pytest.raises(LiftError, match="eval.rewording_split must be one of"):
        LiftConfig().with_overrides({"eval.rewording_split": "train"})
