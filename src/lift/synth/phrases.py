"""The content phrases of one declarative sentence, and the questions and restatements built on them.

A sentence is tagged with a part-of-speech tagger (TextBlob's bundled Brill tagger: a lexicon and rules
shipped inside the PyPI wheel, so it runs offline; spaCy's parsers are better but their models are not on the
package registries), the tags are repaired where that tagger is known to err (nouns after adjectives,
participles read as past tense), and a small clause grammar finds the subject, the finite verb and every
phrase after it: the objects, the places, times and means after any preposition, counts and purposes. Each
phrase can then be

- asked for: a wh-question whose answer is the phrase ("Where did Maria leave the spare key?"), with
  do-support or inversion where the verb allows it, else the phrase replaced in place ("... left it where?");
- named: a question that names the phrase and is answered with the whole fact;
- put first: the sentence restated with the phrase in front (a fronted adverbial, a passive, or the phrase
  as a topic), so that the fact is stored under each of its parts, not only under its first words.

A sentence this grammar cannot read (no finite verb, a pronoun subject with nothing to resolve it) yields
named phrases only, never a malformed question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from lemminflect import getAllLemmas, getInflection

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?\b|\w+(?:[-'’]\w+)*|[^\w\s]")

_PLACE_PREPOSITIONS = {
    "in", "at", "near", "on", "under", "behind", "inside", "outside", "beside", "above", "below", "over",
    "across", "around", "along", "through", "between", "beyond", "within", "beneath", "among", "opposite",
    "into", "onto", "toward", "towards", "to", "from", "off", "past", "underneath", "next",
}  # fmt: skip
_TIME_PREPOSITIONS = {"before", "after", "during", "since", "until", "till", "throughout"}
_SUBORDINATORS = {
    "if", "because", "although", "though", "while", "whereas", "unless", "whether", "when", "once", "as", "so",
    "that", "which", "who", "whom", "whose", "where", "than",
}  # fmt: skip
_MONTHS = {
    "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
    "november", "december",
}  # fmt: skip
_TIME_NOUNS = _MONTHS | {
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "morning", "afternoon",
    "evening", "night", "nights", "day", "days", "week", "weeks", "month", "months", "year", "years", "decade",
    "decades", "century", "centuries", "spring", "summer", "autumn", "fall", "winter", "dawn", "dusk", "noon",
    "midnight", "weekend", "weekends", "season", "hour", "hours", "minute", "minutes", "era", "age", "war",
    "childhood", "youth", "twenties", "thirties", "forties", "fifties", "sixties", "seventies", "eighties",
    "nineties", "time", "times", "moment", "beginning", "end", "start", "period", "holidays", "christmas",
}  # fmt: skip
_CLOCK_WORDS = {"a.m.", "p.m.", "am", "pm"}
_PERSON_NOUNS = {
    "man", "woman", "men", "women", "boy", "girl", "child", "children", "people", "person", "friend", "wife",
    "husband", "mother", "father", "son", "daughter", "brother", "sister", "uncle", "aunt", "cousin", "king",
    "queen", "prince", "princess", "captain", "chief", "pilot", "doctor", "nurse", "student", "students",
    "teacher", "professor", "author", "poet", "artist", "architect", "engineer", "scientist", "mayor", "sailor",
    "soldier", "priest", "monk", "nun", "farmer", "fisherman", "merchant", "clerk", "judge", "lawyer", "chef",
    "cook", "baker", "butcher", "guard", "officer", "president", "minister", "senator", "governor", "founder",
    "owner", "inventor", "explorer", "hunter", "painter", "singer", "dancer", "actor", "actress", "writer",
    "reader", "player", "coach", "manager", "director", "leader", "member", "worker", "workers", "team",
    "investor", "investors", "founders", "customer", "customers", "user", "users", "hacker", "hackers",
    "programmer", "programmers", "neighbour", "neighbor", "widow", "orphan", "apprentice", "sheriff", "bishop",
    "emperor", "duke", "lord", "lady", "knight", "pirate", "thief", "smith", "carpenter", "tailor", "weaver",
    "potter", "miner", "shepherd", "surgeon", "chemist", "physicist", "biologist", "botanist", "historian",
    "librarian", "musician", "composer", "violinist", "pianist", "journalist", "editor", "photographer",
    "astronomer", "beekeeper", "clockmaker", "cartographer", "navigator", "mechanic", "diver", "climber",
    "ranger", "courier", "postman", "postmistress", "innkeeper", "shopkeeper", "gardener", "keeper", "warden",
    "he", "she", "someone", "everyone", "nobody", "anyone",
}  # fmt: skip
_PERSON_SUFFIXES = ("ist", "ian", "maker", "keeper", "smith", "wright", "monger", "master", "mistress")
_COUNT_WORDS = {
    "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen",
    "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty", "thirty", "forty", "fifty",
    "sixty", "seventy", "eighty", "ninety", "hundred", "thousand", "million", "dozen", "dozens", "hundreds",
    "thousands", "millions", "billion", "billions",
}  # fmt: skip
_PRONOUNS = {"i", "you", "he", "she", "it", "we", "they", "this", "that", "these", "those", "there", "one", "who"}
_BE = {"is", "are", "was", "were", "am", "'s", "’s"}
_BE_FORMS = _BE | {"be", "been", "being"}
_HAVE = {"has", "have", "had"}
_DO = {"does", "do", "did"}
_NAMING = {"named", "called", "nicknamed", "titled", "dubbed", "known"}
_NOUN_TAGS = {"NN", "NNS", "NNP", "NNPS"}
_MODIFIER_TAGS = {"DT", "PRP$", "JJ", "JJR", "JJS", "CD", "POS", "VBN", "VBG", "PDT", "HYPH"} | _NOUN_TAGS
_CAPITALIZED_FUNCTION = {"The", "A", "An", "In", "On", "At", "It", "This", "That", "These", "Those", "But", "And"}


@dataclass(frozen=True)
class Phrase:
    """A content phrase: its words as the sentence has them, what it is to the clause, and the wh-word that
    asks for it."""

    text: str  # "under the blue flowerpot by the back door"
    core: str  # the noun phrase without its preposition: "the blue flowerpot by the back door"
    role: str  # subject | object | adjunct | name | count | purpose
    wh: str  # who | what | where | when | how_many | how | why | prep:<preposition>
    start: int  # token span in the sentence
    end: int
    attached: bool = True  # part of the main clause (not inside a participle or a relative clause)


@dataclass(frozen=True)
class Clause:
    """One sentence read as lead + subject + verb group + rest."""

    sentence: str
    tokens: tuple[str, ...]
    tags: tuple[str, ...]
    offsets: tuple[tuple[int, int], ...]
    lead_end: int  # tokens before the subject (a fronted time/place phrase or subordinate clause), 0 if none
    subject: tuple[int, int] | None  # token span of the subject
    verb: tuple[int, int] | None  # token span of the verb group (auxiliaries + main verb)
    lemma: str  # the main verb's lemma ("leave"); "" without a verb
    auxiliary: str  # what fronts in a question: did/does/do, or the clause's own auxiliary (was, has, will)
    rest_verb: str  # the verb words left after the auxiliary moves: "leave", "left", "been living"
    copula: bool
    phrases: tuple[Phrase, ...]

    def span(self, start: int, end: int) -> str:
        """The sentence's own text for tokens [start, end)."""
        if start >= end:
            return ""
        return self.sentence[self.offsets[start][0] : self.offsets[end - 1][1]]

    @property
    def body_end(self) -> int:
        end = len(self.tokens)
        while end > 0 and self.tags[end - 1] in (".", ":", ","):
            end -= 1
        return end

    @property
    def subject_text(self) -> str:
        return self.span(*self.subject) if self.subject else ""


