"""The adapter library: one entry per document, keyed by content hash."""

from lift.store.library import Entry, Store

__all__ = ["Entry", "Store"]
