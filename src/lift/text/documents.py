"""Read a UTF-8 text or markdown document and give it a content-addressed id."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from lift.errors import LiftError

DOC_ID_CHARS = 16
MAX_DOCUMENT_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class Document:
    text: str
    title: str
    source: str  # the path it was read from, or "" for text given directly

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def doc_id(self) -> str:
        """Short content hash: the same text always gets the same id, whatever the file is called."""
        return self.sha256[:DOC_ID_CHARS]


def document_from_text(text: str, title: str = "untitled", source: str = "") -> Document:
    normalized = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not normalized:
        raise LiftError(f"document {source or title!r} is empty (only whitespace)")
    return Document(text=normalized, title=title, source=source)


def read_document(path: str | Path) -> Document:
    """Read a document file; every way it can be unusable becomes one LiftError naming the problem."""
    path = Path(path)
    if not path.exists():
        raise LiftError(f"document not found: {path}")
    if path.is_dir():
        raise LiftError(f"{path} is a directory, not a document file")
    if path.stat().st_size > MAX_DOCUMENT_BYTES:
        raise LiftError(f"document {path} is larger than {MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise LiftError(f"document {path} looks binary (contains NUL bytes); give a UTF-8 text or markdown file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LiftError(f"document {path} is not valid UTF-8 (byte {error.start}); convert it to UTF-8 text") from None
    return document_from_text(text, title=_title(path, text), source=str(path.resolve()))


def _title(path: Path, text: str) -> str:
    """A markdown '# Heading' on the first line is the title, else the file name."""
    first_line = text.strip().splitlines()[0] if text.strip() else ""
    if first_line.startswith("# "):
        return first_line[2:].strip()[:120]
    return path.stem
