"""The widget in French and in Spanish, in a real headless Chromium: the demo page with `?lang=fr` / `?lang=es`
(the widget's `data-lang`). The privacy notice, the text box, the buttons, the author names and the dates and
times are in that language, every label fits its box on a desktop and on a phone, and the patient's question
goes to the gateway in that language and is answered from that language's text (a fake Rasa sends the answer the
action server gives: the French or Spanish section, its source and status). Saves docs/screenshots/widget-<lang>-*.png."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import update

from core.config import ROOT
from core.storage.conversations import add_messages, find_conversation, history
from core.storage.models import Message
from tests.support.browser import DESKTOP, PHONE
from tests.support.inbox import make_app
from tests.support.local_server import serving

SCREENSHOTS = ROOT / "docs" / "screenshots"
# A Saturday afternoon in Paris and Madrid (13:05 UTC is 14:05 there): not today, so the day and month are shown.
EARLIER = dt.datetime(2026, 3, 14, 13, 5, tzinfo=dt.UTC)
TIME_ZONE = "Europe/Paris"

EXPECTED = {
    # What Intl.DateTimeFormat writes for the widget's formats in each language: the month's name, the 24-hour clock.
    "fr": {"shown": re.compile(r"^14 mars( à|,)? 14:05$"), "full": "samedi 14 mars 2026 à 14:05"},
    "es": {"shown": re.compile(r"^14 mar,? 14:05$"), "full": "sábado, 14 de marzo de 2026, 14:05"},
}

# Any text in the widget wider than its box (a longer French or Spanish label cut off or spilling out), or
# any part of the open panel outside the window.
OVERFLOWS = """() => {
    const root = document.getElementById('ir-assistant-widget').shadowRoot;
    const width = document.documentElement.clientWidth;
    const found = [];
    for (const el of root.querySelectorAll('button, a, label, h2, h3, p, span, textarea')) {
        if (!el.offsetParent || el.closest('.ira-sr-only')) continue;
        const box = el.getBoundingClientRect();
        if (el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'auto') {
            found.push(`${el.className || el.tagName}: "${el.textContent.trim().slice(0, 40)}" is wider than its box`);
        }
        if (box.right > width + 1 || box.left < -1) {
            found.push(`${el.className || el.tagName}: "${el.textContent.trim().slice(0, 40)}" leaves the window`);
        }
    }
    return found;
}"""


def in_panel(page, selector: str) -> bool:
    """Whether the element is wholly inside the scrolled part of the panel that shows, not scrolled out of it."""
    return page.evaluate(
        """selector => {
            const root = document.getElementById('ir-assistant-widget').shadowRoot;
            const el = root.querySelector(selector), body = root.querySelector('.ira-body').getBoundingClientRect();
            const box = el.getBoundingClientRect();
            return box.top >= body.top - 1 && box.bottom <= body.bottom + 1;
        }""",
        selector,
    )


@pytest.fixture
def gateway(database_url, tmp_path, monkeypatch, fake_rasa):
    """The gateway (demo page, widget, chat API) on a real port, with a fake Rasa."""
    app = make_app(database_url, tmp_path, monkeypatch, rasa_url=fake_rasa.url)
    with serving(app) as url:
        yield app, url


def an_earlier_exchange(db, sender: str, language: str) -> None:
    """What the patient wrote and was answered on an earlier day, ending with a reply from the secretariat."""
    patient = {"fr": "Je voudrais parler à quelqu'un du secrétariat", "es": "Quisiera hablar con alguien de la secretaría"}[language]
    staff = {"fr": "Bonjour, c'est Anna du secrétariat.", "es": "Hola, soy Anna de la secretaría."}[language]
    add_messages(db, "web", sender, [("patient", patient, {}), ("staff", staff, {"staff_name": "Anna"})], language=language)
    with db.session() as session:
        conversation = find_conversation(session, "web", sender)
        session.execute(update(Message).where(Message.conversation_id == conversation.id).values(created_at=EARLIER))


def preparation_answer(language: str) -> list[dict]:
    """What the action server sends for "how do I prepare for embolization?" in `language`: the section of that
    language's text, with its source."""
    from knowledge.documents import parse

    doc, _ = parse(ROOT / "knowledge" / "texts" / language / "embolization.md")
    section = next(s for s in doc.sections if s.id == "preparation")
    label = {"fr": "Se préparer", "es": "Preparación"}[language]
    source = {
        "doc": doc.id,
        "section": "preparation",
        "section_title": label,
        "title": doc.title,
        "status": "draft",
        "reviewed": None,
        "language": language,
    }
    payload = {
        "text": section.text,
        "buttons": [],
        "route": "answer",
        "procedure": "embolization",
        "topic": "preparation",
        "sources": [source],
        "score": 0.9,
    }
    return [{"recipient_id": "web:x", "custom": payload}]


