"""The counselor's work on each open episode of the demo, replayed through the action functions at
dates along the episode's history (``clock.at``): the initial diagnosis (filled by the counselor, or
by the person through the self-diagnosis link), the barriers and skills it reveals (informal ones
from the questionnaire, formal attested ones added by hand), the action plan built from the
suggestions, the orientation decision, and the career project with its target occupations and work
placements. Deterministic for a seed; needs the questionnaires and the ROME sample loaded."""

import datetime
import random
from collections import Counter

from django.utils import timezone

from parcours.cases.models import SupportEpisode
from parcours.demo import reference as ref
from parcours.demo.clock import at, during_working_hours, later
from parcours.diagnosis import actions as diagnosis_actions
from parcours.diagnosis import suggestions
from parcours.diagnosis.models import Action, Barrier, Skill
from parcours.labour import actions as labour_actions
from parcours.labour.models import CareerProject, Occupation, WorkPlacement
from parcours.people.models import DigitalAutonomy

# Share of open episodes with a diagnosis; of those, filled by the person (self-diagnosis link) and
# left in progress. Orders of magnitude chosen for the demo, not statistics.
DIAGNOSED_SHARE = 0.92
SELF_DIAGNOSIS_SHARE = 0.2
DRAFT_SHARE = 0.05
# Probability of each barrier, and the weights of its severity (low, medium, high).
BARRIER_RATES = {
    "housing": 0.15,
    "mobility": 0.3,
    "family": 0.15,
    "finances": 0.25,
    "health": 0.12,
    "language": 0.08,
    "administrative": 0.15,
    "justice": 0.04,
}
SEVERITY_WEIGHTS = (5, 3, 2)
BARRIER_NOTES = {
    "housing": "Hébergé·e chez un proche",
    "mobility": "Pas de permis, horaires décalés difficiles",
    "family": "Garde des enfants le mercredi",
    "finances": "Dettes en cours de traitement",
    "health": "Suivi médical régulier",
    "language": "Français oral à consolider",
    "administrative": "Dossier de droits incomplet",
    "justice": "Obligations de suivi",
}
SEARCH = ("lt3m", "3to12m", "gt12m")
DIGITAL_ANSWERS = {
    DigitalAutonomy.AUTONOMOUS: ("alone", "alone", "alone", "computer", "home"),
    DigitalAutonomy.PARTIAL: ("alone", "with_help", "with_help", "smartphone", "mobile_only"),
    DigitalAutonomy.NONE: ("no", "no", "with_help", "none", "none"),
}
DIGITAL_QUESTIONS = (
    "digital_email",
    "digital_forms",
    "digital_job_sites",
    "digital_equipment",
    "digital_connectivity",
)
# Skills declared in the questionnaire: informal (volunteering, family life, hobbies) and formal.
DECLARED_SKILLS = [
    ("Organisation d'événements associatifs", Skill.Source.VOLUNTEERING),
    ("Aide aux devoirs", Skill.Source.VOLUNTEERING),
    ("Tenue du budget familial", Skill.Source.FAMILY),
    ("Soins à un parent âgé", Skill.Source.FAMILY),
    ("Réparation de vélos", Skill.Source.HOBBY),
    ("Cuisine pour un groupe", Skill.Source.HOBBY),
    ("Accueil de la clientèle", Skill.Source.WORK),
    ("Préparation de commandes", Skill.Source.WORK),
    ("Conduite de chariot élévateur", Skill.Source.WORK),
    ("Entretien des locaux", Skill.Source.WORK),
    ("Utilisation d'un tableur", Skill.Source.TRAINING),
    ("Règles d'hygiène HACCP", Skill.Source.TRAINING),
]
# Formal skills added by the counselor with their attestation.
ATTESTED_SKILLS = [
    ("CACES R489 catégorie 3", "Centre de formation logistique de Lesquin"),
    ("Sauveteur secouriste du travail", "Croix-Rouge, Lille"),
    ("Titre professionnel agent de propreté et d'hygiène", "AFPA Roubaix"),
    ("Certificat Pix (numérique)", "Pix"),
]
ATTESTED_SHARE = 0.15
# Episodes (the demo logins' first) whose whole case work is replayed; bounds the load time.
FULL_CASEWORK = 180
PROJECT_SHARE = 0.85  # of diagnosed episodes, a career project
PLACEMENT_SHARE = 0.3  # of career projects, a work placement
HOSTS = ("Boulangerie du Vieux-Lille", "EHPAD Les Tilleuls", "Entrepôt Nord Logistique", "Mairie de Roubaix")


