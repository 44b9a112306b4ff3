"""Person page, creation with duplicate detection, identity edit and consents."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases import actions
from parcours.cases import actions as case_actions
from parcours.cases.models import AccessLog, CaseEvent, SupportEpisode
from parcours.people.models import Consent, Person
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.organisations.factories import TerritoryFactory
from tests.people.factories import PersonFactory

pytestmark = pytest.mark.django_db


def detail_url(person):
    return reverse("people:detail", kwargs={"public_id": person.public_id})


def edit_url(person):
    return reverse("people:edit", kwargs={"public_id": person.public_id})


# --- Person page -----------------------------------------------------------------------------


def test_person_page_renders_for_the_referent(client, counselor, episode):
    client.force_login(counselor)

    response = client.get(detail_url(episode.person))

    assert response.status_code == 200
    content = response.content.decode()
    assert episode.person.full_name in content
    assert "Enregistrer un contact" in content
    assert "Planifier un rendez-vous" in content


def test_person_page_is_404_for_an_outsider(client, outsider, episode):
    client.force_login(outsider)

    assert client.get(detail_url(episode.person)).status_code == 404


def test_person_page_is_404_once_the_episode_is_closed(client, counselor, organisation):
    closed = EpisodeFactory(organisation=organisation, referent=counselor, closed=True)
    client.force_login(counselor)

    assert client.get(detail_url(closed.person)).status_code == 404


def test_viewing_the_person_page_writes_an_access_log(client, counselor, episode):
    client.force_login(counselor)

    client.get(detail_url(episode.person))
    client.get(detail_url(episode.person))

    logs = AccessLog.objects.filter(person=episode.person, user=counselor)
    assert logs.count() == 2
    assert logs.first().route == "people:detail"


def test_outsider_404_writes_no_access_log(client, outsider, episode):
    client.force_login(outsider)

    client.get(detail_url(episode.person))

    assert not AccessLog.objects.exists()


def test_disability_recognition_is_shown_only_to_who_may_see_sensitive_data(
    client, counselor, colleague, episode
):
    client.force_login(counselor)
    referent_view = client.get(detail_url(episode.person)).content.decode()
    client.force_login(colleague)
    colleague_view = client.get(detail_url(episode.person)).content.decode()

    assert "RQTH" in referent_view
    assert "RQTH" not in colleague_view


def test_person_page_shows_status_history_channels_and_referent_history(
    client, counselor, colleague, episode
):
    person = episode.person
    case_actions.change_status(person, by=counselor, status="employed")
    person.preferred_channels = ["sms", "video"]
    person.save()
    actions.hand_over_episode(episode, by=counselor, to_referent=colleague, reason="Réorganisation")
    client.force_login(counselor)

    content = client.get(detail_url(person)).content.decode()

    assert "Salarié·e" in content
    assert "SMS, Visioconférence" in content
    assert "Réorganisation" in content
    assert colleague.get_full_name() in content


def _make_events(episode, counselor, count):
    """`count` events alternating contacts and appointments, as the actions record them."""
    for i in range(count):
        if i % 2:
            actions.record_contact(
                episode,
                by=counselor,
                channel="phone",
                occurred_at=timezone.now() - datetime.timedelta(days=count - i),
                summary=f"Échange numéro {i}",
            )
        else:
            actions.plan_appointment(
                episode,
                by=counselor,
                scheduled_at=timezone.now() + datetime.timedelta(days=i + 1),
                channel="video",
                purpose=f"Objet {i}",
            )


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_person_page_query_count_does_not_grow_with_the_timeline(client, counselor, settings, organisation):
    settings.PARCOURS_PAGE_SIZE = 100
    client.force_login(counselor)
    small_episode = EpisodeFactory(organisation=organisation, referent=counselor)
    _make_events(small_episode, counselor, 5)
    large_episode = EpisodeFactory(organisation=organisation, referent=counselor)
    _make_events(large_episode, counselor, 50)

    small = _count(client, detail_url(small_episode.person))
    large = _count(client, detail_url(large_episode.person))

    assert small == large
    # 25, whatever the length of the timeline: the page resolves the access rules for the file's few
    # episodes once (access.file_scope) and every section reads through them; the contacts of every
    # organisation (ledger) and the portal account add theirs.
    assert large == 25


def test_timeline_is_readable_and_newest_first(client, counselor, episode):
    actions.change_stage(episode, by=counselor, stage="assessment")
    actions.change_stage(episode, by=counselor, stage="career_project")
    actions.record_contact(episode, by=counselor, channel="phone", summary="Bilan de compétences évoqué")
    client.force_login(counselor)

    page = client.get(detail_url(episode.person)).content.decode()
    content = page[page.index('id="timeline"') :]

    assert "Étape : Diagnostic → Projet professionnel" in content
    assert "Étape : Accueil → Diagnostic" in content
    assert content.index("Diagnostic → Projet professionnel") < content.index("Accueil → Diagnostic")
    assert "Bilan de compétences évoqué" in content
    assert f"par {counselor.get_full_name()}" in content


def test_timeline_names_the_changes_other_apps_record(client, counselor, episode):
    CaseEvent.objects.create(
        person=episode.person,
        episode=episode,
        actor=counselor,
        kind=CaseEvent.Kind.OTHER,
        data={"what": "referral_accepted", "referral": 1, "service": 1},
    )
    CaseEvent.objects.create(
        person=episode.person,
        episode=episode,
        actor=counselor,
        kind="other",
        data={"what": "diagnosis_completed"},
    )
    client.force_login(counselor)

    page = client.get(detail_url(episode.person)).content.decode()
    content = page[page.index('id="timeline"') :]

    assert "Orientation : Acceptée" in content
    assert "Diagnostic terminé" in content
    assert "<strong>Autre</strong>" not in content


def test_timeline_is_paginated_and_served_as_a_partial_to_htmx(client, counselor, episode, settings):
    settings.PARCOURS_PAGE_SIZE = 3
    _make_events(episode, counselor, 8)
    client.force_login(counselor)

    full = client.get(detail_url(episode.person)).content.decode()
    partial = client.get(
        detail_url(episode.person),
        {"evenements": "2"},
        headers={"HX-Request": "true", "HX-Target": "timeline"},
    )

    assert "Événements plus anciens" in full
    content = partial.content.decode()
    assert 'id="timeline"' in content
    assert "<html" not in content
    assert "Page 2 sur" in content


def test_person_page_renders_in_english(client, counselor, episode):
    client.force_login(counselor)
    client.cookies.load({"django_language": "en"})

    response = client.get(detail_url(episode.person))

    assert response.status_code == 200
    assert '<html lang="en">' in response.content.decode()


# --- Creation with duplicate detection ---------------------------------------------------------


def creation_data(organisation, **overrides):
    data = {
        "first_name": "Hélène",
        "last_name": "Dupont",
        "birth_date": "1990-05-17",
        "sex": "F",
        "email": "helene@example.org",
        "phone": "0601020304",
        "status": "job_seeker",
        "preferred_channels": ["phone", "sms"],
        "digital_autonomy": "partial",
        "organisation": organisation.pk,
        "intensity": "intensive",
        "approach": "global",
    }
    data.update(overrides)
    return data


def test_create_page_renders(client, counselor):
    TerritoryFactory(name="Roubaix", insee_code="59512")
    client.force_login(counselor)

    response = client.get(reverse("intake:create_person"))

    assert response.status_code == 200
    html = response.content.decode()
    # The commune is typed (INSEE code or postcode): the page does not list every commune.
    assert 'name="commune"' in html and "Roubaix" not in html


def test_creating_a_person_opens_an_episode_in_the_same_submit(client, counselor, organisation):
    client.force_login(counselor)

    response = client.post(reverse("intake:create_person"), creation_data(organisation))

    person = Person.objects.get(last_name="Dupont")
    assert response.status_code == 302
    assert response.url == detail_url(person)
    assert person.preferred_channels == ["phone", "sms"]
    episode = SupportEpisode.objects.get(person=person)
    assert (episode.referent, episode.intensity, episode.approach) == (counselor, "intensive", "global")
    assert CaseEvent.objects.filter(person=person, kind=CaseEvent.Kind.PERSON_CREATED).exists()
    assert CaseEvent.objects.filter(person=person, kind=CaseEvent.Kind.EPISODE_OPENED).exists()


@pytest.mark.parametrize(
    ("first_name", "last_name"),
    [
        ("Helene", "DUPONT"),  # accents and case
        ("Hélène", "Dupond"),  # a typo
        ("Dupont", "Hélène"),  # first and last names swapped
    ],
)
def test_possible_duplicate_is_shown_before_creation(client, counselor, organisation, first_name, last_name):
    existing = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person=PersonFactory(first_name="Hélène", last_name="Dupont", birth_date=datetime.date(1990, 5, 17)),
    ).person
    client.force_login(counselor)

    response = client.post(
        reverse("intake:create_person"),
        creation_data(organisation, first_name=first_name, last_name=last_name),
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "peut-être déjà connue" in content
    assert detail_url(existing) in content
    assert f'value="{first_name}"' in content  # everything typed is kept
    assert Person.objects.count() == 1


def test_different_birth_date_is_not_a_duplicate(client, counselor, organisation):
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person=PersonFactory(first_name="Hélène", last_name="Dupont", birth_date=datetime.date(1990, 5, 18)),
    )
    client.force_login(counselor)

    response = client.post(reverse("intake:create_person"), creation_data(organisation))

    assert response.status_code == 302
    assert Person.objects.count() == 2


def test_create_anyway_creates_the_person(client, counselor, organisation):
    EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        person=PersonFactory(first_name="Hélène", last_name="Dupont", birth_date=datetime.date(1990, 5, 17)),
    )
    client.force_login(counselor)

    response = client.post(reverse("intake:create_person"), creation_data(organisation, confirm_new="on"))

    assert response.status_code == 302
    assert Person.objects.filter(last_name="Dupont").count() == 2


def test_duplicate_with_a_closed_episode_offers_to_reopen(client, counselor, organisation):
    closed = EpisodeFactory(
        organisation=organisation,
        referent=counselor,
        closed=True,
        person=PersonFactory(first_name="Hélène", last_name="Dupont", birth_date=datetime.date(1990, 5, 17)),
    )
    client.force_login(counselor)

    content = client.post(reverse("intake:create_person"), creation_data(organisation)).content.decode()

    assert reverse("intake:open_episode", kwargs={"person_public_id": closed.person.public_id}) in content
    assert detail_url(closed.person) not in content


def test_people_of_other_organisations_are_never_revealed_as_duplicates(
    client, counselor, organisation, other_organisation
):
    EpisodeFactory(
        organisation=other_organisation,
        person=PersonFactory(first_name="Hélène", last_name="Dupont", birth_date=datetime.date(1990, 5, 17)),
    )
    client.force_login(counselor)

    response = client.post(reverse("intake:create_person"), creation_data(organisation))

    assert response.status_code == 302
    assert Person.objects.filter(last_name="Dupont").count() == 2


def test_invalid_creation_keeps_the_input(client, counselor, organisation):
    client.force_login(counselor)

    response = client.post(
        reverse("intake:create_person"), creation_data(organisation, birth_date="2990-01-01")
    )

    assert response.status_code == 400
    content = response.content.decode()
    assert "dans le futur" in content
    assert 'value="helene@example.org"' in content
    assert not Person.objects.exists()


def test_creation_is_refused_to_users_without_case_work(client, analyst):
    client.force_login(analyst)

    assert client.get(reverse("intake:create_person")).status_code == 403


# --- Edit with version check -----------------------------------------------------------------


def edit_data(person, **overrides):
    data = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "birth_date": person.birth_date.isoformat(),
        "sex": person.sex,
        "email": person.email,
        "phone": "0761234567",
        "address": "",
        "status": person.status,
        "digital_autonomy": person.digital_autonomy,
        "version": person.version,
    }
    data.update(overrides)
    return data


def test_editing_a_person_saves_the_changes(client, counselor, episode):
    person = episode.person
    client.force_login(counselor)
    assert client.get(edit_url(person)).status_code == 200

    response = client.post(edit_url(person), edit_data(person, status="employed"))

    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.phone, person.status) == ("+33 7 61 23 45 67", "employed")
    assert person.status_periods.count() == 1


def test_concurrent_edit_shows_a_conflict_and_overwrites_nothing(client, counselor, colleague, episode):
    person = episode.person
    client.force_login(counselor)
    read_version = person.version
    case_actions.update_person(
        person, by=colleague, expected_version=read_version, email="nouveau@example.org"
    )

    response = client.post(
        edit_url(person), edit_data(person, email="mien@example.org", version=read_version)
    )

    assert response.status_code == 409
    content = response.content.decode()
    assert "Quelqu&#x27;un a modifié cette fiche" in content
    assert 'value="mien@example.org"' in content  # the typed value is kept
    assert "nouveau@example.org" in content  # the value saved meanwhile is shown
    person.refresh_from_db()
    assert person.email == "nouveau@example.org"
    assert person.phone != "+33 7 61 23 45 67"


def test_colleague_cannot_edit_the_disability_recognition(client, colleague, episode):
    person = episode.person
    person.disability_recognition = True
    person.save()
    client.force_login(colleague)

    form_page = client.get(edit_url(person)).content.decode()
    client.post(edit_url(person), edit_data(person))

    assert "disability_recognition" not in form_page
    person.refresh_from_db()
    assert person.disability_recognition is True


def test_outsider_cannot_edit(client, outsider, episode):
    client.force_login(outsider)

    assert client.get(edit_url(episode.person)).status_code == 404


# --- Consents --------------------------------------------------------------------------------


def test_giving_and_withdrawing_a_consent(client, counselor, organisation, episode):
    person = episode.person
    client.force_login(counselor)

    client.post(
        reverse("people:give_consent", kwargs={"public_id": person.public_id}),
        {"organisation": organisation.pk, "scope": "contact"},
    )
    consent = Consent.objects.get(person=person, organisation=organisation, scope="contact")
    client.post(
        reverse("people:withdraw_consent", kwargs={"public_id": person.public_id, "consent_id": consent.pk})
    )

    consent.refresh_from_db()
    assert consent.withdrawn_at is not None
    kinds = set(CaseEvent.objects.filter(person=person).values_list("kind", flat=True))
    assert {CaseEvent.Kind.CONSENT_GIVEN, CaseEvent.Kind.CONSENT_WITHDRAWN} <= kinds


def test_consent_for_an_unrelated_organisation_is_refused(client, counselor, episode, other_organisation):
    client.force_login(counselor)

    client.post(
        reverse("people:give_consent", kwargs={"public_id": episode.person.public_id}),
        {"organisation": other_organisation.pk, "scope": "case_file"},
    )

    assert not Consent.objects.exists()


def test_follower_reads_the_person_page_without_change_forms(client, follower, episode):
    client.force_login(follower)

    content = client.get(detail_url(episode.person)).content.decode()

    assert episode.person.full_name in content
    assert "Modifier la fiche" not in content
    assert reverse("people:give_consent", kwargs={"public_id": episode.person.public_id}) not in content


def test_consent_page_actions_are_refused_to_a_follower(client, follower, episode, other_organisation):
    client.force_login(follower)

    response = client.post(
        reverse("people:give_consent", kwargs={"public_id": episode.person.public_id}),
        {"organisation": other_organisation.pk, "scope": "sensitive"},
    )

    assert response.status_code == 403


def test_manager_sees_team_person_but_not_sensitive_data(client, manager, episode):
    client.force_login(manager)

    content = client.get(detail_url(episode.person)).content.decode()

    assert episode.person.full_name in content
    assert "RQTH" not in content


def test_new_member_role_is_irrelevant_for_outsiders(client, other_organisation, episode):
    """A coordinator of another organisation has no case role: 404 like any outsider."""
    coordinator = member(other_organisation, Role.COORDINATOR, username="coralie")
    client.force_login(coordinator)

    assert client.get(detail_url(episode.person)).status_code == 404


def test_commune_is_typed_as_insee_code_or_unique_postcode(counselor):

    from parcours.people.forms import PersonForm
    from tests.organisations.factories import TerritoryFactory

    lille = TerritoryFactory(insee_code="59350", name="Lille", postcode="59000")
    TerritoryFactory(insee_code="59009", name="Villeneuve-d'Ascq", postcode="59650")
    TerritoryFactory(insee_code="59650", name="Wattrelos", postcode="59150")
    base = {"first_name": "Léa", "last_name": "Martin", "birth_date": "1995-03-02", "sex": "F"}
    base |= {"status": "job_seeker", "digital_autonomy": "unknown"}
    for typed in ("59350", "59000"):
        form = PersonForm(data={**base, "commune": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["commune"] == lille
    unknown = PersonForm(data={**base, "commune": "99999"})
    assert not unknown.is_valid() and "99999" in str(unknown.errors["commune"])


def test_an_episode_keeps_its_opening_commune_and_takes_the_first_one_known(counselor, organisation):
    lille, roubaix = TerritoryFactory(insee_code="59350"), TerritoryFactory(insee_code="59512")
    known = actions.open_episode(PersonFactory(commune=lille), by=counselor, organisation=organisation)
    unknown = actions.open_episode(PersonFactory(commune=None), by=counselor, organisation=organisation)
    assert (known.commune_id, unknown.commune_id) == (lille.pk, None)

    case_actions.update_person(
        known.person, by=counselor, expected_version=known.person.version, commune=roubaix
    )
    case_actions.update_person(
        unknown.person, by=counselor, expected_version=unknown.person.version, commune=roubaix
    )

    known.refresh_from_db()
    unknown.refresh_from_db()
    assert known.commune_id == lille.pk  # a move does not rewrite the episode's territory
    assert unknown.commune_id == roubaix.pk
