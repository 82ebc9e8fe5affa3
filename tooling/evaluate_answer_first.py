"""How often the answer's first sentences hold what a real question asked (issue #22, "the answer first").

For each question of the real development half that is labelled with a procedure, a section and key facts, the
labelled section is folded for that question (knowledge/answer_first.py) and its lead is checked for each key fact;
the same number of the section's opening sentences is the baseline. A fact counts as held when most of its stemmed
content words (knowledge/keywords.py) are in the text. Development half only: the sealed half is not read here.
English only: the French and Spanish questions' key facts are written in English, so they cannot be found word for
word in the French and Spanish texts.

    .venv/bin/python -m tooling.evaluate_answer_first      (part of `make eval`)
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.config import ROOT, Settings
from knowledge.answer_first import fold, topic_words, units_of
from knowledge.keywords import tokenize
from knowledge.languages import index_dir
from knowledge.retriever import Retriever
from tooling.evaluate import write_section

DEV = ROOT / "knowledge" / "eval" / "real" / "dev.jsonl"
HELD = 0.6  # share of a fact's content words that must be in the text


def holds(fact: str, text: str, language: str) -> bool:
    wanted = set(tokenize(fact, language))
    return bool(wanted) and len(wanted & set(tokenize(text, language))) / len(wanted) >= HELD


@dataclass
class Tally:
    questions: int = 0
    folded: int = 0
    in_section: int = 0  # a fact held somewhere in the section: the ceiling
    in_lead: int = 0
    in_opening: int = 0


def score(items: list[dict]) -> dict[str, Tally]:
    settings = Settings.from_env()
    retrievers: dict[str, Retriever] = {}
    tallies: dict[str, Tally] = {}
    for item in items:
        language = item["lang"]
        if language not in retrievers:
            retrievers[language] = Retriever(settings.knowledge_dir, index_dir(settings.index_dir, language), language=language)
        chunk = retrievers[language].lookup(item["procedure"], item["topic"])
        if chunk is None:
            continue
        tally = tallies.setdefault(language, Tally())
        tally.questions += 1
        text, facts = chunk["text"], item["facts"]
        if not any(holds(fact, text, language) for fact in facts):
            continue  # the section lacks the fact: no order of its sentences can help
        tally.in_section += 1
        folded = fold(text, item["text"], item["topic"], language, topic=topic_words(chunk))
        if folded is None:  # sent whole: the fact is in what the patient reads first
            tally.in_lead += 1
            tally.in_opening += 1
            continue
        tally.folded += 1
        chosen = len(units_of(folded.lead))
        opening = " ".join(unit.text for unit in units_of(text)[:chosen])
        tally.in_lead += any(holds(fact, folded.lead, language) for fact in facts)
        tally.in_opening += any(holds(fact, opening, language) for fact in facts)
    return tallies


def table(tallies: dict[str, Tally]) -> str:
    def share(part: int, whole: int) -> str:
        return f"{part}/{whole} ({100 * part / whole:.0f} %)" if whole else "—"

    lines = [
        "### The answer first: is the asked fact in the first sentences? (real questions, development half)",
        "",
        "Questions labelled with a procedure, a section and key facts; the labelled section folded for the question",
        "(`tooling/evaluate_answer_first.py`). *Fact in section*: the section holds a key fact at all (the ceiling); of those,",
        "*lead* is the answer's first sentences (the whole section where it is sent whole), *opening* the same number of",
        "the section's own first sentences. English only (the French and Spanish questions' facts are labelled in English).",
        "",
        "| language | questions | fact in section | sent folded | fact in the lead | fact in the opening sentences |",
        "|---|---|---|---|---|---|",
    ]
    for language, t in sorted(tallies.items()):
        lines.append(
            f"| {language} | {t.questions} | {t.in_section} | {t.folded} | {share(t.in_lead, t.in_section)} "
            f"| {share(t.in_opening, t.in_section)} |"
        )
    return "\n".join(lines)


def main() -> None:
    items = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    items = [i for i in items if i["lang"] == "en" and i["route"] == "answer" and i["procedure"] and i["topic"] and i["facts"]]
    report = table(score(items))
    write_section("answer-first", report)
    print(report)


if __name__ == "__main__":
    main()
