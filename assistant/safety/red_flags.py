"""Emergency ("red flag") detector, run on every patient message before anything else.

Recall beats precision here: a missed emergency is the worst possible failure,
while a false alarm only shows the emergency number and raises a staff ticket.
So any symptom pattern fires, and a match is dropped only when it is clearly
not a present emergency:

1. a negation cue shortly before it in the same clause ("no bleeding",
   "je n'ai pas mal à la poitrine"); other clauses still count
   ("no fever but I can't breathe");
2. it sits in a general or hypothetical question ("what are the risks of
   bleeding?", "what happens if I get a fever?") or in an instruction's
   if-clause ("the nurse said to call if I get a fever"), and nothing in it
   is a present first/third-person statement ("is it normal that I have
   chest pain?", "is it normal for my leg to be cold?" both fire);
3. it is reported as over ("I bled yesterday but it stopped") or as medical
   history ("a heart attack five years ago").

Everything is matched on a normalised "skeleton" of the text (see
`normalise`), and the patterns are compiled through the same skeleton rules,
so they are written in ordinary spelling. English, French, Spanish, German, Dutch and Turkish patterns
all run on every message: no language detection to get wrong.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class RedFlag:
    category: str  # "bleeding", "chest_pain", "breathing", "stroke", ... (keys of _PATTERNS)
    matched: str  # the span that matched, in normalised form (see `normalise`)


# ---------------------------------------------------------------------------
# Step 1: normalisation
# ---------------------------------------------------------------------------

# Apostrophes are dropped, not turned into spaces: "can't" -> "cant", "j'ai" ->
# "jai", which is also how patients type them on a phone.
_APOSTROPHES = str.maketrans("", "", "'’‘`´ʼ")
# Ligatures that NFKC/NFD leave alone.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "ł": "l", "ı": "i", "ß": "ss"})
# Runs of one letter collapse to one letter: "bleeeeding", "bleding" and
# "bleeding" all become "bleding"; patterns get the same treatment.
_REPEATED_LETTERS = re.compile(r"([a-z])\1+")
_REPEATED_WORDS = re.compile(r"\b(\w+)(?:\s+\1\b)+")  # "no no no he collapsed"

# Contractions and SMS spellings, applied to whole words after the letter
# collapse, so that patterns need to know only one spelling.
_REWRITES = {
    "can not": "cant",
    "cannot": "cant",
    "cnt": "cant",
    "carnt": "cant",
    "kant": "cant",
    "do not": "dont",
    "dnt": "dont",
    "does not": "doesnt",
    "did not": "didnt",
    "is not": "isnt",
    "are not": "arent",
    "was not": "wasnt",
    "were not": "werent",
    "have not": "havent",
    "has not": "hasnt",
    "had not": "hadnt",
    "will not": "wont",
    "i am": "im",
    "iam": "im",
    "i have": "ive",
    "he is": "hes",
    "she is": "shes",
    "it is": "its",
    "there is": "theres",
    "u": "you",
    "ur": "your",
    "r": "are",
    "n": "and",
    "frm": "from",
    "alot": "a lot",
    "pls": "please",
    "plz": "please",
    "rly": "really",
    "b4": "before",
    "gonna": "going to",
    "wanna": "want to",
    "dunno": "dont know",
    "bcp": "beaucoup",
    "bcq": "beaucoup",
    "jsuis": "je suis",
    "chui": "je suis",
    "chuis": "je suis",
    "jpeux": "je peux",
    "jpeu": "je peux",
    "jme": "je me",
    "jsais": "je sais",
    "jveux": "je veux",
    "kiero": "quiero",
    "q": "que",
    "k": "que",
    "xq": "porque",
    "pq": "porque",
    "toy": "estoy",
    "tngo": "tengo",
    "mxo": "mucho",
}


def _skeleton(word: str) -> str:
    return _REPEATED_LETTERS.sub(r"\1", word)


_REWRITE_MAP = {_skeleton(k): _skeleton(v) for k, v in _REWRITES.items()}
_REWRITE_RE = re.compile(r"\b(?:" + "|".join(re.escape(k) for k in sorted(_REWRITE_MAP, key=len, reverse=True)) + r")\b")


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def normalise(text: str) -> str:
    """Lower-case, accent-free, punctuation-light skeleton of `text` used for matching."""
    # Zero-width spaces, bidi marks, soft hyphens (category Cf) can hide a word
    # from a pattern ("ble\u200beding"); they carry no meaning, so drop them.
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = unicodedata.normalize("NFKC", text).translate(_APOSTROPHES).casefold()
    text = _strip_accents(text.translate(_LIGATURES))
    text = text.replace("&", " and ").replace("+", " and ")
    # Keep only what patterns and splitting use: letters, digits and the
    # punctuation that ends a sentence or clause. A newline ends a sentence.
    text = re.sub(r"\n+", ".", text)
    text = re.sub(r"[^a-z0-9.,;:!?]+", " ", text)
    text = _skeleton(text)
    text = _REWRITE_RE.sub(lambda m: _REWRITE_MAP[m.group(0)], text)
    text = _REPEATED_WORDS.sub(r"\1", text)
    text = re.sub(r"\s*([.,;:!?])\s*", r"\1 ", text)
    return re.sub(r"\s+", " ", text).strip()


# ---------------------------------------------------------------------------
# Step 2: pattern tables
# ---------------------------------------------------------------------------

# "~" in a pattern = up to three words in between, none of which negates,
# marks a chronic state or starts a new clause: "leg~cold" matches "my leg
# is cold" but not "my leg is not cold" nor "my hands are always cold".
_GAP_STOP = (
    r"no|not|dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|never|without|"
    r"always|usually|normally|ne|nest|pas|sans|jamais|aucun\w*|sin|nunca|siempre|"
    r"nicht|kein\w*|nie|immer|ohne|niet|geen|nooit|altijd|zonder|degil|hep|"
    r"and|but|mais|et|pero|y|und|aber|maar|ama|ve"
)
_GAP = r"(?:\s+(?!(?:" + _GAP_STOP + r")\b)\w+){0,3}\s+"


def _compile(pattern: str) -> re.Pattern[str]:
    """Expand "~", then collapse doubled letters outside escapes, as `normalise` does."""
    source = pattern.replace("~", _GAP)
    source = re.sub(r"\\.|([a-z])\1+", lambda m: m.group(1) or m.group(0), source)
    return re.compile(source)


_BREATH = r"(?:brea?th?\w*|brath\w*)"  # breath, breathe, brethe, breathing, brething...
_BREATHING = r"(?:bre?a?th?ing?)\b"  # the -ing form only ("not breathless" is not "not breathing")
_LIMB_EN = r"(?:leg|legs|foot|feet|toes?|arm|arms|hand|hands|fingers?|calf)"
_LIMB_FR = r"(?:jambes?|pieds?|orteils?|bras|mains?|doigts?|mollet)"
_LIMB_ES = r"(?:piernas?|pies?|dedos?|brazos?|manos?|pantorrilla)"
_SEVERE = (
    r"(?:severe|sudden|excruciating|unbearable|agoni[sz]ing|terrible|horrible|awful|worst|"
    r"intense|extreme|crippling|really bad|very bad|stabbing)"
)
_BELLY = r"(?:stomach|tummy|belly|abdomen|abdominal|gut|flank)"
_LIMB_DE = r"(?:beine?|fuss|fusse|zehen?|arme?|hand|hande|finger|wade)"
_LIMB_NL = r"(?:benen|been|voet|voeten|tenen|teen|armen|arm|hand|handen|vingers?|kuit)"
_LIMB_TR = (
    r"(?:bacak|bacagim|bacagi|bacaklarim|bacaklari|ayak|ayagim|ayagi|ayaklarim|kol|kolum|kolu|kollarim|elim|eli|"
    r"parmaklarim|parmaklari)"
)
_PIECES = {
    "BREATHING": _BREATHING,
    "BREATH": _BREATH,
    "LIMB_EN": _LIMB_EN,
    "LIMB_FR": _LIMB_FR,
    "LIMB_ES": _LIMB_ES,
    "LIMB_DE": _LIMB_DE,
    "LIMB_NL": _LIMB_NL,
    "LIMB_TR": _LIMB_TR,
    "SEVERE": _SEVERE,
    "BELLY": _BELLY,
}

# Category -> patterns (en, then fr, then es; German, Dutch and Turkish in _MORE_LANGUAGES below: the
# emergency path must not depend on the product answering in a language). Order matters only for the
# category reported when several fire: self harm first (its reply may
# differ), catch-all "general_emergency" last.
_PATTERN_SOURCES: dict[str, list[str]] = {
    "self_harm": [
        r"\b(?:kill|killing|hurt|hurting|harm|harming|cut|cutting) (?:myself|my self|meself)\b",
        r"\bsuicid\w*",
        r"\bself harm\w*",
        r"\boverdos\w*",
        r"\bend (?:my|it) (?:life|all)\b",
        r"\bend\w* it all\b",
        r"\btake my (?:own )?life\b",
        r"\b(?:want|wants) to (?:die|be dead)\b",
        r"\bwish i (?:was|were) dead\b",
        r"\bbetter off dead\b",
        r"\bdont want to (?:live|be alive|be here|wake up)\b",
        r"\bno reason to live\b",
        r"\bnot worth living\b",
        r"\bme (?:tuer|suicider)\b",
        r"\b(?:envie de|veu[xt]|voudrais) mourir\b",
        r"\ben finir\b",
        r"\bmettre fin a (?:mes|ma) (?:jours|vie)\b",
        r"\b(?:plus|pas) envie de vivre\b",
        r"\bme faire du mal\b",
        r"\bscarifi\w*",
        r"\bmatarme\b",
        r"\bquitarme la vida\b",
        r"\b(?:quiero|quisiera) morir\w*",
        r"\bganas de morir\w*",
        r"\bno quiero (?:seguir )?vivi\w*",
        r"\bme voy a (?:matar|suicidar)\b",
        r"\bhacerme dano\b",
        r"\bcortarme\b",
    ],
    "collapse": [
        r"\bcollaps\w*",
        r"\bcolasp\w*",
        r"\bfaint(?:ed|ing|s)\b",
        r"\b(?:feel|feeling|felt|going to|about to|might|will) faint\b",
        r"\bpass\w* out\b",
        r"\bpast out\b",
        r"\bblack\w* out\b",
        r"\buncon\w*ious\b",
        r"\bunresponsive\b",
        r"\b(?:not|isnt|doesnt|wont) (?:respond\w*|wake\w*)\b",
        r"\bcant wake (?:him|her|them|up)\b",
        r"\b(?:wont|doesnt|isnt|cant) answer (?:me|us)\b",
        r"\b(?:pale|grey|gray|white) and (?:sweaty|clammy)\b",
        r"\blost consciousness\b",
        r"\bkeeled over\b",
        r"\bout cold\b",
        r"\b(?:fell|fallen|collapsed) (?:on|to) the (?:floor|ground)\b",
        r"\b(?:dizzy|lightheaded|light headed)~(?:fall\w*|faint\w*|pale|clammy|sweaty|cant stand)",
        r"\bclammy\b",
        r"\bevanou\w*",
        r"\bperdu connaissance\b",
        r"\bperte de connaissance\b",
        r"\binconscien\w*",
        r"\beffondr\w*",
        r"\bdans les pommes\b",
        r"\b(?:ne )?(?:me |nous |lui )?repond plus\b",
        r"\bne se releve pas\b",
        r"\b(?:ne )?se reveille pas\b",
        r"\bsyncope\b",
        r"\bmalaise\b",
        r"\bdesmay\w*",
        r"\bperdi\w* (?:el )?conocimiento\b",
        r"\bno (?:me |le |nos )?(?:responde|reacciona|despierta)\b",
        r"\bse desplomo\b",
    ],
    "breathing": [
        r"\b(?:cant|unable to|not able to|struggl\w*|hard to|difficult\w*|trouble|problems?|hard time|fighting|hardly|barely)~BREATH",
        r"\b(?:short\w*|out) (?:of|o) BREATH",
        r"\bshortness~BREATH",
        r"\bbreathles\w*",
        r"\b(?:not|isnt|stopped|stoped|no longer|hardly) BREATHING",
        r"\bBREATHING~(?:hard|difficult|noisy|fast|rapid|laboured|labored|heavy|bad|weird|strange|shallow|awful|rattl\w*)",
        r"\b(?:gasp\w*|chok\w*|suffocat\w*|wheez\w*)",
        r"\b(?:cant|not) get\w*~air\b",
        r"\b(?:no|not enough) air\b",
        r"\b(?:lips|face)~(?:blue|purple|grey|gray)\b",
        r"\b(?:turning|going|gone) blue\b",
        r"\b[jn]?arrive (?:pas|pa|plus)~respir\w*",
        r"\b(?:ne )?peu[xt]? (?:pas|pa|plus)~respir\w*",
        r"\b(?:du mal|difficult\w*|gene)~respir\w*",
        r"\b(?:ne |n)?respir\w* (?:pas|pa|plus|mal|difficilement)\b",
        r"\b(?:essouffl\w*|j?etouff\w*|suffoqu\w*|manque d ?air|souffle court|a bout de souffle)",
        r"\b(?:no puedo|no puede|no podemos|no consigo|no logro|no logra|me cuesta|le cuesta|dificultad|problemas?)~respirar\w*",
        r"\bno (?:esta )?respira\w*",
        r"\b(?:me ahogo|se ahoga|ahogand\w*|asfixi\w*|sin aire|sin aliento|disnea)\b",
        r"\bfalta~aire\b",
    ],
    "chest_pain": [
        r"\b(?:chest|cheast|chset)~(?:pain\w*|pian|hurt\w*|tight\w*|pressure|heavy|heaviness|crush\w*|squeez\w*|ache\w*|aching|burn\w*|discomfort|sore|agony|killing)",
        r"\bchest(?:pain|ache)\b",
        r"\b(?:pain\w*|pressure|tight\w*|heaviness|crush\w*|squeez\w*|ache|aching|discomfort|stabbing|burning)~chest\b",
        r"\bheart (?:attack|atack)\b",
        r"\bcardiac arrest\b",
        r"\bangina\b",
        r"\bpain~(?:left arm|jaw)\b",
        r"\bdouleur\w*~(?:thorac\w*|poitrine|coeur)\b",
        r"\b(?:mal|oppress\w*|serre\w*|pression|poids|brul\w*)~(?:poitrine|thorax|coeur)\b",
        r"\bpoitrine~(?:serre\w*|oppress\w*|fait mal|douleur|brule|ecrase\w*|lourde)",
        r"\b(?:crise cardiaque|infarctus|arret cardiaque)\b",
        r"\bdolor\w*~(?:pecho|torax|toracico|corazon)\b",
        r"\b(?:opresion|presion|pinchazo|ardor|peso|apret\w*)~(?:pecho|torax)\b",
        r"\bduele~(?:pecho|corazon)\b",
        r"\bpecho~(?:duele|apretado|oprimido|presion|dolor)",
        r"\b(?:infarto|ataque (?:al|de) corazon|paro cardiaco)\b",
    ],
    "stroke": [
        # Not the name of a treatment or a service: "how is stroke thrombectomy done?"
        r"\bstroke\b(?! of luck| (?:thrombectomy|treatment|unit|clinic|team|service|nurse|prevention|risk|rehab\w*)\b)",
        r"\b(?:face|mouth|smile|lip)~(?:droop\w*|drop\w*|crooked|lopsided|sagg\w*|twisted|fallen|numb)",
        r"\bdroop\w*~(?:face|mouth|eye|side)\b",
        r"\b(?:slur\w*|gibberish|garbled)",
        r"\b(?:talking|speaking|speech|words)~(?:strange|weird|funny|wrong|nonsense|jumbled|mixed up)",
        r"\bcant speak\b",
        r"\bcant~(?:speak|talk) (?:properly|clearly|normally|right)\b",
        r"\b(?:cant|unable to|trouble|difficulty) (?:find\w*|get\w*)~words\b",
        r"\b(?:weak\w*|numb\w*|paraly[sz]\w*|dead|heavy|floppy)~(?:one side|left side|right side|half)\b",
        r"\b(?:one|left|right) side~(?:weak\w*|numb\w*|paraly\w*|droop\w*|dead|heavy|floppy)",
        r"\b(?:cant|unable to) (?:move|lift|raise)~(?:arm|leg|hand|face|side)\b",
        r"\b(?:arm|leg|hand|foot)~(?:numb\w*|weak\w*|paraly[sz]\w*|floppy)",
        r"\bsudden\w*~(?:confus\w*|cant see|blind\w*|lost|double vision|cant speak|cant talk|weak\w*|numb\w*|headache)",
        # "he is very confused", not "I'm confused about the instructions"
        r"\b(?:very|really|so|became|become|becoming|gone|getting|is|hes|shes|acting|seems|looks|got)~confus\w*\b"
        r"(?! (?:about|by|with|regarding|as to|on|over|why|what|how|when|where|if|whether))",
        r"\b(?:disorient\w*|desorient\w*)",
        r"\bdoesnt (?:know|recogni\w*) (?:where|who|me|us)\b",
        r"\b(?:lost|losing|lose)~(?:vision|sight|eyesight)\b",
        r"\b(?:gone|went|going) blind\b",
        r"\bblind in\b",
        r"\bvision~(?:gone|went|black|dark|lost|double)\b",
        r"\bdouble vision\b",
        r"\bcant see (?:anything|properly|clearly|out of|in|with)\b",
        r"\b(?:avc|accident vasculaire|attaque cerebrale)\b",
        r"\b(?:visage|bouche|levre)~(?:paralys\w*|tombe\w*|affaiss\w*|de travers|deform\w*|tordu\w*)",
        r"\b(?:ne peu[xt]|narrive|n arrive) (?:plus|pas)~parler\b",
        r"\bparle~(?:mal|difficilement|bizarre\w*|de travers)\b(?! (?:le )?(?:francais|anglais|espagnol))",
        r"\b(?:bras|jambe|cote|main|visage)~(?:paralys\w*|engourd\w*|faible|inerte|ne bouge plus|bouge plus)",
        r"\b(?:engourd\w*|paralys\w*|faiblesse)~(?:bras|jambe|cote|visage|main)\b",
        r"\b(?:ne )?voi[st] plus\b",
        r"\bperdu la vue\b",
        r"\b(?:il|elle) est~confus\w*",
        r"\bsoudain\w*~confus\w*",
        r"\b(?:ictus|derrame|embolia cerebral|infarto cerebral|accidente cerebrovascular)\b",
        r"\b(?:cara|boca)~(?:torcida|caida|paraliz\w*|dormida|de lado|ladeada)",
        r"\bcay\w*~(?:cara|boca)\b",
        r"\bno (?:puede|puedo|consigue) hablar\b",
        r"\bhabla~(?:raro|mal|extrano|incoherente|arrastrando|trabad\w*)",
        r"\barrastra~palabras\b",
        r"\b(?:brazo|pierna|lado|mano)~(?:dormid\w*|paraliz\w*|debil|entumecid\w*|adormecid\w*|no se mueve)",
        r"\bno (?:puedo|puede) mover~(?:brazo|pierna|lado|mano|cara)\b",
        r"\besta~confundid\w*",
        r"\bde repente~confundid\w*",
        r"\bdesorientad\w*",
        r"\bno (?:veo|ve) (?:nada|de un ojo)\b",
        r"\bperdi\w* la vista\b",
        r"\bse quedo ciego\b",
    ],
    "seizure": [
        r"\bseiz\w*",
        r"\bsiez\w*",
        r"\bconvuls\w*",
        r"\b(?:having|had|has|have|in) (?:a )?fit\b",
        r"\b(?:is|hes|shes|started|keeps|been) fitting\b",
        r"\bepileptic (?:fit|seizure|attack)\b",
        r"\bjerking~(?:unconscious|not responding|all over)\b",
        r"\bcrise (?:d ?)?epilep\w*",
        r"\bcrise convulsive\b",
        r"\b(?:ataque|crisis) (?:epileptic\w*|de epilepsia|convulsiv\w*)",
    ],
    "allergy": [
        r"\b(?:lip|lips|tongue|throat|face|mouth|eyelids?)~(?:swell\w*|swollen|swolen|puffy|puffing|closing|tight|blowing up)",
        r"\b(?:swell\w*|swollen|puffy)~(?:lip|lips|tongue|throat|face|mouth)\b",
        r"\banaph\w*",
        r"\banafil\w*",
        r"\ballergic (?:reaction|shock)\b",
        r"\bepi ?pen\b",
        r"\bhives~(?:BREATH|wheez\w*|swell\w*|throat|face|lips|tongue)",
        r"\b(?:levres?|langue|gorge|visage|bouche|paupieres?)~(?:gonfl\w*|enfl\w*|serre\w*|se ferme\w*)",
        r"\b(?:gonfl\w*|enfl\w*|oedeme)~(?:levres?|langue|gorge|visage)\b",
        r"\bchoc anaphyl\w*",
        r"\breaction allergique\b",
        r"\boedeme de quincke\b",
        r"\burticaire~(?:respir\w*|gonfl\w*|gorge|etouf\w*)",
        r"\b(?:labios?|lengua|garganta|cara|boca|parpados?)~(?:hinchad\w*|inflamad\w*|se (?:me )?cierra|cerrando)",
        r"\bhinch\w*~(?:labios?|lengua|garganta|cara|boca)\b",
        r"\breaccion alergica\b",
        r"\b(?:choque|shock) anafilactico\b",
        r"\burticaria~(?:respir\w*|hinch\w*|garganta|ahog\w*)",
    ],
    "bleeding": [
        r"\bbleed\w*\b(?! (?:risk|risks|disorder|time)\b)",
        r"\bblead\w*",
        r"\b(?:haemorrhag|hemorrhag|hemorag)\w*",
        r"\bblood~(?:everywhere|pouring|spurting|gushing|squirting|pumping|dripping|running|streaming|coming|soaking|all over|keeps)",
        r"\b(?:pouring|spurting|gushing|squirting|pumping|losing|lost|lots of|lot of|so much|full of|soaked|soaking|"
        r"covered in|pool of|dripping)~blood\b",
        r"\b(?:spurting|squirting|gushing)\b",
        r"\b(?:leak\w*|ooz\w*)~blood\b",
        r"\bblood~(?:leak\w*|ooz\w*)",
        r"\b(?:dressing|bandage|sheets?|pad|plaster)~(?:soaked|soaking|full of blood)",
        r"\bsoak\w*~(?:dressing|bandage|sheets?|pad|plaster)\b",
        r"\b(?:vomit\w*|throw\w* up|threw up|puk\w*|being sick|cough\w* up)~blood\b",
        r"\bblack~(?:stools?|poo|poop|poos|bowel motions?)\b",
        r"\b(?:stools?|poo|poop|poos)~black\b",
        r"\b(?:lump|swelling|bump|bulge|haematoma|hematoma|bruise)~"
        r"(?:growing|getting bigger|bigger(?! than)|expanding|ballooning|swelling up)",
        r"\b(?:swell\w*|swollen|growing|getting bigger|expanding)~(?:fast|quickly|quick|rapidly|by the minute)\b",
        # A hard lump alone is common for days after a puncture; tense or pulsating, it may be a bleed.
        r"\b(?:tense|pulsating|throbbing|pulsing)~(?:lump|swelling|bump|mass)\b",
        r"\b(?:getting bigger|getting larger|ballooning)\b",
        r"\b(?:lump|site|groin|swelling|bump|wrist)~(?:pulsat\w*|throbbing)",
        r"\b(?:cant|wont|doesnt|hasnt|isnt|not|never|didnt) stop\w*~bleed\w*",
        r"\bbleed\w*~not stop\w*",
        r"\bsaign\w*\b(?! (?:pas|plus|jamais)\b)",
        r"\b(?:perd\w*|pert)~sang\b",
        r"\bsang~(?:partout|coule|gicle|pisse|jaillit)",
        r"\b(?:beaucoup|plein|flaque)~sang\b",
        r"\b(?:gicle|jaillit)\b",
        r"\b(?:vomi\w*|crache\w*)~sang\b",
        r"\bselles? noires?\b",
        r"\b(?:gonfl\w*|enfl\w*|grossi\w*)~(?:vite|rapidement|a vue doeil)\b",
        r"\b(?:boule|bosse|hematome|gonflement)~(?:grossit|grandit|gonfle|augmente|enfle)\b",
        r"\bsangr(?:a\w*|o|ando)\b",
        r"\bsangre~(?:mucho|mucha|por todas partes|a chorros|no para|sale|brota|chorrea|sin parar)",
        r"\b(?:pierdo|perdiendo|pierde|perdio|chorro|charco|mucha|tanta|llen[oa] de)~sangre\b",
        r"\b(?:vomit\w*|devolv\w*)~sangre\b",
        r"\b(?:heces|caca|deposiciones|popo)~negras?\b",
        r"\b(?:hinch\w*|bulto|chichon|hematoma)~(?:crece|creciendo|aumenta|mas grande)",
        r"\b(?:creciendo|crece|aumentando|hinchando\w*)~(?:rapido|deprisa)\b",
    ],
    "limb_ischaemia": [
        r"\bLIMB_EN~(?:cold|cool|freezing|icy|white|pale|blue|purple|grey|gray|mottled|numb|dead|tingl\w*|"
        r"pins and needles|agony|excruciating|killing me)\b",
        r"\b(?:cold|icy|freezing|pale|white|blue|purple|mottled|numb|dead)~LIMB_EN\b",
        r"\b(?:cant|dont) feel~LIMB_EN\b",
        r"\bno (?:feeling|sensation)~LIMB_EN\b",
        r"\bno pulse\b",
        r"\bcant (?:feel|find)~pulse\b",
        r"\bSEVERE~pain~LIMB_EN\b",
        r"\bLIMB_FR~(?:froid\w*|glace\w*|gele\w*|blanc\w*|pale|bleu\w*|violet\w*|marbre\w*|engourd\w*|insensible|mort\w*|fourmill\w*)",
        r"\b(?:ne |n)?sen[st] (?:plus|pas|rien)~LIMB_FR\b",
        r"\bLIMB_ES~(?:fria|frio|helad\w*|blanc\w*|palid\w*|azul\w*|morad\w*|dormid\w*|entumecid\w*|adormecid\w*|insensible)",
        r"\bno siento~LIMB_ES\b",
        r"\bsin pulso\b",
    ],
    "abdominal": [
        r"\bSEVERE~(?:pain|pains|ache|cramps?)~BELLY\b",
        r"\bSEVERE~BELLY~(?:pain|ache|cramps?)\b",
        r"\bBELLY~(?:pain|ache|hurts?)~(?:unbearable|excruciating|agony|severe|terrible|awful|killing|getting worse)",
        r"\bBELLY~(?:rigid|hard as|agony|killing me)",
        r"\bagony~BELLY\b",
        r"\bpain~BELLY~(?:unbearable|excruciating|agony|severe|terrible|awful)",
        r"\b(?:douleur|mal)~(?:ventre|abdomen|abdominal\w*|estomac)~(?:atroce|insupportable|intense|terrible|horrible|violent\w*)",
        r"\bdouleur\w*~(?:atroce|insupportable|intense|terrible|horrible|violent\w*)~(?:ventre|abdomen|abdominal\w*|estomac)\b",
        r"\b(?:tres|trop|hyper|vraiment|super) mal~(?:ventre|estomac)\b",
        r"\bventre (?:dur|de bois)\b",
        r"\b(?:me duele|duele) (?:mucho|muchisimo)~(?:barriga|estomago|abdomen|vientre|tripa|panza)\b",
        r"\b(?:barriga|estomago|abdomen|vientre|panza)~(?:duro|dura)\b",
    ],
    "sepsis": [
        r"\bfea?ve?r(?:s|ish)?\b",
        r"\bfevr\w*",
        r"\b(?:have|got|running|has|with|high|spik\w*|raised|a)~(?:temp|temps|temperature|temprature)\b",
        r"\btemp\w*~(?:3[89]|4[0-2]|10[0-6])\b",
        r"\bburning up\b",
        r"\brigor\w*",
        r"\bchills\b",
        r"\bcant stop (?:shaking|shivering|trembling)\b",
        r"\b(?:shaking|shiver\w*|trembling)~uncontrol\w*",
        r"\buncontrol\w*~(?:shaking|shiver\w*|trembling)\b",
        r"\bteeth chattering\b",
        r"\bseptic\w*",
        r"\bsepsis\b",
        r"\bfievr\w*",
        r"\bfiev\b",
        r"\bfrisson\w*",
        r"\bgrelott\w*",
        r"\btremble\w* de (?:froid|partout)\b",
        r"\btemperature~(?:3[89]|4[0-2])\b",
        r"\bfiebre\w*",
        r"\bcalentura\b",
        r"\bescalofrio\w*",
        r"\btiritand\w*",
        r"\btemblando de frio\b",
        r"\btemperatura~(?:3[89]|4[0-2])\b",
    ],
    "general_emergency": [
        r"\b(?:call|get|need|send|phone|ring|dial)~(?:ambulance|ambulence|paramedics?|999|911|112|emergency services)\b",
        r"\bambulance (?:now|asap|please|quick)\b",
        r"\b(?:somebody|someone) help\b",
        r"\bsos\b",
        r"^(?:please )?help(?: me)?(?: please)?[.!? ]*$",
        r"\b(?:think|feel like|feels like|afraid|scared)~(?:dying|going to die)\b",
        r"\b(?:im|hes|shes|i am) dying\b(?! (?:to|for|of)\b)",
        r"\bgoing to die\b(?! (?:of|from) (?:boredom|embarrassment|laughter|hunger)\b)",
        r"\b(?:its|its an|this is|this is an|medical|real|having an|we have an) emergency\b",
        r"\bheart (?:has )?stopped\b",
        r"\bcpr\b",
        r"\b(?:dont know|not sure|cant tell) if~(?:breathing|alive|conscious)\b",
        r"\bSEVERE~(?:pain|pains)\b",
        r"\b(?:pain|ache)~(?:unbearable|excruciating|agony|killing me)\b",
        r"\bin agony\b",
        r"\bworst pain\b",
        r"\bnever (?:\w+ ){0,5}(?:like this|this bad|so bad)\b",
        r"\b(?:is|are|feels) (?:so |really |very )?(?:excruciating|unbearable)\b",
        r"\b(?:samu|pompiers|urgence vitale)\b",
        r"\bappel\w*~(?:ambulance|urgences|15|112|secours)\b",
        r"\bau secours\b",
        r"\ba laide\b",
        r"\baidez (?:moi|nous)\b",
        r"\bje (?:vais|crois que je vais|pense que je vais) mourir\b",
        r"\bje meurs\b(?! de (?:faim|soif|froid|chaud|rire|envie|fatigue|ennui)\b)",
        r"\bdouleur\w*~(?:atroce|insupportable)\b",
        r"\b(?:llam\w*|marca\w*)~(?:ambulancia|emergencias|urgencias|112|911|061)\b",
        r"\b(?:manden|mandar|envien|necesito|necesitamos|pidan)~ambulancia\b",
        r"\b(?:socorro|auxilio|ayudenme|ayudame)\b",
        r"^(?:por favor )?ayuda(?: por favor)?[.!? ]*$",
        r"\bme (?:voy a morir|estoy muriendo)\b",
        r"\bcreo que me muero\b",
        r"\bme muero\b(?! de (?:hambre|sed|risa|ganas|frio|calor|sueno|aburrimiento|verguenza)\b)",
        r"\bdolor~(?:insoportable|terrible|horrible|tremendo|brutal|muy fuerte)\b",
        r"\b(?:insoportable|terrible|horrible|fuerte|intenso) dolor\b",
    ],
}


# German, Dutch and Turkish, per category. Turkish marks negation and "if" with suffixes, so its patterns
# spell out the negative forms that are symptoms ("alamiyorum": I cannot take [a breath]), and a "yok"/"degil"
# right after a symptom negates it (_POST_NEGATION).
_MORE_LANGUAGES: dict[str, list[str]] = {
    "self_harm": [
        r"\b(?:mich|mir) (?:umbringen|das leben nehmen|etwas antun)\b",
        r"\bselbstmord\w*",
        r"\bsuizid\w*",
        r"\b(?:will|mochte) (?:nicht mehr leben|sterben)\b",
        r"\bzelfmoord\w*",
        r"\bmezelf (?:iets )?aan ?doen\b",
        r"\bwil (?:niet meer leven|dood)\b",
        r"\bintihar\w*",
        r"\bkendimi oldur\w*",
        r"\byasamak istemiyorum\b",
        r"\bolmek istiyorum\b",
    ],
    "collapse": [
        r"\bohnmacht\w*",
        r"\bbewusstlos\w*",
        r"\bzusammengebrochen\b",
        r"\bkollabiert\b",
        r"\breagiert (?:nicht|kaum)\b",
        r"\bwacht nicht (?:mehr )?auf\b",
        r"\bflauw ?gevallen\b",
        r"\bflauwvallen\b",
        r"\bbewusteloos\b",
        r"\breageert niet\b",
        r"\bin elkaar gezakt\b",
        r"\bbayil(?!m)\w*",
        r"\bbilinc\w*~(?:kayb\w*|kapan\w*|yok|gitti)",
        r"\b(?:cevap|tepki) vermiyor\w*",
        r"\buyanmiyor\w*",
        r"\byere yigil\w*",
    ],
    "breathing": [
        r"\b(?:kann|kriege|krieg|bekomme)~(?:nicht|kaum|keine) (?:atmen|luft)\b",
        r"\batemnot\b",
        r"\bluftnot\b",
        r"\batmet~(?:nicht|kaum)\b",
        r"\bersticke\w*",
        r"\b(?:kan|krijg)~(?:niet|geen|nauwelijks) (?:ademen|lucht)\b",
        r"\bbenauwd\w*",
        r"\bkortademig\w*",
        r"\bademt~(?:niet|nauwelijks)\b",
        r"\bstik\b",
        r"\bstikken\b",
        r"\bnefes~(?:alamiyor\w*|alamadi\w*|almiyor\w*|darligi\w*|yetmiyor\w*|kesil\w*|almakta zorlan\w*)",
        r"\bbogul\w*",
    ],
    "chest_pain": [
        r"\bbrustschmerz\w*",
        r"\bschmerz\w*~brust\b",
        r"\bbrust~(?:schmerz\w*|eng|enge|druck|tut weh|brennt)",
        r"\bherzinfarkt\b",
        r"\bengegefuhl~brust\b",
        r"\bpijn op (?:de|mijn|zijn|haar) borst\b",
        r"\bborst~(?:pijn|drukkend|knellend|beklemmend)",
        r"\bhartaanval\b",
        r"\bhartinfarct\b",
        r"\bgogus\w*~agri\w*",
        r"\bgogsum\w*~(?:agri\w*|sikis\w*|baski|yan\w*)",
        r"\bkalp krizi\b",
    ],
    "stroke": [
        r"\bschlaganfall\b",
        r"\b(?:gesicht|mund|mundwinkel)~(?:hangt|hangend|schief|gelahmt|taub)\b",
        r"\bkann~(?:nicht|kaum) (?:mehr )?(?:sprechen|reden)\b",
        r"\bspricht~(?:undeutlich|verwaschen|komisch|wirr)\b",
        r"\b(?:arm|bein|seite|hand|gesichtshalfte)~(?:gelahmt|lahm|taub|schwach|kraftlos)\b",
        r"\blahmung\w*",
        r"\bsehe (?:nichts|nicht mehr|doppelt)\b",
        r"\bplotzlich~verwirrt\b",
        r"\bist~verwirrt\b",
        r"\bberoerte\b",
        r"\b(?:gezicht|mond|mondhoek)~(?:hangt|scheef|verlamd)\b",
        r"\bkan~(?:niet|nauwelijks) (?:meer )?praten\b",
        r"\bpraat~(?:raar|onduidelijk|vreemd|wartaal)\b",
        r"\b(?:arm|been|kant|hand)~(?:verlamd|krachteloos|slap)\b",
        r"\bverlamd\w*",
        r"\bzie (?:niets|niks) meer\b",
        r"\bfelc\w*",
        r"\binme\b",
        r"\byuz\w*~(?:kay\w*|carpil\w*|carpik|dusuk|dustu)\b",
        r"\bkonusamiyor\w*",
        r"\bkonusma\w*~(?:bozul\w*|bozuk|anlasilmiyor|pelteklesti)",
        r"\b(?:kolum|kolu|bacagim|bacagi|yuzum|yuzu|elim|eli)~(?:tutmuyor|felc\w*|hareket etmiyor)",
        r"\b(?:goremiyorum|gormuyor\w*)\b",
    ],
    "seizure": [
        r"\bkrampfanfall\w*",
        r"\bepileptisch\w*",
        r"\bkrampft\b",
        r"\bepileptische aanval\b",
        r"\bstuip\w*",
        r"\bnobet~(?:geciriyor\w*|gecirdi\w*)",
        r"\bsara nobeti\b",
    ],
    "allergy": [
        r"\b(?:lippen|zunge|hals|gesicht|rachen)~(?:geschwollen|schwillt|schwellen|dick)\b",
        r"\ballergische reaktion\b",
        r"\banaphylak\w*",
        r"\b(?:lippen|tong|keel|gezicht)~(?:opgezwollen|gezwollen|zwelt|dik)\b",
        r"\ballergische reactie\b",
        r"\banafylak\w*",
        r"\b(?:dudak\w*|dilim|dili|bogaz\w*|yuz\w*)~(?:sisti|sisiyor|sismis|kapaniyor)\b",
        r"\balerjik (?:reaksiyon|sok)\b",
        r"\banafilak\w*",
    ],
    "bleeding": [
        r"\b(?:blutet|bluten|blutung\w*|nachblutung\w*)\b(?! ?risiko)",
        r"\bblut~(?:spritzt|lauft|stromt|uberall|schiesst)",
        r"\b(?:viel|uberall|sehr viel)~blut\b",
        r"\bblut (?:erbroch\w*|gespuckt|gehustet)\b",
        r"\bbluterbrechen\b",
        r"\b(?:schwarzer stuhl|teerstuhl)\b",
        r"\b(?:bloedt|bloeden|bloeding\w*|nabloeding\w*)\b(?! ?risico)",
        r"\bbloed~(?:spuit|loopt|stroomt|overal|gutst)",
        r"\b(?:veel|overal)~bloed\b",
        r"\bbloed (?:overgeven|gebraakt|opgehoest|gespuugd)\b",
        r"\bzwarte ontlasting\b",
        r"\bkanama(?!di|mis|z\b|yacak)\w*\b(?! ?risk\w*)",
        r"\bkaniyor\w*",
        r"\bkan~(?:geliyor|akiyor|fiskir\w*|durmuyor|bosaliyor)",
        r"\bkan kus\w*",
        r"\bkanli kus\w*",
        r"\bsiyah diski\w*",
        r"\b(?:schwellung|bluterguss|beule)~(?:wachst|wird grosser|grosser)",
        r"\b(?:zwelling|bult)~(?:groeit|wordt groter)",
        r"\bsislik~(?:buyuyor|artiyor)",
    ],
    "limb_ischaemia": [
        r"\bLIMB_DE~(?:kalt|eiskalt|weiss|blass|blau|taub|gefuhllos|abgestorben)\b",
        r"\b(?:kalt\w*|eiskalt\w*|taub\w*|gefuhllos\w*|kribbeln|kribbelt)~LIMB_DE\b",
        r"\bLIMB_DE~kribbelt\b",
        r"\bkein gefuhl~LIMB_DE\b",
        r"\bLIMB_NL~(?:koud|ijskoud|wit|bleek|blauw|gevoelloos|doof)\b",
        r"\bgeen gevoel~LIMB_NL\b",
        r"\bLIMB_TR~(?:soguk\w*|buz gibi|bembeyaz|beyazla\w*|morar\w*|mosmor|uyus\w*|hissiz\w*|hissetmiyor\w*)",
        r"\bLIMB_TR~hissetmiyorum\b",
    ],
    "abdominal": [
        r"\b(?:starke|heftige|unertragliche|schlimme)~bauchschmerz\w*",
        r"\bbauch~(?:hart|bretthart)\b",
        r"\b(?:hevige|ernstige|vreselijke|ondraaglijke)~buikpijn\b",
        r"\bbuik~(?:keihard|plankhard)\b",
        r"\b(?:siddetli|dayanilmaz|cok kotu)~karin agri\w*",
        r"\bkarn\w*~(?:cok agri\w*|dayanilmaz|tahta gibi)",
    ],
    "sepsis": [
        r"\bfieber\w*",
        r"\bschuttelfrost\b",
        r"\bkoorts\w*",
        r"\b(?:koude )?rillingen\b",
        r"\bates\w*",
        r"\btitreme\w*",
        r"\btitriyor\w*",
    ],
    "general_emergency": [
        r"\bnotarzt\b",
        r"\b(?:ruf|rufen|rufe|rufen sie)~(?:krankenwagen|rettungswagen|notarzt|112|notruf)\b",
        r"\bnotfall\b",
        r"\bich sterbe\b",
        r"\b(?:unertragliche|starkste)~schmerz\w*",
        r"^hilfe[.! ]*$",
        r"\bbel~(?:ambulance|112|huisartsenpost)\b",
        r"\bnoodgeval\b",
        r"\bik ga dood\b",
        r"\bondraaglijke pijn\b",
        r"\bambulans\b",
        r"\b112~ara\w*",
        r"\bimdat\b",
        r"\byardim edin\b",
        r"\bacil durum\b",
        r"\bolecegim\b",
        r"\bdayanilmaz agri\w*",
    ],
}
for _category, _sources in _MORE_LANGUAGES.items():
    _PATTERN_SOURCES[_category] = _PATTERN_SOURCES[_category] + _sources


def _expand(source: str) -> str:
    for name, piece in _PIECES.items():
        source = source.replace(name, piece)
    return source


_PATTERNS: dict[str, list[re.Pattern[str]]] = {
    category: [_compile(_expand(source)) for source in sources] for category, sources in _PATTERN_SOURCES.items()
}


# ---------------------------------------------------------------------------
# Step 3: splitting into sentences, segments and clauses
# ---------------------------------------------------------------------------

# Resolution ("... but it stopped") is judged per sentence, general questions
# per comma-separated segment, negation and history per clause.
_SENTENCE_END = re.compile(r"[.!?;]+")
_SEGMENT_END = re.compile(r"[.!?;,:]+")
_CLAUSE_END = _compile(
    r"[.!?;,:]+|\b(?:and|but|however|although|though|whereas|except|mais|et|cependant|pourtant|pero|y|aunque|sino|"
    r"und|aber|jedoch|maar|echter|ama|fakat|ve)\b"
)


def _unit(text: str, pos: int, delimiter: re.Pattern[str]) -> tuple[int, int]:
    """Start and end of the unit (sentence, segment or clause) holding position `pos`."""
    start = 0
    for d in delimiter.finditer(text):
        if d.end() <= pos:
            start = d.end()
        elif d.start() >= pos:
            return start, d.start()
    return start, len(text)


# ---------------------------------------------------------------------------
# Step 4: negation, scoped to the clause
# ---------------------------------------------------------------------------

# A cue up to six words before the symptom suppresses it. Symptoms that
# contain a negation ("can't breathe", "no pulse", "il ne respire plus",
# "no puedo respirar") start *at* the negation word, so the cue is inside the
# match and does not count.
_NEGATION_CUE = _compile(
    r"\b(?:no|not|dont|doesnt|didnt|isnt|arent|wasnt|werent|havent|hasnt|hadnt|never|without|none|nor|"
    r"neither|denies|free of|stopped|"
    r"ne|nai|nest|ny|pas|sans|aucun\w*|jamais|ni|plus de|plus d|arret\w*|cesse\w*|"
    r"sin|nunca|ningun\w*|tampoco|jamas|dejo de|paro de|nada de|"
    r"nicht|kein\w*|nie|ohne|niet|geen|nooit|zonder|"
    # Not negations, but the same effect: the symptom is talked about, not had.
    r"risks? of|chances? of|in case of|prevent\w*|avoid\w*|risques? de|en cas de|eviter|"
    r"riesgos? de|en caso de|evitar|prevenir|risiko|gefahr|vermeiden|risico|voorkomen)\b"
)
# Phrases containing a negation word that negate something else than the
# symptom: "I don't know what to do, he's not breathing", "no sé qué hacer".
_NOT_A_NEGATION = _compile(
    r"\b(?:dont know|not sure|no idea|dont understand|not ok|not okay|not well|not good|not right|"
    r"not feeling well|ne sais pas|sais pas|ne sait pas|pas bien|de plus en plus|no se|no entiendo|"
    r"no estoy bien|no me siento bien)\b"
)
# A new subject ends the scope of an earlier negation: in "no, he collapsed"
# or "no he's not breathing" the "no" is an exclamation. Spanish "he" before
# a participle is "I have" ("no he tenido fiebre") and keeps the negation.
_SCOPE_BREAK = _compile(
    r"\bhe\b(?! \w+(?:ado|ido)\b)|\b(?:i|im|ive|id|hes|she|shes|they|theyre|we|you|my|his|her|their|our|its|"
    r"je|j|il|elle|ils|elles|mon|ma|mes|son|sa|ses|yo|ella|mi|mis|su|sus|now|maintenant|ahora|"
    r"ich|er|sie|mein\w*|jetzt|ik|hij|zij|mijn|nu)\b"
)
_NEGATION_WINDOW = 6  # words


def _negated(clause_before_match: str) -> bool:
    window = _NOT_A_NEGATION.sub(" ", clause_before_match)
    breaks = list(_SCOPE_BREAK.finditer(window))
    if breaks:
        window = window[breaks[-1].end() :]
    window = " ".join(window.split()[-_NEGATION_WINDOW:])
    return _NEGATION_CUE.search(window) is not None


# ---------------------------------------------------------------------------
# Step 5: general questions, hypotheticals, resolved events, history
# ---------------------------------------------------------------------------

_FILLER = (
    r"(?:(?:hi|hello|hey|ok|okay|so|and|also|but|please|sorry|doctor|doc|nurse|quick question|"
    r"question|one more question|i was wondering|just wondering|i wanted to ask|can i ask|may i ask|"
    r"bonjour|salut|docteur|une question|hola|doctora?|una pregunta)\s+)*"
)
# A general question starts its segment with one of these frames.
_QUESTION_FRAME = _compile(
    r"^" + _FILLER + r"(?:"
    r"what (?:are |is |s )?(?:the |my )?(?:risks?|chances?|signs?|symptoms?|side effects?|complications?|odds)"
    r"|what (?:happens|would happen|if)\b|what (?:should|do|would|can) (?:i|we|you) do (?:if|when|about|after|in case)"
    r"|(?:is|are|was) (?:it|this|that|there) (?:normal|common|usual|possible|likely|ok|okay|safe|expected|serious|"
    r"dangerous|a risk|any risk|a chance|a sign)"
    r"|(?:is|are) (?:\w+ ){1,3}(?:a |an )?(?:normal|common|usual|expected|side effects?|complications?|risks?|"
    r"dangerous|serious|signs?|symptoms?)\b"
    r"|when (?:should|do|would|must|can) (?:i|we|you|one|he|she) (?:call|worry|be worried|be concerned|go|seek|"
    r"contact|phone|ring|get|come|need)"
    r"|when to (?:call|worry|go|seek|contact)"
    r"|how (?:likely|common|often|long|soon|dangerous|serious|do i know|can i tell|will i know|would i know|"
    r"to recogni[sz]e|to tell|do you know)"
    r"|(?:can|could|does|do|will|would|might|may) (?:\w+ ){1,3}(?:cause|lead to|give|result in|trigger|increase)"
    r"|(?:will|would|could|might|can) (?:i|it|there|you|he|she|people|patients) (?:get|have|bleed|develop|experience)\b"
    r"|should i (?:worry|be worried|be concerned|be afraid|expect)"
    r"|do (?:people|patients|most people|many people) "
    r"|(?:are|is) there (?:any |a )?(?:risks?|side effects?|complications?|chances?|danger)"
    r"|(?:can|could) you (?:tell|explain|describe)|tell me (?:about|more)|do i need (?:to|a|an)\b"
    r"|(?:if|in case) .*\b(?:should i|do i|can i|what)\b"
    r"|quels? (?:sont|est) (?:les|le|la) (?:risques?|signes?|symptomes?|effets?|complications?)"
    r"|est ce (?:que )?(?:cest |ce sera )?(?:normal|frequent|courant|grave|dangereux|possible)"
    r"|est il (?:normal|frequent|possible)|cest (?:normal|frequent|grave)"
    r"|que (?:faire|dois je faire|se passe t il|faut il faire) (?:si|en cas|quand)|et si\b"
    r"|quand (?:dois je|faut il|doit on|est ce que je dois) (?:appeler|minquieter|consulter|venir|aller|contacter)"
    r"|(?:est ce que )?(?:la |le |l |une |un |les )?(?:\w+ ){0,2}(?:peut|peuvent|pourrait) (?:causer|provoquer|donner|entrainer)"
    r"|y a t il (?:un|des) (?:risques?|danger)"
    r"|cuales? (?:son|es) (?:los|las|el|la) (?:riesgos?|sintomas?|signos?|efectos?|complicaciones?|probabilidad)"
    r"|es (?:normal|comun|habitual|frecuente|grave|peligroso|posible)"
    r"|que (?:pasa|pasaria|ocurre|hago|debo hacer|hacer|tengo que hacer) (?:si|en caso|cuando)"
    r"|cuando (?:debo|tengo que|hay que|deberia|se debe) (?:llamar|preocupar\w*|ir|acudir|consultar|avisar)"
    r"|(?:puede|pueden|podria) (?:\w+ ){0,2}(?:causar|provocar|dar)|hay (?:riesgo|peligro|posibilidad)|y si\b"
    r"|(?:ist|sind) (?:\w+ ){1,3}(?:normal|gefahrlich|schlimm|ublich|haufig)"
    r"|was (?:passiert|mache ich|tue ich|soll ich tun|tun|ist) (?:wenn|bei|im|falls)"
    r"|wie (?:hoch|gross|wahrscheinlich|haufig) ist (?:das|die|eine?)|welche (?:risiken|komplikationen|nebenwirkungen)"
    r"|(?:kann|konnen) es zu|wann (?:soll|muss|sollte) ich (?:anrufen|kommen|mich melden|zum arzt)"
    r"|(?:is|zijn) (?:\w+ ){1,3}(?:normaal|gevaarlijk|erg|gebruikelijk)"
    r"|(?:can|may|could|should) i (?:take|use|have|keep) (?:\w+ ){0,4}(?:if|when)\b"
    r"|(?:puedo|debo|tengo que) (?:tomar|usar|seguir) (?:\w+ ){0,4}(?:si|cuando)\b"
    r"|(?:puis je|dois je|je peux|est ce que je peux) (?:prendre|continuer) (?:\w+ ){0,4}(?:si|quand)\b"
    r"|wat (?:gebeurt er|moet ik doen|te doen|doe ik) (?:als|bij)|hoe groot is de kans"
    r"|welke (?:risicos|complicaties|bijwerkingen)|wanneer moet ik (?:bellen|contact)"
    r")"
)
# An if-clause runs from "if" to the end of its segment.
_IF = _compile(r"\b(?:if|si|in case|en cas|en caso|whenever|wenn|falls|indien)\b")
# Turkish puts "if" and "risk of" after the symptom: "kanama olursa ne yapmaliyim" (if bleeding happens, what do I
# do), "kanama riski" (risk of bleeding); "... yok" / "... degil" right after a symptom negates it.
_GENERAL_TR = _compile(r"\b(?:olursa|olursam|olunca|durumunda|riski\w*|belirtileri\w*|yan etkileri\w*)\b")
_POST_NEGATION = _compile(r"^\s*(?:\w+\s+)?(?:yok|yoktu|degil|degildi)\b")
# "The nurse said to call if I get a fever": an instruction about a possible
# future symptom. Symptoms after the "if" are hypothetical.
_INSTRUCTION_IF = _compile(
    r"\b(?:call|phone|ring|contact|tell|told|said|says|advised|appeler|appelez|contacter|llamar|llame|llamen|avisar)\b"
    r"[^.!?;,:]*?\b(?:if|si|in case|en cas|en caso|whenever)\b"
)
# A present statement by or about the patient, or their own body part: never
# treated as general, even inside a question ("is it normal that I have chest
# pain?", "is it normal for my leg to be cold?"). Checked outside if-clauses.
_PRESENT_STATEMENT = _compile(
    r"\b(?:my|his|her|their|our|mon|ma|mes|son|sa|ses|mi|mis|su|sus) (?:\w+ )?(?:leg|legs|foot|feet|toes?|arm|arms|"
    r"hand|hands|fingers?|groin|wrist|chest|face|lips?|tongue|throat|stomach|belly|tummy|wound|jambes?|pieds?|"
    r"bras|mains?|aine|poignet|poitrine|visage|levres?|langue|gorge|ventre|plaie|piernas?|pies?|brazos?|"
    r"manos?|ingle|muneca|pecho|cara|labios?|lengua|garganta|barriga|estomago|herida)\b|"
    r"\b(?:im|ive|hes|shes|theyre|theres|its (?:bleeding|pouring|swelling|getting|spurting))\b"
    r"|\b(?:i|he|she|they|we|it|(?:my|his|her|their|our) \w+) (?:cant|keep|keeps|is|are|was|has|have|had|feel|feels|felt|"
    r"look|looks|seem|seems|just|wont|doesnt|isnt|went|turned|started|got|collapsed|fainted|passed)\b"
    r"|\b(?:je|j|il|elle|(?:mon|ma|mes|son|sa|ses) \w+) (?:suis|saigne|sens|respire|vomis|narrive|ne|me|crois|est|a|ai|"
    r"sont|gonfle)\b"
    r"|\bjai\b"
    r"|\b(?:tengo|tiene|estoy|esta|estan|me duele|le duele|me siento|me falta|no puedo|no puede|sangra|sangro)\b"
)
# "Is it serious if my face is drooping?": a present progressive about the
# patient, even inside an if-clause, describes what is happening.
_PRESENT_PROGRESSIVE = _compile(
    r"\b(?:im|hes|shes|theyre|its|(?:my|his|her|their|our) \w+ (?:is|are)) "
    r"(?!(?:asking|wondering|thinking|planning|going|coming|hoping|looking|trying)\b)\w+ing\b"
)
# Words tying the message to right now, checked in the whole message:
# "is chest pain normal? I have it now", "is this bleeding normal?".
_PRESENT_DEICTIC = _compile(
    r"\bit (?:wont|doesnt|keeps|hasnt)\b"
    r"|\b(?:this|these|ce|cette|ces|este|esta|estos|estas) (?:\w+ )?(?:bleding|pain|pains|sweling|fever|temperature|lump|"
    r"numbnes|weaknes|rash|headache|saignement|douleur|fievre|gonflement|sangrado|dolor|fiebre|hinchazon)\b"
    r"|\b(?:now|right now|at the moment|currently|still|this much|so much|like this|this bad|"
    r"since (?:the|my|this|yesterday|last)|maintenant|en ce moment|actuellement|encore|toujours|autant|"
    r"comme ca|depuis|ahora|ahorita|en este momento|todavia|sigue|tanto|asi|desde)\b"
)
# "... I have it", "j'en ai", "lo tengo": the symptom of the question, now.
_PRESENT_ANAPHORA = _compile(
    r"\b(?:ive|ive got|i got|im having|im getting|hes got|shes got|he has|she has) (?:it|this|that|them)\b"
    r"|\bjen ai\b|\bil en a\b|\blo tengo\b|\bla tengo\b|\blo tiene\b"
)
_RESOLVED = _compile(
    r"\b(?:stopped|has stopped|settled|gone away|went away|gone down|resolved|cleared up|better now|"
    r"fine now|ok now|okay now|its fine|sest arrete\w*|cest arrete\w*|a cesse|passe|ya paro|paro|"
    r"se detuvo|se paso|se fue)\b"
)
_RECURRED = _compile(
    r"\b(?:again|still|worse|restart\w*|started|de nouveau|encore|toujours|recommence\w*|otra vez|"
    r"de nuevo|sigue|volvio|peor)\b"
)
_HISTORY = _compile(
    r"\b(?:years ago|months ago|last year|as a child|in the past|history of|previous\w*|(?:in|en) (?:19|20)\d\d|"
    r"il y a (?:\d+|des|quelques|plusieurs) ans|hace (?:\d+|unos|varios|muchos) anos|de nino|antecedentes|"
    r"vor (?:\d+|einigen|vielen|ein paar) jahren|jaar geleden|jaren geleden|yil once|yillar once)\b"
)


def _is_general_question(text: str, pos: int) -> bool:
    """The segment around `pos` is a general or hypothetical question, not a report."""
    # "Is chest pain normal? I have it right now": a pointer to the present
    # anywhere in the message makes the question a report.
    if _PRESENT_DEICTIC.search(text) or _PRESENT_ANAPHORA.search(text):
        return False
    start, end = _unit(text, pos, _SEGMENT_END)
    segment = text[start:end].strip()
    if _PRESENT_PROGRESSIVE.search(segment):
        return False
    if_clause = _IF.search(segment)
    main_part = segment[: if_clause.start()] if if_clause else segment
    if _QUESTION_FRAME.search(segment) and not _PRESENT_STATEMENT.search(main_part):
        return True
    if _GENERAL_TR.search(text[pos:end]):
        return True
    instruction = _INSTRUCTION_IF.search(text[start:end])
    return instruction is not None and pos - start >= instruction.end()


def _is_resolved(text: str, pos: int, symptom_spans: list[tuple[int, int]]) -> bool:
    """The symptom at `pos` is followed, in its sentence, by "it stopped" and nothing says it came back."""
    start, end = _unit(text, pos, _SENTENCE_END)
    sentence = text[start:end]
    if _RECURRED.search(sentence):
        return False
    for m in _RESOLVED.finditer(sentence):
        at = start + m.start()
        overlaps_symptom = any(s <= at < e for s, e in symptom_spans)  # "stopped breathing"
        if at > pos and not overlaps_symptom and not _negated(text[max(start, at - 20) : at]):
            return True
    return False


def _is_history(clause: str) -> bool:
    return _HISTORY.search(clause) is not None


# Pain that has lasted weeks is for the care team today, not the emergency number; only the catch-all
# "severe pain" is judged so: specific signs (chest, belly, limb, headache) fire whatever their duration.
_LASTING_WEEKS = _compile(
    r"\b(?:for|since|after|over) (?:a|one|two|three|four|several|few|couple of|\d+) (?:weeks?|months?)\b"
    r"|\b(?:a|one|two|three|four|several|few|\d+) (?:weeks?|months?) (?:now|ago|later|after|on)\b"
    r"|\bsince last (?:week|month)\b"
)


def _is_lasting_general_pain(category: str, matched: str, text: str) -> bool:
    return category == "general_emergency" and re.search(r"pain|ache", matched) is not None and _LASTING_WEEKS.search(text) is not None


# ---------------------------------------------------------------------------
# Public entry point
# ---------------------------------------------------------------------------


def detect_red_flag(text: str) -> RedFlag | None:
    """Return the first red flag in `text`, or None. Errs on the side of firing."""
    norm = normalise(text or "")
    if not norm:
        return None
    matches = [(category, m) for category, patterns in _PATTERNS.items() for pattern in patterns for m in pattern.finditer(norm)]
    spans = [m.span() for _, m in matches]
    for category, m in matches:
        clause_start, clause_end = _unit(norm, m.start(), _CLAUSE_END)
        if _negated(norm[clause_start : m.start()]) or _POST_NEGATION.search(norm[m.end() : clause_end]):
            continue
        if _is_history(norm[clause_start:clause_end]) or _is_lasting_general_pain(category, m.group(0), norm):
            continue
        if _is_general_question(norm, m.start()):
            continue
        if _is_resolved(norm, m.start(), spans):
            continue
        return RedFlag(category=category, matched=m.group(0).strip())
    return None