@lru_cache(maxsize=1)
def _tagger():
    from textblob.en import parser  # loads the lexicon once (about 0.2 s)

    return parser


def tokenize(sentence: str) -> tuple[list[str], list[tuple[int, int]]]:
    matches = list(_TOKEN.finditer(sentence))
    return [m.group() for m in matches], [(m.start(), m.end()) for m in matches]


def tag(tokens: list[str]) -> list[str]:
    """Part-of-speech tags (Penn Treebank) with repairs of the tagger's common errors."""
    return list(_tag(tuple(tokens)))


@lru_cache(maxsize=256)
def _tag(tokens: tuple[str, ...]) -> tuple[str, ...]:
    # cached: lift.synth.statements reads a sentence before parse() reads it (or its statements) again
    tags = [t for _, t in _tagger().find_tags(list(tokens))]
    for i, word in enumerate(tokens):
        lower = word.lower()
        lemmas = getAllLemmas(lower)
        nxt = tags[i + 1] if i + 1 < len(tags) else "."
        prev = tags[i - 1] if i > 0 else ""
        if word.isdigit() or lower in _COUNT_WORDS or all(p in _COUNT_WORDS for p in lower.split("-")):
            tags[i] = "CD"
        elif tags[i] in ("JJ", "RB", "VB", "VBP") and prev in ("DT", "JJ", "PRP$", "CD", "NN") and "NOUN" in lemmas:
            # the last word of a noun phrase is its noun: "the spare key", "a small flat", "the back door"
            if nxt not in _NOUN_TAGS | {"JJ", "CD"} and not (tags[i] == "JJ" and nxt == "NN"):
                tags[i] = "NNS" if lower.endswith("s") and lemmas["NOUN"][0] != lower else "NN"
            elif tags[i] == "RB" and nxt in _NOUN_TAGS:
                tags[i] = "JJ"
        elif tags[i] == "NN" and word[:1].isupper() and i > 0:
            tags[i] = "NNP"
    # a word after 'and' that can be a verb, where the first conjunct's verb is bare, is one too: "eat a
    # sandwich and sit", "ride tram 28 and drink coffee"
    for i in range(1, len(tags)):
        if tokens[i - 1].lower() == "and" and tags[i] in _NOUN_TAGS and "VERB" in getAllLemmas(tokens[i].lower()):
            earlier = [t for t in tags[:i] if t.startswith("VB")]
            if earlier and earlier[-1] in ("VB", "VBP") and tokens[i][0].islower():
                tags[i] = "VB"
    # a participle right after the subject with no auxiliary before it is the past tense: "Maria left"
    for i, t in enumerate(tags):
        if t == "VBN" and i > 0 and tags[i - 1] in _NOUN_TAGS | {"PRP"} and tokens[i].lower() not in _NAMING:
            if not any(tokens[j].lower() in _BE | _HAVE for j in range(max(0, i - 3), i)):
                tags[i] = "VBD"
    return tuple(tags)


