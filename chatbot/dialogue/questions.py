"""One follow-up question, chosen to split the add-ons still in the running as evenly as possible.

Each facet (what it mainly does, the site it works on, its category, its licence, its permissions)
offers 2-5 options computed from the candidates themselves, so every option leads somewhere. A facet's
worth is the entropy of how its options divide the pool, times the share of the pool they speak to,
times how much an answer on that facet usually tells us about a need.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from chatbot.dialogue.candidates import Candidate
from chatbot.dialogue.state import CATEGORY, FREE, NO_ALL_SITES, OPEN_SOURCE, TERM, Constraint, Option, Question
from marketplace.categories import AMO_CATEGORIES, category_name
from marketplace.sites import site_name
from retrieval.text import STOP_WORDS, TOKEN, fold, stem, tokens, words

FUNCTION = "function"
SITE = "site"
CATEGORY_FACET = "category"
LICENSE = "license"
PRIVACY = "privacy"
YES_NO_FACETS = frozenset({LICENSE, PRIVACY})  # their first option is what "yes" means
# Open-ended facets: a quick reply on them may only be the nearest of the options offered, so when its
# cards miss, the facet is asked once more with other options (or for the visitor's own words).
OPEN_FACETS = frozenset({FUNCTION, SITE})
MAX_ASKS = 2
OPEN_ANSWER_BITS = 1.0  # worth of an answer in the visitor's words on an open facet, against a split's entropy

TEXTS = {
    FUNCTION: "What should it mainly do?",
    SITE: "Which site should it work on?",
    CATEGORY_FACET: "Which kind of add-on is closest?",
    LICENSE: "Does it need to be free and open source?",
    PRIVACY: "Should it avoid access to all websites?",
}
# How much an answer on each facet usually narrows a need: what an add-on does, and where it works, say
# the most (a visitor who ignores the options answers them with their own specific words), its shelf
# less, its licence or permissions far less.
WEIGHTS = {FUNCTION: 1.0, SITE: 1.0, CATEGORY_FACET: 0.5, LICENSE: 0.3, PRIVACY: 0.3}
MIN_OPTIONS = 2
MAX_OPTIONS = 5
LARGE_POOL = 6
MAX_SHARE = 0.8  # an option covering more of the pool than this tells nothing apart
SUMMARY_WORD_WEIGHT = 0.2
MAX_OVERLAP = 0.5  # share of an option's add-ons another chosen option may already cover
CATCH_ALL = "other"  # the "Other" category narrows nothing a visitor could name
ANY = "any"
ANY_LABEL = "Doesn't matter"

# Words that describe any add-on, or any action, rather than what one add-on does.
GENERIC = frozenset(
    stem(word)
    for word in """simple easy easily best new free fast quick quickly instant instantly better feature features allow
    allows enable enables support supports based official lightweight powerful useful custom customize
    customizable page pages site sites web website websites internet online browser browsing firefox mozilla
    chrome extension button click open source version user users option options setting settings way own
    directly automatically simply one many great good nice small various including include includes provide
    provides also well every current add adds adding added improve improves improved improvement experience
    application applications app apps service services tool time times etc com org www http https
    anything everything content info information thing things stuff work works working keep show shows
    view see set change changes changing give take find right left top bottom list full access doesn don isn
    won didn can aren wasn against yourself themselves multiple several whole ext result results""".split()
)
# Words of the category names: shelves the category facet offers, too broad to say what an add-on does.
SHELF_WORDS = frozenset(
    stem(variant)
    for name in AMO_CATEGORIES.values()
    for word in words(name)
    for variant in (word, word.removesuffix("s"))  # "games" stems to "gam", "game" to itself
)
NOT_SITES = frozenset({"firefox", "mozilla", "chrome", "google chrome", "internet", "web", "browser", "free", "all"})
DOMAIN = re.compile(r"\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|org|net|io|tv|me|app|gg|fm|dev|co|ai|to|so|xyz)\b")
PROPER_NOUN = re.compile(r"\b(?:for|on|in|from|with|at|to)\s+(?:the\s+)?([A-Z][\w.+&'-]*(?:\s+[A-Z][\w.+&'-]*){0,2})")
TITLE_CASE_SHARE = 0.5


@dataclass(frozen=True)
class Split:
    facet: str
    options: tuple[Option, ...]
    quality: float


def smallest_group(pool: int) -> int:
    """In a large pool an option that stands for one add-on is a guess, not a split."""
    return 2 if pool >= LARGE_POOL else 1


def _id(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", fold(text)))[:40]


def _text(candidate: Candidate) -> str:
    return f"{candidate.name}. {candidate.summary}. {'. '.join(candidate.tags)}"


def quality(options: Iterable[Option], pool: int) -> float:
    """Entropy (bits) of how the options divide the pool, times the share of the pool they cover."""
    options = list(options)
    counts = [len(option.slugs) for option in options]
    total = sum(counts)
    if len(options) < MIN_OPTIONS or not pool or any(count == 0 for count in counts):
        return 0.0
    entropy = -sum(count / total * math.log2(count / total) for count in counts)
    covered = len({slug for option in options for slug in option.slugs})
    return entropy * covered / pool


def worth(facet: str, options: tuple[Option, ...], pool: int) -> float:
    """What asking about a facet is worth: the split its options make, plus, for the part of the pool no
    option speaks to, what the visitor's own words would say on an open-ended facet (where they name
    the function or the site they need, far more than a shelf or a yes/no)."""
    split = quality(options, pool)
    if not split:
        return 0.0
    uncovered = 1 - len({slug for option in options for slug in option.slugs}) / pool
    return WEIGHTS[facet] * (split + (OPEN_ANSWER_BITS * uncovered if facet in OPEN_FACETS else 0.0))


def _pick(ranked: list[tuple[str, str, set[str]]], pool: int, make: Callable[[str, str], Option]) -> list[Option]:
    """Greedy: the largest informative groups first, skipping ones mostly covered by groups already taken."""
    chosen: list[Option] = []
    covered: set[str] = set()
    stems_taken: set[str] = set()
    for key, label, members in ranked:
        if len(chosen) == MAX_OPTIONS:
            break
        if not members or len(members) > MAX_SHARE * pool or len(members & covered) > MAX_OVERLAP * len(members):
            continue
        if stems_taken & set(key.split()):
            continue
        option = make(key, label)
        chosen.append(Option(option.id, option.label, option.constraints, tuple(sorted(members))))
        covered |= members
        stems_taken |= set(key.split())
    return chosen


def _phrases(candidate: Candidate) -> Iterator[tuple[list[str], bool]]:
    """A candidate's words and word pairs, each with whether it comes from its name or tags."""
    for tag in candidate.tags:
        yield TOKEN.findall(fold(tag)), True
    for text, named in ((candidate.name, True), (candidate.summary, False)):
        found = TOKEN.findall(fold(text))
        for index, word in enumerate(found):
            yield [word], named
            yield found[index : index + 2], named


