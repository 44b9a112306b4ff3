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
import os
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from config.api import api
from parcours.accounts.models import ApiToken, Passkey, Role
from parcours.agenda import actions as agenda_actions
from parcours.cases import actions
from parcours.catalogue import actions as catalogue_actions
from parcours.conversations import actions as conversations
from parcours.diagnosis import actions as diagnosis_actions
from parcours.evaluation.indicators import ensure_registry
from parcours.evaluation.models import ImpactReport, IndicatorVersion
from parcours.obligations import actions as obligations_actions
from parcours.outcomes.models import CheckIn
from parcours.people.models import Consent
from parcours.privacy import actions as privacy_actions
from tests.accounts.factories import member
from tests.agenda.factories import weekly_hours
from tests.cases.factories import EpisodeFactory
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
from tests.outcomes.factories import OutcomeFactory
from tests.portal.factories import PersonAccountFactory, log_in_person
from tests.profiling.factories import ModelFactory as ProfilingModelFactory
from tests.profiling.factories import ScoreFactory as ProfilingScoreFactory

# "person": the supported person logged in to their own space (/moi/): never a user of an
# organisation, so every staff page redirects them to the staff login and the API answers 401.
PERSONAS = [
    "anonymous",
    "referent",
    "colleague",
    "manager",
    "follower",
    "analyst",
    "coordinator",
    "outsider",
    "person",
]
CASE_STAFF = {"referent", "colleague", "manager"}
READERS = CASE_STAFF | {"follower"}

# Access classes: who gets through. Everybody else gets 404 (or the login redirect / 401 when
# anonymous). Who gets through gets the exact status listed in STATUS below (a write with a
# minimal body may answer 400: listed as such, so that a change of answer is seen).
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
PERSON = "person"  # the person's own space: the logged-in person only; everyone else to its login
PERSON_API = "person_api"  # /api/v1/me/…: the person's session only; everyone else 401
OFF = "off"  # behind a USE_<X> flag that is off by default: 404 for everyone
COUNSELORS = frozenset({"referent", "colleague", "manager", "follower", "outsider"})
ANALYSTS = frozenset({"analyst"})
MANAGERS = frozenset({"manager"})
# Counselors and managers of any organisation keep an agenda; analysts and coordinators get 403.
AGENDA_KEEPERS = frozenset(
    {"referent", "colleague", "manager", "follower", "outsider", "analyst", "coordinator"}
)
ANALYSTS_AND_MANAGERS = frozenset(
    {"analyst", "manager"}
)  # the object belongs to the referent (e.g. her API token): nobody else sees it


@dataclass
class Rule:
    access: str | frozenset  # a class above, or the set of personas whose role grants access
    body: Callable[[dict], dict] | None = None


