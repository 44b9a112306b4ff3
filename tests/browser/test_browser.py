"""End to end in a real browser: every role logs in, lands on its home, follows its menu; axe-core
finds no WCAG 2.1 A/AA violation on any page visited; the counselor's core loop; phone widths."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.models import Appointment, Contact
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory
from tests.catalogue.factories import ServiceFactory
from tests.organisations.factories import OrganisationFactory

PASSWORD = "test-password"  # tests.accounts.factories.UserFactory
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture
def people(transactional_db):
    organisation = OrganisationFactory(name="France Travail Lille")
    users = {
        "conseillere": member(organisation, Role.COUNSELOR, username="conseillere"),
        "responsable": member(organisation, Role.MANAGER, username="responsable"),
        "coordinateur": member(organisation, Role.COORDINATOR, username="coordinateur"),
        "analyste": member(organisation, Role.ANALYST, username="analyste"),
    }
    episode = EpisodeFactory(organisation=organisation, referent=users["conseillere"])
    service = ServiceFactory(organisation=OrganisationFactory(name="Mission locale"), name="Atelier CV")
    return {"organisation": organisation, "users": users, "episode": episode, "service": service}


def login(page, base: str, username: str) -> None:
    page.goto(base + reverse("accounts:login"))
    page.get_by_label("Identifiant").fill(username)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def axe_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}})
    return [
        f"{page.url} {v['id']}: {node['target']}"
        for v in results.response["violations"]
        for node in v["nodes"]
    ]


def menu_links(page) -> list[str]:
    page.locator("details.site-menu > summary").click()
    return page.eval_on_selector_all("details.site-menu nav a", "links => links.map(a => a.href)")


HOMES = {
    "conseillere": "cases:portfolio",
    "responsable": "cases:team",
    "coordinateur": "home:coordination",
    "analyste": "home:analysis",
}


@pytest.mark.parametrize("username", sorted(HOMES))
def test_each_role_lands_on_its_home_and_its_menu_pages_pass_axe(page, live_server, people, username):
    login(page, live_server.url, username)

    assert page.url == live_server.url + reverse(HOMES[username])
    links = menu_links(page)
    assert len(links) >= 5
    violations = axe_violations(page)
    for url in links:
        response = page.goto(url)
        assert response.status == 200, url
        violations += axe_violations(page)

    assert violations == []


def test_visitor_pages_pass_axe(page, live_server, people):
    violations = []
    for name in ("home", "catalogue:public_search", "transparency:index", "accounts:login"):
        page.goto(live_server.url + reverse(name))
        violations += axe_violations(page)

    assert violations == []


def test_counselor_core_loop_contact_appointment_stage_referral(page, live_server, people):
    episode = people["episode"]
    login(page, live_server.url, "conseillere")
    page.get_by_role("link", name=episode.person.full_name).click()

    page.get_by_text("Enregistrer un contact", exact=True).click()
    contact = page.locator(f"#contact-{episode.public_id} form")
    earlier = timezone.localtime() - datetime.timedelta(hours=1)
    contact.get_by_label("Date et heure").fill(earlier.strftime("%Y-%m-%dT%H:%M"))
    contact.get_by_label("Compte rendu").fill("Point sur la recherche d'emploi")
    contact.get_by_role("button", name="Enregistrer le contact").click()
    page.wait_for_load_state()
    # The summary is encrypted at rest (no lookup on it): read the episode's contacts back.
    assert [c.summary for c in Contact.objects.filter(episode=episode)] == ["Point sur la recherche d'emploi"]

    page.get_by_text("Planifier un rendez-vous", exact=True).click()
    appointment = page.locator(f"#appointment-{episode.public_id} form")
    when = timezone.localtime() + datetime.timedelta(days=3)
    appointment.get_by_label("Date et heure").fill(when.strftime("%Y-%m-%dT10:00"))
    appointment.get_by_role("button", name="Planifier").click()
    page.wait_for_load_state()
    assert Appointment.objects.filter(episode=episode).count() == 1

    page.get_by_text("Changer d'étape", exact=True).first.click()
    stage = page.locator(f"#stage-{episode.public_id} form")
    choices = (
        stage.get_by_label("Nouvelle étape")
        .locator("option")
        .evaluate_all("options => options.map(o => o.value).filter(Boolean)")
    )
    stage.get_by_label("Nouvelle étape").select_option(choices[0])
    stage.get_by_role("button", name="Changer d'étape").click()
    page.wait_for_load_state()
    episode.refresh_from_db()
    assert episode.stage != "intake"

    page.get_by_role("link", name="Services adaptés").first.click()
    assert axe_violations(page) == []
    service = people["service"]
    page.goto(
        live_server.url + reverse("catalogue:referral_create", args=[service.public_id, episode.public_id])
    )
    page.get_by_label("La personne a donné son accord").check()
    page.get_by_role("button", name="Envoyer l'orientation").click()
    page.wait_for_load_state()
    assert episode.referrals.count() == 1
    assert axe_violations(page) == []


@pytest.mark.parametrize("width", [390, 320])
def test_pages_fit_a_phone_without_horizontal_scroll(browser, live_server, people, width):
    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": 800})
    page = context.new_page()
    too_wide = []
    for name in ("home", "catalogue:public_search", "transparency:index"):
        page.goto(live_server.url + reverse(name))
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            too_wide.append(name)
    login(page, live_server.url, "responsable")
    urls = [
        live_server.url + reverse("cases:team"),
        live_server.url + reverse("cases:portfolio") + "?team=on",
    ]
    urls.append(live_server.url + reverse("people:detail", args=[people["episode"].person.public_id]))
    for url in urls:
        page.goto(url)
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            too_wide.append(url)
    context.close()

    assert too_wide == []


PHONE = 320  # WCAG 1.4.10: content reflows at 320 CSS px without scrolling in two dimensions
TOO_WIDE = f"document.documentElement.scrollWidth > {PHONE}"


def _menu_pages_at_phone_width(browser, live_server, username: str, extra: list[str]) -> tuple[list, list]:
    context = browser.new_context(locale="fr-FR", viewport={"width": PHONE, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server.url, username)
    urls = [u for u in menu_links(page) if "/admin/" not in u] + [live_server.url + u for u in extra]
    too_wide, violations = [], []
    for url in urls:
        response = page.goto(url)
        assert response.status == 200, url
        if page.evaluate(TOO_WIDE):
            too_wide.append((url, page.evaluate("document.documentElement.scrollWidth")))
        violations += axe_violations(page)
    context.close()
    return too_wide, violations


@pytest.mark.parametrize("username", [*sorted(HOMES), "administrateur"])
def test_every_menu_page_of_each_role_fits_320_px_and_passes_axe(browser, live_server, people, username):
    """Every page of the role's menu (and, for the counselor, the pages of one person's file) at
    320 px: the page never scrolls sideways (wide tables scroll inside their own region)."""
    if username == "administrateur":
        member(people["organisation"], Role.ADMINISTRATOR, username="administrateur", is_staff=True)
    extra = []
    if username == "conseillere":
        episode = people["episode"]
        extra = [
            reverse("people:detail", args=[episode.person.public_id]),
            reverse("labour:career_project", args=[episode.public_id]),
            reverse("diagnosis:orientation", args=[episode.public_id]),
            reverse("catalogue:referral_list"),
        ]

    too_wide, violations = _menu_pages_at_phone_width(browser, live_server, username, extra)

    assert too_wide == []
    assert violations == []


# --- The person's space on a phone (issue 12) ----------------------------------------------------
PHONES = {390: 844, 320: 800}  # a common phone (390 x 844) and the WCAG 1.4.10 reflow width


@pytest.mark.parametrize("width", sorted(PHONES))
def test_person_space_on_a_phone(browser, live_server, people, width):
    """The demo person (`personne` / the demo password, built by the demo's own builder) on a
    phone: every page of the space's navigation fits the width and passes axe; they send a
    message, book a slot and cancel it."""
    from parcours.agenda.models import Booking
    from parcours.cases import actions as case_actions
    from parcours.conversations.models import Message
    from parcours.demo import reference as ref
    from parcours.demo.portal import DEMO_PERSON_LOGIN, build_demo_person_account
    from parcours.diagnosis import actions as diagnosis_actions

    episode, counselor = people["episode"], people["users"]["conseillere"]
    diagnosis_actions.add_action(episode, by=counselor, goal="Mettre à jour mon CV")
    case_actions.plan_appointment(
        episode, by=counselor, scheduled_at=timezone.now() + datetime.timedelta(days=5), channel="phone"
    )
    account = build_demo_person_account()
    assert account is not None and account.person == episode.person

    context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": PHONES[width]})
    page = context.new_page()
    page.set_default_timeout(15000)
    csp: list[str] = []
    page.on("console", lambda m: csp.append(m.text) if "Content Security Policy" in m.text else None)
    base = live_server.url
    page.goto(base + reverse("portal:password_login"))
    page.get_by_label("Identifiant, adresse e-mail ou numéro de mobile").fill(DEMO_PERSON_LOGIN)
    page.get_by_label("Mot de passe").fill(ref.DEMO_PASSWORD)
    page.get_by_role("button", name="Me connecter").click()
    page.wait_for_load_state()
    assert page.url == base + reverse("portal:home")

    links = page.eval_on_selector_all("nav.portal-nav a", "links => links.map(a => a.href)")
    core = ["home", "threads", "plan", "appointments", "referrals", "consents", "access_log", "my_data"]
    assert {base + reverse(f"portal:{name}") for name in core} <= set(links), links
    assert all(link.startswith(base + "/moi/") for link in links), links
    too_wide, violations = [], []
    for url in [*links, base + reverse("portal:book")]:
        response = page.goto(url)
        assert response.status == 200, url
        if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
            too_wide.append((url, page.evaluate("document.documentElement.scrollWidth")))
        violations += axe_violations(page)

    # A message to the counselor, then the conversation page.
    page.goto(base + reverse("portal:threads"))
    page.get_by_label("Objet").fill("Mon CV")
    page.get_by_label("Message", exact=True).fill("Je vous envoie mon CV demain.")
    page.get_by_role("button", name="Envoyer").click()
    page.wait_for_load_state()
    sent = Message.objects.get(body="Je vous envoie mon CV demain.")
    assert sent.author_id is None and sent.thread.episode == episode
    assert page.url == base + reverse("portal:thread", args=[sent.thread_id])
    assert page.get_by_text("Je vous envoie mon CV demain.").is_visible()
    violations += axe_violations(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        too_wide.append((page.url, page.evaluate("document.documentElement.scrollWidth")))

    # Book the last free slot offered (far from the cancellation notice), then cancel it.
    page.goto(base + reverse("portal:appointments"))
    page.get_by_role("link", name="Prendre rendez-vous").click()
    page.wait_for_load_state()
    page.locator("fieldset.slot-day button[name=slot]").last.click()
    page.wait_for_load_state()
    assert page.url == base + reverse("portal:appointments")
    booking = Booking.objects.select_related("appointment").get(appointment__episode=episode)
    assert booking.appointment.status == "planned" and booking.appointment.created_by_id is None
    violations += axe_violations(page)
    if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
        too_wide.append((page.url, page.evaluate("document.documentElement.scrollWidth")))
    # Upcoming appointments come soonest first: the one just booked is the last.
    page.get_by_role("button", name="Annuler ce rendez-vous").last.click()
    page.wait_for_load_state()
    booking.appointment.refresh_from_db()
    assert (booking.appointment.status, booking.appointment.cancelled_by) == ("cancelled", "person")
    booking.refresh_from_db()
    assert booking.is_active is False
    assert page.get_by_text("Rendez-vous annulé.").is_visible()
    context.close()

    assert too_wide == []
    assert violations == []
    assert csp == []
