"""The adapter library on disk.

    $LIFT_HOME/documents/<doc-id>/
        adapter/             standard PEFT format (PeftModel.from_pretrained(base, dir) loads it as is)
        manifest.json        document hash, title, tokens, base model, config, QA counts, losses, timings, versions
        document.txt         the lifted text, for the modes that also read it (lift_icl, icl)

An entry is built in a hidden staging directory and renamed into place in one step, so a failed or killed
run never leaves a half-written entry.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lift.errors import LiftError
from lift.store.manifest import MANIFEST_FILE, Manifest
from lift.text.documents import read_document

_DOC_ID = re.compile(r"^[0-9a-f]{4,64}$")


def is_doc_id(text: str) -> bool:
    """A document id or a prefix of one (4-64 lowercase hex digits): safe as a path component."""
    return bool(_DOC_ID.match(text))


@dataclass(frozen=True)
class Entry:
    doc_id: str
    path: Path

    @property
    def adapter_dir(self) -> Path:
        return self.path / "adapter"

    @property
    def manifest(self) -> Manifest:
        return Manifest.read(self.path / MANIFEST_FILE)

    @property
    def document_text(self) -> str:
        return (self.path / "document.txt").read_text(encoding="utf-8")


class Store:
    def __init__(self, home: Path) -> None:
        self.root = home / "documents"

    def get(self, doc_id: str) -> Entry | None:
        path = self.root / doc_id
        return Entry(doc_id, path) if _DOC_ID.match(doc_id) and (path / MANIFEST_FILE).is_file() else None

    def entries(self) -> list[Entry]:
        if not self.root.is_dir():
            return []
        found = (self.get(p.name) for p in sorted(self.root.iterdir()) if not p.name.startswith("."))
        return [e for e in found if e is not None]

    def with_prefix(self, prefix: str) -> list[Entry]:
        """The entries whose document id starts with `prefix` (a checked id prefix, see is_doc_id)."""
        return [e for e in self.entries() if e.doc_id.startswith(prefix)]

    def resolve(self, doc: str) -> Entry:
        """A document file path (its content hash is looked up) or a document id / unique id prefix."""
        if os.sep in doc or Path(doc).exists():
            document = read_document(doc)
            entry = self.get(document.doc_id)
            if entry is None:
                raise LiftError(
                    f"{doc} has not been lifted yet (document id {document.doc_id}); run `lift train {doc}`"
                )
            return entry
        if not _DOC_ID.match(doc):
            raise LiftError(f"unknown document '{doc}': not a file and not a document id (see `lift list`)")
        matches = self.with_prefix(doc)
        if not matches:
            raise LiftError(f"unknown document id '{doc}' (see `lift list`)")
        if len(matches) > 1:
            raise LiftError(f"document id prefix '{doc}' is ambiguous: {', '.join(e.doc_id for e in matches)}")
        return matches[0]

    def latest(self, source: str, base_model: str, exclude: str | None = None) -> Entry | None:
        """The most recent lift of the file `source` on `base_model` (another version than `exclude`, a
        document id), or None: what `lift train --update` trains on from."""
        earlier = [
            e
            for e in self.entries()
            if e.manifest.source == source and e.manifest.base_model == base_model and e.doc_id != exclude
        ]
        return max(earlier, key=lambda e: e.manifest.created) if earlier else None

    def write(self, doc_id: str, fill: Callable[[Path], None], overwrite: bool = False) -> Entry:
        """Build an entry with fill(staging_dir), then move it into place atomically."""
        if not _DOC_ID.match(doc_id):
            raise ValueError(f"bad document id {doc_id!r}")
        self.root.mkdir(parents=True, exist_ok=True)
        self.clean_stale()
        target = self.root / doc_id
        if target.exists() and not overwrite:
            raise LiftError(f"document {doc_id} is already lifted; pass --force to replace it")
        staging = Path(tempfile.mkdtemp(prefix=f".staging-{doc_id}-", dir=self.root))
        try:
            fill(staging)
            if not (staging / MANIFEST_FILE).is_file():
                raise RuntimeError("entry has no manifest")
            if target.exists():
                trash = Path(tempfile.mkdtemp(prefix=f".trash-{doc_id}-", dir=self.root))
                os.replace(target, trash / doc_id)
                os.replace(staging, target)
                shutil.rmtree(trash, ignore_errors=True)
            else:
                os.replace(staging, target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return Entry(doc_id, target)

    def remove(self, doc_id: str) -> None:
        entry = self.get(doc_id)
        if entry is None:
            raise LiftError(f"unknown document id '{doc_id}'")
        trash = Path(tempfile.mkdtemp(prefix=f".trash-{doc_id}-", dir=self.root))
        os.replace(entry.path, trash / doc_id)  # the entry vanishes in one step; then clean up
        shutil.rmtree(trash, ignore_errors=True)

    def clean_stale(self, older_than_s: float = 6 * 3600) -> None:
        """Remove staging/trash leftovers of killed runs (old ones only: a live run may own a new one)."""
        if not self.root.is_dir():
            return
        now = time.time()
        for path in self.root.iterdir():
            if path.name.startswith((".staging-", ".trash-")) and now - path.stat().st_mtime > older_than_s:
                shutil.rmtree(path, ignore_errors=True)
