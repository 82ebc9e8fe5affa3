"""The contact form in a real headless Chromium (phone and desktop) against the real assistant (Rasa, the action
server and the gateway, started as `make run` starts them), with the inputs of issue #22 and others like them:

- "I want to change my appointment" opens the booking form with no error message, and says when the
  secretariat will answer (the department is closed: a site.yml whose only opening day is two days ahead)
  before the first question;
- names ("Maria Lopez", "John Smith", "Jean Dupont", "José García"), phone numbers in national and
  international formats, e-mail addresses and free text with a question in it are taken as answers, never as
  "stop" or a question for the texts;
- a summary before sending, where a field is changed by typing ("change my phone number") or a button;
- only "stop" / "annuler" / "cancelar" or the Cancel button leave, and nothing is sent;
- "I can't breathe" inside the form gets the emergency reply first, and the form goes on.
- while the form asks for a detail, the input says what to type there, in the widget's language.
Saves docs/screenshots/form-*.png.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from core.config import ROOT
from core.messages import Messages
from core.site import DAYS, load_site
from core.storage.database import Database
from core.storage.models import Ticket
from tests.support.browser import DESKTOP, PHONE, REPLY_TIMEOUT_MS
from tests.support.system import start_system, stop_system
from tests.support.untranslated import english_in

pytestmark = pytest.mark.system
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
MESSAGES = Messages.load(ROOT / "messages")


def closed_site_file(folder: Path) -> Path:
    """The shipped site.yml, open only on the day after tomorrow (department time): closed now, whenever the
    test runs, and reopening on a named day at 08:00."""
    data = yaml.safe_load((ROOT / "site.yml").read_text(encoding="utf-8"))
    data["timezone"] = "Europe/London"
    reopening = dt.datetime.now(ZoneInfo("Europe/London")).date() + dt.timedelta(days=2)
    data["opening_hours"] = {DAYS[reopening.weekday()]: ["08:00", "17:00"]}
    path = folder / "site.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def closed(tmp_path_factory, knowledge_indexes, multilingual_texts):
    """The real assistant with the secretariat closed, warmed up; (running system, its site)."""
    site_path = closed_site_file(tmp_path_factory.mktemp("closed-site"))
    running = start_system(
        tmp_path_factory.mktemp("form-system"),
        index=knowledge_indexes,
        extra_env={"ASSISTANT_KNOWLEDGE_DIR": str(multilingual_texts), "ASSISTANT_SITE_CONFIG": str(site_path)},
    )
    try:
        running.warm_up("form-warm-up")
        yield running, load_site(site_path)
    finally:
        stop_system(running)


class Patient:
    """A patient using the widget on the demo page, in the page's language."""

    def __init__(self, page: Page, language: str):
        self.page, self.language = page, language
        self.T = MESSAGES.catalogs[language].widget

    @property
    def replies(self) -> Locator:
        return self.page.locator(".ira-msg--assistant:not(.ira-msg--welcome)")

    def start(self) -> None:
        self.page.get_by_role("button", name=re.compile("^" + re.escape(self.T["launcher"]))).click()
        self.page.get_by_role("button", name=self.T["accept"]).click()
        expect(self.page.get_by_role("textbox", name=self.T["inputLabel"])).to_be_focused()

    def say(self, text: str, replies: int) -> list[str]:
        """Type and send `text`; the texts of the `replies` replies it gets (exactly that many)."""
        box = self.page.get_by_role("textbox", name=self.T["inputLabel"])
        return self._turn(lambda: (box.fill(text), box.press("Enter")), replies)

    def press(self, title: str, replies: int) -> list[str]:
        """Press the button `title` under the latest reply."""
        return self._turn(lambda: self.replies.last.get_by_role("button", name=title, exact=True).click(), replies)

    def _turn(self, act, replies: int) -> list[str]:
        before = self.replies.count()
        act()
        expect(self.replies).to_have_count(before + replies, timeout=REPLY_TIMEOUT_MS)
        expect(self.replies.last).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=REPLY_TIMEOUT_MS)
        # French is shown with no-break spaces at its guillemets and signs (the catalogs type plain ones).
        texts = [self.replies.nth(i).locator(".ira-text").inner_text() for i in range(before, before + replies)]
        return [text.replace("\u00a0", " ") for text in texts]

    def buttons(self) -> list[str]:
        return self.replies.last.locator(".ira-quick button").all_inner_texts()

    def screenshot(self, name: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SCREENSHOTS / name), animations="disabled")


