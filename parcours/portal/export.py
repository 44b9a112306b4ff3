"""The right of access: everything Parcours holds about the person, as JSON and as a readable PDF.

One function gathers the data (`person_data`); the two formats only render it. Codes are given
with their labels; staff appear by name, role and organisation."""

import datetime
from pathlib import Path

from django.utils import timezone

from parcours.cases.models import CaseEvent, Contact
from parcours.diagnosis.models import Diagnosis
from parcours.messaging.models import OutboundMessage
from parcours.people.models import StatusPeriod
from parcours.portal import scope


def _when(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).isoformat(timespec="minutes")
    return value.isoformat()


def _who(user) -> str | None:
    return (user.get_full_name() or user.username) if user else None


def access_entries(person, limit: int | None = None) -> list[dict]:
    """Who read the file: organisation and role of the reader (from their memberships), date."""
    logs = (
        scope.own_access_log(person)
        .select_related("user")
        .prefetch_related("user__memberships__organisation")
    )
    if limit:
        logs = logs[:limit]
    entries = []
    for log in logs:
        memberships = [m for m in log.user.memberships.all() if m.is_active]
        entries.append(
            {
                "at": log.at,
                "organisations": sorted({m.organisation.name for m in memberships}),
                "roles": sorted({str(m.get_role_display()) for m in memberships}),
            }
        )
    return entries


def person_data(person) -> dict:
    episodes = list(
        scope.own_episodes(person).select_related("organisation", "referent", "site").order_by("started_on")
    )
    contacts = Contact.objects.filter(episode__person=person).select_related("author").order_by("occurred_at")
    appointments = scope.own_appointments(person).select_related("with_user", "site").order_by("scheduled_at")
    actions = scope.own_actions(person).select_related("plan__episode__organisation").order_by("created_at")
    referrals = scope.own_referrals(person).select_related("service", "receiving_organisation")
    diagnoses = Diagnosis.objects.filter(episode__person=person).select_related("episode__organisation")
    return {
        "generated_at": _when(timezone.now()),
        "identity": {
            "first_name": person.first_name,
            "last_name": person.last_name,
            "birth_date": _when(person.birth_date),
            "sex": str(person.get_sex_display()),
            "email": person.email,
            "phone": person.phone,
            "address": person.address,
            "commune": str(person.commune) if person.commune_id else None,
            "status": str(person.get_status_display()),
            "preferred_channels": person.get_preferred_channels_display(),
            "digital_autonomy": str(person.get_digital_autonomy_display()),
            "minimum_income": person.minimum_income,
            "priority_area": person.priority_area,
            "disability_recognition": person.disability_recognition,
        },
        "status_history": [
            {"status": str(p.get_status_display()), "from": _when(p.started_on), "to": _when(p.ended_on)}
            for p in StatusPeriod.objects.filter(person=person)
        ],
        "consents": [
            {
                "organisation": c.organisation.name,
                "scope": str(c.get_scope_display()),
                "given_at": _when(c.given_at),
                "withdrawn_at": _when(c.withdrawn_at),
            }
            for c in scope.own_consents(person).select_related("organisation").order_by("given_at")
        ],
        "episodes": [
            {
                "organisation": e.organisation.name,
                "referent": _who(e.referent),
                "started_on": _when(e.started_on),
                "ended_on": _when(e.ended_on),
                "end_reason": str(e.get_end_reason_display()) if e.end_reason else None,
                "stage": str(e.get_stage_display()),
                "intensity": str(e.get_intensity_display()),
            }
            for e in episodes
        ],
        "contacts": [
            {
                "date": _when(c.occurred_at),
                "channel": str(c.get_channel_display()),
                "initiative": str(c.get_direction_display()),
                "by": _who(c.author),
                "summary": c.summary,
            }
            for c in contacts
        ],
        "appointments": [
            {
                "date": _when(a.scheduled_at),
                "channel": str(a.get_channel_display()),
                "with": _who(a.with_user),
                "place": a.site.name if a.site_id else None,
                "purpose": a.purpose,
                "status": str(a.get_status_display()),
            }
            for a in appointments
        ],
        "action_plan": [
            {
                "organisation": a.plan.episode.organisation.name,
                "goal": a.goal,
                "who": str(a.get_owner_display()),
                "due_on": _when(a.due_on),
                "status": str(a.get_status_display()),
                "my_note": a.person_note,
            }
            for a in actions
        ],
        "diagnoses": [
            {
                "organisation": d.episode.organisation.name,
                "status": str(d.get_status_display()),
                "answers": d.answers,
            }
            for d in diagnoses
        ],
        "referrals": [
            {
                "service": r.service.name,
                "organisation": r.receiving_organisation.name,
                "status": str(r.get_status_display()),
                "proposed_at": _when(r.proposed_at),
            }
            for r in referrals
        ],
        "who_read_my_file": [
            {"date": _when(e["at"]), "organisations": e["organisations"], "roles": e["roles"]}
            for e in access_entries(person)
        ],
        "messages_sent_to_me": [
            {
                "date": _when(m.created_at),
                "kind": str(m.get_kind_display()),
                "channel": str(m.get_channel_display()),
                "status": str(m.get_status_display()),
            }
            for m in OutboundMessage.objects.filter(person=person)
        ],
        "history": [
            {"date": _when(e.at), "event": str(e.get_kind_display())}
            for e in CaseEvent.objects.filter(person=person).order_by("at")
        ],
    }


