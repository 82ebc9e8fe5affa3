"""docs/BENCHMARKS.md keeps the measurements the code's comments point to, across `make bench` runs."""

from __future__ import annotations

import re

from benchmarks.report import KEPT_HEADING, kept_section
from core.config import ROOT

BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"
PACKAGES = ["assistant", "actions", "knowledge", "rasa_addons", "rasa_sdk_plugins"]


def test_a_new_report_carries_the_hand_written_section_over():
    previous = BENCHMARKS.read_text()
    kept = kept_section(previous)
    assert kept.startswith(KEPT_HEADING + "\n") and previous.rstrip().endswith(kept)
    assert kept_section("# Benchmarks\n\n## 1. Conversation turns\n\nno such section\n") == ""


def test_every_module_whose_comments_point_to_the_measurements_has_a_row_there():
    kept = kept_section(BENCHMARKS.read_text())
    pointing = sorted(
        {
            str(path.relative_to(ROOT))
            for package in PACKAGES
            for path in (ROOT / package).rglob("*.py")
            if "Measurements behind design choices" in re.sub(r"\s+#?\s*", " ", path.read_text())
        }
    )
    assert pointing, "no module points to the section"
    assert [path for path in pointing if f"`{path}`" not in kept] == []