def _pdf():
    """A file for the multipart operations (sent as multipart/form-data by _api_call)."""
    return SimpleUploadedFile("cv.pdf", b"%PDF-1.4 test", content_type="application/pdf")


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
    "accounts:password_change": Rule(LOGGED_IN),
    "accounts:password_change_done": Rule(LOGGED_IN),
    # The second factor (MFA_ENFORCED is off here: tests/accounts/test_mfa.py turns it on)
    "accounts:mfa_setup": Rule(LOGGED_IN),
    "accounts:mfa_verify": Rule(LOGGED_IN),  # only the referent has a second factor (a passkey)
    "accounts:mfa_recovery_codes": Rule(LOGGED_IN),
    "accounts:passkey_add": Rule(LOGGED_IN),  # posted without the browser's answer: 400
    "accounts:passkey_rename": Rule(OWNER),  # the referent's passkey; her session is not verified
    "accounts:passkey_delete": Rule(OWNER),
    "accounts:proconnect_start": Rule(OFF),
    "accounts:proconnect_callback": Rule(OFF),  # without a confirmed application: to the set-up
    "cases:portfolio": Rule(LOGGED_IN),
    "cases:alerts": Rule(LOGGED_IN),
    "cases:team": Rule(MANAGERS),  # the manager's home: caseloads and bulk hand-over
    "home:coordination": Rule(COORDINATION),
    "home:analysis": Rule(ANALYSTS),
    "home:administration": Rule(frozenset()),  # staff (is_staff) only: no persona here
    "intake:open_episode": Rule(CONTRIBUTE),  # a follower may open an episode in their own organisation
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
    "intake:create_person": Rule(LOGGED_IN),
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
    # Employment outcomes and post-hire check-ins (issue 13)
    "outcomes:due": Rule(LOGGED_IN),
    "outcomes:episode": Rule(READ),
    "outcomes:record": Rule(WRITE),
    "outcomes:answer": Rule(WRITE),
    "outcomes:create_link": Rule(WRITE),
    "outcomes:answer_by_link": Rule(TOKEN),
    # Obligations and sanction procedures (issue 13): sanctions are a sensitive section
    "obligations:episode": Rule(READ),
    "obligations:agree": Rule(WRITE),
    "obligations:record_breach": Rule(WRITE),
    "obligations:step": Rule(frozenset({"referent"})),
    "obligations:fairness": Rule(ANALYSTS_AND_MANAGERS),
    # The person's rights (issue 14): requests of the user's organisations; managers answer them
    "privacy:requests": Rule(LOGGED_IN),
    "privacy:request_detail": Rule(LOGGED_IN),
    "evaluation:my_feedback": Rule(COUNSELORS),
    "evaluation:team_feedback": Rule(MANAGERS),
    "evaluation:indicator_list": Rule(LOGGED_IN),
    "evaluation:registry": Rule(ANALYSTS),
    "evaluation:registry_propose": Rule(ANALYSTS),
    "evaluation:registry_activate": Rule(ANALYSTS),
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
    # The person's space (issue 12)
    "portal:login": Rule(PUBLIC),
    "portal:enter_code": Rule(PUBLIC),
    "portal:password_login": Rule(PUBLIC),
    "portal:logout": Rule(PUBLIC),
    "portal:franceconnect_start": Rule(OFF),
    "portal:franceconnect_callback": Rule(OFF),
    "portal:home": Rule(PERSON),
    "portal:security": Rule(PERSON),
    "portal:preferences": Rule(PERSON),
    "portal:plan": Rule(PERSON),
    "portal:update_action": Rule(PERSON, lambda ctx: {"status": "done"}),
    "portal:appointments": Rule(PERSON),
    "portal:appointments_feed": Rule(PERSON),
    "portal:appointment_ics": Rule(PERSON),
    "portal:cancel_appointment": Rule(PERSON),
    "portal:ask_another_slot": Rule(PERSON),
    "portal:exchanges": Rule(PERSON),
    "portal:referrals": Rule(PERSON),
    "portal:consents": Rule(PERSON),
    "portal:access_log": Rule(PERSON),
    "portal:my_data": Rule(PERSON),
    "portal:my_data_json": Rule(PERSON),
    "portal:my_data_pdf": Rule(PERSON),
    "portal:obligations": Rule(PERSON),
    "portal:send_observations": Rule(PERSON, lambda ctx: {"observations": "J'étais malade"}),
    "portal:appeal": Rule(PERSON, lambda ctx: {"reasons": "Je conteste"}),
    "portal:checkins": Rule(PERSON),
    "portal:self_diagnosis": Rule(PERSON),
    "portal:start_self_diagnosis": Rule(PERSON, lambda ctx: {"episode": str(ctx["episode"].public_id)}),
    "portal:self_diagnosis_section": Rule(PERSON),
    "portal:self_diagnosis_send": Rule(PERSON),
    "portal:occupations": Rule(PERSON),
    "portal:occupation": Rule(PERSON),
    "portal:offers": Rule(PERSON),
    "portal:offer_interest": Rule(PERSON, lambda ctx: {"episode": str(ctx["episode"].public_id)}),
    "portal:answer_checkin": Rule(PERSON, lambda ctx: {"still_employed": "yes"}),
    "portal:threads": Rule(PERSON),
    "portal:thread": Rule(PERSON),
    "portal:attachment": Rule(PERSON),
    "conversations:inbox": Rule(LOGGED_IN),
    "conversations:episode_threads": Rule(CONTRIBUTE),
    "conversations:thread": Rule(CONTRIBUTE),
    "conversations:attachment": Rule(READ),
    "portal:book": Rule(PERSON),
    # The reminder's one-time link is the credential (tests/portal/test_booking.py): a wrong one is 404.
    "portal:appointment_link": Rule(TOKEN),
    # The counselor's agenda (issue 12, part 6): each counselor or manager keeps their own.
    "agenda:agenda": Rule(AGENDA_KEEPERS),
    "agenda:availability": Rule(AGENDA_KEEPERS),
    "agenda:delete_rule": Rule(AGENDA_KEEPERS),  # the referent's rule: others 404
    "agenda:delete_absence": Rule(AGENDA_KEEPERS),
    "agenda:make_feed": Rule(AGENDA_KEEPERS),
    "agenda:revoke_feed": Rule(AGENDA_KEEPERS),
    "agenda:feed": Rule(TOKEN),  # the private feed's token is the credential (tests/agenda)
    "portal_staff:invite": Rule(WRITE),
    "portal_staff:close": Rule(WRITE),
    # Operations: health and readiness for load balancers and monitoring (no personal data)
    "ops:health": Rule(PUBLIC),
    "ops:ready": Rule(PUBLIC),
}