def parse(sentence: str, previous_subject: str = "") -> Clause:
    """Read a sentence. `previous_subject`: the subject of the sentence before, put in for a leading he/she/they
    so the fact carries a full name."""
    tokens, offsets = tokenize(sentence)
    tags = tag(tokens)
    lead_end = subject_start(tokens, tags)
    verb_at = _finite_verb(tokens, tags, lead_end)
    empty = Clause(sentence, tuple(tokens), tuple(tags), tuple(offsets), lead_end, None, None, "", "", "", False, ())
    if verb_at is None or verb_at == lead_end:
        return _with_phrases(empty, _names(tokens, tags, offsets, sentence, 0, len(tokens)))
    aux_start = verb_at
    while aux_start > lead_end and (
        tokens[aux_start - 1].lower() in _BE_FORMS | _HAVE | _DO | {"not", "never", "also", "n't"}
        or tags[aux_start - 1] in ("MD", "RB")
    ):
        aux_start -= 1
    subject = (lead_end, aux_start)
    subject_words = tokens[subject[0] : subject[1]]
    relative = [k for k in range(*subject) if _relative_at(tokens, tags, k)][:1]  # a relative clause in it
    others = [w for k, w in enumerate(subject_words, subject[0]) if w.lower() in _SUBORDINATORS and k not in relative]
    contracted = any(_CONTRACTION.search(w) for w in subject_words)  # "I've often had", "It's something"
    if not subject_words or len(subject_words) > (24 if relative else 14) or others or contracted:
        return _with_phrases(empty, _names(tokens, tags, offsets, sentence, 0, len(tokens)))
    verb_end = verb_at + 1
    while verb_end < len(tokens) and tags[verb_end] in ("RP",):  # phrasal particle: "gave up"
        verb_end += 1
    group = [w for w in tokens[aux_start:verb_end]]
    main = tokens[verb_at].lower()
    # an adverb before the verb ("later founded", "finally rid") stays with it, it is no auxiliary
    auxiliaries = _BE_FORMS | _HAVE | _DO
    adverb = {w for k, w in enumerate(tokens[aux_start:verb_at], aux_start) if tags[k] == "RB" and w not in auxiliaries}
    copula = main in _BE and all(w in adverb for w in group[:-1])  # "The problem here is ..."
    if len(group) > 1 and group[0].lower() not in ("not", "never", "also") and group[0] not in adverb:
        auxiliary, rest_verb, lemma = group[0].lower(), " ".join(group[1:]), _lemma(main)
    elif copula:
        auxiliary, rest_verb, lemma = main, "", "be"
    else:
        lemma = _lemma(main)
        finite = tags[verb_at]
        if finite == "VBN" and len(group) > 1:  # "later sold": read as a participle after the adverb
            finite = "VBD"
        auxiliary = {"VBD": "did", "VBZ": "does"}.get(finite, "do" if finite == "VBP" else "")
        if main in _HAVE and len(group) == 1:
            auxiliary = {"has": "does", "have": "do", "had": "did"}[main]
        rest_verb = lemma if auxiliary else main
        adverbs = [w for w in group[:-1] if w.lower() in ("not", "never", "also") or w in adverb]
        if adverbs:  # "also carried" -> "did ... also carry"
            rest_verb = " ".join(adverbs + [rest_verb])
    clause = Clause(
        sentence, tuple(tokens), tuple(tags), tuple(offsets), lead_end, subject, (aux_start, verb_end), lemma,
        auxiliary, rest_verb, copula, (),
    )  # fmt: skip
    phrases = _subject_phrases(clause) + _after_verb_phrases(clause, verb_end) + _lead_phrases(clause)
    phrases += [n for n in _names(tokens, tags, offsets, sentence, 0, len(tokens)) if not _covers(phrases, n)]
    starts = {p.start for p in phrases}
    phrases += [n for n in _inner_noun_phrases(clause) if n.start not in starts]
    return _with_phrases(clause, sorted(phrases, key=lambda p: (p.start, -p.end)))


def _with_phrases(clause: Clause, phrases: list[Phrase]) -> Clause:
    seen, kept = set(), []
    for phrase in phrases:
        key = (phrase.start, phrase.end)
        if key not in seen and phrase.core.strip():
            seen.add(key)
            kept.append(phrase)
    return Clause(**{**clause.__dict__, "phrases": tuple(kept)})


def _covers(phrases: list[Phrase], name: Phrase) -> bool:
    return any(p.start == name.start and p.end == name.end for p in phrases)


def _lemma(word: str) -> str:
    lemmas = getAllLemmas(word.lower()).get("VERB")
    return lemmas[0] if lemmas else word.lower()


def subject_start(tokens: list[str], tags: list[str]) -> int:
    """Tokens before the subject: up to the first comma of a leading prepositional or subordinate phrase, or a
    leading time phrase without a comma ("In 1994 a beekeeper ...")."""
    if not tokens or not (tags[0] in ("IN", "RB", "TO", "WRB") or tokens[0].lower() in _SUBORDINATORS | {"according"}):
        return 0
    comma = next((i for i, w in enumerate(tokens[:16]) if w == ","), None)
    if comma is not None:
        return comma + 1
    if tags[0] == "IN" and len(tokens) > 2:
        end = noun_phrase_end(tokens, tags, 1)
        if end > 1 and _is_time(tokens[1:end]):
            return end
    return 0


_RELATIVE_PRONOUNS = {"who", "which", "that", "whom", "whose"}
# a pronoun with its verb in one word ("I've", "It's", "They're"): the grammar cannot take the verb out of it
_CONTRACTION = re.compile(r"^(?:i|you|he|she|it|we|they|there|that|who|what)['’](?:ve|d|s|re|ll|m)$", re.IGNORECASE)


def _relative_at(tokens: list[str] | tuple[str, ...], tags: list[str] | tuple[str, ...], i: int) -> bool:
    """Whether token i opens a relative clause on the noun before it ("the man who ...", "the key that ...")."""
    return (
        i > 0
        and tokens[i].lower() in _RELATIVE_PRONOUNS
        and (tags[i - 1] in _NOUN_TAGS or tokens[i - 1].lower() == "one")
    )


