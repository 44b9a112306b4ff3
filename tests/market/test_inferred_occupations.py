"""Offer titles (issue 15, part 6): an offer whose source gives no ROME code gets its occupation
from the job-title normaliser at import, with the score kept; low scores are flagged and can be
listed; without a fitted normaliser the record is refused (all or nothing, or skipped on demand)."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from parcours.labour import importers as labour_importers
from parcours.labour.normalising import load_artefact
from parcours.market.importers import import_offers_csv, import_offers_json
from parcours.market.models import JobOffer
from parcours.stats.tabular import InvalidRows
from tests.accounts.factories import member
from tests.labour.conftest import ROME_SAMPLE
from tests.market.test_imports import recorded_offers
from tests.organisations.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

HEADER = "id,title,rome_code,contract_type,posted_on\n"


@pytest.fixture
def rome(settings, tmp_path):
    """The committed ROME sample with its fitted artefacts (under a temporary DATA_DIR)."""
    settings.DATA_DIR = tmp_path / "data"
    load_artefact.cache_clear()
    labour_importers.import_rome(ROME_SAMPLE)
    yield
    load_artefact.cache_clear()


def _csv(tmp_path, body: str):
    path = tmp_path / "offers.csv"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_csv_offers_without_rome_code_get_the_normalisers_occupation_and_score(rome, tmp_path):
    path = _csv(
        tmp_path,
        "a1,Aide soignante de nuit H/F,,CDI,2026-11-02\n"
        "a2,Préparateur de commandes en entrepôt,,CDD,2026-11-03\n"
        "a3,Serveur,G1803,CDI,2026-11-04\n",
    )
    report = import_offers_csv(path, progress=False)
    assert (report.created, report.inferred, report.errors) == (3, 2, [])
    nurse = JobOffer.objects.get(external_id="a1")
    assert (nurse.rome_code, nurse.rome_label) == ("J1501", "Aide-soignant / Aide-soignante")
    assert nurse.job_title_label  # the appellation the title matched
    assert nurse.rome_inferred and 0.5 <= nurse.rome_score <= 1
    assert JobOffer.objects.get(external_id="a2").rome_code == "N1103"
    given = JobOffer.objects.get(external_id="a3")
    assert (given.rome_score, given.rome_inferred, given.rome_uncertain) == (None, False, False)


def test_a_low_score_is_kept_and_flagged_uncertain(rome, tmp_path):
    # "Chef de projet" is nothing in the 25-occupation sample: the best answer is weak.
    path = _csv(tmp_path, "u1,Chef de projet marketing digital,,CDI,2026-11-02\n")
    report = import_offers_csv(path, progress=False)
    offer = JobOffer.objects.get(external_id="u1")
    assert offer.rome_score < 0.5 and offer.rome_uncertain
    assert (report.inferred, report.uncertain) == (1, 1)
    assert list(JobOffer.objects.uncertain_occupation()) == [offer]


def test_france_travail_records_without_rome_code_are_inferred_too(rome):
    records = recorded_offers()["resultats"]
    without = dict(records[0], id="NOROME", intitule="Aide-soignant H/F")
    del without["romeCode"], without["romeLibelle"]
    report = import_offers_json([records[0], without])
    assert (report.created, report.inferred) == (2, 1)
    offer = JobOffer.objects.get(external_id="NOROME")
    assert offer.rome_code == "J1501" and offer.rome_score is not None
    assert JobOffer.objects.get(external_id=records[0]["id"]).rome_score is None


def test_without_a_rome_referential_a_missing_code_refuses_the_file_and_writes_nothing(tmp_path):
    path = _csv(tmp_path, "a1,Aide soignante,,CDI,2026-11-02\na2,Serveur,G1803,CDI,2026-11-02\n")
    with pytest.raises(InvalidRows) as caught:
        import_offers_csv(path, progress=False)
    assert caught.value.problems == [
        f"{path}:2: rome_code: no ROME code, and no ROME referential imported to infer it from the title"
    ]
    assert JobOffer.objects.count() == 0
    report = import_offers_csv(path, progress=False, skip_invalid=True)
    assert (report.created, report.inferred, [e.index for e in report.errors]) == (1, 0, [2])


def test_the_cli_reports_inferred_and_uncertain_counts(rome, tmp_path):
    path = _csv(
        tmp_path, "a1,Aide soignante,,CDI,2026-11-02\nu1,Chef de projet marketing digital,,CDI,2026-11-02\n"
    )
    out = io.StringIO()
    call_command("market", "import-offers", str(path), "--no-progress", stdout=out)
    assert "inferred" in out.getvalue() and "uncertain" in out.getvalue()
    out = io.StringIO()
    call_command("market", "import-offers", str(path), "--no-progress", "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert (data["inferred"], data["uncertain"], data["unchanged"]) == (2, 1, 2)


def test_the_cli_without_referential_exits_with_one_line(tmp_path):
    path = _csv(tmp_path, "a1,Aide soignante,,CDI,2026-11-02\n")
    err = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("market", "import-offers", str(path), "--no-progress", stdout=io.StringIO(), stderr=err)
    assert str(caught.value) == f"{path}: no valid record (1 invalid)"
    assert "no ROME referential imported to infer it from the title" in err.getvalue()


def test_staff_see_the_inferred_occupation_and_can_list_the_uncertain_ones(rome, tmp_path, client):
    path = _csv(
        tmp_path,
        "a1,Aide soignante,,CDI,2026-11-02\nu1,Chef de projet marketing digital,,CDI,2026-11-02\n"
        "g1,Serveur,G1803,CDI,2026-11-02\n",
    )
    import_offers_csv(path, progress=False)
    client.force_login(member(OrganisationFactory()))
    page = client.get(reverse("market:offer_search"), {"occupation_origin": "uncertain"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Chef de projet marketing digital" in body
    assert "Aide soignante" not in body and "Serveur" not in body
    assert "déduit de l'intitulé, peu sûr" in body
    given = client.get(reverse("market:offer_search"), {"occupation_origin": "given"}).content.decode()
    assert "Serveur / Serveuse en restauration" in given and "Aide soignante" not in given
    nurse = JobOffer.objects.get(external_id="a1")
    detail = client.get(reverse("market:offer_detail", args=[nurse.pk])).content.decode()
    assert "Aide-soignant / Aide-soignante" in detail and "déduit de l'intitulé (score" in detail
    api = client.get(f"/api/v1/market/offers/{nurse.pk}")
    assert api.status_code == 200 and api.json()["rome_score"] == nurse.rome_score
