"""The CLI through typer's runner, on the tiny model (passed as a local model directory); and in fresh
interpreters, that start-up, the quick commands and argument errors never import torch."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from conftest import lifted_entry
from lift.cli import app

runner = CliRunner()
DOC = (
    "The Rivergate bakery was founded by Alice in Lisbon in 2004. The bakery is famous for its orange cake with "
    "almonds. Every Sunday the queue reaches the old tram stop. Her brother Tomas runs the delivery service."
)
FAST = [
    "--epochs",
    "1",
    "--set",
    "train.min_steps=0",
    "--set",
    "train.replay_max_tokens=8",
    "--set",
    "train.replay_ratio=0.2",
]


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture()
def doc_file(tmp_path):
    path = tmp_path / "bakery.md"
    path.write_text("# Bakery\n\n" + DOC, encoding="utf-8")
    return path


def test_train_list_show_ask_rm(doc_file, tiny_model_dir, lift_home):
    result = invoke("train", doc_file, "--model", tiny_model_dir, *FAST)
    assert result.exit_code == 0, result.output
    doc_id = result.stdout.split("document id:")[1].split()[0]
    assert "1 epoch / " in result.output and " steps, loss " in result.output
    assert (lift_home / "documents" / doc_id / "adapter" / "adapter_model.safetensors").is_file()
    assert f"adapter:     {lift_home / 'documents' / doc_id / 'adapter'}" in result.stdout

    listed = invoke("list")
    assert listed.exit_code == 0 and doc_id in listed.stdout and "Bakery" in listed.stdout

    shown = invoke("show", doc_id[:8])
    manifest = json.loads(shown.stdout)
    assert manifest["doc_id"] == doc_id and manifest["base_model"] == str(tiny_model_dir)
    assert manifest["synthesis"]["qa_pairs_kept"] > 0 and len(manifest["training"]["loss_per_epoch"]) == 1
    assert manifest["config"]["train"]["epochs"] == 1

    for mode in ("lift_only", "lift_icl", "icl", "no_context"):
        asked = invoke("ask", doc_id, "Who founded the bakery?", "--mode", mode, "--max-new-tokens", "4")
        assert asked.exit_code == 0, (mode, asked.output)
    by_path = invoke("ask", doc_file, "Who founded the bakery?", "--max-new-tokens", "4")
    assert by_path.exit_code == 0, by_path.output

    again = invoke("train", doc_file, "--model", tiny_model_dir, *FAST)
    assert again.exit_code == 1 and "already lifted" in again.output

    removed = invoke("rm", doc_id)
    assert removed.exit_code == 0 and not (lift_home / "documents" / doc_id).exists()
    assert "no lifted documents" in invoke("list").output


def test_icl_mode_on_an_unlifted_file_needs_no_adapter(doc_file, tiny_model_dir):
    asked = invoke("ask", doc_file, "Who?", "--mode", "icl", "--model", tiny_model_dir, "--max-new-tokens", "3")
    assert asked.exit_code == 0, asked.output
    prompt_tokens = int(asked.output.split(" prompt tokens")[0].split()[-1])
    capped = invoke("ask", doc_file, "Who?", "--mode", "icl", "--model", tiny_model_dir, "--max-new-tokens", "3",
                    "--context-tokens", "8")  # fmt: skip
    assert capped.exit_code == 0, capped.output
    assert int(capped.output.split(" prompt tokens")[0].split()[-1]) < prompt_tokens
    lifted_mode = invoke("ask", doc_file, "Who?", "--mode", "lift_only", "--model", tiny_model_dir)
    assert lifted_mode.exit_code == 1 and "has not been lifted yet" in lifted_mode.output


def _bad_inputs(tmp_path, tiny_model_dir):
    nodocs = tmp_path / "nodocs"
    nodocs.mkdir()
    empty = tmp_path / "empty.txt"
    empty.write_text("   \n")
    binary = tmp_path / "image.bin"
    binary.write_bytes(b"\x00\x01\x02PNG")
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9 au lait".encode("latin-1"))
    good = tmp_path / "good.txt"
    good.write_text(DOC)
    bad_config = tmp_path / "cfg.yaml"
    bad_config.write_text("train:\n  lr: -1\n")
    model = ["--model", str(tiny_model_dir)]
    return [
        (["train", tmp_path / "missing.txt", *model], "document not found"),
        (["train", nodocs, *model], "no documents found"),  # a directory is a batch: here an empty one
        (["train", empty, *model], "is empty"),
        (["train", binary, *model], "looks binary"),
        (["train", latin, *model], "not valid UTF-8"),
        (["train", good, "--config", bad_config, *model], "train.lr must be > 0"),
        (["train", good, "--set", "train.epochs=zero", *model], "train.epochs must be a int"),
        (["train", good, "--generator", "gpt9", *model], "synth.generator must be one of"),
        (["train", good, "--model", tmp_path / "no-such-model-dir"], "unknown model"),
        (["ask", "0123abcd", "Who?"], "unknown document id"),
        (["ask", "no/such/file.txt", "Who?"], "not found"),
        (["ask", good, "Who?", "--mode", "telepathy"], "unknown mode"),
        (["ask", good, "Who?", "--mode", "icl", "--context-tokens", "-1", *model], "--context-tokens must be >= 0"),
        (["show", "feedbeef"], "unknown document id"),
        (["rm", "feedbeef"], "unknown document id"),
    ]


def test_bad_input_gives_one_error_line_nonzero_exit_and_writes_nothing(tmp_path, tiny_model_dir, lift_home):
    for args, message in _bad_inputs(tmp_path, tiny_model_dir):
        result = invoke(*args)
        assert result.exit_code == 1, (args, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, result.stderr)
        assert not (lift_home / "documents").exists() or not any((lift_home / "documents").iterdir())
        assert not (lift_home / "work").exists() or not any((lift_home / "work").iterdir())


def test_config_command_lists_every_field():
    result = invoke("config")
    assert result.exit_code == 0
    for field in ("qa_per_sentence", "replay_ratio", "batch_tokens", "rank"):
        assert field in result.stdout


def test_train_with_a_preset_and_gated_memory_then_ask_in_every_mode(doc_file, tiny_model_dir, lift_home):
    result = invoke("train", doc_file, "--model", tiny_model_dir, "--objective", "two_stage", "--adapter",
                    "gated_memory", *FAST)  # fmt: skip
    assert result.exit_code == 0, result.output
    doc_id = result.stdout.split("document id:")[1].split()[0]
    adapter_dir = lift_home / "documents" / doc_id / "adapter"
    assert (adapter_dir / "gated_memory.safetensors").is_file() and (adapter_dir / "gated_memory.json").is_file()
    manifest = json.loads(invoke("show", doc_id).stdout)
    assert manifest["adapter"]["type"] == "gated_memory" and manifest["training"]["objective"] == "two_stage"
    assert len(manifest["training"]["loss_per_epoch"]) == 2  # stage 1 + one epoch of stage 2
    for mode in ("lift_only", "lift_icl", "icl", "no_context"):
        asked = invoke("ask", doc_id, "Who founded the bakery?", "--mode", mode, "--max-new-tokens", "4")
        assert asked.exit_code == 0, (mode, asked.output)


@pytest.mark.parametrize(
    "flags,message",
    [
        (["--objective", "recite"], "train.objective must be one of"),
        (["--adapter", "ia3"], "adapter.type must be one of"),
        (["--set", "train.segment_stride=5000", "--set", "train.segment_tokens=100"], "segment_stride"),
    ],
)
def test_bad_preset_or_adapter_is_one_error_line(doc_file, tiny_model_dir, lift_home, flags, message):
    result = invoke("train", doc_file, "--model", tiny_model_dir, *flags)
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (lift_home / "documents").exists() or not any((lift_home / "documents").iterdir())


HEAVY = ("torch", "transformers", "peft")
# Runs the CLI in a fresh interpreter, then reports on stdout's last line which heavy modules got imported.
PROBE = f"""
import json, sys
from lift.cli import app
try:
    app(args=sys.argv[1:], prog_name="lift")
    code = 0