@pytest.fixture
def patient(browser, closed):
    """patient(screen, language="en") -> a Patient in a fresh browser profile; JavaScript errors fail the test."""
    contexts, errors = [], []

    def open_(screen: str, language: str = "en") -> Patient:
        context = browser.new_context(**SCREENS[screen])
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(f"{closed[0].gateway}/" + ("" if language == "en" else f"?lang={language}"))
        return Patient(page, language)

    yield open_
    for context in contexts:
        context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"


def say(key: str, language: str, site, **values: str) -> str:
    return MESSAGES.text(key, language, site, **values)


def reopening(site) -> str:
    """The sentence saying when the closed secretariat will answer, as the assistant says it now."""
    return MESSAGES.when_answered(site, dt.datetime.now(dt.UTC), "en")


def tickets_of(system, name: str) -> list[Ticket]:
    with Database(system.database_url).session() as session:
        return [t for t in session.scalars(select(Ticket)) if (t.contact or {}).get("name") == name]


# (screen, name, contact typed first, as stored, corrected contact, as stored)
BOOKINGS = {
    "phone": ("Maria Lopez", "07700 900123", "07700900123", "+44 7700 900123", "+447700900123"),
    "desktop": ("John Smith", "(555) 123-4567", "5551234567", "John.Smith@Example.org", "john.smith@example.org"),
}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_booking_takes_what_the_patient_types_and_is_checked_before_it_is_sent(patient, closed, screen):
    system, site = closed
    name, contact, stored, corrected, stored_corrected = BOOKINGS[screen]
    chat = patient(screen)
    chat.start()

    # No error message before the first question; when the secretariat will answer comes before it.
    intro, question = chat.say("I want to change my appointment", replies=2)
    assert reopening(site) in intro and "closed now" in intro
    assert question == say("utter_ask_contact_name", "en", site)
    assert chat.buttons() == ["Cancel"]
    if screen == "phone":
        chat.screenshot("form-phone-out-of-hours.png")

    assert chat.say(name, replies=1) == [say("utter_ask_contact_method", "en", site)]
    assert chat.say(contact, replies=1) == [say("utter_ask_contact_about", "en", site)]
    free_text = "Can it move to the week after? And do I still need to stop eating before the angiogram?"
    assert chat.say(free_text, replies=1) == [say("utter_ask_preferred_times", "en", site)]
    [summary] = chat.say("weekday mornings", replies=1)
    assert f"Name: {name}" in summary and f"Phone or e-mail: {stored}" in summary
    assert f"About: {free_text}" in summary and "Best times: weekday mornings" in summary
    assert chat.buttons() == [
        "Yes, send it",
        "Change the name",
        "Change the phone or e-mail",
        "Change what it is about",
        "Change the times",
        "Cancel",
    ]
    chat.screenshot(f"form-{screen}-summary.png")

    # A field corrected, typed (phone) or after "that's wrong" with its button (desktop); then the summary again.
    if screen == "phone":
        assert chat.say("change my phone number", replies=1) == [say("utter_ask_contact_method", "en", site)]
    else:
        [which] = chat.say("that's wrong", replies=1)
        assert which.startswith(say("form_which_change", "en", site)) and f"Name: {name}" in which
        assert chat.press("Change the phone or e-mail", replies=1) == [say("utter_ask_contact_method", "en", site)]
    [summary] = chat.say(corrected, replies=1)
    assert f"Phone or e-mail: {stored_corrected}" in summary

    [saved] = chat.press("Yes, send it", replies=1)
    [ticket] = tickets_of(system, name)
    assert ticket.reference in saved and reopening(site) in saved
    assert (ticket.kind, ticket.contact["method"], ticket.contact["about"]) == ("booking", stored_corrected, free_text)