def _function_options(candidates: list[Candidate], known: set[str]) -> list[Option]:
    """Distinctive terms: in some candidates, not most. Terms from names and tags, and two-word phrases
    ("dark mode"), rank above single words only found in summaries, which are as often verbs as functions."""
    members: dict[str, set[str]] = {}
    named: set[str] = set()
    surfaces: dict[str, Counter] = {}
    for candidate in candidates:
        for phrase, in_name in _phrases(candidate):
            stems = [stem(word) for word in phrase]
            if not phrase or any(
                word in STOP_WORDS
                or root in GENERIC
                or root in SHELF_WORDS
                or root in known
                or len(word) < 3
                or not word.isalpha()
                for word, root in zip(phrase, stems, strict=True)
            ):
                continue
            key = " ".join(stems)
            members.setdefault(key, set()).add(candidate.slug)
            surfaces.setdefault(key, Counter())[" ".join(phrase)] += 1
            if in_name or len(phrase) > 1:
                named.add(key)
    minimum = smallest_group(len(candidates))
    ranked = sorted(
        (
            (key, surfaces[key].most_common(1)[0][0], slugs)
            for key, slugs in members.items()
            if len(slugs) >= minimum and len(key.split()) <= 2
        ),
        key=lambda item: (-len(item[2]) * (1.0 if item[0] in named else SUMMARY_WORD_WEIGHT), item[0]),
    )

    def make(key: str, label: str) -> Option:
        return Option(_id(label), label[:1].upper() + label[1:], (Constraint(TERM, label, label),))

    return _pick(ranked, len(candidates), make)


