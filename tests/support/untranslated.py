"""English left in a French or Spanish widget: the reference catalog's sentences found in what the page shows.

What the widget shows is its text and the labels a screen reader reads (aria-label, placeholder, title). Each
English sentence (the widget's interface strings and the messages, as the catalog writes them) is cut at its
{placeholders}; a piece of it found in the page is English the patient sees (also where the page's language's
catalog holds the same English words: a sentence left untranslated there). Only a single word the page's
language writes the same way for the same key ("Conversation", "Assistant" in French) is not English left."""

from __future__ import annotations

import re

from playwright.sync_api import Page

from core.messages import REFERENCE, Messages

# Shorter pieces ("Name:", "Yes") can be the same words in either language, or part of a longer word.
SHORTEST_PIECE = 8
PLACEHOLDER = re.compile(r"\{[A-Za-z_]+\}")

SHOWN_TEXT = """() => {
    const root = document.getElementById('ir-assistant-widget').shadowRoot;
    const parts = [];
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (node.nodeType === Node.TEXT_NODE) {
            if (!node.parentElement.closest('style, script')) parts.push(node.data);
            continue;
        }
        for (const name of ['aria-label', 'placeholder', 'title']) {
            if (node.hasAttribute(name)) parts.push(node.getAttribute(name));
        }
    }
    return parts.map(part => part.split(/\\s+/).join(' ').trim()).filter(Boolean).join('\\n');
}"""


def shown_text(page: Page) -> str:
    """Every text and accessible label in the widget, one per line, spaces collapsed."""
    return page.evaluate(SHOWN_TEXT)


def pieces(sentence: str) -> list[str]:
    return [piece.strip() for piece in PLACEHOLDER.split(sentence) if len(piece.strip()) >= SHORTEST_PIECE]


def sentences(messages: Messages, language: str) -> list[tuple[str, str]]:
    """(key, sentence) for every string of `language`'s catalog: its messages and its widget strings."""
    catalog = messages.catalogs[language]
    found = list(catalog.messages.items())
    for key, value in catalog.widget.items():
        for item in value if isinstance(value, list) else [value]:
            found.append((f"widget.{key}", " ".join(str(item).split())))
    return found


def english_in(page: Page, messages: Messages, language: str) -> list[str]:
    """The English pieces the widget shows on a page in `language`: 'key: piece' each."""
    shown = shown_text(page)
    same_word = {(key, sentence) for key, sentence in sentences(messages, language) if len(sentence.split()) == 1}
    return [
        f"{key}: {piece}"
        for key, sentence in sentences(messages, REFERENCE)
        if (key, sentence) not in same_word
        for piece in pieces(sentence)
        if piece in shown
    ]
