"""`make eval`: the whole assistant scored on real patients' questions, the way a patient meets it.

Every question of a set goes through `POST /api/chat` of the running assistant (the same processes
`make run` starts), each in a new conversation, and the reply is compared with its labels
(knowledge/eval/real/README.md). The development half is scored on every run; the sealed test half only
with `--sealed`, once at the end of a change, and each sealed run is appended to its history.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import requests

from core.config import ROOT
from core.language import identify

REAL = ROOT / "knowledge" / "eval" / "real"
HALVES = {"dev": REAL / "dev.jsonl", "test": REAL / "test.jsonl"}
ROUTES = ("answer", "escalate_symptom", "escalate_booking", "escalate_admin", "urgent", "out_of_scope", "smalltalk")
ESCALATIONS = ("escalate_symptom", "escalate_booking", "escalate_admin")
# A turn can have several replies ("Hello!" then the answer): the one that decides what the patient gets.
_PRIORITY = (
    "urgent",
    "escalate_symptom",
    "escalate_booking",
    "escalate_admin",
    "answer",
    "clarify",
    "fallback",
    "out_of_scope",
    "smalltalk",
)


def load(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def turn_route(replies: list[dict]) -> str:
    routes = {r.get("route") for r in replies}
    return next((r for r in _PRIORITY if r in routes), "none")


def covered(item: dict) -> bool:
    """The question is about something the texts cover (not an `other:` procedure)."""
    return not str(item.get("procedure") or "").startswith("other:")


@dataclass
class Scored:
    item: dict
    route: str
    procedure: str | None
    topic: str | None
    has_source: bool
    language: str | None

    @property
    def route_ok(self) -> bool:
        want = self.item["route"]
        if self.item.get("needs_context") and self.route == "clarify":
            return True  # a FAQ heading naming no procedure: asking which one is right
        if want == "answer" and not covered(self.item):
            # No text for it: anything but an answer from another procedure's leaflet is right.
            return self.route != "answer" or self.procedure in (None, "general_ir")
        if want in ESCALATIONS:
            # Handing over is right; which desk is a secondary measure (the confusion table shows it).
            return self.route in ESCALATIONS
        return self.route == want

    @property
    def answer_target(self) -> bool:
        """Scored on procedure and section: a covered procedure the question names (or the general pages)."""
        return (
            self.item["route"] == "answer"
            and covered(self.item)
            and bool(self.item.get("procedure"))
            and not self.item.get("needs_context")
        )


def score(item: dict, replies: list[dict]) -> Scored:
    main = next((r for r in replies if r.get("route") == "answer"), replies[0] if replies else {})
    return Scored(
        item=item,
        route=turn_route(replies),
        procedure=main.get("procedure"),
        topic=main.get("topic"),
        has_source=bool(main.get("sources")),
        language=identify(" ".join(r.get("text", "") for r in replies)),
    )


@dataclass
class Table:
    rows: list[Scored] = field(default_factory=list)

    def summary(self) -> dict[str, str]:
        rows = self.rows
        urgent = [s for s in rows if s.item["route"] == "urgent"]
        calm = [s for s in rows if s.item["route"] != "urgent"]
        escalations = [s for s in rows if s.item["route"] in ESCALATIONS]
        answers = [s for s in rows if s.answer_target]
        answered = [s for s in answers if s.route == "answer"]
        in_language = [s for s in rows if s.language in (None, s.item["lang"])]

        def pct(part: int, whole: int) -> str:
            return f"{100 * part / whole:.1f} % ({part}/{whole})" if whole else "–"

        return {
            "questions": str(len(rows)),
            "route": pct(sum(s.route_ok for s in rows), len(rows)),
            "emergency recall": pct(sum(s.route == "urgent" for s in urgent), len(urgent)),
            "false alarms": pct(sum(s.route == "urgent" for s in calm), len(calm)),
            "escalation recall": pct(sum(s.route in ESCALATIONS for s in escalations), len(escalations)),
            "procedure": pct(sum(s.procedure == s.item["procedure"] for s in answers), len(answers)),
            "section": pct(sum(s.topic == s.item["topic"] for s in answers), len(answers)),
            "procedure+section": pct(sum(s.procedure == s.item["procedure"] and s.topic == s.item["topic"] for s in answers), len(answers)),
            "answers with a source": pct(sum(s.has_source for s in answered), len(answered)),
            "reply in the patient's language": pct(len(in_language), len(rows)),
        }

    def confusion(self) -> list[str]:
        counts = Counter((s.item["route"], s.route) for s in self.rows)
        got = sorted({g for _, g in counts})
        lines = ["| expected \\ got | " + " | ".join(got) + " |", "| --- |" + " --- |" * len(got)]
        for want in ROUTES:
            if any(w == want for w, _ in counts):
                lines.append(f"| {want} | " + " | ".join(str(counts.get((want, g), "")) for g in got) + " |")
        return lines


def ask_all(gateway: str, items: list[dict], run_id: str) -> Table:
    """Each question in a new conversation, without a page language (as an SMS patient writes: the language is
    the message's own), through the chat API as the started system's test integration."""
    from tests.support.web import integration_headers

    table = Table()
    session = requests.Session()
    session.headers.update(integration_headers())
    for n, item in enumerate(items):
        response = session.post(f"{gateway}/api/chat", json={"sender": f"eval-{run_id}-{n}", "message": item["text"]}, timeout=60)
        response.raise_for_status()
        table.rows.append(score(item, response.json()["messages"]))
    return table


def report(half: str, tables: dict[str, Table], commit: str) -> str:
    measures = list(next(iter(tables.values())).summary())
    langs = [lang for lang in ("en", "fr", "es") if lang in tables] + ["all"]
    lines = [
        f"### Real patients' questions, {half} half, through the running assistant ({commit})",
        "",
        "| measure | " + " | ".join(langs) + " |",
        "| --- |" + " --- |" * len(langs),
    ]
    summaries = {lang: tables[lang].summary() for lang in langs}
    for m in measures:
        lines.append(f"| {m} | " + " | ".join(summaries[lang][m] for lang in langs) + " |")
    lines += ["", "Routes, expected (rows) against given (columns), all languages:", "", *tables["all"].confusion()]
    return "\n".join(lines)


def run(half: str) -> str:
    from tests.support.system import start_system, stop_system
    from tooling.evaluate import write_section

    items = load(HALVES[half])
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    with tempfile.TemporaryDirectory() as workdir:
        # Every question comes from this one address: the per-address limit (one household's) would refuse most.
        system = start_system(Path(workdir), extra_env={"ASSISTANT_RATE_LIMIT_PER_ADDRESS": "100000 per minute"})
        try:
            everything = ask_all(system.gateway, items, dt.datetime.now().strftime("%H%M%S"))
        finally:
            stop_system(system)
    by_language: dict[str, Table] = defaultdict(Table)
    for row in everything.rows:
        by_language[row.item["lang"]].rows.append(row)
    by_language["all"] = everything
    text = report(half, dict(by_language), commit)
    misses = [
        f"- [{s.item['lang']}] {s.item['text'][:90]!r}: expected {s.item['route']}"
        f"{'/' + str(s.item.get('procedure')) + '/' + str(s.item.get('topic')) if s.answer_target else ''}, "
        f"got {s.route}/{s.procedure}/{s.topic}"
        for s in everything.rows
        if not s.route_ok or (s.answer_target and (s.procedure, s.topic) != (s.item["procedure"], s.item["topic"]))
    ] + [
        f"- [{s.item['lang']}] {s.item['text'][:90]!r}: replied in {s.language}"
        for s in everything.rows
        if s.language not in (None, s.item["lang"])
    ]
    if half == "dev":
        write_section("real-dev", text)
        (ROOT / "var").mkdir(exist_ok=True)
        (ROOT / "var" / "real-dev-misses.txt").write_text("\n".join(misses) + "\n", encoding="utf-8")
    else:
        history = REAL / "SEALED_HISTORY.md"
        with history.open("a", encoding="utf-8") as out:
            out.write(f"\n## {dt.date.today().isoformat()} at {commit}\n\n{text}\n")
        write_section("real-test", text)
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sealed", action="store_true", help="score the sealed test half (once, at the end of a change)")
    args = parser.parse_args()
    print(run("test" if args.sealed else "dev"))


if __name__ == "__main__":
    main()
