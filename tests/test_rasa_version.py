"""The Rasa version rasa_addons was written for: stated once, pinned the same, refused otherwise.

(What happens in the Rasa environment on another version: tests/test_rasa_addons.py.)
"""

from __future__ import annotations

import re

import pytest

from core.config import ROOT
from rasa_addons import rasa_version


def test_the_version_written_for_is_the_one_installed_by_the_pin():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)$", (ROOT / "requirements" / "rasa-constraints.txt").read_text(), re.M))
    assert pins["rasa"] == rasa_version.WRITTEN_FOR


def test_the_version_written_for_passes():
    rasa_version.check(rasa_version.WRITTEN_FOR)


@pytest.mark.parametrize("installed", ["3.6.22", "3.6.2", "3.7.0", "4.0.0"])
def test_any_other_version_is_refused_saying_what_to_do(installed):
    with pytest.raises(rasa_version.IncompatibleRasa) as refused:
        rasa_version.check(installed)
    message = str(refused.value)
    assert f"written for Rasa {rasa_version.WRITTEN_FOR}" in message and f"Rasa {installed} is installed" in message
    assert "requirements/rasa-constraints.txt" in message and "tests/test_rasa_addons.py" in message