def _finite_verb(tokens: list[str], tags: list[str], start: int) -> int | None:
    """The main verb of the clause after `start`: the first verb after the subject's first word that is not a
    naming participle ("named"), with auxiliaries leading up to it. A relative clause inside the subject is
    stepped over: in "The man who rid the moors of highwaymen was a dragoon" the main verb is 'was'."""
    i = start + 1
    in_relative = False  # inside the subject's relative clause, before its own verb
    stepped = False  # past one: only a finite verb ends the subject now, not a participle ("the wrecked brig")
    relative_at = 0
    while i < len(tokens):
        word, t = tokens[i].lower(), tags[i]
        if in_relative:
            if word == "," or word in _SUBORDINATORS - _RELATIVE_PRONOUNS or t in ("WDT", "WP"):
                return None
            # the tagger reads some verbs right after the pronoun as adjectives or nouns: "who finally rid the
            # moors", "that split the ash trees"
            opening = all(tags[k] == "RB" for k in range(relative_at + 1, i)) and t in ("JJ", "NN", "VB", "VBN")
            verb_like = opening and "VERB" in getAllLemmas(word)
            if t in ("VBD", "VBZ", "VBP", "MD") or (t == "VBN" and tags[i - 1] != "DT") or verb_like:
                in_relative, stepped = False, True
                while i + 1 < len(tokens) and _continues_verb_group(tokens[i].lower(), tags[i], tags[i + 1]):
                    i += 1
            i += 1
            continue
        if _relative_at(tokens, tags, i) and i > start + 1 and not stepped:
            in_relative, relative_at = True, i
            i += 1
            continue
        if t == "VBN" and word in _NAMING:  # "a beekeeper named Oskar Lindqvist"
            i += 1
            continue
        if tags[i - 1] == "TO":  # an infinitive inside the subject: "the best thing to do"
            i += 1
            continue
        participle = t == "VBN" and i > start + 1 and word not in _NAMING and not stepped
        if stepped and _not_the_main_verb(tokens, tags, i):
            i += 1
            continue
        if t in ("VBD", "VBZ", "VBP") or t == "MD" or participle:
            j = i
            # auxiliaries: walk to the last verb of the group
            while j + 1 < len(tokens) and _continues_verb_group(tokens[j].lower(), tags[j], tags[j + 1]):
                if tags[j + 1] == "RB" and not (j + 2 < len(tokens) and tags[j + 2] in ("VB", "VBP", "VBN", "VBG")):
                    break
                j += 1
            if tags[j] == "RB":
                j -= 1
            return j
        if word in _SUBORDINATORS or t in ("WDT", "WP") or word == ",":
            return None
        i += 1
    return None


def _not_the_main_verb(tokens: list[str], tags: list[str], i: int) -> bool:
    """Past a relative clause, a verb that only modifies or continues it: after an article ("to the wrecked
    brig"), before a bare noun ("gives you elegant finished programs"), or after 'to' / a form of be ("seemed to
    be most admired")."""
    before = i - 1
    while before > 0 and tags[before] in ("RB", "RBS", "RBR"):
        before -= 1
    after = tags[i + 1] if i + 1 < len(tags) else "."
    auxiliary = tokens[i].lower() in _BE_FORMS | _HAVE or tags[i] == "MD"  # "after dark was thistledown"
    return (
        tags[i - 1] in ("DT", "PRP$", "POS")
        or (not auxiliary and (tags[i - 1] == "JJ" or (tags[i] in ("VBD", "VBN") and after in ("NN", "NNS"))))
        or tokens[before].lower() in _BE_FORMS | {"to", "and", "or"}  # "who raided and ultimately settled"
    )


def _continues_verb_group(word: str, tag_: str, next_tag: str) -> bool:
    """Whether the verb after `word` is still in its group: a modal or do + bare verb, have + participle,
    be + participle or -ing form ("is eat" is a copula before a bare verb, not a group)."""
    if next_tag == "RB":
        return tag_ == "MD" or word in _BE_FORMS | _HAVE | _DO
    if tag_ == "MD" or word in _DO:
        return next_tag in ("VB", "VBP")
    if word in _HAVE:
        return next_tag == "VBN"
    if word in _BE_FORMS:
        return next_tag in ("VBN", "VBG")
    if tag_ == "RB":
        return next_tag in ("VB", "VBP", "VBN", "VBG")
    return False


def noun_phrase_end(tokens: list[str], tags: list[str], start: int) -> int:
    """End of the noun phrase at `start` ('the island of Skelby', "Maria's old bakery", '312 hives'), or
    `start` when there is none. Includes 'of' + noun phrase and a naming participle with its name."""
    i = start
    last_noun = None
    while i < len(tokens):
        t, word = tags[i], tokens[i]
        if t in ("DT", "PRP$", "PDT") and i > start and tags[i - 1] not in ("PDT",):
            break  # a determiner starts the next noun phrase: "In 1994 | a beekeeper"
        if t in _MODIFIER_TAGS or (t == "RB" and i + 1 < len(tokens) and tags[i + 1] in ("JJ", "JJS", "JJR")):
            if t in ("VBN", "VBG") and (i == start or last_noun == i - 1) and word.lower() not in _NAMING:
                break  # a participle after a noun starts a clause of its own ("gears salvaged from")
            if t in ("VBN", "VBG") and word.lower() in _NAMING:
                if i + 1 < len(tokens) and tags[i + 1] == "NNP":
                    i += 1
                    continue
                break
            if t in _NOUN_TAGS or t == "CD" or (t == "PRP$" and False):
                last_noun = i
            i += 1
            continue
        if t == "PRP" and i == start:
            return i + 1
        if word.lower() == "of" and last_noun is not None and i + 1 < len(tokens):
            inner = noun_phrase_end(tokens, tags, i + 1)
            if inner > i + 1:
                i = last_noun = inner
                last_noun -= 1
                continue
        if word in ("-", "’s", "'s") and last_noun == i - 1:
            i += 1
            continue
        break
    if last_noun is None:
        return start
    return last_noun + 1


def _is_time(words: list[str]) -> bool:
    lowered = [w.lower().strip(",") for w in words]
    if any(w in _TIME_NOUNS or w in _CLOCK_WORDS for w in lowered):
        return True
    if any(a in ("quarter", "half") and b in ("past", "to") for a, b in zip(lowered, lowered[1:], strict=False)):
        return True  # a clock time: "a quarter past eleven", "half past six"
    return any(re.fullmatch(r"1[0-9]{3}s?|20[0-9]{2}s?|[0-9]{1,2}(?:am|pm)", w) for w in lowered)