def build_demo_casework(
    seed: int, episodes, *, full: int = FULL_CASEWORK, today: datetime.date | None = None
) -> dict[str, int]:
    """Replay the case work of ``episodes`` (open ones; their referent acts): the full work for
    the first ``full`` of them, those of the demo logins first; a career project with its target
    occupations for the others (what the tension of the labour market counts). Returns counts."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    occupations = list(Occupation.objects.active().order_by("rome_code"))
    counts: Counter = Counter()
    cursor: Counter = Counter()  # per département: spreads the targets over every occupation
    logins = {login.username for login in ref.DEMO_LOGINS}
    episodes = sorted(
        SupportEpisode.objects.filter(pk__in=[e.pk for e in episodes], ended_on__isnull=True)
        .exclude(referent=None)
        .select_related("person__commune", "referent"),
        key=lambda e: (e.referent.username not in logins, e.pk),
    )
    for index, episode in enumerate(episodes):
        start = during_working_hours(
            min(episode.started_on + datetime.timedelta(days=rng.randint(2, 21)), today), rng
        )
        departement = episode.person.commune.parent_id if episode.person.commune else None
        if index >= full:
            if occupations:
                _career_project(
                    rng, episode, start, occupations, cursor, departement, counts, placements=False
                )
            continue
        if rng.random() >= DIAGNOSED_SHARE:
            continue
        diagnosis = _diagnose(rng, episode, start, counts)
        if diagnosis is None or not diagnosis.is_completed:
            continue
        moment = later(start, rng, (0, 0)) or start
        _plan_and_orient(rng, episode, diagnosis, moment, counts)
        if occupations and rng.random() < PROJECT_SHARE:
            _career_project(rng, episode, moment, occupations, cursor, departement, counts)
    return dict(counts)


def _answers(rng: random.Random, episode) -> dict[str, dict]:
    person = episode.person
    barriers = {}
    for kind, rate in BARRIER_RATES.items():
        level = rng.choices(("low", "medium", "high"), SEVERITY_WEIGHTS)[0] if rng.random() < rate else "no"
        barriers[f"barrier_{kind}"] = level
        if level != "no":
            barriers[f"barrier_{kind}_note"] = BARRIER_NOTES[kind]
    daily = {
        k: v for k, v in barriers.items() if k.split("_")[1] in ("housing", "mobility", "family", "finances")
    }
    rights = {k: v for k, v in barriers.items() if k not in daily}
    autonomy = (
        person.digital_autonomy if person.digital_autonomy in DIGITAL_ANSWERS else DigitalAutonomy.PARTIAL
    )
    skills = rng.sample(DECLARED_SKILLS, rng.randint(1, 3))
    return {
        "situation": {"current_status": person.status},
        "job_search": {"search_duration": rng.choice(SEARCH), "interviews_3m": rng.randint(0, 6)},
        "daily_life": daily,
        "rights_health": rights,
        "digital": dict(zip(DIGITAL_QUESTIONS, DIGITAL_ANSWERS[autonomy], strict=True)),
        "skills": {"skills": [{"label": label, "source": source} for label, source in skills]},
    }


def _diagnose(rng, episode, moment, counts):
    referent = episode.referent
    by_person = rng.random() < SELF_DIAGNOSIS_SHARE
    with at(moment):
        if by_person:
            invitation, _token = diagnosis_actions.create_self_diagnosis_invitation(episode, by=referent)
            diagnosis = invitation.diagnosis
        else:
            diagnosis = diagnosis_actions.start_diagnosis(episode, by=referent)
    answering = later(moment, rng, (1, 4)) if by_person else moment
    if answering is None:
        counts["diagnoses_in_progress"] += 1
        return diagnosis
    author = None if by_person else referent
    with at(answering):
        for section, answers in _answers(rng, episode).items():
            diagnosis = diagnosis_actions.save_answers(
                diagnosis, by=author, section_id=section, answers=answers
            )
        if rng.random() < DRAFT_SHARE:
            counts["diagnoses_in_progress"] += 1
            return diagnosis
        diagnosis = diagnosis_actions.complete_diagnosis(diagnosis, by=author)
    counts["diagnoses_by_person" if by_person else "diagnoses_by_counselor"] += 1
    if rng.random() < ATTESTED_SHARE:
        label, organisation = rng.choice(ATTESTED_SKILLS)
        with at(answering):
            diagnosis_actions.add_skill(
                episode.person,
                by=referent,
                label=label,
                source=Skill.Source.TRAINING,
                episode=episode,
                attested_organisation=organisation,
                attested_at=timezone.localdate(answering) - datetime.timedelta(days=rng.randint(60, 900)),
            )
        counts["attested_skills"] += 1
    return diagnosis


def _plan_and_orient(rng, episode, diagnosis, moment, counts):
    referent = episode.referent
    with at(moment):
        for barrier in Barrier.objects.filter(diagnosis=diagnosis).order_by("pk"):
            offered = suggestions.suggestions_for(barrier.kind)
            if offered:
                diagnosis_actions.accept_suggested_action(
                    episode, by=referent, barrier=barrier, key=offered[0]["key"], language="fr"
                )
                counts["plan_actions"] += 1
        diagnosis_actions.add_action(
            episode,
            by=referent,
            goal="Mettre à jour le CV et l'envoyer à trois employeurs",
            owner=Action.Owner.PERSON,
            due_on=timezone.localdate() + datetime.timedelta(days=21),
        )
        counts["plan_actions"] += 1
        diagnosis_actions.decide_orientation(
            episode,
            by=referent,
            chosen_intensity=episode.intensity,
            chosen_approach=episode.approach,
            reason="Décidé avec la personne à l'issue du diagnostic",
            diagnosis=diagnosis,
        )
        counts["orientations"] += 1
    # Progress on the plan: actions whose due date has passed are mostly done.
    for action in Action.objects.filter(plan__episode=episode).order_by("pk"):
        when = later(moment, rng, (7, 45))
        if when is None or rng.random() < 0.5:
            continue
        status = rng.choices(
            (Action.Status.DONE, Action.Status.IN_PROGRESS, Action.Status.DROPPED), (6, 3, 1)
        )[0]
        with at(when):
            diagnosis_actions.change_action_status(action, by=referent, status=status)


def _career_project(rng, episode, moment, occupations, cursor, departement, counts, *, placements=True):
    referent = episode.referent
    start = later(moment, rng, (3, 20))
    if start is None:
        return
    with at(start):
        project = labour_actions.start_career_project(episode, by=referent)
        labels = list(episode.person.skills.values_list("label", flat=True)[:5])
        if labels:
            project = labour_actions.update_declared_skills(project, by=referent, skills=labels)
        targets = []
        for _ in range(2 if rng.random() < 0.7 else 1):
            occupation = occupations[cursor[departement] % len(occupations)]
            cursor[departement] += 7  # coprime with the sample's size: every occupation in turn
            if any(t.occupation_id == occupation.pk for t in targets):
                continue
            targets.append(labour_actions.add_target_occupation(project, by=referent, occupation=occupation))
    counts["career_projects"] += 1
    counts["target_occupations"] += len(targets)
    first = targets[0]
    if not placements:
        return
    if rng.random() < PLACEMENT_SHARE:
        planned = later(start, rng, (2, 10))
        if planned is None:
            return
        begins = timezone.localdate(planned) + datetime.timedelta(days=rng.randint(7, 30))
        with at(planned):
            placement = labour_actions.plan_work_placement(
                project,
                by=referent,
                objective=WorkPlacement.Objective.CONFIRM,
                occupation=first.occupation,
                host_name=rng.choice(HOSTS),
                starts_on=begins,
                ends_on=begins + datetime.timedelta(days=rng.choice((4, 9, 13))),
            )
        counts["work_placements"] += 1
        assessed = timezone.make_aware(datetime.datetime.combine(placement.ends_on, datetime.time(16)))
        if assessed >= timezone.now():
            return
        with at(assessed):
            host, person = rng.choice(((5, 5), (4, 5), (4, 4), (2, 3), (3, 2)))
            placement = labour_actions.assess_work_placement(
                placement, by=referent, host_score=host, person_score=person
            )
            labour_actions.decide_target_occupation(
                first,
                by=referent,
                status=CareerProject.Status.CONFIRMED
                if min(host, person) >= 4
                else CareerProject.Status.REVISED,
                evidence="Bilan de l'immersion avec la structure d'accueil",
                placements=[placement],
            )
        counts["decided_targets"] += 1
    elif (decided := later(start, rng, (15, 60))) is not None and rng.random() < 0.4:
        with at(decided):
            labour_actions.decide_target_occupation(
                first,
                by=referent,
                status=CareerProject.Status.CONFIRMED,
                evidence="Enquête métier réalisée auprès de deux professionnels",
            )
        counts["decided_targets"] += 1
