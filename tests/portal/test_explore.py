"""What the person does on their own in /moi/ (issue 12 items 2 and 8): self-diagnosis started,
filled and sent from the portal; occupations explored through the normaliser; job offers ranked for
their own career project. Someone else's diagnosis answers 404."""

from pathlib import Path

import pytest
from django.urls import reverse

from parcours.cases.models import CaseEvent
from parcours.conversations.models import Message, Thread
from parcours.diagnosis.models import Barrier, Diagnosis
from parcours.labour import actions as labour_actions
from parcours.labour import importers
from parcours.labour.models import Occupation
from parcours.labour.normalising import load_artefact
from parcours.messaging.models import OutboundMessage
from tests.cases.factories import EpisodeFactory
from tests.diagnosis.factories import load_shipped_questionnaire
from tests.market.factories import OfferFactory
from tests.organisations.factories import make_commune
from tests.portal.factories import PersonAccountFactory, log_in_person

ROME_SAMPLE = Path(__file__).resolve().parents[2] / "parcours" / "labour" / "fixtures" / "rome_sample"


@pytest.fixture
def me(client, person):
    log_in_person(client, PersonAccountFactory(person=person))
    return client


@pytest.fixture
def questionnaire(db):
    return load_shipped_questionnaire()


@pytest.fixture
def rome(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    load_artefact.cache_clear()
    importers.import_rome(ROME_SAMPLE)
    yield
    load_artefact.cache_clear()


# --- Self-diagnosis -------------------------------------------------------------------------------


def test_person_starts_fills_and_sends_a_self_diagnosis(me, episode, questionnaire, counselor):
    page = me.get(reverse("portal:self_diagnosis"))
    assert page.status_code == 200
    assert "Commencer un autodiagnostic" in page.content.decode()

    started = me.post(reverse("portal:start_self_diagnosis"), {"episode": str(episode.public_id)})
    diagnosis = Diagnosis.objects.get(episode=episode)
    assert diagnosis.by_person and diagnosis.started_by is None
    assert started.status_code == 302
    assert started["Location"] == reverse(
        "portal:self_diagnosis_section", kwargs={"diagnosis_id": diagnosis.public_id, "index": 1}
    )
    # Starting again goes back to the same draft.
    me.post(reverse("portal:start_self_diagnosis"), {"episode": str(episode.public_id)})
    assert Diagnosis.objects.filter(episode=episode).count() == 1

    sections = diagnosis.definition["sections"]
    housing = next(
        i for i, s in enumerate(sections, 1) if any(q["id"] == "barrier_housing" for q in s["questions"])
    )
    url = reverse(
        "portal:self_diagnosis_section", kwargs={"diagnosis_id": diagnosis.public_id, "index": housing}
    )
    form = me.get(url)
    assert form.status_code == 200
    assert 'name="barrier_housing"' in form.content.decode()
    saved = me.post(
        url, {"barrier_housing": "high", "barrier_housing_note": "Hébergée chez ma sœur", "version": 1}
    )
    assert saved.status_code == 302
    diagnosis.refresh_from_db()
    assert diagnosis.answers["barrier_housing"] == "high"

    review = me.get(reverse("portal:self_diagnosis_send", kwargs={"diagnosis_id": diagnosis.public_id}))
    assert review.status_code == 200
    assert "Hébergée chez ma sœur" in review.content.decode()
    sent = me.post(reverse("portal:self_diagnosis_send", kwargs={"diagnosis_id": diagnosis.public_id}))
    assert sent.status_code == 302 and sent["Location"] == reverse("portal:self_diagnosis")
    diagnosis.refresh_from_db()
    assert diagnosis.is_completed
    assert list(Barrier.objects.filter(diagnosis=diagnosis).values_list("kind", flat=True)) == ["housing"]
    told = OutboundMessage.objects.get(user=counselor, subject__contains="Autodiagnostic")
    assert "sœur" not in told.body  # the answers stay in the file
    assert CaseEvent.objects.filter(episode=episode, actor=None, data__what="diagnosis_completed").exists()
    # Sent answers are no longer editable.
    again = me.get(
        reverse("portal:self_diagnosis_section", kwargs={"diagnosis_id": diagnosis.public_id, "index": 1})
    )
    assert again.status_code == 404
    listing = me.get(reverse("portal:self_diagnosis")).content.decode()
    assert "Envoyé le" in listing


def test_another_persons_or_the_counselors_diagnosis_is_not_found(
    me, episode, questionnaire, counselor, organisation
):
    from parcours.diagnosis import actions as diagnosis_actions

    stranger = EpisodeFactory(organisation=organisation, referent=counselor)
    theirs = diagnosis_actions.start_diagnosis(stranger, by=None, by_person=True)
    counselors = diagnosis_actions.start_diagnosis(episode, by=counselor)  # filled with the counselor
    for diagnosis in (theirs, counselors):
        kwargs = {"diagnosis_id": diagnosis.public_id}
        assert me.get(reverse("portal:self_diagnosis_send", kwargs=kwargs)).status_code == 404
        assert me.post(reverse("portal:self_diagnosis_send", kwargs=kwargs)).status_code == 404
        kwargs["index"] = 1
        assert me.get(reverse("portal:self_diagnosis_section", kwargs=kwargs)).status_code == 404
    refused = me.post(reverse("portal:start_self_diagnosis"), {"episode": str(stranger.public_id)})
    assert refused.status_code == 404
    assert Diagnosis.objects.filter(episode=stranger).count() == 1


def test_closed_episode_offers_no_self_diagnosis(me, episode, questionnaire, counselor):
    from parcours.cases import actions as case_actions

    case_actions.close_episode(episode, by=counselor, reason="moved", expected_version=episode.version)
    page = me.get(reverse("portal:self_diagnosis")).content.decode()
    assert "Commencer un autodiagnostic" not in page
    assert (
        me.post(reverse("portal:start_self_diagnosis"), {"episode": str(episode.public_id)}).status_code
        == 404
    )


# --- Occupations and offers ---------------------------------------------------------------------


def test_person_explores_occupations_in_their_own_words(me, rome):
    page = me.get(reverse("portal:occupations"), {"q": "aide soignante de nuit"})
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("portal:occupation", kwargs={"rome_code": "J1501"}) in html
    detail = me.get(reverse("portal:occupation", kwargs={"rome_code": "j1501"}))
    assert detail.status_code == 200
    occupation = Occupation.objects.get(rome_code="J1501")
    assert occupation.label in detail.content.decode()
    assert "/metiers/fiche/" not in detail.content.decode()  # neighbours link inside the portal
    assert me.get(reverse("portal:occupation", kwargs={"rome_code": "Z9999"})).status_code == 404


def test_offers_follow_the_persons_career_project_and_commune(me, rome, person, episode, counselor):
    lille = make_commune(
        insee_code="59350", name="Lille", postcode="59000", latitude=50.6292, longitude=3.0573
    )
    person.commune = lille
    person.save(update_fields=["commune"])
    page = me.get(reverse("portal:offers")).content.decode()
    assert "pas encore de métier visé" in page

    project = labour_actions.start_career_project(episode, by=counselor)
    labour_actions.add_target_occupation(
        project, by=counselor, occupation=Occupation.objects.get(rome_code="J1501")
    )
    near = OfferFactory(title="Aide-soignant de nuit", rome_code="J1501")
    OfferFactory(title="Aide-soignant à Marseille", rome_code="J1501", latitude=43.2965, longitude=5.3698)
    OfferFactory(title="Boulanger", rome_code="D1102")
    page = me.get(reverse("portal:offers"))
    html = page.content.decode()
    assert page.status_code == 200
    assert near.title in html
    assert "Marseille" not in html and "Boulanger" not in html
    assert "Pourquoi" in html


def test_person_chooses_how_far_and_which_contracts(me, rome, person, episode, counselor):
    # Lille; offers at Roubaix (about 10 km) and Lens (about 30 km), one CDI and one CDD.
    person.commune = make_commune(
        insee_code="59350", name="Lille", postcode="59000", latitude=50.6292, longitude=3.0573
    )
    person.save(update_fields=["commune"])
    project = labour_actions.start_career_project(episode, by=counselor)
    labour_actions.add_target_occupation(
        project, by=counselor, occupation=Occupation.objects.get(rome_code="J1501")
    )
    OfferFactory(title="Aide-soignant à Roubaix", rome_code="J1501", latitude=50.6901, longitude=3.1817,
                 contract_type="CDD")  # fmt: skip
    OfferFactory(title="Aide-soignant à Lens", rome_code="J1501", latitude=50.4320, longitude=2.8333,
                 contract_type="CDI")  # fmt: skip
    near = me.get(reverse("portal:offers"), {"radius_km": "15"}).content.decode()
    assert "Aide-soignant à Roubaix" in near and "Aide-soignant à Lens" not in near
    assert "Dans un rayon de 15 km" in near
    far = me.get(reverse("portal:offers"), {"radius_km": "40", "contract_types": "CDI"}).content.decode()
    assert "Aide-soignant à Lens" in far and "CDI souhaité" in far  # the wish counts and is explained
    assert 'value="40"' in far  # the form keeps what was chosen
    wrong = me.get(reverse("portal:offers"), {"radius_km": "-3"})
    assert wrong.status_code == 200 and "Dans un rayon de 30 km" in wrong.content.decode()  # default kept


def test_explore_pages_are_in_the_person_navigation(me):
    page = me.get(reverse("portal:home")).content.decode()
    for name in ("self_diagnosis", "occupations", "offers"):
        assert reverse(f"portal:{name}") in page, name


def test_explore_pages_need_the_person_login(client, db):
    for name in ("self_diagnosis", "occupations", "offers"):
        response = client.get(reverse(f"portal:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("portal:login"))


def test_this_offer_interests_me_writes_to_the_counselor_once(me, rome, person, episode, counselor):
    person.commune = make_commune(
        insee_code="59350", name="Lille", postcode="59000", latitude=50.6292, longitude=3.0573
    )
    person.save(update_fields=["commune"])
    offer = OfferFactory(title="Aide-soignant de nuit", rome_code="J1501", employer_name="EHPAD Les Tilleuls")
    page = me.get(reverse("portal:offers")).content.decode()
    url = reverse("portal:offer_interest", kwargs={"offer_id": offer.pk})
    assert f'action="{url}"' in page
    response = me.post(url, {"episode": str(episode.public_id)})
    thread = Thread.objects.get(episode=episode)
    assert response.status_code == 302 and response.url == reverse(
        "portal:thread", kwargs={"thread_id": thread.pk}
    )
    assert thread.subject == "Offre : Aide-soignant de nuit"
    message = Message.objects.get(thread=thread)
    assert message.author is None  # written by the person
    assert "« Aide-soignant de nuit » (EHPAD Les Tilleuls" in message.body
    assert f"Référence : {offer.source} {offer.external_id}" in message.body
    again = me.post(url, {"episode": str(episode.public_id)})  # twice: the same conversation
    assert again.status_code == 302 and Message.objects.filter(thread__episode=episode).count() == 1


def test_interest_needs_an_own_open_episode_and_an_active_offer(me, person, episode, counselor):
    offer = OfferFactory(title="Aide-soignant de nuit", rome_code="J1501")
    stranger = EpisodeFactory(organisation=episode.organisation, referent=counselor)
    url = reverse("portal:offer_interest", kwargs={"offer_id": offer.pk})
    assert me.post(url, {"episode": str(stranger.public_id)}).status_code == 404
    assert me.post(url, {}).status_code == 404
    gone = OfferFactory(title="Ancienne offre", rome_code="J1501", is_active=False)
    missing = reverse("portal:offer_interest", kwargs={"offer_id": gone.pk})
    assert me.post(missing, {"episode": str(episode.public_id)}).status_code == 404
    assert me.get(url).status_code == 405
