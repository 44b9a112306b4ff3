import csv
import datetime
import io

import pytest
from django.urls import reverse

from parcours.evaluation.indicators import ensure_registry
from parcours.evaluation.models import Dimension, Granularity, Indicator, IndicatorValue
from tests.evaluation.test_experiments import running
from tests.organisations.factories import SiteFactory

YEAR = 2025


def store(indicator_code, organisation, n, value, *, version=1, dimension=Dimension.ORGANISATION, site=None):
    ensure_registry()
    v = Indicator.objects.get(code=indicator_code).versions.get(number=version)
    for granularity, start in (
        (Granularity.YEAR, datetime.date(YEAR, 1, 1)),
        (Granularity.QUARTER, datetime.date(YEAR, 4, 1)),
    ):
        IndicatorValue.objects.create(
            version=v,
            dimension=dimension,
            organisation=organisation if dimension != Dimension.ALL else None,
            site=site,
            granularity=granularity,
            period_start=start,
            value=value,
            numerator=value * n / 100,
            denominator=n,
            n=n,
        )


@pytest.fixture
def stored(organisation):
    """Employment at 6 months on 10 people (hidden: 12.3456), satisfaction on 11 answers (shown: 4.27)."""
    store("employment_6m", organisation, 10, 12.3456)
    store("employment_6m", None, 10, 12.3456, dimension=Dimension.ALL)
    store("satisfaction", organisation, 11, 4.2727)
    store("satisfaction", None, 11, 4.2727, dimension=Dimension.ALL)


def test_transparency_pages_are_public_and_suppress_small_cells(client, stored, organisation):
    page = client.get(reverse("transparency:index"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "12,3" not in html and "12.3" not in html  # 10 people: secret
    assert "4,27" in html or "4.27" in html  # 11 answers: shown
    assert "secret" in html
    indicator = client.get(reverse("transparency:indicator", args=["satisfaction"]))
    assert indicator.status_code == 200 and "<svg" in indicator.content.decode()
    assert "<title" in indicator.content.decode() and "<desc" in indicator.content.decode()


def test_open_data_csv_suppresses_small_cells(client, stored):
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("transparency:indicator_csv", args=["employment_6m"])).content.decode()
            )
        )
    )
    assert rows and all(
        r["value"] == "secret" and r["n"] == "<11" and r["numerator"] == "secret" for r in rows
    )
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("transparency:indicator_csv", args=["satisfaction"])).content.decode()
            )
        )
    )
    assert rows and all(r["value"] == "4.27" and r["n"] == "11" for r in rows)


