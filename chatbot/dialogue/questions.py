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
from dataclasses import dataclass, replace

from chatbot.dialogue.candidates import Candidate
from chatbot.dialogue.state import CATEGORY, FREE, NO_ALL_SITES, OPEN_SOURCE, TERM, Constraint, Option, Question
from marketplace.categories import AMO_CATEGORIES, category_name
from marketplace.sites import site_label, site_name
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

OPEN = "open"  # what it should do, in the visitor's own words: no quick replies
# Each question names its dimension, in the languages replies are written in (English when the visitor's
# is another).
TEXTS = {
    OPEN: {
        "en": "What should it do? A few words of your own are enough.",
        "de": "Was soll es tun? Ein paar eigene Worte genügen.",
        "fr": "Que doit-il faire ? Quelques mots suffisent.",
        "es": "¿Qué debe hacer? Bastan unas palabras.",
        "it": "Che cosa deve fare? Bastano poche parole.",
        "pt": "O que deve fazer? Bastam algumas palavras.",
        "nl": "Wat moet het doen? Een paar woorden zijn genoeg.",
    },
    FUNCTION: {
        "en": "Which of these is closest to what it should do?",
        "de": "Was davon kommt dem am nächsten, was es tun soll?",
        "fr": "Lequel se rapproche le plus de ce qu'il doit faire ?",
        "es": "¿Cuál se acerca más a lo que debe hacer?",
        "it": "Quale si avvicina di più a ciò che deve fare?",
        "pt": "Qual se aproxima mais do que deve fazer?",
        "nl": "Wat komt het dichtst bij wat het moet doen?",
    },
    SITE: {
        "en": "Which site should it work on?",
        "de": "Auf welcher Website soll es funktionieren?",
        "fr": "Sur quel site doit-il fonctionner ?",
        "es": "¿En qué sitio debe funcionar?",
        "it": "Su quale sito deve funzionare?",
        "pt": "Em que site deve funcionar?",
        "nl": "Op welke site moet het werken?",
    },
    CATEGORY_FACET: {
        "en": "Which kind of add-on is it?",
        "de": "Welche Art von Add-on soll es sein?",
        "fr": "Quel type de module cherchez-vous ?",
        "es": "¿Qué tipo de complemento buscas?",
        "it": "Che tipo di componente aggiuntivo cerchi?",
        "pt": "Que tipo de complemento procura?",
        "nl": "Wat voor add-on zoek je?",
    },
    LICENSE: {
        "en": "Should it be free and open source?",
        "de": "Soll es kostenlos und quelloffen sein?",
        "fr": "Doit-il être gratuit et open source ?",
        "es": "¿Debe ser gratuito y de código abierto?",
        "it": "Deve essere gratuito e open source?",
        "pt": "Deve ser gratuito e de código aberto?",
        "nl": "Moet het gratis en open source zijn?",
    },
    PRIVACY: {
        "en": "Should it work without access to all your sites?",
        "de": "Soll es ohne Zugriff auf alle Ihre Websites auskommen?",
        "fr": "Doit-il fonctionner sans accès à tous vos sites ?",
        "es": "¿Debe funcionar sin acceso a todos tus sitios?",
        "it": "Deve funzionare senza accesso a tutti i tuoi siti?",
        "pt": "Deve funcionar sem acesso a todos os seus sites?",
        "nl": "Moet het werken zonder toegang tot al je sites?",
    },
}
# The quick replies whose words are ours rather than the catalogue's, by option id.
LABELS = {
    "open-source": {
        "en": "Free and open source",
        "de": "Kostenlos und quelloffen",
        "fr": "Gratuit et open source",
        "es": "Gratuito y de código abierto",
        "it": "Gratuito e open source",
        "pt": "Gratuito e de código aberto",
        "nl": "Gratis en open source",
    },
    "no-all-sites": {
        "en": "No access to all sites",
        "de": "Kein Zugriff auf alle Websites",
        "fr": "Sans accès à tous les sites",
        "es": "Sin acceso a todos los sitios",
        "it": "Senza accesso a tutti i siti",
        "pt": "Sem acesso a todos os sites",
        "nl": "Geen toegang tot alle sites",
    },
    "any": {
        "en": "Doesn't matter",
        "de": "Egal",
        "fr": "Peu importe",
        "es": "Da igual",
        "it": "Non importa",
        "pt": "Tanto faz",
        "nl": "Maakt niet uit",
    },
}
ENGLISH = "en"
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
# Labels a host name may end in that name no site a visitor would pick ("*.edu.cn", "api.example.io").
HOST_LABELS = frozenset({"edu", "gov", "ac", "api", "cdn", "static", "www", "localhost"})
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


# Words a phrase may hold between its content words: "dark mode for websites", "read pages aloud".
INNER_WORDS = frozenset("for of to and on in with your the a all every any from".split())
MAX_PHRASE_WORDS = 5
MIN_CONTENT_WORDS = 2  # a lone word ("Player", "Text") names no kind of solution a visitor could pick
CONTIGUOUS_BONUS = 0.5  # written as one phrase in two or more listings: a real name for a feature
NAMED_BONUS = 0.5  # in a name or a tag, where listings say what they are


def _is_content(word: str) -> bool:
    return len(word) >= 3 and word.isalpha() and word not in STOP_WORDS and stem(word) not in GENERIC


