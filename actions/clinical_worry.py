"""Whether a request for the secretariat is a clinical worry, so that a nurse or doctor reads it.

Two kinds: the patient's own (or their relative's) symptoms, "my arm is swollen and red", and asking to hear
from a clinician, "can a nurse call me". Used only to choose a ticket's type when the patient is already
being handed to the secretariat (the contact form, "Talk to a person", a message not understood), never to
decide whether the texts answer a question: "how long will I be sore after a biopsy?" is answered from them.
Emergencies are caught before this, by assistant/safety/red_flags.py.
"""

from __future__ import annotations

import re

# Someone in particular: the patient or a relative, not procedures in general ("is swelling normal?").
_PERSONAL = re.compile(
    r"\b(?:i|i'?m|i'?ve|i'?d|me|my|mine|we|our|he|he'?s|his|she|she'?s|her|mum'?s?|mom'?s?|"
    r"dad'?s?|husband'?s?|wife'?s?|son'?s?|daughter'?s?|partner'?s?|"
    r"the (?:wound|dressing|site|tube|drain|line|catheter|stitches|puncture))\b",
    re.IGNORECASE,
)
_SYMPTOM = re.compile(
    r"\b(?:pain(?:s|ful)?|hurt(?:s|ing)?|ach(?:e|es|ing|y)|sore(?:ness)?|swollen|swelling|swelled|red(?:ness)?|"
    r"bleed(?:s|ing)?|bled|bruis(?:e|ed|es|ing)|lump|fever|temperature|chills|shiver\w*|sick(?! note| leave| pay)|"
    r"nause\w*|vomit\w*|throw(?:ing)? up|dizz\w*|faint\w*|numb(?:ness)?|tingl\w*|rash|itch\w*|leak\w*|discharge|"
    r"pus|ooz\w*|infect\w*|breathless|short of breath|cough\w*|diarrh\w*|cramps?|headaches?|unwell|"
    r"feel(?:s|ing)? (?:ill|awful|terrible|weak|funny|bad|worse|strange)|symptoms?)\b",
    re.IGNORECASE,
)
_CLINICIAN = r"(?:nurse|doctor|dr|consultant|radiologist|clinician|surgeon|medical (?:team|staff|person)|care team)s?"
_CONTACT = r"(?:call|ring|phone|speak|talk|contact|see|check|text|get back)"
_CALLBACK = re.compile(rf"\b{_CLINICIAN}\b[^.?!]{{0,30}}\b{_CONTACT}\b|\b{_CONTACT}\b[^.?!]{{0,30}}\b{_CLINICIAN}\b", re.IGNORECASE)
_SENTENCES = re.compile(r"[^.?!\n]+")


def clinical_worry(text: str) -> str | None:
    """ "symptom", "callback" or None."""
    for sentence in _SENTENCES.findall(text or ""):
        if _SYMPTOM.search(sentence) and _PERSONAL.search(sentence):
            return "symptom"
    return "callback" if _CALLBACK.search(text or "") else None
