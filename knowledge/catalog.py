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


# The same in the other languages with texts: the label is shown with the source, the question embedded with
# the text (an English question beside a French text would only add noise to its vector and its keywords).
SECTION_LABELS_IN = {
    "en": SECTION_LABELS,
    "fr": {
        "definition": ("Qu'est-ce que c'est", "Qu'est-ce que {title} ? Comment ça marche ?"),
        "reasons": ("Pourquoi le faire", "Pourquoi aurais-je besoin de {title} ? À quoi ça sert ?"),
        "preparation": ("Se préparer", "Comment me préparer à {title} ? À jeun, médicaments, quoi apporter."),
        "procedure_day": ("Le jour même", "Comment se passe le jour de {title} ?"),
        "duration": ("Durée", "Combien de temps dure {title} ? Combien de temps à l'hôpital ?"),
        "sedation": ("Anesthésie et sédation", "Serai-je réveillé pendant {title} ? Est-ce douloureux ? Sédation ou anesthésie ?"),
        "aftercare": (
            "Après l'intervention",
            "Que se passe-t-il après {title} ? Récupération à la maison, pansement, ce qu'il faut éviter.",
        ),
        "driving": ("Conduite", "Quand puis-je conduire après {title} ?"),
        "return_to_activity": ("Reprise des activités", "Quand reprendre le travail, le sport ou porter des charges après {title} ?"),
        "risks": ("Risques", "Quels sont les risques et effets secondaires de {title} ? Est-ce sûr ?"),
        "results": ("Résultats", "Quand aurai-je les résultats de {title} ? Est-ce que ça a marché ? Suivi."),
        "when_to_call": ("Quand demander de l'aide", "Signes d'alerte après {title} : quels symptômes, quand appeler ?"),
        "contrast_allergy": (
            "Produit de contraste et allergies",
            "Produit de contraste, iode et allergies : est-ce sans danger pour moi ?",
        ),
        "anticoagulants": ("Anticoagulants", "Faut-il arrêter mes anticoagulants avant une intervention ?"),
        "pregnancy": ("Grossesse et allaitement", "L'intervention est-elle sans danger si je suis enceinte ou si j'allaite ?"),
        "children": ("Enfants", "Comment les enfants sont-ils pris en charge pendant une intervention ?"),
    },
    "es": {
        "definition": ("Qué es", "¿Qué es {title}? ¿Cómo funciona?"),
        "reasons": ("Por qué se hace", "¿Por qué necesitaría {title}? ¿Para qué sirve?"),
        "preparation": ("Preparación", "¿Cómo me preparo para {title}? Ayuno, medicamentos, qué llevar."),
        "procedure_day": ("El día del procedimiento", "¿Qué pasa el día de {title}?"),
        "duration": ("Duración", "¿Cuánto dura {title}? ¿Cuánto tiempo estaré en el hospital?"),
        "sedation": ("Anestesia y sedación", "¿Estaré despierto durante {title}? ¿Duele? ¿Sedación o anestesia?"),
        "aftercare": ("Después", "¿Qué pasa después de {title}? Recuperación en casa, apósito, qué evitar."),
        "driving": ("Conducir", "¿Cuándo puedo conducir después de {title}?"),
        "return_to_activity": (
            "Vuelta a la actividad",
            "¿Cuándo puedo volver al trabajo, hacer ejercicio o cargar peso después de {title}?",
        ),
        "risks": ("Riesgos", "¿Cuáles son los riesgos y efectos secundarios de {title}? ¿Es seguro?"),
        "results": ("Resultados", "¿Cuándo tendré los resultados de {title}? ¿Ha funcionado? Seguimiento."),
        "when_to_call": ("Cuándo pedir ayuda", "Signos de alarma después de {title}: ¿qué síntomas, cuándo llamar?"),
        "contrast_allergy": ("Contraste y alergias", "Contraste, yodo y alergias: ¿es seguro para mí?"),
        "anticoagulants": ("Anticoagulantes", "¿Debo dejar mis anticoagulantes antes de un procedimiento?"),
        "pregnancy": ("Embarazo y lactancia", "¿Es seguro el procedimiento si estoy embarazada o dando el pecho?"),
        "children": ("Niños", "¿Cómo se cuida a los niños durante un procedimiento?"),
    },
}


def _labels(language: str) -> dict[str, tuple[str, str]]:
    return SECTION_LABELS_IN.get(language, SECTION_LABELS)


def section_label(section: str, language: str = "en") -> str:
    return _labels(language)[section][0]


def section_question(section: str, title: str, language: str = "en") -> str:
    return _labels(language)[section][1].format(title=title)
