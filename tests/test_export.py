"""`lift export`: the PEFT directory and the merged model load with plain peft / transformers and compute what
our own inference path computes; exports are atomic and never replace what they must not."""

import dataclasses
import json
from pathlib import Path

import pytest
import torch
from peft import PeftModel
from transformers import AutoModelForCausalLM, AutoTokenizer
from typer.testing import CliRunner

from conftest import lifted_entry
from lift.adapters import load_adapter
from lift.cli import app
from lift.errors import LiftError
from lift.models import EMBEDDED_MODEL
from lift.store import export as export_module
from lift.store.export import (
    check_merged_export,
    export_merged,
    export_name,
    export_peft,
    vllm_max_lora_rank,
    vllm_serve_command,
)

IDS = torch.tensor([[5, 17, 42, 99, 3, 250, 7, 31]])
DOC_ID = "0123456789abcdef"


def _logits(model):
    with torch.no_grad():
        return model(input_ids=IDS, use_cache=False).logits


def _lifted(loaded, home, kind="lora", doc_id=DOC_ID):
    return lifted_entry(loaded, home, kind, doc_id)


def _adapter_logits(loaded, entry):
    """What `lift ask` computes: load_adapter on the shared base, then give the base back."""
    adapter = load_adapter(loaded.model, entry.adapter_dir)
    try:
        return _logits(adapter.model)
    finally:
        adapter.unload()


def test_peft_export_loads_with_plain_peft_and_gives_our_logits(tiny, tiny_model_dir, lift_home, tmp_path):
    entry = _lifted(tiny, lift_home)
    expected = _adapter_logits(tiny, entry)
    assert not torch.allclose(expected, _logits(tiny.model), atol=1e-3)  # the adapter does something

    out = export_peft(entry, tmp_path / "exports" / "peft")
    assert out == (tmp_path / "exports" / "peft").resolve()
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["base_model_name_or_path"] == str(tiny_model_dir)
    base = AutoModelForCausalLM.from_pretrained(config["base_model_name_or_path"])
    torch.testing.assert_close(_logits(PeftModel.from_pretrained(base, out)), expected, atol=1e-5, rtol=1e-4)
    assert [p.name for p in out.parent.iterdir()] == ["peft"]  # no staging left behind

    name = export_name(entry)
    assert name == f"lift:{DOC_ID}"  # the model name `lift serve` gives the document
    assert vllm_serve_command(out, name) == f"vllm serve {tiny_model_dir} --enable-lora --lora-modules {name}={out}"


def test_peft_export_of_the_embedded_default_names_the_converted_directory(tiny, lift_home, tmp_path, monkeypatch):
    converted = tmp_path / "models" / EMBEDDED_MODEL
    monkeypatch.setattr(export_module, "embedded_model_dir", lambda: converted)
    entry = _lifted(tiny, lift_home)
    dataclasses.replace(entry.manifest, base_model=EMBEDDED_MODEL).write(entry.path / "manifest.json")

    out = export_peft(entry, tmp_path / "out")
    assert json.loads((out / "adapter_config.json").read_text())["base_model_name_or_path"] == str(converted)
    assert f"base_model: {converted}\n" in (out / "README.md").read_text()
    assert vllm_serve_command(out, "x").startswith(f"vllm serve {converted} --enable-lora")


def test_vllm_line_asks_for_a_max_lora_rank_above_vllms_default(tmp_path):
    for rank, pattern, flag in [(8, {}, None), (16, {}, None), (24, {}, "32"), (8, {"q_proj": 64}, "64")]:
        (tmp_path / "adapter_config.json").write_text(
            json.dumps({"base_model_name_or_path": "org/model", "r": rank, "rank_pattern": pattern})
        )
        line = vllm_serve_command(tmp_path, "lift-x")
        assert line.startswith(f"vllm serve org/model --enable-lora --lora-modules lift-x={tmp_path}")
        assert line.endswith(f" --max-lora-rank {flag}") if flag else "--max-lora-rank" not in line
    assert [vllm_max_lora_rank(r) for r in (1, 2, 16, 17, 300, 512)] == [1, 8, 16, 32, 320, 512]


