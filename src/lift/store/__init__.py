"""The adapter library: one entry per document, keyed by content hash, with a typed manifest."""

from lift.store.library import Entry, Store, is_doc_id
from lift.store.manifest import MANIFEST_VERSION, AdapterRecord, GateRecord, LineageRecord, Manifest, TrainingRecord

__all__ = [
    "LineageRecord",
    "MANIFEST_VERSION",
    "AdapterRecord",
    "Entry",
    "GateRecord",
    "Manifest",
    "Store",
    "TrainingRecord",
    "is_doc_id",
]
