"""Every URL and every API route × every role × same / other organisation.

Each route has a rule below. A route added without a rule fails `test_every_route_has_a_rule`, so
nobody can add a page or an endpoint without deciding who may use it. Each (route, persona) pair
runs on fresh data, so writes made by one persona never hide a denial for another.

Personas (see tests/conftest.py): the referent (Alice), a colleague and a manager of the same
organisation, a follow-up member of another organisation with the person's consent, an analyst of
the same organisation, a counselor of another organisation (outsider), and an anonymous visitor.
"""

import datetime
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from config.api import api
from parcours.accounts.models import ApiToken, Role
from parcours.cases import actions
from parcours.catalogue import actions as catalogue_actions
from parcours.diagnosis import actions as diagnosis_actions
from parcours.evaluation.indicators import ensure_registry
from parcours.evaluation.models import ImpactReport
from parcours.people.models import Consent
from tests.accounts.factories import member
from tests.catalogue.factories import ConventionFactory, ServiceFactory
from tests.diagnosis.factories import load_shipped_questionnaire
from tests.evaluation.test_experiments import running as running_experiment
from tests.labour.factories import (
    CareerProjectFactory,
    OccupationFactory,
    TargetOccupationFactory,
    WorkPlacementFactory,
)
from tests.market.factories import OfferFactory
from tests.profiling.factories import ModelFactory as ProfilingModelFactory
from tests.profiling.factories import ScoreFactory as ProfilingScoreFactory

PERSONAS = ["anonymous", "referent", "colleague", "manager", "follower", "analyst", "coordinator", "outsider"]
CASE_STAFF = {"referent", "colleague", "manager"}
READERS = CASE_STAFF | {"follower"}

# Access classes: who gets through. Everybody else gets 404 (or the login redirect / 401 when
# anonymous). "Through" means any answer but 404 and 5xx (a write with a minimal body may answer
# 400 or 409: the rule under test is access, not validation).
PUBLIC = "public"  # anyone, anonymous included
LOGGED_IN = "logged_in"  # any authenticated user (their own data, or scoped lists)
READ = "read"  # people allowed to read the case file
WRITE = "write"  # staff of the episode's organisation; followers may read (403) but not write
CONTRIBUTE = "contribute"  # everyone who reads the file may add to it (contacts)
PROVIDER = "provider"  # staff of the organisation providing the service (the referent's)
SIDES = "sides"  # staff of both sides of a referral: sender (referent's) and receiver (outsider's)
COORDINATION = "coordination"  # territorial coordinators; others are refused (403 or 404)
OWNER = "owner"
TOKEN = "token"  # public pages whose credential is a one-time link (tested with their own tests)
COUNSELORS = frozenset({"referent", "colleague", "manager", "follower", "outsider"})
ANALYSTS = frozenset({"analyst"})
MANAGERS = frozenset({"manager"})
ANALYSTS_AND_MANAGERS = frozenset(
    {"analyst", "manager"}
)  # the object belongs to the referent (e.g. her API token): nobody else sees it


@dataclass
class Rule:
    access: str | frozenset  # a class above, or the set of personas whose role grants access
    body: Callable[[dict], dict] | None = None


def _stage(ctx):
    return {"stage": "assessment", "version": ctx["episode"].version}


def _version(ctx):
    return {"version": ctx["episode"].version}


def _convention(ctx):
    return {
        "title": "Convention jeunes",
        "organisations": [str(ctx["organisation"].public_id)],
        "publics": ["jeunes"],
        "territories": [ctx["organisation"].territory.insee_code],
        "start_on": "2026-01-01",
    }


