"""Phrasing cues: the ways of asking that point at a section whatever the subject."""

from __future__ import annotations

import pytest

from knowledge.cues import cues_of, section_cues


@pytest.mark.parametrize(
    "question",
    [
        "what is TACE for liver cancer",
        "whats SIRT treatment",
        "my husband has been offered something called PAE for his prostate, what is it exactly",
        "What's a nephrostomy?",
        "wat is an embolisation",
    ],
)
def test_asking_what_something_is_points_at_the_definition(question):
    assert "definition" in cues_of(question).sections


@pytest.mark.parametrize(
    "question",
    [
        "what is the recovery like after PAE",
        "what are the risks of a biopsy",
        "what happens on the day",
        "whats the waiting time for a fibroid embolisation",
        "what is it used for",
        "how does an angiogram work",
    ],
)
def test_asking_about_something_else_than_what_it_is_does_not(question):
    assert "definition" not in cues_of(question).sections


def test_asking_whether_something_is_normal_points_at_aftercare_but_back_to_normal_does_not():
    assert cues_of("bit of bleeding after the fallopian tube procedure, normal?").sections == ("aftercare",)
    assert cues_of("its stinging when i pee since the embolisation, is that normal").sections == ("aftercare",)
    assert cues_of("when will i be back to normal after my kyphoplasty").sections == ()


def test_speaking_of_my_procedure_marks_a_question_about_any_procedure():
    assert cues_of("do i need someone to pick me up after my procedure").any_procedure
    assert not cues_of("do i need someone to pick me up after the angiogram").any_procedure


@pytest.mark.parametrize(
    "question",
    [
        "do i stop my warfarin before the nephrostomy",
        "I'm on Eliquis, is that a problem for my liver biopsy next week",
        "should dad keep taking his clopidogrel and aspirin before the angioplasty",
    ],
)
def test_a_blood_thinner_before_a_procedure_points_at_the_blood_thinners_page(question):
    assert "anticoagulants" in cues_of(question).sections


@pytest.mark.parametrize(
    "question",
    [
        "will i need blood thinners after the stent",
        "do i need to start clopidogrel before my carotid stent",
        "why a filter instead of blood thinners",
    ],
)
def test_a_blood_thinner_taken_afterwards_started_for_or_replaced_by_the_procedure_does_not(question):
    assert "anticoagulants" not in cues_of(question).sections


def test_a_reaction_to_contrast_dye_points_at_the_contrast_page():
    assert "contrast_allergy" in cues_of("I got a rash after the dye for my CT, does that matter for the angiogram").sections
    assert "contrast_allergy" in cues_of("allergic to iodine contrast, is the embolisation safe").sections
    assert "contrast_allergy" not in cues_of("will the dye show up on the scan").sections


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("how many mg of oxycodone can I take when I get home", "dose"),
        ("how much calpol can we give her after the biopsy", "dose"),
        ("how much medicine should we give him tonight", "dose"),
        ("please cancel my port insertion on tuesday", "booking"),
        ("I need to reschedule my angiogram", "booking"),
        ("when is my next follow-up appointment", "booking"),
        ("I've lost the letter, what time do I come in", "booking"),
        ("can my biopsy be moved to a morning slot", "booking"),
        ("could you swap my angiogram to another week", "booking"),
        ("the biopsy came back with abnormal cells, what now", "own_results"),
        ("my scan found a shadow, does that mean I have cancer", "own_results"),
        ("where can we park when we come for dad's PICC line", "practical"),
        ("can I get a sick note after the embolisation", "practical"),
        ("what are the visiting hours after the TACE", "practical"),
    ],
)
def test_questions_only_a_person_may_answer_are_handed_over_however_they_are_worded(question, kind):
    assert cues_of(question).hand_over == kind


@pytest.mark.parametrize(
    "question",
    [
        "how much pain will I be in after the embolisation",
        "how long does the port insertion take",
        "when can I go back to work after my angiogram",
        "will the letter tell me when to stop eating",
        "is the x-ray dose lower for children",
        "what is the test dose before SIRT for",
        "how long should I park for during the hip injection",
        "when will the biopsy results come back",
    ],
)
def test_questions_the_texts_answer_are_not_handed_over(question):
    assert cues_of(question).hand_over is None


