"""Building the assistant's replies: text for the patient plus the structured fields.

An action's message travels as one custom payload holding the text, the
buttons and the structured fields (`route`, `procedure`, `topic`, `sources`,
`score`). Not as Rasa's plain text: the REST channel would split a text at
every blank line into separate messages.
"""

from __future__ import annotations

from rasa_sdk.executor import CollectingDispatcher

from core.site import Site


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
) -> None:
    """`care_team_first`: the catalog's reminder that the care team's instructions come first, closing every answer.
    `lead` comes before the text (that it is given in English, say); `weekdays` are the day names of the
    text's language, for its {opening_hours}."""
    text = (
        (f"{lead}\n\n" if lead else "") + site.fill(chunk["text"], weekdays) + (f"\n\n{extra}" if extra else "") + f"\n\n{care_team_first}"
    )
    send(
        dispatcher,
        text,
        "answer",
        procedure=chunk["procedure"],
        topic=chunk["section"],
        sources=[source_of(chunk)],
        score=score,
        buttons=buttons,
    )


def procedure_button(procedure: str, title: str, intent: str = "inform_procedure") -> dict:
    return {"title": title, "payload": f'/{intent}{{"procedure": "{procedure}"}}'}