def _is_person(core_tokens: list[str], core_tags: list[str]) -> bool:
    """Whether a noun phrase names a person: a person noun, or a capitalized name at its head."""
    heads = [i for i, t in enumerate(core_tags) if t in _NOUN_TAGS]
    if not heads:
        return bool(core_tokens) and core_tokens[0].lower() in _PRONOUNS - {"it", "this", "that", "there"}
    words = [w.lower() for w in core_tokens]
    text = " ".join(core_tokens)
    if _ENTITIES.get(text) in ("LOC", "ORG") or any(w in _NOT_PERSON_WORDS for w in words):
        return False
    if _ENTITIES.get(text) == "PERS":
        return True
    cut = next((i for i, t in enumerate(core_tags) if t in ("IN", "TO")), len(core_tags))
    # the head is the last noun before a preposition: "the island of Skelby", "the old ferry to Norvik"
    head_at = max([i for i in heads if i < cut], default=heads[-1])
    head = words[head_at]
    if head in _PERSON_NOUNS or head.endswith(_PERSON_SUFFIXES) or head.rstrip("s") in _PERSON_NOUNS:
        return True
    if core_tags[head_at] in ("NNP", "NNPS"):
        run = [i for i in heads if core_tags[i] in ("NNP", "NNPS")]
        # one or two capitalized words with a person noun before them or none at all: "Ruth Okafor", "Maria"
        return any(w in _PERSON_NOUNS or w.endswith(_PERSON_SUFFIXES) for w in words) or (
            len(run) <= 3 and not any(w in _TIME_NOUNS for w in words) and head not in _PLACE_WORDS
        )
    return False


_PLACE_WORDS = {"street", "road", "park", "lake", "river", "island", "city", "town", "village", "mountain", "bay"}
_NOT_PERSON_WORDS = _PLACE_WORDS | {
    "avenue", "square", "bridge", "tower", "castle", "church", "cathedral", "museum", "library", "school",
    "university", "college", "institute", "observatory", "hospital", "station", "airport", "harbour", "harbor",
    "port", "valley", "hill", "hills", "forest", "sea", "ocean", "coast", "county", "province", "state",
    "kingdom", "empire", "republic", "company", "corporation", "inc", "ltd", "group", "league", "bowl", "cup",
    "championship", "festival", "war", "treaty", "act", "party", "council", "committee", "club", "bank",
    "hotel", "restaurant", "cafe", "bakery", "market", "mill", "farm", "north", "south", "east", "west",
    "day", "year", "century", "game", "games", "award", "prize", "series", "show", "film", "book", "album",
}  # fmt: skip


def _load_entities() -> dict[str, str]:
    try:
        from importlib import resources

        text = resources.files("textblob.en").joinpath("en-entities.txt").read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):  # pragma: no cover - textblob is a dependency
        return {}
    entities = {}
    for line in text.splitlines():
        name, _, kind = line.rpartition(" ")
        if kind in ("PERS", "LOC", "ORG") and name:
            entities[name] = kind
    return entities


_ENTITIES = _load_entities()


def _wh_for_noun_phrase(clause: Clause, start: int, end: int) -> str:
    words, tags = list(clause.tokens[start:end]), list(clause.tags[start:end])
    if tags and tags[0] == "CD" and not _is_time(words) and len(words) > 1:
        return "how_many"
    if _is_time(words) and len(words) <= 4:
        return "when"
    return "who" if _is_person(words, tags) else "what"


def _subject_phrases(clause: Clause) -> list[Phrase]:
    assert clause.subject is not None
    start, end = clause.subject
    words = clause.tokens[start:end]
    if len(words) == 1 and words[0].lower() in _PRONOUNS:
        return []
    text = clause.span(start, end)
    wh = "who" if _is_person(list(words), list(clause.tags[start:end])) else "what"
    return [Phrase(text, text, "subject", wh, start, end)]


def _after_verb_phrases(clause: Clause, verb_end: int) -> list[Phrase]:
    tokens, tags = clause.tokens, clause.tags
    phrases: list[Phrase] = []
    i = verb_end
    attached = True
    first = True
    end_of_body = clause.body_end
    if clause.copula and verb_end < end_of_body:  # "X is <complement>": the complement is one phrase
        text = clause.span(verb_end, end_of_body)
        wh = _wh_for_noun_phrase(clause, verb_end, end_of_body) if tags[verb_end] not in ("VB", "VBP") else "what"
        phrases.append(Phrase(text, text, "object", "how_many" if wh == "how_many" else wh, verb_end, end_of_body))
        attached = first = False
    while i < end_of_body:
        word, t = tokens[i].lower(), tags[i]
        if t in ("IN", "TO") and word not in _SUBORDINATORS - {"as"} or word in ("next",):
            prep_end = i + 1
            if word == "next" and prep_end < len(tokens) and tokens[prep_end].lower() == "to":
                prep_end += 1
            if word == "to" and prep_end < len(tokens) and tags[prep_end] in ("VB", "VBP"):
                end = _clause_end(tokens, tags, prep_end)
                text = clause.span(i, end)
                if attached:
                    phrases.append(Phrase(text, text, "purpose", "why", i, end, attached))
                i = end
                attached = False
                first = False
                continue
            end = noun_phrase_end(list(tokens), list(tags), prep_end)
            if end > prep_end:
                if end < len(tags) and tags[end] in ("VBD", "VBZ", "VBP", "MD"):
                    # "before it approved ...": a clause; one of time is the answer to 'when'
                    end = _clause_end(tokens, tags, end)
                    if word in _TIME_PREPOSITIONS and attached:
                        text = clause.span(i, end)
                        phrases.append(Phrase(text, text, "adjunct", "when", i, end, attached))
                    attached = False
                    first = False
                    i = end
                    continue
                if end - prep_end == 1 and tokens[prep_end].lower() in _PRONOUNS | {"him", "her", "them", "us", "me"}:
                    i = end
                    continue
                core = clause.span(prep_end, end)
                wh = _wh_for_preposition(word, clause, prep_end, end)
                phrases.append(Phrase(clause.span(i, end), core, "adjunct", wh, i, end, attached))
                i = end
                first = False
                continue
            i += 1
            continue
        if t in _MODIFIER_TAGS - {"VBN", "VBG", "POS", "HYPH"} or t == "PRP":
            end = noun_phrase_end(list(tokens), list(tags), i)
            if end > i:
                text = clause.span(i, end)
                role = "object" if first and attached else "adjunct"
                wh = _wh_for_noun_phrase(clause, i, end)
                if not (end - i == 1 and word in _PRONOUNS):
                    phrases.append(Phrase(text, text, role, wh, i, end, attached))
                i = end
                first = False
                continue
        if t in ("VBG", "VBN", "WDT", "WP", "CC") or word in _SUBORDINATORS or word == ",":
            attached = False if t != "CC" or not first else attached
            if t == "CC":
                attached = False
        first = first and t in ("RB", "RP")
        i += 1
    return _merge_places(phrases)


