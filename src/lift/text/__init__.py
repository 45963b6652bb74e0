"""Documents in, sentences and token counts out."""

from lift.text.documents import Document, read_document
from lift.text.sentences import split_sentences
from lift.text.truncate import truncate_head_tail

__all__ = ["Document", "read_document", "split_sentences", "truncate_head_tail"]
