"""Parse and validate knowledge texts.

A text is Markdown with a YAML header and `## <section id>` headings (see
knowledge/README.md). Every problem is reported with its file and line so a
curator can go straight to it.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from core.site import KNOWN_PLACEHOLDERS
from knowledge.catalog import GENERAL, PROCEDURES, SECTIONS, TOPICS
from knowledge.department_rules import rule_problems

REQUIRED_KEYS = ("id", "procedure", "title", "names", "language", "review_due", "sources")
SIGN_OFF_KEYS = ("name", "role", "date", "sections")
SIGNED_SOURCE_KEYS = ("publisher", "title", "url", "date")
HEADING = re.compile(r"^##\s+(\S.*?)\s*$")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
MAX_SECTION_WORDS = 160
# libyaml's safe loader when PyYAML has it: the same data in a tenth of the time (the tests parse every text often).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Every `when_to_call` section is two plain-text lists a phone can show, introduced by these lines in the text's
# language, and closed by the department's and the out-of-hours numbers (knowledge/README.md):
# (emergency list's intro, urgent list's intro, the sentence the line after the urgent list holds).
WHEN_TO_CALL = {
    "en": (
        "Call {emergency_number} now if you have:",
        "Contact us today if you have:",
        "Call {department_phone} ({opening_hours}); when we are closed, call {out_of_hours_phone}.",
    ),
    "fr": (
        "Appelez le {emergency_number} immédiatement si vous avez :",
        "Contactez-nous aujourd'hui si vous avez :",
        "Appelez le {department_phone} ({opening_hours}) ; en dehors de ces heures, appelez le {out_of_hours_phone}.",
    ),
    "es": (
        "Llame al {emergency_number} ahora mismo si tiene:",
        "Contacte con nosotros hoy si tiene:",
        "Llame al {department_phone} ({opening_hours}); fuera de ese horario, llame al {out_of_hours_phone}.",
    ),
}
ITEM = "- "
# Words that only make sense in one country's health system: texts use the site's placeholders instead.
COUNTRY_WORDS = re.compile(r"\bGPs?\b|\bA&E\b|\b999\b|\b911\b|\bNHS\b|out-of-hours service", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    path: str
    line: int
    level: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"


@dataclass
class Section:
    id: str
    text: str
    line: int


@dataclass
class Document:
    path: Path
    meta: dict
    meta_lines: dict[str, int]
    header: list[str] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    def line_of_name(self, name: str, key: str = "names") -> int:
        """The header line that lists `name` under `key` (the `key:` line if not found)."""
        start = self.meta_lines.get(key, 1)
        for number, line in enumerate(self.header, start=2):
            if number > start and line.strip().lstrip("-").strip().strip("'\"") == name:
                return number
        return start

    @property
    def id(self) -> str:
        return str(self.meta.get("id", ""))

    @property
    def procedure(self) -> str:
        return str(self.meta.get("procedure", ""))

    @property
    def title(self) -> str:
        return str(self.meta.get("title", ""))

    @property
    def names(self) -> list[str]:
        return [str(n) for n in self.meta.get("names") or []]

    @property
    def not_names(self) -> list[str]:
        """Names of things no text covers that patients could take for this one (they lead to no text)."""
        listed = self.meta.get("not_names")
        return [str(n) for n in listed] if isinstance(listed, list) else []

    @property
    def sign_off(self) -> dict | None:
        """Who signed the text off, when, and the hash of each section they signed (None: a draft)."""
        value = self.meta.get("sign_off")
        return value if isinstance(value, dict) else None

    def changed_since_sign_off(self) -> list[str]:
        """Sections whose text differs from what was signed off (every section of a draft)."""
        signed = (self.sign_off or {}).get("sections") or {}
        return [s.id for s in self.sections if signed.get(s.id) != section_hash(s.text)]

    @property
    def signed(self) -> bool:
        """Signed off, and nothing changed since: only then is it shown to patients as reviewed."""
        return self.sign_off is not None and not self.changed_since_sign_off()

    @property
    def reviewed(self) -> str | None:
        """The sign-off date shown to patients, or None for a draft."""
        return str(self.sign_off["date"]) if self.signed else None

    @property
    def review_due(self) -> dt.date | None:
        return _as_date(self.meta.get("review_due"))

    @property
    def questions(self) -> dict[str, list[str]]:
        """Patient questions each section answers (`questions:` in the header), for retrieval only."""
        asked = self.meta.get("questions")
        if not isinstance(asked, dict):
            return {}
        return {str(section): [str(q) for q in values if str(q).strip()] for section, values in asked.items() if isinstance(values, list)}

    def line_of_key(self, key: str, after: str) -> int:
        """The header line of `key:` below the key `after` (that key's own line if not found)."""
        start = self.meta_lines.get(after, 1)
        for number, line in enumerate(self.header, start=2):
            if number > start and re.match(rf"^\s+{re.escape(key)}\s*:", line):
                return number
        return start


def _plain(line: str) -> str:
    """A line compared with the intro table: French no-break spaces and typographic apostrophes as typed ones."""
    return " ".join(line.replace("\u2019", "'").split())


def warning_lists(text: str, language: str | None = None) -> tuple[list[tuple[int, str, str | None]], list[tuple[int, str]]]:
    """A `when_to_call` section read as its two lists: each non-empty line (offset from the heading, line, and
    "emergency" from the emergency list's intro on, "urgent" from the second list's intro on, None before),
    and what is wrong with its form (offset, message). The intros of `language` are checked if WHEN_TO_CALL has it."""
    lines = [(offset, line.strip()) for offset, line in enumerate(text.splitlines(), start=1) if line.strip()]
    expected = WHEN_TO_CALL.get(language or "")
    problems: list[tuple[int, str]] = []
    first = next((i for i, (_, line) in enumerate(lines) if "{emergency_number}" in line and line.endswith(":")), None)
    if first is None:
        want = expected[0] if expected else "a line with {emergency_number} ending with ':'"
        return [(o, line, None) for o, line in lines], [(1, f"when_to_call needs the emergency list: '{want}' followed by '- ' items")]

    def items_after(index: int) -> int:
        count = 0
        while index + 1 + count < len(lines) and lines[index + 1 + count][1].startswith(ITEM):
            count += 1
        return count

    emergency_items = items_after(first)
    if not emergency_items:
        problems.append((lines[first][0], "when_to_call: the emergency intro must be followed by '- ' items, one sign a line"))
    second = next(
        (i for i in range(first + 1 + emergency_items, len(lines)) if lines[i][1].endswith(":") and items_after(i)),
        None,
    )
    if second is None:
        want = expected[1] if expected else "a line ending with ':'"
        problems.append((lines[-1][0], f"when_to_call needs the second list (contact us today): '{want}' followed by '- ' items"))
    else:
        closing = next((i for i in range(second + 1, len(lines)) if "{out_of_hours_phone}" in lines[i][1]), None)
        if closing is None:
            want = expected[2] if expected else "a line with {department_phone} and {out_of_hours_phone}"
            problems.append((lines[-1][0], f"when_to_call: after the second list, a line must give the out-of-hours number: '{want}'"))
        elif expected and _plain(expected[2]) not in _plain(lines[closing][1]):
            problems.append((lines[closing][0], f"when_to_call: the line with the out-of-hours number must say '{expected[2]}'"))
    if expected:
        if _plain(lines[first][1]) != _plain(expected[0]):
            problems.append((lines[first][0], f"when_to_call: the emergency list's intro must read '{expected[0]}'"))
        if second is not None and _plain(lines[second][1]) != _plain(expected[1]):
            problems.append((lines[second][0], f"when_to_call: the second list's intro must read '{expected[1]}'"))
    for offset, line in lines:
        if "**" in line or "__" in line:
            problems.append((offset, "when_to_call is plain text a phone shows as it is: no Markdown bold"))
    urgency = [None if i < first else "emergency" if second is None or i < second else "urgent" for i in range(len(lines))]
    return [(offset, line, urgency[i]) for i, (offset, line) in enumerate(lines)], problems


def section_hash(text: str) -> str:
    """A short hash of a section's text, whitespace-insensitive: what a sign-off records."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:16]


def _as_date(value) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def text_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).glob("*.md") if p.name.lower() != "readme.md")


def content_hash(directory: Path) -> str:
    """Hash of every text file's name and bytes: the index records it."""
    digest = hashlib.sha256()
    for path in text_files(directory):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


@functools.lru_cache(maxsize=512)
def _parsed_header(header: str) -> bytes:
    return pickle.dumps(yaml.load(header, Loader=SAFE_LOADER) or {})


def _header(header: str) -> Any:
    """The YAML header's value, parsed once per process for each distinct header (a build, the validator and the
    actions all read the same texts) and handed out as a fresh copy, so no caller sees another's changes."""
    return pickle.loads(_parsed_header(header))


def parse(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read one file; returns the document (None if unreadable) and its parse problems."""
    shown = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(shown, 1, "error", f"not valid UTF-8 ({exc.reason})")]
    lines = raw.splitlines()
    if not lines or lines[0].strip() != "---":
        return None, [Problem(shown, 1, "error", "missing YAML header: the file must start with a line '---'")]
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return None, [Problem(shown, 1, "error", "YAML header is not closed by a line '---'")]
    try:
        meta = _header("\n".join(lines[1:end]))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        return None, [Problem(shown, line, "error", f"YAML header does not parse: {getattr(exc, 'problem', exc)}")]
    if not isinstance(meta, dict):
        return None, [Problem(shown, 2, "error", "YAML header must be a mapping of keys")]
    meta_lines = {}
    for number, line in enumerate(lines[1:end], start=2):
        key = re.match(r"^([A-Za-z_]+)\s*:", line)
        if key:
            meta_lines[key.group(1)] = number
    doc = Document(path=path, meta=meta, meta_lines=meta_lines, header=lines[1:end])

    problems: list[Problem] = []
    current: Section | None = None
    body: list[str] = []
    for number, line in enumerate(lines[end + 1 :], start=end + 2):
        heading = HEADING.match(line)
        if heading:
            if current:
                current.text = "\n".join(body).strip()
                doc.sections.append(current)
            current, body = Section(heading.group(1), "", number), []
        elif current:
            body.append(line)
        elif line.strip():
            problems.append(Problem(shown, number, "error", "text before the first '## <section>' heading"))
    if current:
        current.text = "\n".join(body).strip()
        doc.sections.append(current)
    return doc, problems


def _check_meta(doc: Document, today: dt.date) -> list[Problem]:
    shown, meta, at = str(doc.path), doc.meta, doc.meta_lines
    problems = [Problem(shown, 1, "error", f"missing metadata '{key}'") for key in REQUIRED_KEYS if not meta.get(key)]
    if meta.get("id") and doc.id != doc.path.stem:
        problems.append(Problem(shown, at.get("id", 1), "error", f"id '{doc.id}' differs from the file name '{doc.path.stem}'"))
    if meta.get("procedure") and doc.procedure not in PROCEDURES + (GENERAL,):
        problems.append(Problem(shown, at.get("procedure", 1), "error", f"unknown procedure '{doc.procedure}'"))
    if meta.get("names") and not isinstance(meta["names"], list):
        problems.append(Problem(shown, at.get("names", 1), "error", "names must be a list"))
    if "not_names" in meta and not isinstance(meta["not_names"], list):
        problems.append(Problem(shown, at.get("not_names", 1), "error", "not_names must be a list"))
    elif isinstance(meta.get("names"), list):
        own = {_normal_name(str(n)) for n in meta["names"]}
        for name in doc.not_names:
            if _normal_name(name) in own:
                line = doc.line_of_name(name, "not_names")
                problems.append(Problem(shown, line, "error", f"'{name}' is in both names and not_names"))
    if meta.get("language") and not re.fullmatch(r"[a-z]{2}", str(meta["language"])):
        problems.append(Problem(shown, at.get("language", 1), "error", "language must be a two-letter code such as 'en'"))
    if meta.get("review_due"):
        if doc.review_due is None:
            problems.append(Problem(shown, at.get("review_due", 1), "error", "review_due must be a date YYYY-MM-DD"))
        elif doc.review_due < today:
            problems.append(Problem(shown, at.get("review_due", 1), "warning", f"review overdue since {doc.review_due}"))
    if "sign_off" not in meta:
        problems.append(Problem(shown, 1, "error", "missing metadata 'sign_off' (null for a draft)"))
    sign_off = meta.get("sign_off")
    if sign_off is not None:
        line = at.get("sign_off", 1)
        if not isinstance(sign_off, dict) or any(not sign_off.get(k) for k in SIGN_OFF_KEYS):
            problems.append(
                Problem(shown, line, "error", f"sign_off needs {', '.join(SIGN_OFF_KEYS)} (written by python -m knowledge.sign_off)")
            )
        elif _as_date(sign_off["date"]) is None:
            problems.append(Problem(shown, line, "error", "sign_off date must be a date YYYY-MM-DD"))
        elif changed := doc.changed_since_sign_off():
            problems.append(
                Problem(shown, line, "warning", f"changed since its sign-off, shown as a draft until signed again: {', '.join(changed)}")
            )
    sources = meta.get("sources")
    if sources is not None:
        if not isinstance(sources, list) or not all(isinstance(x, dict) and x.get("title") for x in sources):
            problems.append(
                Problem(
                    shown, at.get("sources", 1), "error", "each source is a mapping with at least a title: {publisher, title, url, date}"
                )
            )
        elif sign_off is not None and not all(all(x.get(k) for k in SIGNED_SOURCE_KEYS) for x in sources):
            problems.append(
                Problem(shown, at.get("sources", 1), "error", "a signed-off text names each source's publisher, title, url and date")
            )
    return problems


def _check_sections(doc: Document) -> list[Problem]:
    shown = str(doc.path)
    problems: list[Problem] = []
    allowed = TOPICS if doc.procedure == GENERAL else SECTIONS
    seen: dict[str, int] = {}
    for section in doc.sections:
        if section.id not in allowed:
            problems.append(Problem(shown, section.line, "error", f"unknown section '{section.id}' (allowed: {', '.join(allowed)})"))
        if section.id in seen:
            problems.append(Problem(shown, section.line, "error", f"section '{section.id}' repeated (first at line {seen[section.id]})"))
        seen.setdefault(section.id, section.line)
        if not section.text:
            problems.append(Problem(shown, section.line, "error", f"section '{section.id}' is empty"))
        words = len(section.text.split())
        if words > MAX_SECTION_WORDS:
            problems.append(
                Problem(
                    shown,
                    section.line,
                    "warning",
                    f"section '{section.id}' has {words} words; keep it under {MAX_SECTION_WORDS} for phones",
                )
            )
        for offset, line in enumerate(section.text.splitlines(), start=1):
            for name in PLACEHOLDER.findall(line):
                if name not in KNOWN_PLACEHOLDERS:
                    problems.append(Problem(shown, section.line + offset, "error", f"unknown placeholder {{{name}}}"))
            if words := COUNTRY_WORDS.search(line):
                problems.append(
                    Problem(
                        shown,
                        section.line + offset,
                        "error",
                        f"'{words.group(0)}' is one country's wording: use {{department_phone}}, {{out_of_hours_phone}} or 'your doctor'",
                    )
                )
        if section.id == "when_to_call":
            language = str(doc.meta.get("language") or "")
            for offset, message in warning_lists(section.text, language)[1]:
                problems.append(Problem(shown, section.line + offset, "error", message))
    if doc.procedure in PROCEDURES:
        for missing in (s for s in SECTIONS if s not in seen):
            problems.append(Problem(shown, 1, "error", f"missing section '{missing}'"))
    return problems


def _check_questions(doc: Document) -> list[Problem]:
    """`questions:` maps section ids of this text to lists of patient questions."""
    shown, asked = str(doc.path), doc.meta.get("questions")
    if asked is None:
        return []
    at = doc.meta_lines.get("questions", 1)
    if not isinstance(asked, dict):
        return [Problem(shown, at, "error", "questions must map section ids to lists of questions")]
    problems = []
    sections = {section.id for section in doc.sections}
    for section, values in asked.items():
        if section not in sections:
            line = doc.line_of_key(str(section), after="questions")
            problems.append(Problem(shown, line, "error", f"questions for section '{section}', which this text does not have"))
        if not isinstance(values, list) or not values or not all(isinstance(v, str) and v.strip() for v in values):
            line = doc.line_of_key(str(section), after="questions")
            problems.append(Problem(shown, line, "error", f"questions for '{section}' must be a list of non-empty strings"))
    return problems


def _normal_name(name: str) -> str:
    return " ".join(name.casefold().split())


def _check_across(docs: list[Document], directory: Path, complete: bool = True) -> list[Problem]:
    problems: list[Problem] = []
    owner: dict[str, tuple[Document, str]] = {}
    for doc in docs:
        for name in doc.names:
            key = _normal_name(name)
            if key in owner and owner[key][0] is not doc:
                first = owner[key][0]
                problems.append(Problem(str(doc.path), doc.line_of_name(name), "error", f"name '{name}' is also used by {first.path.name}"))
            owner.setdefault(key, (doc, name))
    # A thing without a text is listed once, under the text it is most often taken for. Another text may
    # have it as a name (a new text for it): that text then answers it.
    not_owner: dict[str, Document] = {}
    for doc in docs:
        for name in doc.not_names:
            key = _normal_name(name)
            if key in not_owner and not_owner[key] is not doc:
                line, first = doc.line_of_name(name, "not_names"), not_owner[key].path.name
                problems.append(Problem(str(doc.path), line, "error", f"not_names '{name}' is also listed by {first}"))
            not_owner.setdefault(key, doc)
    by_procedure: dict[str, list[Document]] = {}
    for doc in docs:
        by_procedure.setdefault(doc.procedure, []).append(doc)
    for procedure, group in by_procedure.items():
        if procedure in PROCEDURES and len(group) > 1:
            for doc in group[1:]:
                problems.append(
                    Problem(
                        str(doc.path),
                        doc.meta_lines.get("procedure", 1),
                        "error",
                        f"procedure '{procedure}' already has a text: {group[0].path.name}",
                    )
                )
    general_owner: dict[str, Document] = {}
    for doc in by_procedure.get(GENERAL, []):
        for section in doc.sections:
            if section.id in general_owner and general_owner[section.id] is not doc:
                problems.append(
                    Problem(
                        str(doc.path),
                        section.line,
                        "error",
                        f"general section '{section.id}' is also in {general_owner[section.id].path.name}",
                    )
                )
            general_owner.setdefault(section.id, doc)
    for missing in (t for t in TOPICS if t not in general_owner):
        # Another language may lack pages: its patients are then told the page exists only in English.
        level = "error" if complete else "warning"
        problems.append(Problem(str(directory), 0, level, f"no general page has the section '{missing}'"))
    for missing in (p for p in PROCEDURES if p not in by_procedure):
        problems.append(Problem(str(directory), 0, "warning", f"no text for procedure '{missing}' yet"))
    return problems


def load_and_validate(directory: Path, today: dt.date | None = None, complete: bool = True) -> tuple[list[Document], list[Problem]]:
    """Parse every text in `directory`; return the documents and all problems found. `complete=False` (a
    language other than English) reports missing general pages as warnings, not errors."""
    today = today or dt.date.today()
    docs: list[Document] = []
    problems: list[Problem] = []
    for path in text_files(directory):
        doc, found = parse(path)
        problems += found
        if doc is not None:
            problems += _check_meta(doc, today) + _check_sections(doc) + _check_questions(doc)
            broken = rule_problems(doc.procedure, str(doc.meta.get("language") or ""), doc.sections)
            problems += [Problem(str(doc.path), line, "error", message) for line, message in broken]
            docs.append(doc)
    problems += _check_across(docs, directory, complete)
    return docs, problems
