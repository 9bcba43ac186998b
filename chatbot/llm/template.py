"""Replies without a model: deterministic, instant, naming nothing but the cards, in the visitor's language.

This is the fallback whenever a model is busy, down, slow or ungrounded, and the whole reply writer
when LLM_BACKEND is "template". A recommendation is a lead-in that quotes what the visitor asked for,
then one sentence per card saying what it does in its own summary's words: grounded by construction,
and free of ranking internals. The catalogue is in English, so summaries stay as listed.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator

from chatbot.dialogue.decision import ReplyKind
from chatbot.llm.base import CardFact, GenerationParams, LLMBackend, ReplyRequest
from chatbot.llm.words import COMMON_WORDS

WORD = re.compile(r"\S+\s*")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
GIST_CHARS = 120
SAID_CHARS = 80
# Per language: the wordings of each reply kind; "_one" for a single card, "_plain" when the visitor's words
# are not known (a reply to "more" or to a quick reply). The visitor's words fill {said}.
WORDINGS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "recommend": ("Here are a few add-ons for “{said}”.", "These could help with “{said}”."),
        "recommend_one": ("This add-on could help with “{said}”.", "For “{said}”, have a look at this one."),
        "recommend_plain": ("Here are a few add-ons that could help.", "These could help."),
        "more": ("Here are a few more.", "Some more ideas."),
        "more_one": ("Here is one more.",),
        "question": ("One quick question so I can find the right one.", "Let me narrow it down with one question."),
        "thanks": ("Glad I could help, enjoy your new add-on!", "You're welcome, happy browsing!"),
        "empty": ("Sorry, I couldn't find an add-on for “{said}”. Could you describe it in other words?",),
        "empty_plain": ("Sorry, I couldn't find a matching add-on. Could you describe what you need in other words?",),
    },
    "de": {
        "recommend": ("Hier sind ein paar Add-ons für „{said}“.", "Diese könnten bei „{said}“ helfen."),
        "recommend_one": ("Dieses Add-on könnte bei „{said}“ helfen.",),
        "recommend_plain": ("Hier sind ein paar Add-ons, die helfen könnten.",),
        "more": ("Hier sind noch ein paar.", "Noch ein paar Ideen."),
        "more_one": ("Hier ist noch eins.",),
        "question": ("Eine kurze Frage, damit ich das Richtige finde.",),
        "thanks": ("Freut mich, dass ich helfen konnte. Viel Spaß mit dem Add-on!", "Gern geschehen, viel Spaß!"),
        "empty": ("Leider habe ich kein Add-on für „{said}“ gefunden. Können Sie es anders beschreiben?",),
        "empty_plain": ("Leider habe ich kein passendes Add-on gefunden. Können Sie es anders beschreiben?",),
    },
    "fr": {
        "recommend": ("Voici quelques modules pour « {said} ».", "Ceux-ci pourraient vous aider pour « {said} »."),
        "recommend_one": ("Ce module pourrait vous aider pour « {said} ».",),
        "recommend_plain": ("Voici quelques modules qui pourraient vous aider.",),
        "more": ("En voici quelques autres.",),
        "more_one": ("En voici un autre.",),
        "question": ("Une petite question pour trouver le bon.",),
        "thanks": ("Ravi d'avoir pu aider, profitez bien de votre module !", "Avec plaisir, bonne navigation !"),
        "empty": ("Désolé, je n'ai trouvé aucun module pour « {said} ». Pouvez-vous le décrire autrement ?",),
        "empty_plain": ("Désolé, je n'ai trouvé aucun module correspondant. Pouvez-vous le décrire autrement ?",),
    },
    "es": {
        "recommend": ("Aquí tienes algunos complementos para «{said}».",),
        "recommend_one": ("Este complemento podría ayudarte con «{said}».",),
        "recommend_plain": ("Aquí tienes algunos complementos que podrían ayudarte.",),
        "more": ("Aquí tienes algunos más.",),
        "more_one": ("Aquí tienes uno más.",),
        "question": ("Una pregunta rápida para encontrar el adecuado.",),
        "thanks": ("¡Me alegro de haber ayudado, que lo disfrutes!",),
        "empty": ("Lo siento, no encontré ningún complemento para «{said}». ¿Puedes describirlo de otra forma?",),
        "empty_plain": ("Lo siento, no encontré ningún complemento adecuado. ¿Puedes describirlo de otra forma?",),
    },
    "it": {
        "recommend": ("Ecco alcuni componenti aggiuntivi per «{said}».",),
        "recommend_one": ("Questo componente aggiuntivo potrebbe aiutarti con «{said}».",),
        "recommend_plain": ("Ecco alcuni componenti aggiuntivi che potrebbero aiutarti.",),
        "more": ("Eccone altri.",),
        "more_one": ("Eccone un altro.",),
        "question": ("Una domanda veloce per trovare quello giusto.",),
        "thanks": ("Felice di esserti stato utile, buona navigazione!",),
        "empty": ("Mi dispiace, non ho trovato componenti aggiuntivi per «{said}». Puoi descriverlo diversamente?",),
        "empty_plain": ("Mi dispiace, non ho trovato un componente aggiuntivo adatto. Puoi descriverlo diversamente?",),
    },
    "pt": {
        "recommend": ("Aqui estão alguns complementos para “{said}”.",),
        "recommend_one": ("Este complemento pode ajudar com “{said}”.",),
        "recommend_plain": ("Aqui estão alguns complementos que podem ajudar.",),
        "more": ("Aqui estão mais alguns.",),
        "more_one": ("Aqui está mais um.",),
        "question": ("Uma pergunta rápida para encontrar o certo.",),
        "thanks": ("Que bom ter ajudado, aproveite!",),
        "empty": ("Desculpe, não encontrei nenhum complemento para “{said}”. Pode descrever de outra forma?",),
        "empty_plain": ("Desculpe, não encontrei um complemento adequado. Pode descrever de outra forma?",),
    },
    "nl": {
        "recommend": ("Hier zijn een paar add-ons voor ‘{said}’.",),
        "recommend_one": ("Deze add-on kan helpen met ‘{said}’.",),
        "recommend_plain": ("Hier zijn een paar add-ons die kunnen helpen.",),
        "more": ("Hier zijn er nog een paar.",),
        "more_one": ("Hier is er nog een.",),
        "question": ("Een korte vraag om de juiste te vinden.",),
        "thanks": ("Fijn dat ik kon helpen, veel plezier ermee!",),
        "empty": ("Sorry, ik heb geen add-on gevonden voor ‘{said}’. Kun je het anders omschrijven?",),
        "empty_plain": ("Sorry, ik heb geen passende add-on gevonden. Kun je het anders omschrijven?",),
    },
}
LANGUAGES = frozenset(WORDINGS)


def template_wordings() -> list[str]:
    """Every fixed sentence replies are built from, with the visitor's words left out."""
    return [
        wording.replace("{said}", "") for kinds in WORDINGS.values() for forms in kinds.values() for wording in forms
    ]