@pytest.mark.parametrize("screen", SCREENS)
def test_only_a_leave_word_or_the_cancel_button_leaves_the_form_and_nothing_is_sent(patient, closed, screen):
    system, site = closed
    chat = patient(screen)
    chat.start()
    stopped = say("request_stopped", "en", site)

    chat.say("can I reschedule my appointment", replies=2)
    assert chat.say("Anna Stop", replies=1) == [say("utter_ask_contact_method", "en", site)]  # a name, even so
    assert chat.say("stop", replies=1) == [stopped]
    [answer] = chat.say("what is an angiogram?", replies=1)
    assert answer != stopped and "angiogram" in answer.lower()

    chat.say("I want to change my appointment", replies=2)
    chat.say("Cancel Fernández", replies=1)  # a name again
    assert chat.press("Cancel", replies=1) == [stopped]
    assert tickets_of(system, "Anna Stop") == [] and tickets_of(system, "Cancel Fernández") == []


@pytest.mark.parametrize("screen", SCREENS)
def test_an_emergency_typed_inside_the_form_is_answered_first_and_the_form_goes_on(patient, closed, screen):
    _, site = closed
    chat = patient(screen)
    chat.start()
    chat.say("I want to change my appointment", replies=2)

    [emergency] = chat.say("I can't breathe", replies=1)
    assert emergency.startswith(say("emergency", "en", site))
    expect(chat.replies.last).to_have_class(re.compile(r"\bira-msg--urgent\b"))
    assert chat.say("Maria Lopez", replies=1) == [say("utter_ask_contact_method", "en", site)]


# language -> (opening message, name, phone, leave word)
OTHER_LANGUAGES = {
    "fr": ("je voudrais changer mon rendez-vous", "Jean Dupont", "06 12 34 56 78", "annuler"),
    "es": ("quiero cambiar mi cita", "José García", "+34 612 345 678", "cancelar"),
}


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", OTHER_LANGUAGES)
def test_the_form_in_french_and_spanish(patient, closed, screen, language):
    _, site = closed
    opening, name, phone, leave = OTHER_LANGUAGES[language]
    chat = patient(screen, language)
    chat.start()

    intro, question = chat.say(opening, replies=2)
    assert MESSAGES.when_answered(site, dt.datetime.now(dt.UTC), language) in intro
    assert question == say("utter_ask_contact_name", language, site)
    assert chat.buttons() == [say("button_cancel", language, site)]
    assert chat.say(name, replies=1) == [say("utter_ask_contact_method", language, site)]
    assert chat.say(phone, replies=1) == [say("utter_ask_contact_about", language, site)]
    if screen == "phone" and language == "fr":
        chat.screenshot("form-fr-phone.png")
    assert chat.say(leave, replies=1) == [say("request_stopped", language, site)]


# screen -> (name, a contact that is neither a phone number nor an e-mail address, the phone number, as stored,
# the name as corrected at the summary)
SPANISH_BOOKINGS = {
    "phone": ("José García", "612 34", "+34 612 345 678", "+34612345678", "Lucía Gómez"),
    "desktop": ("María Fernández Núñez", "maria.fernandez@", "612 345 678", "612345678", "Íñigo Martínez"),
}


