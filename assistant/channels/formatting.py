"""How replies look on SMS and WhatsApp. Every outgoing text on these channels is shaped here.

- Plain text only: Markdown-style markup is removed (a phone shows it literally).
- Buttons become numbered choices ("1. How do I prepare?"); `choice_list` gives
  the same numbering back so a reply of "1" maps to the button's payload.
- A source shrinks to its title.
- An answer cut to the sentences asked about keeps the rest of its section on SMS only if the whole
  fits in one message; on WhatsApp it always does.
- The emergency reply is always the first message.
- SMS: one message stays within SMS_MAX_SEGMENTS segments (GSM-7: 160 characters
  alone, 153 per part; any other character switches the whole message to UCS-2:
  70 alone, 67 per part) and never over Twilio's 1,600 characters. Longer texts
  become several messages, split between sentences.
- WhatsApp: at most 4,096 characters per message, split the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from assistant.replies import Reply

SMS_MAX_SEGMENTS = 3
TWILIO_MAX_CHARS = 1600
WHATSAPP_MAX_CHARS = 4096
# A template's body holds at most 1,024 characters, including its own fixed words.
TEMPLATE_PARAMETER_MAX_CHARS = 900

# GSM 03.38: the basic set (one septet each) and the extension set (escape + one septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

# Typographic punctuation that would switch a whole SMS to UCS-2 (less than half the
# characters per segment) although a GSM-7 equivalent reads the same.
SMS_PUNCTUATION = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u2022": "-",
        "\u2026": "...",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2009": " ",
    }
)


@dataclass(frozen=True)
class Labels:
    """The words the formatting adds, in the conversation's language (catalog keys sms_choices_heading and
    sms_source); English when none is given."""

    choices_heading: str = "Reply with a number:"
    source: str = "Source:"


ENGLISH = Labels()

_LINK = re.compile(r"\[([^\]\n]+)\]\((\S+?)\)")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC = re.compile(r"(?<![\w*])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![\w*])")
_CODE = re.compile(r"`([^`\n]*)`")
_HEADING = re.compile(r"^[ \t]*#{1,6}[ \t]+", re.MULTILINE)
_BULLET = re.compile(r"^([ \t]*)[*+][ \t]+", re.MULTILINE)
_BLANK_LINES = re.compile(r"\n{3,}")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[ \t]+|[ \t]*\n+[ \t]*")


def plain(text: str) -> str:
    """The text without Markdown-style markup; links keep their address."""
    text = _LINK.sub(lambda m: m.group(1) if m.group(1) == m.group(2) else f"{m.group(1)} ({m.group(2)})", text)
    text = _BOLD.sub(r"\2", text)
    text = _ITALIC.sub(r"\2", text)
    text = _CODE.sub(r"\1", text)
    text = _HEADING.sub("", text)
    text = _BULLET.sub(r"\1- ", text)
    return _BLANK_LINES.sub("\n\n", text).strip()


# --------------------------------------------------------------------------- sizes


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _count(sizes: list[int], alone: int, per_part: int) -> int:
    if sum(sizes) <= alone:
        return 1
    # A character is never split across two parts (an escaped GSM character, a UTF-16 surrogate pair).
    parts, used = 1, 0
    for size in sizes:
        if used + size > per_part:
            parts, used = parts + 1, 0
        used += size
    return parts


def segments(text: str) -> int:
    """How many SMS segments the text costs."""
    if is_gsm7(text):
        return _count([2 if ch in GSM7_EXTENSION else 1 for ch in text], 160, 153)
    return _count([2 if ord(ch) > 0xFFFF else 1 for ch in text], 70, 67)


def fits_sms(text: str) -> bool:
    return segments(text) <= SMS_MAX_SEGMENTS and len(text) <= TWILIO_MAX_CHARS


def fits_whatsapp(text: str) -> bool:
    return len(text) <= WHATSAPP_MAX_CHARS


# --------------------------------------------------------------------------- splitting

Unit = tuple[str, str]  # (separator before it, text)


def _sentences(text: str) -> list[Unit]:
    units, separator, start = [], "", 0
    for match in _SENTENCE_BREAK.finditer(text):
        units.append((separator, text[start : match.start()]))
        separator = "\n\n" if match.group().count("\n") > 1 else ("\n" if "\n" in match.group() else " ")
        start = match.end()
    units.append((separator, text[start:]))
    return [(sep, unit) for sep, unit in units if unit]


def _words(text: str) -> list[Unit]:
    return [("" if i == 0 else " ", word) for i, word in enumerate(text.split(" ")) if word]


def _cut(text: str, fits: Callable[[str], bool]) -> list[str]:
    """Last resort for a "word" longer than a message (a long address): cut between characters."""
    parts, current = [], ""
    for ch in text:
        if current and not fits(current + ch):
            parts.append(current)
            current = ""
        current += ch
    return parts + [current] if current else parts


def pack(units: list[Unit], fits: Callable[[str], bool]) -> list[str]:
    """As few messages as possible, each one that `fits`, never breaking inside a unit that fits alone."""
    messages: list[str] = []
    current = ""
    for separator, unit in units:
        candidate = f"{current}{separator}{unit}" if current else unit
        if fits(candidate):
            current = candidate
            continue
        if current:
            messages.append(current)
        if fits(unit):
            current = unit
        else:
            pieces = pack(_words(unit), fits) if len(_words(unit)) > 1 else _cut(unit, fits)
            messages.extend(pieces[:-1])
            current = pieces[-1] if pieces else ""
    if current:
        messages.append(current)
    return messages


# --------------------------------------------------------------------------- replies


def sending_order(items: list, route_of: Callable[[object], str | None]) -> list:
    """The emergency reply first, the rest in the order the assistant gave them."""
    return sorted(items, key=lambda item: route_of(item) != "urgent")


def choice_list(turn: Iterable[tuple[str | None, list[dict]]]) -> list[dict]:
    """The buttons of one turn's replies ((route, buttons) each), numbered 1.. in the order they are shown."""
    ordered = sending_order(list(turn), lambda item: item[0])
    return [button for _route, buttons in ordered for button in buttons or []]


