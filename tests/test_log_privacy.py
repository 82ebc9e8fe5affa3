"""Phone numbers and e-mail addresses never reach the logs."""

from __future__ import annotations

import logging

import pytest

from core.log_privacy import MaskPersonalData, mask_text


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("sending to +447700900123", "447700900"),
        ("call 07700 900123 back", "07700 900"),
        ("from whatsapp:+33612345678", "3361234"),
        ("contact sam.jones@example.org please", "sam.jones"),
        ("patient (020) 7946-0000 called", "7946"),
    ],
)
def test_personal_data_is_masked(text, hidden):
    masked = mask_text(text)
    assert hidden not in masked
    assert masked != text


@pytest.mark.parametrize("text", ["ticket IR-7K3Q9A raised", "took 1500 ms", "angioplasty on 2026-11-23", "port 5005"])
def test_ordinary_numbers_and_references_stay_readable(text):
    assert mask_text(text) == text


def test_the_filter_masks_formatted_log_records(caplog):
    logger = logging.getLogger("test.privacy")
    caplog.handler.addFilter(MaskPersonalData())
    with caplog.at_level(logging.INFO, logger="test.privacy"):
        logger.info("reply sent to %s (%s)", "+447700900123", "sam@example.org")
    assert "447700900" not in caplog.text and "sam@example.org" not in caplog.text