def test_merged_export_loads_with_plain_transformers_and_leaves_the_base_alone(tiny, lift_home, tmp_path):
    entry = _lifted(tiny, lift_home)
    expected = _adapter_logits(tiny, entry)
    base_logits = _logits(tiny.model)
    base_state = {name: tensor.clone() for name, tensor in tiny.model.state_dict().items()}

    out = export_merged(entry, tiny, tmp_path / "merged")

    merged = AutoModelForCausalLM.from_pretrained(out)
    torch.testing.assert_close(_logits(merged), expected, atol=1e-4, rtol=1e-4)
    assert (
        AutoTokenizer.from_pretrained(out)("The secret code")["input_ids"]
        == tiny.tokenizer("The secret code")["input_ids"]
    )
    assert not any("lora" in name for name, _ in merged.named_modules())
    # the caller's base model: same modules, bit-identical weights, same logits
    assert not any("lora" in name for name, _ in tiny.model.named_modules())
    assert tiny.model.state_dict().keys() == base_state.keys()
    for name, tensor in tiny.model.state_dict().items():
        assert torch.equal(tensor, base_state[name]), name
    torch.testing.assert_close(_logits(tiny.model), base_logits, atol=0, rtol=0)


def test_merged_export_refuses_a_different_base_model(tiny, lift_home, tmp_path):
    entry = _lifted(tiny, lift_home)
    dataclasses.replace(entry.manifest, base_model="org/other-model").write(entry.path / "manifest.json")
    with pytest.raises(LiftError, match="was lifted on org/other-model"):
        export_merged(entry, tiny, tmp_path / "merged")
    assert not (tmp_path / "merged").exists()


def test_non_empty_out_needs_force_and_force_replaces_only_an_earlier_export(tiny, lift_home, tmp_path):
    entry = _lifted(tiny, lift_home)
    out = tmp_path / "out"
    out.mkdir()
    export_peft(entry, out)  # an existing empty directory is fine

    with pytest.raises(LiftError, match="is not empty; pass --force"):
        export_peft(entry, out)
    with pytest.raises(LiftError, match="is not empty; pass --force"):
        check_merged_export(entry, out)
    (out / "marker").write_text("old export")
    export_peft(entry, out, force=True)
    assert not (out / "marker").exists() and (out / "adapter_config.json").is_file()

    project = tmp_path / "project"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    with pytest.raises(LiftError, match="holds no adapter or model"):
        export_peft(entry, project, force=True)
    file = tmp_path / "file.txt"
    file.write_text("x")
    with pytest.raises(LiftError, match="not a directory"):
        export_peft(entry, file, force=True)
    for own in (entry.path, entry.adapter_dir, lift_home, Path(tiny.name)):  # the entry and the base model directory
        with pytest.raises(LiftError, match="LIFT's own files"):
            export_peft(entry, own, force=True)
    assert (project / "notes.txt").read_text() == "mine" and file.read_text() == "x"


