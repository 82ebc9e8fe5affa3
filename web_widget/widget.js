/*
 * IR patient-information chat widget.
 *
 * Embed with one tag (see web_widget/README.md):
 *   <script src="https://assistant.example.org/widget/widget.js" defer
 *           data-emergency-number="112" data-department-phone="+44 20 7946 0000"></script>
 *
 * Plain JavaScript, no build step and no dependencies. The widget lives in a
 * shadow root so the host page's styles cannot break it and its styles cannot
 * leak out. Every text from the network or the patient is inserted with
 * textContent / text nodes, never as HTML.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__irAssistantWidget) return; // loaded twice: keep the first
  window.__irAssistantWidget = true;

  // ---------------------------------------------------------------------------
  // Configuration from the script tag's data attributes
  // ---------------------------------------------------------------------------

  var data = script.dataset;
  var scriptUrl = new URL(script.src, document.baseURI);
  var config = {
    // The gateway defaults to wherever this file was loaded from.
    gateway: (data.gateway || scriptUrl.origin).replace(/\/+$/, ""),
    stylesheet: new URL("widget.css", scriptUrl).href,
    // A language tag such as "en-GB": dates and times follow it, the texts follow its language.
    locale: data.lang || document.documentElement.lang || "en",
    title: data.title || "",
    departmentName: data.departmentName || "",
    departmentPhone: data.departmentPhone || "",
    emergencyNumber: data.emergencyNumber || "112",
    retention: data.retention || "",
    accent: hexColour(data.accentColor) || "#005eb8",
    header: hexColour(data.headerColor) || hexColour(data.accentColor) || "#00437a",
    maxChars: parseInt(data.maxChars, 10) || 2000,
    position: data.position === "left" ? "left" : "right",
  };

  var POLL_OPEN_MS = 1500; // staff replies show up within ~2 s while the chat is open
  var POLL_CLOSED_MS = 15000; // enough for the "new message" badge on the closed launcher
  var STORAGE_PREFIX = "irAssistant.v1.";
  var NOTICE_VERSION = "1"; // bump when the privacy notice changes, so patients accept it again

  // ---------------------------------------------------------------------------
  // Interface texts
  // ---------------------------------------------------------------------------

  var STRINGS = {
    en: {
      launcher: "Questions? Chat with us",
      departmentFallback: "department's",
      launcherUnread: "{n} new message(s)",
      title: "Questions about your procedure",
      subtitle: "Automated assistant, not a person",
      subtitleStaff: "A person is answering you: {who}",
      close: "Close chat",
      endChat: "End chat",
      emergencyStrip: ["In an emergency call", "– not this chat."],
      noticeTitle: "Before you start",
      noticeIntro: "This assistant answers general questions about our procedures, using information written and checked by our staff. It cannot give personal medical advice.",
      noticeStoredTitle: "What we store",
      noticeStored: "Your messages and the replies, so that we can answer you and the secretariat can follow up. Department staff may read them. Please do not type more personal details than your question needs.",
      noticeKeptTitle: "How long",
      noticeKept: "{retention} You can delete the conversation at any time with “End chat”.",
      noticeKeptDefault: "Until you delete it.",
      noticeEmergencyTitle: "Not for emergencies",
      noticeEmergency: "Nobody watches this chat all the time. In an emergency call",
      accept: "I understand, start the chat",
      welcome: "Hello, I'm the {department} information assistant. I can explain our procedures in general terms: what they are, how to prepare, what happens on the day and afterwards. What would you like to know?",
      starters: ["What is interventional radiology?", "How do I prepare for my procedure?", "When can I drive afterwards?"],
      conversation: "Conversation",
      inputLabel: "Your question",
      placeholder: "Type your question…",
      hintName: "Your name",
      hintContact: "Your phone number or e-mail",
      hintAbout: "What it is about, in a few words",
      hintTimes: "Days or times that suit you",
      send: "Send",
      talkToPerson: "Talk to a person",
      typing: "The assistant is writing a reply…",
      you: "You",
      assistant: "Assistant",
      staff: "Secretariat (a member of staff)",
      staffNamed: "{who} (a member of staff)",
      roleSecretariat: "Secretariat",
      roleClinician: "Nurse or doctor",
      roleStaff: "Department staff",
      takenOver: "You are now talking to a person: {who}. The automated assistant has stopped answering.",
      handedBack: "Back with the automated assistant",
      quickReplies: "Suggested replies",
      source: "Source",
      sources: "Sources",
      reviewed: "reviewed {date}",
      draft: "Draft — not yet reviewed by a clinician",
      emergency: "Emergency",
      call: "Call {number}",
      helpful: "Was this helpful?",
      helpfulYes: "Yes, this helped",
      helpfulNo: "No, this did not help",
      thanks: "Thank you for your feedback.",
      errorNetwork: "Your message could not be sent. Check your connection and try again.",
      errorBusy: "You have sent many messages in a short time. Please wait a moment and try again.",
      errorGeneric: "Something went wrong on our side. Please try again.",
      errorCallUs: "You can also call the secretariat on {phone}.",
      errorEmergency: "In an emergency call",
      retry: "Try again",
      confirmTitle: "End and delete this conversation?",
      confirmText: "Your messages will be deleted from our system. This cannot be undone.",
      confirmDelete: "Delete conversation",
      cancel: "Cancel",
      deleteFailed: "The conversation could not be deleted. Please try again.",
      deleted: "Your conversation has been deleted.",
      newChat: "Start a new conversation",
      charsLeft: "{n} characters left",
    },
    fr: {
      launcher: "Des questions ? Écrivez-nous",
      departmentFallback: "service de radiologie",
      launcherUnread: "{n} nouveau(x) message(s)",
      title: "Questions sur votre intervention",
      subtitle: "Assistant automatique, pas une personne",
      subtitleStaff: "Une personne vous répond : {who}",
      close: "Fermer la conversation",
      endChat: "Terminer",
      emergencyStrip: ["En cas d’urgence, appelez le", "– pas ce chat."],
      noticeTitle: "Avant de commencer",
      noticeIntro: "Cet assistant répond aux questions générales sur nos interventions, à partir d’informations rédigées et vérifiées par notre équipe. Il ne donne pas d’avis médical personnel.",
      noticeStoredTitle: "Ce que nous conservons",
      noticeStored: "Vos messages et les réponses, pour vous répondre et permettre au secrétariat de faire le suivi. Le personnel du service peut les lire. N’indiquez pas plus de données personnelles que nécessaire.",
      noticeKeptTitle: "Combien de temps",
      noticeKept: "{retention} Vous pouvez supprimer la conversation à tout moment avec « Terminer ».",
      noticeKeptDefault: "Jusqu’à ce que vous la supprimiez.",
      noticeEmergencyTitle: "Pas pour les urgences",
      noticeEmergency: "Cette conversation n’est pas surveillée en permanence. En cas d’urgence, appelez le",
      accept: "J’ai compris, commencer",
      welcome: "Bonjour, je suis l’assistant d’information du {department}. Je peux expliquer nos interventions de façon générale : en quoi elles consistent, comment s’y préparer, le déroulement et les suites. Que souhaitez-vous savoir ?",
      starters: ["Qu’est-ce que la radiologie interventionnelle ?", "Comment me préparer ?", "Quand pourrai-je conduire ?"],
      conversation: "Conversation",
      inputLabel: "Votre question",
      placeholder: "Écrivez votre question…",
      hintName: "Votre nom",
      hintContact: "Votre numéro de téléphone ou e-mail",
      hintAbout: "L’objet de votre demande, en quelques mots",
      hintTimes: "Les jours ou heures qui vous conviennent",
      send: "Envoyer",
      talkToPerson: "Parler à une personne",
      typing: "L’assistant rédige une réponse…",
      you: "Vous",
      assistant: "Assistant",
      staff: "Secrétariat (un membre du personnel)",
      staffNamed: "{who} (membre du personnel)",
      roleSecretariat: "Secrétariat",
      roleClinician: "Infirmier ou médecin",
      roleStaff: "Personnel du service",
      takenOver: "Vous échangez maintenant avec une personne : {who}. L’assistant automatique ne répond plus.",
      handedBack: "De retour avec l’assistant automatique",
      quickReplies: "Réponses suggérées",
      source: "Source",
      sources: "Sources",
      reviewed: "relu le {date}",
      draft: "Brouillon — pas encore relu par un médecin",
      emergency: "Urgence",
      call: "Appeler le {number}",
      helpful: "Cette réponse vous a-t-elle aidé ?",
      helpfulYes: "Oui, cela m’a aidé",
      helpfulNo: "Non, cela ne m’a pas aidé",
      thanks: "Merci pour votre avis.",
      errorNetwork: "Votre message n’a pas pu être envoyé. Vérifiez votre connexion et réessayez.",
      errorBusy: "Vous avez envoyé beaucoup de messages en peu de temps. Patientez un instant puis réessayez.",
      errorGeneric: "Un problème est survenu de notre côté. Veuillez réessayer.",
      errorCallUs: "Vous pouvez aussi appeler le secrétariat au {phone}.",
      errorEmergency: "En cas d’urgence, appelez le",
      retry: "Réessayer",
      confirmTitle: "Terminer et supprimer cette conversation ?",
      confirmText: "Vos messages seront supprimés de notre système. Cette action est définitive.",
      confirmDelete: "Supprimer la conversation",
      cancel: "Annuler",
      deleteFailed: "La conversation n’a pas pu être supprimée. Veuillez réessayer.",
      deleted: "Votre conversation a été supprimée.",
      newChat: "Commencer une nouvelle conversation",
      charsLeft: "{n} caractères restants",
    },
    es: {
      launcher: "¿Preguntas? Escríbanos",
      departmentFallback: "servicio de radiología",
      launcherUnread: "{n} mensaje(s) nuevo(s)",
      title: "Preguntas sobre su procedimiento",
      subtitle: "Asistente automático, no una persona",
      subtitleStaff: "Le responde una persona: {who}",
      close: "Cerrar el chat",
      endChat: "Terminar",
      emergencyStrip: ["En una urgencia llame al", "– no use este chat."],
      noticeTitle: "Antes de empezar",
      noticeIntro: "Este asistente responde preguntas generales sobre nuestros procedimientos, con información escrita y revisada por nuestro personal. No puede dar consejo médico personal.",
      noticeStoredTitle: "Qué guardamos",
      noticeStored: "Sus mensajes y las respuestas, para poder contestarle y para que la secretaría haga el seguimiento. El personal del servicio puede leerlos. No escriba más datos personales de los necesarios.",
      noticeKeptTitle: "Durante cuánto tiempo",
      noticeKept: "{retention} Puede borrar la conversación en cualquier momento con «Terminar».",
      noticeKeptDefault: "Hasta que usted la borre.",
      noticeEmergencyTitle: "No es para urgencias",
      noticeEmergency: "Nadie vigila este chat todo el tiempo. En una urgencia llame al",
      accept: "Entendido, empezar",
      welcome: "Hola, soy el asistente de información del {department}. Puedo explicarle nuestros procedimientos de forma general: en qué consisten, cómo prepararse, qué ocurre ese día y después. ¿Qué le gustaría saber?",
      starters: ["¿Qué es la radiología intervencionista?", "¿Cómo me preparo?", "¿Cuándo puedo conducir?"],
      conversation: "Conversación",
      inputLabel: "Su pregunta",
      placeholder: "Escriba su pregunta…",
      hintName: "Su nombre",
      hintContact: "Su teléfono o correo electrónico",
      hintAbout: "De qué se trata, en pocas palabras",
      hintTimes: "Los días u horas que le vienen bien",
      send: "Enviar",
      talkToPerson: "Hablar con una persona",
      typing: "El asistente está escribiendo una respuesta…",
      you: "Usted",
      assistant: "Asistente",
      staff: "Secretaría (una persona del equipo)",
      staffNamed: "{who} (persona del equipo)",
      roleSecretariat: "Secretaría",
      roleClinician: "Enfermería o médico",
      roleStaff: "Personal del servicio",
      takenOver: "Ahora habla con una persona: {who}. El asistente automático ha dejado de responder.",
      handedBack: "De nuevo con el asistente automático",
      quickReplies: "Respuestas sugeridas",
      source: "Fuente",
      sources: "Fuentes",
      reviewed: "revisado el {date}",
      draft: "Borrador — aún no revisado por un profesional sanitario",
      emergency: "Urgencia",
      call: "Llamar al {number}",
      helpful: "¿Le ha sido útil?",
      helpfulYes: "Sí, me ha ayudado",
      helpfulNo: "No, no me ha ayudado",
      thanks: "Gracias por su opinión.",
      errorNetwork: "No se pudo enviar su mensaje. Compruebe su conexión e inténtelo de nuevo.",
      errorBusy: "Ha enviado muchos mensajes en poco tiempo. Espere un momento e inténtelo de nuevo.",
      errorGeneric: "Algo ha fallado por nuestra parte. Inténtelo de nuevo.",
      errorCallUs: "También puede llamar a la secretaría al {phone}.",
      errorEmergency: "En una urgencia llame al",
      retry: "Reintentar",
      confirmTitle: "¿Terminar y borrar esta conversación?",
      confirmText: "Sus mensajes se borrarán de nuestro sistema. No se puede deshacer.",
      confirmDelete: "Borrar la conversación",
      cancel: "Cancelar",
      deleteFailed: "No se pudo borrar la conversación. Inténtelo de nuevo.",
      deleted: "Su conversación ha sido borrada.",
      newChat: "Empezar una nueva conversación",
      charsLeft: "Quedan {n} caracteres",
    },
  };
  config.lang = pickLanguage(config.locale);
  var T = STRINGS[config.lang];

  function pickLanguage(tag) {
    try { config.locale = Intl.getCanonicalLocales(tag)[0]; } catch (e) { config.locale = "en"; }
    var base = String(tag).toLowerCase().split(/[-_]/)[0];
    if (Object.prototype.hasOwnProperty.call(STRINGS, base)) return base;
    config.locale = "en"; // English texts with English dates, not a mix
    return "en";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (whole, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  // ---------------------------------------------------------------------------
  // Colours: whatever the site configures, text on it keeps WCAG AA contrast
  // ---------------------------------------------------------------------------

  function hexColour(value) {
    if (!value) return null;
    var v = String(value).trim();
    if (/^#[0-9a-f]{3}$/i.test(v)) v = "#" + v[1] + v[1] + v[2] + v[2] + v[3] + v[3];
    if (/^#[0-9a-f]{6}$/i.test(v)) return v.toLowerCase();
    if (window.console) console.warn("IR assistant widget: colours must be #rgb or #rrggbb, ignoring", value);
    return null;
  }

  function rgb(hex) {
    return [1, 3, 5].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); });
  }

  function luminance(hex) {
    var c = rgb(hex).map(function (v) {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  }

  function contrast(a, b) {
    var la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }

  // Black or white, whichever reads better on `hex` (one of them always reaches 4.5:1).
  function textOn(hex) {
    return contrast(hex, "#ffffff") >= contrast(hex, "#111827") ? "#ffffff" : "#111827";
  }

  // The colour itself if it reads on white, else darkened until it does: for links and outlines on white.
  function inkOnWhite(hex) {
    var c = rgb(hex), out = hex;
    for (var step = 0; step < 20 && contrast(out, "#ffffff") < 4.6; step++) {
      c = c.map(function (v) { return Math.round(v * 0.88); });
      out = "#" + c.map(function (v) { return v.toString(16).padStart(2, "0"); }).join("");
    }
    return out;
  }

  // ---------------------------------------------------------------------------
  // Storage: the conversation's token (from the gateway), the accepted notice, ratings given
  // ---------------------------------------------------------------------------

  var memoryStore = {};
  var store = {
    get: function (key) {
      try { return window.localStorage.getItem(STORAGE_PREFIX + key); } catch (e) { return memoryStore[key] || null; }
    },
    set: function (key, value) {
      try { window.localStorage.setItem(STORAGE_PREFIX + key, value); } catch (e) { memoryStore[key] = value; }
    },
    remove: function (key) {
      try { window.localStorage.removeItem(STORAGE_PREFIX + key); } catch (e) { delete memoryStore[key]; }
    },
  };
  // The open/closed state survives a reload of this tab only (a new tab starts closed).
  var tabStore = {
    get: function (key) { try { return window.sessionStorage.getItem(STORAGE_PREFIX + key); } catch (e) { return null; } },
    set: function (key, value) { try { window.sessionStorage.setItem(STORAGE_PREFIX + key, value); } catch (e) { /* ignore */ } },
  };

  store.remove("sender"); // the client-chosen id of earlier versions: the gateway no longer accepts it

  function ratings() {
    try { return JSON.parse(store.get("ratings") || "{}") || {}; } catch (e) { return {}; }
  }

  // ---------------------------------------------------------------------------
  // Gateway API
  // ---------------------------------------------------------------------------

  function ApiError(status, message) {
    this.status = status;
    this.message = message || "";
  }

  // The conversation's token, signed by the gateway, is its only key: sent in a header (never in a URL or a cookie).
  function request(method, path, body, token) {
    var init = { method: method, credentials: "omit", cache: "no-store", headers: {} };
    if (token) init.headers["X-Conversation-Token"] = token;
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    return fetch(config.gateway + path, init).then(
      function (response) {
        return response.json().catch(function () { return null; }).then(function (json) {
          if (!response.ok) throw new ApiError(response.status, json && json.error);
          return json;
        });
      },
      function () { throw new ApiError(0, "network"); }
    );
  }

  var api = {
    // The page's language starts the conversation in it (the gateway answers in it where it can).
    start: function () { return request("POST", "/api/conversations"); },
    // The message's own id, the same when "Try again" sends it again: the gateway then returns the reply it
    // stored the first time instead of storing and answering the message twice.
    send: function (token, message, messageId) {
      return request("POST", "/api/chat", { message: message, language: config.locale, client_message_id: messageId }, token);
    },
    history: function (token, after) {
      return request("GET", "/api/chat/history?after=" + (after || 0), undefined, token);
    },
    remove: function (token) { return request("DELETE", "/api/chat/history", undefined, token); },
    feedback: function (token, id, rating) {
      return request("POST", "/api/feedback", { message_id: id, rating: rating }, token);
    },
  };

  // ---------------------------------------------------------------------------
  // DOM helpers: elements and text only, never HTML strings
  // ---------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (key) {
      var value = attrs[key];
      if (value === null || value === undefined || value === false) return;
      if (key === "class") node.className = value;
      else if (key === "text") node.textContent = value;
      else if (key.slice(0, 2) === "on") node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? "" : String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  var SVG_NS = "http://www.w3.org/2000/svg";
  var ICONS = {
    chat: "M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6A.5.5 0 0 1 5 19.2V16h.5"
      + "A2.5 2.5 0 0 1 4 13.5z",
    close: "M6 6l12 12M18 6L6 18",
    send: "M4 12l16-8-6 16-2.5-6.5z",
    phone: "M6.6 3.5l2.6-.4 1.6 4-1.9 1.4a11 11 0 0 0 6 6l1.4-1.9 4 1.6-.4 2.6a2 2 0 0 1-2.1 1.7A16 16 0 0 1 4.9 5.6a2 2 0 0 1 1.7-2.1z",
    alert: "M12 3l10 18H2zM12 10v5M12 18v.5",
    up: "M7 11v9H4v-9zM7 11l4-8a2 2 0 0 1 2.5 1.8L13 9h5.5a2 2 0 0 1 2 2.4l-1.5 7A2 2 0 0 1 17 20H7",
    down: "M7 13V4H4v9zM7 13l4 8a2 2 0 0 0 2.5-1.8L13 15h5.5a2 2 0 0 0 2-2.4l-1.5-7A2 2 0 0 0 17 4H7",
    person: "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zM4 21a8 8 0 0 1 16 0",
    doc: "M6 3h8l4 4v14H6zM14 3v4h4M9 12h6M9 16h6",
  };

  function icon(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "ira-icon");
    var path = document.createElementNS(SVG_NS, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  // Line breaks become paragraphs (blank line) and <br> (single break); the text stays text.
  // `links`: phone numbers and e-mail addresses in it become tel: and mailto: links (elements, never markup).
  // French sets a space after « and before » : ; ? ! (the catalogs and texts type a plain one); a no-break space
  // keeps the sign on its word's line instead of alone at the start of the next.
  function typeset(text) {
    if (config.lang !== "fr") return text;
    return String(text).replace(/« /g, "«\u00a0").replace(/ ([»:;?!])/g, "\u00a0$1");
  }

  function textBlock(text, links) {
    var box = el("div", { class: "ira-text" });
    typeset(String(text)).split(/\n\s*\n/).forEach(function (paragraph) {
      var p = el("p");
      paragraph.split("\n").forEach(function (line, i) {
        if (i) p.appendChild(el("br"));
        if (links) appendLinked(p, line);
        else p.appendChild(document.createTextNode(line));
      });
      box.appendChild(p);
    });
    return box;
  }

  // An e-mail address, or a phone number: international (+44 20 7946 0000, +33 (0)1 23 45 67 89) or national
  // (020 7946 0000, 07700 900123, 01 23 45 67 89, 912 345 678), groups split by single spaces, dots or dashes.
  var CONTACT = /([A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})|((?<![\w.+\/-])\+?\d(?:[ .-]?(?:\(0\)|\(\d{1,4}\)|\d)){5,16}(?!\w|\.\d))/g;
  var DATE_LIKE = /^\d{4}-\d\d-\d\d$|^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}$/;

  // The short numbers named by the page (the emergency number, "112", "15") are links too, wherever they stand alone.
  function shortNumbers() {
    return [config.emergencyNumber, config.departmentPhone].filter(function (n) {
      return n && /^\+?[\d ]{2,6}$/.test(n);
    });
  }

  function appendLinked(parent, line) {
    var pieces = [], last = 0, match;
    CONTACT.lastIndex = 0;
    while ((match = CONTACT.exec(line))) {
      var found = match[0], href = null;
      if (match[1]) {
        href = "mailto:" + found;
      } else {
        var digits = found.replace(/\D/g, "");
        if (digits.length >= 7 && digits.length <= 15 && !DATE_LIKE.test(found)) href = telHref(found.replace("(0)", ""));
      }
      if (!href) continue;
      pieces.push([line.slice(last, match.index), null], [found, href]);
      last = match.index + found.length;
    }
    pieces.push([line.slice(last), null]);
    var shorts = shortNumbers();
    pieces.forEach(function (piece) {
      if (piece[1]) {
        var kind = piece[1].slice(0, 4) === "tel:" ? " ira-contact-tel" : "";
        parent.appendChild(el("a", { class: "ira-contact-link" + kind, href: piece[1], text: piece[0] }));
        return;
      }
      splitShort(parent, piece[0], shorts);
    });
  }

  function splitShort(parent, text, shorts) {
    for (var i = 0; i < shorts.length; i++) {
      var number = shorts[i], at = -1, from = 0;
      while ((at = text.indexOf(number, from)) !== -1) {
        var before = text.charAt(at - 1), after = text.charAt(at + number.length);
        if (!/[\w+]/.test(before) && !/\w/.test(after)) break;
        from = at + 1;
      }
      if (at === -1) continue;
      splitShort(parent, text.slice(0, at), shorts);
      parent.appendChild(el("a", { class: "ira-contact-link ira-contact-tel", href: telHref(number), text: number }));
      splitShort(parent, text.slice(at + number.length), shorts);
      return;
    }
    if (text) parent.appendChild(document.createTextNode(text));
  }

  function telHref(number) {
    return "tel:" + String(number).replace(/[^0-9+*#]/g, "");
  }

  function callLink(className, label) {
    return el("a", { class: className, href: telHref(config.emergencyNumber) }, [icon("phone"), el("span", { text: label })]);
  }

  // Server times are UTC; SQLite returns them without an offset.
  function parseTime(at) {
    if (!at) return new Date();
    var iso = /[zZ]|[+-]\d\d:?\d\d$/.test(at) ? at : at + "Z";
    var date = new Date(iso);
    return isNaN(date.getTime()) ? new Date() : date;
  }

  function timeElement(date) {
    var sameDay = date.toDateString() === new Date().toDateString();
    var shown = new Intl.DateTimeFormat(config.locale, sameDay ? { hour: "2-digit", minute: "2-digit" }
      : { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" }).format(date);
    var full = new Intl.DateTimeFormat(config.locale, { dateStyle: "full", timeStyle: "short" }).format(date);
    return el("time", { class: "ira-time", datetime: date.toISOString(), title: full, text: shown });
  }

  function reviewedDate(value) {
    var date = new Date(String(value) + "T00:00:00Z");
    if (isNaN(date.getTime())) return String(value);
    return new Intl.DateTimeFormat(config.locale, { dateStyle: "medium", timeZone: "UTC" }).format(date);
  }

  function humanise(id) {
    var words = String(id || "").replace(/[_-]+/g, " ").trim();
    return words.charAt(0).toUpperCase() + words.slice(1);
  }

  // Only http(s) addresses given in the sources metadata become links.
  function safeUrl(value) {
    if (typeof value !== "string") return null;
    try {
      var url = new URL(value, config.gateway);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  // ---------------------------------------------------------------------------
  // State
  // ---------------------------------------------------------------------------

  var state = {
    token: store.get("token"),
    accepted: store.get("notice") === NOTICE_VERSION,
    open: false,
    lastId: 0,
    seen: {}, // message ids already shown
    pending: [], // bubbles shown before the server gave them an id: [{role, item}]
    failed: {}, // messages whose send failed, by client message id: the bubble, until the history shows them stored
    payloadTitles: { "/request_human": T.talkToPerson }, // payload -> the button title the patient clicked
    takenOver: false,
    heldBy: null, // who holds the conversation while staff answer: {name} or {role}, as the department chose
    sending: false,
    syncing: null, // the in-flight history request, if any
    loaded: false, // the full history has been fetched once
    unread: 0,
    timer: null,
  };

  // ---------------------------------------------------------------------------
  // Building the widget
  // ---------------------------------------------------------------------------

  var host = el("div", { id: "ir-assistant-widget" });
  var root = host.attachShadow({ mode: "open" });
  var ui = {};

  function build() {
    var frame = el("div", { class: "ira ira--" + config.position, lang: config.lang });
    frame.style.setProperty("--ira-accent", config.accent);
    frame.style.setProperty("--ira-accent-text", textOn(config.accent));
    frame.style.setProperty("--ira-accent-ink", inkOnWhite(config.accent));
    frame.style.setProperty("--ira-header", config.header);
    frame.style.setProperty("--ira-header-text", textOn(config.header));

    ui.badge = el("span", { class: "ira-badge", hidden: true });
    ui.launcher = el("button", {
      type: "button", class: "ira-launcher", "aria-expanded": "false", "aria-controls": "ira-panel",
      onclick: function () { setOpen(true); },
    }, [icon("chat"), el("span", { class: "ira-launcher-label", text: T.launcher }), ui.badge]);

    var title = config.title || T.title;
    // Says who is answering: the assistant, or (while staff hold the conversation) a person, by name or role.
    ui.subtitle = el("p", { class: "ira-subtitle", text: T.subtitle });
    var header = ui.header = el("div", { class: "ira-header" }, [
      el("div", { class: "ira-heading" }, [
        el("h2", { class: "ira-title", id: "ira-title", text: title }),
        ui.subtitle,
      ]),
      el("button", { type: "button", class: "ira-close", "aria-label": T.close, title: T.close,
        onclick: function () { setOpen(false); } }, [icon("close")]),
    ]);
    var strip = el("p", { class: "ira-strip" }, [T.emergencyStrip[0] + " ", callLink("ira-strip-call", config.emergencyNumber),
      " " + T.emergencyStrip[1]]);

    ui.body = el("div", { class: "ira-body" });
    // Screen readers hear new replies from here; the conversation list itself stays quiet,
    // so re-rendering or restoring history is not read out again.
    ui.live = el("div", { class: "ira-sr-only", "aria-live": "polite", "aria-atomic": "false" });
    ui.alert = el("div", { class: "ira-sr-only", role: "alert" });

    ui.panel = el("section", { class: "ira-panel", id: "ira-panel", role: "dialog", "aria-labelledby": "ira-title",
      hidden: true, onkeydown: onPanelKey }, [header, strip, ui.body, ui.live, ui.alert]);

    root.appendChild(el("link", { rel: "stylesheet", href: config.stylesheet, onload: function () { frame.hidden = false; },
      onerror: function () {
        if (window.console) console.error("IR assistant widget: could not load " + config.stylesheet + " (a Content-Security-Policy?)");
      } }));
    frame.hidden = true; // until the stylesheet has loaded, so nothing flashes unstyled
    frame.appendChild(ui.launcher);
    frame.appendChild(ui.panel);
    root.appendChild(frame);
    document.body.appendChild(host);
  }

  // ---- the privacy notice ----

  function showNotice() {
    var kept = fill(T.noticeKept, { retention: config.retention || T.noticeKeptDefault });
    var accept = el("button", { type: "button", class: "ira-primary", text: T.accept, onclick: acceptNotice });
    var items = [
      [T.noticeStoredTitle, T.noticeStored],
      [T.noticeKeptTitle, kept],
    ].map(function (pair) { return el("li", {}, [el("strong", { text: pair[0] }), " ", pair[1]]); });
    items.push(el("li", { class: "ira-notice-emergency" }, [
      el("strong", { text: T.noticeEmergencyTitle }), " ", T.noticeEmergency + " ",
      callLink("ira-inline-call", config.emergencyNumber), ".",
    ]));
    // The notice scrolls above a button that stays in view: a longer translation (French, Spanish) that does not
    // fit is read from its title, with the focused button still visible below it.
    replaceBody(el("div", { class: "ira-notice-frame" }, [
      el("div", { class: "ira-notice", tabindex: "0", "aria-labelledby": "ira-notice-title" }, [
        el("h3", { class: "ira-notice-title", id: "ira-notice-title", text: T.noticeTitle }),
        el("p", { text: T.noticeIntro }),
        el("ul", { class: "ira-notice-list" }, items),
      ]),
      el("div", { class: "ira-notice-foot" }, [accept]),
    ]));
    return accept;
  }

  // The gateway opens the conversation and signs its token; asked for once, at the first message.
  function conversationToken() {
    if (state.token) return Promise.resolve(state.token);
    return api.start().then(function (body) {
      state.token = body.token;
      store.set("token", state.token);
      schedulePoll();
      return state.token;
    });
  }

  function acceptNotice() {
    store.set("notice", NOTICE_VERSION);
    state.accepted = true;
    showConversation();
    ui.input.focus();
    schedulePoll();
  }

  // ---- the conversation ----

  function showConversation() {
    ui.endButton = el("button", { type: "button", class: "ira-end", text: T.endChat, onclick: showConfirm });
    ui.log = el("ol", { class: "ira-log", "aria-label": T.conversation, tabindex: "0" });
    ui.notice = el("p", { class: "ira-takeover", hidden: !state.takenOver }, [icon("person"),
      el("span", { text: fill(T.takenOver, { who: staffName(state.heldBy) }) })]);
    ui.error = el("div", { class: "ira-error", role: "alert", hidden: true });

    ui.input = el("textarea", {
      id: "ira-input", class: "ira-input", rows: "1", maxlength: String(config.maxChars), placeholder: T.placeholder,
      autocomplete: "off", enterkeyhint: "send", "aria-describedby": "ira-count", oninput: onInput, onkeydown: onInputKey,
    });
    ui.count = el("span", { id: "ira-count", class: "ira-count", "aria-live": "polite" });
    ui.sendButton = el("button", { type: "submit", class: "ira-send", "aria-label": T.send, title: T.send }, [icon("send")]);
    var form = el("form", { class: "ira-composer", onsubmit: function (event) { event.preventDefault(); submitTyped(); } }, [
      el("label", { class: "ira-sr-only", for: "ira-input", text: T.inputLabel }),
      el("div", { class: "ira-input-row" }, [ui.input, ui.sendButton]),
      el("div", { class: "ira-composer-foot" }, [
        el("button", { type: "button", class: "ira-human", title: T.talkToPerson,
          onclick: function () { sendMessage("/request_human", T.talkToPerson); } },
          [icon("person"), el("span", { text: T.talkToPerson })]),
        ui.count,
        ui.endButton,
      ]),
    ]);

    replaceBody(el("div", { class: "ira-conversation" }, [ui.log, ui.notice, ui.error, form]));
    state.lastId = 0;
    state.seen = {};
    state.pending = [];
    state.failed = {};
    state.loaded = false;
    addWelcome();
    sync();
  }

  // The greeting is the widget's own (nothing is stored until the patient writes);
  // its suggestions are sent as ordinary questions.
  function addWelcome() {
    var item = el("li", { class: "ira-msg ira-msg--assistant ira-msg--welcome" }, [
      el("div", { class: "ira-meta" }, [el("span", { class: "ira-author", text: T.assistant })]),
      el("div", { class: "ira-bubble" }, [textBlock(fill(T.welcome, { department: config.departmentName || T.departmentFallback }))]),
    ]);
    item.appendChild(quickReplies(T.starters.map(function (text) { return { title: text, payload: text }; })));
    ui.log.appendChild(item);
  }

  function replaceBody(node) {
    ui.body.textContent = "";
    ui.body.appendChild(node);
  }

  function author(role, staff) {
    if (role === "patient") return T.you;
    if (role === "staff") return staff ? fill(T.staffNamed, { who: staffName(staff) }) : T.staff;
    return T.assistant;
  }

  // A member of staff as the department chose to show them (site.yml staff_shown_as): first name, or role.
  var ROLE_NAMES = { secretariat: T.roleSecretariat, clinician: T.roleClinician };
  function staffName(staff) {
    if (staff && typeof staff.name === "string" && staff.name) return staff.name;
    var role = staff && staff.role;
    return Object.prototype.hasOwnProperty.call(ROLE_NAMES, role) ? ROLE_NAMES[role] : T.roleStaff;
  }

  // What the patient sees for their own message: the title of the button they clicked, not its payload.
  function patientText(text) {
    return state.payloadTitles[text] || text;
  }

  function messageItem(message) {
    var role = message.role === "patient" || message.role === "staff" ? message.role : "assistant";
    var urgent = role === "assistant" && message.route === "urgent";
    var handedBack = role === "assistant" && message.handed_back === true;
    var item = el("li", { class: "ira-msg ira-msg--" + role + (urgent ? " ira-msg--urgent" : "") + (handedBack ? " ira-msg--handback" : "") });
    var meta = el("div", { class: "ira-meta" }, [
      role === "staff" ? icon("person") : null,
      el("span", { class: "ira-author", text: author(role, message.staff) }),
      timeElement(parseTime(message.at)),
    ]);
    var bubble = el("div", { class: "ira-bubble" });
    if (urgent) bubble.appendChild(el("p", { class: "ira-urgent-title" }, [icon("alert"), el("span", { text: T.emergency })]));
    if (handedBack) bubble.appendChild(el("p", { class: "ira-handback-title", text: T.handedBack }));
    // Replies get tappable phone numbers and e-mail addresses; the patient's own words stay as typed.
    if (role === "patient") bubble.appendChild(textBlock(patientText(message.text)));
    else appendReplyText(bubble, message);
    if (urgent) bubble.appendChild(callLink("ira-call", fill(T.call, { number: config.emergencyNumber })));
    item.appendChild(meta);
    item.appendChild(bubble);
    if (role === "assistant" && Array.isArray(message.sources) && message.sources.length) {
      item.appendChild(sourcesBlock(message.sources));
    }
    if (role === "assistant" && Array.isArray(message.buttons) && message.buttons.length) {
      message.buttons.forEach(function (b) { if (b && b.payload) state.payloadTitles[String(b.payload)] = String(b.title || b.payload); });
      item.appendChild(quickReplies(message.buttons));
    }
    item._message = message;
    if (message.id) setMessageId(item, message);
    return item;
  }

  // An answer cut to the sentences asked about carries the rest of its section as `more` ({label, text}); its
  // text holds that rest too, as "label\ntext" (for channels that cannot fold). Here the rest is folded
  // behind a native disclosure (keyboard and screen readers know it) where it stood; any other reply is shown whole.
  function appendReplyText(bubble, message) {
    var more = message.more, text = String(message.text);
    var block = more && typeof more.label === "string" && typeof more.text === "string" ? "\n\n" + more.label + "\n" + more.text : null;
    var at = block ? text.indexOf(block) : -1;
    if (at < 0) {
      bubble.appendChild(textBlock(text, true));
      return;
    }
    bubble.appendChild(textBlock(text.slice(0, at), true));
    bubble.appendChild(el("details", { class: "ira-more" }, [
      el("summary", { class: "ira-more-toggle", text: typeset(more.label.replace(/[\s:：]+$/, "")) }),
      textBlock(more.text, true),
    ]));
    var after = text.slice(at + block.length).trim();
    if (after) bubble.appendChild(textBlock(after, true));
  }

  function sourcesBlock(sources) {
    var list = el("ul", { class: "ira-source-list" });
    sources.forEach(function (source) {
      if (!source || typeof source !== "object") return;
      var title = String(source.title || humanise(source.doc));
      var section = source.section_title || (source.section ? humanise(source.section) : "");
      var label = section ? title + " — " + section : title;
      var url = safeUrl(source.url);
      var name = url ? el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: label }) : el("span", { text: label });
      list.appendChild(el("li", {}, [
        name,
        // Only a text a clinician signed off (and nobody changed since) is shown as reviewed.
        source.status === "signed" && source.reviewed
          ? el("span", { class: "ira-reviewed", text: " · " + fill(T.reviewed, { date: reviewedDate(source.reviewed) }) })
          : el("span", { class: "ira-draft", text: " · " + T.draft }),
      ]));
    });
    return el("div", { class: "ira-sources" }, [
      icon("doc"), " ", el("span", { class: "ira-sources-label", text: (sources.length > 1 ? T.sources : T.source) + ":" }), " ", list,
    ]);
  }

  function quickReplies(buttons) {
    var group = el("div", { class: "ira-quick", role: "group", "aria-label": T.quickReplies });
    buttons.forEach(function (b) {
      if (!b || !b.payload) return;
      var title = String(b.title || b.payload);
      group.appendChild(el("button", { type: "button", class: "ira-chip", text: title, onclick: function (event) {
        sendMessage(String(b.payload), title);
        // The chips go away once used; a keyboard user (click without a pointer: detail 0) continues in the text box.
        if (event.detail === 0) ui.input.focus();
      } }));
    });
    return group;
  }

  function clearQuickReplies() {
    Array.prototype.forEach.call(ui.log.querySelectorAll(".ira-quick"), function (group) { group.remove(); });
  }

  // Once the server has given a reply its id, the patient can rate it.
  function setMessageId(item, message) {
    item.dataset.id = String(message.id);
    var rateable = message.role === "assistant" && (message.route === "answer" || message.route === "fallback");
    if (!rateable || item.querySelector(".ira-feedback")) return;
    var given = ratings()[message.id];
    var status = el("span", { class: "ira-feedback-status", "aria-live": "polite", text: given ? T.thanks : "" });
    var group = el("div", { class: "ira-feedback", role: "group", "aria-label": T.helpful }, [
      el("span", { class: "ira-feedback-question", text: T.helpful }),
    ]);
    var buttons = [["up", T.helpfulYes], ["down", T.helpfulNo]].map(function (pair) {
      var button = el("button", { type: "button", class: "ira-rate", "aria-label": pair[1], title: pair[1],
        "aria-pressed": given === pair[0] ? "true" : "false", disabled: !!given }, [icon(pair[0])]);
      button.addEventListener("click", function () { rate(message.id, pair[0], buttons, status); });
      group.appendChild(button);
      return button;
    });
    group.appendChild(status);
    var quick = item.querySelector(".ira-quick");
    item.insertBefore(group, quick || null);
  }

  function rate(id, rating, buttons, status) {
    buttons.forEach(function (b) { b.disabled = true; });
    api.feedback(state.token, id, rating).then(function () {
      var all = ratings();
      all[id] = rating;
      store.set("ratings", JSON.stringify(all));
      buttons.forEach(function (b, i) { b.setAttribute("aria-pressed", String((i === 0 ? "up" : "down") === rating)); });
      status.textContent = T.thanks;
    }, function () {
      buttons.forEach(function (b) { b.disabled = false; });
      status.textContent = T.errorGeneric;
    });
  }

  function appendItem(item) {
    var typing = ui.log.querySelector(".ira-typing");
    ui.log.insertBefore(item, typing || null);
    reveal(item);
  }

  // Show a new message: all of it if it fits (scrolled to the end), else from its first line,
  // so a long answer is read from the top.
  function reveal(item) {
    var log = ui.log;
    if (!log || !item.isConnected) return;
    if (item.offsetHeight + 24 > log.clientHeight) {
      log.scrollTop += item.getBoundingClientRect().top - log.getBoundingClientRect().top - 12;
    } else {
      scrollToEnd();
    }
  }

  function scrollToEnd() {
    ui.log.scrollTop = ui.log.scrollHeight;
  }

  function announce(message) {
    var region = message.route === "urgent" ? ui.alert : ui.live;
    region.appendChild(el("p", { text: author(message.role, message.staff) + ": " + message.text }));
    while (region.childNodes.length > 3) region.removeChild(region.firstChild);
  }

  // While the contact form asks for one of its fields (a reply's `asks`), the input says what to type there;
  // after any other reply, or a staff message, it invites a question again.
  var FIELD_HINTS = { contact_name: "hintName", contact_method: "hintContact", contact_about: "hintAbout", preferred_times: "hintTimes" };
  function setInputHint(message) {
    if (!ui.input || message.role === "patient") return;
    ui.input.placeholder = T[Object.prototype.hasOwnProperty.call(FIELD_HINTS, message.asks) ? FIELD_HINTS[message.asks] : "placeholder"];
  }

  // A message from the history: adopt the matching bubble already shown, or add it.
  function receive(message, quietly) {
    if (!message || typeof message.id !== "number" || state.seen[message.id]) return;
    state.seen[message.id] = true;
    setInputHint(message);
    state.lastId = Math.max(state.lastId, message.id);
    var failed = message.role === "patient" && message.client_message_id && state.failed[message.client_message_id];
    if (failed) {
      // The send only looked failed (its reply was lost on the way): the message is stored and its reply follows.
      delete state.failed[message.client_message_id];
      failed.classList.remove("ira-msg--failed");
      failed._message = message;
      setMessageId(failed, message);
      hideError();
      return;
    }
    var pending = state.pending[0];
    if (pending && pending.role === message.role) {
      state.pending.shift();
      pending.item._message = message;
      setMessageId(pending.item, message);
      if (message.role !== "patient" && pending.item === ui.log.lastElementChild) reveal(pending.item);
      return;
    }
    if (message.role === "patient") clearQuickReplies();
    appendItem(messageItem(message));
    if (message.role !== "patient" && !quietly) {
      announce(message);
      if (!state.open) setUnread(state.unread + 1);
    }
  }

  // Staff took the conversation over (heldBy: who, as the gateway names them) or handed it back.
  function setTakenOver(value, heldBy, quietly) {
    var was = state.takenOver, wasWho = staffName(state.heldBy);
    state.takenOver = !!value;
    state.heldBy = state.takenOver ? heldBy || null : null;
    var who = staffName(state.heldBy);
    ui.subtitle.textContent = state.takenOver ? fill(T.subtitleStaff, { who: who }) : T.subtitle;
    ui.header.classList.toggle("ira-header--staff", state.takenOver);
    if (ui.notice) {
      ui.notice.hidden = !state.takenOver;
      ui.notice.lastChild.textContent = fill(T.takenOver, { who: who });
    }
    if (state.takenOver) hideTyping();
    // Said to screen readers when it changes during the conversation (the hand-back says itself, as a message).
    if (state.takenOver && !quietly && (!was || wasWho !== who)) {
      ui.live.appendChild(el("p", { text: fill(T.takenOver, { who: who }) }));
    }
  }

  function showTyping() {
    if (state.takenOver || ui.log.querySelector(".ira-typing")) return;
    ui.log.appendChild(el("li", { class: "ira-typing" }, [
      el("span", { class: "ira-sr-only", text: T.typing }),
      el("span", { class: "ira-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    ]));
    scrollToEnd();
  }

  function hideTyping() {
    var typing = ui.log && ui.log.querySelector(".ira-typing");
    if (typing) typing.remove();
  }

  // ---- talking to the gateway ----

  // Fetch what is new since the last known id. One request at a time; none while a message is being sent,
  // so a reply is never shown twice (once from the send, once from the history).
  function sync() {
    if (!state.token || !state.accepted || !ui.log) return Promise.resolve();
    if (state.syncing) return state.syncing;
    if (state.sending) return Promise.resolve();
    var log = ui.log;
    var quietly = !state.loaded; // restoring the history is not read out again
    state.syncing = api.history(state.token, state.lastId).then(function (body) {
      if (log !== ui.log) return; // the conversation was deleted meanwhile
      setTakenOver(body.taken_over, body.held_by, quietly);
      (body.messages || []).forEach(function (m) { receive(m, quietly); });
      if (quietly) scrollToEnd(); // a restored conversation opens at its latest message
      state.loaded = true;
    }, function () { /* a missed poll is retried at the next tick */ }).then(function () { state.syncing = null; });
    return state.syncing;
  }

  function submitTyped() {
    var text = ui.input.value.trim();
    if (!text || state.sending) return;
    ui.input.value = "";
    onInput();
    sendMessage(text, text);
  }

  // 128 random bits as hex (crypto.randomUUID needs a secure context; getRandomValues does not).
  function newMessageId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b < 16 ? "0" : "") + b.toString(16); }).join("");
  }

  function sendMessage(message, shown, messageId) {
    if (state.sending) return;
    state.sending = true; // at once, so a double click sends once and no poll starts meanwhile
    messageId = messageId || newMessageId();
    if (message !== shown) state.payloadTitles[message] = shown;
    hideError();
    clearQuickReplies();
    var item = messageItem({ role: "patient", text: shown });
    appendItem(item);
    var pending = { role: "patient", item: item };
    state.pending.push(pending);
    Promise.resolve(state.syncing).then(function () {
      ui.sendButton.disabled = true;
      showTyping();
      return conversationToken().then(function (token) {
        return api.send(token, message, messageId).catch(function (error) {
          // A token the gateway no longer accepts (its key changed): a new conversation, once.
          if (error.status !== 401 || token !== state.token) throw error;
          state.token = null;
          store.remove("token");
          return conversationToken().then(function (fresh) { return api.send(fresh, message, messageId); });
        });
      });
    }).then(function (body) {
      hideTyping();
      var first = null;
      (body.messages || []).forEach(function (reply) {
        var replyItem = messageItem(Object.assign({ role: "assistant" }, reply));
        appendItem(replyItem);
        first = first || replyItem;
        state.pending.push({ role: "assistant", item: replyItem });
        announce(Object.assign({ role: "assistant" }, reply));
        setInputHint(Object.assign({ role: "assistant" }, reply));
      });
      if (first) reveal(first);
    }, function (error) {
      hideTyping();
      state.pending = state.pending.filter(function (p) { return p !== pending; });
      item.classList.add("ira-msg--failed");
      state.failed[messageId] = item;
      showError(error, function () {
        delete state.failed[messageId];
        item.remove();
        sendMessage(message, shown, messageId);
        ui.input.focus();
      });
    }).then(function () {
      state.sending = false;
      ui.sendButton.disabled = false;
      return sync(); // ids for feedback, and anything the secretariat wrote meanwhile
    });
  }

  function showError(error, retry) {
    var lines = [error.status === 429 ? T.errorBusy : error.status === 0 ? T.errorNetwork : T.errorGeneric];
    if (config.departmentPhone) lines.push(fill(T.errorCallUs, { phone: config.departmentPhone }));
    ui.error.textContent = "";
    ui.error.appendChild(el("p", { text: lines.join(" ") }));
    ui.error.appendChild(el("p", { class: "ira-error-emergency" }, [T.errorEmergency + " ",
      callLink("ira-inline-call", config.emergencyNumber), "."]));
    if (retry) ui.error.appendChild(el("button", { type: "button", class: "ira-secondary", text: T.retry, onclick: retry }));
    // The notice takes room from the conversation: a patient reading its end still sees the message that failed.
    var atEnd = ui.log.scrollHeight - ui.log.scrollTop - ui.log.clientHeight < 24;
    ui.error.hidden = false;
    if (atEnd) scrollToEnd();
  }

  function hideError() {
    if (ui.error) ui.error.hidden = true;
  }

  // ---- ending and deleting the conversation ----

  function showConfirm() {
    var cancel = el("button", { type: "button", class: "ira-secondary", text: T.cancel, onclick: closeConfirm });
    var failed = el("p", { class: "ira-error", role: "alert", hidden: true, text: T.deleteFailed });
    var remove = el("button", { type: "button", class: "ira-danger", text: T.confirmDelete, onclick: function () {
      remove.disabled = true;
      deleteConversation().then(null, function () { failed.hidden = false; remove.disabled = false; });
    } });
    ui.confirm = el("div", { class: "ira-confirm", role: "alertdialog", "aria-labelledby": "ira-confirm-title",
      "aria-describedby": "ira-confirm-text" }, [
      el("h3", { id: "ira-confirm-title", text: T.confirmTitle }),
      el("p", { id: "ira-confirm-text", text: T.confirmText }),
      failed,
      el("div", { class: "ira-actions" }, [remove, cancel]),
    ]);
    ui.body.appendChild(ui.confirm);
    cancel.focus(); // the safe choice first
  }

  function closeConfirm() {
    if (!ui.confirm) return;
    ui.confirm.remove();
    ui.confirm = null;
    ui.endButton.focus();
  }

  function deleteConversation() {
    var token = state.token;
    return (token ? api.remove(token) : Promise.resolve()).then(function () {
      store.remove("token");
      store.remove("notice");
      store.remove("ratings");
      state.token = null;
      state.accepted = false;
      setTakenOver(false, null, true);
      state.pending = [];
      ui.log = null;
      ui.confirm = null;
      var again = el("button", { type: "button", class: "ira-primary", text: T.newChat,
        onclick: function () { showNotice().focus(); } });
      replaceBody(el("div", { class: "ira-deleted" }, [el("p", { role: "status", text: T.deleted }), again]));
      again.focus();
    });
  }

  // ---- opening, closing, keyboard ----

  // `restoring`: reopened after a reload; the page keeps its focus.
  function setOpen(open, restoring) {
    state.open = open;
    tabStore.set("open", open ? "1" : "0");
    ui.panel.hidden = !open;
    ui.launcher.hidden = open;
    ui.launcher.setAttribute("aria-expanded", String(open));
    if (open) {
      setUnread(0);
      var target;
      if (!state.accepted) {
        target = showNotice();
      } else {
        if (!ui.log) showConversation();
        sync();
        target = ui.input;
        scrollToEnd();
      }
      if (!restoring) target.focus();
    } else {
      ui.launcher.focus();
    }
    schedulePoll();
  }

  function setUnread(count) {
    state.unread = count;
    ui.badge.hidden = !count;
    ui.badge.textContent = count ? String(count) : "";
    ui.launcher.setAttribute("aria-label", count ? T.launcher + " (" + fill(T.launcherUnread, { n: count }) + ")" : T.launcher);
  }

  function onPanelKey(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      if (ui.confirm) closeConfirm();
      else setOpen(false);
      return;
    }
    // Full screen on a phone, the page behind is hidden: keep Tab inside the chat.
    if (event.key === "Tab" && window.matchMedia("(max-width: 480px), (max-height: 560px)").matches) {
      var focusable = Array.prototype.filter.call(
        ui.panel.querySelectorAll("button, [href], textarea, [tabindex='0']"),
        function (node) { return !node.disabled && node.offsetParent !== null; });
      if (!focusable.length) return;
      var first = focusable[0], last = focusable[focusable.length - 1], active = root.activeElement;
      if (event.shiftKey && active === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && active === last) { event.preventDefault(); first.focus(); }
    }
  }

  function onInputKey(event) {
    // Enter sends; Shift+Enter starts a new line; an input method composing text keeps its Enter.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      submitTyped();
    }
  }

  function onInput() {
    var input = ui.input;
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
    var left = config.maxChars - input.value.length;
    ui.count.textContent = left <= 200 ? fill(T.charsLeft, { n: left }) : "";
  }

  // Poll often while the chat is open, rarely while it is closed (only to show the badge),
  // and not at all while the tab is hidden.
  function schedulePoll() {
    clearTimeout(state.timer);
    if (!state.token || !state.accepted) return;
    state.timer = setTimeout(function () {
      var tick = document.visibilityState === "hidden" ? Promise.resolve() : state.open ? sync() : pollClosed();
      Promise.resolve(tick).then(schedulePoll);
    }, state.open ? POLL_OPEN_MS : POLL_CLOSED_MS);
  }

  function pollClosed() {
    if (!ui.log) showConversation(); // builds the list (hidden) so new messages have somewhere to go
    return sync();
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible" && state.open) sync();
  });

  // Another tab ended the conversation (or started a new one): follow it rather than
  // writing on under an id that no longer has a conversation.
  window.addEventListener("storage", function (event) {
    if (event.key !== STORAGE_PREFIX + "token" || event.newValue === state.token) return;
    state.token = event.newValue;
    state.accepted = !!event.newValue && store.get("notice") === NOTICE_VERSION;
    setTakenOver(false, null, true);
    state.pending = [];
    ui.log = null;
    ui.confirm = null;
    if (state.accepted) showConversation();
    else showNotice();
    schedulePoll();
  });

  // ---------------------------------------------------------------------------
  // Start
  // ---------------------------------------------------------------------------

  function start() {
    build();
    if (tabStore.get("open") === "1") setOpen(true, true);
    else schedulePoll();
  }

  if (document.body) start();
  else document.addEventListener("DOMContentLoaded", start);
})();
