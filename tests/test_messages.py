"""The message catalogs (messages/<language>.yml): complete where safety needs them, one emergency text."""

from __future__ import annotations

import ast
import json
import re

import pytest
import yaml

from core.config import ROOT, Settings
from core.messages import REFERENCE, SAFE_LOADER, SAFETY_KEYS, Messages
from core.site import KNOWN_PLACEHOLDERS, PLACEHOLDER

MESSAGES = Messages.load(ROOT / "messages")
LANGUAGES = sorted(MESSAGES.catalogs)
# A sentence's own placeholders, filled by the code that says it (Messages.text's `values`), not from site.yml.
OWN_PLACEHOLDERS = {
    "request_saved": {"reference"},
    "no_text": {"name"},
    "warning_signs_meanwhile": {"title"},
    "answer_more_about": {"section"},
    "answered_closed": {"day", "time"},
    "answered_on_day": {"weekday"},
}


def test_the_languages_patients_write_in_have_a_catalog():
    assert {"en", "fr", "es", "de", "nl", "tr", "it", "pt", "ar"} <= set(LANGUAGES)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_catalog_has_the_safety_sentences_and_the_reference_keys(language):
    catalog = MESSAGES.catalogs[language]
    assert set(SAFETY_KEYS) <= set(catalog.messages)
    assert set(catalog.messages) <= set(MESSAGES.catalogs[REFERENCE].messages), "a key the reference lacks"
    assert len(catalog.weekdays) == 7


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_sentence_uses_known_placeholders_and_names_the_emergency_number_where_it_must(language):
    for key, text in MESSAGES.catalogs[language].messages.items():
        assert set(PLACEHOLDER.findall(text)) <= KNOWN_PLACEHOLDERS | OWN_PLACEHOLDERS.get(key, set()), (language, key)
    for key in SAFETY_KEYS:
        assert "{emergency_number}" in MESSAGES.catalogs[language].messages[key], (language, key)


# The product's next languages: every sentence of the reference catalog is written in them.
COMPLETE_LANGUAGES = ("fr", "es")
SAME_IN_TRANSLATION = {("es", "button_no")}


@pytest.mark.parametrize("language", COMPLETE_LANGUAGES)
def test_the_next_languages_have_every_sentence_with_the_same_placeholders(language):
    reference, catalog = MESSAGES.catalogs[REFERENCE].messages, MESSAGES.catalogs[language].messages
    assert sorted(set(reference) - set(catalog)) == []
    for key, text in reference.items():
        assert set(PLACEHOLDER.findall(catalog[key])) == set(PLACEHOLDER.findall(text)), (language, key)
        assert catalog[key] != text or (language, key) in SAME_IN_TRANSLATION, (language, key, "not translated")


DOMAIN_RESPONSES = yaml.load((ROOT / "domain.yml").read_text(encoding="utf-8"), Loader=SAFE_LOADER)["responses"]
# A response of domain.yml whose catalog key is not its own name: the gateway says the emergency text too.
CATALOG_KEY_OF_RESPONSE = {"utter_emergency": "emergency"}


def as_catalog(text: str) -> str:
    """A domain.yml text as the catalog writes it: {{placeholder}} -> {placeholder}, whitespace folded."""
    return " ".join(re.sub(r"\{\{(\w+)\}\}", r"{\1}", text).split())


def test_the_emergency_text_of_the_dialogue_is_the_catalogs():
    [response] = DOMAIN_RESPONSES["utter_emergency"]
    assert as_catalog(response["text"]) == MESSAGES.catalogs[REFERENCE].messages["emergency"]


@pytest.mark.parametrize("name", sorted(DOMAIN_RESPONSES))
def test_every_response_of_the_dialogue_is_the_catalogs_english_sentence(name):
    """Rasa reads its responses from domain.yml; the catalog is where they are reviewed and translated, so the
    two copies must be the same words (a test rather than generating domain.yml, which people also edit)."""
    reference = MESSAGES.catalogs[REFERENCE].messages
    button_titles = {text for key, text in reference.items() if key.startswith("button_")}
    for variant in DOMAIN_RESPONSES[name]:
        assert as_catalog(variant["text"]) == reference[CATALOG_KEY_OF_RESPONSE.get(name, name)]
        assert {button["title"] for button in variant.get("buttons", [])} <= button_titles


def test_a_sentence_is_filled_with_the_site_and_falls_back_to_the_reference_language():
    site = Settings.from_env().site
    assert site.emergency_number in MESSAGES.text("emergency", "tr", site)
    assert MESSAGES.text("emergency", "xx", site) == MESSAGES.text("emergency", REFERENCE, site)
    both = MESSAGES.in_language_and_reference("emergency", "de", site)
    assert both.startswith("Das kann ein Notfall sein") and both.endswith(MESSAGES.text("emergency", REFERENCE, site))


def test_only_languages_with_reviewed_texts_go_to_the_dialogue():
    assert MESSAGES.answers_in("en")
    assert not MESSAGES.answers_in("tr") and not MESSAGES.answers_in("xx")


