"""Building the assistant's replies: text for the patient plus the structured fields.

An action's message travels as one custom payload holding the text, the
buttons and the structured fields (`route`, `procedure`, `topic`, `sources`,
`score`, and for an answer cut to the sentences asked about, `more`: the rest of the section, which the
widget folds; `text` holds the whole answer for channels that cannot fold). Not as Rasa's plain text: the REST channel would split a text at
every blank line into separate messages.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from core.site import Site
from knowledge.answer_first import Folded


def source_of(chunk: dict) -> dict:
    return {
        "doc": chunk["doc"],
        "section": chunk["section"],
        "section_title": chunk["section_title"],
        "title": chunk["title"],
        "status": chunk["status"],
        "reviewed": chunk["reviewed"],
        "language": chunk.get("language", "en"),
    }


def send(
    dispatcher: CollectingDispatcher,
    text: str,
    route: str,
    *,
    procedure: str | None = None,
    topic: str | None = None,
    sources: list[dict] | None = None,
    score: float | None = None,
    buttons: list[dict] | None = None,
    more: dict | None = None,
) -> None:
    dispatcher.utter_message(
        json_message={
            "text": text,
            "buttons": buttons or [],
            "route": route,
            "procedure": procedure,
            "topic": topic,
            "sources": sources or [],
            "score": None if score is None else round(float(score), 3),
            "more": more,
        }
    )


def send_answer(
    dispatcher: CollectingDispatcher,
    site: Site,
    chunk: dict,
    score: float,
    care_team_first: str,
    extra: str = "",
    buttons: list[dict] | None = None,
    lead: str = "",
    weekdays: list[str] | None = None,
    folded: Folded | None = None,
    more_label: str = "",
) -> None:
    """`care_team_first`: the catalog's reminder that the care team's instructions come first, after the
    section ("" once the conversation had it); `extra`, the sentence that leads to `buttons`, closes the answer.
    `lead` comes before the text (that it is given in English, say); `weekdays` are the day names of the text's
    language, for its {opening_hours} (the text's `language` also names the department in it, from site.yml).
    `folded`: the section's (filled) text cut into the sentences that answer and the rest, which follows under
    `more_label` and is also sent apart as `more`."""
    section = (
        site.fill(chunk["text"], weekdays, chunk.get("language")) if folded is None else f"{folded.lead}\n\n{more_label}\n{folded.rest}"
    )
    # `extra` last: it leads to the buttons below the answer ("...tell me which procedure you are having:").
    closing = [part for part in (care_team_first, extra) if part]
    text = "\n\n".join([*([lead] if lead else []), section, *closing])
    more = None if folded is None else {"label": more_label, "text": folded.rest}
    send(
        dispatcher,
        text,
        "answer",
        procedure=chunk["procedure"],
        topic=chunk["section"],
        sources=[source_of(chunk)],
        score=score,
        buttons=buttons,
        more=more,
    )


def procedure_button(procedure: str, title: str, intent: str = "inform_procedure") -> dict:
    return {"title": title, "payload": f'/{intent}{{"procedure": "{procedure}"}}'}
