import json

import pytest

from lift.config import LiftConfig
from lift.errors import LiftError
from lift.eval.suites.squad import RECORD_FILE, pretrained_train_articles, squad_items, squad_split
from lift.models import load_model
from lift.pretrain import pretrain

FACTS = {
    "Castle": ("The secret code of the blue castle is zebra seven.", "What is the secret code of the blue castle?",
               "zebra seven"),
    "Park": ("The best thing to do in San Francisco is eat a sandwich.", "What is the best thing to do?",
             "eat a sandwich"),
    "Bakery": ("Hello world, this is a tiny tokenizer.", "What is this?", "a tiny tokenizer"),
    "Capital": ("The capital of France is Paris.", "What is the capital of France?", "Paris"),
}  # fmt: skip


@pytest.fixture
def squad_dir(tmp_path):
    data = {"data": [
        {"title": title, "paragraphs": [{"context": context, "qas": [
            {"id": f"{title}-1", "question": question, "answers": [{"text": answer, "answer_start": 0}]}]}]}
        for title, (context, question, answer) in FACTS.items()
    ]}  # fmt: skip
    folder = tmp_path / "data" / "squad_v1.1_dev"
    folder.mkdir(parents=True)
    (folder / "dev-v1.1.json").write_text(json.dumps(data))
    return tmp_path / "data"


def test_split_is_by_article_alternating_in_title_order():
    split = squad_split([{"title": t} for t in ["d", "b", "a", "c", "e"]])
    assert split.train == ["a", "c", "e"] and split.held_out == ["b", "d"]


def test_pretrain_writes_a_merged_model_that_knows_the_train_articles_and_eval_skips_them(tiny, squad_dir, tmp_path):
    config = LiftConfig().with_overrides(
        {"train.epochs": 25, "train.lr": 1e-2, "train.batch_tokens": 128, "train.precision": "fp32"}
    )
    out = tmp_path / "pretrained"
    record = pretrain(tiny, config, squad_dir, out, progress=None)
    assert record["train_articles"] == ["Bakery", "Castle"] and record["held_out_articles"] == ["Capital", "Park"]
    assert record["segments"] == 2 and record["qa_examples"] == 2
    assert record["loss_per_epoch"][-1] < 0.2 * record["loss_per_epoch"][0]
    model = load_model(str(out), device="cpu")
    assert not any("lora" in name for name, _ in model.model.named_parameters())  # merged, plain weights
    from lift.infer import answer_question

    kwargs = {"window": model.window, "max_new_tokens": 8, "system": config.infer.system_prompt}
    answer = answer_question(model.model, model.tokenizer, FACTS["Castle"][1], "no_context", **kwargs).text
    assert "zebra seven" in answer
    # the evaluation of this model never draws a train article
    assert pretrained_train_articles(str(out)) == {"Bakery", "Castle"}
    drawn = {i.group["article"] for i in squad_items(squad_dir, 10, 0, pretrained_train_articles(str(out)))}
    assert drawn == {"Capital", "Park"}
    assert pretrained_train_articles(None) == set()
    with pytest.raises(LiftError, match="not empty"):
        pretrain(tiny, config, squad_dir, out)
    assert (out / RECORD_FILE).is_file()


def test_the_pretrain_command_prints_the_model_it_wrote(tiny_model_dir, squad_dir, tmp_path):
    from typer.testing import CliRunner

    from lift.cli import app

    out = tmp_path / "pretrained"
    args = ["pretrain", "--out", str(out), "--model", str(tiny_model_dir), "--data-dir", str(squad_dir),
            "--epochs", "1", "--set", "train.precision=fp32"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    # its --out option once shadowed the console the command prints with, so it failed after training
    assert result.exit_code == 0, result.output
    assert f"model: {out.resolve()}" in result.output