def test_an_sms_keyword_is_confirmed_in_its_own_language_or_the_conversations():
    from assistant.channels import optout

    site = Settings.from_env().site
    assert optout.keyword("BAJA").reply(MESSAGES, site, None).startswith("No recibirá más mensajes")
    assert optout.keyword("STOP").reply(MESSAGES, site, "fr").startswith("Vous ne recevrez plus de messages")
    assert optout.keyword("STOP").reply(MESSAGES, site, None).startswith("You will get no more messages")
    assert optout.keyword("HELP").reply(MESSAGES, site, "tr").startswith(site.department_name)  # no Turkish sentence: English


def widget_strings() -> dict:
    """The interface tables written inline in web_widget/widget.js (`var STRINGS = {...};`), read as JSON."""
    source = (ROOT / "web_widget" / "widget.js").read_text(encoding="utf-8")
    start = source.index("var STRINGS = ") + len("var STRINGS = ")
    body = source[start : source.index("\n  };\n", start) + len("\n  }")]
    body = re.sub(r"^(\s*)(\w+):", r'\1"\2":', body, flags=re.MULTILINE)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", body))


def test_the_widgets_interface_strings_are_the_catalogs():
    """widget.js keeps its strings inline so that it works without a build step; the catalogs are where they are
    reviewed, so each language's table must be the catalog's `widget` section, key for key."""
    inline = widget_strings()
    assert set(inline) == {"en", "fr", "es"}
    for language, table in inline.items():
        assert table == MESSAGES.catalogs[language].widget, language
        assert set(table) == set(inline[REFERENCE]), language
        texts = [t for v in table.values() for t in (v if isinstance(v, list) else [v])]
        assert not [t for t in texts if "<" in t or ">" in t], "the widget sets these as text, never HTML"


# Where patient-facing wording used to live in Python: it belongs in the catalogs now.
CODE_WITHOUT_WORDING = ("actions", "assistant/channels")
SENTENCE = re.compile(r"^[A-Z][^\n]*\s\S+\s\S+\s\S+\s\S+.*[.?!:\"»]$")  # capitalised, five words or more, punctuated


def sentences_in_code(path) -> list[str]:
    """String constants that read like a sentence for the patient; docstrings and log or exception messages
    (lower-case, or arguments of a logger or exception call) are not."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and ast.get_docstring(node):
            skipped.add(id(node.body[0].value))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_CALLS:
            skipped.update(id(n) for arg in node.args for n in ast.walk(arg))
    return [
        node.value.strip()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skipped and SENTENCE.match(node.value.strip())
    ]


LOG_CALLS = {"debug", "info", "warning", "error", "exception", "critical"}


@pytest.mark.parametrize("folder", CODE_WITHOUT_WORDING)
def test_no_patient_facing_sentence_is_left_in_python(folder):
    found = {str(path.relative_to(ROOT)): sentences_in_code(path) for path in sorted((ROOT / folder).glob("*.py"))}
    assert {path: texts for path, texts in found.items() if texts} == {}


def test_the_sms_formattings_english_labels_are_the_catalogs():
    """formatting.ENGLISH is the default when no conversation language is known; it must not drift from the catalog."""
    from assistant.channels import formatting

    site = Settings.from_env().site
    heading, source = (MESSAGES.text(key, "en", site) for key in ("sms_choices_heading", "sms_source"))
    assert formatting.Labels(heading, source) == formatting.ENGLISH


def test_an_edited_catalog_is_read_anew_by_the_next_load(tmp_path):
    import shutil

    shutil.copytree(ROOT / "messages", tmp_path / "messages")
    site = Settings.from_env().site
    before = Messages.load(tmp_path / "messages").text("emergency", "fr", site)
    path = tmp_path / "messages" / "fr.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["messages"]["emergency"] = "Appelez le {emergency_number} tout de suite."
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    after = Messages.load(tmp_path / "messages").text("emergency", "fr", site)
    assert after != before and after == f"Appelez le {site.emergency_number} tout de suite."


# site.yml gives the department's name in French and Spanish as it reads after an article ("Service de …",
# "Servicio de …"): every sentence puts one before it, or starts with the name.
ARTICLE_BEFORE_NAME = {"fr": re.compile(r"(?:^|\b(?:le|du|au) )$"), "es": re.compile(r"(?:^|\b(?:el|del|al) )$")}


@pytest.mark.parametrize("language", sorted(ARTICLE_BEFORE_NAME))
def test_french_and_spanish_sentences_name_the_department_after_an_article(language):
    texts = list(MESSAGES.catalogs[language].messages.values())
    texts += [line for path in sorted((ROOT / "knowledge" / "texts" / language).glob("*.md")) for line in path.read_text().splitlines()]
    before_names = [text[: match.start()] for text in texts for match in re.finditer(r"\{department_name\}", text)]
    assert before_names, "no sentence names the department"
    assert [before[-40:] for before in before_names if not ARTICLE_BEFORE_NAME[language].search(before)] == []
