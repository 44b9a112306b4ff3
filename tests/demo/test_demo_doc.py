"""The figures of docs/demo.md come from the demo itself: this test loads the demo at the documented
size, seed and date, and compares every figure of the documented table with the database."""

import datetime
import re
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from parcours.cases.models import Appointment, Contact, SupportEpisode
from parcours.catalogue.models import PartnershipConvention, Referral, Service
from parcours.diagnosis.models import Action, Barrier, Diagnosis, Orientation, Skill
from parcours.evaluation.models import Assignment, IndicatorValue, SurveyInvitation, SurveyResponse
from parcours.labour.models import (
    CareerProject,
    EscoOccupationSkill,
    EscoSkill,
    Occupation,
    RomeEscoMatch,
    TargetOccupation,
    WorkPlacement,
)
from parcours.market.models import JobOffer, TensionValue
from parcours.obligations.models import Obligation, SanctionProcedure, Status
from parcours.outcomes.models import CheckIn, EmploymentOutcome
from parcours.people.models import Person

DOC = Path(__file__).resolve().parents[2] / "docs" / "demo.md"


def _portfolio():
    return SupportEpisode.objects.open().filter(referent__username="conseillere")


def _targets_with_esco_skills_held():
    """Target occupations of the demo counselor's portfolio whose ESCO counterpart needs a skill
    the person holds (matched from the person's skills by the ESCO skills artefact)."""
    from parcours.labour.skills import esco_gaps, skill_profile

    count = 0
    for project in CareerProject.objects.filter(episode__in=_portfolio()).select_related("episode"):
        targets = list(project.targets.select_related("occupation"))
        if not targets:
            continue
        profile = skill_profile(project)
        for target in targets:
            gaps = esco_gaps(target.occupation, profile)
            count += bool(gaps and any(s.is_held for s in gaps.skills))
    return count


FIGURES = {
    "people": lambda: Person.objects.count(),
    "episodes": lambda: SupportEpisode.objects.count(),
    "open_episodes": lambda: SupportEpisode.objects.open().count(),
    "contacts": lambda: Contact.objects.count(),
    "appointments": lambda: Appointment.objects.count(),
    "portfolio": lambda: _portfolio().count(),
    "portfolio_overdue": lambda: _portfolio().overdue().count(),
    "diagnoses": lambda: Diagnosis.objects.filter(status=Diagnosis.Status.COMPLETED).count(),
    "self_diagnoses": lambda: Diagnosis.objects.filter(
        status=Diagnosis.Status.COMPLETED, by_person=True
    ).count(),
    "barriers": lambda: Barrier.objects.count(),
    "skills": lambda: Skill.objects.count(),
    "attested_skills": lambda: Skill.objects.exclude(attested_organisation="").count(),
    "plan_actions": lambda: Action.objects.count(),
    "orientations": lambda: Orientation.objects.count(),
    "career_projects": lambda: CareerProject.objects.count(),
    "target_occupations": lambda: TargetOccupation.objects.count(),
    "work_placements": lambda: WorkPlacement.objects.count(),
    "services": lambda: Service.objects.count(),
    "referrals": lambda: Referral.objects.count(),
    "conventions": lambda: PartnershipConvention.objects.count(),
    "rome_esco_links": lambda: RomeEscoMatch.objects.count(),
    "occupations_with_esco": lambda: Occupation.objects.exclude(esco_uri="").count(),
    "esco_skills": lambda: EscoSkill.objects.filter(concept_type=EscoSkill.ConceptType.SKILL).count(),
    "esco_skill_relations": lambda: EscoOccupationSkill.objects.count(),
    "portfolio_targets_esco_held": _targets_with_esco_skills_held,
    "job_offers": lambda: JobOffer.objects.count(),
    "job_offers_inferred": lambda: JobOffer.objects.filter(rome_score__isnull=False).count(),
    "job_offers_uncertain": lambda: JobOffer.objects.uncertain_occupation().count(),
    "tension_cells": lambda: TensionValue.objects.count(),
    "tension_cells_with_level": lambda: TensionValue.objects.filter(level__isnull=False).count(),
    "experiment_assignments": lambda: Assignment.objects.count(),
    "survey_invitations": lambda: SurveyInvitation.objects.count(),
    "survey_responses": lambda: SurveyResponse.objects.count(),
    "employment_outcomes": lambda: EmploymentOutcome.objects.count(),
    "checkins_answered": lambda: CheckIn.objects.filter(status=CheckIn.Status.ANSWERED).count(),
    "checkins_unknown": lambda: CheckIn.objects.filter(status=CheckIn.Status.UNKNOWN).count(),
    "retention_actions": lambda: Action.objects.filter(
        suggestion_key__startswith="retention-checkin-"
    ).count(),
    "obligations": lambda: Obligation.objects.count(),
    "sanction_procedures": lambda: SanctionProcedure.objects.count(),
    "blocked_procedures": lambda: SanctionProcedure.objects.filter(status=Status.BLOCKED).count(),
    "observed_indicator_values": lambda: IndicatorValue.objects.filter(
        version__formula_key="observed_employment", dimension="all", granularity="year", n__gte=11
    ).count(),
}
ROW = re.compile(r"^\|[^|]*`(?P<key>[a-z_]+)`[^|]*\|\s*(?P<value>[\d  ,]+)\s*\|\s*$")


def documented() -> tuple[dict, datetime.date, int, int]:
    """The figures table of docs/demo.md, and the date, people and seed it was loaded with."""
    text = DOC.read_text(encoding="utf-8")
    setting = re.search(
        r"loaded on (\d{4}-\d{2}-\d{2})\s+with\s+`--people (\d+)`\s+and\s+`--seed (\d+)`", text
    )
    assert setting, "docs/demo.md must say: loaded on YYYY-MM-DD with `--people N` and `--seed S`"
    figures = {}
    for line in text.splitlines():
        if match := ROW.match(line):
            figures[match["key"]] = int(re.sub(r"[^\d]", "", match["value"]))
    day = datetime.date.fromisoformat(setting[1])
    return figures, day, int(setting[2]), int(setting[3])


def test_docs_demo_table_names_every_figure_once():
    figures, _day, _people, _seed = documented()
    assert set(figures) == set(FIGURES)


@pytest.mark.django_db(reset_sequences=True)  # ids enter the experiment's assignment hash
def test_docs_demo_figures_are_those_of_the_demo():
    figures, day, people, seed = documented()
    moment = datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        call_command("demo", people=people, seed=seed, verbosity=0)
        measured = {key: count() for key, count in FIGURES.items()}
    table = "\n".join(f"| `{key}` | {value:,} |" for key, value in measured.items())
    assert measured == figures, f"docs/demo.md is out of date; the demo gives:\n{table}"
