"""Numbers in SVG are never localised; the transparency page links the published model cards;
the portfolio's live search listens to the name field that exists."""

import re

from django.urls import reverse

from tests.cases.factories import EpisodeFactory
from tests.profiling.factories import ModelFactory, ScoreFactory

NUMERIC_SVG_ATTRIBUTES = ("x", "y", "cx", "cy", "width", "height", "x1", "y1", "x2", "y2", "viewBox")


def _svg_attribute_values(content: str) -> list[str]:
    values = []
    for svg in re.findall(r"<svg.*?</svg>", content, flags=re.S):
        for name in NUMERIC_SVG_ATTRIBUTES:
            values += re.findall(rf'\s{name}="([^"]*)"', svg)
    return values


def test_monitoring_charts_write_coordinates_with_a_dot_in_french(client, analyst, organisation, counselor):
    model = ModelFactory(is_active=True)
    for band, score in [("low", 0.1), ("medium", 0.4), ("high", 0.8), ("high", 0.9)]:
        ScoreFactory(
            model=model,
            band=band,
            score=score,
            episode=EpisodeFactory(organisation=organisation, referent=counselor),
        )
    client.force_login(analyst)

    content = client.get(reverse("profiling:monitoring"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    values = _svg_attribute_values(content)

    assert len(values) > 10
    assert [v for v in values if "," in v] == []
    assert all(re.fullmatch(r"[-0-9. ]+", v) for v in values), values


def test_transparency_links_the_active_model_card(client, db):
    model = ModelFactory(is_active=True)

    content = client.get(reverse("transparency:index")).content.decode()

    url = reverse("profiling:model_card_public", kwargs={"version": model.version})
    assert f'<a href="{url}">' in content
    assert "Aucune fiche de modèle publiée" not in content
    assert client.get(url).status_code == 200


def test_transparency_says_so_when_no_model_is_published(client, db):
    content = client.get(reverse("transparency:index")).content.decode()

    assert "Aucune fiche de modèle publiée pour l'instant." in content


def test_live_search_listens_to_the_name_field_of_the_page(client, counselor, episode):
    client.force_login(counselor)

    content = client.get(reverse("cases:portfolio")).content.decode()
    source = re.search(r'hx-trigger="[^"]*from:#([\w-]+)"', content).group(1)

    assert f'id="{source}"' in content
    assert '<input type="text" name="q"' in content and f'id="{source}"' in content