# --- HTML pages, by URL name -------------------------------------------------------------------
HTML_RULES: dict[str, Rule] = {
    "home": Rule(PUBLIC),
    "set_language": Rule(PUBLIC),
    "accounts:login": Rule(PUBLIC),
    "accounts:logout": Rule(PUBLIC),
    "accounts:api_tokens": Rule(LOGGED_IN),
    "accounts:revoke_api_token": Rule(OWNER),
    "cases:portfolio": Rule(LOGGED_IN),
    "cases:alerts": Rule(LOGGED_IN),
    "cases:open_episode": Rule(CONTRIBUTE),  # a follower may open an episode in their own organisation
    "cases:change_stage": Rule(WRITE, lambda ctx: {"stage": "assessment", "version": ctx["episode"].version}),
    "cases:change_intensity": Rule(
        WRITE, lambda ctx: {"intensity": "global", "reason": "x", **_version(ctx)}
    ),
    "cases:hand_over": Rule(WRITE),
    "cases:close_episode": Rule(WRITE),
    "cases:add_follow_up_member": Rule(WRITE),
    "cases:end_follow_up_member": Rule(WRITE),
    "cases:record_contact": Rule(CONTRIBUTE, lambda ctx: {"channel": "phone", "direction": "outbound"}),
    "cases:plan_appointment": Rule(WRITE),
    "cases:update_appointment": Rule(WRITE, lambda ctx: {"status": "missed"}),
    "people:create": Rule(LOGGED_IN),
    "people:detail": Rule(READ),
    "people:edit": Rule(WRITE),
    "people:give_consent": Rule(WRITE),
    "people:withdraw_consent": Rule(WRITE),
    # Diagnosis, action plan, orientation (issue 3)
    "diagnosis:episode": Rule(READ),
    "diagnosis:start": Rule(WRITE),
    "diagnosis:create_invitation": Rule(WRITE),
    "diagnosis:detail": Rule(READ),
    "diagnosis:fill_section": Rule(WRITE),
    "diagnosis:complete": Rule(WRITE),
    "diagnosis:add_barrier": Rule(WRITE),
    "diagnosis:add_skill": Rule(WRITE),
    "diagnosis:action_plan": Rule(READ),
    "diagnosis:accept_suggestion": Rule(WRITE),
    "diagnosis:edit_action": Rule(WRITE),
    "diagnosis:change_action_status": Rule(WRITE, lambda ctx: {"status": "done"}),
    "diagnosis:orientation": Rule(READ),
    # The person's own pages: the signed one-time link is the credential.
    "diagnosis:self_start": Rule(PUBLIC),
    "diagnosis:self_submit": Rule(PUBLIC),
    "diagnosis:self_section": Rule(PUBLIC),
    # Catalogue, referrals, workshops, conventions, coverage (issue 5)
    "catalogue:public_search": Rule(PUBLIC),
    "catalogue:service_detail": Rule(PUBLIC),
    "catalogue:export": Rule(PUBLIC),
    "catalogue:service_create": Rule(LOGGED_IN),
    "catalogue:service_edit": Rule(PROVIDER),
    "catalogue:service_confirm": Rule(PROVIDER),
    "catalogue:session_create": Rule(PROVIDER),
    "catalogue:import": Rule(COORDINATION),
    "catalogue:notifications": Rule(LOGGED_IN),
    "catalogue:match": Rule(READ),
    "catalogue:referral_create": Rule(WRITE),
    "catalogue:referral_list": Rule(LOGGED_IN),
    "catalogue:referral_detail": Rule(SIDES),
    "catalogue:referral_register": Rule(
        SIDES, lambda ctx: {"session": str(ctx["partner_session"].public_id)}
    ),
    "catalogue:referral_transition": Rule(SIDES),
    "catalogue:workshop_detail": Rule(LOGGED_IN),
    "catalogue:workshop_register": Rule(LOGGED_IN),
    "catalogue:registration_cancel": Rule(CONTRIBUTE),  # whoever sees the person may cancel for them
    "catalogue:registration_attendance": Rule(WRITE),
    "catalogue:convention_list": Rule(LOGGED_IN),
    "catalogue:convention_detail": Rule(LOGGED_IN),
    "catalogue:convention_create": Rule(COORDINATION),
    "catalogue:convention_revise": Rule(COORDINATION),
    "catalogue:coverage": Rule(COORDINATION),
    # Labour market: offers, matching, tension, companies likely to hire (issue 4)
    "market:offer_search": Rule(LOGGED_IN),
    "market:offer_detail": Rule(LOGGED_IN),
    "market:episode_matches": Rule(READ),
    "market:hiring_list": Rule(LOGGED_IN),
    "market:tension_list": Rule(LOGGED_IN),
    # Occupations and the career project (issue 4)
    "labour:occupation_search": Rule(LOGGED_IN),
    "labour:occupation_detail": Rule(LOGGED_IN),
    "labour:career_project": Rule(READ),
    "labour:target_occupation": Rule(READ),
    "labour:start_project": Rule(WRITE),
    "labour:update_skills": Rule(WRITE),
    "labour:add_target": Rule(WRITE),
    "labour:decide_target": Rule(WRITE),
    "labour:remove_target": Rule(WRITE),
    "labour:plan_placement": Rule(WRITE),
    "labour:assess_placement": Rule(WRITE),
    # Profiling (issue 3)
    "profiling:episode_score": Rule(READ),  # its override form posts here too (tested in tests/profiling)
    "profiling:model_card_public": Rule(PUBLIC),
    "profiling:model_card_full": Rule(PUBLIC),
    "profiling:monitoring": Rule(ANALYSTS_AND_MANAGERS),
    "profiling:activate": Rule(ANALYSTS),
    # Evaluation and transparency (issue 6)
    "evaluation:answer_survey": Rule(TOKEN),
    "evaluation:my_feedback": Rule(COUNSELORS),
    "evaluation:team_feedback": Rule(MANAGERS),
    "evaluation:indicator_list": Rule(LOGGED_IN),
    "evaluation:indicator_detail": Rule(LOGGED_IN),
    "evaluation:experiment_list": Rule(ANALYSTS),
    "evaluation:experiment_create": Rule(ANALYSTS),
    "evaluation:power": Rule(ANALYSTS),
    "evaluation:experiment_detail": Rule(ANALYSTS),
    "evaluation:experiment_status": Rule(ANALYSTS),
    "evaluation:experiment_analyse": Rule(ANALYSTS),
    "transparency:index": Rule(PUBLIC),
    "transparency:indicator": Rule(PUBLIC),
    "transparency:indicator_csv": Rule(PUBLIC),
    "transparency:experiment": Rule(PUBLIC),
    "transparency:report_pdf": Rule(PUBLIC),
}

