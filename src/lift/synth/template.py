"""The `template` generator: deterministic QA pairs built from the sentence itself, no language model.

Every answer is a span of the sentence, so the pairs are grounded by construction. The templates, in the
order they are used (the first m that apply):
  1. definition:  "X is Y."            -> "What is X?"                              / the sentence
  2. key phrase:  a proper-noun phrase -> "What does the text say about <phrase>?"  / the sentence
  3. cloze:       the first half       -> 'Complete the sentence: "<first half> ..."' / the second half
  4. succession:  the sentence before  -> 'What does the text say right after "<previous>"?' / the sentence
Optional forms (synth.template_forms): wh questions (wh_questions.py) and `about`: two of the sentence's names,
numbers or dates asked together in rotating wordings ("Tell me about Edda Voss and 1961.").
"""

from __future__ import annotations

import hashlib
import json
import re
from itertools import zip_longest

from lift.config import DEFAULT_TEMPLATE_FORMS, WORDS_PER_PAIR
from lift.synth.aux import template_aux_pair
from lift.synth.backend import BatchGenerator
from lift.synth.phrases import (
    do_question,
    embedded_question,
    parse,
    phrase_first,
    resolve_pronoun,
    wh_question,
    yes_no_question,
)
from lift.synth.statements import statements
from lift.synth.types import AuxWindow, Job, SentenceRequest
from lift.synth.wh_questions import MONTH_PATTERN, count_phrase_end, wh_questions
from lift.synth.wordings import reworded

