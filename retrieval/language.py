"""Which language a visitor writes in, from the short words every sentence of a language uses.

Needs are short ("nein, etwas anderes"), so a character n-gram model would guess; function words and a
few letters only one of these languages uses (ß, ñ, ł...) decide instead, and a message with no such
evidence has no language (""), which callers read as "as before". Plain Python: the dialogue and the
rankers both ask.
"""

from __future__ import annotations

import re
import unicodedata

ENGLISH = "en"
LANGUAGES = (ENGLISH, "de", "fr", "es", "it", "pt", "nl", "pl")
FUNCTION_WORDS = {
    "en": """the a an and or but of to in on for with without my me i you it is are was this that these not no
        can how what which want need looking something my when from at by all any some more other else so""",
    "de": """der die das den dem des ein eine einen einem einer und oder aber nicht kein keine ich mir mich mein
        meine du sie es ist sind bin war für mit ohne von zu zum zur im am auf bei beim wie was wenn dass etwas
        nein ja auch noch mehr andere anderes anderen bitte danke möchte will brauche suche gibt tun""",
    "fr": """le la les un une des du de et ou mais ne pas je me mon ma mes tu vous il elle est sont suis pour avec
        sans dans sur par que qui quoi comment quand ce cette ces non oui aussi plus autre autres chose merci
        veux voudrais cherche besoin faire sites mal en au aux à ça c'est j'ai d'autres rien aucun""",
    "es": """el la los las un una unos unas y o pero no yo me mi mis tú usted es son soy estoy para con sin en por
        que qué cómo cuando este esta estos estas otra otro otros cosa más gracias quiero necesito busco hay muy
        ninguno ninguna nada eso""",
    "it": """il lo la gli le un uno una e o ma non io mi mio mia tu è sono per con senza in su da che come quando
        questo questa altro altri altra cosa più grazie voglio vorrei cerco serve c'è molto del della""",
    "pt": """o a os as um uma uns umas e ou mas não eu me meu minha você é são sou estou para com sem em no na por
        que como quando este esta isso outro outros outra coisa mais obrigado obrigada quero preciso procuro""",
    "nl": """de het een en of maar niet geen ik mij mijn je jij u het is zijn ben was voor met zonder van naar in
        op bij hoe wat wanneer dat dit iets nee ja ook nog meer andere alsjeblieft bedankt wil zoek graag""",
    "pl": """i a ale lub nie tak ja mi mnie mój moja ty jest są jestem dla z bez w na do od że jak co kiedy to ten
        ta coś inne inny więcej dziękuję chcę potrzebuję szukam proszę się""",
}
# Letters that, in these languages, only one of them writes.
OWN_LETTERS = {"de": "ßäöü", "es": "ñ¿¡", "pt": "ãõ", "pl": "łśżźćńąę", "fr": "œ"}
WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
MIN_EVIDENCE = 1.0
MARGIN = 1.0  # the best language must beat the next by this much evidence
LETTER_WEIGHT = 2.0

_WORDS = {language: frozenset(words.split()) for language, words in FUNCTION_WORDS.items()}


def detect_language(text: str) -> str:
    """The language of `text` among LANGUAGES, or "" when its words do not say."""
    lowered = unicodedata.normalize("NFC", text.lower()).replace("\u2019", "'")
    words = WORD.findall(lowered)
    scores = {language: float(sum(word in _WORDS[language] for word in words)) for language in LANGUAGES}
    for language, letters in OWN_LETTERS.items():
        scores[language] += LETTER_WEIGHT * sum(lowered.count(letter) for letter in letters)
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    (best, top), (_, second) = ranked[0], ranked[1]
    return best if top >= MIN_EVIDENCE and top - second >= MARGIN else ""


def foreign_language(text: str) -> str:
    """The language of `text` when its words say it is not English (the catalogue's language), else ""."""
    language = detect_language(text)
    return "" if language == ENGLISH else language


def without_function_words(text: str, language: str) -> str:
    """`text` without the short words of `language`: in an English catalogue, "für" or "les" match only
    add-ons written in that language, whatever they do."""
    ignored = _WORDS.get(language, frozenset())
    normalised = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    return WORD.sub(lambda found: "" if found.group().lower() in ignored else found.group(), normalised)