# --- API operations, by "METHOD /path" ----------------------------------------------------------
API_RULES: dict[str, Rule] = {
    "GET /persons": Rule(LOGGED_IN),
    "POST /persons": Rule(LOGGED_IN),
    "GET /persons/duplicates": Rule(LOGGED_IN),
    "GET /persons/{public_id}": Rule(READ),
    "PATCH /persons/{public_id}": Rule(
        WRITE, lambda ctx: {"version": ctx["person"].version, "phone": "0600000000"}
    ),
    "POST /persons/{public_id}/status": Rule(WRITE, lambda ctx: {"status": "employed"}),
    "GET /persons/{public_id}/duplicates": Rule(READ),
    "GET /persons/{public_id}/consents": Rule(READ),
    "POST /persons/{public_id}/consents": Rule(
        WRITE, lambda ctx: {"organisation": str(ctx["organisation"].public_id), "scope": "contact"}
    ),
    "POST /consents/{consent_id}/withdraw": Rule(WRITE),
    "GET /persons/{public_id}/events": Rule(READ),
    "GET /episodes": Rule(LOGGED_IN),
    "POST /episodes": Rule(LOGGED_IN),
    "GET /episodes/{public_id}": Rule(READ),
    "POST /episodes/{public_id}/stage": Rule(WRITE, _stage),
    "POST /episodes/{public_id}/intensity": Rule(
        WRITE, lambda ctx: {"intensity": "global", "reason": "besoins", **_version(ctx)}
    ),
    "POST /episodes/{public_id}/handover": Rule(
        WRITE,
        lambda ctx: {
            "to_referent": str(ctx["users"]["colleague"].public_id),
            "reason": "congé",
            **_version(ctx),
        },
    ),
    "POST /episodes/{public_id}/close": Rule(WRITE, lambda ctx: {"reason": "moved", **_version(ctx)}),
    "GET /episodes/{public_id}/follow-up-members": Rule(READ),
    "POST /episodes/{public_id}/follow-up-members": Rule(
        WRITE,
        lambda ctx: {
            "user": str(ctx["users"]["outsider"].public_id),
            "organisation": str(ctx["other_organisation"].public_id),
            "role": "Éducateur",
        },
    ),
    "POST /episodes/{public_id}/follow-up-members/{member_id}/end": Rule(WRITE),
    "GET /contacts": Rule(LOGGED_IN),
    "GET /episodes/{public_id}/contacts": Rule(READ),
    "POST /episodes/{public_id}/contacts": Rule(
        CONTRIBUTE, lambda ctx: {"channel": "phone", "summary": "Appel"}
    ),
    "GET /appointments": Rule(LOGGED_IN),
    "GET /episodes/{public_id}/appointments": Rule(READ),
    "POST /episodes/{public_id}/appointments": Rule(
        WRITE, lambda ctx: {"scheduled_at": (timezone.now() + datetime.timedelta(days=3)).isoformat()}
    ),
    "POST /appointments/{appointment_id}/held": Rule(WRITE, lambda ctx: {}),
    "POST /appointments/{appointment_id}/missed": Rule(WRITE),
    "POST /appointments/{appointment_id}/cancel": Rule(WRITE, lambda ctx: {"cancelled_by": "person"}),
    "GET /episodes/{public_id}/events": Rule(READ),
    "GET /episodes/{public_id}/diagnoses": Rule(READ),
    "POST /episodes/{public_id}/diagnoses": Rule(WRITE, lambda ctx: {}),
    "GET /episodes/{public_id}/action-plan": Rule(READ),
    "POST /episodes/{public_id}/action-plan/actions": Rule(WRITE, lambda ctx: {"goal": "Refaire le CV"}),
    "PATCH /episodes/{public_id}/action-plan/actions/{action_id}": Rule(
        WRITE, lambda ctx: {"status": "done", "version": ctx["action"].version}
    ),
    "GET /episodes/{public_id}/orientation": Rule(READ),
    "GET /services": Rule(PUBLIC),
    "GET /services/{public_id}": Rule(PUBLIC),
    "GET /services/{public_id}/sessions": Rule(PUBLIC),
    "GET /catalogue/export": Rule(PUBLIC),
    "GET /services/match": Rule(LOGGED_IN),
    "POST /services": Rule(LOGGED_IN),
    "PATCH /services/{public_id}": Rule(
        PROVIDER, lambda ctx: {"version": ctx["service"].version, "capacity": 12}
    ),
    "POST /services/{public_id}/confirm": Rule(PROVIDER),
    "POST /services/{public_id}/sessions": Rule(
        PROVIDER,
        lambda ctx: {"starts_at": (timezone.now() + datetime.timedelta(days=9)).isoformat(), "capacity": 8},
    ),
    "POST /catalogue/import": Rule(COORDINATION, lambda ctx: {"structures": [], "services": []}),
    "GET /referrals": Rule(LOGGED_IN),
    "POST /referrals": Rule(LOGGED_IN),
    "GET /referrals/{public_id}": Rule(SIDES),
    "POST /referrals/{public_id}/transitions": Rule(SIDES, lambda ctx: {"to": "accepted"}),
    "POST /sessions/{public_id}/registrations": Rule(LOGGED_IN),
    "POST /registrations/{registration_id}/attendance": Rule(WRITE, lambda ctx: {"attended": True}),
    "POST /registrations/{registration_id}/cancel": Rule(CONTRIBUTE),
    "GET /conventions": Rule(LOGGED_IN),
    "POST /conventions": Rule(COORDINATION, _convention),
    "POST /conventions/{public_id}/versions": Rule(COORDINATION, _convention),
    "GET /coverage": Rule(COORDINATION),
    "GET /market/offers": Rule(LOGGED_IN),
    "GET /market/offers/{offer_id}": Rule(LOGGED_IN),
    "GET /market/offers/{offer_id}/people": Rule(LOGGED_IN),  # people of the caller's own portfolio only
    "GET /market/episodes/{public_id}/matches": Rule(READ),
    "GET /market/salary": Rule(LOGGED_IN),
    "GET /market/tension": Rule(LOGGED_IN),
    "GET /market/hiring": Rule(LOGGED_IN),
    "GET /occupations": Rule(LOGGED_IN),
    "GET /occupations/{rome_code}": Rule(LOGGED_IN),
    "POST /normalise": Rule(LOGGED_IN, lambda ctx: {"titles": ["aide soignante"]}),
    "GET /episodes/{public_id}/career-project": Rule(READ),
    "POST /episodes/{public_id}/career-project": Rule(WRITE, lambda ctx: {}),
    "PUT /episodes/{public_id}/career-project/skills": Rule(
        WRITE, lambda ctx: {"skills": ["accueil"], "version": ctx["target"].project.version}
    ),
    "POST /episodes/{public_id}/career-project/targets": Rule(
        WRITE, lambda ctx: {"rome_code": ctx["occupation"].rome_code}
    ),
    "POST /episodes/{public_id}/career-project/targets/{target_id}/decision": Rule(
        WRITE,
        lambda ctx: {
            "status": "confirmed",
            "evidence": "Immersion concluante",
            "version": ctx["target"].version,
        },
    ),
    "DELETE /episodes/{public_id}/career-project/targets/{target_id}": Rule(WRITE),
    "POST /episodes/{public_id}/career-project/placements": Rule(
        WRITE,
        lambda ctx: {
            "objective": "confirm",
            "rome_code": ctx["occupation"].rome_code,
            "host_name": "EHPAD",
            "starts_on": "2026-12-01",
            "ends_on": "2026-12-05",
        },
    ),
    "POST /episodes/{public_id}/career-project/placements/{placement_id}/assessment": Rule(
        WRITE, lambda ctx: {"host_score": 4, "version": ctx["placement"].version}
    ),
    "GET /episodes/{public_id}/score": Rule(READ),
    "POST /episodes/{public_id}/score/override": Rule(
        WRITE, lambda ctx: {"band": "low", "reason": "Connaît bien le métier", "version": 1}
    ),
    "GET /profiling/models": Rule(LOGGED_IN),
    "GET /profiling/models/{version}/card": Rule(PUBLIC),
    "GET /experiments": Rule(LOGGED_IN),  # registered protocols are public information (transparency)
    "GET /experiments/{public_id}/report": Rule(ANALYSTS),
    "POST /experiments/{public_id}/analyse": Rule(ANALYSTS),
    "GET /indicators": Rule(LOGGED_IN),
    "GET /indicators/{code}/values": Rule(LOGGED_IN),
    "GET /surveys/my-results": Rule(COUNSELORS),
    "POST /episodes/{public_id}/orientation": Rule(
        WRITE, lambda ctx: {"chosen_intensity": "guided", "chosen_approach": "sequential", "reason": "suivi"}
    ),
}