def _merge_places(phrases: list[Phrase]) -> list[Phrase]:
    """Adjacent place phrases are one place: 'under the blue flowerpot' + 'by the back door'."""
    merged: list[Phrase] = []
    for phrase in phrases:
        last = merged[-1] if merged else None
        if (
            last is not None
            and last.end == phrase.start
            and last.wh == "where"
            and phrase.wh == "where"
            and phrase.text.split()[0].lower() not in ("from", "to", "into", "onto", "toward", "towards")
            and last.text.split()[0].lower() not in ("from",)
        ):
            text = last.text + " " + phrase.text
            core = last.core + " " + phrase.text
            merged[-1] = Phrase(text, core, last.role, "where", last.start, phrase.end, last.attached)
        else:
            merged.append(phrase)
    return merged


def _clause_end(tokens: tuple[str, ...], tags: tuple[str, ...], start: int) -> int:
    end = start
    while end < len(tokens) and tags[end] not in (".", ",", ":", "CC") and tokens[end].lower() not in _SUBORDINATORS:
        end += 1
    return end


def _wh_for_preposition(prep: str, clause: Clause, start: int, end: int) -> str:
    words, tags = list(clause.tokens[start:end]), list(clause.tags[start:end])
    if prep in _TIME_PREPOSITIONS or (prep in ("in", "on", "at", "by", "from", "until") and _is_time(words)):
        return "when"
    if prep == "by" and tags and tags[0] in _NOUN_TAGS and not _is_person(words, tags):  # "by barge"
        return "how"
    if prep == "by" and not _is_person(words, tags):  # "by the back door"
        return "where"
    if prep in _PLACE_PREPOSITIONS:
        if prep == "to" and _is_person(words, tags):
            return "prep:to"
        if prep in ("from", "to", "into", "onto", "toward", "towards"):
            return "where:" + prep
        return "where"
    return f"prep:{prep}"


def _lead_phrases(clause: Clause) -> list[Phrase]:
    """A leading time or place phrase ('In 1994', 'At the Kessler Observatory near Lake Tamsin,')."""
    if clause.lead_end == 0 or clause.tags[0] != "IN":
        return []
    end = clause.lead_end - (1 if clause.tokens[clause.lead_end - 1] == "," else 0)
    prep = clause.tokens[0].lower()
    inner_end = noun_phrase_end(list(clause.tokens), list(clause.tags), 1)
    if inner_end <= 1:
        return []
    phrases = [Phrase(clause.span(0, inner_end), clause.span(1, inner_end), "adjunct",
                      _wh_for_preposition(prep, clause, 1, inner_end), 0, inner_end)]  # fmt: skip
    i = inner_end
    while i < end and clause.tags[i] == "IN":  # "near Lake Tamsin" after "At the Kessler Observatory"
        j = noun_phrase_end(list(clause.tokens), list(clause.tags), i + 1)
        if j <= i + 1:
            break
        phrases.append(
            Phrase(clause.span(i, j), clause.span(i + 1, j), "adjunct",
                   _wh_for_preposition(clause.tokens[i].lower(), clause, i + 1, j), i, j, False)
        )  # fmt: skip
        i = j
    return _merge_places(phrases)


def _inner_noun_phrases(clause: Clause) -> list[Phrase]:
    """Noun phrases inside longer phrases ('a rainy afternoon' in 'The best way to spend a rainy afternoon in
    Lisbon'): cues in their own right, never asked for (role 'name', like the names inside phrases)."""
    tokens, tags = list(clause.tokens), list(clause.tags)
    found, i = [], 0
    while i < clause.body_end:
        if tags[i] in ("DT", "JJ", "NN", "NNS", "PRP$") and (i == 0 or tags[i - 1] not in _MODIFIER_TAGS):
            end = noun_phrase_end(tokens, tags, i)
            words = [w.lower() for w in tokens[i:end]]
            content = [w for w, t in zip(words, tags[i:end], strict=True) if t in ("NN", "NNS", "JJ")]
            if end > i and content and not (len(words) == 1 and words[0] in _PRONOUNS):
                text = clause.span(i, end)
                found.append(Phrase(text, text, "name", "what", i, end, False))
                i = end
                continue
        i += 1
    return found


def _names(tokens: list[str] | tuple[str, ...], tags, offsets, sentence: str, start: int, end: int) -> list[Phrase]:
    """Runs of capitalized words (not at the sentence start unless two or more) and counts with their noun:
    cues in their own right even inside a longer phrase ("Oskar Lindqvist" in "a beekeeper named Oskar
    Lindqvist")."""
    found = []
    i = start
    while i < end:
        if tags[i] in ("NNP", "NNPS") and tokens[i] not in _CAPITALIZED_FUNCTION:
            j = i
            while j + 1 < end and (
                tags[j + 1] in ("NNP", "NNPS")
                or (tokens[j + 1] in ("of", "de") and j + 2 < end and tags[j + 2] in ("NNP", "NNPS"))
            ):
                j += 1
            if i > 0 or j > i:
                text = sentence[offsets[i][0] : offsets[j][1]]
                wh = "who" if _is_person(list(tokens[i : j + 1]), list(tags[i : j + 1])) else "what"
                found.append(Phrase(text, text, "name", wh, i, j + 1, False))
            i = j + 1
            continue
        if tags[i] == "CD" and i + 1 < end and tags[i + 1] in _NOUN_TAGS | {"JJ"} and not _is_time([tokens[i]]):
            j = noun_phrase_end(list(tokens), list(tags), i)
            if j > i + 1:
                text = sentence[offsets[i][0] : offsets[j - 1][1]]
                found.append(Phrase(text, text, "count", "how_many", i, j, False))
                i = j
                continue
        i += 1
    return found