def _title_cased(text: str) -> bool:
    long_words = re.findall(r"[A-Za-z]{4,}", text)
    return bool(long_words) and sum(word[0].isupper() for word in long_words) > TITLE_CASE_SHARE * len(long_words)


def _proper_nouns(candidate: Candidate) -> set[str]:
    """Capitalised names after "for", "on", "with"...: "Enhancer for YouTube", "dark mode for Canvas"."""
    texts = [candidate.name] + ([] if _title_cased(candidate.summary) else [candidate.summary])
    keys = {" ".join(TOKEN.findall(fold(phrase))) for text in texts for phrase in PROPER_NOUN.findall(text)}
    return {key for key in keys if key and key not in NOT_SITES and key.split()[0] not in STOP_WORDS}


def sites_by_candidate(candidates: list[Candidate]) -> dict[str, set[str]]:
    """Site names each candidate works on: host permissions, domains it mentions, and proper nouns that
    no candidate also writes in lower case (so "Dark Mode" in one summary is not taken for a site)."""
    lower_text = " ".join(f"{candidate.name} {candidate.summary}" for candidate in candidates)
    sites = {}
    for candidate in candidates:
        keys = {site_name(domain) for domain in candidate.sites}
        keys |= {site_name(domain) for domain in DOMAIN.findall(fold(f"{candidate.name} {candidate.summary}"))}
        keys |= {key for key in _proper_nouns(candidate) if not re.search(rf"\b{re.escape(key)}\b", lower_text)}
        sites[candidate.slug] = keys
    return sites


def _site_label(key: str, candidates: list[Candidate]) -> str:
    """How the candidates write the site: "YouTube", "TETR.IO"; else its domain."""
    domains = [domain for candidate in candidates for domain in candidate.sites if site_name(domain) == key]
    patterns = [re.escape(domain) for domain in dict.fromkeys(domains)] + [re.escape(key).replace(r"\ ", r"\s+")]
    forms: Counter = Counter()
    for candidate in candidates:
        text = f"{candidate.name} {candidate.summary}"
        for pattern in patterns:
            forms.update(re.findall(rf"(?<![\w.]){pattern}(?![\w])", text, flags=re.IGNORECASE))
            if forms:
                break
    cased = [
        (count, sum(char.isupper() for char in form), form) for form, count in forms.items() if form != form.lower()
    ]
    if cased:
        return max(cased)[2]
    return Counter(domains).most_common(1)[0][0] if domains else key.title()


def _site_options(candidates: list[Candidate], mentions: dict[str, set[str]], known: set[str]) -> list[Option]:
    texts = {candidate.slug: " ".join(TOKEN.findall(fold(_text(candidate)))) for candidate in candidates}
    members: dict[str, set[str]] = {}
    for key in {key for keys in mentions.values() for key in keys}:
        if not set(map(stem, key.split())) - known:
            continue
        pattern = re.compile(rf"\b{re.escape(key)}\b") if len(key) >= 3 else None
        members[key] = {slug for slug in mentions if key in mentions[slug] or (pattern and pattern.search(texts[slug]))}
    minimum = smallest_group(len(candidates))
    ranked = sorted(
        ((key, key, slugs) for key, slugs in members.items() if len(slugs) >= minimum),
        key=lambda item: (-len(item[2]), item[0]),
    )

    def make(key: str, _label: str) -> Option:
        label = _site_label(key, candidates)
        return Option(_id(key), label, (Constraint(TERM, fold(label), label),))

    return _pick(ranked, len(candidates), make)


def _category_options(candidates: list[Candidate], current: str, known: set[str]) -> list[Option]:
    """Shelves the pool spreads over, but not one the visitor's own words already name ("games")."""
    members: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for candidate in candidates:
        for index, slug in enumerate(candidate.categories):
            if slug not in (current, CATCH_ALL) and not _names_known(slug, known):
                members.setdefault(slug, set()).add(candidate.slug)
                names[slug] = (
                    candidate.category_names[index] if index < len(candidate.category_names) else category_name(slug)
                )
    ranked = sorted(
        ((slug, names[slug], slugs) for slug, slugs in members.items()), key=lambda item: (-len(item[2]), item[0])
    )

    def make(slug: str, label: str) -> Option:
        return Option(slug, label, (Constraint(CATEGORY, slug, label),))

    return _pick(ranked, len(candidates), make)