def test_pdf_report_suppresses_small_cells(client, stored, organisation):
    response = client.get(reverse("transparency:report_pdf", args=[organisation.public_id, str(YEAR)]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert b"(4.27" in pdf  # satisfaction, 11 answers
    assert b"12.3" not in pdf  # employment, 10 people
    assert b"(secret" in pdf


def test_pdf_report_for_unknown_year_format_is_404(client, organisation):
    assert client.get(f"/transparence/rapports/{organisation.public_id}/20x5.pdf").status_code == 404


def test_indicator_pages_show_versions_side_by_side(
    client, stored, organisation, manager, analyst, django_assert_max_num_queries
):
    from parcours.evaluation import actions

    indicator = Indicator.objects.get(code="satisfaction")
    actions.revise_indicator(
        indicator,
        by=analyst,
        formula_key="satisfaction",
        parameters={"moments": ["episode_end"]},
        notes="Fin d'accompagnement seulement.",
    )
    store("satisfaction", organisation, 12, 3.5, version=2)
    client.force_login(manager)
    with django_assert_max_num_queries(10):
        page = client.get(
            reverse("evaluation:indicator_detail", args=["satisfaction"]), {"granularity": "year"}
        )
    html = page.content.decode()
    assert page.status_code == 200
    assert "v1" in html and "v2" in html
    assert ("4,27" in html or "4.27" in html) and ("3,5" in html or "3.5" in html)
    with django_assert_max_num_queries(12):
        listing = client.get(reverse("evaluation:indicator_list"))
    assert listing.status_code == 200 and "secret" in listing.content.decode()


def test_outsider_without_membership_cannot_see_indicators(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x")
    client.force_login(user)
    assert client.get(reverse("evaluation:indicator_list")).status_code == 403


def test_experiment_pages_are_for_analysts_only(
    client, analyst, counselor, outsider, organisation, django_assert_max_num_queries
):
    experiment = running(analyst, organisation)
    client.force_login(analyst)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("evaluation:experiment_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert (
            client.get(reverse("evaluation:experiment_detail", args=[experiment.public_id])).status_code
            == 200
        )
    assert (
        client.get(
            reverse("evaluation:power"),
            {"baseline": "0.3", "n_per_arm": "500", "alpha": "0.05", "power": "0.8"},
        ).status_code
        == 200
    )
    client.force_login(counselor)
    assert client.get(reverse("evaluation:experiment_list")).status_code == 403
    assert client.get(reverse("evaluation:experiment_detail", args=[experiment.public_id])).status_code in (
        403,
        404,
    )
    client.force_login(outsider)
    assert client.get(reverse("evaluation:experiment_detail", args=[experiment.public_id])).status_code in (
        403,
        404,
    )
    # The public page shows the frozen pre-registration to anyone.
    client.logout()
    public = client.get(reverse("transparency:experiment", args=[experiment.public_id]))
    assert public.status_code == 200 and experiment.preregistration_hash in public.content.decode()


def test_analyst_creates_registers_and_analyses_through_the_pages(
    client, analyst, organisation, django_capture_on_commit_callbacks
):
    client.force_login(analyst)
    data = {
        "organisation": organisation.pk,
        "title": "Ateliers CV",
        "question": "Les ateliers aident-ils ?",
        "design": "simple",
        "unit": "individual",
        "outcomes": ["employment_6m"],
        "starts_on": "2025-01-01",
        "ends_on": "2025-12-31",
        "seed": "12",
        "control_name": "Habituel",
        "control_cost": "0",
        "treatment_name": "Ateliers",
        "treatment_cost": "200",
        "treatment_weight": "1",
        "shares": "",
    }
    bad = client.post(reverse("evaluation:experiment_create"), {**data, "ends_on": "2024-01-01"})
    assert bad.status_code == 400 and "Ateliers CV" in bad.content.decode()
    response = client.post(reverse("evaluation:experiment_create"), data)
    assert response.status_code == 302
    from parcours.evaluation.models import Experiment

    experiment = Experiment.objects.get(title="Ateliers CV")
    url = reverse("evaluation:experiment_status", args=[experiment.public_id])
    client.post(url, {"status": "registered", "version": experiment.version})
    experiment.refresh_from_db()
    assert experiment.status == "registered" and experiment.preregistration_hash
    stale = client.post(url, {"status": "running", "version": "1"}, follow=True)
    assert "modifiée entre-temps" in stale.content.decode()
    client.post(url, {"status": "running", "version": experiment.version})
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("evaluation:experiment_analyse", args=[experiment.public_id]))
    assert experiment.reports.count() == 1


def test_api_hides_small_cells_and_experiments_from_non_analysts(
    client, stored, counselor, analyst, organisation
):
    client.force_login(counselor)
    values = client.get("/api/v1/indicators/employment_6m/values", {"dimension": "organisation"}).json()
    assert values and all(v["value"] is None and v["n"] is None for v in values)
    values = client.get("/api/v1/indicators/satisfaction/values", {"dimension": "organisation"}).json()
    assert values and all(v["value"] == pytest.approx(4.2727) for v in values)
    experiment = running(analyst, organisation)
    assert client.get("/api/v1/experiments").json() == []
    assert client.get(f"/api/v1/experiments/{experiment.public_id}/report").status_code == 404
    client.force_login(analyst)
    assert len(client.get("/api/v1/experiments").json()) == 1


def test_site_values_are_listed_in_open_data(client, organisation):
    site = SiteFactory(organisation=organisation)
    store("satisfaction", organisation, 15, 4.0, dimension=Dimension.SITE, site=site)
    rows = list(
        csv.DictReader(
            io.StringIO(
                client.get(reverse("transparency:indicator_csv", args=["satisfaction"])).content.decode()
            )
        )
    )
    assert {r["site"] for r in rows} == {site.name}


def test_the_registry_page_proposes_then_activates_a_version(
    client, analyst, manager, django_assert_max_num_queries
):
    from parcours.evaluation.indicators import ensure_registry

    ensure_registry()
    client.force_login(manager)
    assert client.get(reverse("evaluation:registry")).status_code == 403
    client.force_login(analyst)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("evaluation:registry"))
    assert page.status_code == 200 and "same_job_12m" in page.content.decode()
    bad = client.post(
        reverse("evaluation:registry_propose"),
        {"indicator": "satisfaction", "formula_key": "satisfaction", "parameters": "[1]", "notes": "x"},
    )
    assert bad.status_code == 400
    proposed = client.post(
        reverse("evaluation:registry_propose"),
        {
            "indicator": "satisfaction",
            "formula_key": "satisfaction",
            "parameters": '{"moments": ["episode_end"]}',
            "notes": "Fin d'accompagnement seulement.",
        },
    )
    assert proposed.status_code == 302
    indicator = Indicator.objects.get(code="satisfaction")
    version = indicator.versions.get(number=2)
    assert version.activated_at is None and indicator.current_version().number == 1
    assert (
        'Activer<span class="visually-hidden"> — satisfaction v2'
        in client.get(reverse("evaluation:registry")).content.decode()
    )
    assert client.post(reverse("evaluation:registry_activate", args=[version.pk])).status_code == 302
    assert indicator.current_version().number == 2
    assert client.post(reverse("evaluation:registry_activate", args=[version.pk])).status_code == 400