# --- PDF ------------------------------------------------------------------------------------------

SECTION_TITLES = {
    "identity": "Identité et coordonnées",
    "status_history": "Situations successives",
    "consents": "Consentements",
    "episodes": "Accompagnements",
    "contacts": "Contacts",
    "appointments": "Rendez-vous",
    "action_plan": "Plan d'action",
    "diagnoses": "Diagnostics",
    "referrals": "Orientations",
    "who_read_my_file": "Qui a consulté mon dossier",
    "messages_sent_to_me": "Messages qui m'ont été envoyés",
    "history": "Historique du dossier",
}
FIELD_LABELS = {
    "first_name": "Prénom",
    "last_name": "Nom",
    "birth_date": "Date de naissance",
    "sex": "Sexe",
    "email": "Courriel",
    "phone": "Téléphone",
    "address": "Adresse",
    "commune": "Commune",
    "status": "Situation / statut",
    "preferred_channels": "Canaux préférés",
    "digital_autonomy": "Autonomie numérique",
    "minimum_income": "Bénéficiaire du RSA",
    "priority_area": "Quartier prioritaire",
    "disability_recognition": "RQTH",
    "from": "Du",
    "to": "Au",
    "organisation": "Organisation",
    "organisations": "Organisations",
    "scope": "Portée",
    "given_at": "Donné le",
    "withdrawn_at": "Retiré le",
    "referent": "Référent·e",
    "started_on": "Début",
    "ended_on": "Fin",
    "end_reason": "Motif de fin",
    "stage": "Étape",
    "intensity": "Intensité",
    "date": "Date",
    "channel": "Canal",
    "initiative": "Initiative",
    "by": "Par",
    "summary": "Compte rendu",
    "with": "Avec",
    "place": "Lieu",
    "purpose": "Objet",
    "goal": "Objectif",
    "who": "Qui",
    "due_on": "Échéance",
    "my_note": "Ma note",
    "answers": "Réponses",
    "service": "Service",
    "proposed_at": "Proposée le",
    "roles": "Rôles",
    "kind": "Type",
    "event": "Événement",
}


def _text(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value) or "—"
    if isinstance(value, dict):
        return "; ".join(f"{k} : {_text(v)}" for k, v in value.items()) or "—"
    return str(value)


def person_data_pdf(person) -> bytes:
    """A plain, readable document (DejaVu Sans, shipped with matplotlib, for every French character)."""
    import matplotlib
    from fpdf import FPDF

    data = person_data(person)
    fonts = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdf = FPDF(format="A4")
    pdf.set_title("Mes données Parcours")
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(
        0, 9, f"Mes données — {person.first_name} {person.last_name}", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(0, 5, f"Document produit le {data['generated_at']}", new_x="LMARGIN", new_y="NEXT")
    for key, title in SECTION_TITLES.items():
        value = data[key]
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 13)
        pdf.multi_cell(0, 8, title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 10)
        rows = [value] if isinstance(value, dict) else value
        if not rows:
            pdf.multi_cell(0, 5, "Rien d'enregistré.", new_x="LMARGIN", new_y="NEXT")
        for row in rows:
            for field, item in row.items():
                pdf.multi_cell(
                    0, 5, f"{FIELD_LABELS.get(field, field)} : {_text(item)}", new_x="LMARGIN", new_y="NEXT"
                )
            pdf.ln(2)
    return bytes(pdf.output())
