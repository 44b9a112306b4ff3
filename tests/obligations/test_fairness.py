"""Fairness counts of procedures by group, with small-cell suppression."""

import pytest
from django.urls import reverse

from parcours.evaluation.models import SMALL_CELL_THRESHOLD
from parcours.obligations import actions
from parcours.obligations.fairness import procedure_counts
from tests.cases.factories import EpisodeFactory

pytestmark = pytest.mark.django_db


def blocked_procedures(organisation, counselor, count, **person):
    for _ in range(count):
        episode = EpisodeFactory(
            organisation=organisation, referent=counselor, **{f"person__{k}": v for k, v in person.items()}
        )
        actions.agree_obligations(episode, by=counselor)
        actions.record_breach(
            episode, by=counselor, breach="Absences", evidence="Convocations", period_start=episode.started_on
        )


def test_counts_by_group_hide_small_cells(organisation, counselor):
    blocked_procedures(organisation, counselor, SMALL_CELL_THRESHOLD, sex="F")
    blocked_procedures(organisation, counselor, 2, sex="M")
    rows = procedure_counts([organisation.pk], grouping="sex")
    assert [(str(r["group"]), r["cells"]) for r in rows] == [
        ("Femme", [SMALL_CELL_THRESHOLD, SMALL_CELL_THRESHOLD, None, None]),
        ("Homme", [None, None, None, None]),
    ]


def test_fairness_page_is_for_managers_and_analysts(client, organisation, counselor, manager, analyst):
    blocked_procedures(organisation, counselor, 1)
    url = reverse("obligations:fairness")
    client.force_login(counselor)
    assert client.get(url).status_code == 403
    for user in (manager, analyst):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert "secret" in response.content.decode()


def test_outcomes_six_months_after_a_sanction_beside_breaches_without_one(organisation, counselor):
    """Descriptive: 11 sanctioned (4 in a job 182 days after the decision), 11 blocked (7 in a job),
    and a recent decision that does not count yet; small groups are secret."""
    import datetime
    from decimal import Decimal

    import time_machine

    from parcours.evaluation.models import SMALL_CELL_THRESHOLD as T
    from parcours.obligations.fairness import outcomes_after_sanction
    from parcours.obligations.models import Decision
    from parcours.outcomes.models import EmploymentOutcome
    from tests.obligations.test_procedure import supported

    def job(episode, start, end=None):
        EmploymentOutcome.objects.create(
            episode=episode,
            contract_type="cdi",
            weekly_hours=Decimal("35"),
            start_on=start,
            end_on=end,
            job_title="Vendeur",
        )

    with time_machine.travel(datetime.datetime(2026, 1, 5, 10, tzinfo=datetime.UTC), tick=False):
        for i in range(T):
            episode = EpisodeFactory(organisation=organisation, referent=counselor)
            supported(episode, counselor)
            procedure = actions.record_breach(
                episode, by=counselor, breach="x", evidence="y", period_start=datetime.date(2026, 1, 5)
            )
            actions.send_notice(procedure, by=counselor)
            actions.record_observations(procedure, by=counselor, observations="z")
            actions.decide(procedure, by=counselor, decision=Decision.WARNING, reasons="r")
            if i < 4:
                job(episode, datetime.date(2026, 3, 1))
            elif i == 4:
                job(episode, datetime.date(2026, 3, 1), end=datetime.date(2026, 5, 1))  # ended before
        blocked_procedures(organisation, counselor, T)
    for procedure in actions.SanctionProcedure.objects.filter(status="blocked").select_related("episode")[:7]:
        job(procedure.episode, datetime.date(2026, 6, 1))
    rows = outcomes_after_sanction([organisation.pk], today=datetime.date(2026, 7, 10))
    assert [(str(r["group"]), r["n"], r["employed"], r["share"]) for r in rows] == [
        ("Après une sanction", T, 4, round(400 / T, 1)),
        ("Manquement constaté, sans sanction", T, 7, round(700 / T, 1)),
    ]
    early = outcomes_after_sanction([organisation.pk], today=datetime.date(2026, 7, 5))
    assert [r["n"] for r in early] == [None, None]  # 182 days not yet reached: 0 in each group
