"""Record a clinician's sign-off of a text: `python -m knowledge.sign_off <text id> --name ... --role ...`.

Writes the `sign_off:` block of the text's header with today's date and a hash of each section as it is
now, so any later edit shows the text as a draft again until it is signed anew. Refuses a text with
validation errors or with sources that do not name publisher, title, URL and date.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import sys
from pathlib import Path

import yaml

from knowledge.documents import SIGNED_SOURCE_KEYS, load_and_validate, section_hash
from knowledge.languages import REFERENCE, texts_dir


def sign_off(texts: Path, text_id: str, name: str, role: str, today: dt.date, complete: bool = True) -> list[str]:
    """Sign the text off; returns the reasons it was refused (empty when signed). `texts` is one language's
    folder (`complete=False` for a language other than English, as the validator treats it)."""
    docs, problems = load_and_validate(texts, today, complete)
    doc = next((d for d in docs if d.id == text_id), None)
    if doc is None:
        return [f"no text with id '{text_id}' in {texts}"]
    errors = [str(p) for p in problems if p.level == "error" and Path(p.path) == doc.path]
    sources = doc.meta.get("sources") or []
    if any(not all(isinstance(s, dict) and s.get(k) for k in SIGNED_SOURCE_KEYS) for s in sources):
        errors.append(f"{doc.path}: each source needs {', '.join(SIGNED_SOURCE_KEYS)} before sign-off")
    if errors:
        return errors
    block = (
        yaml.safe_dump(
            {
                "sign_off": {
                    "name": name,
                    "role": role,
                    "date": today.isoformat(),
                    "sections": {s.id: section_hash(s.text) for s in doc.sections},
                }
            },
            sort_keys=False,
            allow_unicode=True,
        )
        .rstrip("\n")
        .split("\n")
    )
    lines = doc.path.read_text(encoding="utf-8").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("sign_off:"))
    end = next(i for i in range(start + 1, len(lines)) if re.match(r"^(?:[A-Za-z_]+:|---)", lines[i]))
    doc.path.write_text("\n".join(lines[:start] + block + lines[end:]), encoding="utf-8")
    return []


def main(argv: list[str] | None = None) -> int:
    from core.config import Settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("text_id")
    parser.add_argument("--name", required=True, help="the clinician who read and approved the text")
    parser.add_argument("--role", required=True, help="their role, e.g. 'Consultant interventional radiologist'")
    parser.add_argument("--texts", type=Path, default=Settings.from_env().knowledge_dir)
    parser.add_argument("--language", default=REFERENCE, help="the text's language, e.g. 'fr' (its own reviewer signs it)")
    args = parser.parse_args(argv)
    folder = texts_dir(args.texts, args.language)
    refused = sign_off(folder, args.text_id, args.name, args.role, dt.date.today(), complete=args.language == REFERENCE)
    for reason in refused:
        print(reason, file=sys.stderr)
    if not refused:
        print(f"signed off: {args.text_id} by {args.name}; run `make knowledge` to publish it")
    return 1 if refused else 0


if __name__ == "__main__":
    sys.exit(main())