def _candidate_phrases(
    candidate: Candidate, known: set[str], sites: set[str]
) -> Iterator[tuple[tuple[str, ...], str, bool]]:
    """(content stems, surface, from name or tags) for each phrase of 2-5 words in a candidate's text that
    begins and ends with a content word, with only short linking words between its content words, says
    something the visitor has not said already, and names no site (that is the site question's)."""
    for text, named in [(candidate.name, True), *((tag, True) for tag in candidate.tags), (candidate.summary, False)]:
        found = TOKEN.findall(fold(text))
        for start, word in enumerate(found):
            if not _is_content(word):
                continue
            for end in range(start + 1, min(start + MAX_PHRASE_WORDS, len(found))):
                last = found[end]
                if last in INNER_WORDS:
                    continue
                if not _is_content(last):
                    break
                content = [word, *(item for item in found[start + 1 : end] if item not in INNER_WORDS), last]
                key = tuple(sorted({stem(item) for item in content}))
                says = set(key) - known - SHELF_WORDS  # what it adds to the need, beyond a shelf's name
                if len(key) >= MIN_CONTENT_WORDS and says and not set(key) & sites:
                    yield key, " ".join(found[start : end + 1]), named


def _function_options(candidates: list[Candidate], known: set[str], sites: set[str]) -> list[Option]:
    """Kinds of solution the pool holds, as short phrases from its own text ("dark mode", "blue light
    filter", "read pages aloud"): each stands for the add-ons whose text has all its content words, and
    ranks by how many that is, more when listings write it as one phrase or in their names and tags. A
    phrase only one listing writes, in its description, is a coincidence of words, not a kind."""
    stems = {candidate.slug: set(tokens(_text(candidate))) for candidate in candidates}
    surfaces: dict[tuple[str, ...], Counter] = {}
    writers: dict[tuple[str, ...], set[str]] = {}
    named: set[tuple[str, ...]] = set()
    for candidate in candidates:
        for key, surface, in_name in _candidate_phrases(candidate, known, sites):
            surfaces.setdefault(key, Counter())[surface] += 1
            writers.setdefault(key, set()).add(candidate.slug)
            if in_name:
                named.add(key)
    minimum = smallest_group(len(candidates))
    ranked = []
    for key, forms in surfaces.items():
        members = {slug for slug, found in stems.items() if set(key) <= found}
        if len(members) < minimum or (len(writers[key]) < 2 and key not in named):
            continue
        score = len(members) * (1 + CONTIGUOUS_BONUS * (len(writers[key]) > 1)) * (1 + NAMED_BONUS * (key in named))
        label = max(forms, key=lambda form: (forms[form], -len(form)))
        ranked.append((score, " ".join(key), label, members))
    ranked.sort(key=lambda item: (-item[0], len(item[2]), item[2]))

    def make(key: str, label: str) -> Option:
        return Option(_id(label), label[:1].upper() + label[1:], (Constraint(TERM, label, label),))

    return _pick([(key, label, members) for _, key, label, members in ranked], len(candidates), make)


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
        domains = [*candidate.sites, *DOMAIN.findall(fold(f"{candidate.name} {candidate.summary}"))]
        keys = {key for key in map(site_name, domains) if key.isalpha() and key not in HOST_LABELS}
        keys |= {key for key in _proper_nouns(candidate) if not re.search(rf"\b{re.escape(key)}\b", lower_text)}
        sites[candidate.slug] = keys
    return sites


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
        label = site_label(
            key,
            domains=[domain for candidate in candidates for domain in candidate.sites],
            texts=[f"{candidate.name} {candidate.summary}" for candidate in candidates],
        )
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
    options = [Option(yes.id, yes.label, yes.constraints, inside), Option(ANY, LABELS[ANY][ENGLISH], (), outside)]
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
    yes = Option("open-source", LABELS["open-source"][ENGLISH], constraints)
    return _yes_or_any(candidates, yes, lambda candidate: candidate.free and candidate.open_source)


def _privacy_options(candidates: list[Candidate], applied: set[str]) -> list[Option]:
    if NO_ALL_SITES in applied:
        return []
    yes = Option(
        "no-all-sites", LABELS["no-all-sites"][ENGLISH], (Constraint(NO_ALL_SITES, "1", "no access to all websites"),)
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
    # Sites two listings name belong to the site facet, never to "what should it do" (a proper noun only
    # one listing writes, "with Dark Reader", is as likely a product's name).
    shared = Counter(key for keys in sites.values() for key in keys)
    site_stems = {stem(word) for key, count in shared.items() if count > 1 for word in key.split()}
    builders = {
        FUNCTION: lambda: _function_options(candidates, known, site_stems),
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


def open_question(question_id: str, language: str = ENGLISH) -> Question:
    """Asks what the add-on should do, to be answered in the visitor's own words."""
    return Question(question_id, OPEN, TEXTS[OPEN].get(language, TEXTS[OPEN][ENGLISH]))


def choose_question(
    candidates: list[Candidate],
    *,
    asked: set[str],
    constraints: list[Constraint],
    query: str,
    question_id: str,
    offered: frozenset[str] | set[str] = frozenset(),
    language: str = ENGLISH,
) -> Question | None:
    """The single best question for this pool, or None when nothing splits it; worded in `language` where
    the words are ours (the catalogue's phrases stay as listed)."""
    found = splits(candidates, asked=asked, constraints=constraints, query=query, offered=offered)
    if not found:
        return None
    best = found[0]
    options = tuple(
        replace(option, label=LABELS.get(option.id, {}).get(language, option.label)) for option in best.options
    )
    return Question(question_id, best.facet, TEXTS[best.facet].get(language, TEXTS[best.facet][ENGLISH]), options)
