"""The languages texts are written in, and what retrieval needs to know of each.

English texts live in `knowledge/texts/`, the others in `knowledge/texts/<code>/`, with the same ids and
sections. Each language has its own index, beside the English one (`var/index` and `var/index-fr`), built with
its own stemmer and sentence encoder: all-MiniLM-L6-v2 knows English only, so French and Spanish are embedded
with multilingual-e5-small (knowledge/embedding.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REFERENCE = "en"


@dataclass(frozen=True)
class TextLanguage:
    code: str
    stemmer: str  # a PyStemmer algorithm
    encoder: str  # "minilm" (English only) or "e5" (multilingual)
    # Small on purpose: words such as "after", "before", "long" and "drive" carry the topic of a question.
    stopwords: frozenset[str]


LANGUAGES = {
    "en": TextLanguage(
        "en",
        "english",
        "minilm",
        frozenset(
            "a an and are as at be but by can could do does for from have how i if in into is it its me my of on or our "
            "should so that the their them there these they this to was we were what when where which who will with "
            "would you your".split()
        ),
    ),
    "fr": TextLanguage(
        "fr",
        "french",
        "e5",
        frozenset(
            "a au aux c ce ces cet cette d de des du elle en est et il ils j je l la le les leur lui m ma me mes mon "
            "n ne nous on ou par pas pour qu que qui s sa se ses son sont sur t ta te tes ton tu un une vos votre "
            "vous y".split()
        ),
    ),
    "es": TextLanguage(
        "es",
        "spanish",
        "e5",
        frozenset(
            "a al de del el ella ellos en es esa ese esta este la las le les lo los me mi mis nos o para por que se "
            "su sus te tu un una uno unos unas usted y ya yo".split()
        ),
    ),
}


def language(code: str | None) -> TextLanguage:
    """The language of `code`; English for one without text support."""
    return LANGUAGES.get(code or REFERENCE, LANGUAGES[REFERENCE])


def texts_dir(root: Path, code: str) -> Path:
    """Where the texts of language `code` are: the root for English, a sub-folder for the others."""
    return Path(root) if code == REFERENCE else Path(root) / code


def index_dir(index_root: Path, code: str) -> Path:
    """Each language's index, beside the English one (an index folder is swapped whole on rebuild)."""
    return Path(index_root) if code == REFERENCE else Path(index_root).with_name(f"{Path(index_root).name}-{code}")


def with_texts(root: Path) -> list[str]:
    """The languages that have texts on disk, English first."""
    return [code for code in LANGUAGES if code == REFERENCE or any(texts_dir(root, code).glob("*.md"))]
