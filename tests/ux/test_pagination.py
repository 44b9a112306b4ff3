"""One pagination partial for every list page: links keep the filters and move one page at a time."""

import html
import re

from django.urls import reverse

from parcours.accounts.models import Role
from tests.accounts.factories import member
from tests.cases.factories import EpisodeFactory


def _next_href(content: str) -> str | None:
    match = re.search(r'<a href="([^"]*)" rel="next">Page suivante</a>', content)
    return html.unescape(match.group(1)) if match else None


def test_manager_follows_next_page_twice_through_the_whole_team_keeping_filters(
    client, manager, counselor, colleague, organisation, settings
):
    settings.PARCOURS_PAGE_SIZE = 2
    for referent in (counselor, colleague, counselor, colleague, counselor):
        EpisodeFactory(organisation=organisation, referent=referent, stage="assessment")
    EpisodeFactory(organisation=organisation, referent=counselor, stage="intake")  # filtered out
    client.force_login(manager)
    url = reverse("cases:portfolio")

    first = client.get(url, {"team": "on", "stage": "assessment"}).content.decode()
    href = _next_href(first)
    assert href == "?team=on&stage=assessment&page=2"
    second = client.get(url + href).content.decode()
    href = _next_href(second)
    assert href == "?team=on&stage=assessment&page=3"
    third = client.get(url + href).content.decode()

    assert "Page 1 sur 3" in first
    assert "Page 2 sur 3" in second
    assert "Page 3 sur 3" in third
    assert _next_href(third) is None
    assert '<a href="?team=on&amp;stage=assessment&amp;page=2" rel="prev">' in third


def test_every_list_page_uses_the_one_pagination_partial_without_a_double_question_mark(
    client, organisation, settings
):
    settings.PARCOURS_PAGE_SIZE = 1
    coordinator = member(organisation, Role.COORDINATOR, username="coco")
    client.force_login(coordinator)
    from tests.catalogue.factories import ServiceFactory

    ServiceFactory(organisation=organisation)
    ServiceFactory(organisation=organisation)
    content = client.get(reverse("catalogue:public_search"), {"q": ""}).content.decode()

    assert "??" not in content
    assert _next_href(content) == "?q=&page=2"