# --- questions ---


def wh_question(clause: Clause, phrase: Phrase) -> str | None:
    """A question whose answer is `phrase`, or None where the clause cannot be turned around. Names inside a
    longer phrase are cues only: the phrase around them is what gets asked for."""
    if clause.subject is None or clause.verb is None or phrase.role == "name":
        return None
    subject = _lower_first(clause.subject_text)
    verb_start, verb_end = clause.verb
    if phrase.role == "subject":
        if clause.copula and verb_end < len(clause.tags) and clause.tags[verb_end] in ("VB", "VBP"):
            return None  # "What is eat a sandwich ...?"
        predicate_end = _predicate_end(clause, verb_end)
        if clause.copula and predicate_end == verb_end:
            return None  # "What is?" asks nothing
        return _question(phrase.wh.capitalize(), clause.span(verb_start, predicate_end))
    if not phrase.attached or not clause.auxiliary:
        return _in_situ(clause, phrase)
    kept = "" if clause.copula else _object_only(clause, verb_end, skip=phrase)
    if phrase.wh == "how_many":
        lead = f"How many {clause.span(phrase.start + 1, phrase.end)}"
    elif phrase.wh.startswith("where:"):
        lead = "Where"
        kept = f"{kept} from".strip() if phrase.wh == "where:from" else kept
    elif phrase.wh.startswith("prep:"):
        prep = phrase.wh.split(":")[1]
        words = list(clause.tokens[phrase.start + 1 : phrase.end])
        person = _is_person(words, list(clause.tags[phrase.start + 1 : phrase.end]))
        lead = f"{prep.capitalize()} {'whom' if person else 'what'}"
    else:
        lead = phrase.wh.capitalize()
    if clause.copula:
        return _question(lead, clause.auxiliary, subject, kept)
    return _question(lead, clause.auxiliary, subject, clause.rest_verb, kept)


def embedded_question(clause: Clause, phrase: Phrase) -> str | None:
    """wh_question as a clause inside another sentence, in statement order and lower case ('where Maria left the
    spare key', 'what the password to the lighthouse is'), for 'Do you know ...?' and 'Tell me ...'; None where
    wh_question has no fronted form to turn around (in-situ questions, names)."""
    question = wh_question(clause, phrase)
    if question is None or clause.subject is None or clause.verb is None:
        return None
    if phrase.role == "subject":
        return _lower_first_word(question.rstrip("?"))
    if not phrase.attached or not clause.auxiliary:
        return None
    verb_start, verb_end = clause.verb
    kept = "" if clause.copula else _object_only(clause, verb_end, skip=phrase)
    if phrase.wh == "how_many":
        lead = f"how many {clause.span(phrase.start + 1, phrase.end)}"
    elif phrase.wh.startswith("where:"):
        lead = "where"
        kept = f"{kept} from".strip() if phrase.wh == "where:from" else kept
    elif phrase.wh.startswith("prep:"):
        prep = phrase.wh.split(":")[1]
        words = list(clause.tokens[phrase.start + 1 : phrase.end])
        lead = f"{prep} {'whom' if _is_person(words, list(clause.tags[phrase.start + 1 : phrase.end])) else 'what'}"
    else:
        lead = phrase.wh
    subject = _lower_first(clause.subject_text)
    return _lower_first_word(_question(lead, subject, clause.span(verb_start, verb_end), kept).rstrip("?"))


def _lower_first_word(text: str) -> str:
    return text[:1].lower() + text[1:]


def _predicate_end(clause: Clause, verb_end: int) -> int:
    """Where a subject question stops: before the first preposition, subordinate clause or comma."""
    end = verb_end
    while end < clause.body_end and clause.tags[end] not in ("IN", "TO", "WRB", "WDT", "WP", ",", "CC", ":"):
        if clause.tokens[end].lower() in _SUBORDINATORS:
            break
        end += 1
    return end


def do_question(clause: Clause) -> str | None:
    """'What did Maria do?': the predicate asked for from the subject (a verb with do-support only)."""
    if clause.subject is None or clause.auxiliary not in ("did", "does", "do") or clause.copula:
        return None
    if (
        len(clause.subject[1:])
        and clause.subject[1] - clause.subject[0] == 1
        and clause.tokens[clause.subject[0]].lower() in _PRONOUNS
    ):
        return None
    return _question("What", clause.auxiliary, _lower_first(clause.subject_text), "do")


def yes_no_question(clause: Clause) -> str | None:
    """'Did Maria leave the spare key under the blue flowerpot by the back door?' (the whole predicate)."""
    if clause.subject is None or clause.verb is None or not clause.auxiliary:
        return None
    who = _lower_first(clause.subject_text)
    rest = clause.span(clause.verb[1], clause.body_end)
    lead = clause.span(0, clause.lead_end).rstrip(",") if clause.lead_end and _simple_lead(clause) else ""
    rest = (rest + " " + _lower_first(lead)).strip() if lead else rest
    if clause.copula:
        return _question(clause.auxiliary.capitalize(), who, rest)
    return _question(clause.auxiliary.capitalize(), who, clause.rest_verb, rest)


def _object_only(clause: Clause, verb_end: int, skip: Phrase | None = None) -> str:
    """What stays after the verb in a short question: the direct object (and a purpose), not the other
    adjuncts, as users ask ("Where did Maria leave the spare key?")."""
    kept = [
        clause.span(p.start, p.end)
        for p in clause.phrases
        if p.role == "object" and p is not skip and p.start >= verb_end and not (skip and p.start < skip.end <= p.end)
    ]
    if clause.copula and not kept:  # "The best thing to do in X is eat a sandwich": keep the complement
        tail = [p for p in clause.phrases if p.start >= verb_end and p is not skip and p.role != "name"]
        return clause.span(tail[0].start, tail[0].end) if tail else ""
    return " ".join(kept)


