"""Export a lifted document's adapter for other tools: a self-contained PEFT directory (PeftModel.from_pretrained,
vLLM --lora-modules) or the base model with the adapter merged in (plain AutoModelForCausalLM.from_pretrained).

An export is built in a hidden staging directory next to OUT and renamed into place, so a failed export never
leaves half a directory behind, and an earlier export is only replaced once the new one is complete.
"""

from __future__ import annotations

import copy
import json
import os
import re
import secrets
import shlex
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from transformers import PreTrainedModel

from lift.adapters import load_adapter
from lift.adapters.gated_memory import CONFIG_FILE as GATED_MEMORY_CONFIG
from lift.errors import LiftError
from lift.models import EMBEDDED_MODEL, LoadedModel, embedded_model_dir, lift_home
from lift.store.library import Entry

PEFT_CONFIG = "adapter_config.json"
MODEL_CONFIG = "config.json"
# vllm/config/lora.py: --max-lora-rank must be one of these; LoRAConfig.max_lora_rank defaults to 16.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
VLLM_DEFAULT_LORA_RANK = 16


ALL_COMMANDS_FILE = "serve-commands.txt"  # in an `export --all` folder: the vllm and sglang lines
DEFAULT_MAX_LORAS = 8  # adapters one batch may mix (vLLM --max-loras, SGLang --max-loras-per-batch)


def serving_note(entry: Entry) -> str | None:
    """What other servers do with this adapter that `lift serve` does not: one trained on a frozen reading
    (train.context_reading frozen) learned to answer after the base model's reading of the document, which a server
    that applies the LoRA to every token (vLLM, SGLang) does not reproduce for a prompt holding the document."""
    train = entry.manifest.lift_config().train
    if not (train.qa_context_share > 0 and train.context_reading == "frozen"):
        return None
    return (
        f"note: {entry.doc_id} was trained to answer after the base model's reading of the document "
        "(train.context_reading frozen). vLLM and SGLang apply the LoRA to every token: questions alone (lift_only) "
        "are answered as trained, but with the document in the prompt (lift_icl) the adapter also reads the "
        "document, as it was not trained to (lift eval --set infer.lift_icl_reading=adapter measures that). "
        "lift serve answers lift_icl as trained."
    )


def export_name(entry: Entry) -> str:
    """The adapter's model name on inference servers (vLLM's --lora-modules NAME=PATH): the name `lift serve`
    gives the document, so a client works against either server unchanged."""
    return f"lift:{entry.doc_id}"


def export_folder(entry: Entry) -> str:
    """The adapter's folder in an `export --all` directory (no ':' in file names)."""
    return f"lift-{entry.doc_id}"


def base_model_source(entry: Entry) -> str:
    """What loads the entry's base model outside LIFT: its Hugging Face id or local directory; for the embedded
    default, our converted safetensors directory (neither transformers' default path nor vLLM reads the GGUF)."""
    base = entry.manifest.base_model
    return str(embedded_model_dir().resolve()) if base == EMBEDDED_MODEL else base


def export_peft(entry: Entry, out: Path, force: bool = False) -> Path:
    """Copy the entry's adapter to OUT as a PEFT directory whose adapter_config.json names a base model that
    loads (base_model_source). Returns OUT as an absolute path."""
    adapter_dir = _peft_adapter_dir(entry, "exported as a PEFT adapter")
    target = _export_target(entry, out, force)
    base = base_model_source(entry)

    def fill(staging: Path) -> None:
        shutil.copytree(adapter_dir, staging, dirs_exist_ok=True)
        _name_base(staging, base)

    return _write_atomically(target, fill)


def _name_base(peft_dir: Path, base: str) -> None:
    """Point a PEFT directory's adapter_config.json (and peft's model card metadata) at BASE."""
    config_path = peft_dir / PEFT_CONFIG
    config = json.loads(config_path.read_text(encoding="utf-8"))
    saved_base = config.get("base_model_name_or_path")
    config["base_model_name_or_path"] = base
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    model_card = peft_dir / "README.md"
    if saved_base and saved_base != base and model_card.is_file():
        text = model_card.read_text(encoding="utf-8")
        model_card.write_text(text.replace(saved_base, base), encoding="utf-8")


def check_merged_export(entry: Entry, out: Path, force: bool = False) -> Path:
    """OUT as an absolute path, once it is known that the entry's adapter can be merged and OUT may be
    written. Cheap: call it before loading the base model, so a doomed export fails at once."""
    _peft_adapter_dir(entry, "merged into the base model")
    return _export_target(entry, out, force)


