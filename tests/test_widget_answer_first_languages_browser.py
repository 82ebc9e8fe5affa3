"""The answer first in French and in Spanish, in a real headless Chromium against the real assistant (Rasa, the
action server and the gateway, with the French and Spanish texts): a patient on the demo page in that language
asks when they can shower after an embolization; the reply leads with the sentence about the shower, from that
language's text, and folds the rest of the section behind a toggle labelled in that language, which opens to
show it. Nothing in the widget is left in English, and French guillemets hold their word with no-break spaces
(a closing » alone on the toggle's second line, on a phone, before). Saves docs/screenshots/widget-answer-first-{fr,es}-*.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from core.config import ROOT
from core.messages import Messages
from core.site import load_site
from knowledge.catalog import section_label
from tests.support.browser import DESKTOP, PHONE, ChatWidget, open_page
from tests.support.untranslated import english_in

SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENS = {"phone": PHONE, "desktop": DESKTOP}
MESSAGES = Messages.load(ROOT / "messages")
SITE = load_site(ROOT / "site.yml")  # what the running system was started with

# language -> (the question, a word of the sentence that answers it, a sentence of the rest of the section)
ASKED = {
    "fr": (
        "quand est-ce que je peux me doucher après une embolisation ?",
        "douche",
        "C'est fréquent et on l'appelle le syndrome post-embolisation.",
    ),
    "es": ("¿cuándo me puedo duchar después de una embolización?", "ducharse", "Es frecuente y se llama síndrome postembolización."),
}


@pytest.fixture(scope="module", autouse=True)
def warm_assistant(system):
    system.warm_up("answer-first-languages-warm-up")


def toggle_label(language: str) -> str:
    """The fold's label as the widget shows it: the catalog's sentence for the section, without its colon."""
    label = MESSAGES.text("answer_more_about", language, SITE, section=section_label("aftercare", language))
    return label.rstrip(" :")


@pytest.mark.parametrize("screen", SCREENS)
@pytest.mark.parametrize("language", ASKED)
def test_the_answer_comes_first_and_the_fold_speaks_the_pages_language(browser, system, language, screen):
    question, answering_word, further = ASKED[language]
    context, page, errors = open_page(browser, f"{system.gateway}/?lang={language}", SCREENS[screen])
    chat = ChatWidget(page, language)
    chat.start()
    answer = chat.ask(question)

    lead = answer.locator(".ira-bubble > .ira-text p").first
    expect(lead).to_contain_text(answering_word)
    toggle = answer.locator(".ira-more > summary")
    rest = answer.locator(".ira-more > .ira-text")
    expect(toggle).to_have_text(toggle_label(language))
    if language == "fr":
        assert "«\u00a0Après l'intervention\u00a0»" in toggle.inner_text()
    expect(rest).to_be_hidden()
    expect(answer.locator(".ira-bubble > .ira-text", has_text=further)).to_have_count(0)  # only in the fold

    toggle.click()
    expect(rest).to_be_visible()
    expect(rest).to_contain_text(further)
    expect(rest).not_to_contain_text(lead.inner_text())  # the lead is not repeated in the fold
    assert english_in(page, MESSAGES, language) == []
    answer.evaluate("element => element.scrollIntoView({block: 'start'})")  # the answer from its author line
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"widget-answer-first-{language}-{screen}.png"), animations="disabled")
    toggle.click()
    expect(rest).to_be_hidden()
    context.close()
    assert errors == [], f"JavaScript errors on the page: {errors}"