@pytest.mark.parametrize("screen", SCREENS)
def test_a_spanish_patient_fills_the_whole_form_in_spanish(patient, closed, screen):
    system, site = closed
    name, not_a_contact, phone, stored, corrected = SPANISH_BOOKINGS[screen]
    es = {key: say(key, "es", site) for key in MESSAGES.catalogs["es"].messages}
    chat = patient(screen, "es")
    chat.start()

    intro, question = chat.say("quiero cambiar mi cita", replies=2)
    assert MESSAGES.when_answered(site, dt.datetime.now(dt.UTC), "es") in intro
    assert question == es["utter_ask_contact_name"]
    assert chat.buttons() == [es["button_cancel"]]
    assert chat.say(name, replies=1) == [es["utter_ask_contact_method"]]
    # Neither a phone number nor an e-mail address: why, in Spanish, and the question again.
    assert chat.say(not_a_contact, replies=2) == [es["form_contact_again"], es["utter_ask_contact_method"]]
    chat.screenshot(f"form-es-{screen}-invalid-contact.png")
    assert english_in(chat.page, MESSAGES, "es") == []
    assert chat.say(phone, replies=1) == [es["utter_ask_contact_about"]]
    about = "¿Puedo pasarla a la semana siguiente? Y ¿tengo que estar en ayunas antes de la arteriografía?"
    assert chat.say("a", replies=2) == [es["form_about_again"], es["utter_ask_contact_about"]]  # a lone letter
    assert chat.say(about, replies=1) == [es["utter_ask_preferred_times"]]
    [summary] = chat.say("entre semana por la mañana", replies=1)
    assert summary.startswith(es["form_summary"])
    lines = summary.splitlines()
    for label, value in (("name", name), ("contact", stored), ("about", about), ("times", "entre semana por la mañana")):
        assert f"{es['form_label_' + label]} {value}" in lines
    buttons = ("button_send", "button_change_name", "button_change_contact", "button_change_about", "button_change_times")
    assert chat.buttons() == [es[key] for key in (*buttons, "button_cancel")]
    chat.screenshot(f"form-es-{screen}-summary.png")
    assert english_in(chat.page, MESSAGES, "es") == []

    # "Está mal" names no field: which one, in Spanish, with the same buttons; then the name changed.
    [which] = chat.say("está mal", replies=1)
    assert which.startswith(es["form_which_change"]) and f"{es['form_label_name']} {name}" in which
    assert chat.press(es["button_change_name"], replies=1) == [es["utter_ask_contact_name"]]
    [summary] = chat.say(corrected, replies=1)
    assert f"{es['form_label_name']} {corrected}" in summary

    [saved] = chat.press(es["button_send"], replies=1)
    [ticket] = tickets_of(system, corrected)
    assert saved.startswith(say("request_saved", "es", site, reference=ticket.reference))
    assert MESSAGES.when_answered(site, dt.datetime.now(dt.UTC), "es") in saved
    assert (ticket.kind, ticket.contact["method"], ticket.contact["about"]) == ("booking", stored, about)
    chat.screenshot(f"form-es-{screen}-sent.png")
    assert english_in(chat.page, MESSAGES, "es") == []


# language -> (opening message, name, phone, what it is about, best times)
HINTED_FORMS = {
    "en": ("I want to change my appointment", "Maria Lopez", "07700 900123", "Can it move to the week after?", "weekday mornings"),
    "fr": ("je voudrais changer mon rendez-vous", "Jean Dupont", "06 12 34 56 78", "Est-ce possible la semaine suivante ?", "le matin"),
    "es": ("quiero cambiar mi cita", "José García", "+34 612 345 678", "¿Se puede pasar a la semana siguiente?", "por la mañana"),
}


@pytest.mark.parametrize("language", HINTED_FORMS)
def test_while_the_form_asks_for_a_detail_the_input_says_what_to_type_in_the_widgets_language(patient, closed, language):
    _, site = closed
    opening, name, phone, about, times = HINTED_FORMS[language]
    chat = patient("desktop", language)
    chat.start()
    box = chat.page.get_by_role("textbox", name=chat.T["inputLabel"])
    expect(box).to_have_attribute("placeholder", chat.T["placeholder"])

    chat.say(opening, replies=2)
    expect(box).to_have_attribute("placeholder", chat.T["hintName"])
    chat.say(name, replies=1)
    expect(box).to_have_attribute("placeholder", chat.T["hintContact"])
    chat.say(phone, replies=1)
    expect(box).to_have_attribute("placeholder", chat.T["hintAbout"])
    chat.say(about, replies=1)
    expect(box).to_have_attribute("placeholder", chat.T["hintTimes"])
    if language == "fr":
        chat.screenshot("form-fr-desktop-input-hint.png")
    [summary] = chat.say(times, replies=1)
    assert summary.startswith(say("form_summary", language, site))
    expect(box).to_have_attribute("placeholder", chat.T["placeholder"])  # the summary asks for no typed detail
    chat.press(say("button_cancel", language, site), replies=1)
    expect(box).to_have_attribute("placeholder", chat.T["placeholder"])
