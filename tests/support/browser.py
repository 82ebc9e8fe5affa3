"""A real headless Chromium (Debian's, driven by Playwright) and the chat widget as a patient uses it."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager

from playwright.sync_api import Browser, Locator, Page, expect, sync_playwright

from core.config import ROOT
from core.messages import Messages

CHROMIUM = os.environ.get("ASSISTANT_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The real assistant answers in about a second; generous for a loaded CI machine.
REPLY_TIMEOUT_MS = 30_000

# The widget's interface strings per language, as the page's widget shows them.
WIDGET_STRINGS = {language: catalog.widget for language, catalog in Messages.load(ROOT / "messages").catalogs.items()}

DESKTOP = {"viewport": {"width": 1280, "height": 860}, "locale": "en-GB"}
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True, "locale": "en-GB"}


def open_page(browser: Browser, url: str, options: dict):
    """`url` in a fresh browser profile (a new patient) with these screen options: (context, page, the
    JavaScript errors the page raises, filled as they happen)."""
    context = browser.new_context(**options)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    return context, page, errors


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ChatWidget:
    """The widget on a page, in the page's language. Locators pierce its (open) shadow root."""

    def __init__(self, page: Page, language: str = "en"):
        self.page = page
        self.T = WIDGET_STRINGS[language]

    # --- parts of the widget ---

    @property
    def launcher(self) -> Locator:
        return self.page.get_by_role("button", name=re.compile("^" + re.escape(self.T["launcher"])))

    @property
    def panel(self) -> Locator:
        return self.page.get_by_role("dialog", name=self.T["title"])

    @property
    def input(self) -> Locator:
        return self.page.get_by_role("textbox", name=self.T["inputLabel"])

    def messages(self, role: str) -> Locator:
        """role: patient, assistant (the widget's own greeting excluded) or staff."""
        suffix = ":not(.ira-msg--welcome)" if role == "assistant" else ""
        return self.page.locator(f".ira-msg--{role}{suffix}")

    def texts(self, role: str) -> Locator:
        """The text of each message of that role, without its author and time."""
        return self.messages(role).locator(".ira-text")

    @property
    def answers(self) -> Locator:
        return self.messages("assistant")

    # --- what a patient does ---

    def open(self) -> None:
        self.launcher.click()
        expect(self.panel).to_be_visible()

    def start(self) -> None:
        """Open the chat and accept the privacy notice."""
        self.open()
        self.page.get_by_role("button", name=self.T["accept"]).click()
        expect(self.input).to_be_focused()

    def ask(self, question: str) -> Locator:
        """Type a question, send it with Enter, and return the reply once it is shown with its id."""
        before = self.answers.count()
        self.input.fill(question)
        self.input.press("Enter")
        return self.wait_for_reply(before)

    def wait_for_reply(self, answers_before: int) -> Locator:
        expect(self.answers).to_have_count(answers_before + 1, timeout=REPLY_TIMEOUT_MS)
        reply = self.answers.nth(answers_before)
        # The id arrives with the history fetch after the reply: from then on it can be rated.
        expect(reply).to_have_attribute("data-id", re.compile(r"^\d+$"), timeout=REPLY_TIMEOUT_MS)
        return reply

    def token(self) -> str | None:
        """The conversation's token, as the gateway signed it and the widget keeps it."""
        return self.page.evaluate("localStorage.getItem('irAssistant.v1.token')")

    def sender(self) -> str | None:
        """The conversation's sender id in the database: the id the token carries (before its signature)."""
        token = self.token()
        return token.rsplit(".", 1)[0] if token else None

    def focused(self) -> dict:
        """What has the keyboard focus inside the widget: tag, class, and its outline (for the visible focus check)."""
        return self.page.evaluate("""() => {
            const host = document.activeElement;
            if (!host || host.id !== 'ir-assistant-widget') return {tag: null};
            const el = host.shadowRoot.activeElement;
            if (!el) return {tag: null};
            const style = getComputedStyle(el);
            return {tag: el.tagName.toLowerCase(), cls: el.className, text: el.textContent.trim(),
                    outline: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth)};
        }""")
