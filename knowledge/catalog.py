"""The fixed vocabulary of the knowledge base: procedure ids and section ids.

These ids are part of the public reply format (`procedure` and `topic`), so
they are stable; a new procedure is added here and in its text file.
"""

PROCEDURES = (
    "angiography",
    "angioplasty_stenting",
    "embolization",
    "uterine_fibroid_embolization",
    "prostate_artery_embolization",
    "chemoembolization_tace",
    "radioembolization_y90",
    "tumor_ablation",
    "image_guided_biopsy",
    "thyroid_fna",
    "abscess_drainage",
    "biliary_drainage",
    "nephrostomy",
    "gastrostomy",
    "vertebroplasty_kyphoplasty",
    "ivc_filter",
    "thrombolysis_thrombectomy",
    "central_venous_access",
    "varicose_vein_ablation",
    "carotid_stenting",
    "nerve_block",
    "joint_injection",
    "pelvic_congestion_embolization",
    "fallopian_tube_recanalization",
    "paracentesis",
    "thoracentesis",
    "tunnelled_pleural_catheter",
    "line_removal_exchange",
    "fistula_angioplasty",
    "nephrostomy_exchange_ureteric_stent",
    "gastrostomy_change",
    "varicocele_embolization",
    "tips_portosystemic_shunt",
    "evar",
    "spinal_injection",
    "lumbar_puncture",
    "brain_aneurysm_coiling",
    "stroke_thrombectomy",
)
GENERAL = "general_ir"

# Sections every procedure text has, in this order.
SECTIONS = (
    "definition",
    "reasons",
    "preparation",
    "procedure_day",
    "duration",
    "sedation",
    "aftercare",
    "driving",
    "return_to_activity",
    "risks",
    "results",
    "when_to_call",
)
# Topics only the general pages answer.
GENERAL_TOPICS = ("contrast_allergy", "anticoagulants", "pregnancy", "children")
TOPICS = SECTIONS + GENERAL_TOPICS

# How a section is named to a patient, and the question it answers: the
# question is embedded with the text so a patient's question lands on it.
SECTION_LABELS = {
    "definition": ("What it is", "What is {title}? How does it work?"),
    "reasons": ("Why it is done", "Why would I need {title}? What is it used for?"),
    "preparation": ("Preparing", "How do I prepare for {title}? Fasting, medicines, what to bring."),
    "procedure_day": ("On the day", "What happens on the day of {title}?"),
    "duration": ("How long it takes", "How long does {title} take? How long will I stay in hospital?"),
    "sedation": ("Anaesthetic and sedation", "Will I be awake for {title}? Does it hurt? Sedation or anaesthetic?"),
    "aftercare": ("Afterwards", "What happens after {title}? Recovery at home, rest, wound and dressing care, what to avoid."),
    "driving": ("Driving", "When can I drive after {title}?"),
    "return_to_activity": ("Back to normal activities", "When can I go back to work, exercise or lift things after {title}?"),
    "risks": ("Risks", "What are the risks and side effects of {title}? Is it safe?"),
    "results": ("Results", "When will I get the results of {title}? Did it work, will my symptoms get better? Follow-up."),
    "when_to_call": ("When to get help", "Warning signs after {title}: which symptoms are a problem, when should I call for help?"),
    "contrast_allergy": ("Contrast dye and allergies", "Contrast dye, iodine and allergies: is it safe for me?"),
    "anticoagulants": ("Blood thinners", "Should I stop my blood thinners or anticoagulants before a procedure?"),
    "pregnancy": ("Pregnancy and breastfeeding", "Is the procedure safe if I am pregnant or breastfeeding?"),
    "children": ("Children", "How are children looked after during a procedure?"),
}


def section_label(section: str) -> str:
    return SECTION_LABELS[section][0]


def section_question(section: str, title: str) -> str:
    return SECTION_LABELS[section][1].format(title=title)
