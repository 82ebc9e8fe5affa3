/* Browser notifications and a sound for a new urgent ticket and for a patient's reply in a conversation this
 * staff member holds (events from inbox.js's poll). Both are off until switched on in the header, and the browser
 * asks for permission only then; the choices are kept in localStorage. A notification names the ticket, never what
 * the patient wrote: it can show on a locked or shared screen. When the browser refuses, the page says so and the
 * alerts stay on the page.
 */
(function () {
  "use strict";

  var NOTIFY_KEY = "irInbox.v1.notifications";
  var SOUND_KEY = "irInbox.v1.sound";
  var notifyButton = document.getElementById("notify-toggle");
  var soundButton = document.getElementById("sound-toggle");
  var note = document.getElementById("notify-note");
  if (!notifyButton || !soundButton || !note) { return; }

  var supported = "Notification" in window;
  var audio = null;

  function stored(key) {
    try { return window.localStorage.getItem(key) === "on"; } catch (error) { return false; }
  }

  function store(key, on) {
    try { window.localStorage.setItem(key, on ? "on" : "off"); } catch (error) { /* private mode: for this page only */ }
  }

  function say(text) {
    note.textContent = text;
    note.hidden = !text;
  }

  function notifying() {
    return stored(NOTIFY_KEY) && supported && Notification.permission === "granted";
  }

  function show() {
    var on = stored(NOTIFY_KEY);
    notifyButton.setAttribute("aria-pressed", on ? "true" : "false");
    notifyButton.querySelector(".tool-state").textContent = on ? "on" : "off";
    soundButton.setAttribute("aria-pressed", stored(SOUND_KEY) ? "true" : "false");
    soundButton.querySelector(".tool-state").textContent = stored(SOUND_KEY) ? "on" : "off";
    if (on && !supported) {
      say("This browser cannot show notifications. New urgent tickets and replies still show on this page.");
    } else if (on && Notification.permission === "denied") {
      say("Your browser blocks notifications from the inbox, so alerts show on this page only. To allow them, use the site settings next to the address bar.");
    } else {
      say("");
    }
  }

  notifyButton.addEventListener("click", function () {
    if (stored(NOTIFY_KEY)) {
      store(NOTIFY_KEY, false);
      show();
      return;
    }
    store(NOTIFY_KEY, true);
    if (supported && Notification.permission === "default") {
      say("Your browser will now ask whether the inbox may show notifications.");
      Notification.requestPermission().then(show, show);
    } else {
      show();
    }
  });

  soundButton.addEventListener("click", function () {
    var on = !stored(SOUND_KEY);
    store(SOUND_KEY, on);
    show();
    if (on) { beep(1); }  // the click lets the browser play sound; and staff hear what it will sound like
  });

  // A short two-tone beep made with WebAudio: no sound file to download.
  function beep(times) {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) { return; }
    audio = audio || new Context();
    if (audio.state === "suspended") { audio.resume(); }
    for (var i = 0; i < times; i++) {
      var start = audio.currentTime + i * 0.3;
      var tone = audio.createOscillator();
      var volume = audio.createGain();
      tone.type = "sine";
      tone.frequency.setValueAtTime(880, start);
      tone.frequency.setValueAtTime(660, start + 0.1);
      volume.gain.setValueAtTime(0.0001, start);
      volume.gain.exponentialRampToValueAtTime(0.25, start + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + 0.22);
      tone.connect(volume);
      volume.connect(audio.destination);
      tone.start(start);
      tone.stop(start + 0.25);
    }
  }

  function notify(title, detail, tag) {
    if (!notifying()) { return; }
    var notification = new Notification(title, { body: "Open the ticket in the secretariat inbox.", tag: tag });
    notification.addEventListener("click", function () {
      window.focus();
      window.location.assign(detail.url);
      notification.close();
    });
  }

  document.addEventListener("inbox:urgent", function (event) {
    notify("New urgent ticket " + event.detail.reference, event.detail, "urgent-" + event.detail.id);
    if (stored(SOUND_KEY)) { beep(2); }
  });

  document.addEventListener("inbox:patient-reply", function (event) {
    var detail = event.detail;
    // The patient's message is already in front of them on that ticket's page.
    var here = window.location.pathname === detail.url && document.visibilityState === "visible";
    if (!here) { notify("The patient replied on " + detail.reference, detail, "reply-" + detail.message_id); }
    if (stored(SOUND_KEY) && !here) { beep(1); }
  });

  show();
})();
