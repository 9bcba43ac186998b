"""How visitors say "no", "more", "thanks", "I'm looking for" and the common constraints in the widget's
other languages: German, French, Spanish, Italian, Portuguese, Dutch and Polish.

Patterns are written as the dialogue reads text: lower case, accents folded ("ça" is "ca", "más" is
"mas"), plain apostrophes. chatbot.dialogue.rewrite joins them to its English ones, so a message is
read the same whatever language it comes in; the rankers' typo correction leaves these languages alone
(retrieval.language tells them apart).
"""

from __future__ import annotations

REJECTION = (
    # de
    r"\bnicht (?:das|die|so|ganz|wirklich|richtig|passend|hilfreich)\b|\betwas anderes?\b"
    r"|\bwas anderes\b|\bandere (?:vorschlage|add-?ons|erweiterungen|optionen)\b|\bkeins?e? (?:davon|der)\b"
    r"|\bpasst nicht\b|\bhilft nicht\b|\bfalsch\b"
    # fr
    r"|\bpas (?:ca|cela|ce que je (?:cherche|veux)|vraiment|terrible|ceux-ci|celui-ci)\b|\bautre chose\b"
    r"|\bd'autres (?:suggestions|options|modules|extensions)\b|\baucun(?:e)? (?:de|d')\b|\bca ne (?:va|convient) pas\b"
    # es
    r"|\botra cosa\b|\bnada de (?:eso|esto)\b|\bno es (?:eso|esto|lo que (?:busco|quiero|necesito))\b"
    r"|\bninguno\b|\bno me (?:sirve|sirven|gusta|gustan)\b"
    # it
    r"|\bqualcos'?altro\b|\bqualcosa d'altro\b|\bnon (?:e|era) (?:quello|questo|cio)\b|\bnessuno\b|\bnon va bene\b"
    # pt
    r"|\boutra coisa\b|\bnao e (?:isso|isto|o que (?:procuro|quero|preciso))\b|\bnenhum\b|\bnao serve\b"
    # nl
    r"|\bniet (?:wat ik zoek|dat|goed|echt|deze)\b|\biets anders\b|\bgeen van\b"
    # pl
    r"|\bcos innego\b|\bnie to\b|\bzaden\b"
    # a bare "no" opening the message, last: a longer phrase above takes it along
    r"|^(?:nein|nee|ne|non|nao|nie)\b"
)
MORE = (
    r"(?:noch |zeig(?:e|en sie)? (?:mir )?)?(?:mehr|weitere|andere)(?: bitte| zeigen| vorschlage)*"
    r"|(?:montre(?:z)?(?:-moi)? )?(?:plus|encore|d'autres)(?: s'il (?:te|vous) plait)?"
    r"|(?:muestrame |ensename )?(?:mas|otros|otras)(?: por favor)?"
    r"|(?:mostrami |fammi vedere )?(?:altri|altre|di piu|ancora)(?: per favore)?"
    r"|(?:mostre(?:-me)? |me mostre )?(?:mais|outros|outras)(?: por favor)?"
    r"|(?:laat )?(?:meer|nog meer|andere)(?: zien)?(?: alsjeblieft| graag)?"
    r"|(?:pokaz )?(?:wiecej|jeszcze|inne)(?: prosze)?"
)
THANKS = (
    r"danke|vielen dank|perfekt|super|genau (?:das|so)|das ist es|passt|gefunden"
    r"|merci|parfait|c'est (?:ca|ce que je cherchais|parfait)|genial|trouve"
    r"|gracias|perfecto|eso es|justo eso"
    r"|grazie|perfetto|e questo|proprio questo|ottimo"
    r"|obrigad[oa]|perfeito|e isso|otimo"
    r"|bedankt|dank je(?: wel)?|dank u(?: wel)?|dat is het|top"
    r"|dziekuje|dzieki|idealnie|o to chodzi|super"
)
NEW_NEED = (
    r"ich (?:suche|brauche|mochte|will|hatte gern)|gibt es|habt ihr"
    r"|je (?:cherche|veux|voudrais)|j'ai besoin(?: de| d')?|y a-t-il|existe-t-il"
    r"|(?:busco|necesito|quiero|me gustaria)|hay (?:algun|alguna)"
    r"|(?:cerco|vorrei|voglio|mi serve)|c'e (?:un|una)"
    r"|(?:procuro|preciso(?: de)?|quero|gostaria de)|existe (?:um|uma)"
    r"|ik (?:zoek|wil|heb .{1,40} nodig)|is er"
    r"|(?:szukam|potrzebuje|chce)|czy jest"
)
FREE = r"kostenlos\w*|gratis|umsonst|gratuit\w*|de graca|sem custo|za darmo|darmow\w*|kosteloos"
OPEN_SOURCE = (
    r"quelloffen|offener quellcode|logiciel libre|code source ouvert|codigo (?:abierto|aberto)|software libre"
    r"|codice aperto|software libero|codigo livre|otwart(?:e|ym) (?:zrodl|oprogramowani)\w*|opensource"
)
NO_ALL_SITES = (
    r"ohne (?:zugriff|zugang) auf alle (?:seiten|websites|webseiten)|nicht auf alle (?:seiten|websites) zugreif\w*"
    r"|sans acces a tous (?:les|mes) sites|sans lire tous (?:les|mes) sites"
    r"|sin acceso a todos (?:los|mis) sitios|sin leer todos (?:los|mis) sitios"
    r"|senza accesso a tutti i (?:miei )?siti"
    r"|sem acesso a todos os (?:meus )?sites"
    r"|zonder toegang tot (?:al mijn|alle) (?:sites|websites)"
    r"|bez dostepu do wszystkich (?:moich )?stron"
)