def export_merged(entry: Entry, loaded: LoadedModel, out: Path, force: bool = False) -> Path:
    """Write the entry's base model with its adapter merged into the weights, plus the tokenizer, to OUT (in
    the loaded model's dtype). `loaded` must be the entry's base model; it is left unchanged. Returns OUT."""
    target = check_merged_export(entry, out, force)
    if loaded.name != entry.manifest.base_model:
        raise LiftError(f"document {entry.doc_id} was lifted on {entry.manifest.base_model}, not {loaded.name}")

    def fill(staging: Path) -> None:
        merged_model(loaded.model, entry.adapter_dir).save_pretrained(staging)
        loaded.tokenizer.save_pretrained(staging)

    return _write_atomically(target, fill)


def merged_model(base: PreTrainedModel, adapter_dir: Path) -> PreTrainedModel:
    """A copy of `base` with the PEFT adapter's deltas added to its weights. The copy costs a second model's
    memory, but the caller's model (shared by every adapter) is never touched, not even transiently."""
    adapter = load_adapter(copy.deepcopy(base), adapter_dir)
    return adapter.model.merge_and_unload()


def vllm_serve_command(peft_dir: Path, name: str) -> str:
    """The `vllm serve` line that serves an exported PEFT directory as model NAME on its base model."""
    config = json.loads((peft_dir / PEFT_CONFIG).read_text(encoding="utf-8"))
    base = config["base_model_name_or_path"]
    args = ["vllm", "serve", base, "--enable-lora", "--lora-modules", f"{name}={peft_dir}"]
    rank = lora_rank(config)
    if rank > VLLM_DEFAULT_LORA_RANK:
        args += ["--max-lora-rank", str(vllm_max_lora_rank(rank))]
    return shlex.join(args)


@dataclass
class ServedAdapters:
    """Every exported adapter of one base model, and the lines that serve them all at once."""

    base: str
    adapters: dict[str, Path]  # model name -> PEFT directory
    rank: int  # the largest LoRA rank among them

    def vllm(self) -> str:
        modules = [f"{name}={path}" for name, path in self.adapters.items()]
        loras = min(len(modules), DEFAULT_MAX_LORAS)
        args = ["vllm", "serve", self.base, "--enable-lora", "--lora-modules", *modules, "--max-loras", str(loras)]
        return shlex.join([*args, "--max-lora-rank", str(vllm_max_lora_rank(self.rank))])

    def sglang(self) -> str:
        paths = [f"{name}={path}" for name, path in self.adapters.items()]
        loras = min(len(paths), DEFAULT_MAX_LORAS)
        args = ["python", "-m", "sglang.launch_server", "--model-path", self.base, "--enable-lora"]
        args += ["--lora-paths", *paths, "--max-loras-per-batch", str(loras), "--max-lora-rank", str(self.rank)]
        return shlex.join(args)


@dataclass
class AllExport:
    path: Path
    served: list[ServedAdapters]  # one per base model
    skipped: dict[str, str]  # document id -> why it was not exported (gated memory adapters)


def export_all(entries: list[Entry], out: Path, force: bool = False) -> AllExport:
    """Every LoRA/PiSSA adapter in the store as PEFT directories under OUT (OUT/lift-<doc-id>, or
    OUT/<base>/lift-<doc-id> when several base models are lifted on), with OUT/serve-commands.txt: per base
    model, the one `vllm serve` and one SGLang line that serve all of its adapters. Written atomically."""
    target = _writable_target(
        out, entries, force, lambda t: (t / ALL_COMMANDS_FILE).is_file(), "no earlier `lift export --all`"
    )
    skipped, by_base = {}, {}
    for entry in sorted(entries, key=lambda e: e.doc_id):
        try:
            _peft_adapter_dir(entry, "exported as a PEFT adapter")
        except LiftError as error:
            skipped[entry.doc_id] = str(error)
            continue
        by_base.setdefault(base_model_source(entry), []).append(entry)
    if not by_base:
        raise LiftError("no LoRA or PiSSA adapter in the store to export" + (" (gated memory only)" if skipped else ""))
    nested = len(by_base) > 1
    served = []
    for base, base_entries in by_base.items():
        folder = target / _slug(base) if nested else target
        adapters = {export_name(e): folder / export_folder(e) for e in base_entries}
        ranks = [lora_rank(json.loads((e.adapter_dir / PEFT_CONFIG).read_text("utf-8"))) for e in base_entries]
        served.append(ServedAdapters(base, adapters, max(ranks)))

    def fill(staging: Path) -> None:
        lines = []
        for group, base_entries in zip(served, by_base.values(), strict=True):
            for entry, path in zip(base_entries, group.adapters.values(), strict=True):
                copy_to = staging / path.relative_to(target)
                shutil.copytree(entry.adapter_dir, copy_to)
                _name_base(copy_to, group.base)
            lines += [f"# {group.base}: {len(group.adapters)} adapters", group.vllm(), group.sglang(), ""]
        (staging / ALL_COMMANDS_FILE).write_text("\n".join(lines), encoding="utf-8")

    _write_atomically(target, fill)
    return AllExport(target, served, skipped)


