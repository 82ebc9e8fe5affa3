"""A question that names no procedure, in English, French and Spanish, in a real headless Chromium against the
real assistant (Rasa, the action server and the gateway): the reply is the general pages' section on the topic,
never another procedure's leaflet, and it offers the likeliest procedures as buttons, then "Another procedure",
all in the page's language. Tapping a procedure answers the same question for it. Saves
docs/screenshots/widget-which-procedure-{en,fr,es}-phone.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.config import ROOT
from core.messages import Messages
from core.site import load_site
from tests.support.browser import PHONE, ChatWidget, open_page
from tests.support.untranslated import english_in

SCREENSHOTS = ROOT / "docs" / "screenshots"
MESSAGES = Messages.load(ROOT / "messages")
SITE = load_site(ROOT / "site.yml")  # what the running system was started with

ASKED = {
    "en": "How long will I have to stay in hospital?",
    "fr": "Combien de temps vais-je rester à l'hôpital ?",
    "es": "¿Cuánto tiempo tendré que quedarme en el hospital?",
}


@pytest.fixture(scope="module", autouse=True)
def warm_assistant(system):
    system.warm_up("which-procedure-warm-up")


@pytest.mark.parametrize("language", ASKED)
def test_a_question_without_a_procedure_gets_the_general_answer_and_the_likeliest_procedures(browser, system, language):
    context, page, errors = open_page(browser, f"{system.gateway}/?lang={language}", PHONE)
    chat = ChatWidget(page, language)
    chat.start()
    answer = chat.ask(ASKED[language])

    chips = answer.locator(".ira-quick .ira-chip")
    another = MESSAGES.text("button_another_procedure", language, SITE)
    expect(chips.last).to_have_text(another)
    procedures = chips.all_inner_texts()[:-1]
    assert procedures, "no procedure offered"
    assert language == "en" or english_in(page, MESSAGES, language) == []
    answer.evaluate("element => element.scrollIntoView({block: 'start'})")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-which-procedure-{language}-phone.png"), animations="disabled")

    before = chat.answers.count()
    chips.first.click()
    chosen = chat.wait_for_reply(before)
    expect(chosen.locator(".ira-text").first).not_to_be_empty()
    assert language == "en" or english_in(page, MESSAGES, language) == []
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