# --- Route discovery ----------------------------------------------------------------------------
def _html_routes() -> dict[str, URLPattern]:
    routes: dict[str, URLPattern] = {}

    def walk(patterns, namespace=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                # The API is walked from its OpenAPI schema below; the admin has its own test
                # (test_admin_is_for_staff_only) and scoped, read-only case data.
                if p.namespace in {"admin", "api"}:
                    continue
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                walk(p.url_patterns, ns)
            elif isinstance(p, URLPattern) and p.name:
                routes[f"{namespace}{p.name}"] = p

    walk(get_resolver().url_patterns)
    return routes


def _api_operations() -> set[str]:
    schema = api.get_openapi_schema()
    prefix = "/api/v1"
    return {
        f"{method.upper()} {path.removeprefix(prefix)}"
        for path, item in schema["paths"].items()
        for method in item
        if method in {"get", "post", "patch", "put", "delete"}
    }


def test_every_route_has_a_rule():
    html_missing = sorted(set(_html_routes()) - set(HTML_RULES))
    api_missing = sorted(_api_operations() - set(API_RULES))
    assert not html_missing, f"pages without an access rule: {html_missing}"
    assert not api_missing, f"API operations without an access rule: {api_missing}"
    assert not sorted(set(HTML_RULES) - set(_html_routes())), "rules for pages that no longer exist"
    assert not sorted(set(API_RULES) - _api_operations()), "rules for API operations that no longer exist"


# --- The world each check runs in --------------------------------------------------------------
@pytest.fixture
def world(
    episode,
    person,
    organisation,
    other_organisation,
    counselor,
    colleague,
    manager,
    follower,
    analyst,
    outsider,
):
    coordinator = member(organisation, Role.COORDINATOR, username="cora")
    past = timezone.now() - datetime.timedelta(hours=2)
    appointment = actions.plan_appointment(episode, by=counselor, scheduled_at=past, channel="phone")
    consent = Consent.objects.get(person=person, organisation=other_organisation)
    follow_up = episode.follow_up_members.get(user=follower)
    users = {
        "referent": counselor,
        "colleague": colleague,
        "manager": manager,
        "follower": follower,
        "analyst": analyst,
        "coordinator": coordinator,
        "outsider": outsider,
    }
    token, _key = ApiToken.generate(counselor, "matrice")
    service = ServiceFactory(organisation=organisation, name="Atelier CV")
    partner_service = ServiceFactory(organisation=other_organisation, name="Garde d'enfants")
    referral = catalogue_actions.propose_referral(
        episode, by=counselor, service=partner_service, shared_fields=["identity"], consent_given=True
    )
    session = catalogue_actions.schedule_workshop_session(
        service, by=counselor, starts_at=timezone.now() + datetime.timedelta(days=5), capacity=5
    )
    registration = catalogue_actions.register_for_workshop(session, by=counselor, person=person)
    partner_session = catalogue_actions.schedule_workshop_session(
        partner_service, by=outsider, starts_at=timezone.now() + datetime.timedelta(days=6), capacity=5
    )
    convention = ConventionFactory(organisations=[organisation, other_organisation])
    offer = OfferFactory()
    profiling_model = ProfilingModelFactory(version="2026-11-demo")
    ensure_registry()
    experiment = running_experiment(analyst, organisation)
    ImpactReport.objects.create(experiment=experiment, number=1, as_of=timezone.localdate(), results={}, n=0)
    ProfilingScoreFactory(episode=episode, model=profiling_model)
    occupation = OccupationFactory(rome_code="J1501", label="Aide-soignant / Aide-soignante")
    target = TargetOccupationFactory(project=CareerProjectFactory(episode=episode), occupation=occupation)
    placement = WorkPlacementFactory(project=target.project, occupation=occupation)
    load_shipped_questionnaire()
    diagnosis = diagnosis_actions.start_diagnosis(episode, by=counselor)
    action = diagnosis_actions.add_action(episode, by=counselor, goal="Préparer un entretien")
    _invitation, self_token = diagnosis_actions.create_self_diagnosis_invitation(episode, by=counselor)
    return {
        "service": service,
        "referral": referral,
        "session": session,
        "partner_session": partner_session,
        "registration": registration,
        "convention": convention,
        "offer": offer,
        "profiling_model": profiling_model,
        "experiment": experiment,
        "occupation": occupation,
        "target": target,
        "placement": placement,
        "diagnosis": diagnosis,
        "action": action,
        "self_token": self_token,
        "episode": episode,
        "person": person,
        "organisation": organisation,
        "other_organisation": other_organisation,
        "appointment": appointment,
        "consent": consent,
        "member": follow_up,
        "token": token,
        "users": users,
    }


# URL parameter -> (world object, attribute) or a constant; _html_kwargs handles the few
# parameters whose value depends on the route.
HTML_PARAMETERS = {
    "episode_id": ("episode", "public_id"),
    "registration_id": ("registration", "pk"),
    "target_id": ("target", "pk"),
    "placement_id": ("placement", "pk"),
    "rome_code": ("occupation", "rome_code"),
    "version": ("profiling_model", "version"),
    "person_public_id": ("person", "public_id"),
    "member_id": ("member", "pk"),
    "appointment_id": ("appointment", "pk"),
    "consent_id": ("consent", "pk"),
    "token_id": ("token", "pk"),
    "diagnosis_id": ("diagnosis", "public_id"),
    "action_id": ("action", "pk"),
}
HTML_CONSTANTS = {"code": "time_to_first_contact", "year": "2026", "verb": "accept", "index": 1}


def _html_kwargs(name: str, pattern: URLPattern, ctx) -> dict:
    kwargs = {}
    for key in pattern.pattern.converters:
        if key == "public_id":
            kwargs[key] = _public_id_for(name, ctx)
        elif key == "pk" and name.startswith("market:"):
            kwargs[key] = ctx["offer"].pk
        elif key == "token":
            kwargs[key] = "not-a-token" if name.startswith("evaluation:") else ctx["self_token"]
        elif key in HTML_PARAMETERS:
            obj, attribute = HTML_PARAMETERS[key]
            kwargs[key] = getattr(ctx[obj], attribute)
        elif key in HTML_CONSTANTS:
            kwargs[key] = HTML_CONSTANTS[key]
        else:
            raise AssertionError(f"{name}: no value for URL parameter {key!r}; add it to HTML_PARAMETERS")
    return kwargs


def _public_id_for(name: str, ctx):
    if name.startswith("people:"):
        return ctx["person"].public_id
    if name.startswith("catalogue:referral") and name != "catalogue:referral_create":
        return ctx["referral"].public_id
    if name.startswith("catalogue:workshop"):
        return ctx["session"].public_id
    if name.startswith("catalogue:convention"):
        return ctx["convention"].public_id
    if name.startswith("catalogue:"):
        return ctx["service"].public_id
    if name.startswith(("evaluation:experiment", "transparency:experiment")):
        return ctx["experiment"].public_id
    if name == "transparency:report_pdf":
        return ctx["organisation"].public_id
    return ctx["episode"].public_id


def _api_path(operation: str, ctx) -> str:
    _method, path = operation.split(" ", 1)
    owners = {"/persons/": "person", "/services/": "service", "/referrals/": "referral"}
    owners |= {"/market/episodes/": "episode", "/experiments/": "experiment"}
    owners |= {"/sessions/": "session", "/conventions/": "convention", "/episodes/": "episode"}
    owner = next((obj for prefix, obj in owners.items() if path.startswith(prefix)), None)
    values = {
        "{public_id}": str(ctx[owner].public_id) if owner else "",
        "{member_id}": str(ctx["member"].pk),
        "{appointment_id}": str(ctx["appointment"].pk),
        "{consent_id}": str(ctx["consent"].pk),
        "{action_id}": str(ctx["action"].pk),
        "{registration_id}": str(ctx["registration"].pk),
        "{offer_id}": str(ctx["offer"].pk),
        "{target_id}": str(ctx["target"].pk),
        "{placement_id}": str(ctx["placement"].pk),
        "{rome_code}": ctx["occupation"].rome_code,
        "{version}": ctx["profiling_model"].version,
        "{code}": "time_to_first_contact",
    }
    for placeholder, value in values.items():
        path = path.replace(placeholder, value)
    assert "{" not in path, f"{operation}: no value for a path parameter; add it to _api_path"
    return "/api/v1" + path


def _expected_through(access, persona: str) -> bool:
    if isinstance(access, frozenset):
        return persona in access
    return {
        PUBLIC: True,
        LOGGED_IN: persona != "anonymous",
        READ: persona in READERS,
        WRITE: persona in READERS,  # followers get 403, not 404: they may see the file
        OWNER: persona == "referent",
        TOKEN: True,
        CONTRIBUTE: persona in READERS,
        PROVIDER: persona in CASE_STAFF,
        SIDES: persona in CASE_STAFF | {"outsider", "follower"},
        COORDINATION: persona == "coordinator",
    }[access]


def _check(response, access: str, persona: str, what: str, api_call: bool) -> None:
    status = response.status_code
    assert status < 500, f"{what} as {persona}: server error {status}"
    if access == TOKEN:
        return
    if persona == "anonymous" and access != PUBLIC:
        expected = 401 if api_call else 302
        assert status == expected, f"{what} as anonymous: {status}, expected {expected}"
        return
    if _expected_through(access, persona):
        assert status != 404, f"{what} as {persona}: 404 but this persona may use it"
        if access == WRITE and persona == "follower":
            assert status == 403, f"{what} as follower: {status}, expected 403 (read-only)"
    elif access == COORDINATION or isinstance(access, frozenset):
        assert status in {403, 404}, f"{what} as {persona}: {status}, expected 403 or 404"
    else:
        assert status == 404, f"{what} as {persona}: {status}, expected 404"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(HTML_RULES))