def gist(summary: str) -> str:
    """What an add-on does, in its summary's own words: the first sentence, at most GIST_CHARS long."""
    text = SENTENCE_END.split(" ".join(summary.split()), maxsplit=1)[0].rstrip(" .!?;:,")
    if len(text) > GIST_CHARS:
        text = text[:GIST_CHARS].rsplit(" ", 1)[0].rstrip(" ,;:-") + "…"
    first, _, rest = text.partition(" ")
    if first[1:].islower() and first.lower() in COMMON_WORDS:  # "Dark mode for..." reads "dark mode for..."
        text = " ".join(filter(None, [first.lower(), rest]))
    return text


def card_sentence(card: CardFact) -> str:
    what = gist(card.summary)
    return f"{card.name} — {what}." if what else ""


def _said(request: ReplyRequest) -> str:
    said = " ".join(request.said.split()).strip(" .!?")
    return said if len(said) <= SAID_CHARS else said[:SAID_CHARS].rsplit(" ", 1)[0] + "…"


def template_reply(request: ReplyRequest) -> str:
    """The reply text; the wording varies with the need and the turn, so repeated turns read less canned."""
    kind = request.kind if request.cards or request.kind in (ReplyKind.QUESTION, ReplyKind.THANKS) else ReplyKind.EMPTY
    wordings = WORDINGS.get(request.language, WORDINGS["en"])
    said = _said(request)
    key = str(kind)
    if len(request.cards) == 1 and f"{key}_one" in wordings:
        key = f"{key}_one"
    if not said and f"{kind}_plain" in wordings:
        key = f"{kind}_plain"
    choices = wordings[key]
    lead = choices[(zlib.crc32(request.need.encode()) + len(request.history)) % len(choices)].format(said=said)
    return " ".join(filter(None, [lead, *(card_sentence(card) for card in request.cards)]))


class TemplateBackend(LLMBackend):
    name = "template"

    def stream(self, request: ReplyRequest, params: GenerationParams) -> Generator[str, None, None]:
        yield from WORD.findall(template_reply(request))
