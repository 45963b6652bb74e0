import pytest

from lift.config import LiftConfig, describe_fields, dump_config, load_config
from lift.errors import LiftError


def test_defaults_validate_and_every_field_has_help():
    LiftConfig().validate()
    rows = describe_fields()
    assert rows and all(help_text for _, _, help_text in rows)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_dump_load_round_trip(tmp_path, suffix):
    config = LiftConfig().with_overrides({"train.epochs": 2, "lora.rank": 4, "synth.generator": "local"})
    path = tmp_path / f"cfg{suffix}"
    dump_config(config, path)
    assert load_config(path) == config


def test_partial_yaml_keeps_other_defaults(tmp_path):
    path = tmp_path / "cfg.yaml"
    path.write_text("train:\n  lr: 0.0005\n")
    config = load_config(path)
    assert config.train.lr == 0.0005
    assert config.train.epochs == LiftConfig().train.epochs


@pytest.mark.parametrize(
    "text, message",
    [
        ("bogus:\n  x: 1\n", "unknown section"),
        ("train:\n  nope: 1\n", "unknown setting 'train.nope'"),
        ("train:\n  epochs: many\n", "train.epochs must be a int"),
        ("train:\n  epochs: 0\n", "train.epochs must be >= 1"),
        ("synth:\n  generator: gpt\n", "synth.generator must be one of"),
        ("eval:\n  squad_split: train\n", "eval.squad_split must be one of"),
        ("train: [1, 2]\n", "must be a mapping"),
        ("train: {lr: [\n", "not valid YAML"),
    ],
)
def test_invalid_configs_raise_one_clear_error(tmp_path, text, message):
    path = tmp_path / "cfg.yaml"
    path.write_text(text)
    with pytest.raises(LiftError, match=message.replace("[", r"\[")):
        load_config(path)


def test_missing_config_file(tmp_path):
    with pytest.raises(LiftError, match="config file not found"):
        load_config(tmp_path / "absent.yaml")


def test_overrides_from_strings_are_coerced():
    config = LiftConfig().with_overrides({"train.lr": "0.01", "train.epochs": "3", "model.name": None})
    assert config.train.lr == 0.01 and config.train.epochs == 3 and config.model.name is None
    with pytest.raises(LiftError, match="unknown setting 'train.speed'"):
        LiftConfig().with_overrides({"train.speed": 1})