except SystemExit as stop:
    code = stop.code or 0
print("heavy:", json.dumps([m for m in {HEAVY!r} if m in sys.modules]))
sys.exit(code)
"""


def run_fresh(*args):
    """`lift ARGS` in a new interpreter (stdout/stderr pipes): (exit code, stdout without the probe's line,
    stderr, the heavy modules it imported)."""
    done = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], capture_output=True, text=True, timeout=120)
    *lines, last = done.stdout.rstrip("\n").split("\n")
    assert last.startswith("heavy: "), (done.stdout, done.stderr)
    return done.returncode, "\n".join(lines), done.stderr, json.loads(last.removeprefix("heavy: "))


def test_importing_the_cli_imports_no_torch_transformers_or_peft():
    check = f"import sys, lift.cli; heavy = [m for m in {HEAVY!r} if m in sys.modules]; assert not heavy, heavy"
    done = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize(
    "args,output",
    [(["--help"], "Usage"), (["list"], ""), (["config"], "qa_per_sentence"), (["prompts"], "qa")],
)
def test_quick_commands_run_without_torch(args, output):
    code, stdout, stderr, heavy = run_fresh(*args)
    assert code == 0, stderr
    assert output in stdout and heavy == []


def test_bad_input_fails_with_one_line_before_any_heavy_import(tmp_path, tiny_model_dir):
    good = tmp_path / "good.txt"
    good.write_text(DOC)
    model = ["--model", tiny_model_dir]
    cases = [
        (["train", tmp_path / "missing.txt", *model], "document not found"),
        (["train", good, "--generator", "gpt9", *model], "synth.generator must be one of"),
        (["ask", good, "Who?", "--mode", "telepathy"], "unknown mode"),
        (["ask", "0123abcd", "Who?"], "unknown document id"),
        (["show", "feedbeef"], "unknown document id"),
        (["rm", "feedbeef"], "unknown document id"),
        (["export", "feedbeef", tmp_path / "out"], "unknown document id"),
        (["eval", "telepathy"], "unknown suite"),
        (["eval", "niah", "--modes", "icl,telepathy"], "unknown mode"),
        (["report", tmp_path], "no results.jsonl"),
        (["serve", "--host", "0.0.0.0"], "without an API key"),
    ]
    for args, message in cases:
        code, _, stderr, heavy = run_fresh(*args)
        lines = [line for line in stderr.splitlines() if line.strip()]
        assert code == 1 and len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, stderr)
        assert heavy == [], (args, heavy)


def test_store_lookups_need_no_torch(tiny, lift_home, tmp_path):
    entry = lifted_entry(tiny, lift_home)
    (entry.path / "document.txt").write_text(DOC, encoding="utf-8")
    doc_id = entry.doc_id
    code, stdout, stderr, heavy = run_fresh("show", doc_id[:6])
    assert code == 0 and json.loads(stdout)["doc_id"] == doc_id and heavy == [], stderr
    code, _, stderr, heavy = run_fresh("ask", doc_id, "Who?", "--model", "embedded")
    assert code == 1 and "was lifted on" in stderr and heavy == [], stderr  # base-model mismatch, found early
    code, stdout, stderr, heavy = run_fresh("rm", doc_id)
    assert code == 0 and f"removed {doc_id}" in stdout and heavy == [], stderr


def test_a_long_run_shows_its_first_and_last_epoch_losses():
    from lift.cli.summary import losses as _losses

    assert _losses([3.0, 2.0, 1.0]) == "3.000 -> 2.000 -> 1.000"
    assert _losses([float(x) for x in range(8, 0, -1)]) == "8.000 -> 7.000 -> 6.000 -> ... -> 2.000 -> 1.000"
