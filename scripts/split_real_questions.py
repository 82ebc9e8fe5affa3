"""Assemble the real-question corpus and split it, once, by source site: knowledge/eval/real/{dev,test}.jsonl.

Usage: python scripts/split_real_questions.py <folder with en.jsonl, fr.jsonl, es.jsonl as collected>

Refuses to run when the halves exist: the split is made once, so that the test half stays sealed. A site
(the URL's host without "www.") is wholly in one half, whatever the language of its pages; sites are taken
in the order of their hash and each goes to the half that has fewer of that language's questions so far.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.catalog import GENERAL, PROCEDURES, TOPICS  # noqa: E402
from knowledge.documents import load_and_validate  # noqa: E402
from knowledge.names import ProcedureMatcher  # noqa: E402

REAL = ROOT / "knowledge" / "eval" / "real"
ROUTES = {"answer", "escalate_symptom", "escalate_booking", "escalate_admin", "urgent", "out_of_scope", "smalltalk"}
KEYS = ("text", "lang", "url", "verbatim", "source_kind", "context", "route", "procedure", "topic", "facts")


def site(url: str) -> str:
    host = urlsplit(url).hostname or url
    return host.removeprefix("www.")


def checked(row: dict) -> dict:
    missing = [k for k in KEYS if k not in row]
    if missing:
        raise ValueError(f"{row.get('text')!r}: missing {missing}")
    procedure = row["procedure"]
    if row["route"] not in ROUTES:
        raise ValueError(f"{row['text']!r}: unknown route {row['route']!r}")
    if procedure and procedure not in PROCEDURES + (GENERAL,) and not str(procedure).startswith("other:"):
        raise ValueError(f"{row['text']!r}: unknown procedure {procedure!r}")
    if row["topic"] and row["topic"] not in TOPICS:
        raise ValueError(f"{row['text']!r}: unknown topic {row['topic']!r}")
    return {k: row[k] for k in KEYS}


def main(folder: Path) -> int:
    if any((REAL / f"{half}.jsonl").exists() for half in ("dev", "test")):
        print("the corpus is already split; the split is made once", file=sys.stderr)
        return 1
    docs, _ = load_and_validate(ROOT / "knowledge" / "texts")
    matcher = ProcedureMatcher.from_entries(docs)
    halves: dict[str, list[dict]] = {"dev": [], "test": []}
    half_of_site: dict[str, str] = {}  # a site with pages in two languages stays in one half
    for lang in ("en", "fr", "es"):
        seen, by_site = set(), defaultdict(list)
        for line in (folder / f"{lang}.jsonl").read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = checked(json.loads(line))
            key = " ".join(row["text"].lower().split())
            if key in seen:
                continue
            seen.add(key)
            # A FAQ heading such as "Are there any risks?" names no procedure: in a new conversation the right
            # reply may ask which one (scored so in tooling/evaluate_dialogue.py).
            row["needs_context"] = bool(
                row["route"] == "answer" and row["procedure"] not in (None, GENERAL) and not matcher.procedures(row["text"])
            )
            by_site[site(row["url"])].append(row)
        sizes = {"dev": 0, "test": 0}
        for name in sorted(by_site, key=lambda s: hashlib.sha256(s.encode()).hexdigest()):
            half = half_of_site.setdefault(name, min(sizes, key=lambda h: (sizes[h], h)))
            halves[half].extend(by_site[name])
            sizes[half] += len(by_site[name])
    REAL.mkdir(parents=True, exist_ok=True)
    for half, rows in halves.items():
        counters: dict[str, int] = defaultdict(int)
        with (REAL / f"{half}.jsonl").open("w", encoding="utf-8") as out:
            for row in rows:
                counters[row["lang"]] += 1
                out.write(json.dumps({"id": f"{row['lang']}-{half}-{counters[row['lang']]:03d}", **row}, ensure_ascii=False) + "\n")
        print(half, dict(counters), len({site(r["url"]) for r in rows}), "sites")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
