/* Secretariat inbox: live updates without reloading.
 *
 * - Every page asks the server every few seconds for new urgent tickets: they
 *   raise a visible alert, change the tab title to "(n) URGENT – ..." and, on
 *   the queue, appear as rows in their place; the counts are the server's.
 * - The ticket page shows the patient's new messages as they arrive.
 * Data from the server is always inserted as text (textContent), never as HTML.
 */
(function () {
  "use strict";

  var POLL_MS = 3000;
  var body = document.body;
  var baseTitle = body.getAttribute("data-base-title") || document.title;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }

  function setStatus(text) {
    var status = document.getElementById("live-status");
    if (status && status.textContent !== text) { status.textContent = text; }
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          var error = new Error("signed out");
          error.signedOut = true;
          throw error;
        }
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      });
  }

  function poller(task) {
    var stopped = false;
    function run() {
      task().then(function () {
        setStatus("");
      }, function (error) {
        if (error && error.signedOut) {
          stopped = true;
          setStatus("You have been signed out. Reload the page to sign in again.");
          return;
        }
        setStatus("Live updates are interrupted (no connection to the server). Retrying…");
      }).then(function () {
        if (!stopped) { window.setTimeout(run, POLL_MS); }
      });
    }
    window.setTimeout(run, POLL_MS);
  }

  /* ---------- urgent tickets, on every page ---------- */

  var urgentUrl = body.getAttribute("data-urgent-url");
  var afterTicket = Number(body.getAttribute("data-latest-ticket") || "0");
  var afterAlert = Number(body.getAttribute("data-latest-alert") || "0");
  var afterReply = Number(body.getAttribute("data-latest-message") || "0");

  // notifications.js listens: "inbox:urgent" (a new urgent ticket) and "inbox:patient-reply" (a patient wrote in a
  // conversation this staff member holds), each with the ticket's reference and address.
  function tell(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }
  var announced = {};

  function updateTitleAndCounter(urgentCount) {
    document.title = urgentCount > 0 ? "(" + urgentCount + ") URGENT – " + baseTitle : baseTitle;
    var counter = document.getElementById("urgent-counter");
    if (counter) {
      counter.classList.toggle("is-zero", urgentCount === 0);
      counter.querySelector(".urgent-counter-number").textContent = String(urgentCount);
    }
  }

  function announce(ticket, again) {
    var box = document.getElementById("urgent-alert");
    if (!box) { return; }
    var item = el("div", "urgent-alert-item");
    item.setAttribute("data-ticket-id", String(ticket.id));
    item.appendChild(el("strong", null, (again ? "Another emergency message on urgent ticket " : "New urgent ticket ") + ticket.reference));
    item.appendChild(el("span", "summary", "“" + (again ? ticket.latest_message : ticket.summary) + "”"));
    item.appendChild(el("span", null, ticket.channel_label + ", " + ticket.created_text));
    var link = el("a", null, "Open it now");
    link.href = ticket.url;
    item.appendChild(link);
    var dismiss = el("button", null, "Dismiss");
    dismiss.type = "button";
    dismiss.addEventListener("click", function () { item.remove(); });
    item.appendChild(dismiss);
    box.appendChild(item);
  }

  function queueCell(row, node) {
    var cell = el("td");
    if (typeof node === "string") { cell.textContent = node; } else { cell.appendChild(node); }
    row.appendChild(cell);
    return cell;
  }

  // "FR Français", as the server renders it; a dash while the conversation's language is not known.
  function languageTag(ticket) {
    if (!ticket.language) { return el("span", "muted", "—"); }
    var tag = el("span", "lang-tag");
    tag.appendChild(el("span", "lang-code", ticket.language.toUpperCase()));
    var name = ticket.language_name;
    if (name) {
      tag.appendChild(document.createTextNode(" "));
      var named = el("span", null, name);
      named.setAttribute("lang", ticket.language);
      tag.appendChild(named);
    }
    return tag;
  }

  function addQueueRow(ticket) {
    var table = document.getElementById("queue-table");
    var rows = document.getElementById("queue-rows");
    if (!table || !rows || table.getAttribute("data-live-urgent") !== "true") { return; }
    if (rows.querySelector('tr[data-ticket-id="' + ticket.id + '"]')) { return; }
    var row = el("tr", "queue-row kind-urgent is-new");
    row.setAttribute("data-ticket-id", String(ticket.id));
    row.setAttribute("data-kind", "urgent");
    row.setAttribute("data-reference", ticket.reference);
    var pick = el("input");
    pick.type = "checkbox";
    pick.name = "ticket";
    pick.value = String(ticket.id);
    pick.setAttribute("form", "bulk-form");
    pick.setAttribute("aria-label", "Select " + ticket.reference);
    queueCell(row, pick).className = "pick";
    queueCell(row, el("span", "badge kind-urgent", ticket.kind_label));
    var link = el("a", null, ticket.reference);
    link.href = ticket.url;
    queueCell(row, link).className = "ref";
    var time = el("time", null, ticket.waiting);
    time.setAttribute("datetime", ticket.created_at);
    time.title = ticket.created_text;
    queueCell(row, time).className = "waiting";
    var about = el("td", "about");
    if (ticket.contact_name) { about.appendChild(el("span", "contact-name", ticket.contact_name)); }
    about.appendChild(el("span", "summary", ticket.summary || "(no summary)"));
    row.appendChild(about);
    queueCell(row, ticket.channel_label);
    queueCell(row, languageTag(ticket)).className = "language";
    queueCell(row, el("span", "status status-open", "Open"));
    queueCell(row, ticket.assigned_to || "—");
    queueCell(row, ticket.taken_over_by ? el("span", "taken", "Taken over by " + ticket.taken_over_by) : el("span", "muted", "Assistant"));
    // A new urgent ticket starts high, nobody has started on it and none is newer: the queue's first row.
    rows.insertBefore(row, rows.firstChild);
    var empty = document.getElementById("queue-empty");
    if (empty) { empty.hidden = true; }
  }

  // The counts per type, as the server counts them for this page's filters (never added up here, so they
  // cannot drift from the header's count or from what a reload shows).
  function updateCounts(counts) {
    if (!counts) { return; }
    var all = 0;
    Object.keys(counts).forEach(function (kind) {
      all += counts[kind];
      var count = document.getElementById("count-" + kind);
      if (count) { count.textContent = String(counts[kind]); }
    });
    var total = document.getElementById("count-all");
    if (total) { total.textContent = String(all); }
  }

  function noteOtherTickets(count) {
    var note = document.getElementById("new-tickets-note");
    if (!note || count < 1) { return; }
    note.querySelector(".new-tickets-text").textContent =
      count === 1 ? "1 new non-urgent ticket has arrived." : count + " new non-urgent tickets have arrived.";
    note.hidden = false;
  }

  if (urgentUrl) {
    poller(function () {
      var queueTable = document.getElementById("queue-table");
      var counts = queueTable ? "&counts=1&" + queueTable.getAttribute("data-counts") : "";
      var query = "?after=" + afterTicket + "&alerts_after=" + afterAlert + "&replies_after=" + afterReply + counts;
      return getJSON(urgentUrl + query).then(function (data) {
        data.new_urgent.forEach(function (ticket) {
          if (announced[ticket.id]) { return; }
          announced[ticket.id] = true;
          announce(ticket);
          addQueueRow(ticket);
          tell("inbox:urgent", ticket);
        });
        data.patient_replies.forEach(function (reply) { tell("inbox:patient-reply", reply); });
        afterReply = Math.max(afterReply, data.latest_message);
        data.repeated_urgent.forEach(function (ticket) { announce(ticket, true); });
        afterAlert = Math.max(afterAlert, data.latest_alert);
        updateTitleAndCounter(data.urgent_count);
        updateCounts(data.counts);
        noteOtherTickets(data.new_other);
      });
    });
  }

  /* ---------- the open ticket's conversation ---------- */

  var transcript = document.getElementById("transcript");

  function messageItem(message) {
    var item = el("li", "msg msg-" + message.role + (message.red_flag ? " msg-red-flag" : "") + " is-new");
    item.setAttribute("data-message-id", String(message.id));
    var meta = el("p", "msg-meta");
    meta.appendChild(el("span", "msg-who", message.role_label + (message.staff_name ? " · " + message.staff_name : "")));
    var time = el("time", null, message.at_text);
    time.setAttribute("datetime", message.at);
    meta.appendChild(time);
    meta.appendChild(el("span", "msg-channel", transcript.getAttribute("data-channel")));
    item.appendChild(meta);
    item.appendChild(el("p", "msg-text", message.text));
    var tags = el("p", "msg-tags");
    if (message.button) { tags.appendChild(el("span", "tag tag-button", "Pressed a button")); }
    if (message.resend) { tags.appendChild(el("span", "tag tag-warning", "Answer to the message sent again")); }
    if (message.red_flag) { tags.appendChild(el("span", "tag tag-urgent", "Emergency detected: " + message.red_flag.replace(/_/g, " "))); }
    if (message.role === "staff" && message.delivery) {
      tags.appendChild(el("span", "tag " + (message.delivered ? "tag-ok" : "tag-warning"), message.delivery));
    }
    if (tags.childNodes.length) { item.appendChild(tags); }
    return item;
  }

  if (transcript) {
    poller(function () {
      var after = transcript.getAttribute("data-after");
      return getJSON(transcript.getAttribute("data-poll-url") + "?after=" + after).then(function (data) {
        data.messages.forEach(function (message) {
          if (transcript.querySelector('[data-message-id="' + message.id + '"]')) { return; }
          transcript.appendChild(messageItem(message));
          transcript.setAttribute("data-after", String(message.id));
        });
      });
    });
  }

  /* ---------- forms ---------- */

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // One click, one action: a double click must not send a reply twice.
    window.setTimeout(function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) { button.disabled = true; });
    }, 0);
  });

  // Coming back with the browser's Back button must not leave buttons disabled.
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form button[disabled]").forEach(function (button) { button.disabled = false; });
  });

  var replyText = document.getElementById("reply-text");
  if (replyText) {
    replyText.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        replyText.form.requestSubmit();
      }
    });
  }

  /* ---------- the queue's selection, for resolving several tickets at once ---------- */

  var bulkForm = document.getElementById("bulk-form");
  if (bulkForm) {
    var selectAll = document.getElementById("select-all");
    var boxes = function () { return document.querySelectorAll('input[name="ticket"][form="bulk-form"]'); };
    var showSelection = function () {
      var all = boxes();
      var chosen = Array.prototype.filter.call(all, function (box) { return box.checked; }).length;
      document.getElementById("bulk-count").textContent =
        chosen === 0 ? "No ticket selected" : chosen === 1 ? "1 ticket selected" : chosen + " tickets selected";
      document.getElementById("bulk-resolve").disabled = chosen === 0;
      bulkForm.classList.toggle("has-selection", chosen > 0);
      selectAll.checked = chosen > 0 && chosen === all.length;
      selectAll.indeterminate = chosen > 0 && chosen < all.length;
    };
    selectAll.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = selectAll.checked; });
      showSelection();
    });
    document.addEventListener("change", function (event) {
      if (event.target.matches('input[name="ticket"]')) { showSelection(); }
    });
    showSelection();
  }
})();
