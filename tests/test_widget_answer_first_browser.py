"""The widget in a real headless Chromium (phone and desktop) against the gateway with a scripted dialogue (a
fake Rasa): an answer cut to the sentences asked about shows them first and folds the rest of its section
behind a "More from …" toggle that opens by click and by keyboard, also when the conversation is shown again
from its history. Saves docs/screenshots/widget-answer-first-{phone,desktop}.png."""

from __future__ import annotations

import threading

import pytest
from playwright.sync_api import expect
from werkzeug.serving import make_server

from core.config import ROOT
from tests.support.browser import DESKTOP, PHONE, ChatWidget
from tests.support.inbox import make_app
from tests.support.ports import free_port

SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENS = {"phone": PHONE, "desktop": DESKTOP}

LEAD = "Keep the small dressing clean and dry; many hospitals suggest leaving it on for about a day, and you can usually shower after that."
MORE = {
    "label": 'More from "Afterwards":',
    "text": "After an image-guided biopsy, take it easy for the rest of the day.\n\nSome soreness or a small bruise "
    "is normal for a few days. Simple pain relief, as advised by your team, usually helps.",
}
REMINDER = "This is general information: your care team's instructions come first."
ANSWER = {
    "text": f"{LEAD}\n\n{MORE['label']}\n{MORE['text']}\n\n{REMINDER}",
    "route": "answer",
    "procedure": "image_guided_biopsy",
    "topic": "aftercare",
    "buttons": [],
    "sources": [
        {
            "doc": "image_guided_biopsy",
            "section": "aftercare",
            "section_title": "Afterwards",
            "title": "Image-guided biopsy",
            "status": "draft",
            "reviewed": None,
            "language": "en",
        }
    ],
    "score": 0.9,
    "more": MORE,
}


@pytest.fixture
def gateway(database_url, tmp_path, monkeypatch, fake_rasa, fake_actions):
    """The gateway on a free port, its dialogue a fake Rasa that answers with ANSWER."""
    monkeypatch.setenv("ACTION_SERVER_URL", fake_actions.url)
    app = make_app(database_url, tmp_path, monkeypatch, rasa_url=fake_rasa.url)
    fake_rasa.reply = [{"custom": ANSWER}]
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    thread.join(timeout=5)
    app.extensions["db"].engine.dispose()


@pytest.mark.parametrize("screen", SCREENS)
def test_the_answer_comes_first_and_the_rest_of_the_section_opens_by_click_and_keyboard(browser, gateway, screen):
    context = browser.new_context(**SCREENS[screen])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{gateway}/")
    chat = ChatWidget(page)
    chat.start()
    answer = chat.ask("can I shower after my biopsy?")

    paragraphs = answer.locator(".ira-bubble > .ira-text p")
    expect(paragraphs.first).to_have_text(LEAD)
    expect(paragraphs.last).to_have_text(REMINDER)
    toggle = answer.locator(".ira-more > summary")
    rest = answer.locator(".ira-more > .ira-text")
    expect(toggle).to_have_text('More from "Afterwards"')
    expect(rest).to_be_hidden()
    # The label is the toggle's only: the text around the fold does not repeat it.
    expect(answer.locator(".ira-bubble")).not_to_contain_text('"Afterwards":')

    toggle.click()
    expect(rest).to_be_visible()
    expect(rest).to_contain_text("Some soreness or a small bruise is normal")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-answer-first-{screen}.png"), animations="disabled")
    toggle.click()
    expect(rest).to_be_hidden()

    toggle.focus()
    page.keyboard.press("Enter")
    expect(rest).to_be_visible()
    page.keyboard.press("Space")
    expect(rest).to_be_hidden()

    # Shown again from the stored history (a reload), the answer is folded the same way.
    page.reload()
    expect(chat.panel).to_be_visible()  # it was open before the reload
    expect(chat.answers).to_have_count(1)
    again = chat.answers.last
    expect(again.locator(".ira-more > summary")).to_have_text('More from "Afterwards"')
    expect(again.locator(".ira-more > .ira-text")).to_be_hidden()
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
