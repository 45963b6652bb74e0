"""Suite loaders: needle placement, prompt splitting, file formats and their errors."""

import json
import random
import re
from pathlib import Path

import pytest

from lift.errors import LiftError
from lift.eval.data_dir import resolve_data_dir
from lift.eval.suites.custom import custom_items
from lift.eval.suites.longbench import TASKS, split_prompt
from lift.eval.suites.loogle import loogle_items
from lift.eval.suites.niah import NEEDLE, build_haystack, niah_items
from lift.eval.suites.squad import squad_items

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
    items = niah_items(tmp_path, tiny.tokenizer, [300, 600], [0, 50, 100])
    assert [i.item_id for i in items] == ["L300-d0", "L300-d50", "L300-d100", "L600-d0", "L600-d50", "L600-d100"]
    assert len({i.document.doc_id for i in items}) == 6
    assert items[0].document.text.startswith(NEEDLE) and items[2].document.text.endswith(NEEDLE)
    assert items[0].keywords == ["sandwich", "Dolores Park", "sunny"]


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
