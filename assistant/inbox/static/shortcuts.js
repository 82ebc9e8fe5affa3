/* Keyboard shortcuts, listed in the help dialog ("?"; templates/inbox/_shortcuts.html). Single keys act only
 * when the focus is not in a text box, so typing is never hijacked; the dialog is modal (<dialog>.showModal()),
 * which keeps the focus inside it and closes on Esc.
 */
(function () {
  "use strict";

  var help = document.getElementById("shortcuts-help");
  if (!help) { return; }
  var opener = document.getElementById("shortcuts-open");
  var closer = document.getElementById("shortcuts-close");
  var rows = document.getElementById("queue-rows");

  function openHelp() {
    if (!help.open) {
      help.showModal();
      closer.focus();
    }
  }
  opener.addEventListener("click", openHelp);
  closer.addEventListener("click", function () { help.close(); });
  // A click on the backdrop closes it too (the backdrop's clicks reach the dialog itself; so do its padding's).
  help.addEventListener("click", function (event) {
    var box = help.getBoundingClientRect();
    var outside = event.clientX < box.left || event.clientX > box.right || event.clientY < box.top || event.clientY > box.bottom;
    if (event.target === help && outside) { help.close(); }
  });

  function typing(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }

  /* ---------- the queue: one chosen row, moved with j / k ---------- */

  function queueRows() {
    return rows ? Array.prototype.slice.call(rows.querySelectorAll("tr.queue-row")) : [];
  }

  function chosenIndex(all) {
    for (var i = 0; i < all.length; i++) {
      if (all[i].classList.contains("is-chosen")) { return i; }
    }
    return -1;
  }

  function choose(all, index) {
    all.forEach(function (row) { row.classList.remove("is-chosen"); });
    var row = all[index];
    row.classList.add("is-chosen");
    // The row's link takes the focus: Enter opens the ticket, and screen readers read where the focus went.
    var link = row.querySelector(".ref a");
    if (link) { link.focus(); }
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = queueRows();
    if (!all.length) { return; }
    var index = chosenIndex(all);
    choose(all, index < 0 ? 0 : Math.min(all.length - 1, Math.max(0, index + step)));
  }

  function toggleChosen() {
    var all = queueRows();
    var index = chosenIndex(all);
    var box = index >= 0 ? all[index].querySelector("input[type=checkbox]") : null;
    if (box) { box.click(); }
  }

  // Clicking or tabbing into a row makes it the chosen one, so j / k carry on from there.
  if (rows) {
    rows.addEventListener("focusin", function (event) {
      var row = event.target.closest("tr.queue-row");
      if (row && !row.classList.contains("is-chosen")) {
        queueRows().forEach(function (other) { other.classList.toggle("is-chosen", other === row); });
      }
    });
  }

  function focusField(id) {
    var field = document.getElementById(id);
    if (!field) { return false; }
    field.focus();
    field.scrollIntoView({ block: "center" });
    return true;
  }

  var actions = {
    "?": openHelp,
    "j": function () { move(1); },
    "k": function () { move(-1); },
    "x": toggleChosen,
    "/": function () { return focusField("search-q"); },
    "r": function () { return focusField("reply-text"); },
    "n": function () { return focusField("note-text"); },
    "g": function () {
      var home = document.querySelector(".brand");
      if (home) { window.location.assign(home.href); }
    }
  };

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || help.open || typing(event.target)) { return; }
    var action = actions[event.key];
    if (!action) { return; }
    if (action() !== false) { event.preventDefault(); }
  });

  // Ctrl+Enter in the internal note saves it, as it sends a reply in the reply box (inbox.js).
  var note = document.getElementById("note-text");
  if (note) {
    note.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        note.form.requestSubmit();
      }
    });
  }
})();