# --- API operations, by "METHOD /path" ----------------------------------------------------------
API_RULES: dict[str, Rule] = {
    # The person's own API (issue 12, part 9)
    "GET /me/appointments": Rule(PERSON_API),
    "POST /me/appointments": Rule(
        PERSON_API,
        lambda ctx: {
            "episode": str(ctx["episode"].public_id),
            "starts_at": agenda_actions.bookable_slots(ctx["episode"])[0].starts_at.isoformat(),
        },
    ),
    "POST /me/appointments/{appointment_id}/cancel": Rule(PERSON_API),  # the world's is past: 409
    "GET /me/slots": Rule(PERSON_API),
    "GET /me/plan": Rule(PERSON_API),
    "GET /me/messages": Rule(PERSON_API),
    "GET /me/messages/{thread_id}": Rule(PERSON_API),
    "POST /me/messages": Rule(
        PERSON_API,
        lambda ctx: {"episode": str(ctx["episode"].public_id), "subject": "Question", "body": "Bonjour"},
    ),
    "POST /me/messages/{thread_id}": Rule(PERSON_API, lambda ctx: {"body": "Merci"}),
    "POST /me/messages/{thread_id}/read": Rule(PERSON_API),
    "POST /me/messages/{thread_id}/files": Rule(PERSON_API, lambda ctx: {"body": "Mon CV", "files": _pdf()}),
    "GET /me/attachments/{attachment_id}": Rule(PERSON_API),
    "PATCH /me/plan/{action_id}": Rule(PERSON_API, lambda ctx: {"done": True, "note": "C'est fait"}),
    "GET /me/consents": Rule(PERSON_API),
    # other_organisation: the follower's, which the person consented to and another person does not know
    "POST /me/consents": Rule(
        PERSON_API,
        lambda ctx: {
            "organisation": str(ctx["other_organisation"].public_id),
            "scope": "contact",
            "give": False,
        },
    ),
    # The professionals' side of conversations (issue 12, parts 3 and 9)
    "GET /threads": Rule(LOGGED_IN),
    "GET /threads/unread": Rule(LOGGED_IN),
    "GET /threads/{thread_id}": Rule(READ),
    "POST /threads/{thread_id}/messages": Rule(CONTRIBUTE, lambda ctx: {"body": "Bien reçu"}),
    "POST /threads/{thread_id}/read": Rule(READ),
    "POST /threads/{thread_id}/files": Rule(CONTRIBUTE, lambda ctx: {"files": _pdf()}),
    "GET /attachments/{attachment_id}": Rule(READ),
    "GET /episodes/{public_id}/threads": Rule(READ),
    "POST /episodes/{public_id}/threads": Rule(
        CONTRIBUTE, lambda ctx: {"subject": "Rendez-vous", "body": "Pouvez-vous venir mardi ?"}
    ),
    # The counselor's agenda (issue 12, parts 6 and 9)
    "GET /agenda/availability": Rule(AGENDA_KEEPERS),
    "POST /agenda/availability": Rule(
        AGENDA_KEEPERS,
        lambda ctx: {
            "organisation": str(ctx["organisation"].public_id),
            "weekday": 1,
            "start_time": "09:00",
            "end_time": "10:00",
            "channel": "video",
        },
    ),
    "DELETE /agenda/availability/{rule_id}": Rule(AGENDA_KEEPERS),
    "GET /agenda/absences": Rule(AGENDA_KEEPERS),
    "POST /agenda/absences": Rule(
        AGENDA_KEEPERS,
        lambda ctx: {
            "starts_at": (timezone.now() + datetime.timedelta(days=50)).isoformat(),
            "ends_at": (timezone.now() + datetime.timedelta(days=51)).isoformat(),
        },
    ),
    "DELETE /agenda/absences/{absence_id}": Rule(AGENDA_KEEPERS),
    "GET /agenda/slots": Rule(AGENDA_KEEPERS),
    "GET /agenda/bookings": Rule(AGENDA_KEEPERS),
    "GET /episodes/{public_id}/outcomes": Rule(READ),
    "POST /episodes/{public_id}/outcomes": Rule(
        WRITE,
        lambda ctx: {
            "contract_type": "cdi",
            "weekly_hours": "35",
            "start_on": "2026-01-05",
            "job_title": "Vendeur",
        },
    ),
    "POST /checkins/{checkin_id}/answer": Rule(WRITE, lambda ctx: {"still_employed": True}),
    "GET /episodes/{public_id}/obligations": Rule(READ),
    "POST /episodes/{public_id}/obligations": Rule(WRITE, lambda ctx: {"activity_hours_per_week": 10}),
    # sanctions are a sensitive section: readers without it get 403
    "GET /episodes/{public_id}/sanction-procedures": Rule(frozenset({"referent"})),
    "POST /episodes/{public_id}/sanction-procedures": Rule(
        frozenset({"referent"}),
        lambda ctx: {"breach": "Absences", "evidence": "Convocations", "period_start": "2026-01-01"},
    ),
    # one procedure: only who sees the sensitive section finds it (404 for everyone else)
    "GET /sanction-procedures/{procedure_id}": Rule(frozenset({"referent"})),
    "POST /sanction-procedures/{procedure_id}/steps": Rule(
        frozenset({"referent"}), lambda ctx: {"step": "withdraw"}
    ),
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
    "GET /esco/occupation": Rule(LOGGED_IN),  # without ?uri= : 422
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

# --- The exact answer of every persona the access class lets through ------------------------------
# An int when they all get the same status, else {"*": usual status, persona: their status}. Denied
# personas get 404 (401 / login redirect when anonymous) and followers 403 on WRITE routes, checked
# in _check; for COORDINATION and role-set routes the denied personas' status is listed here too.
# A wrong 403 for the referent, a 400 where a write should succeed, fail as surely as a leak.
# MATRIX_PROBE=/tmp/statuses.tsv pytest tests/test_authorisation_matrix.py writes every answer
# (route, persona, status) to that file: read it when adding a route.
STATUS: dict[str, int | dict[str, int]] = {
    "GET /me/appointments": 200,
    "POST /me/appointments": 201,
    "POST /me/appointments/{appointment_id}/cancel": 409,
    "GET /me/slots": 200,
    "GET /me/plan": 200,
    "GET /me/messages": 200,
    "GET /me/messages/{thread_id}": 200,
    "POST /me/messages": 201,
    "POST /me/messages/{thread_id}": 201,
    "POST /me/messages/{thread_id}/read": 200,
    "POST /me/messages/{thread_id}/files": 201,
    "POST /threads/{thread_id}/files": 201,
    "GET /me/attachments/{attachment_id}": 200,
    "GET /attachments/{attachment_id}": 200,
    "PATCH /me/plan/{action_id}": 200,
    "GET /me/consents": 200,
    "POST /me/consents": 200,
    "GET /threads": {"*": 200, "analyst": 403, "coordinator": 403},
    "GET /threads/unread": {"*": 200, "analyst": 403, "coordinator": 403},
    "GET /threads/{thread_id}": 200,
    "POST /threads/{thread_id}/messages": 201,
    "POST /threads/{thread_id}/read": 204,
    "GET /episodes/{public_id}/threads": 200,
    "POST /episodes/{public_id}/threads": 201,
    "GET /agenda/availability": {"*": 200, "analyst": 403, "coordinator": 403},
    "POST /agenda/availability": {
        "*": 201,
        "follower": 404,
        "outsider": 404,
        "analyst": 403,
        "coordinator": 403,
    },
    "DELETE /agenda/availability/{rule_id}": {"*": 404, "referent": 204, "analyst": 403, "coordinator": 403},
    "GET /agenda/absences": {"*": 200, "analyst": 403, "coordinator": 403},
    "POST /agenda/absences": {"*": 201, "analyst": 403, "coordinator": 403},
    "DELETE /agenda/absences/{absence_id}": {"*": 404, "referent": 204, "analyst": 403, "coordinator": 403},
    "GET /agenda/slots": {"*": 200, "analyst": 403, "coordinator": 403},
    "GET /agenda/bookings": {"*": 200, "analyst": 403, "coordinator": 403},
    "GET /episodes/{public_id}/obligations": 200,
    "GET /episodes/{public_id}/sanction-procedures": {
        "*": 403,
        "referent": 200,
        "analyst": 404,
        "coordinator": 404,
        "outsider": 404,
    },
    "POST /episodes/{public_id}/obligations": 201,
    "POST /episodes/{public_id}/sanction-procedures": {
        "*": 403,
        "referent": 201,
        "analyst": 404,
        "coordinator": 404,
        "outsider": 404,
    },
    "GET /sanction-procedures/{procedure_id}": {"*": 404, "referent": 200},
    "POST /sanction-procedures/{procedure_id}/steps": {"*": 404, "referent": 200},
    "conversations:attachment": 200,
    "conversations:episode_threads": 200,
    "conversations:inbox": {"*": 200, "analyst": 403, "coordinator": 403},
    "conversations:thread": 200,
    "obligations:fairness": {"*": 403, "manager": 200, "analyst": 200},
    "evaluation:registry": {"*": 403, "analyst": 200},
    "evaluation:registry_propose": {"*": 403, "analyst": 400},
    "evaluation:registry_activate": {"*": 403, "analyst": 400},
    "GET /episodes/{public_id}/outcomes": 200,
    "POST /checkins/{checkin_id}/answer": 200,
    "POST /episodes/{public_id}/outcomes": 400,
    "cases:team": {"*": 403, "manager": 200},
    "home:administration": 403,
    "home:analysis": {"*": 403, "analyst": 200},
    "home:coordination": {"*": 403, "coordinator": 200},
    "obligations:agree": 400,
    "obligations:episode": 200,
    "obligations:record_breach": 400,
    "obligations:step": {"*": 404, "referent": 302},
    "ops:health": 405,
    "ops:ready": 405,
    "outcomes:answer": 400,
    "outcomes:answer_by_link": 404,
    "outcomes:create_link": 400,
    "outcomes:due": {"*": 200, "analyst": 403, "coordinator": 403},
    "outcomes:episode": 200,
    "outcomes:record": 400,
    "portal:login": {"*": 200, "person": 302},
    "portal:appointment_link": 404,
    "agenda:agenda": {"*": 200, "analyst": 403, "coordinator": 403},
    "agenda:availability": {"*": 200, "analyst": 403, "coordinator": 403},
    "agenda:delete_rule": {"*": 404, "referent": 302, "analyst": 403, "coordinator": 403},
    "agenda:delete_absence": {"*": 404, "referent": 302, "analyst": 403, "coordinator": 403},
    "agenda:make_feed": {"*": 302, "analyst": 403, "coordinator": 403},
    "agenda:revoke_feed": {"*": 302, "analyst": 403, "coordinator": 403},
    "agenda:feed": 404,
    "portal:logout": 302,
    "portal:enter_code": 302,
    "portal:password_login": 200,
    "portal_staff:invite": 302,
    "portal_staff:close": 302,
    "DELETE /episodes/{public_id}/career-project/targets/{target_id}": 204,
    "GET /appointments": 200,
    "GET /catalogue/export": 200,
    "GET /contacts": 200,
    "GET /conventions": 200,
    "GET /coverage": {"*": 403, "coordinator": 200},
    "GET /episodes": 200,
    "GET /episodes/{public_id}": 200,
    "GET /episodes/{public_id}/action-plan": 200,
    "GET /episodes/{public_id}/appointments": 200,
    "GET /episodes/{public_id}/career-project": 200,
    "GET /episodes/{public_id}/contacts": 200,
    "GET /episodes/{public_id}/diagnoses": 200,
    "GET /episodes/{public_id}/events": 200,
    "GET /episodes/{public_id}/follow-up-members": 200,
    "GET /episodes/{public_id}/orientation": 200,
    "GET /episodes/{public_id}/score": 200,
    "GET /experiments": 200,
    "GET /experiments/{public_id}/report": {"*": 404, "analyst": 200},
    "GET /indicators": 200,
    "GET /indicators/{code}/values": 200,
    "GET /market/episodes/{public_id}/matches": 200,
    "GET /market/hiring": 422,
    "GET /market/offers": 200,
    "GET /market/offers/{offer_id}": 200,
    "GET /market/offers/{offer_id}/people": {"*": 200, "analyst": 403, "coordinator": 403},
    "GET /market/salary": 422,
    "GET /market/tension": 422,
    "GET /occupations": 200,
    "GET /occupations/{rome_code}": 200,
    "GET /esco/occupation": 422,
    "GET /persons": 200,
    "GET /persons/duplicates": 422,
    "GET /persons/{public_id}": 200,
    "GET /persons/{public_id}/consents": 200,
    "GET /persons/{public_id}/duplicates": 200,
    "GET /persons/{public_id}/events": 200,
    "GET /profiling/models": {"*": 403, "manager": 200, "analyst": 200},
    "GET /profiling/models/{version}/card": 200,
    "GET /referrals": 200,
    "GET /referrals/{public_id}": 200,
    "GET /services": 200,
    "GET /services/match": 422,
    "GET /services/{public_id}": 200,
    "GET /services/{public_id}/sessions": 200,
    "GET /surveys/my-results": {"*": 200, "analyst": 404, "coordinator": 404},
    "PATCH /episodes/{public_id}/action-plan/actions/{action_id}": 200,
    "PATCH /persons/{public_id}": 200,
    "PATCH /services/{public_id}": 200,
    "POST /appointments/{appointment_id}/cancel": 200,
    "POST /appointments/{appointment_id}/held": 200,
    "POST /appointments/{appointment_id}/missed": 200,
    "POST /catalogue/import": {"*": 403, "coordinator": 200},
    "POST /consents/{consent_id}/withdraw": 200,
    "POST /conventions": {"*": 403, "coordinator": 201},
    "POST /conventions/{public_id}/versions": {"*": 403, "coordinator": 201},
    "POST /episodes": 422,
    "POST /episodes/{public_id}/action-plan/actions": 201,
    "POST /episodes/{public_id}/appointments": 201,
    "POST /episodes/{public_id}/career-project": 200,
    "POST /episodes/{public_id}/career-project/placements": 201,
    "POST /episodes/{public_id}/career-project/placements/{placement_id}/assessment": 200,
    "POST /episodes/{public_id}/career-project/targets": 400,
    "POST /episodes/{public_id}/career-project/targets/{target_id}/decision": 200,
    "POST /episodes/{public_id}/close": 200,
    "POST /episodes/{public_id}/contacts": 201,
    "POST /episodes/{public_id}/diagnoses": 201,
    "POST /episodes/{public_id}/follow-up-members": 201,
    "POST /episodes/{public_id}/follow-up-members/{member_id}/end": 200,
    "POST /episodes/{public_id}/handover": 200,
    "POST /episodes/{public_id}/intensity": 200,
    "POST /episodes/{public_id}/orientation": 201,
    "POST /episodes/{public_id}/score/override": 200,
    "POST /episodes/{public_id}/stage": 200,
    "POST /experiments/{public_id}/analyse": {"*": 404, "analyst": 202},
    "POST /normalise": 409,
    "POST /persons": 422,
    "POST /persons/{public_id}/consents": 201,
    "POST /persons/{public_id}/status": 200,
    "POST /referrals": 422,
    "POST /referrals/{public_id}/transitions": {"*": 403, "follower": 200, "outsider": 200},
    "POST /registrations/{registration_id}/attendance": 400,
    "POST /registrations/{registration_id}/cancel": 200,
    "POST /services": 422,
    "POST /services/{public_id}/confirm": 200,
    "POST /services/{public_id}/sessions": 201,
    "POST /sessions/{public_id}/registrations": 422,
    "PUT /episodes/{public_id}/career-project/skills": 200,
    "accounts:api_tokens": 200,
    "accounts:password_change": 200,
    "accounts:password_change_done": 200,
    "accounts:mfa_setup": 200,
    "accounts:mfa_verify": {"*": 302, "referent": 200},  # the referent has a passkey: its page
    "accounts:mfa_recovery_codes": 302,
    "accounts:passkey_add": {"*": 400, "referent": 302},  # she must use her passkey first
    "accounts:passkey_rename": 302,
    "accounts:passkey_delete": 302,
    "accounts:login": {"*": 302, "anonymous": 200, "person": 200},
    "accounts:logout": 302,
    "accounts:revoke_api_token": 302,
    "cases:add_follow_up_member": 400,
    "cases:alerts": {"*": 200, "analyst": 403, "coordinator": 403},
    "cases:change_intensity": 302,
    "cases:change_stage": 302,
    "cases:close_episode": 400,
    "cases:end_follow_up_member": 302,
    "cases:hand_over": 400,
    "intake:open_episode": 200,
    "cases:plan_appointment": 400,
    "cases:portfolio": {"*": 200, "analyst": 403, "coordinator": 403},
    "cases:record_contact": 400,
    "cases:update_appointment": 302,
    "catalogue:convention_create": {"*": 403, "coordinator": 200},
    "catalogue:convention_detail": 200,
    "catalogue:convention_list": 200,
    "catalogue:convention_revise": {"*": 403, "coordinator": 200},
    "catalogue:coverage": {"*": 403, "coordinator": 200},
    "catalogue:export": 200,
    "catalogue:import": {"*": 403, "coordinator": 200},
    "catalogue:match": 200,
    "catalogue:notifications": 200,
    "catalogue:public_search": 200,
    "catalogue:referral_create": 200,
    "catalogue:referral_detail": 200,
    "catalogue:referral_list": 200,
    "catalogue:referral_register": 302,
    "catalogue:referral_transition": 403,
    "catalogue:registration_attendance": 302,
    "catalogue:registration_cancel": 302,
    "catalogue:service_confirm": 302,
    "catalogue:service_create": {"*": 200, "analyst": 403, "coordinator": 403},
    "catalogue:service_detail": 200,
    "catalogue:service_edit": 200,
    "catalogue:session_create": 400,
    "catalogue:workshop_detail": 200,
    "catalogue:workshop_register": 302,
    "diagnosis:accept_suggestion": 302,
    "diagnosis:action_plan": 200,
    "diagnosis:add_barrier": 400,
    "diagnosis:add_skill": 400,
    "diagnosis:change_action_status": 302,
    "diagnosis:complete": 302,
    "diagnosis:create_invitation": 201,
    "diagnosis:detail": 200,
    "diagnosis:edit_action": 200,
    "diagnosis:episode": 200,
    "diagnosis:fill_section": 200,
    "diagnosis:orientation": 200,
    "diagnosis:self_section": 200,
    "diagnosis:self_start": 200,
    "diagnosis:self_submit": 200,
    "diagnosis:start": 302,
    "evaluation:answer_survey": 404,
    "evaluation:experiment_analyse": {"*": 404, "analyst": 302},
    "evaluation:experiment_create": {"*": 403, "analyst": 200},
    "evaluation:experiment_detail": {"*": 404, "analyst": 200},
    "evaluation:experiment_list": {"*": 403, "analyst": 200},
    "evaluation:experiment_status": {"*": 404, "analyst": 302},
    "evaluation:indicator_detail": 200,
    "evaluation:indicator_list": 200,
    "evaluation:my_feedback": {"*": 200, "analyst": 403, "coordinator": 403},
    "evaluation:power": {"*": 403, "analyst": 200},
    "evaluation:team_feedback": {"*": 403, "manager": 200},
    "home": {"*": 302, "anonymous": 200, "person": 200},
    "labour:add_target": 400,
    "labour:assess_placement": 400,
    "labour:career_project": 200,
    "labour:decide_target": 400,
    "labour:occupation_detail": 200,
    "labour:occupation_search": 200,
    "labour:plan_placement": 400,
    "labour:remove_target": 302,
    "labour:start_project": 302,
    "labour:target_occupation": 200,
    "labour:update_skills": 400,
    "market:episode_matches": 200,
    "market:hiring_list": 200,
    "market:offer_detail": 200,
    "market:offer_search": 200,
    "market:tension_list": 200,
    "intake:create_person": {"*": 200, "analyst": 403, "coordinator": 403},
    "people:detail": 200,
    "people:edit": 200,
    "people:give_consent": 302,
    "people:withdraw_consent": 302,
    "profiling:activate": {"*": 403, "analyst": 302},
    "privacy:requests": {"*": 200, "analyst": 403, "coordinator": 403},
    # the request was received by the referent's organisation: other organisations get 404
    "privacy:request_detail": {
        "*": 404,
        "referent": 200,
        "colleague": 200,
        "manager": 200,
        "analyst": 403,
        "coordinator": 403,
    },
    "profiling:episode_score": 200,
    "profiling:model_card_full": 200,
    "profiling:model_card_public": 200,
    "profiling:monitoring": {"*": 403, "manager": 200, "analyst": 200},
    "set_language": 302,
    "transparency:experiment": 200,
    "transparency:index": 200,
    "transparency:indicator": 200,
    "transparency:indicator_csv": 200,
    "transparency:report_pdf": 200,
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


def test_every_route_has_an_exact_status():
    rules = {**HTML_RULES, **API_RULES}
    # The person's pages and the routes off by default have their own exact checks in _check.
    checked_here = {name for name, rule in rules.items() if rule.access not in (PERSON, OFF)}
    checked_here |= {name for name, rule in rules.items() if rule.access == PERSON_API}
    assert sorted(set(STATUS) - checked_here) == []
    assert sorted(checked_here - set(STATUS)) == []


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
    settings,
    tmp_path,
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
    passkey = Passkey.objects.create(
        user=counselor, name="Clé USB", credential_id="bWF0cmljZQ", public_key=b"\x00", sign_count=0
    )
    account = PersonAccountFactory(person=person)
    settings.MEDIA_ROOT = tmp_path
    thread = conversations.start_thread(
        episode,
        by=counselor,
        subject="CV",
        body="Bonjour",
        files=[SimpleUploadedFile("cv.pdf", b"%PDF-1.4 test", content_type="application/pdf")],
    )
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
    invitation, self_token = diagnosis_actions.create_self_diagnosis_invitation(episode, by=counselor)
    obligations_actions.agree_obligations(episode, by=counselor, activity_hours_per_week=15)
    procedure = obligations_actions.record_breach(
        episode,
        by=counselor,
        breach="Rendez-vous manqués",
        evidence="Convocations",
        period_start=timezone.localdate(),
    )
    checkin = CheckIn.objects.create(
        outcome=OutcomeFactory(episode=episode), horizon_months=1, due_on=timezone.localdate()
    )
    availability_rule = weekly_hours(counselor, organisation)
    absence = agenda_actions.add_absence(
        by=counselor,
        starts_at=timezone.now() + datetime.timedelta(days=40),
        ends_at=timezone.now() + datetime.timedelta(days=41),
    )
    rights_request = privacy_actions.record_rights_request(
        person,
        by=counselor,
        organisation=organisation,
        kind="rectification",
        received_on=timezone.localdate(),
    )
    return {
        "availability_rule": availability_rule,
        "absence": absence,
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
        "self_diagnosis": invitation.diagnosis,
        "checkin": checkin,
        "rights_request": rights_request,
        "procedure": procedure,
        "indicator_version": IndicatorVersion.objects.order_by("pk").first(),
        "episode": episode,
        "person": person,
        "organisation": organisation,
        "other_organisation": other_organisation,
        "appointment": appointment,
        "consent": consent,
        "member": follow_up,
        "token": token,
        "passkey": passkey,
        "users": users,
        "account": account,
        "thread": thread,
        "attachment": thread.messages.get().attachments.get(),
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
    "passkey_id": ("passkey", "pk"),
    "diagnosis_id": ("diagnosis", "public_id"),
    "action_id": ("action", "pk"),
    "checkin_id": ("checkin", "pk"),
    "procedure_id": ("procedure", "pk"),
    "version_id": ("indicator_version", "pk"),
    "thread_id": ("thread", "pk"),
    "attachment_id": ("attachment", "pk"),
    "rule_id": ("availability_rule", "pk"),
    "absence_id": ("absence", "pk"),
    "offer_id": ("offer", "pk"),
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
            dead = name.startswith(("evaluation:", "agenda:")) or name == "portal:appointment_link"
            kwargs[key] = "not-a-token" if dead else ctx["self_token"]
        elif key == "verb" and name.startswith("obligations:"):
            kwargs[key] = "abandon"
        elif key == "diagnosis_id" and name.startswith("portal:"):
            kwargs[key] = ctx["self_diagnosis"].public_id  # the person's own draft
        elif key in HTML_PARAMETERS:
            obj, attribute = HTML_PARAMETERS[key]
            kwargs[key] = getattr(ctx[obj], attribute)
        elif key in HTML_CONSTANTS:
            kwargs[key] = HTML_CONSTANTS[key]
        else:
            raise AssertionError(f"{name}: no value for URL parameter {key!r}; add it to HTML_PARAMETERS")
    return kwargs


def _public_id_for(name: str, ctx):
    if name.startswith("privacy:"):
        return ctx["rights_request"].public_id
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
        "{checkin_id}": str(ctx["checkin"].pk),
        "{procedure_id}": str(ctx["procedure"].pk),
        "{registration_id}": str(ctx["registration"].pk),
        "{offer_id}": str(ctx["offer"].pk),
        "{target_id}": str(ctx["target"].pk),
        "{placement_id}": str(ctx["placement"].pk),
        "{rome_code}": ctx["occupation"].rome_code,
        "{version}": ctx["profiling_model"].version,
        "{code}": "time_to_first_contact",
        "{rule_id}": str(ctx["availability_rule"].pk),
        "{absence_id}": str(ctx["absence"].pk),
        "{thread_id}": str(ctx["thread"].pk),
        "{attachment_id}": str(ctx["attachment"].pk),
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


def _expected_status(access, persona: str, what: str, api_call: bool) -> int:
    if persona == "person" and access not in (PUBLIC, TOKEN):
        persona = "anonymous"  # a person is anonymous to the staff side
    if persona == "anonymous" and access not in (PUBLIC, TOKEN):
        return 401 if api_call else 302
    if access == WRITE and persona == "follower":
        return 403  # followers may see the file, not change it
    listed = access in (PUBLIC, TOKEN, COORDINATION) or isinstance(access, frozenset)
    if listed or _expected_through(access, persona):
        exact = STATUS[what]
        return exact if isinstance(exact, int) else exact.get(persona, exact["*"])
    return 404


def _check(response, access: str, persona: str, what: str, api_call: bool) -> None:
    status = response.status_code
    if os.environ.get("MATRIX_PROBE"):
        with open(os.environ["MATRIX_PROBE"], "a") as probe:
            probe.write(f"{what}\t{persona}\t{status}\n")
    assert status < 500, f"{what} as {persona}: server error {status}"
    if access == OFF:
        assert status == 404, f"{what} as {persona}: {status}, expected 404 (off by default)"
        return
    if access == PERSON_API:
        expected = STATUS[what] if persona == "person" else 401
        assert status == expected, f"{what} as {persona}: {status}, expected {expected}"
        return
    if access == PERSON:
        to_login = status == 302 and response["Location"].startswith(reverse("portal:login"))
        if persona == "person":
            assert status != 404 and not to_login, f"{what} as the person: {status}, expected their page"
        else:
            assert to_login, f"{what} as {persona}: {status}, expected the portal login redirect"
        return
    expected = _expected_status(access, persona, what, api_call)
    assert status == expected, f"{what} as {persona}: {status}, expected {expected}"


def _check_headers(response, persona: str, what: str) -> None:
    """Issue 14, headers: the strict CSP, the Permissions-Policy and no caching of any answer."""
    policy = response.get("Content-Security-Policy", "")
    for directive in (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
    ):
        assert directive in policy, f"{what} as {persona}: CSP {policy!r} lacks {directive}"
    assert "unsafe-" not in policy, f"{what} as {persona}: CSP {policy!r}"
    permissions = response.get("Permissions-Policy", "")
    assert "camera=()" in permissions and "geolocation=()" in permissions, f"{what}: {permissions!r}"
    assert "no-store" in response.get("Cache-Control", ""), f"{what} as {persona}: cacheable"


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("name", sorted(HTML_RULES))
def test_html_route_access(client, world, name, persona):
    rule = HTML_RULES[name]
    pattern = _html_routes()[name]
    url = reverse(name, kwargs=_html_kwargs(name, pattern, world))
    if persona == "person":
        log_in_person(client, world["account"])
    elif persona != "anonymous":
        client.force_login(world["users"][persona])
    if rule.body is not None or name not in {"accounts:login", "home", "cases:portfolio", "cases:alerts"}:
        get = client.get(url)
        assert get.status_code < 500
    body = rule.body(world) if rule.body else {}
    response = client.post(url, body) if _is_write(name) else client.get(url)
    _check(response, rule.access, persona, name, api_call=False)
    _check_headers(response, persona, name)


def _is_write(name: str) -> bool:
    reads = {"home", "accounts:login", "accounts:api_tokens", "cases:portfolio", "cases:alerts", "cases:team"}
    reads |= {"accounts:password_change", "accounts:password_change_done", "accounts:mfa_setup"}
    reads |= {"accounts:mfa_verify", "accounts:proconnect_start", "accounts:proconnect_callback"}
    reads |= {"home:coordination", "home:analysis", "home:administration"}
    reads |= {"intake:create_person", "people:detail", "people:edit", "intake:open_episode"}
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
    reads |= {"outcomes:due", "outcomes:episode", "outcomes:answer_by_link", "obligations:episode"}
    reads |= {"obligations:fairness", "privacy:requests", "privacy:request_detail", "evaluation:registry"}
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
        f"portal:{n}" for n in ("home", "login", "enter_code", "password_login", "security", "preferences")
    }
    reads |= {"portal:franceconnect_start", "portal:franceconnect_callback"}
    reads |= {"portal:threads", "portal:thread", "portal:attachment", "portal:obligations", "portal:checkins"}
    reads |= {f"portal:{n}" for n in ("self_diagnosis", "self_diagnosis_section", "self_diagnosis_send")}
    reads |= {"portal:occupations", "portal:occupation", "portal:offers"}
    reads |= {
        "portal:threads",
        "portal:thread",
        "portal:attachment",
        "portal:book",
        "portal:appointment_link",
    }
    reads |= {"agenda:agenda", "agenda:availability", "agenda:feed"}
    reads |= {
        "conversations:inbox",
        "conversations:episode_threads",
        "conversations:thread",
        "conversations:attachment",
    }
    reads |= {
        f"portal:{n}" for n in ("plan", "appointments", "appointments_feed", "appointment_ics", "referrals")
    }
    reads |= {f"portal:{n}" for n in ("consents", "access_log", "my_data", "my_data_json", "my_data_pdf")}
    reads |= {
        f"labour:{n}"
        for n in ("occupation_search", "occupation_detail", "career_project", "target_occupation")
    }
    return name not in reads


def _api_call(client, method: str, url: str, body: dict, **headers):
    if method == "GET":
        return client.get(url, **headers)
    if any(isinstance(value, SimpleUploadedFile) for value in body.values()):
        return client.post(url, body, **headers)  # multipart/form-data
    return getattr(client, method.lower())(url, json.dumps(body), content_type="application/json", **headers)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", sorted(API_RULES))
def test_api_route_access(client, world, operation, persona):
    rule = API_RULES[operation]
    method, _path = operation.split(" ", 1)
    url = _api_path(operation, world)
    headers = {}
    if persona == "person":
        log_in_person(client, world["account"])
    if persona not in {"anonymous", "person"}:
        _token, key = ApiToken.generate(world["users"][persona], "matrice")
        headers["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    body = rule.body(world) if rule.body else {}
    response = _api_call(client, method, url, body, **headers)
    _check(response, rule.access, persona, operation, api_call=True)
    _check_headers(response, persona, operation)
    if method == "GET" and rule.access == LOGGED_IN and persona in {"analyst", "outsider"}:
        # Scoped lists answer 200 but must not contain the person.
        assert str(world["person"].public_id) not in response.content.decode()


# Public reference data shown inside the portal: not an object of any person.
PORTAL_REFERENCE_PAGES = {"portal:occupation"}


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, p in _html_routes().items()
        if n.startswith("portal:") and p.pattern.converters and n not in PORTAL_REFERENCE_PAGES
    ),
)
def test_person_gets_404_for_another_persons_objects(client, world, name):
    """Another person, logged in to their own space, names the ids of `person`'s objects."""
    other = PersonAccountFactory(person=EpisodeFactory(organisation=world["organisation"]).person)
    log_in_person(client, other)
    url = reverse(name, kwargs=_html_kwargs(name, _html_routes()[name], world))
    response = client.post(url, {}) if _is_write(name) else client.get(url)
    assert response.status_code == 404, f"{name} as another person: {response.status_code}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_admin_is_for_staff_only(client, world, persona):
    if persona == "person":
        log_in_person(client, world["account"])
    elif persona != "anonymous":
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


@pytest.mark.parametrize(
    "operation",
    sorted(
        o for o, r in API_RULES.items() if r.access == PERSON_API and ("{" in o or not o.startswith("GET"))
    ),
)
def test_person_api_answers_404_for_another_persons_objects(client, world, operation):
    """Another person, logged in to their own space, names `person`'s ids in the /me API."""
    other = PersonAccountFactory(person=EpisodeFactory(organisation=world["organisation"]).person)
    log_in_person(client, other)
    method, _path = operation.split(" ", 1)
    body = API_RULES[operation].body(world) if API_RULES[operation].body else {}
    url = _api_path(operation, world)
    response = _api_call(client, method, url, body)
    assert response.status_code == 404, f"{operation} as another person: {response.status_code}"
