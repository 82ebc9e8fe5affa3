"""Red-flag detector on the labelled phrasings: recall, false alarms, per language -> docs/EVALUATION.md."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.safety.red_flags import detect_red_flag  # noqa: E402
from tooling.evaluate import write_section  # noqa: E402

PHRASES = ROOT / "tests" / "data" / "red_flag_phrases.yml"


def main() -> int:
    phrases = yaml.safe_load(PHRASES.read_text(encoding="utf-8"))
    rows = [
        "## Emergency (red-flag) detection",
        "",
        "Command: `make eval` (`scripts/red_flag_report.py`) on `tests/data/red_flag_phrases.yml`, phrasings "
        "written before the detector (typos, SMS style, third person, negations, general questions, French, "
        "Spanish, German, Dutch, Turkish and messages mixing languages; some follow the wording of a public "
        "warning-sign list, named in the file). The same set is asserted phrase by phrase in `make test`.",
        "",
        "| language | urgent | detected | not urgent | false alarms |",
        "| --- | --- | --- | --- | --- |",
    ]
    missed, alarms = [], []
    started = time.perf_counter()
    totals = [0, 0, 0, 0]
    for lang in ("en", "fr", "es", "de", "nl", "tr", "mixed"):
        items = [p for p in phrases if p["lang"] == lang]
        urgent = [p for p in items if p["urgent"]]
        calm = [p for p in items if not p["urgent"]]
        hit = [p for p in urgent if detect_red_flag(p["text"])]
        false = [p for p in calm if detect_red_flag(p["text"])]
        missed += [p["text"] for p in urgent if p not in hit]
        alarms += [p["text"] for p in false]
        rows.append(f"| {lang} | {len(urgent)} | {len(hit)} | {len(calm)} | {len(false)} |")
        totals = [a + b for a, b in zip(totals, [len(urgent), len(hit), len(calm), len(false)], strict=True)]
    elapsed = (time.perf_counter() - started) / max(len(phrases), 1) * 1000
    rows.append(f"| all | {totals[0]} | {totals[1]} | {totals[2]} | {totals[3]} |")
    rows += [
        "",
        f"Recall {100 * totals[1] / totals[0]:.1f} %, false-alarm rate {100 * totals[3] / max(totals[2], 1):.1f} %, "
        f"{elapsed:.2f} ms per message.",
    ]
    if missed:
        rows += ["", "Missed: " + "; ".join(missed)]
    if alarms:
        rows += ["", "False alarms: " + "; ".join(alarms)]
    section = "\n".join(rows)
    print(section)
    write_section("red-flags", section)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