def _names_known(category: str, known: set[str]) -> bool:
    return any(
        stem(variant) in known for word in words(category_name(category)) for variant in (word, word.removesuffix("s"))
    )


def _yes_or_any(candidates: list[Candidate], yes: Option, belongs: Callable[[Candidate], bool]) -> list[Option]:
    """A yes/no facet: the option that narrows, and "Doesn't matter" for the rest of the pool."""
    inside = tuple(candidate.slug for candidate in candidates if belongs(candidate))
    outside = tuple(candidate.slug for candidate in candidates if not belongs(candidate))
    options = [Option(yes.id, yes.label, yes.constraints, inside), Option(ANY, ANY_LABEL, (), outside)]
    if any(not option.slugs or len(option.slugs) > MAX_SHARE * len(candidates) for option in options):
        return []
    return options


def _license_options(candidates: list[Candidate], applied: set[str]) -> list[Option]:
    if OPEN_SOURCE in applied:
        return []
    constraints = tuple(
        Constraint(kind, "1", label)
        for kind, label in ((FREE, "free only"), (OPEN_SOURCE, "open source"))
        if kind not in applied
    )
    yes = Option("open-source", "Free and open source", constraints)
    return _yes_or_any(candidates, yes, lambda candidate: candidate.free and candidate.open_source)


def _privacy_options(candidates: list[Candidate], applied: set[str]) -> list[Option]:
    if NO_ALL_SITES in applied:
        return []
    yes = Option(
        "no-all-sites",
        "Works without access to all sites",
        (Constraint(NO_ALL_SITES, "1", "no access to all websites"),),
    )
    return _yes_or_any(candidates, yes, lambda candidate: not candidate.all_sites)


def settled(questions: Iterable[Question]) -> tuple[set[str], set[str]]:
    """The facets not to ask again, and the option ids already offered on the others.

    A facet is settled once asked, except an open-ended one answered by a quick reply (the cards that
    followed missed, or the policy would not be asking again), which may be asked MAX_ASKS times.
    """
    asks: Counter = Counter()
    done: set[str] = set()
    offered: set[str] = set()
    for question in questions:
        asks[question.facet] += 1
        offered |= {option.id for option in question.options}
        if (
            question.facet not in OPEN_FACETS
            or not question.answer_option
            or question.answer_text
            or asks[question.facet] >= MAX_ASKS
        ):
            done.add(question.facet)
    return done, offered


def splits(
    candidates: list[Candidate],
    *,
    asked: set[str],
    constraints: list[Constraint],
    query: str,
    offered: frozenset[str] | set[str] = frozenset(),
) -> list[Split]:
    """Every facet not yet asked that can still split the pool, best first; options offered before are
    not offered again."""
    if len(candidates) < MIN_OPTIONS:
        return []
    applied = {constraint.kind for constraint in constraints}
    category = next((constraint.value for constraint in constraints if constraint.kind == CATEGORY), "")
    known = set(tokens(" ".join([query, *(c.value for c in constraints if c.kind == TERM)])))
    sites = sites_by_candidate(candidates)
    # Site names belong to the site facet, never to "what should it do".
    site_stems = {stem(word) for keys in sites.values() for key in keys for word in key.split()}
    builders = {
        FUNCTION: lambda: _function_options(candidates, known | site_stems),
        SITE: lambda: _site_options(candidates, sites, known),
        CATEGORY_FACET: lambda: _category_options(candidates, category, known),
        LICENSE: lambda: _license_options(candidates, applied),
        PRIVACY: lambda: _privacy_options(candidates, applied),
    }
    found = []
    for facet, build in builders.items():
        if facet in asked:
            continue
        options = tuple(option for option in build() if option.id not in offered)
        score = worth(facet, options, len(candidates))
        if score > 0:
            found.append(Split(facet, options, score))
    return sorted(found, key=lambda split: -split.quality)


def choose_question(
    candidates: list[Candidate],
    *,
    asked: set[str],
    constraints: list[Constraint],
    query: str,
    question_id: str,
    offered: frozenset[str] | set[str] = frozenset(),
) -> Question | None:
    """The single best question for this pool, or None when nothing splits it."""
    found = splits(candidates, asked=asked, constraints=constraints, query=query, offered=offered)
    if not found:
        return None
    best = found[0]
    return Question(question_id, best.facet, TEXTS[best.facet], best.options)