_ABOUT_WORDINGS = (
    "What does the text say about {}?",
    "Tell me about {}.",
    "What happened with {}?",
    "What is said about {}?",
)
_DATE = re.compile(rf"\b(?:(?:{MONTH_PATTERN})\s+(?:\d{{1,2}},?\s+)?)?(?:1[0-9]{{3}}|20[0-9]{{2}})s?\b")
_COUNT_WORDS = {"two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "twelve", "twenty", "hundred"}
_LEADING_WORDS = {
    "At", "After", "Before", "During", "For", "From", "By", "With", "Near", "Since", "Until", "Under", "Over",
    "Of", "To", "As", "Then", "Once", "Although", "While", "Because", "However", "Yet", "His", "Her", "Its",
    "Their", "Our", "My", "We", "They", "He", "She", "You", "Most", "Some", "Many", "Every", "Each", "All",
}  # fmt: skip

GENERATOR_ID = "template-v1"
UNNAMED_FORMS = ("definition", "key_phrase", "cloze", "succession")  # cache keys of these name no forms

_COPULA = re.compile(r"^(?P<subject>.+?)\s+(?P<verb>is|are|was|were)\s+(?P<rest>.+)$")
_PRONOUN_SUBJECTS = {
    "it", "this", "that", "these", "those", "they", "he", "she", "we", "i", "you", "there", "here",
    "which", "what", "who", "one", "so", "and", "but", "or",
}  # fmt: skip
_PROPER_PHRASE = re.compile(r"\b([A-Z][a-zA-Z'’-]+(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][a-zA-Z'’-]+)*)")
_STOP_CAPITALIZED = {"The", "A", "An", "I", "It", "This", "That", "But", "And", "So", "If", "In", "On", "When"}


class TemplateGenerator(BatchGenerator):
    generator_id = GENERATOR_ID
    batch_size = 256

    def __init__(
        self,
        qa_per_sentence: int,
        forms: tuple[str, ...] | list[str] = DEFAULT_TEMPLATE_FORMS,
        words_per_pair: int = WORDS_PER_PAIR,
        reask: int = 0,
    ) -> None:
        super().__init__()
        self.qa_per_sentence = qa_per_sentence
        self.forms = tuple(forms)
        self.words_per_pair = words_per_pair
        self.reask = reask
        self._made: dict[tuple[str, str], list[dict[str, str]]] = {}  # (sentence, previous) -> its pairs

    def sampling_params(self) -> dict:
        params: dict = {"qa_per_sentence": self.qa_per_sentence}
        if self.forms != UNNAMED_FORMS:  # the forms of the cache keys made before forms could be chosen
            params["forms"] = list(self.forms)
        if set(self.forms) & set(PHRASE_FORMS):  # cached pairs of an earlier phrase grammar are not reused
            params["phrases"] = PHRASES_VERSION
            if self.words_per_pair != WORDS_PER_PAIR:  # the keys made before the setting existed name none
                params["words_per_pair"] = self.words_per_pair
            if self.reask and "ask" in self.forms:
                params["reask"] = self.reask
        return params

    def pairs_at_most(self, request: SentenceRequest) -> int | None:
        """Exactly the pairs the sentence gets (made now and kept for generate, which then costs nothing)."""
        return len(self._pairs(request))

    def generate(self, jobs: list[Job]) -> list[str | None]:
        """Raw outputs in the shapes an LLM generator is asked for (JSON pairs; Question/Answer/Evidence)."""
        return [self._one(job) for job in jobs]

    def _one(self, job: Job) -> str:
        if isinstance(job.unit, AuxWindow):
            pair = template_aux_pair(job.unit)
            if pair is None:
                return "No question: no name recurs in this window."
            return f"Question: {pair['question']}\n\nAnswer: {pair['answer']}\n\nEvidence: {pair['evidence']}"
        return json.dumps({"qa_list": self._pairs(job.unit)})

    def _pairs(self, request: SentenceRequest) -> list[dict[str, str]]:
        key = (request.sentence, request.previous_sentence)
        if key not in self._made:
            self._made[key] = self._make(request)
        return self._made[key]

    def _make(self, request: SentenceRequest) -> list[dict[str, str]]:
        pairs = template_pairs(request.sentence, request.previous_sentence, self.forms, self.reask)
        if set(self.forms) & set(PHRASE_FORMS):
            yes = [p for p in pairs if p["answer"].startswith("Yes: ")]  # on top of the cap: yes/no is its own skill
            keep = pairs_for(request.sentence, self.qa_per_sentence, self.words_per_pair)
            # the cap counts the pairs themselves; a kept ask pair brings its other wordings (synth.reask) along
            kept: list[dict[str, str]] = []
            counted, keeping = 0, False
            for pair in pairs:
                if pair in yes:
                    continue
                if pair.pop(REWORDED, False):  # another wording of the ask pair just before it
                    kept += [pair] if keeping else []
                    continue
                keeping = counted < keep
                counted += 1
                kept += [pair] if keeping else []
            return kept + yes
        return pairs[: self.qa_per_sentence]  # the older forms keep m pairs of every sentence


def pairs_for(sentence: str, most: int, words_per_pair: int = WORDS_PER_PAIR) -> int:
    """How many of a sentence's pairs to keep: `most` (qa_per_sentence), and one per `words_per_pair` words of
    the sentence (at least 2), so that a short sentence does not cost as much training as a long one. The
    yes/no pair of the yes_no form comes on top."""
    return min(most, max(2, -(-len(sentence.split()) // words_per_pair)))


def template_pairs(
    sentence: str,
    previous_sentence: str = "",
    forms: tuple[str, ...] | list[str] = DEFAULT_TEMPLATE_FORMS,
    reask: int = 0,
) -> list[dict[str, str]]:
    """Every pair the given forms make of the sentence: the phrase forms (ask, cue, yes_no) phrase by phrase
    (phrase_pairs, with `reask` other wordings after each ask pair), the older forms form by form in the order
    given."""
    phrase_forms = tuple(f for f in forms if f in PHRASE_FORMS)
    if phrase_forms:
        older = [f for f in forms if f not in PHRASE_FORMS]
        return phrase_pairs(sentence, previous_sentence, phrase_forms, reask) + (
            template_pairs(sentence, previous_sentence, older) if older else []
        )
    body = sentence.strip().rstrip(".!?;:").strip()
    if len(body.split()) < 4:
        return []
    answer = sentence.strip()
    pairs: list[dict[str, str]] = []
    for form in forms:
        if form == "definition":
            pairs += _definition(body, answer)
        elif form == "key_phrase" and (phrase := _key_phrase(body)):
            pairs.append({"question": f"What does the text say about {phrase}?", "answer": answer})
        elif form == "cloze":
            words = body.split()
            head, tail = " ".join(words[: len(words) // 2]), " ".join(words[len(words) // 2 :])
            ending = answer[-1] if answer[-1] in ".!?" else "."
            pairs.append({"question": f'Complete the sentence: "{head} ..."', "answer": f"{head} {tail}{ending}"})
        elif form == "succession" and previous_sentence.strip():
            question = f'What does the text say right after "{_shorten(previous_sentence)}"?'
            pairs.append({"question": question, "answer": answer})
        elif form == "wh":
            pairs += [{"question": q.question, "answer": answer} for q in wh_questions(answer)]
        elif form == "about":
            pairs += [{"question": q, "answer": answer} for q in _about_questions(body)]
    return pairs


PHRASE_FORMS = ("ask", "cue", "yes_no")
REWORDED = "reworded"  # marks a pair phrase_pairs made as another wording of the ask pair before it
PHRASES_VERSION = 11  # bump with every change of what phrase_pairs or lift.synth.phrases write
_CUE_WORDINGS = (
    "Tell me about {}.",
    "What do you know about {}?",
    "What does the text say about {}?",
    "What happened with {}?",
    "What can you tell me about {}?",
    "What is said about {}?",
    "Remind me what we know about {}.",
    "What is the story of {}?",
)


def phrase_pairs(
    sentence: str, previous_sentence: str = "", forms: tuple[str, ...] = ("ask", "cue", "yes_no"), reask: int = 0
) -> list[dict]:
    """Every content phrase of the sentence as an answer and as a cue (lift.synth.phrases), phrase by phrase,
    so that a cap on pairs per sentence keeps both directions of as many phrases as it can:
      ask:    a wh-question whose answer is the phrase -> "<Phrase>: <the sentence>"; with `reask`, that many
              other wordings of it follow (lift.synth.wordings), marked REWORDED, with the same answer
      cue:    a question naming the phrase -> the sentence restated with the phrase first where it can be
      yes_no: "What did <subject> do?" -> the sentence, and the sentence as a yes/no question -> "Yes: ..."
    A sentence starting with he/she carries the previous sentence's named subject instead."""
    sentence = resolve_pronoun(sentence.strip(), previous_sentence)
    if len(sentence.split()) < 4:
        return []
    said = statements(sentence)  # the sentence, or its main statement and a parenthetical's
    clauses = [parse(text) for text in said]
    turn = int(hashlib.sha1(sentence.encode()).hexdigest(), 16)
    # each statement's own phrases first (asked for and named), then the names and noun phrases inside them
    # (named: what a user's question is most likely to mention), then the phrases of its subordinate clauses
    # (the statements' phrases in turn, so that a cap on pairs keeps some of each)
    ordered = []
    for group in ("attached", "name", "inner"):
        each = [[(read, p) for p in read.phrases if _group(p) == group] for read in clauses]
        ordered += [pair for pairs_in_turn in zip_longest(*each) for pair in pairs_in_turn if pair]
    pairs: list[dict] = []
    asked, cued = set(), set()
    for i, (clause, phrase) in enumerate(ordered):
        short = "ask_short" in forms
        if ("ask" in forms or short) and (question := wh_question(clause, phrase)) and question.lower() not in asked:
            asked.add(question.lower())
            answer = (
                _capitalized(phrase.text).rstrip(".") + "." if short else f"{_capitalized(phrase.text)}: {sentence}"
            )
            pairs.append({"question": question, "answer": answer})
            if reask and not short:
                embedded = embedded_question(clause, phrase)
                for other in reworded(question, embedded, phrase.wh, turn + i, reask):
                    pairs.append({"question": other, "answer": answer, REWORDED: True})
        cue = phrase.core.strip(" ,")
        if "cue" in forms and _cue_worthy(clause, phrase, cue, sentence) and cue.lower() not in cued:
            cued.add(cue.lower())
            question = _CUE_WORDINGS[(turn + i) % len(_CUE_WORDINGS)].format(_lower_article(cue))
            restated = phrase_first(clause, phrase) if len(said) == 1 else None  # a statement leaves words out
            pairs.append({"question": question, "answer": restated or sentence})
    clause = clauses[0]
    if "yes_no" in forms:
        if question := do_question(clause):
            pairs.append({"question": question, "answer": sentence})
        if question := yes_no_question(clause):
            pairs.append({"question": question, "answer": f"Yes: {sentence}"})
    return pairs


def _group(phrase) -> str:
    return "name" if phrase.role == "name" else "attached" if phrase.attached else "inner"


def _cue_worthy(clause, phrase, cue: str, sentence: str) -> bool:
    """A phrase worth naming in a question: not a verb phrase ('eat a sandwich'), not the whole sentence."""
    return clause.tags[phrase.start] not in ("VB", "VBP", "VBG", "TO") and len(cue) >= 3 and cue != sentence


def _capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_article(text: str) -> str:
    first, _, rest = text.partition(" ")
    return f"{first.lower()} {rest}" if first in ("The", "A", "An") and rest else text


def _definition(body: str, answer: str) -> list[dict[str, str]]:
    match = _COPULA.match(body)
    if not match:
        return []
    subject = match.group("subject").strip(" ,")
    if not 2 <= len(subject.split()) <= 12 or subject.split()[0].lower() in _PRONOUN_SUBJECTS:
        return []
    subject = subject[0].lower() + subject[1:] if not _is_proper(subject.split()[0]) else subject
    return [{"question": f"What {match.group('verb')} {subject}?", "answer": answer}]


def _is_proper(word: str) -> bool:
    return word[:1].isupper() and word not in _STOP_CAPITALIZED


def _key_phrase(body: str) -> str:
    """The longest capitalized phrase not at the very start of the sentence, else the longest word."""
    candidates = [
        m.group(1) for m in _PROPER_PHRASE.finditer(body) if m.start() > 0 and m.group(1) not in _STOP_CAPITALIZED
    ]
    if candidates:
        return max(candidates, key=len)
    content = [w.strip(",;:()\"'") for w in body.split()[1:]]
    content = [w for w in content if len(w) >= 6]
    return max(content, key=len) if content else ""


def _shorten(sentence: str, max_words: int = 20) -> str:
    words = sentence.split()
    return " ".join(words[:max_words]) + (" ..." if len(words) > max_words else "")


def _about_questions(body: str) -> list[str]:
    """Up to two questions, each naming two of the sentence's names, counts and dates (the first with the
    second, the last with the first), in wordings that rotate with the sentence so no one question string
    carries the fact. A sentence with one such phrase gets one question about it, one with none gets none."""
    phrases = _about_phrases(body)
    if not phrases:
        return []
    if len(phrases) == 1:
        topics = [phrases[0]]
    else:
        topics = [f"{phrases[0]} and {phrases[1]}"]
        if len(phrases) > 2:
            topics.append(f"{phrases[-1]} and {phrases[0]}")
    turn = int(hashlib.sha1(body.encode()).hexdigest(), 16)
    return [_ABOUT_WORDINGS[(turn + i) % len(_ABOUT_WORDINGS)].format(topic) for i, topic in enumerate(topics)]


def _about_phrases(body: str) -> list[str]:
    """Names (capitalized phrases, less a leading function word; at the sentence start only when of two words
    or more), dates ("August 2003", "1952") and counts ("118 wrecked fishing boats"), in the order they
    appear, without repeats."""
    found: list[tuple[int, str]] = []
    dates = [(m.start(), m.end()) for m in _DATE.finditer(body)]
    for m in _PROPER_PHRASE.finditer(body):
        if any(a <= m.start() < b for a, b in dates):
            continue
        words = m.group(1).split()
        while words and (words[0] in _STOP_CAPITALIZED or words[0] in _LEADING_WORDS):
            words = words[1:]
        if words and (m.start() > 0 or len(words) >= 2):
            found.append((m.start(), " ".join(words)))
    found += [(a, body[a:b].rstrip(",.")) for a, b in dates]
    tokens = body.split()
    offsets = [m.start() for m in re.finditer(r"\S+", body)]
    for i, token in enumerate(tokens):
        if any(a <= offsets[i] < b for a, b in dates) or not token[0].isdigit() and token.lower() not in _COUNT_WORDS:
            continue
        end = count_phrase_end(tokens, i)
        if end is not None:
            found.append((offsets[i], " ".join(tokens[i:end]).strip(",;:.")))
    return list(dict.fromkeys(phrase for _, phrase in sorted(found)))
