"""The queue: what is shown, in which order, with which filters and counts, and the live urgent poll."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import func, select, update

from core.storage.conversations import add_messages
from core.storage.models import Ticket
from tests.support.inbox import raise_ticket, signed_in
from tests.support.web import web_headers

HOUR = dt.timedelta(hours=1)


def references_in(html: str) -> list[str]:
    return re.findall(r'data-reference="([^"]+)"', html)


def reference_of(db, ticket_id: int) -> str:
    with db.session() as session:
        return session.get(Ticket, ticket_id).reference


def set_status(db, ticket_id: int, status: str, assigned_to: int | None = None) -> None:
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == ticket_id).values(status=status, assigned_to_id=assigned_to))


def test_urgent_comes_first_then_clinical_booking_administrative_and_the_newest_first_within_each(inbox_app):
    db = inbox_app.extensions["db"]
    raised = {
        "admin_old": raise_ticket(db, "a1", "administrative", age=50 * HOUR),
        "booking_new": raise_ticket(db, "b1", "booking", age=1 * HOUR),
        "urgent_new": raise_ticket(db, "u1", "urgent", age=0.1 * HOUR),
        "clinical": raise_ticket(db, "c1", "clinical", age=3 * HOUR),
        "booking_old": raise_ticket(db, "b2", "booking", age=30 * HOUR),
        "urgent_old": raise_ticket(db, "u2", "urgent", age=2 * HOUR),
    }
    client, _ = signed_in(inbox_app, "anna")

    shown = references_in(client.get("/inbox/").get_data(as_text=True))

    expected = ["urgent_new", "urgent_old", "clinical", "booking_new", "booking_old", "admin_old"]
    assert shown == [reference_of(db, raised[name]) for name in expected]


def test_a_higher_priority_comes_before_the_type_order_and_a_lower_one_after(inbox_app):
    db = inbox_app.extensions["db"]
    raised = {
        name: raise_ticket(db, name, kind, age=hours * HOUR)
        for name, kind, hours in (
            ("urgent", "urgent", 1),
            ("clinical", "clinical", 2),
            ("booking", "booking", 3),
            ("admin", "administrative", 4),
        )
    }
    with db.session() as session:
        session.execute(update(Ticket).where(Ticket.id == raised["admin"]).values(priority="high"))
        session.execute(update(Ticket).where(Ticket.id == raised["clinical"]).values(priority="low"))
    client, _ = signed_in(inbox_app, "anna")

    html = client.get("/inbox/").get_data(as_text=True)

    expected = ["urgent", "admin", "booking", "clinical"]  # high, then normal, then low; by type within each
    assert references_in(html) == [reference_of(db, raised[name]) for name in expected]
    assert html.count("High priority") == 2 and html.count("Low priority") == 1


def test_resolved_tickets_leave_the_queue_and_the_status_filter_finds_them(inbox_app):
    db = inbox_app.extensions["db"]
    waiting, started, done = (raise_ticket(db, s, "booking") for s in ("p1", "p2", "p3"))
    set_status(db, started, "in_progress")
    set_status(db, done, "resolved")
    client, _ = signed_in(inbox_app, "anna")

    def shown(query: str = "") -> set[str]:
        return set(references_in(client.get(f"/inbox/{query}").get_data(as_text=True)))

    assert shown() == {reference_of(db, waiting), reference_of(db, started)}
    assert shown("?status=open") == {reference_of(db, waiting)}
    assert shown("?status=in_progress") == {reference_of(db, started)}
    assert shown("?status=resolved") == {reference_of(db, done)}


def test_filters_by_type_channel_and_assignee_and_counts_per_type(inbox_app):
    db = inbox_app.extensions["db"]
    client, me = signed_in(inbox_app, "anna")
    _, colleague = signed_in(inbox_app, "ben")
    web_booking = raise_ticket(db, "w1", "booking")
    sms_booking = raise_ticket(db, "+447700900123", "booking", channel="sms")
    sms_clinical = raise_ticket(db, "+447700900456", "clinical", channel="sms")
    mine = raise_ticket(db, "w2", "administrative")
    theirs = raise_ticket(db, "w3", "administrative")
    set_status(db, mine, "open", assigned_to=me)
    set_status(db, theirs, "open", assigned_to=colleague)

    def shown(query: str) -> set[int]:
        html = client.get(f"/inbox/?{query}").get_data(as_text=True)
        return {int(i) for i in re.findall(r'data-ticket-id="(\d+)"', html)}

    assert shown("kind=booking") == {web_booking, sms_booking}
    assert shown("channel=sms") == {sms_booking, sms_clinical}
    assert shown("kind=booking&channel=sms") == {sms_booking}
    assert shown("assignee=me") == {mine}
    assert shown(f"assignee={colleague}") == {theirs}
    assert shown("assignee=none") == {web_booking, sms_booking, sms_clinical}

    html = client.get("/inbox/?channel=sms&kind=booking").get_data(as_text=True)
    counts = dict(re.findall(r'id="count-([a-z]+)">(\d+)<', html))
    # Counts follow the other filters (here: SMS only) and ignore the type filter, so every type shows its number.
    assert counts == {"all": "2", "urgent": "0", "clinical": "1", "booking": "1", "administrative": "0"}


def test_an_unknown_filter_value_is_refused_with_a_clear_message(inbox_app):
    client, _ = signed_in(inbox_app, "anna")
    for query, message in [
        ("status=lost", "unknown status filter"),
        ("kind=gossip", "unknown ticket type"),
        ("channel=%3Cscript%3E", "channel name"),
        ("assignee=everyone", "me, none or a staff member"),
    ]:
        response = client.get(f"/inbox/?{query}")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)


def test_the_tab_title_and_counter_show_unresolved_urgent_tickets(inbox_app):
    db = inbox_app.extensions["db"]
    client, _ = signed_in(inbox_app, "anna")
    assert "<title>Inbox</title>" in client.get("/inbox/").get_data(as_text=True)

    raise_ticket(db, "p1", "urgent", "I am bleeding a lot")
    html = client.get("/inbox/").get_data(as_text=True)

    assert "<title>(1) URGENT – Inbox</title>" in html
    assert re.search(r'class="urgent-counter-number">1<', html)


def test_the_poll_reports_new_urgent_tickets_and_counts_other_new_ones(inbox_app):
    db = inbox_app.extensions["db"]
    client, _ = signed_in(inbox_app, "anna")
    before = raise_ticket(db, "p0", "urgent", "old emergency")
    html = client.get("/inbox/").get_data(as_text=True)
    latest = int(re.search(r'data-latest-ticket="(\d+)"', html).group(1))
    assert latest == before

    urgent = raise_ticket(db, "p1", "urgent", "my chest hurts", contact={"name": "Sam Jones"})
    raise_ticket(db, "p2", "booking")
    taken = raise_ticket(db, "p3", "urgent", "already being handled")
    set_status(db, taken, "in_progress")

    body = client.get(f"/inbox/api/urgent?after={latest}").json

    assert [t["id"] for t in body["new_urgent"]] == [urgent]
    new = body["new_urgent"][0]
    assert new["summary"] == "my chest hurts" and new["contact_name"] == "Sam Jones"
    assert new["url"] == f"/inbox/tickets/{urgent}" and new["channel_label"] == "web chat"
    assert [t["id"] for t in body["new_urgent"]] == [urgent]  # the one in progress is not announced: someone has it
    assert body["urgent_count"] == 3  # but it is counted until resolved, as the queue's Urgent filter counts it
    assert body["new_other"] == 1
    assert client.get("/inbox/api/urgent?after=abc").status_code == 400


def test_patient_text_is_shown_as_text_never_as_html(inbox_app):
    db = inbox_app.extensions["db"]
    raise_ticket(db, "p1", "booking", '<script>alert("x")</script><b>bold</b>', contact={"name": "<img src=x onerror=alert(1)>"})
    client, _ = signed_in(inbox_app, "anna")
    html = client.get("/inbox/").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html


def test_later_red_flags_join_the_open_urgent_ticket_and_alert_staff_again(inbox_app):
    db = inbox_app.extensions["db"]
    staff, _ = signed_in(inbox_app, "anna")
    patient = inbox_app.test_client()
    for text in ("I can't breathe", "my chest hurts so much", "I am bleeding a lot"):
        assert (
            patient.post("/api/chat", json={"message": text}, headers=web_headers(patient.application, "flood-1")).json["messages"][0][
                "route"
            ]
            == "urgent"
        )

    with db.session() as session:
        urgent = list(session.scalars(select(Ticket).where(Ticket.kind == "urgent")))
        assert len(urgent) == 1
        assert [e.action for e in urgent[0].events] == ["created", "red_flag_again", "red_flag_again"]
        assert urgent[0].events[-1].detail == "I am bleeding a lot"
    body = staff.get("/inbox/api/urgent?after=0&alerts_after=0").json
    assert [t["id"] for t in body["repeated_urgent"]] == [urgent[0].id]
    assert body["repeated_urgent"][0]["latest_message"] == "I am bleeding a lot"
    html = staff.get("/inbox/").get_data(as_text=True)
    assert f'data-latest-alert="{body["latest_alert"]}"' in html  # where the page starts watching
    assert staff.get(f"/inbox/api/urgent?alerts_after={body['latest_alert']}").json["repeated_urgent"] == []

    set_status(db, urgent[0].id, "resolved")
    patient.post("/api/chat", json={"message": "I can't breathe again"}, headers=web_headers(patient.application, "flood-1"))
    with db.session() as session:
        assert session.scalar(select(func.count(Ticket.id)).where(Ticket.kind == "urgent", Ticket.status == "open")) == 1


def test_each_row_shows_the_conversations_language_by_its_catalog_name(inbox_app):
    db = inbox_app.extensions["db"]
    add_messages(db, "web", "fr1", [("patient", "Comment dois-je me préparer pour l'embolisation ?", {})], language="fr")
    add_messages(db, "sms", "+34600000001", [("patient", "¿Cuándo puedo conducir después?", {})], language="es")
    french = raise_ticket(db, "fr1", "booking", age=3 * HOUR)
    spanish = raise_ticket(db, "+34600000001", "booking", channel="sms", age=2 * HOUR)
    unknown = raise_ticket(db, "quiet", "booking", age=1 * HOUR)  # the patient wrote too little to tell
    client, _ = signed_in(inbox_app, "anna")

    html = client.get("/inbox/").get_data(as_text=True)

    cells = dict(re.findall(r'data-ticket-id="(\d+)".*?<td class="language">(.*?)</td>', html, re.S))
    assert re.sub(r"<[^>]+>", "", cells[str(french)]) == "FR Français"
    assert re.sub(r"<[^>]+>", "", cells[str(spanish)]) == "ES Español"
    assert '<span lang="fr">Français</span>' in cells[str(french)]  # read out in its own language
    assert re.sub(r"<[^>]+>", "", cells[str(unknown)]) == "—"
    # The live urgent rows carry the same.
    add_messages(db, "web", "fr2", [("patient", "Je saigne beaucoup au point de ponction", {})], language="fr")
    urgent = raise_ticket(db, "fr2", "urgent", "Je saigne beaucoup")
    [new] = client.get(f"/inbox/api/urgent?after={urgent - 1}").json["new_urgent"]
    assert (new["language"], new["language_name"], new["language_label"]) == ("fr", "Français", "FR Français")


def header_and_filter_counts(html: str) -> tuple[int, int, dict[str, int]]:
    title = re.search(r"<title>(?:\((\d+)\) URGENT – )?Inbox</title>", html).group(1)
    header = int(re.search(r'class="urgent-counter-number">(\d+)<', html).group(1))
    counts = {kind: int(n) for kind, n in re.findall(r'id="count-([a-z]+)">(\d+)<', html)}
    return int(title or 0), header, counts


def test_the_header_count_and_the_filter_counts_are_one_count(inbox_app):
    """ "126 urgent open" stood beside "127 Urgent": the header counted open tickets, the filter open and in
    progress. Both now come from one function, so a queue with an urgent ticket in progress shows one number."""
    db = inbox_app.extensions["db"]
    client, me = signed_in(inbox_app, "anna")
    waiting = [raise_ticket(db, f"u{i}", "urgent", age=i * HOUR) for i in range(2)]
    handled = raise_ticket(db, "u-handled", "urgent")
    set_status(db, handled, "in_progress", assigned_to=me)
    set_status(db, raise_ticket(db, "u-done", "urgent"), "resolved")
    raise_ticket(db, "b1", "booking")
    raise_ticket(db, "+447700900123", "urgent", channel="sms")

    html = client.get("/inbox/").get_data(as_text=True)
    title, header, counts = header_and_filter_counts(html)
    assert title == header == counts["urgent"] == 4  # two waiting, one in progress, the SMS one; not the resolved one
    assert counts == {"all": 5, "urgent": 4, "clinical": 0, "booking": 1, "administrative": 0}
    assert len(references_in(client.get("/inbox/?kind=urgent").get_data(as_text=True))) == header
    assert 'href="/inbox/?kind=urgent"' in html  # the header's count leads to exactly those tickets

    # The page's live poll hands back the same numbers, from the same function, for the page's filters.
    polled = client.get("/inbox/api/urgent?after=0&counts=1&status=active&kind=&channel=&assignee=").json
    assert polled["urgent_count"] == header and polled["counts"] == {k: v for k, v in counts.items() if k != "all"}
    sms = client.get("/inbox/api/urgent?after=0&counts=1&status=active&channel=sms").json
    _, _, sms_page = header_and_filter_counts(client.get("/inbox/?channel=sms").get_data(as_text=True))
    assert sms["counts"]["urgent"] == sms_page["urgent"] == 1 and sms["urgent_count"] == 4  # the header ignores filters
    assert "counts" not in client.get("/inbox/api/urgent?after=0").json  # other pages do not ask for them
    assert client.get("/inbox/api/urgent?after=0&counts=1&status=lost").status_code == 400

    # Resolving one changes every count at once.
    set_status(db, waiting[0], "resolved")
    title, header, counts = header_and_filter_counts(client.get("/inbox/").get_data(as_text=True))
    assert title == header == counts["urgent"] == 3


def test_a_new_urgent_ticket_is_the_first_row_and_tickets_someone_handles_come_after_the_unhandled(inbox_app):
    db = inbox_app.extensions["db"]
    client, me = signed_in(inbox_app, "anna")
    urgent_handled = raise_ticket(db, "u1", "urgent", age=0.2 * HOUR)  # newer, but someone is on it
    urgent_waiting = raise_ticket(db, "u2", "urgent", age=5 * HOUR)
    booking_handled = raise_ticket(db, "b1", "booking", age=1 * HOUR)
    booking_new = raise_ticket(db, "b2", "booking", age=2 * HOUR)
    booking_old = raise_ticket(db, "b3", "booking", age=30 * HOUR)
    for handled in (urgent_handled, booking_handled):
        set_status(db, handled, "in_progress", assigned_to=me)

    def order() -> list[int]:
        return [int(i) for i in re.findall(r'data-ticket-id="(\d+)"', client.get("/inbox/").get_data(as_text=True))]

    assert order() == [urgent_waiting, urgent_handled, booking_new, booking_old, booking_handled]

    just_now = raise_ticket(db, "u3", "urgent", "I am bleeding a lot")
    assert order()[0] == just_now
    assert order() == [just_now, urgent_waiting, urgent_handled, booking_new, booking_old, booking_handled]
