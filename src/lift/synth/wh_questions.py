"""Wh-questions about one declarative sentence, in the words a user would ask them: its subject asked with
who/what ("Who founded the Rivergate bakery in Lisbon?"), and with do-support each object, place, date and
count after the verb ("Where did Alice found the bakery?", "How many crates did Tomas deliver?").

Pure string work on the sentence with a verb lemmatizer (lemminflect): no parser, so a sentence whose
subject or finite verb it cannot find yields no questions rather than wrong ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lemminflect import getAllLemmas, getInflection

_PLACE_PREPOSITIONS = {"in", "at", "near", "on", "from", "to", "outside", "inside", "behind"}
_FRONTING = _PLACE_PREPOSITIONS | {"by", "during", "since", "after", "before", "last", "every", "each", "later"}
_SUBORDINATORS = {
    "when", "if", "after", "because", "although", "though", "while", "as", "since", "before", "once", "unless",
    "whereas", "where", "whether",
}  # fmt: skip
_NAMING_PARTICIPLES = {"named", "called", "nicknamed", "titled", "dubbed", "known", "born", "based"}
_PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "this", "that", "these", "those", "there", "one"}
_DETERMINERS = {"the", "a", "an", "his", "her", "its", "their", "our", "my", "your"}
_OBJECT_ENDS = _PLACE_PREPOSITIONS | {
    "for", "with", "by", "after", "before", "during", "because", "since", "until", "while", "when", "and", "but",
    "that", "which", "who", "into", "over", "under", "through", "across", "every", "each", "as",
}  # fmt: skip
_NUMBER_WORDS = {
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
    "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "dozen", "dozens", "hundreds", "thousands",
}  # fmt: skip
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # fmt: skip
MONTH_PATTERN = "|".join(_MONTHS)  # a regex alternation of the month names
_YEAR_NUMBER = re.compile(r"1[0-9]{3}|20[0-9]{2}")
_TIME_PHRASE = re.compile(
    rf"^(?:(?:in|by|during|since|until|on)\s+)?(?:(?:early|late|mid)\s+)?(?:(?:{MONTH_PATTERN})\s+(?:\d{{1,2}},?\s+)?)?"
    r"(?:1[0-9]{3}|20[0-9]{2})s?$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class WhQuestion:
    form: str  # who | what | where | when | how_many
    question: str
    answer: str  # the phrase asked about, as the sentence words it ("the Carolina Panthers", "in 2015")


def wh_questions(sentence: str) -> list[WhQuestion]:
    """The sentence's subject question first, then one question per object, place, date and count, in order.
    The questions keep only the verb's object besides the subject ("Where did Alice found the bakery?"), as
    users ask them."""
    words = sentence.strip().rstrip(".!?;:").strip().split()
    cut = _fronted_end(words)  # "In 1987, Marta ..." / "In 1994 a beekeeper ..."
    fronted = [w.rstrip(",") for w in words[:cut]]
    if fronted:
        fronted[0] = fronted[0].lower()
    if len(words) - cut < 4 or (found := _finite_verb(words, cut)) is None:
        return []
    verb_at, lemma, auxiliary = found
    subject_words = words[cut:verb_at]
    if (
        not subject_words
        or len(subject_words) > 10
        or _bare(subject_words[-1]) in _PRONOUNS
        or any(_bare(w) in _SUBORDINATORS for w in subject_words)
    ):
        return []
    subject = " ".join(subject_words).strip(",")
    if _bare(subject_words[0]) in _DETERMINERS:
        subject = subject[0].lower() + subject[1:]
    rest = [w for w in words[verb_at + 1 :]]
    fronted_text = " ".join(fronted)
    questions = []

    def ask(form: str, answer: list[str], *parts: str) -> None:
        text = re.sub(r"\s+", " ", " ".join(parts)).strip().rstrip(",")
        phrase = " ".join(answer).strip(",;:")
        questions.append(WhQuestion(form, text[0].upper() + text[1:] + "?", phrase))

    spans = _spans_after_verb(rest)
    object_end = spans[0][2] if spans and spans[0][1] == 0 and spans[0][0] in ("who", "what", "how_many") else 0
    who = _is_capitalized(subject_words[-1])  # a name heads the subject
    predicate = rest[: max(object_end, 1)]
    verb = words[verb_at].strip(",;:")
    ask("who" if who else "what", subject_words, "Who" if who else "What", verb, *predicate)
    for form, start, end in spans:
        remaining = " ".join(rest[:object_end]) if start >= object_end else ""
        if form == "how_many":
            lead = "How many " + " ".join(_bare(w) for w in rest[start + 1 : end])
        else:
            lead = {"who": "Who", "what": "What", "where": "Where", "when": "When"}[form]
        ask(form, rest[start:end], lead, auxiliary, subject, lemma, remaining)
    if fronted:
        form = "when" if _TIME_PHRASE.match(fronted_text.rstrip(",")) else "where" if _is_place(fronted, 0) else None
        if form:
            ask(form, fronted, form.capitalize(), auxiliary, subject, lemma, *rest[:object_end])
    return questions


def _bare(word: str) -> str:
    return word.strip(",;:.!?\"'()").lower()


def _is_capitalized(word: str) -> bool:
    word = word.strip(",;:.!?\"'()")
    return bool(word) and word[0].isupper()


def _fronted_end(words: list[str]) -> int:
    """Where a leading place or time phrase ends (0: none): up to its comma, or the phrase itself."""
    if not words or _bare(words[0]) not in _FRONTING:
        return 0
    comma = next((i for i, w in enumerate(words[:8]) if w.endswith(",")), None)
    if comma is not None:
        return comma + 1
    for length in (5, 4, 3, 2):
        if _TIME_PHRASE.match(" ".join(words[:length])):
            return length
    return _is_place(words, 0) or 0


def _finite_verb(words: list[str], start: int) -> tuple[int, str, str] | None:
    """(position, lemma, auxiliary for do-support) of the first past-tense ('did') or third-person present
    ('does') lexical verb after the first word of the subject at `start`."""
    for i in range(start + 1, min(len(words), start + 14)):
        raw = words[i].strip(",;:.!?\"'()")
        word = raw.lower()
        if not word.isalpha() or raw[0].isupper() or word in _NAMING_PARTICIPLES:
            continue
        lemmas = getAllLemmas(word).get("VERB")
        if not lemmas or lemmas[0] in ("be", "have", "do"):
            continue
        lemma = lemmas[0]
        if word != lemma and word in getInflection(lemma, tag="VBD"):
            return i, lemma, "did"
        if word != lemma and word in getInflection(lemma, tag="VBZ") and _bare(words[i - 1]) not in _DETERMINERS:
            return i, lemma, "does"
    return None


def _is_place(words: list[str], i: int) -> int | None:
    """End of a place phrase starting at i ('in Lisbon', 'at the Castle of Saint George'), or None."""
    if i >= len(words) or _bare(words[i]) not in _PLACE_PREPOSITIONS:
        return None
    name = i + 2 if i + 2 < len(words) and _bare(words[i + 1]) == "the" else i + 1
    if name >= len(words) or not _is_capitalized(words[name]) or words[name].strip(",.") in _MONTHS:
        return None
    end = name
    while end < len(words) and (_is_capitalized(words[end]) or _bare(words[end]) in ("of", "the", "de")):
        end += 1
        if words[end - 1].endswith(","):
            break
    return None if _TIME_PHRASE.match(" ".join(words[i:end])) else end


def count_phrase_end(words: list[str], i: int) -> int | None:
    """End of a count phrase starting at i ('312 steps', 'forty-two crates of apples'), or None."""
    if i + 1 >= len(words) or words[i].endswith(","):
        return None
    word = _bare(words[i])
    number = word.replace(",", "").isdigit() and not _YEAR_NUMBER.fullmatch(word)
    if not (number or all(part in _NUMBER_WORDS for part in word.split("-"))):
        return None
    end = i + 1  # the counted noun phrase: up to three words, ending at its plural head ("fishing boats")
    while end < len(words) and end - i <= 3 and _bare(words[end]).isalpha() and _bare(words[end]) not in _OBJECT_ENDS:
        end += 1
        if re.search(r"[^su]s$", _bare(words[end - 1])) or words[end - 1].endswith(","):
            break
    if end == i + 1:
        return None
    if end + 1 < len(words) and _bare(words[end]) == "of" and not words[end - 1].endswith(","):
        end += 2
    return end


def _spans_after_verb(rest: list[str]) -> list[tuple[str, int, int]]:
    """(form, start, end) of the object right after the verb and of every place, date and count phrase."""
    spans = []
    end = 0
    while end < len(rest) and _bare(rest[end]) not in _OBJECT_ENDS and not _TIME_PHRASE.match(rest[end]):
        end += 1
        if rest[end - 1].endswith(","):
            break
    if 0 < end <= 6 and count_phrase_end(rest, 0) is None:
        name = all(_is_capitalized(w) for w in rest[:end]) and end <= 3
        spans.append(("who" if name else "what", 0, end))
    i = 0
    while i < len(rest):
        for length in (5, 4, 3, 2, 1):
            phrase = " ".join(w.strip(",;:") for w in rest[i : i + length])
            if i + length <= len(rest) and _TIME_PHRASE.match(phrase):
                spans.append(("when", i, i + length))
                i += length
                break
        else:
            if (place_end := _is_place(rest, i)) is not None:
                spans.append(("where", i, place_end))
                i = place_end
            elif (count_end := count_phrase_end(rest, i)) is not None:
                spans.append(("how_many", i, count_end))
                i = count_end
            else:
                i += 1
    return spans
