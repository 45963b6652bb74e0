"""The adapter library: one entry per document, keyed by content hash."""

from lift.store.library import Entry, Store, is_doc_id

__all__ = ["Entry", "Store", "is_doc_id"]
