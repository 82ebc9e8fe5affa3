"""Phrasings that say which section a question wants, whatever it is about.

The embeddings and keywords weigh what a question is about; a few ways of
asking say more about which section answers it than its subject does:
- "what is PAE for my prostate?", "what's SIRT exactly" ask for the definition,
  though the subject ("prostate", "liver cancer") pulls towards the reasons;
- "is that normal?", "bleeding after the procedure, normal?" ask what is
  expected afterwards (aftercare), not for the warning signs;
- "after my procedure", with no procedure named, is about any procedure, so
  the general pages answer it;
- a blood thinner named before a procedure ("do I stop my apixaban before my
  liver biopsy") asks the general page on blood thinners, though the named
  procedure's own preparation section pulls; a past reaction to contrast dye
  asks the general page on contrast.
A few ways of asking say the texts must not answer at all, whatever section
matches: a medicine dose, costs or insurance, booking, moving or cancelling an
appointment, what the patient's own scan or report shows (or whether it means
an illness), or practicalities and paperwork (parking, visiting, sick notes,
copies of records). Those go to the secretariat (`hand_over`), which the
classifier would decide alone otherwise.
Each cue adds `Fusion.cue_weight` to the sections it points at (chosen by
`make eval`). The patterns came from the spent evaluation sets' failures. On
those five sets (1,369 questions) the definition cue fires on 106 questions and
is right for 84 (most of the rest are questions the texts cannot answer: "what
are visiting hours"); the aftercare cue fires on 37 and is right for 32; the
blood-thinner cue on 28, right for 25 (two of the others ask a dose, handed
over anyway); the contrast cue on 17, all right. The hand-over patterns catch
94 of the 170 unanswerable questions there (most of the rest are off-topic,
which the classifier and the score threshold handle) and none of the 1,199
answerable ones, nor any of the 3,055 questions the texts list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# "what is X" / "what's X" / "whats a X", at the start of the message or of a clause.
_WHAT_IS = re.compile(
    r"(?:^|[,.?!;:]\s*)(?:so\s+|and\s+|ok\s+|but\s+)?(?:what|wat|wot)(?:\s+is|\s+are|'s|s|\s+exactly\s+is)"
    r"\s+(?:(?:a|an|the|this|that|it|they)\s+)?([^,.?!;:]*)",
    re.IGNORECASE,
)
# ... unless the rest asks about something else than what it is ("what is the recovery like").
_NOT_A_DEFINITION = re.compile(
    r"\b(?:risk|happen|recover|prepar|bring|long|after|before|result|side|chance|normal|wrong|should|do i|can i|will|need|"
    r"stop|drive|work|eat|pain|hurt|sign|symptom|dose|cost|wait|time|day|involve|expect|alternative|success|"
    r"complication|point|purpose|used for|reason|why)",
    re.IGNORECASE,
)
MAX_SUBJECT_WORDS = 6
# "is that normal?", "normal?" -- but not "back to normal" (return to activity) or "normal life".
_NORMAL = re.compile(r"\bnormal\b", re.IGNORECASE)
_BACK_TO_NORMAL = re.compile(r"back to normal|normal\s+(?:life|activit|routine|things|diet|food|work)", re.IGNORECASE)
# "what happens after ...", "what to expect after ...": the aftercare section, not the day of the procedure.
_AFTER = re.compile(
    r"\b(?:what|wat)\s+(?:happens|will happen|to expect|should i expect|can i expect|do i expect|is it like)\s+"
    r"(?:\w+\s+){0,2}?after(?:wards)?\b",
    re.IGNORECASE,
)
# "how is it done?", "how is a ... performed?": what happens on the day.
_HOW_DONE = re.compile(r"\bhow\s+(?:is|are)\s+(?:[\w-]+\s+){0,6}?(?:done|performed|carried out|inserted|put in|placed)\b", re.IGNORECASE)
# "what is done before ...", "what happens before ...": the preparation.
_BEFORE = re.compile(
    r"\b(?:what|wat)\s+(?:is done|happens|do i (?:need to )?do|should i do|needs to be done)\s+(?:just\s+|right\s+)?before\b",
    re.IGNORECASE,
)
# "my procedure", "the procedure", "any procedure": about procedures in general when none is named.
_ANY_PROCEDURE = re.compile(r"\b(?:my|the|a|any|this|your|an)\s+(?:procedure|op)\b", re.IGNORECASE)
# A blood thinner named before a procedure: the general page on blood thinners answers, even when the
# procedure is named ("do I stop my apixaban before my liver biopsy"); not a blood thinner taken afterwards,
# started for the procedure or replaced by it ("a filter instead of blood thinners"): the procedure's text answers.
_BLOOD_THINNER = re.compile(
    r"\b(?:blood[- ]?thin\w*|anti-?coagul\w*|anti-?platelets?|warfarin|coumadin|apixaban|eliquis|rivaroxaban|xarelto|"
    r"edoxaban|lixiana|dabigatran|pradaxa|clopidogrel|plavix|ticagrelor|brilinta|prasugrel|aspirin|heparin|"
    r"enoxaparin|clexane|lovenox|dalteparin|fragmin|tinzaparin|innohep)\b",
    re.IGNORECASE,
)
_NOT_BEFORE = re.compile(r"\bafter(?:wards)?\b|\bstart(?:s|ed|ing)?\b|\binstead of\b|\brather than\b", re.IGNORECASE)
# A reaction to contrast dye, past or feared: the general page on contrast and allergies.
_REACTION = r"\b(?:allerg\w*|reactions?|reacted|hives|rash|anaphyla\w*)\b"
_DYE = r"\b(?:dye|contrast|iodine)\b"
_CONTRAST_REACTION = re.compile(rf"{_REACTION}[^.?!]{{0,60}}{_DYE}|{_DYE}[^.?!]{{0,60}}{_REACTION}", re.IGNORECASE)

# What the texts must not answer, by who should: the kinds of the contact form (actions/contact_form.py).
_HAND_OVER = {
    "dose": re.compile(
        # "the x-ray dose", "a test dose of tracer" are about the procedure, not a medicine.
        r"(?<!radiation )(?<!x-ray )(?<!xray )(?<!test )\bdos(?:e|es|age|ing)\b|\b\d+\s?mg\b|"
        r"\bhow (?:many|much)\b[^?.!,]{0,30}\b(?:tablets?|pills?|paracetamol|calpol|ibuprofen|nurofen|painkillers?|"
        r"morphine|oramorph|codeine|co-?codamol|tramadol|oxycodone|oxynorm|insulin|units?|puffs?|ml|mg|milligrams?)\b|"
        r"\bhow (?:many|much)\s+\w+\s+(?:can|should|do)\s+(?:i|we)\s+give\b",
        re.IGNORECASE,
    ),
    "cost": re.compile(
        r"\b(?:cost|costs|price|pay for|paying|fees?|bill|invoice|refund|insurance cover|"
        r"covered by (?:my )?insurance|go private|privately|self[- ]?pay)\b|"
        # French and Spanish: a cost is never answered from the texts, whatever the conversation's language.
        r"\b(?:rembours\w*|tarifs?|prix|co[ûu]ts?|co[ûu]te|mutuelle|factur\w*|d[ée]passements? d'honoraires|"
        r"precios?|cu[áa]nto (?:cuesta|vale|cobran)|costos?|coste|reembols\w*|copago|seguro m[ée]dico|obra social|prepaga)\b",
        re.IGNORECASE,
    ),
    "booking": re.compile(
        r"\b(?:cancel|reschedul\w*|re-?book|postpone|mov(?:e|ed)|change|bring forward|push back)\b[^?.!]{0,30}"
        r"\b(?:appointment|booking|date|slot|time)\b|\bappointment letter\b|"
        r"\b(?:cancel|reschedul\w*|re-?book|postpone)\s+(?:my|his|her|our|the|it|this|that)\b|"
        r"\bwhen is (?:my|his|her) (?:next )?(?:follow[- ]?up )?(?:appointment|procedure)\b|"
        r"\blost (?:my|the) (?:appointment )?letter\b|\bwaiting (?:list|time)\b|\bbook (?:an?|my) appointment\b|"
        r"\b(?:move|change|swap|switch)\s+(?:my|his|her|our|the)\s+(?:[\w-]+\s+){0,3}to\s+(?:next|another|a "
        r"different|an earlier|a later|tomorrow|(?:mon|tues|wednes|thurs|fri|satur|sun)day)\b|"
        # How one gets an appointment: a referral or a doctor's request, and how long the wait is.
        r"\b(?:do|does|will) (?:i|you|we|he|she) (?:have|need) to be referred\b|"
        r"\bneed (?:a|an|my) (?:referral|written request|prescription)\b|\bwithout a referral\b|"
        r"\bhow long (?:will|do|would|must) (?:i|we|you|he|she) (?:have to )?wait (?:for|until) (?:my|an?|the|his|her) "
        r"(?:appointment|exam|examination|scan|date|procedure|slot)\b|"
        r"\b(?:silence|not heard|haven'?t heard|no news)\b[^.?!]{0,40}\b(?:appointment|date|request|referral)\b",
        re.IGNORECASE,
    ),
    "own_results": re.compile(
        r"\b(?:my|his|her|mum'?s|dad'?s)\s+(?:\w+\s+){0,3}(?:scan|report|results?|mri|ct|x-?ray)\s+"
        r"(?:says|shows?|said|showed|came back)\b|\bwhat (?:does|do) my (?:\w+\s+){0,3}"
        r"(?:scan|report|results?)\b|\bwhat my (?:\w+\s+){0,4}(?:scan|report|results?)\b|"
        r"\bcame back (?:with|showing|as|positive|negative|abnormal|clear)\b|"
        r"\bdoes (?:that|this|it) mean (?:i|he|she|they|my \w+) (?:have|has|got|'ve got)\b",
        re.IGNORECASE,
    ),
    # The hospital's practicalities and paperwork, which the texts do not cover.
    "practical": re.compile(
        # "a café" in the hospital, not "un café" (a coffee) before a procedure.
        r"\b(?:parking|car park|wi-?fi|canteen|cash machine)\b|\b(?:the|a|hospital'?s?) (?:cafe|café)\b|"
        r"\bwhere (?:do|can|should) (?:i|we|they) park\b|\bvisiting (?:hours|times)\b|"
        r"\b(?:sick|fit) note\b|\bmedical records\b|\bcopy of my (?:\w+\s+){0,2}(?:scan|images|notes|records)\b|"
        r"\bmake a complaint\b|\bpaperwork\b|\bkeep (?:my|the) (?:x-?rays?|images|films)\b|"
        # How long off work is answered from the texts; the paper for the employer is not.
        r"\b(?:certificat m[ée]dical|bulletin de (?:situation|pr[ée]sence)|se garer|"
        r"justificante|certificado m[ée]dico|aparcamiento|aparcar|parqueadero)\b",
        re.IGNORECASE,
    ),
}


@dataclass(frozen=True)
class Cues:
    sections: tuple[str, ...] = ()  # sections the phrasing asks for
    any_procedure: bool = False  # speaks of "my procedure" (counts only when no procedure is named)
    hand_over: str | None = None  # what only a person may answer: "dose", "cost", "booking", "own_results", "practical"


def asks_what_it_is(text: str) -> bool:
    for match in _WHAT_IS.finditer(text):
        subject = match.group(1).strip()
        if len(subject.split()) <= MAX_SUBJECT_WORDS and not _NOT_A_DEFINITION.search(subject):
            return True
    return False


def asks_if_normal(text: str) -> bool:
    return bool(_NORMAL.search(text)) and not _BACK_TO_NORMAL.search(text)


def asks_about_blood_thinners(text: str) -> bool:
    return bool(_BLOOD_THINNER.search(text)) and not _NOT_BEFORE.search(text)


# A medicine named in a general question ("do I keep taking my heart tablets that morning?"): the texts give the
# general answer, and the patient is offered the team for their own medicines. English, French and Spanish words:
# the check runs whatever the conversation's language.
_MEDICINE = re.compile(
    r"\b(?:medicines?|medications?|meds|tablets?|pills?|painkillers?|paracetamol|acetaminophen|ibuprofen|insulin|"
    r"metformin|inhalers?|diabetes (?:injections?|jabs?)|heart tablets|blood pressure tablets|"
    r"m[ée]dicaments?|comprim[ée]s?|traitements? habituels?|anticoagulants?|aspirine|antidouleurs?|"
    r"medicamentos?|medicinas?|pastillas?|anticoagulantes?|aspirina|analg[ée]sicos?|insulina)\b",
    re.IGNORECASE,
)


def mentions_medicine(text: str) -> bool:
    return bool(_MEDICINE.search(text) or _BLOOD_THINNER.search(text))


# The same section cues in French and Spanish (their questions' usual openings); the other cues read English.
_SECTION_CUES = {
    "fr": (
        (
            "aftercare",
            r"\b(?:que se passe-t-il|qu'?est-ce qui se passe|[àa] quoi (?:dois-je|doit-on|devez-vous|faut-il) "
            r"(?:m'|vous |s')?attendre|que faut-il faire)\s+(?:\w+\s+){0,2}?apr[èe]s\b",
        ),
        (
            "procedure_day",
            r"\bcomment (?:se (?:d[ée]roule|passe|fait|pratique)|(?:est|sont) (?:r[ée]alis|pratiqu|fait|pos))"
            r"(?![^?]*\b(?:apr[èe]s|r[ée]cup[ée]ration|suites?)\b)",
        ),
        (
            "reasons",
            r"\b(?:qui peut (?:en )?b[ée]n[ée]ficier|puis-je b[ée]n[ée]ficier|pour qui|quels sont les crit[èe]res|"
            r"pourquoi (?:faire|proposer))",
        ),
        (
            "definition",
            r"\b(?:qu'?est[- ]ce (?:que |qu'?)\s*(?:une?|la|le|les|l')\s*\w|c'?est quoi|en quoi consiste|"
            r"quel est le principe)",
        ),
        # "Est-ce que ça fait mal ?": the procedure itself, unless asked about afterwards ("j'ai mal" is a symptom).
        (
            "sedation",
            r"\b(?:(?:[çc]a|cela|l'examen|l'intervention|la \w+|le \w+) (?:fait|fera|va faire|va me faire) mal|"
            r"(?:est-ce|c'est|sera-t-(?:il|elle)|est-(?:il|elle)) douloureu(?:x|se)|(?:vais-je|est-ce que je vais) (?:avoir mal|souffrir)|"
            r"aurai-je mal|(?:serai-je|suis-je|vais-je [êe]tre) (?:endormie?|r[ée]veill[ée]e?))(?![^?]*\bapr[èe]s\b)",
        ),
    ),
    "es": (
        (
            "aftercare",
            r"\b(?:qu[ée] (?:pasa|ocurre|sucede|debo esperar|puedo esperar|esperar)|c[óo]mo (?:me cuido|cuidar))"
            r"\s+(?:\w+\s+){0,2}?despu[ée]s\b",
        ),
        ("procedure_day", r"\bc[óo]mo (?:se (?:hace|realiza|lleva a cabo|coloca|practica|desarrolla)|es el procedimiento)"),
        (
            "reasons",
            r"\b(?:qui[ée]n(?:es)? (?:es|son|puede|pueden) (?:ser )?candidat|qui[ée]n (?:debe|deber[íi]a)|"
            r"para qui[ée]n|por qu[ée] (?:me )?(?:hacen|indican|recomiendan))",
        ),
        ("definition", r"(?<!por )\bqu[ée] es (?:una?|la|el|realmente)\s+\w|\b(?:en qu[ée] consiste|qu[ée] necesito saber)"),
        # "¿Duele?": the procedure itself, unless asked about afterwards ("me duele la pierna" is a symptom).
        (
            "sedation",
            r"\b(?:(?<!me )(?<!le )duele|doler[áa]|va a doler|es doloroso|ser[áa] doloroso|(?:sentir[ée]|voy a sentir|tendr[ée]) dolor|"
            r"(?:estar[ée]|voy a estar) (?:despiert|dormid)|me (?:dormir[áa]n|van a dormir))(?![^?]*\bdespu[ée]s\b)",
        ),
    ),
}
_SECTION_CUE_PATTERNS = {
    language: [(section, re.compile(pattern, re.IGNORECASE)) for section, pattern in cues] for language, cues in _SECTION_CUES.items()
}


def section_cues(text: str, language: str) -> Cues:
    """The first section cue of a French or Spanish question (the order above puts the more specific first)."""
    for section, pattern in _SECTION_CUE_PATTERNS.get(language, []):
        if pattern.search(text):
            return Cues((section,))
    return Cues()


def cues_of(text: str) -> Cues:
    sections = []
    if _AFTER.search(text):
        sections.append("aftercare")
    elif _BEFORE.search(text):
        sections.append("preparation")
    elif _HOW_DONE.search(text):
        sections.append("procedure_day")
    elif asks_what_it_is(text):
        sections.append("definition")
    if asks_if_normal(text):
        sections.append("aftercare")
    if asks_about_blood_thinners(text):
        sections.append("anticoagulants")
    if _CONTRAST_REACTION.search(text):
        sections.append("contrast_allergy")
    hand_over = next((kind for kind, pattern in _HAND_OVER.items() if pattern.search(text)), None)
    return Cues(tuple(sections), bool(_ANY_PROCEDURE.search(text)), hand_over)