def test_a_failed_export_leaves_the_earlier_one_and_no_staging(tiny, lift_home, tmp_path, monkeypatch):
    entry = _lifted(tiny, lift_home)
    out = export_peft(entry, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(base, adapter_dir):
        raise RuntimeError("out of memory")

    monkeypatch.setattr(export_module, "merged_model", broken)
    with pytest.raises(RuntimeError, match="out of memory"):
        export_merged(entry, tiny, out, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_gated_memory_is_refused_with_a_clear_error(tiny, lift_home, tmp_path):
    entry = _lifted(tiny, lift_home, kind="gated_memory")
    with pytest.raises(LiftError, match="gated_memory adapter, which cannot be exported as a PEFT adapter"):
        export_peft(entry, tmp_path / "peft")
    with pytest.raises(LiftError, match="gated_memory adapter, which cannot be merged"):
        export_merged(entry, tiny, tmp_path / "merged")
    assert not (tmp_path / "peft").exists() and not (tmp_path / "merged").exists()


def test_cli_export(tiny, tiny_model_dir, lift_home, tmp_path):
    runner = CliRunner()
    entry = _lifted(tiny, lift_home)
    peft_dir = tmp_path / "peft"
    result = runner.invoke(app, ["export", DOC_ID[:8], str(peft_dir)])
    assert result.exit_code == 0, result.output
    line = f"vllm serve {tiny_model_dir} --enable-lora --lora-modules {export_name(entry)}={peft_dir}"
    assert line in result.stdout.splitlines()

    merged_dir = tmp_path / "merged"
    result = runner.invoke(app, ["export", DOC_ID, "--format", "merged", str(merged_dir), "--device", "cpu"])
    assert result.exit_code == 0, result.output
    assert f"merged model: {merged_dir}" in result.stdout
    assert (merged_dir / "config.json").is_file() and (merged_dir / "tokenizer.json").is_file()

    for args, message in [
        (["export", "feedbeef", str(tmp_path / "x")], "unknown document id"),
        (["export", DOC_ID, str(tmp_path / "x"), "--format", "gguf"], "unknown format 'gguf'"),
        (["export", DOC_ID, str(peft_dir)], "is not empty; pass --force"),
    ]:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error:") and message in lines[0], (args, result.stderr)
    assert not (tmp_path / "x").exists()


def test_export_all_serves_every_adapter_with_one_vllm_and_one_sglang_line(tiny, tiny_model_dir, lift_home, tmp_path):
    """Every LoRA adapter of the store in one folder, each loading with plain peft to the logits `lift ask`
    computes, named as `lift serve` names the documents; gated memory is skipped with its reason."""
    lora_ids = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbb"]
    entries = [lifted_entry(tiny, lift_home, "lora", doc_id, seed=i + 1) for i, doc_id in enumerate(lora_ids)]
    lifted_entry(tiny, lift_home, "gated_memory", "cccccccccccccccc")
    out = tmp_path / "all"
    result = CliRunner().invoke(app, ["export", "--all", str(out)])
    assert result.exit_code == 0, result.output
    assert "skipped cccccccccccccccc: document cccccccccccccccc has a gated_memory adapter" in result.output
    modules = " ".join(f"lift:{d}={out.resolve()}/lift-{d}" for d in lora_ids)
    vllm = f"vllm serve {tiny_model_dir} --enable-lora --lora-modules {modules} --max-loras 2 --max-lora-rank 8"
    sglang = (
        f"python -m sglang.launch_server --model-path {tiny_model_dir} --enable-lora --lora-paths {modules} "
        "--max-loras-per-batch 2 --max-lora-rank 4"
    )
    assert vllm in result.stdout.splitlines() and sglang in result.stdout.splitlines()
    assert (out / "serve-commands.txt").read_text().splitlines()[1:3] == [vllm, sglang]
    for entry in entries:
        folder = out / f"lift-{entry.doc_id}"
        base = AutoModelForCausalLM.from_pretrained(
            json.loads((folder / "adapter_config.json").read_text())["base_model_name_or_path"]
        )
        expected = _adapter_logits(tiny, entry)
        torch.testing.assert_close(_logits(PeftModel.from_pretrained(base, folder)), expected, atol=1e-5, rtol=1e-4)

    again = CliRunner().invoke(app, ["export", "--all", str(out)])
    assert again.exit_code == 1 and "is not empty; pass --force" in again.output
    assert CliRunner().invoke(app, ["export", "--all", str(out), "--force"]).exit_code == 0
    (tmp_path / "project").mkdir()
    (tmp_path / "project" / "notes.txt").write_text("mine")
    refused = CliRunner().invoke(app, ["export", "--all", str(tmp_path / "project"), "--force"])
    assert refused.exit_code == 1 and "holds no earlier `lift export --all`" in refused.output
    wrong = CliRunner().invoke(app, ["export", "--all", "aaaa", str(tmp_path / "x")])
    assert wrong.exit_code == 1 and "--all takes one argument" in wrong.output


def test_an_adapter_trained_on_a_frozen_reading_says_what_vllm_does_with_it(tiny, tiny_model_dir, lift_home, tmp_path):
    from lift.config import LiftConfig

    runner = CliRunner()
    _lifted(tiny, lift_home)
    plain = runner.invoke(app, ["export", DOC_ID, str(tmp_path / "plain")])
    assert plain.exit_code == 0 and "note:" not in plain.stderr
    frozen = LiftConfig().with_overrides({"train.qa_context_share": 0.25, "train.context_reading": "frozen"})
    lifted_entry(tiny, lift_home, doc_id="fedcba9876543210", config=frozen)
    result = runner.invoke(app, ["export", "fedcba98", str(tmp_path / "frozen")])
    assert result.exit_code == 0, result.output
    assert "note: fedcba9876543210 was trained to answer after the base model's reading" in result.stderr
    assert (
        "infer.lift_icl_reading=adapter" in result.stderr and "lift serve answers lift_icl as trained" in result.stderr
    )
    every = runner.invoke(app, ["export", "--all", str(tmp_path / "all")])
    assert every.exit_code == 0 and every.stderr.count("note:") == 1
