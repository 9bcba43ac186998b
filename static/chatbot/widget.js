/*! Add-on Concierge chat widget (ASCII only: host pages may decode it in any charset). One tag embeds it:
 *  <script src="https://HOST/static/chatbot/widget.js" data-server="https://HOST" async></script>
 *  Optional: data-title, data-accent (CSS colour), data-position (bottom-right | bottom-left),
 *  data-locale (en, de, fr, es, it, pt, nl), data-greeting, data-examples ("need one|need two|need three").
 *  Everything lives in a Shadow DOM so host-page styles cannot leak in or out. Server text is only
 *  ever set with textContent; links and icons must be http(s). Protocol: README "Chat websocket API". */
(function () {
  "use strict";
  if (window.__addonConcierge) return; // embedded twice: keep the first
  window.__addonConcierge = true;

  var script = document.currentScript ||
    document.querySelector('script[src*="chatbot/widget.js"][data-server]') ||
    document.querySelector('script[src*="chatbot/widget.js"]');
  var data = (script && script.dataset) || {};

  var STRINGS = {
    en: {
      title: "Add-on Concierge", online: "Finds add-ons for what you need", connecting: "Connecting\u2026",
      reconnecting: "Connection lost \u2014 reconnecting\u2026", unreachable: "Can't reach the assistant right now. Retrying\u2026",
      open: "Open the add-on assistant", openUnread: "Open the add-on assistant (new reply)", close: "Close chat",
      restart: "Start over", placeholder: "Describe what you need\u2026", send: "Send", inputLabel: "Your message",
      greeting: "Hi! Tell me what you'd like your browser to do, and I'll find add-ons for it.",
      tryOne: "Try one of these:",
      examples: ["My eyes hurt when I read at night", "Stop websites from tracking me", "Remember my passwords safely"],
      view: "View add-on", up: "Good suggestion", down: "Not for me", upDone: "Thanks \u2014 noted.",
      downDone: "Got it \u2014 I won't suggest it again.", notIt: "Not what I'm looking for", more: "Show more",
      thatsIt: "That's it!", typing: "The assistant is typing", assistant: "Assistant",
      rated: "Rated {r} out of 5 by {n} people", unrated: "Not rated yet", users: "{n} users",
      suggested: "{n} add-ons suggested: {names}", sending: "Sending when the connection is back\u2026",
      error: "Something went wrong; please try again.", messages: "Conversation", actions: "Quick replies"
    },
    de: {
      title: "Add-on-Concierge", online: "Findet Add-ons f\u00fcr Ihr Anliegen", connecting: "Verbinde\u2026",
      reconnecting: "Verbindung verloren \u2014 verbinde neu\u2026", unreachable: "Der Assistent ist gerade nicht erreichbar. Neuer Versuch\u2026",
      open: "Add-on-Assistent \u00f6ffnen", openUnread: "Add-on-Assistent \u00f6ffnen (neue Antwort)", close: "Chat schlie\u00dfen",
      restart: "Neu beginnen", placeholder: "Beschreiben Sie, was Sie brauchen\u2026", send: "Senden", inputLabel: "Ihre Nachricht",
      greeting: "Hallo! Sagen Sie mir, was Ihr Browser k\u00f6nnen soll, und ich finde passende Add-ons.",
      tryOne: "Zum Beispiel:",
      examples: ["Meine Augen tun beim Lesen am Abend weh", "Websites sollen mich nicht verfolgen", "Passw\u00f6rter sicher speichern"],
      view: "Add-on ansehen", up: "Guter Vorschlag", down: "Nichts f\u00fcr mich", upDone: "Danke \u2014 notiert.",
      downDone: "Verstanden \u2014 ich schlage es nicht wieder vor.", notIt: "Nicht das Richtige", more: "Mehr zeigen",
      thatsIt: "Das ist es!", typing: "Der Assistent schreibt", assistant: "Assistent",
      rated: "Mit {r} von 5 bewertet von {n} Personen", unrated: "Noch nicht bewertet", users: "{n} Nutzer",
      suggested: "{n} Add-ons vorgeschlagen: {names}", sending: "Wird gesendet, sobald die Verbindung zur\u00fcck ist\u2026",
      error: "Etwas ist schiefgegangen; bitte erneut versuchen.", messages: "Unterhaltung", actions: "Schnellantworten"
    },
    fr: {
      title: "Concierge des modules", online: "Trouve des modules pour vos besoins", connecting: "Connexion\u2026",
      reconnecting: "Connexion perdue \u2014 reconnexion\u2026", unreachable: "L'assistant est injoignable pour le moment. Nouvel essai\u2026",
      open: "Ouvrir l'assistant des modules", openUnread: "Ouvrir l'assistant des modules (nouvelle r\u00e9ponse)",
      close: "Fermer la discussion", restart: "Recommencer", placeholder: "D\u00e9crivez ce qu'il vous faut\u2026",
      send: "Envoyer", inputLabel: "Votre message",
      greeting: "Bonjour ! Dites-moi ce que votre navigateur devrait faire, je trouve les modules qui conviennent.",
      tryOne: "Par exemple :",
      examples: ["J'ai mal aux yeux quand je lis le soir", "Emp\u00eacher les sites de me pister", "Garder mes mots de passe en s\u00e9curit\u00e9"],
      view: "Voir le module", up: "Bonne suggestion", down: "Pas pour moi", upDone: "Merci, c'est not\u00e9.",
      downDone: "Compris, je ne le proposerai plus.", notIt: "Ce n'est pas ce que je cherche", more: "Voir plus",
      thatsIt: "C'est \u00e7a !", typing: "L'assistant \u00e9crit", assistant: "Assistant",
      rated: "Not\u00e9 {r} sur 5 par {n} personnes", unrated: "Pas encore not\u00e9", users: "{n} utilisateurs",
      suggested: "{n} modules sugg\u00e9r\u00e9s : {names}", sending: "Envoi d\u00e8s le retour de la connexion\u2026",
      error: "Un probl\u00e8me est survenu ; r\u00e9essayez.", messages: "Conversation", actions: "R\u00e9ponses rapides"
    },
    es: {
      title: "Conserje de complementos", online: "Encuentra complementos para lo que necesitas",
      connecting: "Conectando\u2026", reconnecting: "Conexi\u00f3n perdida \u2014 reconectando\u2026",
      unreachable: "El asistente no est\u00e1 disponible ahora. Reintentando\u2026",
      open: "Abrir el asistente de complementos", openUnread: "Abrir el asistente de complementos (nueva respuesta)",
      close: "Cerrar el chat", restart: "Empezar de nuevo", placeholder: "Describe lo que necesitas\u2026",
      send: "Enviar", inputLabel: "Tu mensaje",
      greeting: "\u00a1Hola! Dime qu\u00e9 quieres que haga tu navegador y encontrar\u00e9 complementos para ello.",
      tryOne: "Prueba uno de estos:",
      examples: ["Me duelen los ojos al leer de noche", "Que las webs no me rastreen", "Guardar mis contrase\u00f1as con seguridad"],
      view: "Ver complemento", up: "Buena sugerencia", down: "No es para m\u00ed", upDone: "Gracias, anotado.",
      downDone: "Entendido, no lo volver\u00e9 a sugerir.", notIt: "No es lo que busco", more: "Ver m\u00e1s",
      thatsIt: "\u00a1Es este!", typing: "El asistente est\u00e1 escribiendo", assistant: "Asistente",
      rated: "Valorado con {r} de 5 por {n} personas", unrated: "A\u00fan sin valorar", users: "{n} usuarios",
      suggested: "{n} complementos sugeridos: {names}",
      sending: "Se enviar\u00e1 cuando vuelva la conexi\u00f3n\u2026",
      error: "Algo ha fallado; int\u00e9ntalo de nuevo.", messages: "Conversaci\u00f3n",
      actions: "Respuestas r\u00e1pidas"
    },
    it: {
      title: "Concierge dei componenti aggiuntivi", online: "Trova componenti aggiuntivi per ci\u00f2 che ti serve",
      connecting: "Connessione\u2026", reconnecting: "Connessione persa \u2014 riconnessione\u2026",
      unreachable: "L'assistente non \u00e8 raggiungibile al momento. Nuovo tentativo\u2026",
      open: "Apri l'assistente dei componenti aggiuntivi",
      openUnread: "Apri l'assistente dei componenti aggiuntivi (nuova risposta)", close: "Chiudi la chat",
      restart: "Ricomincia", placeholder: "Descrivi ci\u00f2 che ti serve\u2026", send: "Invia",
      inputLabel: "Il tuo messaggio",
      greeting: "Ciao! Dimmi cosa vorresti che facesse il tuo browser e trover\u00f2 i componenti aggiuntivi adatti.",
      tryOne: "Prova uno di questi:",
      examples: ["Mi fanno male gli occhi quando leggo la sera", "Impedire ai siti di tracciarmi", "Conservare le password in sicurezza"],
      view: "Vedi il componente", up: "Buon suggerimento", down: "Non fa per me", upDone: "Grazie, annotato.",
      downDone: "Capito, non lo suggerir\u00f2 pi\u00f9.", notIt: "Non \u00e8 quello che cerco",
      more: "Mostra altri", thatsIt: "\u00c8 questo!", typing: "L'assistente sta scrivendo", assistant: "Assistente",
      rated: "Valutato {r} su 5 da {n} persone", unrated: "Non ancora valutato", users: "{n} utenti",
      suggested: "{n} componenti suggeriti: {names}",
      sending: "Verr\u00e0 inviato quando la connessione torner\u00e0\u2026",
      error: "Qualcosa \u00e8 andato storto; riprova.", messages: "Conversazione", actions: "Risposte rapide"
    },
    pt: {
      title: "Concierge de complementos", online: "Encontra complementos para o que precisa",
      connecting: "A ligar\u2026", reconnecting: "Liga\u00e7\u00e3o perdida \u2014 a religar\u2026",
      unreachable: "O assistente n\u00e3o est\u00e1 dispon\u00edvel agora. A tentar de novo\u2026",
      open: "Abrir o assistente de complementos", openUnread: "Abrir o assistente de complementos (nova resposta)",
      close: "Fechar o chat", restart: "Recome\u00e7ar", placeholder: "Descreva o que precisa\u2026", send: "Enviar",
      inputLabel: "A sua mensagem",
      greeting: "Ol\u00e1! Diga-me o que gostaria que o seu navegador fizesse e eu encontro complementos para isso.",
      tryOne: "Experimente um destes:",
      examples: ["Os meus olhos doem quando leio \u00e0 noite", "Impedir que os sites me rastreiem", "Guardar as minhas palavras-passe com seguran\u00e7a"],
      view: "Ver complemento", up: "Boa sugest\u00e3o", down: "N\u00e3o \u00e9 para mim",
      upDone: "Obrigado, anotado.", downDone: "Entendido, n\u00e3o o volto a sugerir.",
      notIt: "N\u00e3o \u00e9 o que procuro", more: "Ver mais", thatsIt: "\u00c9 este!",
      typing: "O assistente est\u00e1 a escrever", assistant: "Assistente",
      rated: "Avaliado com {r} de 5 por {n} pessoas", unrated: "Ainda sem avalia\u00e7\u00e3o",
      users: "{n} utilizadores", suggested: "{n} complementos sugeridos: {names}",
      sending: "Ser\u00e1 enviado quando a liga\u00e7\u00e3o voltar\u2026", error: "Algo correu mal; tente de novo.",
      messages: "Conversa", actions: "Respostas r\u00e1pidas"
    },
    nl: {
      title: "Add-on-conci\u00ebrge", online: "Vindt add-ons voor wat je nodig hebt", connecting: "Verbinden\u2026",
      reconnecting: "Verbinding verloren \u2014 opnieuw verbinden\u2026",
      unreachable: "De assistent is nu niet bereikbaar. Nieuwe poging\u2026", open: "Open de add-on-assistent",
      openUnread: "Open de add-on-assistent (nieuw antwoord)", close: "Chat sluiten", restart: "Opnieuw beginnen",
      placeholder: "Beschrijf wat je nodig hebt\u2026", send: "Versturen", inputLabel: "Je bericht",
      greeting: "Hallo! Vertel me wat je browser moet doen, dan zoek ik er add-ons voor.", tryOne: "Probeer er een:",
      examples: ["Mijn ogen doen pijn als ik 's avonds lees", "Websites mogen me niet volgen", "Mijn wachtwoorden veilig bewaren"],
      view: "Add-on bekijken", up: "Goede suggestie", down: "Niets voor mij", upDone: "Bedankt, genoteerd.",
      downDone: "Begrepen, ik stel hem niet meer voor.", notIt: "Niet wat ik zoek", more: "Meer tonen",
      thatsIt: "Dat is hem!", typing: "De assistent typt", assistant: "Assistent",
      rated: "Beoordeeld met {r} van 5 door {n} mensen", unrated: "Nog niet beoordeeld", users: "{n} gebruikers",
      suggested: "{n} add-ons voorgesteld: {names}", sending: "Wordt verstuurd zodra de verbinding terug is\u2026",
      error: "Er ging iets mis; probeer het opnieuw.", messages: "Gesprek", actions: "Snelle antwoorden"
    }
  };

  // --- configuration from the script tag -------------------------------------------------------
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var server = (data.server || scriptOrigin).replace(/\/+$/, "");
  var wsUrl = server.replace(/^http(s?):\/\//i, function (_, s) { return "ws" + s + "://"; }) + "/ws/chat/";
  var locale = data.locale || document.documentElement.lang || navigator.language || "en";
  var T = STRINGS[locale.slice(0, 2).toLowerCase()] || STRINGS.en;
  var title = data.title || T.title;
  var accent = data.accent && window.CSS && CSS.supports("color", data.accent) ? data.accent : "#0060df";
  var left = data.position === "bottom-left";
  var examples = data.examples ? data.examples.split("|").map(function (s) { return s.trim(); }).filter(Boolean).slice(0, 3) : T.examples;
  var storeKey = "addon-concierge:" + server;
  var numbers = new Intl.NumberFormat(locale);
  var compact = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });

  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }
  function stored(key, value) {
    try {
      if (value === undefined) return localStorage.getItem(storeKey + ":" + key);
      if (value === null) localStorage.removeItem(storeKey + ":" + key); else localStorage.setItem(storeKey + ":" + key, value);
    } catch (e) { /* storage blocked (private mode, third-party rules): the chat still works for this page */ }
    return null;
  }
  function safeUrl(value) {
    try {
      var url = new URL(String(value || ""));
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : "";
    } catch (e) { return ""; }
  }

  // --- DOM helpers: text only, never markup ----------------------------------------------------
  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "text") el.textContent = value;
      else if (key.slice(0, 2) === "on") el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : value);
    });
    (children || []).forEach(function (child) { if (child) el.appendChild(child); });
    return el;
  }
  var ICONS = {
    chat: "M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-3-6-7-2z",
    restart: "M4 12a8 8 0 1 0 2.4-5.7M4 4v4h4",
    up: "M7 10v10H4V10h3zm0 0l4-7a3 3 0 0 1 3 3v3h5a2 2 0 0 1 2 2.3l-1.3 7A2 2 0 0 1 16.7 20H7"
  };
  function icon(name, flip) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    if (flip) svg.setAttribute("class", "flip");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  var CSS_TEXT = [
    ":host{all:initial}",
    "*{box-sizing:border-box}",
    ".root{--accent:" + accent + ";--ink:#15141a;--muted:#5b5b66;--line:#e3e3ea;--soft:#f4f4f7;position:fixed;z-index:2147483000;bottom:20px;" + (left ? "left" : "right") + ":20px;font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;color:var(--ink);-webkit-font-smoothing:antialiased}",
    "button,textarea{font:inherit;color:inherit}",
    "svg{width:20px;height:20px;fill:none;stroke:currentColor;stroke-width:2;stroke-linecap:round;stroke-linejoin:round}",
    "svg.flip{transform:rotate(180deg)}",
    ".launcher{position:relative;width:60px;height:60px;border-radius:50%;border:0;background:var(--accent);color:#fff;cursor:pointer;display:grid;place-items:center;box-shadow:0 6px 20px rgba(0,0,0,.22),0 2px 6px rgba(0,0,0,.12);transition:transform .15s ease,box-shadow .15s ease}",
    ".launcher:hover{transform:translateY(-2px);box-shadow:0 10px 26px rgba(0,0,0,.26)}",
    ".launcher svg{width:28px;height:28px}",
    ".launcher .chat{fill:currentColor;stroke:none}",
    ".dot{position:absolute;top:4px;" + (left ? "left" : "right") + ":4px;width:14px;height:14px;border-radius:50%;background:#e22850;border:2px solid #fff}",
    ":focus-visible{outline:3px solid var(--accent);outline-offset:2px}",
    ".launcher:focus-visible{outline-color:#15141a}",
    ".panel{position:absolute;bottom:76px;" + (left ? "left" : "right") + ":0;width:392px;height:min(640px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border-radius:16px;overflow:hidden;box-shadow:0 18px 50px rgba(0,0,0,.22),0 4px 12px rgba(0,0,0,.1);border:1px solid rgba(0,0,0,.06);animation:rise .18s ease-out}",
    "@keyframes rise{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}",
    "[hidden]{display:none!important}",
    "header{display:flex;align-items:center;gap:10px;padding:14px 12px 14px 16px;background:var(--accent);color:#fff}",
    "header .who{flex:1;min-width:0}",
    "header h2{margin:0;font-size:16px;font-weight:650;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}",
    "header .status{font-size:12px;opacity:.9}",
    ".icon-btn{width:34px;height:34px;border:0;border-radius:8px;background:transparent;color:inherit;cursor:pointer;display:grid;place-items:center}",
    ".icon-btn:hover{background:rgba(255,255,255,.18)}",
    "header .icon-btn:focus-visible{outline-color:#fff}",
    ".log{flex:1;overflow-y:auto;padding:16px 14px 8px;background:var(--soft);scroll-behavior:smooth}",
    ".msg{max-width:86%;margin:0 0 10px;padding:9px 12px;border-radius:14px;white-space:pre-wrap;overflow-wrap:anywhere}",
    ".bot{background:#fff;border:1px solid var(--line);border-bottom-left-radius:4px}",
    ".me{margin-left:auto;background:var(--accent);color:#fff;border-bottom-right-radius:4px}",
    ".me.queued{opacity:.65}",
    ".notice{margin:0 auto 10px;max-width:92%;padding:8px 12px;border-radius:10px;background:#fff4e5;color:#6b3d00;font-size:13px;text-align:center}",
    ".examples{display:flex;flex-direction:column;align-items:flex-start;gap:6px;margin:0 0 12px}",
    ".examples p{margin:0;font-size:12px;color:var(--muted)}",
    ".chip{border:1px solid var(--accent);background:#fff;color:var(--accent);border-radius:999px;padding:6px 12px;cursor:pointer;text-align:left;transition:background .12s}",
    ".chip:hover:not(:disabled){background:color-mix(in srgb,var(--accent) 10%,#fff)}",
    ".chip:disabled{cursor:default;opacity:.5}",
    ".chip[aria-pressed=true]{background:var(--accent);color:#fff;opacity:1}",
    ".chips{display:flex;flex-wrap:wrap;gap:6px;margin:0 0 12px}",
    ".cards{display:flex;flex-direction:column;gap:8px;margin:0 0 10px}",
    ".card{display:flex;gap:10px;padding:12px;background:#fff;border:1px solid var(--line);border-radius:12px;box-shadow:0 1px 2px rgba(0,0,0,.04);transition:opacity .2s}",
    ".card.down{opacity:.55}",
    ".card img,.avatar{flex:none;width:44px;height:44px;border-radius:10px;object-fit:cover}",
    ".avatar{display:grid;place-items:center;background:color-mix(in srgb,var(--accent) 14%,#fff);color:var(--accent);font-weight:700;font-size:19px}",
    ".card .body{min-width:0;flex:1}",
    ".card h3{margin:0;font-size:15px;font-weight:650;overflow-wrap:anywhere}",
    ".meta{display:flex;flex-wrap:wrap;align-items:center;gap:4px 8px;margin:2px 0 4px;font-size:12px;color:var(--muted)}",
    ".stars{position:relative;display:inline-block;font-size:13px;letter-spacing:1px;color:#d7d7db;line-height:1}",
    ".stars span{position:absolute;left:0;top:0;overflow:hidden;white-space:nowrap;color:#f5a623}",
    ".summary{margin:0 0 8px;font-size:13px;color:#3a3944;overflow-wrap:anywhere}",
    ".row{display:flex;align-items:center;gap:6px;flex-wrap:wrap}",
    ".view{display:inline-block;padding:5px 11px;border-radius:8px;background:var(--accent);color:#fff;text-decoration:none;font-size:13px;font-weight:600}",
    ".view:hover{filter:brightness(1.1)}",
    ".thumb{width:30px;height:30px;border:1px solid var(--line);border-radius:8px;background:#fff;color:var(--muted);cursor:pointer;display:grid;place-items:center}",
    ".thumb svg{width:16px;height:16px}",
    ".thumb:hover:not(:disabled){color:var(--accent);border-color:var(--accent)}",
    ".thumb[aria-pressed=true]{background:var(--accent);border-color:var(--accent);color:#fff}",
    ".thumb:disabled{cursor:default}",
    ".noted{font-size:12px;color:#058b00}",
    ".typing{display:inline-flex;gap:4px;padding:12px 14px;margin:0 0 10px;background:#fff;border:1px solid var(--line);border-radius:14px;border-bottom-left-radius:4px}",
    ".typing i{width:7px;height:7px;border-radius:50%;background:#9e9ea8;animation:blink 1.2s infinite both}",
    ".typing i:nth-child(2){animation-delay:.2s}.typing i:nth-child(3){animation-delay:.4s}",
    "@keyframes blink{0%,80%,100%{opacity:.25;transform:translateY(0)}40%{opacity:1;transform:translateY(-3px)}}",
    ".actions{display:flex;gap:6px;flex-wrap:wrap;padding:8px 12px 0;background:#fff;border-top:1px solid var(--line)}",
    ".actions .chip{font-size:12.5px;padding:4px 9px;white-space:nowrap}",
    "form{display:flex;align-items:flex-end;gap:8px;padding:10px 12px 12px;background:#fff}",
    ".actions:not([hidden])+form{padding-top:8px}",
    ".actions[hidden]+form{border-top:1px solid var(--line)}",
    "textarea{flex:1;resize:none;max-height:110px;min-height:40px;padding:9px 12px;border:1px solid var(--line);border-radius:12px;background:var(--soft);outline:none}",
    "textarea:focus{border-color:var(--accent);background:#fff;box-shadow:0 0 0 3px color-mix(in srgb,var(--accent) 20%,transparent)}",
    ".send{width:40px;height:40px;flex:none;border:0;border-radius:12px;background:var(--accent);color:#fff;cursor:pointer;display:grid;place-items:center}",
    ".send:disabled{opacity:.45;cursor:default}",
    ".sr{position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}",
    "@media (max-width:479.98px){.root.open{inset:0}.root.open .launcher{display:none}.panel{position:fixed;inset:0;width:100%;height:100%;border-radius:0;border:0}}",
    "@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important;scroll-behavior:auto!important}}"
  ].join("\n");

  // --- the interface -----------------------------------------------------------------------------
  // An autonomous custom element with inline !important resets: host-page rules for div, * or body > *
  // cannot hide or restyle the widget's host.
  var host = h("addon-concierge", { id: "addon-concierge", "data-server": server,
    style: "all:initial!important;display:block!important;visibility:visible!important;opacity:1!important" });
  var shadow = host.attachShadow({ mode: "open" });
  if (shadow.adoptedStyleSheets !== undefined && window.CSSStyleSheet && CSSStyleSheet.prototype.replaceSync) {
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS_TEXT); // constructed sheets also work under a strict style-src CSP
    shadow.adoptedStyleSheets = [sheet];
  } else {
    shadow.appendChild(h("style", { text: CSS_TEXT }));
  }

  var dot = h("span", { "class": "dot", hidden: true });
  var launcher = h("button", { "class": "launcher", type: "button", "aria-label": T.open, "aria-expanded": "false",
    "aria-controls": "ac-panel", onclick: function () { toggle(); } }, [icon("chat"), dot]);
  launcher.firstChild.setAttribute("class", "chat");
  var statusEl = h("div", { "class": "status", role: "status", text: T.online });
  // role=log is polite by default; streamed tokens would be read piecemeal, so whole replies go to `live`
  var log = h("div", { "class": "log", role: "log", "aria-live": "off", "aria-label": T.messages, tabindex: "0" });
  var live = h("div", { "class": "sr", "aria-live": "polite", "aria-atomic": "false" });
  var input = h("textarea", { rows: "1", maxlength: "1000", placeholder: T.placeholder, "aria-label": T.inputLabel, enterkeyhint: "send" });
  var sendBtn = h("button", { "class": "send", type: "submit", "aria-label": T.send, title: T.send }, [icon("send")]);
  var actions = h("div", { "class": "actions", role: "group", "aria-label": T.actions, hidden: true }, [
    h("button", { "class": "chip", type: "button", text: T.notIt,
      onclick: function () { act({ type: "feedback", value: "unsatisfied" }, T.notIt); } }),
    h("button", { "class": "chip", type: "button", text: T.more, onclick: function () { act({ type: "more" }, T.more); } }),
    h("button", { "class": "chip", type: "button", text: T.thatsIt,
      onclick: function () { act({ type: "feedback", value: "satisfied" }, T.thatsIt); } })
  ]);
  var form = h("form", { onsubmit: function (event) { event.preventDefault(); submit(); } }, [input, sendBtn]);
  var panel = h("section", { "class": "panel", id: "ac-panel", role: "dialog", "aria-modal": "false",
    "aria-labelledby": "ac-title", hidden: true }, [
    h("header", {}, [
      h("div", { "class": "who" }, [h("h2", { id: "ac-title", text: title }), statusEl]),
      h("button", { "class": "icon-btn", type: "button", "aria-label": T.restart, title: T.restart, onclick: restart }, [icon("restart")]),
      h("button", { "class": "icon-btn", type: "button", "aria-label": T.close, title: T.close, onclick: function () { toggle(false); } }, [icon("close")])
    ]),
    log, actions, form, live
  ]);
  var root = h("div", { "class": "root" }, [panel, launcher]);
  shadow.appendChild(root);

  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) { event.preventDefault(); submit(); }
  });
  input.addEventListener("input", function () {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 2, 110) + "px";
  });
  var fullScreen = window.matchMedia("(max-width: 479.98px)");
  root.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !panel.hidden) { event.stopPropagation(); toggle(false); }
    if (event.key === "Tab" && !panel.hidden && fullScreen.matches) trapFocus(event);
  });
  function trapFocus(event) { // full screen, the page behind is covered: Tab cycles inside the panel
    var items = Array.prototype.filter.call(panel.querySelectorAll("button, a[href], textarea, [tabindex='0']"),
      function (el) { return !el.disabled && el.getClientRects().length > 0; });
    var first = items[0], last = items[items.length - 1], active = shadow.activeElement;
    if (event.shiftKey ? active === first : active === last) {
      event.preventDefault();
      (event.shiftKey ? last : first).focus();
    }
  }

  // --- conversation state ----------------------------------------------------------------------
  var ws = null, attempts = 0, everOpened = false, connectedOnce = false, reconnectTimer = null;
  var sessionId = stored("session");
  var outbox = [];          // frames sent while offline: sent once the session (and its history) is back
  var pending = [];         // one entry per frame sent: the server answers each with exactly one done or error
  var BUSY_TRIES = 4;       // a frame answered "busy" is sent again this many times, backing off
  var turns = {};           // turn number -> its elements
  var questions = {};       // question id -> {options, chips}
  var cardsBySlug = {};     // slug -> card elements, to reflect thumbs
  var votes = {};           // slug -> "up" | "down"
  var typing = null, lastCardsTurn = 0, closed = false;

  function scrollDown() { log.scrollTop = log.scrollHeight; }
  function reveal(el) { // new cards: start reading at the visitor's words, not at the last card
    log.scrollTop += el.getBoundingClientRect().top - log.getBoundingClientRect().top - 8;
  }
  function announce(text) {
    live.appendChild(h("p", { text: text }));
    while (live.childNodes.length > 4) live.removeChild(live.firstChild);
  }
  function setStatus(text) { statusEl.textContent = text; }
  function add(el) {
    var nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    log.insertBefore(el, typing && typing.parentNode === log ? typing : null);
    if (nearBottom || el.classList.contains("me")) scrollDown();
    return el;
  }

  function greet() {
    add(h("p", { "class": "msg bot", text: data.greeting || T.greeting }));
    add(h("div", { "class": "examples" }, [h("p", { text: T.tryOne })].concat(examples.map(function (need) {
      return h("button", { "class": "chip example", type: "button", text: need, onclick: function () { say(need); } });
    }))));
  }
  function clearLog() {
    while (log.firstChild) log.removeChild(log.firstChild);
    turns = {}; questions = {}; cardsBySlug = {}; votes = {}; lastCardsTurn = 0; closed = false; typing = null;
    greet();
  }

  function setBusy(on) {
    if (on && !typing) {
      typing = h("div", { "class": "typing", role: "img", "aria-label": T.typing }, [h("i"), h("i"), h("i")]);
      log.appendChild(typing);
      scrollDown();
    } else if (!on && typing) {
      typing.remove();
      typing = null;
    }
    sendBtn.disabled = on;
    updateActions();
  }
  function updateActions() {
    actions.hidden = !lastCardsTurn || closed;
    Array.prototype.forEach.call(actions.children, function (button) { button.disabled = pending.length > 0; });
  }

  function turnEl(turn) {
    if (!turns[turn]) {
      var text = h("p", { "class": "msg bot", hidden: true });
      var el = h("div", { "class": "turn", "data-turn": String(turn) }, [text]);
      turns[turn] = { el: add(el), text: text, cards: null, question: null };
    }
    return turns[turn];
  }
  function showText(turn, text, append) {
    var t = turnEl(turn);
    t.text.textContent = append ? t.text.textContent + text : text;
    t.text.hidden = !t.text.textContent;
    if (log.scrollHeight - log.scrollTop - log.clientHeight < 160) scrollDown();
  }

  function stars(rating) {
    var outer = h("span", { "class": "stars", "aria-hidden": "true", text: "\u2605\u2605\u2605\u2605\u2605" });
    var inner = h("span", { text: "\u2605\u2605\u2605\u2605\u2605" });
    inner.style.width = Math.max(0, Math.min(100, rating / 5 * 100)) + "%";
    outer.appendChild(inner);
    return outer;
  }
  function avatar(name) {
    return h("span", { "class": "avatar", "aria-hidden": "true", text: (String(name).trim().charAt(0) || "?").toUpperCase() });
  }
  function card(c) {
    var name = String(c.name || c.slug || "");
    var slug = String(c.slug || "");
    var src = safeUrl(c.icon_url), link = safeUrl(c.url);
    var pic = src ? h("img", { src: src, alt: "", width: "44", height: "44", loading: "lazy", referrerpolicy: "no-referrer" }) : avatar(name);
    if (src) pic.addEventListener("error", function () { if (pic.parentNode) pic.replaceWith(avatar(name)); });
    var meta = [];
    var rating = Number(c.rating), count = Number(c.rating_count) || 0;
    if (c.rating !== null && c.rating !== undefined && !isNaN(rating) && count > 0) {
      var label = fmt(T.rated, { r: rating.toFixed(1), n: numbers.format(count) });
      meta.push(h("span", { "class": "rating", role: "img", "aria-label": label }, [
        stars(rating), h("span", { "aria-hidden": "true", text: " " + rating.toFixed(1) + " (" + compact.format(count) + ")" })]));
    } else {
      meta.push(h("span", { text: T.unrated }));
    }
    if (Number(c.users) > 0) meta.push(h("span", { "class": "users", text: fmt(T.users, { n: compact.format(Number(c.users)) }) }));
    var noted = h("span", { "class": "noted", role: "status" });
    var up = h("button", { "class": "thumb up", type: "button", "aria-pressed": "false", "aria-label": T.up + ": " + name, title: T.up,
      onclick: function () { vote(slug, "up"); } }, [icon("up")]);
    var down = h("button", { "class": "thumb down", type: "button", "aria-pressed": "false", "aria-label": T.down + ": " + name, title: T.down,
      onclick: function () { vote(slug, "down"); } }, [icon("up", true)]);
    var row = h("div", { "class": "row" }, [
      link ? h("a", { "class": "view", href: link, target: "_blank", rel: "noopener", text: T.view, "aria-label": T.view + ": " + name,
        onclick: function () { deliver({ type: "click", slug: slug }); } }) : null,
      up, down, noted
    ]);
    var el = h("article", { "class": "card", "data-slug": slug, "aria-label": name }, [pic, h("div", { "class": "body" }, [
      h("h3", { "class": "name", text: name }),
      h("div", { "class": "meta" }, meta),
      c.summary ? h("p", { "class": "summary", text: String(c.summary) }) : null,
      row
    ])]);
    (cardsBySlug[slug] = cardsBySlug[slug] || []).push({ el: el, up: up, down: down, noted: noted });
    if (votes[slug]) markVote(slug, votes[slug], true);
    return el;
  }
  function showCards(turn, cards) {
    if (!cards.length) return [];
    var t = turnEl(turn);
    if (t.cards) t.cards.remove();
    t.cards = h("div", { "class": "cards" }, cards.map(card));
    t.el.insertBefore(t.cards, t.question);
    lastCardsTurn = turn;
    reveal(t.el.previousElementSibling || t.el);
    updateActions();
    return cards.map(function (c) { return String(c.name || ""); });
  }
  function showQuestion(turn, q) {
    var id = String(q.question_id || q.id || "");
    var t = turnEl(turn);
    var chips = (q.options || []).map(function (option) {
      var label = String(option.label || option.id);
      return h("button", { "class": "chip option", type: "button", "aria-pressed": "false", "data-option": String(option.id), text: label,
        onclick: function () { act({ type: "answer", question_id: id, option: String(option.id) }, label, id); } });
    });
    if (t.question) t.question.remove();
    t.question = h("div", { "class": "question" }, [
      q.text ? h("p", { "class": "msg bot", text: String(q.text) }) : null,
      h("div", { "class": "chips", role: "group", "aria-label": String(q.text || T.actions) }, chips)
    ]);
    t.el.appendChild(t.question);
    questions[id] = { options: q.options || [], chips: chips, open: true };
    scrollDown();
  }
  function closeQuestions(answered, option) {
    Object.keys(questions).forEach(function (id) {
      var q = questions[id];
      if (!q.open) return;
      q.open = false;
      q.chips.forEach(function (chip) {
        chip.disabled = true;
        if (id === answered && chip.getAttribute("data-option") === option) chip.setAttribute("aria-pressed", "true");
      });
    });
  }
  function optionLabel(questionId, optionId) {
    var q = questions[questionId];
    var found = q && q.options.filter(function (o) { return String(o.id) === optionId; })[0];
    return found ? String(found.label) : optionId;
  }

  function markVote(slug, value, recorded) {
    votes[slug] = value;
    (cardsBySlug[slug] || []).forEach(function (c) {
      c.up.setAttribute("aria-pressed", String(value === "up"));
      c.down.setAttribute("aria-pressed", String(value === "down"));
      c.up.disabled = c.down.disabled = true;
      c.el.classList.toggle("down", value === "down");
      if (recorded) c.noted.textContent = value === "up" ? T.upDone : T.downDone;
    });
  }

  function visitor(text, queued) {
    add(h("p", { "class": "msg me" + (queued ? " queued" : ""), text: text }));
  }
  function notice(text) { add(h("p", { "class": "notice", role: "alert", text: text })); }

  // --- replaying a resumed conversation ------------------------------------------------------------
  function replay(messages) {
    clearLog();
    messages.forEach(function (m) {
      if (m.role === "assistant") {
        if (m.text) showText(m.turn, String(m.text));
        if (m.cards && m.cards.length) showCards(m.turn, m.cards);
        if (m.question) showQuestion(m.turn, m.question);
        return;
      }
      var fb = m.feedback || {};
      if (m.kind === "reset") clearLog();
      else if (m.kind === "feedback" && fb.slug) markVote(String(fb.slug), fb.value, true);
      else {
        var q = m.question || {};
        var text = m.kind === "answer" ? optionLabel(String(q.id), String(q.option)) :
          m.kind === "more" ? T.more : fb.value === "satisfied" ? T.thatsIt : fb.value === "unsatisfied" ? T.notIt : String(m.text || "");
        closeQuestions(q.id && String(q.id), q.option && String(q.option));
        visitor(text);
        closed = fb.value === "satisfied";
      }
    });
    updateActions();
    scrollDown();
  }

  // --- the websocket ---------------------------------------------------------------------------
  function connect() {
    if (ws && ws.readyState <= 1) return;
    clearTimeout(reconnectTimer);
    setStatus(attempts ? failing() : T.connecting);
    // The interface language goes along, so replies and questions come in it until the visitor's words say otherwise.
    var url = wsUrl + "?locale=" + encodeURIComponent(locale.slice(0, 2).toLowerCase()) +
      (sessionId ? "&session=" + encodeURIComponent(sessionId) : "");
    var socket;
    try { socket = new WebSocket(url); } catch (e) { return schedule(); }
    ws = socket;
    socket.onmessage = function (event) {
      var frame;
      try { frame = JSON.parse(event.data); } catch (e) { return; }
      if (frame && typeof frame.type === "string") handle(frame);
    };
    socket.onclose = function () {
      if (ws !== socket) return;
      ws = null;
      if (pending.length) { pending = []; setBusy(false); }
      schedule();
    };
  }
  function failing() { return connectedOnce && attempts <= 2 ? T.reconnecting : T.unreachable; }
  function schedule() {
    attempts += 1;
    setStatus(failing());
    var delay = Math.min(30000, 500 * Math.pow(2, attempts)) * (0.75 + Math.random() * 0.5);
    reconnectTimer = setTimeout(connect, delay);
  }
  window.addEventListener("online", function () { if (everOpened && !ws) { attempts = 0; connect(); } });

  function send(frame, onDone, tries) {
    pending.push({ frame: frame, onDone: onDone || null, tries: tries || 0 });
    ws.send(JSON.stringify(frame));
    setBusy(true);
  }
  // "busy": the server had no room for this frame; send it again later, backing off, a few times.
  function retryBusy(entry, after) {
    pending.unshift(entry); // still waiting for its answer: the visitor cannot send over it
    setTimeout(function () {
      if (pending[0] !== entry) return;
      pending.shift();
      if (ws && ws.readyState === 1) send(entry.frame, entry.onDone, entry.tries + 1);
      else setBusy(pending.length > 0);
    }, after * 1000 * Math.pow(2, entry.tries) * (0.75 + Math.random() * 0.5));
  }
  function deliver(frame, onDone, label) {
    if (ws && ws.readyState === 1 && sessionId && !outbox.length) return send(frame, onDone);
    outbox.push({ frame: frame, onDone: onDone, label: label });
    announce(T.sending);
    if (!ws) { attempts = 0; connect(); }
  }

  function flush(redraw) {
    outbox.splice(0).forEach(function (item) {
      if (redraw && item.label) visitor(item.label);
      send(item.frame, item.onDone);
    });
    Array.prototype.forEach.call(log.querySelectorAll(".queued"), function (el) { el.classList.remove("queued"); });
  }
  function handle(frame) {
    switch (frame.type) {
      case "session":
        attempts = 0;
        connectedOnce = true;
        setStatus(T.online);
        var forgotten = !frame.resumed && sessionId && sessionId !== frame.session_id;
        if (forgotten) clearLog(); // the server no longer knows the old session: start afresh
        sessionId = String(frame.session_id);
        stored("session", sessionId);
        if (!frame.resumed) flush(forgotten); // else after the history frame, so replay keeps the order
        break;
      case "history":
        replay(frame.messages || []);
        flush(true);
        break;
      case "cards":
        var names = showCards(frame.turn, frame.cards || []);
        if (names.length) announce(fmt(T.suggested, { n: names.length, names: names.join(", ") }));
        unread();
        break;
      case "token":
        showText(frame.turn, String(frame.text || ""), true);
        break;
      case "reply":
        showText(frame.turn, String(frame.text || ""));
        if (frame.text) announce(T.assistant + ": " + frame.text);
        unread();
        break;
      case "question":
        showQuestion(frame.turn, frame);
        announce(String(frame.text || ""));
        unread();
        break;
      case "done":
      case "error":
        var entry = pending.shift();
        if (frame.type === "error" && frame.code === "busy" && entry && entry.tries < BUSY_TRIES) {
          retryBusy(entry, Number(frame.retry_after) || 2);
          break;
        }
        if (frame.type === "error") notice(String(frame.message || T.error));
        else if (entry && entry.onDone) entry.onDone();
        setBusy(pending.length > 0);
        break;
    }
  }

  // --- what the visitor does ------------------------------------------------------------------
  function act(frame, label, answered) {
    if (pending.length) return;
    closeQuestions(answered, frame.option);
    visitor(label, !ws || ws.readyState !== 1);
    closed = false;
    var onDone = frame.type === "feedback" && frame.value === "satisfied" ?
      function () { closed = true; updateActions(); } : null;
    deliver(frame, onDone, label);
  }
  function say(text) {
    text = text.trim();
    if (!text || pending.length) return;
    act({ type: "message", text: text.slice(0, 1000) }, text);
  }
  function submit() {
    if (pending.length) return;
    var text = input.value;
    if (!text.trim()) return;
    input.value = "";
    input.style.height = "";
    say(text);
  }
  function vote(slug, value) {
    markVote(slug, value, false);
    deliver({ type: "feedback", slug: slug, value: value }, function () { markVote(slug, value, true); });
  }
  function restart() {
    clearLog();
    if (sessionId) deliver({ type: "reset" });
    input.focus();
  }
  function unread() {
    if (panel.hidden) {
      dot.hidden = false;
      launcher.setAttribute("aria-label", T.openUnread);
    }
  }
  function toggle(open, restoring) {
    if (open === undefined) open = panel.hidden;
    panel.hidden = !open;
    root.classList.toggle("open", open);
    launcher.setAttribute("aria-expanded", String(open));
    panel.setAttribute("aria-modal", String(open && fullScreen.matches));
    try { sessionStorage.setItem(storeKey + ":open", open ? "1" : ""); } catch (e) { /* storage blocked */ }
    if (open) {
      dot.hidden = true;
      launcher.setAttribute("aria-label", T.open);
      if (!everOpened) { everOpened = true; connect(); }
      else if (!ws) { attempts = 0; connect(); }
      scrollDown();
      if (!restoring) input.focus();
    } else {
      launcher.focus();
    }
  }

  clearLog();
  function mount() {
    document.body.appendChild(host);
    var wasOpen = false;
    try { wasOpen = sessionStorage.getItem(storeKey + ":open") === "1"; } catch (e) { /* storage blocked */ }
    if (wasOpen) toggle(true, true);
    else if (sessionId) { everOpened = true; connect(); } // resume quietly so replies show as unread
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
