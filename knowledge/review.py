"""Clinical review of the texts: their status, what is overdue, what changed since sign-off, and whether
the department may go live (production mode refuses drafts and overdue texts)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from knowledge.documents import Document


@dataclass(frozen=True)
class Status:
    doc: str
    state: str  # "signed", "changed since sign-off" or "draft"
    signed_by: str | None
    signed_on: str | None
    review_due: dt.date | None
    changed: list[str]

    def overdue(self, today: dt.date) -> bool:
        return self.review_due is not None and self.review_due < today


def status_of(doc: Document) -> Status:
    sign_off = doc.sign_off or {}
    changed = doc.changed_since_sign_off() if sign_off else []
    state = "draft" if not sign_off else ("changed since sign-off" if changed else "signed")
    return Status(doc.id, state, sign_off.get("name"), str(sign_off["date"]) if sign_off.get("date") else None, doc.review_due, changed)


def report(docs: list[Document], today: dt.date) -> list[str]:
    """The review report `make knowledge` prints: counts by status, then each text that needs a clinician."""
    statuses = [status_of(d) for d in docs]
    counts = {state: sum(s.state == state for s in statuses) for state in ("signed", "changed since sign-off", "draft")}
    lines = [
        "review: " + ", ".join(f"{n} {state}" for state, n in counts.items() if n) + f"; {sum(s.overdue(today) for s in statuses)} overdue"
    ]
    for s in statuses:
        if s.state == "changed since sign-off":
            lines.append(f"review:   {s.doc}: signed by {s.signed_by} on {s.signed_on}; changed since: {', '.join(s.changed)}")
        if s.overdue(today):
            lines.append(f"review:   {s.doc}: review was due {s.review_due}")
    if counts["draft"]:
        lines.append("review:   drafts: " + ", ".join(s.doc for s in statuses if s.state == "draft"))
    return lines


def refusals(docs: list[Document], today: dt.date) -> list[str]:
    """Why production mode would not start with these texts (empty: it may)."""
    found = []
    for s in map(status_of, docs):
        if s.state != "signed":
            found.append(f"text '{s.doc}' is not signed off by a clinician ({s.state})")
        if s.overdue(today):
            found.append(f"text '{s.doc}' was due for review on {s.review_due}")
    return found


def production_refusals(settings, today: dt.date) -> list[str]:
    """Why production mode would not start with these settings: the example site.yml, draft or overdue texts, a
    language with texts whose department names site.yml does not give."""
    from knowledge.documents import load_and_validate

    found = (
        [f"{settings.site_path} still holds the example values (remove 'example: true' once they are yours)"]
        if settings.site.example
        else []
    )
    from knowledge.languages import REFERENCE, texts_dir, with_texts

    for language in with_texts(settings.knowledge_dir):
        docs, _ = load_and_validate(texts_dir(settings.knowledge_dir, language), today, complete=language == REFERENCE)
        prefix = "" if language == REFERENCE else f"[{language}] "
        found += [prefix + reason for reason in refusals(docs, today)]
        missing = [] if language == REFERENCE else untranslated_facts(settings.site, language)
        if missing:
            found.append(
                f"{prefix}{settings.site_path} gives no '{language}' value for {', '.join(missing)} under in_languages: "
                "replies in that language would name them in English"
            )
    return found


def untranslated_facts(site, language: str) -> list[str]:
    """The department's names and sentences site.yml does not give in `language`."""
    from core.site import LOCALISED_FACTS

    return [fact for fact in LOCALISED_FACTS if not site.gives(fact, language)]


def enforce(settings, today: dt.date, say) -> None:
    """Production mode: raise with every reason it must not start. Demo mode: `say` what production would refuse."""
    found = production_refusals(settings, today)
    if found and settings.mode == "production":
        raise RuntimeError("production mode refuses to start:\n  " + "\n  ".join(found))
    if found:
        say(f"demo mode: production (ASSISTANT_MODE=production) would refuse to start: {len(found)} reason(s), first: {found[0]}")