def _in_situ(clause: Clause, phrase: Phrase) -> str | None:
    """The sentence with the phrase replaced by its wh-phrase: 'Edda Voss repaired the town clock using how
    many brass gears?'."""
    if phrase.end - phrase.start >= clause.body_end - clause.lead_end - 1:
        return None
    before_words = {w.lower() for w in clause.tokens[: phrase.start]}
    if phrase.wh.split(":")[0] in before_words or before_words & {"who", "which", "what", "whose"}:
        return None  # "... when the harbour freezes when?"
    wh = {
        "who": "who", "what": "what", "when": "when", "where": "where", "how": "how", "why": "why",
    }.get(phrase.wh.split(":")[0], "what")  # fmt: skip
    if phrase.wh == "how_many" or phrase.role == "count":
        wh = "how many " + clause.span(phrase.start + 1, phrase.end)
    elif phrase.wh.startswith("prep:"):
        wh = phrase.wh.split(":")[1] + " what"
    elif phrase.wh == "where:from":
        wh = "from where"
    elif phrase.wh.startswith("where:"):
        wh = "where"
    elif phrase.text != phrase.core:  # "in January" -> "when", "under the flowerpot" -> "where"
        wh = {"who": phrase.text.split()[0] + " whom", "what": phrase.text.split()[0] + " what"}.get(phrase.wh, wh)
    before = clause.span(0, phrase.start)
    after = clause.span(phrase.end, clause.body_end)
    if phrase.start == 0:
        return _question(wh.capitalize(), after)
    return _question(before, wh, after)


def _question(*parts: str) -> str:
    text = re.sub(r"\s+", " ", " ".join(p for p in parts if p)).strip().rstrip(",;:")
    text = re.sub(r"\s+([,;:'’])(?!\w)", r"\1", text)
    return text[:1].upper() + text[1:] + "?"


def _lower_first(text: str) -> str:
    """Lower-case a leading article or pronoun, never a name ('The old ferry' -> 'the old ferry')."""
    first = text.split(" ", 1)[0]
    if first in _CAPITALIZED_FUNCTION or first in (
        "He",
        "She",
        "They",
        "We",
        "His",
        "Her",
        "Their",
        "Its",
        "Our",
        "My",
        "Your",
        "Some",
        "Many",
        "Most",
        "Every",
        "Each",
        "All",
    ):
        return first.lower() + text[len(first) :]
    return text


# --- restatements ---


def phrase_first(clause: Clause, phrase: Phrase) -> str | None:
    """The sentence restated with `phrase` first, or None where no grammatical order puts it there:
    adjuncts are fronted ('Under the blue flowerpot by the back door, Maria left the spare key.'), an object
    becomes the subject of a passive ('The spare key was left under ... by Maria.')."""
    if clause.subject is None or clause.verb is None or phrase.role in ("subject", "name", "count"):
        return None
    if not phrase.attached:
        return None
    body = clause.body_end
    end_mark = clause.sentence.rstrip()[-1] if clause.sentence.rstrip()[-1:] in ".!?" else "."
    if not _simple_lead(clause):
        return None
    if phrase.role == "purpose" or (phrase.role == "adjunct" and phrase.text != phrase.core):
        lead = clause.span(0, clause.lead_end).rstrip(",") if clause.lead_end else ""
        if phrase.start < clause.lead_end:
            return None  # already in front
        before = clause.span(clause.lead_end, phrase.start)
        after = clause.span(phrase.end, body)
        rest = " ".join(p for p in (_lower_first(before), after, _lower_first(lead)) if p)
        text = f"{_upper_first(phrase.text)}, {rest}"
        return re.sub(r"\s+([,;:])", r"\1", text).rstrip(",") + end_mark
    if phrase.role == "object" and clause.auxiliary in ("did", "does", "do") and not clause.copula:
        participle = getInflection(clause.lemma, tag="VBN")
        if not participle:
            return None
        plural = clause.tags[phrase.end - 1] in ("NNS", "NNPS")
        be = {"did": "were" if plural else "was", "does": "are" if plural else "is", "do": "are" if plural else "is"}
        after = clause.span(phrase.end, body)
        lead = clause.span(0, clause.lead_end).rstrip(",") if clause.lead_end else ""
        agent = _lower_first(clause.subject_text)
        parts = [_upper_first(phrase.text), be[clause.auxiliary.lower()], participle[0], after, "by " + agent]
        parts.append(_lower_first(lead))
        text = " ".join(p for p in parts if p)
        return re.sub(r"\s+([,;:])", r"\1", text) + end_mark
    return None


def resolve_pronoun(sentence: str, previous_sentence: str) -> str:
    """'He ...' / 'She ...' with the previous sentence's subject put in when that subject names a person:
    each restated fact then carries the full name."""
    first, _, rest = sentence.strip().partition(" ")
    if first not in ("He", "She") or not previous_sentence.strip() or not rest:
        return sentence
    previous = parse(previous_sentence)
    if previous.subject is None or not any(t in ("NNP", "NNPS") for t in previous.tags[slice(*previous.subject)]):
        return sentence
    words = list(previous.tokens[slice(*previous.subject)])
    if not _is_person(words, list(previous.tags[slice(*previous.subject)])):
        return sentence
    return f"{_upper_first(previous.subject_text)} {rest}"


def _simple_lead(clause: Clause) -> bool:
    """No lead, or a prepositional one that can move to the end ('In 1994'), not a subordinate clause."""
    return clause.lead_end == 0 or (
        clause.tags[0] == "IN" and not any(t.startswith("VB") or t == "MD" for t in clause.tags[: clause.lead_end])
    )


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]