@pytest.mark.parametrize(
    "question, kind",
    [
        ("Do you have to be referred to a radiologist?", "booking"),
        ("Do I need a written request from my doctor to have the procedure?", "booking"),
        ("How long will I have to wait for my appointment?", "booking"),
        ("It has been three weeks and I've not heard anything about the appointment", "booking"),
        ("What paperwork should I bring with me?", "practical"),
    ],
)
def test_how_to_get_an_appointment_and_paperwork_are_for_the_secretariat(question, kind):
    assert cues_of(question).hand_over == kind


@pytest.mark.parametrize(
    "question",
    [
        "how long do i have to wait for biopsy results",
        "how long do i have to wait afterwards before leaving",
        "my doctor referred me for a biopsy, what is it?",
    ],
)
def test_waiting_for_results_or_being_referred_is_still_answered_from_the_texts(question):
    assert cues_of(question).hand_over is None


@pytest.mark.parametrize(
    "question, section",
    [
        ("What happens after a CT guided lung biopsy?", "aftercare"),
        ("What to expect after a kidney biopsy?", "aftercare"),
        ("What is done before a nephrostomy?", "preparation"),
        ("How is fallopian tube recanalization done?", "procedure_day"),
        ("How is endovenous laser therapy performed?", "procedure_day"),
    ],
)
def test_before_after_and_how_it_is_done_point_to_their_sections(question, section):
    assert section in cues_of(question).sections


def test_how_one_knows_it_worked_is_not_how_it_is_done():
    assert "procedure_day" not in cues_of("how will i know the picc was put in successfully").sections


@pytest.mark.parametrize(
    "question, language, section",
    [
        ("Qu'est-ce qui se passe après l'embolisation des artères utérines ?", "fr", "aftercare"),
        ("Comment se déroule une gastrostomie ?", "fr", "procedure_day"),
        ("Qu'est-ce qu'une néphrostomie ?", "fr", "definition"),
        ("Qui peut bénéficier d'une cimentoplastie ?", "fr", "reasons"),
        ("¿Qué pasa después de la embolización?", "es", "aftercare"),
        ("¿Cómo se realiza una biopsia de tiroides?", "es", "procedure_day"),
        ("¿Qué es una nefrostomía?", "es", "definition"),
        ("¿Quién es candidato para la embolización de la próstata?", "es", "reasons"),
        ("Bonjour, je dois avoir une embolisation de fibrome la semaine prochaine, est-ce que ça fait mal ?", "fr", "sedation"),
        ("J'ai une biopsie prévue, vais-je avoir mal ?", "fr", "sedation"),
        ("Est-ce douloureux ?", "fr", "sedation"),
        ("Me van a hacer una embolización de miomas, ¿duele?", "es", "sedation"),
        ("¿Me va a doler la biopsia?", "es", "sedation"),
        ("¿Estaré despierta durante la embolización?", "es", "sedation"),
    ],
)
def test_french_and_spanish_openings_point_to_their_sections(question, language, section):
    assert section_cues(question, language).sections == (section,)


@pytest.mark.parametrize(
    "question, language",
    [
        ("qu'est-ce que je dois apporter pour ma biopsie", "fr"),
        ("comment se passe la récupération après une embolisation", "fr"),
        ("qué es lo peor que puede pasar", "es"),
        ("por qué es mejor que una cirugía", "es"),
        # Pain afterwards is the aftercare's; the patient's own pain is a symptom, for the team.
        ("est-ce que ça fait mal après l'embolisation ?", "fr"),
        ("j'ai mal au bras depuis hier", "fr"),
        ("me duele la pierna desde ayer", "es"),
        ("¿duele mucho después?", "es"),
    ],
)
def test_a_french_or_spanish_opening_that_asks_something_else_points_nowhere(question, language):
    assert section_cues(question, language).sections in ((), ("aftercare",))
    assert "definition" not in section_cues(question, language).sections


@pytest.mark.parametrize(
    "question",
    [
        "Quels sont les remboursements pour les actes de radiologie ?",
        "¿Cuánto cuesta una embolización?",
        "La mutuelle prend-elle en charge ?",
    ],
)
def test_a_french_or_spanish_cost_question_is_for_the_secretariat(question):
    assert cues_of(question).hand_over == "cost"


@pytest.mark.parametrize(
    "question",
    ["je peux boire un café le matin ?", "¿puedo tomar un café antes?", "combien de temps d'arrêt de travail il faut prévoir ?"],
)
def test_a_coffee_or_time_off_work_is_not_paperwork(question):
    assert cues_of(question).hand_over is None
