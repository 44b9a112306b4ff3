"""Every role finds its work by clicking: the navigation crawl.

For each persona of the authorisation matrix (its `world`: one of every object), follow every
link from `/` and check that (1) no link leads to a page that refuses the user (403) or fails, and
(2) every page the persona may open (it answers 200 when typed) is reachable by links.
"""

import contextlib
import datetime
import re
from collections import deque
from html import unescape
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone

from parcours.accounts.models import Role
from parcours.cases.actions import plan_appointment
from tests.accounts.factories import member
from tests.portal.factories import log_in_person
from tests.test_authorisation_matrix import HTML_RULES, _html_kwargs, _html_routes, _is_write

# Pages reached by other means than a link of the staff interface.
NOT_LINKED = {
    "set_language",  # the language form
    "accounts:login",
    "accounts:logout",  # the logout form
    "accounts:password_change_done",  # shown after the password change form
    "accounts:mfa_verify",  # after the password, when the second factor is set up
    "diagnosis:self_start",  # the person's one-time link
    "diagnosis:self_section",
    "evaluation:answer_survey",  # the survey e-mail
    # Offered on the person page only when the person has no open episode (the world has one).
    "intake:open_episode",
    # The person's side (portal): reached from the person's invitation, not the staff menu.
    "portal:login",
    "portal:password_login",
    "portal:enter_code",
}
SKIPPED_PREFIXES = ("/admin/", "/api/", "/i18n/", "/static/")
MAX_PER_ROUTE = 4
# Files (PDF, CSV, JSON): counted as reached when linked, not generated again (the matrix fetches them).
LINK_ONLY = {"transparency:report_pdf", "transparency:indicator_csv", "catalogue:export"}


def _links(content: str) -> list[str]:
    return [unescape(h) for h in re.findall(r'<a [^>]*href="([^"#]*)', content)]


def crawl(client, start: str = "/") -> tuple[set[str], list[tuple[str, str, int]]]:
    """Breadth-first from `start`: url names reached, and the links that answered 4xx/5xx."""
    reached: set[str] = set()
    per_route: dict[str, int] = {}
    bad: list[tuple[str, str, int]] = []
    seen = {start}
    queue = deque([(start, "(start)")])
    while queue:
        url, source = queue.popleft()
        response = client.get(url, follow=True)
        if response.status_code >= 400:
            bad.append((url, source, response.status_code))
            continue
        final = response.redirect_chain[-1][0] if response.redirect_chain else url
        with contextlib.suppress(Resolver404):
            reached.add(resolve(urlsplit(final).path).view_name)
        if "text/html" not in response.get("Content-Type", ""):
            continue
        for href in _links(response.content.decode()):
            parts = urlsplit(href)
            if parts.scheme or parts.netloc:
                continue  # external
            if not parts.path:  # "?…": a filter, a tab or a page of the same list
                href = urlsplit(url).path + href
                parts = urlsplit(href)
            if parts.path.startswith(SKIPPED_PREFIXES) or href in seen:
                continue
            try:
                name = resolve(parts.path).view_name
            except Resolver404:
                bad.append((href, url, 404))
                continue
            seen.add(href)
            if name in LINK_ONLY or per_route.get(name, 0) >= MAX_PER_ROUTE:
                reached.add(name)
                continue
            per_route[name] = per_route.get(name, 0) + 1
            queue.append((href, url))
    return reached, bad


def _pages_allowed(client, ctx) -> set[str]:
    """Pages this user may open: every GET page that answers 200 when its URL is typed."""
    allowed = set()
    for name, pattern in _html_routes().items():
        if name in NOT_LINKED or name in LINK_ONLY or _is_write(name):
            continue
        response = client.get(reverse(name, kwargs=_html_kwargs(name, pattern, ctx)))
        if response.status_code == 200:
            allowed.add(name)
    return allowed


@pytest.mark.parametrize("persona", ["referent", "manager", "coordinator", "analyst", "follower", "admin"])
def test_every_page_a_role_may_open_is_reachable_by_links_and_no_link_is_refused(client, world, persona):
    if persona == "admin":
        user = member(world["organisation"], Role.ADMINISTRATOR, username="root", is_staff=True)
    else:
        user = world["users"][persona]
    client.force_login(user)

    reached, bad = crawl(client)
    allowed = _pages_allowed(client, world)
    missing = sorted(allowed - reached)
    assert not bad, f"{persona}: links answering an error (url, page linking it, status): {bad}"
    assert not missing, f"{persona}: pages reachable only by typing the URL: {missing}"


def test_every_page_of_the_persons_space_is_reachable_by_links(client, world):
    """The person, logged in to /moi/, reaches by clicking every page of their space that answers
    200 when typed (self-diagnosis, occupations and offers included), and no link fails."""
    soon = timezone.now() + datetime.timedelta(days=3)  # the world's appointment is past: no .ics link
    plan_appointment(world["episode"], by=world["users"]["referent"], scheduled_at=soon, channel="phone")
    log_in_person(client, world["account"])
    reached, bad = crawl(client, start=reverse("portal:home"))
    allowed = {name for name in _pages_allowed(client, world) if name.startswith("portal:")}
    assert {"portal:self_diagnosis_section", "portal:occupation", "portal:offers"} <= allowed
    missing = sorted(allowed - reached)
    assert not bad, f"person: links answering an error (url, page linking it, status): {bad}"
    assert not missing, f"person: pages reachable only by typing the URL: {missing}"


def test_the_crawl_covers_every_page_of_the_matrix():
    """A page added to the routes is part of the crawl (it has a rule, hence a status per persona)."""
    assert set(_html_routes()) <= set(HTML_RULES)


@pytest.mark.django_db
def test_the_menu_is_built_once_per_roles_and_language(organisation, counselor, django_assert_num_queries):
    """navigation_for reads the user's memberships (one query) and shares the menu built for the
    same roles, staff flag and language; a new role gives another menu."""
    from django.contrib.auth import get_user_model
    from django.utils import translation

    from parcours.home.navigation import navigation_for
    from tests.accounts.factories import MembershipFactory

    colleague = member(organisation, Role.COUNSELOR, username="carole")
    with translation.override("fr"):
        with django_assert_num_queries(1):
            french = navigation_for(counselor)
        assert navigation_for(colleague) is french
        labels = [entry.label for group in french for entry in group.entries]
        assert "Mes personnes" in labels and "Mon équipe" not in labels
    with translation.override("en"):
        english = navigation_for(counselor)
    assert english is not french and "My people" in [e.label for g in english for e in g.entries]
    MembershipFactory(organisation=organisation, role=Role.MANAGER, user=colleague)
    with translation.override("fr"):
        manager_menu = navigation_for(get_user_model().objects.get(pk=colleague.pk))
    assert "Mon équipe" in [entry.label for group in manager_menu for entry in group.entries]


@pytest.mark.django_db
def test_the_menus_are_built_again_when_the_urls_change(counselor, settings):
    from parcours.home.navigation import _menu, navigation_for

    navigation_for(counselor)
    assert _menu.cache_info().currsize >= 1
    settings.FORCE_SCRIPT_NAME = "/parcours/"
    assert _menu.cache_info().currsize == 0
