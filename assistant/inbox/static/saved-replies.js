/* Saved replies in the ticket's reply box: "/" at the start of a word opens a list of the department's saved
 * replies (the conversation's language first), filtered by what follows the "/". Arrow keys or the mouse choose,
 * Enter or Tab inserts, Escape closes. The chosen text replaces the "/word" as plain text (never HTML).
 */
(function () {
  "use strict";

  var box = document.getElementById("reply-text");
  if (!box || !box.getAttribute("data-saved-replies-url")) { return; }

  var MAX_SHOWN = 8;
  var replies = null;  // loaded once, on first use
  var loading = null;
  var list = document.getElementById("saved-reply-list");
  var status = document.getElementById("saved-reply-status");
  var shown = [];
  var active = -1;
  var start = -1;  // where the "/" is in the box while the list is open

  function load() {
    if (!loading) {
      loading = fetch(box.getAttribute("data-saved-replies-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (response) { return response.ok ? response.json() : { replies: [] }; })
        .then(function (data) { replies = data.replies; }, function () { replies = []; loading = null; });
    }
    return loading;
  }

  // The "/word" just before the caret, or null: a "/" at the start of the box or after a space or line break.
  function slashWord() {
    var caret = box.selectionStart;
    if (caret !== box.selectionEnd) { return null; }
    var before = box.value.slice(0, caret);
    var match = /(^|\s)\/([^\s\/]{0,40})$/.exec(before);
    if (!match) { return null; }
    return { start: caret - match[2].length - 1, query: match[2].toLowerCase() };
  }

  function matches(reply, query) {
    return !query || reply.shortcut.indexOf(query) !== -1 || reply.body.toLowerCase().indexOf(query) !== -1;
  }

  function option(reply, index) {
    var item = document.createElement("li");
    item.id = "saved-reply-option-" + index;
    item.className = "saved-option";
    item.setAttribute("role", "option");
    item.setAttribute("aria-selected", "false");
    var head = document.createElement("span");
    head.className = "saved-option-head";
    var shortcut = document.createElement("span");
    shortcut.className = "saved-option-shortcut";
    shortcut.textContent = "/" + reply.shortcut;
    var language = document.createElement("span");
    language.className = "lang-code";
    language.textContent = reply.language.toUpperCase();
    language.title = reply.language_label;
    head.appendChild(shortcut);
    head.appendChild(language);
    var preview = document.createElement("span");
    preview.className = "saved-option-body";
    preview.setAttribute("lang", reply.language);
    preview.textContent = reply.body;
    item.appendChild(head);
    item.appendChild(preview);
    // mousedown, not click: the box keeps the focus and the caret.
    item.addEventListener("mousedown", function (event) {
      event.preventDefault();
      choose(index);
    });
    return item;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (item, position) {
      item.setAttribute("aria-selected", position === index ? "true" : "false");
      if (position === index) { item.scrollIntoView({ block: "nearest" }); }
    });
    if (index >= 0) { box.setAttribute("aria-activedescendant", "saved-reply-option-" + index); } else { box.removeAttribute("aria-activedescendant"); }
  }

  function close() {
    start = -1;
    shown = [];
    list.hidden = true;
    list.textContent = "";
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
  }

  function render(word) {
    shown = replies.filter(function (reply) { return matches(reply, word.query); }).slice(0, MAX_SHOWN);
    start = word.start;
    list.textContent = "";
    shown.forEach(function (reply, index) { list.appendChild(option(reply, index)); });
    if (!shown.length) {
      var none = document.createElement("li");
      none.className = "saved-option-none";
      none.textContent = replies.length ? "No saved reply matches “/" + word.query + "”." : "The department has no saved replies yet.";
      list.appendChild(none);
    }
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(shown.length ? 0 : -1);
    status.textContent = shown.length ? shown.length + " saved replies; arrow keys to choose, Enter to insert." : "";
  }

  function update() {
    var word = slashWord();
    if (!word) { close(); return; }
    if (replies === null) {
      load().then(function () { if (replies !== null && slashWord()) { render(slashWord()); } });
      return;
    }
    render(word);
  }

  function choose(index) {
    var reply = shown[index];
    if (!reply || start < 0) { return; }
    var caret = box.selectionStart;
    box.value = box.value.slice(0, start) + reply.body + box.value.slice(caret);
    var after = start + reply.body.length;
    box.setSelectionRange(after, after);
    close();
    status.textContent = "Inserted the saved reply /" + reply.shortcut + ". Check it before sending.";
    box.focus();
  }

  box.addEventListener("input", update);
  box.addEventListener("click", update);
  box.addEventListener("blur", function () { window.setTimeout(close, 0); });
  box.addEventListener("keydown", function (event) {
    if (list.hidden || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!shown.length) { return; }
      event.preventDefault();
      var step = event.key === "ArrowDown" ? 1 : -1;
      highlight((active + step + shown.length) % shown.length);
    } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      event.preventDefault();
      event.stopPropagation();  // closes the list only, not a dialog around it
      close();
    }
  });
  box.addEventListener("focus", load, { once: true });
})();