def test_html_route_access(client, world, name, persona):
    rule = HTML_RULES[name]
    pattern = _html_routes()[name]
    url = reverse(name, kwargs=_html_kwargs(name, pattern, world))
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    if rule.body is not None or name not in {"accounts:login", "home", "cases:portfolio", "cases:alerts"}:
        get = client.get(url)
        assert get.status_code < 500
    body = rule.body(world) if rule.body else {}
    response = client.post(url, body) if _is_write(name) else client.get(url)
    _check(response, rule.access, persona, name, api_call=False)


def _is_write(name: str) -> bool:
    reads = {"home", "accounts:login", "accounts:api_tokens", "cases:portfolio", "cases:alerts"}
    reads |= {"people:create", "people:detail", "people:edit", "cases:open_episode"}
    reads |= {"diagnosis:episode", "diagnosis:detail", "diagnosis:action_plan", "diagnosis:orientation"}
    reads |= {
        "diagnosis:self_start",
        "diagnosis:self_section",
        "diagnosis:fill_section",
        "diagnosis:edit_action",
    }
    reads |= {
        f"catalogue:{n}" for n in ("public_search", "service_detail", "export", "service_create", "import")
    }
    reads |= {f"catalogue:{n}" for n in ("notifications", "match", "referral_list", "referral_detail")}
    reads |= {
        f"catalogue:{n}" for n in ("workshop_detail", "convention_list", "convention_detail", "coverage")
    }
    reads |= {
        f"catalogue:{n}"
        for n in ("convention_create", "convention_revise", "service_edit", "referral_create")
    }
    reads |= {"market:offer_search", "market:offer_detail", "market:episode_matches"}
    reads |= {"market:hiring_list", "market:tension_list"}
    reads |= {"profiling:model_card_public", "profiling:model_card_full", "profiling:monitoring"}
    reads |= {f"evaluation:{n}" for n in ("answer_survey", "my_feedback", "team_feedback", "indicator_list")}
    reads |= {
        f"evaluation:{n}" for n in ("indicator_detail", "experiment_list", "experiment_create", "power")
    }
    reads |= {"evaluation:experiment_detail", "profiling:episode_score"}
    reads |= {
        f"transparency:{n}" for n in ("index", "indicator", "indicator_csv", "experiment", "report_pdf")
    }
    reads |= {
        f"labour:{n}"
        for n in ("occupation_search", "occupation_detail", "career_project", "target_occupation")
    }
    return name not in reads


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(API_RULES))
def test_api_route_access(client, world, operation, persona):
    rule = API_RULES[operation]
    method, _path = operation.split(" ", 1)
    url = _api_path(operation, world)
    headers = {}
    if persona != "anonymous":
        _token, key = ApiToken.generate(world["users"][persona], "matrice")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    body = rule.body(world) if rule.body else {}
    if method == "GET":
        response = client.get(url, **headers)
    else:
        response = getattr(client, method.lower())(
            url, json.dumps(body), content_type="application/json", **headers
        )
    _check(response, rule.access, persona, operation, api_call=True)
    if method == "GET" and rule.access == LOGGED_IN and persona in {"analyst", "outsider"}:
        # Scoped lists answer 200 but must not contain the person.
        assert str(world["person"].public_id) not in response.content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_for_staff_only(client, world, persona):
    if persona != "anonymous":
        client.force_login(world["users"][persona])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
    admin = member(
        world["organisation"],
        Role.ADMINISTRATOR,
        username=f"admin-{persona}",
        is_staff=True,
        is_superuser=True,
    )
    client.force_login(admin)
    assert client.get(reverse("admin:index")).status_code == 200
    # Case data in the admin is scoped like everywhere else: even a superuser sees no file there.
    listing = client.get(reverse("admin:people_person_changelist"))
    assert listing.status_code == 200
    # (the change link, not the name: a random surname such as "Barre" is also an admin word)
    person_link = reverse("admin:people_person_change", args=[world["person"].pk])
    assert person_link not in listing.content.decode()
