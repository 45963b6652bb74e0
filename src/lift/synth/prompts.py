"""Generator prompts as versioned template files (prompt_templates/<name>.yaml), selectable by name.

A template has a kind ('sentence': QA about one sentence of a paragraph; 'aux': one question over a window of
sentences, with evidence), an optional system message and a user message with {placeholders}. Users may pass
a path to their own YAML file instead of a name. The version that goes into every cache key is the name plus
a hash of the text, so editing a template (even a user's file under the same name) never reuses old outputs.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import yaml

from lift.errors import LiftError

KINDS = ("sentence", "aux")
PLACEHOLDERS = {"sentence": ("num_questions", "paragraph", "sentence"), "aux": ("context",)}


@dataclass(frozen=True)
class PromptTemplate:
    name: str
    kind: str
    system: str | None
    user: str
    source: str = ""

    @property
    def version(self) -> str:
        text = f"{self.system or ''}\x00{self.user}"
        return f"{self.name}:{hashlib.sha256(text.encode('utf-8')).hexdigest()[:12]}"

    def messages(self, **values: object) -> tuple[str | None, str]:
        """(system, user) with the placeholders filled in."""
        system = self.system.format(**values) if self.system else None
        return system, self.user.format(**values)


def builtin_prompt_names() -> list[str]:
    folder = resources.files("lift.synth").joinpath("prompt_templates")
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_prompt(name_or_path: str, kind: str | None) -> PromptTemplate:
    """A built-in template by name, or a user's YAML file by path; checked for kind (None: any) and
    placeholders."""
    path = Path(name_or_path)
    if name_or_path.endswith((".yaml", ".yml")) and path.is_file():
        text, name = path.read_text(encoding="utf-8"), path.stem
    else:
        resource = resources.files("lift.synth").joinpath("prompt_templates", f"{name_or_path}.yaml")
        if not resource.is_file():
            raise LiftError(
                f"unknown prompt template '{name_or_path}' (built in: {', '.join(builtin_prompt_names())}; "
                "or give the path of a .yaml file)"
            )
        text, name = resource.read_text(encoding="utf-8"), name_or_path
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise LiftError(f"prompt template {name_or_path} is not valid YAML: {error}".splitlines()[0]) from None
    if not isinstance(data, dict) or not isinstance(data.get("user"), str):
        raise LiftError(f"prompt template {name_or_path} needs a 'user' text (and optional 'system', 'kind')")
    template = PromptTemplate(
        name=name,
        kind=str(data.get("kind", kind or "sentence")),
        system=data.get("system"),
        user=data["user"],
        source=str(data.get("source", "")),
    )
    if template.kind not in KINDS:
        raise LiftError(f"prompt template {name_or_path} has kind '{template.kind}'; known: {', '.join(KINDS)}")
    if kind is not None and template.kind != kind:
        raise LiftError(f"prompt template {name_or_path} is a '{template.kind}' prompt; a '{kind}' prompt is needed")
    try:
        template.messages(**{key: f"<{key}>" for key in PLACEHOLDERS[template.kind]})
    except (KeyError, IndexError, ValueError) as error:
        raise LiftError(
            f"prompt template {name_or_path} has a bad placeholder ({error}); "
            f"a {template.kind} prompt may use {', '.join('{' + p + '}' for p in PLACEHOLDERS[template.kind])} "
            "(write {{ for a brace)"
        ) from None
    return template