def _source_titles(reply: Reply) -> list[str]:
    titles: list[str] = []
    for source in reply.sources:
        title = str(source.get("title") or source.get("doc") or "").strip()
        if title and title not in titles:
            titles.append(title)
    return titles


def _reply_units(reply: Reply, first_number: int, labels: Labels, text: str | None = None) -> list[Unit]:
    units = _sentences(plain(reply.text if text is None else text))
    titles = _source_titles(reply)
    if titles:
        units.append(("\n\n", f"{labels.source} " + "; ".join(titles)))
    if reply.buttons:
        lines = [f"{first_number + i}. {plain(button['title'])}" for i, button in enumerate(reply.buttons)]
        units.append(("\n\n", "\n".join([labels.choices_heading, *lines])))
    return units


def _packed(
    reply: Reply, number: int, labels: Labels, fits: Callable[[str], bool], adapt: Callable[[str], str], text: str | None = None
) -> list[str]:
    return pack([(sep, adapt(unit)) for sep, unit in _reply_units(reply, number, labels, text)], fits)


def _format(
    replies: list[Reply], fits: Callable[[str], bool], adapt: Callable[[str], str], labels: Labels, keep_more: bool = True
) -> list[str]:
    """`keep_more=False`: an answer's folded rest is left out unless the whole answer fits in one message."""
    messages: list[str] = []
    number = 1
    for reply in sending_order(replies, lambda r: r.route):
        packed = _packed(reply, number, labels, fits, adapt)
        if reply.more and not keep_more and len(packed) > 1:
            packed = _packed(reply, number, labels, fits, adapt, reply.text_without_more())
        number += len(reply.buttons)
        messages.extend(packed)
    return messages


def sms_friendly(text: str) -> str:
    return text.translate(SMS_PUNCTUATION)


def to_sms(replies: list[Reply], labels: Labels = ENGLISH) -> list[str]:
    return _format(replies, fits_sms, sms_friendly, labels, keep_more=False)


def to_whatsapp(replies: list[Reply], labels: Labels = ENGLISH) -> list[str]:
    return _format(replies, fits_whatsapp, lambda unit: unit, labels)


def sms_messages(text: str) -> list[str]:
    """A staff member's (or a fixed) text as SMS messages."""
    return pack([(sep, sms_friendly(unit)) for sep, unit in _sentences(plain(text))], fits_sms)


def whatsapp_messages(text: str) -> list[str]:
    return pack(_sentences(plain(text)), fits_whatsapp)


def template_parameter(text: str) -> str:
    """A text as a WhatsApp template parameter: one line (no new lines, tabs or runs of spaces), short enough."""
    flat = " ".join(plain(text).split())
    if len(flat) <= TEMPLATE_PARAMETER_MAX_CHARS:
        return flat
    return flat[: TEMPLATE_PARAMETER_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
