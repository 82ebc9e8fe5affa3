"""Whether a request for the secretariat is a clinical worry, so that a nurse or doctor reads it.

Two kinds: the patient's own (or their relative's) symptoms, "my arm is swollen and red", and asking to hear
from a clinician, "can a nurse call me". Used only to choose a ticket's type when the patient is already
being handed to the secretariat (the contact form, "Talk to a person", a message not understood), never to
decide whether the texts answer a question: "how long will I be sore after a biopsy?" is answered from them.
Emergencies are caught before this, by assistant/safety/red_flags.py.

`own_current_symptom` is narrower, and does decide: a symptom someone has now or has had since ("my groin is
still sore ten days after", "she has been feverish since the procedure") is for a nurse, with the procedure's
warning signs shown meanwhile (issue #26's policy), while "will I be sore after a biopsy?" and "is bruising
normal after an angiogram?" are answered from the texts.
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
# Now, or since some time: the symptom is under way, not asked about in general or for the future.
_UNDER_WAY = re.compile(
    r"\b(?:still|since|keeps?|kept|for (?:\d+|a|an|one|two|three|four|five|six|a few|few|several) (?:days?|weeks?|months?|hours?)|"
    r"(?:\d+|one|two|three|four|five|six|seven|a|an) (?:days?|weeks?|months?|hours?) (?:after|post|later|ago|out|on)|"
    r"\d+(?:st|nd|rd|th) day|currently|right now|getting worse|worse|won'?t (?:stop|go)|hasn'?t (?:gone|stopped|settled|healed)|"
    r"not (?:gone|settled|stopped|healed)|started|began|has been|have been|'ve been|ha(?:s|ve) had|"
    r"(?:i'?m|i am|she'?s|he'?s|she is|he is|is|am) (?:now )?(?:having|getting|experiencing|feeling)\s+(?:\w+\s+){0,2}?"
    r"(?=(?:pain|sore|swell|bleed|fever|numb|nause|vomit|cramp|headache|dizz|rash|itch|discharge|bruis|tender))|"
    r"(?:is|are|was|were|looks?|feels?) (?:very |really |a bit |quite |so )?"
    r"(?:swollen|red|sore|bleeding|painful|hot|hard|numb|bruised|leaking|oozing|tender))\b",
    re.IGNORECASE,
)
_MORE_SYMPTOMS = re.compile(
    r"\b(?:bump|ha?ematoma|tender(?:ness)?|blood pressure (?:has been |is |was |went |gone )?(?:up|high|raised|low))\b", re.IGNORECASE
)
_MORE_PERSONAL = re.compile(r"\bthe (?:place|spot|area|cut|incision|scar|entry site)\b", re.IGNORECASE)


def clinical_worry(text: str) -> str | None:
    """ "symptom", "callback" or None."""
    for sentence in _SENTENCES.findall(text or ""):
        if _SYMPTOM.search(sentence) and _PERSONAL.search(sentence):
            return "symptom"
    return "callback" if _CALLBACK.search(text or "") else None


def own_current_symptom(text: str) -> bool:
    """Someone's symptom under way: a sentence naming a person, a symptom and that it is happening now or since."""
    for sentence in _SENTENCES.findall(text or ""):
        symptom = _SYMPTOM.search(sentence) or _MORE_SYMPTOMS.search(sentence)
        personal = _PERSONAL.search(sentence) or _MORE_PERSONAL.search(sentence)
        if symptom and personal and _UNDER_WAY.search(sentence):
            return True
    return False
