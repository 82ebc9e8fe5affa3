"""The reply format every channel receives (README, "Chat API").

Two shapes arrive from Rasa's REST channel: the actions send one custom
payload holding text, buttons and fields; a domain response arrives as its
text followed by a separate message with its custom fields, merged here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from core.site import Site

# The contact form's fields a reply may ask for (`asks`, in the custom payload of domain.yml's utter_ask_<field>
# responses): the widget shows what to type in its input.
FORM_FIELDS = ("contact_name", "contact_method", "contact_about", "preferred_times")
ROUTES = ("answer", "clarify", "fallback", "escalate_booking", "escalate_admin", "escalate_symptom", "urgent", "out_of_scope", "smalltalk")


@dataclass
class Reply:
    text: str
    route: str
    buttons: list[dict] = field(default_factory=list)
    procedure: str | None = None
    topic: str | None = None
    sources: list[dict] = field(default_factory=list)
    score: float | None = None
    # An answer cut to the sentences asked about: the rest of its section, {"label", "text"}; `text` includes
    # it as "<label>\n<text>" for channels that cannot fold it (the widget folds it).
    more: dict | None = None
    # The contact form's field this reply asks the patient for (one of FORM_FIELDS), else None.
    asks: str | None = None

    def to_dict(self) -> dict:
        return asdict(self)

    def text_without_more(self) -> str:
        """The text without the folded rest of the section (the text itself if it has none)."""
        if not self.more:
            return self.text
        return self.text.replace(f"\n\n{self.more['label']}\n{self.more['text']}", "", 1)


def _buttons(raw) -> list[dict]:
    return [{"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in raw or [] if isinstance(b, dict)]


def _apply_data(reply: Reply, data: dict) -> None:
    if data.get("route") in ROUTES:
        reply.route = data["route"]
    reply.procedure = data.get("procedure") or reply.procedure
    reply.topic = data.get("topic") or reply.topic
    reply.sources = list(data.get("sources") or reply.sources)
    reply.score = data.get("score", reply.score)
    if data.get("asks") in FORM_FIELDS:
        reply.asks = data["asks"]
    more = data.get("more")
    if isinstance(more, dict) and isinstance(more.get("label"), str) and isinstance(more.get("text"), str):
        reply.more = {"label": more["label"], "text": more["text"]}


def from_rasa(messages: list[dict], site: Site) -> list[Reply]:
    replies: list[Reply] = []
    for message in messages:
        custom = message.get("custom") if isinstance(message.get("custom"), dict) else None
        if custom and custom.get("text"):
            replies.append(Reply(text=site.fill(str(custom["text"])), route="smalltalk", buttons=_buttons(custom.get("buttons"))))
            _apply_data(replies[-1], custom)
        elif message.get("text"):
            replies.append(Reply(text=site.fill(str(message["text"])), route="smalltalk", buttons=_buttons(message.get("buttons"))))
            if custom:
                _apply_data(replies[-1], custom)
        elif custom and replies:
            _apply_data(replies[-1], custom)
    return replies


def from_stored(text: str, data: dict) -> Reply:
    """A reply as stored with the conversation's messages (text, and the reply's other fields in `data`)."""
    reply = Reply(text=text, route="fallback", buttons=_buttons(data.get("buttons")))
    _apply_data(reply, data)
    return reply


def fixed(text: str, route: str, site: Site) -> Reply:
    return Reply(text=site.fill(text), route=route)