def _slug(base: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base.strip("/")).strip("_") or "base"


def lora_rank(peft_config: dict) -> int:
    """The largest rank any layer of a PEFT LoRA config uses (PiSSA exports have rank 2r)."""
    return max([int(peft_config["r"]), *(int(r) for r in (peft_config.get("rank_pattern") or {}).values())])


def vllm_max_lora_rank(rank: int) -> int:
    """The smallest --max-lora-rank value vLLM accepts that fits `rank` (beyond 512 vLLM has none; it says so)."""
    return next((allowed for allowed in VLLM_LORA_RANKS if allowed >= rank), rank)


def _peft_adapter_dir(entry: Entry, action: str) -> Path:
    adapter_dir = entry.adapter_dir
    if (adapter_dir / GATED_MEMORY_CONFIG).is_file():
        raise LiftError(
            f"document {entry.doc_id} has a gated_memory adapter, which cannot be {action}: it adds attention "
            f"modules that PEFT, vLLM and plain transformers do not know; lift it again with --adapter lora "
            f"(or pissa) to export it"
        )
    if not (adapter_dir / PEFT_CONFIG).is_file():
        raise LiftError(f"document {entry.doc_id} has no PEFT adapter ({adapter_dir / PEFT_CONFIG} is missing)")
    return adapter_dir


def _export_target(entry: Entry, out: Path, force: bool) -> Path:
    """OUT as an absolute path, once it is known that writing there is allowed."""

    def earlier_export(target: Path) -> bool:
        return (target / PEFT_CONFIG).is_file() or (target / MODEL_CONFIG).is_file()

    return _writable_target(out, [entry], force, earlier_export, "no adapter or model to replace")


def _writable_target(
    out: Path, entries: list[Entry], force: bool, earlier_export: Callable[[Path], bool], holds: str
) -> Path:
    """OUT as an absolute path, once it is known that it replaces none of the entries' files (nor a local base
    model), and, when it is not empty, that --force is given and it holds an earlier export."""
    target = out.expanduser().resolve()
    for entry in entries:
        entry_path = entry.path.resolve()
        for protected in (entry_path, *_local_base_dir(entry)):
            if target.is_relative_to(entry_path) or protected.is_relative_to(target):
                raise LiftError(f"{out} would replace LIFT's own files ({protected}); export somewhere else")
    if target.exists() and not target.is_dir():
        raise LiftError(f"{out} exists and is not a directory")
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise LiftError(f"{out} is not empty; pass --force to replace it")
        # --force replaces an earlier export, never an arbitrary folder (`--force .` must not wipe a project)
        if not earlier_export(target):
            raise LiftError(f"{out} is not empty and holds {holds}; choose another path")
    return target


def _local_base_dir(entry: Entry) -> list[Path]:
    """The base model's directory when it is a local one (an export must not replace it or a folder above it)."""
    base = entry.manifest.base_model
    if base == EMBEDDED_MODEL:
        return [(lift_home() / "models" / EMBEDDED_MODEL).resolve()]
    return [Path(base).resolve()] if Path(base).is_absolute() else []


def _write_atomically(target: Path, fill: Callable[[Path], None]) -> Path:
    """fill(staging) next to TARGET, then move it into place; on any failure TARGET stays as it was."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = _sibling(target, "staging")
    try:
        fill(staging)
        if target.exists():
            _swap_into_place(staging, target)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _swap_into_place(staging: Path, target: Path) -> None:
    """Replace the existing TARGET by STAGING, putting the old TARGET back if the second rename fails."""
    trash = _sibling(target, "trash")
    try:
        os.replace(target, trash / target.name)
    except BaseException:
        trash.rmdir()
        raise
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(trash / target.name, target)
        trash.rmdir()
        raise
    shutil.rmtree(trash, ignore_errors=True)


def _sibling(target: Path, kind: str) -> Path:
    # A plain mkdir (not mkdtemp, which makes it 0700) so the export gets the user's usual permissions.
    path = target.parent / f".{target.name}.{kind}-{os.getpid()}-{secrets.token_hex(4)}"
    path.mkdir()
    return path