@pytest.mark.parametrize("language", ["fr", "es"])
def test_the_widget_speaks_the_pages_language_with_its_dates_and_times(gateway, browser, language, fake_rasa):
    app, base = gateway
    fake_rasa.reply = preparation_answer(language)
    db = app.extensions["db"]
    messages = app.config["SETTINGS"].messages
    T = messages.catalogs[language].widget
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    errors: list[str] = []

    for name, options in (("desktop", DESKTOP), ("phone", PHONE)):
        context = browser.new_context(**{**options, "locale": "en-GB", "timezone_id": TIME_ZONE})  # the page decides, not the browser
        try:
            page = context.new_page()
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{base}/?lang={language}")

            page.get_by_role("button", name=re.compile("^" + re.escape(T["launcher"]))).click()
            panel = page.get_by_role("dialog", name=T["title"])
            expect(panel).to_be_visible()
            assert page.locator(".ira").get_attribute("lang") == language
            expect(panel.locator(".ira-subtitle")).to_have_text(T["subtitle"])
            expect(panel.locator(".ira-strip")).to_contain_text(T["emergencyStrip"][0])

            # The privacy notice.
            notice = panel.locator(".ira-notice")
            expect(notice.get_by_role("heading", name=T["noticeTitle"])).to_be_visible()
            expect(notice).to_contain_text(T["noticeIntro"])
            expect(notice).to_contain_text(T["noticeStored"])
            expect(notice).to_contain_text(T["noticeKept"].replace("{retention}", T["noticeKeptDefault"]))
            expect(notice).to_contain_text(T["noticeEmergency"])
            assert page.evaluate(OVERFLOWS) == [], f"{language} {name}, privacy notice"
            # Longer than the English, it may scroll: it opens at its title, and the focused button stays in view.
            accept = page.get_by_role("button", name=T["accept"])
            expect(accept).to_be_focused()
            expect(notice.get_by_role("heading", name=T["noticeTitle"])).to_be_in_viewport()
            expect(accept).to_be_in_viewport()
            assert in_panel(page, ".ira-notice-title") and in_panel(page, ".ira-notice-foot .ira-primary")
            page.screenshot(path=str(SCREENSHOTS / f"widget-{language}-{name}-notice.png"), animations="disabled")
            accept.click()

            # The conversation: the text box, its buttons, the greeting and its suggestions.
            box = page.get_by_role("textbox", name=T["inputLabel"])
            expect(box).to_be_focused()
            expect(box).to_have_attribute("placeholder", T["placeholder"])
            expect(page.get_by_role("button", name=T["send"])).to_be_visible()
            expect(page.get_by_role("button", name=T["talkToPerson"])).to_be_visible()
            expect(page.get_by_role("button", name=T["endChat"])).to_be_visible()
            expect(page.get_by_role("button", name=T["close"])).to_be_visible()
            expect(page.get_by_role("group", name=T["quickReplies"]).get_by_role("button")).to_have_text(T["starters"])

            # An earlier day's messages: the day, the month's name in the language and a 24-hour time.
            # The conversation the widget will use: a token from the gateway, as the widget gets one.
            token = page.evaluate(
                """async () => {
                    const response = await fetch('/api/conversations', {method: 'POST'});
                    const token = (await response.json()).token;
                    localStorage.setItem('irAssistant.v1.token', token);
                    return token;
                }"""
            )
            sender = token.rsplit(".", 1)[0]
            an_earlier_exchange(db, sender, language)
            page.reload()
            staff = page.locator(".ira-msg--staff")
            expect(staff).to_have_count(1)
            expect(staff.locator(".ira-author")).to_have_text(T["staff"])
            expect(page.locator(".ira-msg--patient .ira-author")).to_have_text(T["you"])
            when = staff.locator("time")
            expect(when).to_have_text(EXPECTED[language]["shown"])
            assert when.get_attribute("title") == EXPECTED[language]["full"]
            assert when.get_attribute("datetime") == "2026-03-14T13:05:00.000Z"

            # A question today: the time alone, 24-hour; the gateway answers in the page's language.
            question = {"fr": "Comment dois-je me préparer pour l'embolisation ?", "es": "¿Cómo me preparo para la embolización?"}[language]
            box.fill(question)
            box.press("Enter")
            answer = page.locator(".ira-msg--assistant:not(.ira-msg--welcome)").last
            expect(answer).to_contain_text(fake_rasa.reply[0]["custom"]["text"][:60])
            expect(answer).to_contain_text(fake_rasa.reply[0]["custom"]["sources"][0]["title"])
            expect(answer).to_contain_text(T["draft"])
            assert fake_rasa.received[-1]["metadata"]["language"] == language
            expect(answer.locator(".ira-author")).to_have_text(T["assistant"])
            expect(page.locator(".ira-msg--patient time").last).to_have_text(re.compile(r"^\d\d:\d\d$"))
            assert page.evaluate(OVERFLOWS) == [], f"{language} {name}, conversation"
            page.screenshot(path=str(SCREENSHOTS / f"widget-{language}-{name}.png"), animations="disabled")

            # "Talk to a person" is shown as the patient clicked it, in their language.
            answers = page.locator(".ira-msg--assistant:not(.ira-msg--welcome)")
            before = answers.count()
            page.get_by_role("button", name=T["talkToPerson"]).click()
            expect(page.locator(".ira-msg--patient .ira-text").last).to_have_text(T["talkToPerson"])
            expect(answers).to_have_count(before + 1)
            stored = history(db, "web", sender)
            assert [m["text"] for m in stored if m["role"] == "patient"][-2:] == [question, "/request_human"]
        finally:
            context.close()
        with db.session() as session:
            assert find_conversation(session, "web", sender).language == language

    assert errors == [], f"JavaScript errors on the page: {errors}"


def test_the_demo_page_offers_the_widgets_languages_and_refuses_others(gateway):
    app, _ = gateway
    client = app.test_client()
    html = client.get("/").get_data(as_text=True)
    assert 'data-lang="en-GB"' in html  # the default: English, with British dates and a 24-hour clock
    for code, name in (("en", "English"), ("es", "Español"), ("fr", "Français")):
        assert f'href="?lang={code}" lang="{code}" hreflang="{code}"' in html and f">{name}</a>" in html
    assert 'data-lang="fr"' in client.get("/?lang=fr").get_data(as_text=True)
    assert 'data-lang="es-419"' in client.get("/?lang=es-419").get_data(as_text=True)
    for refused in ("de", "xx", '"><script>', "f"):
        assert client.get("/", query_string={"lang": refused}).status_code == 400
