"""History-aware standalone queries, and the constraints a visitor states in passing.

"something free" after "dark mode for youtube" means "dark mode for youtube, free only"; "I need a
password manager" starts over. Filler ("no", "something", "thanks") never reaches the search, negated
words ("not for youtube") never add what they deny, and constraint phrases ("without paying",
"privacy friendly", "Privacy & Security") become filters instead of query words.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from chatbot.dialogue import languages
from chatbot.dialogue.state import (
    CATEGORY,
    FREE,
    MIN_RATING,
    NO_ALL_SITES,
    OPEN_SOURCE,
    Constraint,
)
from marketplace.categories import AMO_CATEGORIES
from retrieval.text import STOP_WORDS, fold, stem, tokens

LLMRewrite = Callable[[str, str], str | None]
"""llm_rewrite(previous_query, message): a standalone query, or None to let the rules decide."""

MAX_QUERY_WORDS = 40
LLM_SLACK_CHARS = 60
# Unlike the index's tokens, query tokens keep "add-on", "don't", "tetr.io" whole, and punctuation, which
# ends a "not ..." scope.
QUERY_TOKEN = re.compile(r"[a-z0-9]+(?:['.\-][a-z0-9]+)*|[,.;:!?()/]")
PUNCTUATION = frozenset(",.;:!?()/")
FILLER = frozenset(
    """no nope nah yes yeah yep yup ok okay sure hi hello hey hmm hm um uh oh well so something anything
    else please pls thanks thank thx actually maybe perhaps just also instead any add-on add-ons addon addons
    extension extensions plugin plugins app apps one ones got i'm i'd i've it's that's what's right good
    great helpful useful relevant quite exactly really thing things stuff looking too""".split()
)
# Function words trimmed from the ends of a query ("that help students" -> "help students").
EDGE_WORDS = frozenset(
    """a an the that which who whom this these those it its i me my we our you your he she they them and or
    but so to for of in on at by with from about as is are be was were do does did can could would should
    will into onto than then there here what when where while how why only""".split()
)
# Words that, in answer to a question, say "no preference" rather than name one (as index terms).
INDIFFERENT = frozenset(
    stem(word)
    for word in """site website web page category kind type function feature license licence matter care mind whatever
    either preference particular specific idea fine important skip none neither nothing""".split()
)
AFFIRMATIVE = frozenset("yes yeah yep yup sure definitely absolutely please ideally preferably".split())
NEGATORS = frozenset("not don't dont doesn't doesnt isn't isnt aren't won't wont shouldn't never except nor".split())
SCOPE_ENDS = frozenset("but and or just only rather i it".split())

NEW_NEED = re.compile(
    r"^(?:(?:ok|okay|so|now|hi|hello|hey|hmm|actually|also|and)[\s,]+)*(?:"
    r"i(?:'m| am) (?:looking|searching) for|(?:i'm )?looking for|i (?:really )?(?:need|want|would like|'d like)"
    r"|i'd like|how (?:can|do|could|would) i|is there|are there|do you have|can you (?:find|recommend|suggest)"
    r"|(?:find|show|recommend|suggest|get) me|help me"
    rf"|{languages.NEW_NEED})\b"
)
FOLLOW_UP = re.compile(
    r"^(?:but|and|also|plus|or|what about|how about|for|on|in|with|without|only|preferably|ideally|maybe|rather"
    r"|instead|no|not|something|anything|one|ones|it|that|which|should|must|needs? to)\b"
)
REJECTION = re.compile(
    r"^(?:no|nope|nah)\b|\bnot what i(?:'m| am)? (?:looking|searching) for\b|\bnot what i (?:need|want|meant|asked)"
    r"|\bnot (?:what|it|quite|really|right|helpful|useful|good|them|those|these|that|this|relevant)\b|\bnone of\b"
    r"|\bsomething (?:else|different)\b|\b(?:other|different) (?:ones|options|suggestions|results|add-?ons)\b"
    r"|\b(?:don't|do not|dont) (?:like|want|need) (?:these|those|them|any|that|this|it)\b|\bwrong\b"
    r"|\bnot interested\b|\bdoesn't help\b|\btry again\b"
    rf"|{languages.REJECTION}"
)
MORE = re.compile(
    r"(?:(?:show|give|any|got|some|see)\s+)?(?:me\s+)?(?:some\s+)?(?:more|others|other ones|next|another(?: one)?"
    r"|the rest)(?:\s+(?:please|pls|ones?|results?|options?|suggestions?|add-?ons?|of them))*"
    rf"|{languages.MORE}"
)
THANKS = re.compile(
    r"(?:thanks|thank you|thx|perfect|great|awesome|excellent|that's it|that works|found it|got it|this is it"
    rf"|{languages.THANKS})\b"
)
# The other languages' ways of saying no, more or thanks: taken out of a message before its words are
# read as a need (the English ones are filler words already).
FOREIGN_REPLIES = re.compile(rf"{languages.REJECTION}|\b(?:{languages.THANKS}|{languages.MORE})\b")

NEGATION = (
    r"(?:no|not|without|never|avoid|avoids|avoiding|doesn't|doesnt|does not|don't|dont|do not|shouldn't"
    r"|should not|can't|cannot|won't|wont|isn't)"
)
ACCESS = (
    r"(?:access|accessing|read|reads|reading|see|sees|seeing|touch|touching|spy|spying|change|changing"
    r"|modify|modifying|collect|collecting|run|runs|running|need|needs|permissions?)"
)
NO_ALL_SITES_PHRASES = re.compile(
    r"\bprivacy[- ](?:friendly|respecting|focused|first)\b"
    r"|\b(?:minimal|minimum|fewer|few|limited|less|least)[- ]permissions?\b"
    rf"|\b{NEGATION}\b(?:\s+[\w']+){{0,3}}?\s+{ACCESS}\b(?:\s+(?:to|on|into|at|over|for|of|in))?"
    r"\s+(?:all|every|each|everything)\b(?:\s+(?:of|my|the|your|on|in))*"
    r"(?:\s+(?:sites?|websites?|web ?pages?|pages?|data|tabs|urls?|domains?|browsing|traffic|i visit))*"
    rf"|\b(?:{languages.NO_ALL_SITES})\b"
)
FREE_PHRASES = re.compile(
    r"\b(?:free of charge|for free|no payments?|without pay(?:ing|ments?)?|no cost|costs? nothing|gratis"
    r"|no subscriptions?|(?:don't|do not|dont|won't|will not|not) (?:want to |wanna )?pay(?: for it| anything)?"
    rf"|{languages.FREE})\b"
)
FREE_WORD = re.compile(r"(?<![\w-])free\b(?!-)")
FREE_BEFORE = STOP_WORDS | FILLER | {"completely", "totally", "entirely", "fully", "100"}
FREE_AFTER = frozenset(
    """one ones add-on add-ons addon addons extension extensions option options alternative alternatives version
    versions tool tools app apps software and or please only to if but with that which""".split()
)
OPEN_SOURCE_PHRASES = re.compile(
    rf"\b(?:open[- ]?source(?:d)?|foss|libre|source code available|{languages.OPEN_SOURCE})\b"
)
MIN_RATING_PHRASES = re.compile(
    r"\b(?:rated|rating(?: of)?)\s+(?:at least\s+|over\s+|above\s+)?([1-5](?:\.\d)?)\b\s*\+?(?:\s*stars?)?"
    r"|\b(?:at least\s+|over\s+|above\s+|min(?:imum)?\s+)?([1-5](?:\.\d)?)\s*\+?\s*stars?\b"
    r"(?:\s+or (?:more|better|above))?"
    r"|\b(?:highly|well|top|best)[- ]rated\b|\bgood (?:ratings?|reviews)\b"
)
GOOD_RATING = "4"
NEGATED_BEFORE = re.compile(r"\b(?:not|never|no need|doesn't|doesnt|don't|dont|isn't|needn't)\b[^,.;:!?]*$")


@dataclass(frozen=True)
class Reading:
    """What one message says: its query words, the constraints it states, and what kind of reply it is."""

    words: tuple[str, ...]  # query words, filler and negated words out, in the visitor's order
    negated: frozenset[str]  # stems the visitor said "not" to
    constraints: tuple[Constraint, ...]
    new_need: bool  # opens like a fresh request: "I need ...", "is there ..."
    follow_up: bool  # opens like a refinement: "but ...", "for ...", "what about ..."
    rejects: bool  # "no, something else", "not what I'm looking for"
    more: bool  # "show me more", "any others?"
    affirmative: bool  # "yes", "sure"
    thanks: bool  # "thanks, that's it", "perfect"

    @property
    def content(self) -> list[str]:
        """The words that carry meaning, as index terms."""
        return tokens(" ".join(self.words))

    @property
    def indifferent(self) -> bool:
        """As an answer: no preference ("any", "doesn't matter", "no particular site")."""
        return not any(word not in INDIFFERENT for word in self.content) and not self.constraints

    @property
    def pure_rejection(self) -> bool:
        return self.rejects and not self.content and not self.constraints


def normalise(text: str) -> str:
    """Folded, with typographic apostrophes made plain so "don’t" reads as "don't"."""
    return fold(text).replace("\u2019", "'").replace("\u2018", "'")


def _category_pattern(words: list[str]) -> str:
    return r"\b" + r"(?:\s*(?:,|&|-|and)\s*|\s+)".join(map(re.escape, words)) + r"\b"


def _category_patterns() -> list[tuple[re.Pattern, re.Pattern | None, Constraint]]:
    """Per category: the phrase that names it anywhere, or, for one-word names, only when said alone."""
    patterns: list[tuple[re.Pattern, re.Pattern | None, Constraint]] = []
    for slug, name in AMO_CATEGORIES.items():
        if slug == "other":  # "other features" names no category
            continue
        constraint = Constraint(CATEGORY, slug, name)
        name_words = re.findall(r"[a-z0-9]+", fold(name).replace("&", " "))
        if len(name_words) > 1:
            patterns.append((re.compile(_category_pattern(name_words)), None, constraint))
        else:
            word = re.escape(name_words[0])
            alone = re.compile(
                rf"^[\W_]*(?:(?:no|something|anything|maybe|just|only|the|in|for|from)[\s,]+)*{word}"
                rf"(?:\s+(?:category|add-?ons?|extensions?|ones?|section))?[\W_]*$"
            )
            named = re.compile(rf"\bcategor(?:y|ies)\s*:?\s*{word}\b|\b{word}\s+(?:category|section)\b")
            patterns.append((named, alone, constraint))
    return patterns


CATEGORY_PATTERNS = _category_patterns()


def _negated(text: str, start: int) -> bool:
    return bool(NEGATED_BEFORE.search(text[max(0, start - 40) : start]))


def _take(text: str, span: tuple[int, int]) -> str:
    """Blank a recognised phrase out, leaving a clause break so negation scopes end there."""
    return text[: span[0]] + " , " + text[span[1] :]


def _free(text: str) -> tuple[str, bool]:
    found = False
    while match := FREE_PHRASES.search(text):
        text, found = _take(text, match.span()), found or not _negated(text, match.start())
    for match in reversed(list(FREE_WORD.finditer(text))):
        before = QUERY_TOKEN.findall(text[: match.start()])
        after = QUERY_TOKEN.findall(text[match.end() :])
        if (not before or before[-1] in FREE_BEFORE or before[-1] in PUNCTUATION) and (
            not after or after[0] in FREE_AFTER or after[0] in PUNCTUATION
        ):
            text, found = _take(text, match.span()), found or not _negated(text, match.start())
    return text, found


def extract_constraints(text: str) -> tuple[str, tuple[Constraint, ...]]:
    """The constraints a normalised message states, and the message without the phrases that stated them."""
    constraints: list[Constraint] = []
    text, free = _free(text)
    if free:
        constraints.append(Constraint(FREE, "1", "free only"))
    if match := OPEN_SOURCE_PHRASES.search(text):
        if not _negated(text, match.start()):
            constraints.append(Constraint(OPEN_SOURCE, "1", "open source"))
        text = OPEN_SOURCE_PHRASES.sub(" , ", text)
    if NO_ALL_SITES_PHRASES.search(text):
        constraints.append(Constraint(NO_ALL_SITES, "1", "no access to all websites"))
        text = NO_ALL_SITES_PHRASES.sub(" , ", text)
    if match := MIN_RATING_PHRASES.search(text):
        value = match.group(1) or match.group(2) or GOOD_RATING
        constraints.append(Constraint(MIN_RATING, value, f"rated {value}+"))
        text = _take(text, match.span())
    for named, alone, constraint in CATEGORY_PATTERNS:
        match = named.search(text) or (alone.search(text) if alone else None)
        if match and not _negated(text, match.start()):
            constraints.append(constraint)
            text = _take(text, match.span())
            break
    return text, tuple(constraints)


def _query_words(text: str) -> tuple[list[str], set[str]]:
    """Words worth searching for, and the stems a "not ..." denied."""
    kept: list[str] = []
    negated: set[str] = set()
    in_scope = False
    for token in QUERY_TOKEN.findall(text):
        if token in PUNCTUATION or token in SCOPE_ENDS:
            in_scope = False
        elif token in NEGATORS:
            in_scope = True
            continue
        if token in PUNCTUATION:
            continue
        if in_scope:
            if token not in STOP_WORDS:
                negated.add(stem(token))
        elif token not in FILLER:
            kept.append(token)
    return _trimmed(kept), negated


def _trimmed(words: list[str]) -> list[str]:
    start, end = 0, len(words)
    while start < end and words[start] in EDGE_WORDS:
        start += 1
    while end > start and words[end - 1] in EDGE_WORDS:
        end -= 1
    return words[start:end]


def read(message: str) -> Reading:
    """Everything the rules can tell from one message, without the conversation around it."""
    text = normalise(message)
    rest, constraints = extract_constraints(text)
    rest = FOREIGN_REPLIES.sub(" , ", rest)
    marker = NEW_NEED.match(rest.strip(" ,"))
    words, negated = _query_words(rest[marker.end() :] if marker else rest)
    stripped = text.strip(" ,.!?")
    first = QUERY_TOKEN.findall(text)[:1]
    return Reading(
        words=tuple(words),
        negated=frozenset(negated),
        constraints=constraints,
        new_need=bool(marker),
        follow_up=bool(FOLLOW_UP.match(stripped)),
        rejects=bool(REJECTION.search(stripped)),
        more=bool(MORE.fullmatch(stripped)),
        affirmative=bool(first) and first[0] in AFFIRMATIVE,
        thanks=bool(THANKS.match(stripped)) and not constraints and not _query_words(THANKS.sub(" , ", rest))[0],
    )


def is_new_need(previous_query: str, reading: Reading) -> bool:
    """A fresh request replaces the query; anything else refines it."""
    content = reading.content
    if not previous_query:
        return True
    if reading.follow_up or not content:
        return False
    if reading.new_need:
        return True
    previous = set(tokens(previous_query))
    shared = sum(1 for word in content if word in previous)
    return len(content) >= 3 and shared * 3 < len(content)


def refine(previous_query: str, reading: Reading) -> str:
    """The previous query, minus what the visitor now denies, plus what they add."""
    kept = [
        word
        for word in QUERY_TOKEN.findall(normalise(previous_query))
        if word not in PUNCTUATION and stem(word) not in reading.negated
    ]
    known = {stem(word) for word in kept}
    added = _trimmed([word for word in reading.words if stem(word) not in known or word in EDGE_WORDS])
    return " ".join((kept + added)[-MAX_QUERY_WORDS:])


def faithful(rewritten: str, previous_query: str, reading: Reading, *, new_need: bool) -> bool:
    """Whether a model's rewrite is a query built from what was said: mostly the visitor's words, keeping
    the message's words and (for a follow-up) the need, and never what the visitor denied."""
    if not rewritten or len(rewritten) > len(previous_query) + len(" ".join(reading.words)) + LLM_SLACK_CHARS:
        return False
    written = tokens(rewritten)
    previous = set(tokens(previous_query))
    said = previous | set(reading.content)
    if not written or 2 * sum(1 for word in written if word not in said) > len(written):
        return False
    if reading.negated & set(written) or (reading.content and not set(reading.content) & set(written)):
        return False
    return new_need or not previous or bool(previous & set(written))


def standalone_query(
    previous_query: str, message: str, *, llm_rewrite: LLMRewrite | None = None, answer: bool = False
) -> str:
    """The query a search engine needs for this message, given the query so far: the model's rewrite
    when there is a query to merge with and the rewrite is faithful, else the rule's. An `answer` to
    the assistant's question always refines the need, never replaces it."""
    reading = read(message)
    new_need = not answer and is_new_need(previous_query, reading)
    if llm_rewrite is not None and previous_query and reading.content:
        words = read((llm_rewrite(previous_query, message) or "").strip()).words
        if faithful(" ".join(words), previous_query, reading, new_need=new_need):
            return " ".join(words[-MAX_QUERY_WORDS:])
    if new_need:
        return " ".join(reading.words[-MAX_QUERY_WORDS:])
    return refine(previous_query, reading)
