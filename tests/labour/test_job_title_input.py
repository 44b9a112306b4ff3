"""Natural input of an occupation in the career project forms (issue 11, problem 8): a free job
title goes through the normaliser, never truncated; an ambiguous title comes back with candidates
to choose from and what was typed; a ROME code is still accepted; htmx suggestions fill a datalist."""

from html import unescape

from django.urls import reverse

from parcours.labour.models import WorkPlacement
from parcours.labour.normalising import resolve_occupation
from tests.labour.factories import CareerProjectFactory


def _add(client, episode, **data):
    url = reverse("labour:add_target", kwargs={"public_id": episode.public_id})
    return client.post(url, {"add-status": "to_explore", **{f"add-{k}": v for k, v in data.items()}})


def test_free_titles_resolve_to_the_occupation_that_clearly_leads(rome_sample):
    assert resolve_occupation("aide soignant").occupation.rome_code == "J1501"
    assert resolve_occupation("Aide-soignante de nuit").occupation.rome_code == "J1501"
    assert resolve_occupation("dev web").occupation.rome_code == "M1855"
    assert resolve_occupation("J1501 — Aide-soignant / Aide-soignante").occupation.rome_code == "J1501"
    ambiguous = resolve_occupation("vendeur")
    assert ambiguous.occupation is None
    assert [o.rome_code for o in ambiguous.candidates] == ["D1106", "D1214"]
    nothing = resolve_occupation("xyzzy")
    assert nothing.occupation is None and nothing.candidates == ()


def test_aide_soignant_is_added_as_j1501_not_truncated(client, rome_sample, episode, counselor):
    CareerProjectFactory(episode=episode)
    client.force_login(counselor)
    page = client.get(reverse("labour:career_project", kwargs={"public_id": episode.public_id}))
    assert 'maxlength="5"' not in page.content.decode()

    response = _add(client, episode, occupation="aide soignant")

    assert response.status_code == 302
    assert [t.occupation.rome_code for t in episode.career_project.targets.all()] == ["J1501"]


def test_an_ambiguous_title_offers_its_candidates_and_keeps_what_was_typed(
    client, rome_sample, episode, counselor
):
    CareerProjectFactory(episode=episode)
    client.force_login(counselor)

    response = _add(client, episode, occupation="vendeur")

    content = response.content.decode()
    assert response.status_code == 400
    assert 'value="vendeur"' in content
    assert "Plusieurs métiers correspondent à « vendeur » : choisissez-en un ci-dessous." in content
    assert 'type="radio" name="add-pick" value="D1106"' in content
    assert 'type="radio" name="add-pick" value="D1214"' in content
    assert '<option value="D1106 — Vendeur / Vendeuse en épicerie"></option>' in content
    assert not episode.career_project.targets.exists()

    chosen = _add(client, episode, occupation="vendeur", pick="D1214")

    assert chosen.status_code == 302
    assert [t.occupation.rome_code for t in episode.career_project.targets.all()] == ["D1214"]


def test_a_pick_that_is_not_a_candidate_of_the_typed_title_is_ignored(
    client, rome_sample, episode, counselor
):
    CareerProjectFactory(episode=episode)
    client.force_login(counselor)

    response = _add(client, episode, occupation="vendeur", pick="J1501")

    assert response.status_code == 400
    assert not episode.career_project.targets.exists()


def test_rome_codes_and_unknown_titles(client, rome_sample, episode, counselor):
    CareerProjectFactory(episode=episode)
    client.force_login(counselor)

    unknown_code = _add(client, episode, occupation="Z9999")
    unknown_title = _add(client, episode, occupation="xyzzy")
    code = _add(client, episode, occupation="g1609")

    assert unknown_code.status_code == 400
    assert "Aucun métier en vigueur n’a le code ROME Z9999." in unescape(
        unknown_code.content.decode()
    ).replace("'", "’")
    assert unknown_title.status_code == 400
    assert "Aucun métier ne correspond à « xyzzy »" in unknown_title.content.decode()
    assert code.status_code == 302
    assert [t.occupation.rome_code for t in episode.career_project.targets.all()] == ["G1609"]


def test_a_placement_takes_a_job_title_too(client, rome_sample, episode, counselor):
    project = CareerProjectFactory(episode=episode)
    client.force_login(counselor)
    url = reverse("labour:plan_placement", kwargs={"public_id": episode.public_id})

    response = client.post(
        url,
        {
            "placement-objective": WorkPlacement.Objective.choices[0][0],
            "placement-occupation": "cuisinier",
            "placement-host_name": "Restaurant du Centre",
            "placement-starts_on": "2026-03-02",
            "placement-ends_on": "2026-03-06",
        },
    )

    assert response.status_code == 302
    assert project.placements.get().occupation.rome_code == "G1609"


def test_typing_fills_the_datalist_through_htmx(client, rome_sample, counselor):
    client.force_login(counselor)

    response = client.get(
        reverse("labour:occupation_search"),
        {"add-occupation": "aide soign"},
        headers={"HX-Request": "true", "HX-Trigger-Name": "add-occupation"},
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert content.startswith('<option value="J1501 — Aide-soignant / Aide-soignante"></option>')
    assert "<html" not in content


def test_the_input_asks_for_suggestions(client, rome_sample, episode, counselor):
    CareerProjectFactory(episode=episode)
    client.force_login(counselor)

    content = client.get(
        reverse("labour:career_project", kwargs={"public_id": episode.public_id})
    ).content.decode()

    assert 'list="add-occupation-options"' in content
    assert '<datalist id="add-occupation-options">' in content
    assert f'hx-get="{reverse("labour:occupation_search")}"' in content
