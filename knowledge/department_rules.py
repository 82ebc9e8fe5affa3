"""One rule, said the same way in every text (knowledge/README.md, "Department rules").

The hours of the department's rules around sedation (driving, an adult staying, fasting) live in site.yml and
reach the texts only through placeholders; a procedure text repeats the driving rule in one fixed sentence and
adds only its own exception. Every `preparation` carries the same diabetes and thyroid sentences, every advice to
drink plenty the fluid-limit clause, every embolization the same limit to its "normal" fever, and the treatments
that need it their own breastfeeding advice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from knowledge.catalog import PROCEDURES


class SectionText(Protocol):
    """A text's section as knowledge/documents.py reads it (this module must not import that one)."""

    id: str
    text: str
    line: int


@dataclass(frozen=True)
class Wording:
    """A language's fixed sentences, and the patterns that find a rule stated another way."""

    driving: str  # the one sentence every procedure's `driving` section gives
    diabetes: str  # in every `preparation`
    thyroid: str  # in every `preparation`
    fluid_limit: str  # follows every advice to drink plenty
    fever: str  # when a "normal" fever after embolization is no longer normal
    fever_sign: str  # the same limit in the embolization's `when_to_call` list
    drink_plenty: re.Pattern
    hours: re.Pattern  # a number of hours written out
    rule_words: re.Pattern  # what driving, fasting and an adult staying are called
    breastfeeding: re.Pattern


WORDING = {
    "en": Wording(
        driving=(
            "After sedation or a general anaesthetic, do not drive for at least {driving_after_sedation_hours} hours, "
            "and have an adult take you home and stay with you for {adult_stays_hours} hours."
        ),
        diabetes=(
            "If you take diabetes medicines, ask the team how to take them if you are asked to fast; "
            "weekly diabetes or weight-loss injections may need to stop earlier."
        ),
        thyroid="Tell the team if you have thyroid disease, as the iodine in X-ray dye can affect the thyroid.",
        fluid_limit="unless you have been told to limit fluids",
        fever=(
            "A mild fever is common for a few days; contact us if your temperature goes above 38 °C "
            "or the fever lasts more than three days."
        ),
        fever_sign="- a temperature above 38 °C, a fever lasting more than three days, or shivers",
        drink_plenty=re.compile(r"\bdrink(?:ing)?\s+(?:plenty|lots|a lot|enough fluids|more fluids)\b", re.IGNORECASE),
        hours=re.compile(
            r"\b(?:\d+|one|two|three|four|five|six|eight|ten|twelve|twenty[- ]four|forty[- ]eight)\s*(?:hours?|hrs?|h)\b",
            re.IGNORECASE,
        ),
        rule_words=re.compile(r"\b(?:driv\w*|eat|eating|food|fast\w*|nil by mouth|adult|stay with you)\b", re.IGNORECASE),
        breastfeeding=re.compile(r"\bbreast ?feed\w*", re.IGNORECASE),
    ),
    "fr": Wording(
        driving=(
            "Après une sédation ou une anesthésie générale, ne conduisez pas pendant au moins "
            "{driving_after_sedation_hours} heures, et faites-vous raccompagner par un adulte qui reste avec vous "
            "pendant {adult_stays_hours} heures."
        ),
        diabetes=(
            "Si vous avez un traitement du diabète, demandez à l'équipe comment le prendre si vous devez être à jeun ; "
            "les injections hebdomadaires pour le diabète ou pour maigrir peuvent devoir être arrêtées plus tôt."
        ),
        thyroid="Signalez une maladie de la thyroïde : l'iode du produit de contraste peut agir sur elle.",
        fluid_limit="sauf si on vous a dit de limiter les boissons",
        fever=(
            "Une petite fièvre est fréquente pendant quelques jours ; contactez-nous si votre température dépasse "
            "38 °C ou si la fièvre dure plus de trois jours."
        ),
        fever_sign="- une température au-dessus de 38 °C, une fièvre de plus de trois jours, ou des frissons",
        drink_plenty=re.compile(r"\b(?:buvez|boire)\s+(?:beaucoup|suffisamment|bien|abondamment)\b", re.IGNORECASE),
        hours=re.compile(
            r"\b(?:\d+|une|deux|trois|quatre|cinq|six|huit|dix|douze|vingt-quatre|quarante-huit)\s*(?:heures?|h)\b",
            re.IGNORECASE,
        ),
        rule_words=re.compile(
            r"\b(?:condui\w*|volant|manger|mangez|à jeun|jeûne|adulte|reste avec vous|restiez avec vous)\b", re.IGNORECASE
        ),
        breastfeeding=re.compile(r"\ballait\w*", re.IGNORECASE),
    ),
    "es": Wording(
        driving=(
            "Después de una sedación o una anestesia general, no conduzca durante al menos "
            "{driving_after_sedation_hours} horas, y pida que un adulto le lleve a casa y se quede con usted "
            "durante {adult_stays_hours} horas."
        ),
        diabetes=(
            "Si toma medicamentos para la diabetes, pregunte al equipo cómo tomarlos si tiene que estar en ayunas; las "
            "inyecciones semanales para la diabetes o para adelgazar pueden tener que suspenderse antes."
        ),
        thyroid="Avise si tiene una enfermedad del tiroides: el yodo del contraste puede afectarle.",
        fluid_limit="salvo que le hayan dicho que limite los líquidos",
        fever=(
            "Es frecuente tener algo de fiebre unos días; contacte con nosotros si la temperatura pasa de 38 °C "
            "o si la fiebre dura más de tres días."
        ),
        fever_sign="- una temperatura de más de 38 °C, fiebre de más de tres días, o escalofríos",
        drink_plenty=re.compile(r"\b(?:beba|beber)\s+(?:bastante|mucho|suficiente|abundante)\b", re.IGNORECASE),
        hours=re.compile(
            r"\b(?:\d+|una|dos|tres|cuatro|cinco|seis|ocho|diez|doce|veinticuatro|cuarenta y ocho)\s*(?:horas?|h)\b",
            re.IGNORECASE,
        ),
        rule_words=re.compile(r"\b(?:conduc\w*|conduzca|comer|coma|comida|ayun\w*|adulto|se quede con usted)\b", re.IGNORECASE),
        breastfeeding=re.compile(r"\blactancia\b|\bdar el pecho\b|\bamamant\w*", re.IGNORECASE),
    ),
}
# Treatments after which a mild fever is expected (post-embolization syndrome): their `aftercare` says when it is not.
POST_EMBOLIZATION = (
    "embolization",
    "uterine_fibroid_embolization",
    "prostate_artery_embolization",
    "chemoembolization_tace",
    "radioembolization_y90",
    "pelvic_congestion_embolization",
    "varicocele_embolization",
)
# Treatments whose own breastfeeding advice differs from the general "contrast dye is fine": they must give it.
OWN_BREASTFEEDING_ADVICE = ("chemoembolization_tace", "radioembolization_y90")
SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def plain(text: str) -> str:
    """Text compared with a fixed sentence: French no-break spaces and typographic apostrophes as typed ones."""
    return " ".join(text.replace("\u2019", "'").split())


