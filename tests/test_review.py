"""Clinical review as a workflow: sign-off recorded with section hashes, drafts shown as drafts, production
mode refusing drafts, overdue texts and the example site.yml (knowledge/review.py, knowledge/sign_off.py)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil

import pytest
import yaml

from core.config import ROOT, Settings
from knowledge import review
from knowledge.build import chunks_of
from knowledge.documents import load_and_validate
from knowledge.sign_off import sign_off

TODAY = dt.date(2026, 12, 5)
SOURCE = '  - {publisher: "Example Society", title: "Embolisation", url: "https://example.org/e", date: "2025-06-01"}'


@pytest.fixture
def texts(tmp_path):
    target = tmp_path / "texts"
    shutil.copytree(ROOT / "knowledge" / "texts", target, ignore=shutil.ignore_patterns("fr", "es"))  # English only
    return target


def with_full_sources(path):
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^sources:\n(?:  - .*\n)+", "sources:\n" + SOURCE + "\n", text), encoding="utf-8")


def doc(texts, text_id):
    docs, _ = load_and_validate(texts, TODAY)
    return next(d for d in docs if d.id == text_id)


def test_every_shipped_text_is_a_draft_and_is_shown_as_one():
    docs, _ = load_and_validate(ROOT / "knowledge" / "texts", TODAY)
    chunks = chunks_of(docs)
    assert {c["status"] for c in chunks} == {"draft"} and {c["reviewed"] for c in chunks} == {None}


def test_sign_off_refuses_sources_without_publisher_url_and_date(texts):
    refused = sign_off(texts, "embolization", "Dr A. Clinician", "Consultant interventional radiologist", TODAY)
    assert refused and "publisher, title, url, date" in refused[0]
    assert doc(texts, "embolization").sign_off is None


def test_a_signed_text_is_shown_as_reviewed_until_a_section_changes(texts):
    with_full_sources(texts / "embolization.md")
    assert sign_off(texts, "embolization", "Dr A. Clinician", "Consultant interventional radiologist", TODAY) == []
    signed = doc(texts, "embolization")
    assert signed.signed and signed.reviewed == "2026-12-05"
    chunk = next(c for c in chunks_of([signed]) if c["section"] == "driving")
    assert (chunk["status"], chunk["reviewed"]) == ("signed", "2026-12-05")
    assert [s.state for s in map(review.status_of, [signed])] == ["signed"]

    path = texts / "embolization.md"
    path.write_text(path.read_text(encoding="utf-8").replace("## risks\n", "## risks\nA sentence added later.\n"), encoding="utf-8")
    changed = doc(texts, "embolization")
    assert changed.changed_since_sign_off() == ["risks"] and not changed.signed and changed.reviewed is None
    _, problems = load_and_validate(texts, TODAY)
    assert any("changed since its sign-off" in str(p) and "risks" in str(p) for p in problems)
    assert any("changed since: risks" in line for line in review.report([changed], TODAY))


def test_the_review_report_counts_statuses_and_names_overdue_texts(texts):
    docs, _ = load_and_validate(texts, dt.date(2028, 1, 1))
    lines = review.report(docs, dt.date(2028, 1, 1))
    assert lines[0].startswith(f"review: {len(docs)} draft; {len(docs)} overdue")
    assert any("embolization: review was due 2027-11-23" in line for line in lines)


def test_production_mode_refuses_drafts_and_the_example_site_and_demo_mode_only_says_so(texts):
    settings = dataclasses.replace(Settings.from_env(), knowledge_dir=texts, mode="production")
    found = review.production_refusals(settings, TODAY)
    assert any("example values" in f for f in found) and any("'embolization' is not signed off" in f for f in found)
    with pytest.raises(RuntimeError, match="production mode refuses to start"):
        review.enforce(settings, TODAY, print)
    said = []
    review.enforce(dataclasses.replace(settings, mode="demo"), TODAY, said.append)
    assert said and said[0].startswith("demo mode: production")


def test_production_mode_starts_when_every_text_is_signed_and_the_site_is_real(texts, tmp_path):
    for path in sorted(texts.glob("*.md"))[3:]:  # three texts are enough, and each sign-off validates them all
        path.unlink()
    for path in sorted(texts.glob("*.md")):
        with_full_sources(path)
        assert sign_off(texts, path.stem, "Dr A. Clinician", "Consultant", TODAY) == [], path
    site = tmp_path / "site.yml"
    site.write_text((ROOT / "site.yml").read_text(encoding="utf-8").replace("example: true\n", ""), encoding="utf-8")
    settings = dataclasses.replace(Settings.from_env(), knowledge_dir=texts, site_path=site, mode="production")
    assert review.production_refusals(settings, TODAY) == []


def test_production_mode_refuses_a_language_with_texts_whose_department_names_site_yml_does_not_give(texts, tmp_path):
    """A French text answered with "du Interventional Radiology Department": the names in each language with texts."""
    (texts / "fr").mkdir()
    shutil.copy(ROOT / "knowledge" / "texts" / "fr" / "embolization.md", texts / "fr" / "embolization.md")
    data = yaml.safe_load((ROOT / "site.yml").read_text(encoding="utf-8"))
    del data["in_languages"]["fr"]["response_time"]
    site = tmp_path / "site.yml"
    site.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    settings = dataclasses.replace(Settings.from_env(), knowledge_dir=texts, site_path=site, mode="production")
    assert [f for f in review.production_refusals(settings, TODAY) if "in_languages" in f] == [
        f"[fr] {site} gives no 'fr' value for response_time under in_languages: replies in that language would name them in English"
    ]
    shipped = dataclasses.replace(settings, site_path=ROOT / "site.yml")
    assert not [f for f in review.production_refusals(shipped, TODAY) if "in_languages" in f]


def test_the_gateway_refuses_production_with_the_example_site(monkeypatch):
    from assistant.gateway import create_app

    with pytest.raises(RuntimeError, match="example values"):
        create_app(dataclasses.replace(Settings.from_env(), mode="production"))


def test_the_action_server_refuses_production_when_it_starts_and_importing_its_actions_checks_nothing(monkeypatch):
    import importlib
    import time

    from rasa_sdk.plugin import plugin_manager
    from sanic import Sanic

    import actions
    from actions import services
    from rasa_sdk_plugins import ActionServerStart

    # The action server finds the start through its plug-in hook (it runs in the project folder, as here).
    assert any(isinstance(plugin, ActionServerStart) for plugin in plugin_manager().get_plugins())
    monkeypatch.setenv("ASSISTANT_MODE", "production")  # with the shipped texts (drafts) and the example site.yml
    services.settings.cache_clear()
    try:
        importlib.reload(actions)  # what a process that only imports the actions runs: no check, no refusal
        with pytest.raises(RuntimeError, match="production mode refuses to start"):
            ActionServerStart().attach_sanic_app_extensions(Sanic(f"actions_{time.monotonic_ns()}"))
    finally:
        services.settings.cache_clear()


def test_an_unknown_mode_is_refused(monkeypatch):
    monkeypatch.setenv("ASSISTANT_MODE", "prod")
    with pytest.raises(ValueError, match="ASSISTANT_MODE"):
        Settings.from_env()


def test_a_draft_in_another_language_also_keeps_production_from_starting(texts, tmp_path):
    for path in sorted(texts.glob("*.md"))[3:]:
        path.unlink()
    for path in sorted(texts.glob("*.md")):
        with_full_sources(path)
        assert sign_off(texts, path.stem, "Dr A. Clinician", "Consultant", TODAY) == [], path
    (texts / "fr").mkdir()
    shutil.copy(ROOT / "knowledge" / "texts" / "fr" / "embolization.md", texts / "fr" / "embolization.md")
    site = tmp_path / "site.yml"
    site.write_text((ROOT / "site.yml").read_text(encoding="utf-8").replace("example: true\n", ""), encoding="utf-8")
    settings = dataclasses.replace(Settings.from_env(), knowledge_dir=texts, site_path=site, mode="production")
    assert review.production_refusals(settings, TODAY) == ["[fr] text 'embolization' is not signed off by a clinician (draft)"]
