"""A sentence read as the simple statements it makes, so that the phrase grammar (lift.synth.phrases), which reads
one clause of subject + verb + the rest, can ask about each of them.

A parenthetical between commas right after the subject (a non-restrictive relative clause, a participle phrase
or an appositive noun phrase) hides the verb from that grammar: "Ilka Jessamund, who later founded the payroll
company Lenwick, learned to program ..." gave no question at all. Here it is taken out of the main statement and
becomes a statement of its own about the subject:

    "Ilka Jessamund, who later founded the payroll company Lenwick, learned to program as an apprentice."
    -> "Ilka Jessamund learned to program as an apprentice."
       "Ilka Jessamund later founded the payroll company Lenwick."
    "Cobrith, the payments startup, spent its first months in Dowlesby."
    -> "Cobrith spent its first months in Dowlesby."  "Cobrith was the payments startup."
    "When the frigate ran aground, her captain, Thaddeus Wyle, came ashore."  (a name after a description)
    -> "When the frigate ran aground, Thaddeus Wyle came ashore."  "Thaddeus Wyle was her captain."

A relative clause inside the subject ("The man who rid the moors of highwaymen was ...") needs no statement of
its own: the grammar steps over it (phrases._finite_verb). The statements are only ever asked about; every
answer stays the whole sentence as the document has it.
"""

from __future__ import annotations

from lift.synth.phrases import noun_phrase_end, subject_start, tag, tokenize

MAX_PARENTHETICAL = 25  # tokens between the two commas
_FINITE = {"VBD", "VBZ", "VBP", "MD", "VBN"}  # the tagger reads many past tenses as participles
_AUXILIARIES = {"is", "are", "was", "were", "has", "have", "had", "will", "would", "can", "could", "may", "might"}


def statements(sentence: str) -> list[str]:
    """The sentence itself, or, where a parenthetical follows its subject, the main statement without it and
    the parenthetical as a statement about the subject (in that order)."""
    tokens, offsets = tokenize(sentence)
    if len(tokens) < 6:
        return [sentence]
    tags = tag(tokens)
    start = subject_start(tokens, tags)
    end = noun_phrase_end(tokens, tags, start)
    if end <= start or end >= len(tokens) or tokens[end] != ",":
        return [sentence]
    close = next((k for k in range(end + 1, min(len(tokens), end + 2 + MAX_PARENTHETICAL)) if tokens[k] == ","), None)
    if close is None or close + 1 >= len(tokens) or not _starts_predicate(tokens, tags, close + 1):
        return [sentence]
    inner = (end + 1, close)
    text = lambda a, b: sentence[offsets[a][0] : offsets[b - 1][1]]  # noqa: E731
    subject, parenthetical = text(start, end), text(*inner)
    lead = sentence[: offsets[start][0]]
    rest = sentence[offsets[close + 1][0] :]
    verb = range(close + 1, min(len(tokens), close + 3))
    past = any(tags[k] in ("VBD", "VBN") or tokens[k].lower() in ("was", "were", "had") for k in verb)
    plural = tags[end - 1] in ("NNS", "NNPS")
    be = ("were" if plural else "was") if past else ("are" if plural else "is")
    first, kind = tokens[inner[0]].lower(), tags[inner[0]]
    if first in ("who", "which") and _starts_predicate(tokens, tags, inner[0] + 1, adverb=True):
        about = f"{subject} {text(inner[0] + 1, inner[1])}"  # "Ilka Jessamund later founded ..."
    elif kind == "VBN":
        about = f"{subject} {be} {parenthetical}"  # "The editor was written by ..."
    elif _proper(tags, *inner) and not _proper(tags, start, end):
        # "her captain, Thaddeus Wyle, came ashore": the name is the subject users ask about
        about = f"{parenthetical} {be} {_lower_article(subject)}"
        subject = parenthetical
    elif kind in ("DT", "PRP$", "JJ", "NN", "NNS", "NNP") and noun_phrase_end(tokens, tags, inner[0]) > inner[0]:
        about = f"{subject} {be} {parenthetical}"  # "Cobrith was the payments startup"
    else:
        return [sentence]
    main = f"{lead}{subject} {rest}"
    return [_upper_first(main), _upper_first(about.rstrip(" ,")) + "."]


def _starts_predicate(tokens: list[str], tags: list[str], i: int, adverb: bool = True) -> bool:
    """Whether a verb group starts at token i (an adverb before it allowed): 'spent', 'had been taught',
    'never put'."""
    while adverb and i < len(tokens) and tags[i] == "RB":
        i += 1
    return i < len(tokens) and (tags[i] in _FINITE or tokens[i].lower() in _AUXILIARIES)


def _proper(tags: list[str], start: int, end: int) -> bool:
    return end > start and all(t in ("NNP", "NNPS") for t in tags[start:end])


def _lower_article(text: str) -> str:
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "A", "An", "Her", "His", "Its", "Their") and rest else text


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