def rule_problems(procedure_id: str, language: str, sections: Sequence[SectionText]) -> list[tuple[int, str]]:
    """What in a text's sections breaks the department rules: (line, message). A language without WORDING passes."""
    wording = WORDING.get(language)
    if wording is None:
        return []
    procedure = procedure_id in PROCEDURES
    problems: list[tuple[int, str]] = []
    for section in sections:
        for offset, line in enumerate(section.text.splitlines(), start=1):
            for sentence in SENTENCE_END.split(line):
                problems += [(section.line + offset, message) for message in _sentence_problems(sentence, wording)]
        text = plain(section.text)
        if procedure and section.id == "driving" and plain(wording.driving) not in text:
            problems.append((section.line, f"driving must give the department's rule in this sentence: '{wording.driving}'"))
        if procedure and section.id == "preparation":
            for sentence in (wording.diabetes, wording.thyroid):
                if plain(sentence) not in text:
                    problems.append((section.line, f"preparation must say: '{sentence}'"))
    if procedure_id in POST_EMBOLIZATION:
        problems += _fever_problems(sections, wording)
    if procedure_id in OWN_BREASTFEEDING_ADVICE and not wording.breastfeeding.search(
        " ".join(s.text for s in sections if s.id != "when_to_call")
    ):
        problems.append((1, "this treatment needs its own breastfeeding advice: the general 'contrast dye is fine' does not cover it"))
    return problems


def _fever_problems(sections: Sequence[SectionText], wording: Wording) -> list[tuple[int, str]]:
    """The "normal" fever after embolization has a limit, and the warning signs give the same one."""
    problems = []
    for section in sections:
        if section.id == "aftercare" and plain(wording.fever) not in plain(section.text):
            problems.append((section.line, f"aftercare must say when a fever is no longer the usual one: '{wording.fever}'"))
        if section.id == "when_to_call" and plain(wording.fever_sign) not in map(plain, section.text.splitlines()):
            problems.append((section.line, f"when_to_call must list the same fever limit: '{wording.fever_sign}'"))
    return problems


def _sentence_problems(sentence: str, wording: Wording) -> list[str]:
    problems = []
    if wording.hours.search(sentence) and wording.rule_words.search(sentence):
        problems.append(
            "driving, fasting and an adult staying are the department's rules: write their hours with the placeholders "
            "from site.yml ({driving_after_sedation_hours}, {adult_stays_hours}, {fasting_food_hours}, "
            "{fasting_clear_fluids_hours}), never as a number"
        )
    if wording.drink_plenty.search(sentence) and plain(wording.fluid_limit) not in plain(sentence):
        problems.append(f"advice to drink plenty must add '{wording.fluid_limit}'")
    return problems
