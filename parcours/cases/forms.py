"""Forms of the counselor workspace: portfolio filters and every change made to an episode."""

import datetime
from typing import NamedTuple

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Q, Subquery
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import CASE_ROLES, Membership, Role
from parcours.cases.models import (
    Appointment,
    Approach,
    Contact,
    EndReason,
    FollowUpMember,
    Intensity,
    Section,
    Stage,
    SupportEpisode,
)
from parcours.organisations.models import Organisation, Site
from parcours.people.models import Channel, name_search_score

DATETIME_LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format=DATETIME_LOCAL_FORMAT)


def _blank(choices):
    return [("", _("Toutes")), *choices]


def now_local_minute() -> datetime.datetime:
    return timezone.localtime().replace(second=0, microsecond=0)


#: Name search compares in Python the names of at most this many episodes of the list searched.
NAME_SEARCH_LIMIT = 20000


def matching_names(queryset, query: str) -> list[int]:
    """Ids of the episodes of `queryset` (already scoped to what the user may see) whose person's
    first or last name matches `query` (see people.models.name_search_score)."""
    rows = queryset.order_by().values_list("pk", "person__first_name", "person__last_name")[
        :NAME_SEARCH_LIMIT
    ]
    return [pk for pk, first, last in rows if name_search_score(query, first, last)]


class PortfolioFilterForm(forms.Form):
    """GET filters of "Mes personnes". Invalid values are reported and ignored, never fatal."""

    q = forms.CharField(
        label=_("Nom ou prénom"),
        required=False,
        max_length=100,
        help_text=_(
            "Dans n'importe quel ordre, sans accents ni majuscules ; les fautes de frappe sont tolérées."
        ),
    )
    stage = forms.ChoiceField(
        label=_("Étape"), required=False, choices=_blank([c for c in Stage.choices if c[0] != Stage.CLOSED])
    )
    intensity = forms.ChoiceField(label=_("Intensité"), required=False, choices=_blank(Intensity.choices))
    overdue = forms.BooleanField(label=_("Contact en retard uniquement"), required=False)
    no_contact_days = forms.IntegerField(
        label=_("Sans contact depuis (jours)"), required=False, min_value=1, max_value=3650
    )
    team = forms.BooleanField(label=_("Toute l'équipe"), required=False)

    def __init__(self, *args, is_manager: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not is_manager:
            del self.fields["team"]

    def filter(self, queryset):
        data = self.cleaned_data if self.is_bound else {}
        if data.get("q"):
            queryset = queryset.filter(pk__in=matching_names(queryset, data["q"]))
        if data.get("stage"):
            queryset = queryset.filter(stage=data["stage"])
        if data.get("intensity"):
            queryset = queryset.filter(intensity=data["intensity"])
        if data.get("overdue"):
            queryset = queryset.filter(next_contact_due__lt=timezone.localdate())
        if data.get("no_contact_days"):
            queryset = queryset.without_contact_since(data["no_contact_days"])
        return queryset


class VersionedForm(forms.Form):
    """Carries the version of the episode as it was read, so a concurrent change is detected."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ChangeStageForm(VersionedForm):
    stage = forms.ChoiceField(
        label=_("Nouvelle étape"),
        error_messages={
            "invalid_choice": _("Ce changement d'étape n'est pas possible depuis l'étape actuelle.")
        },
    )
    reason = forms.CharField(label=_("Motif (facultatif)"), required=False, max_length=300)

    def __init__(self, *args, episode: SupportEpisode, **kwargs):
        super().__init__(*args, **kwargs)
        labels = dict(Stage.choices)
        self.fields["stage"].choices = [
            (s, labels[s]) for s in episode.allowed_transitions() if s != Stage.CLOSED
        ]
        self.initial.setdefault("version", episode.version)


class ChangeIntensityForm(VersionedForm):
    intensity = forms.ChoiceField(label=_("Intensité"), choices=Intensity.choices)
    approach = forms.ChoiceField(
        label=_("Approche"), required=False, choices=[("", _("Inchangée")), *Approach.choices]
    )
    contact_target_days = forms.IntegerField(
        label=_("Contact au moins tous les (jours)"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("Laisser vide pour la valeur par défaut de l'intensité."),
    )
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif du changement d'intensité.")},
    )

    def __init__(self, *args, episode: SupportEpisode, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", episode.version)
        self.initial.setdefault("intensity", episode.intensity)


def case_colleagues(organisation_id: int):
    """Active counselors and managers of an organisation: who may become referent, each with
    ``member_site_id``, the site of their membership (None when they work across sites)."""
    memberships = Membership.objects.filter(
        organisation_id=organisation_id, role__in=CASE_ROLES, is_active=True
    )
    return (
        get_user_model()
        .objects.filter(pk__in=memberships.values("user_id"), is_active=True)
        .annotate(
            member_site_id=Subquery(
                memberships.filter(user=OuterRef("pk")).order_by("pk").values("site_id")[:1]
            )
        )
        .order_by("last_name", "first_name")
    )


class Colleague(NamedTuple):
    """A possible referent as the person page lists them (:func:`colleague_choices`)."""

    pk: int
    name: str
    member_site_id: int | None


def colleague_choices(organisation_id: int) -> list[Colleague]:
    """:func:`case_colleagues` as plain rows, in the same order and with the same site, read with
    one join instead of a subquery per colleague and without building a User per row: a large
    agency has well over a thousand (measured at 1M people: 1,462 colleagues in 7 ms instead of
    20 ms)."""
    rows = (
        Membership.objects.filter(
            organisation_id=organisation_id, role__in=CASE_ROLES, is_active=True, user__is_active=True
        )
        .order_by("user__last_name", "user__first_name", "user_id", "pk")
        .values_list("user_id", "user__first_name", "user__last_name", "user__username", "site_id")
    )
    colleagues: dict[int, Colleague] = {}
    for user_id, first_name, last_name, username, site_id in rows:
        if user_id not in colleagues:  # the site of their first membership, as case_colleagues
            full_name = f"{first_name} {last_name}".strip()  # AbstractUser.get_full_name
            colleagues[user_id] = Colleague(user_id, full_name or username, site_id)
    return list(colleagues.values())


#: Above this many possible referents, the hand-over list starts with the episode's site only.
HANDOVER_LIST_LIMIT = 60


class PlainSelect(forms.Select):
    """A select whose options are written in Python rather than through one template per option:
    the hundreds of colleagues of a large agency render in about a millisecond instead of a
    fifth of a second (bench/bench_foundation.py). Same HTML as forms.Select for flat choices."""

    def render(self, name, value, attrs=None, renderer=None):
        final_attrs = self.build_attrs(self.attrs, attrs)
        final_attrs["name"] = name
        chosen = {str(v) for v in self.format_value(value)}
        options = format_html_join(
            "\n",
            '<option value="{}"{}>{}</option>',
            (
                (str(v), mark_safe(" selected") if str(v) in chosen else "", label)
                for v, label in self.choices
            ),
        )
        return format_html("<select{}>\n{}\n</select>", flatatt(final_attrs), options)


class UserChoiceField(forms.ModelChoiceField):
    widget = PlainSelect

    def label_from_instance(self, obj):
        return obj.get_full_name() or obj.username


class HandOverForm(VersionedForm):
    to_referent = UserChoiceField(label=_("Nouveau ou nouvelle référent·e"), queryset=None)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif du changement de référent·e.")},
    )

    def __init__(self, *args, episode: SupportEpisode, colleagues=None, all_sites: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = case_colleagues(episode.organisation_id).exclude(pk=episode.referent_id)
        self.fields["to_referent"].queryset = queryset
        # Set when the list shows only the episode's site: the page then offers the full list.
        self.site_only = False
        self.all_sites = all_sites
        if colleagues is not None:
            # Already fetched by the page (colleague_choices): reuse them instead of querying once
            # more to render.
            candidates = [u for u in colleagues if u.pk != episode.referent_id]
            if len(candidates) > HANDOVER_LIST_LIMIT and episode.site_id and not all_sites:
                # A large agency: the colleagues of the episode's site (and those across sites)
                # first; any other colleague is still accepted when posted.
                candidates = [u for u in candidates if u.member_site_id in (None, episode.site_id)]
                self.site_only = True
            self.fields["to_referent"].choices = [("", "---------")] + [(u.pk, u.name) for u in candidates]
        self.initial.setdefault("version", episode.version)


class CloseEpisodeForm(VersionedForm):
    reason = forms.ChoiceField(label=_("Motif de fin"), choices=EndReason.choices)

    def __init__(self, *args, episode: SupportEpisode, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("version", episode.version)


class RecordContactForm(forms.Form):
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices)
    direction = forms.ChoiceField(
        label=_("Initiative"), choices=Contact.Direction.choices, initial=Contact.Direction.OUTBOUND
    )
    occurred_at = forms.DateTimeField(label=_("Date et heure"), widget=DateTimeLocalInput)
    duration_minutes = forms.IntegerField(
        label=_("Durée (minutes)"), required=False, min_value=1, max_value=600
    )
    summary = forms.CharField(
        label=_("Compte rendu"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    section = forms.ChoiceField(label=_("Rubrique"), choices=Section.choices, initial=Section.GENERAL)

    def __init__(self, *args, can_see_sensitive: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("occurred_at", now_local_minute())
        if not can_see_sensitive:
            # Sensitive sections are offered only to those allowed to read them.
            self.fields["section"].choices = [(Section.GENERAL, Section.GENERAL.label)]

    def clean_occurred_at(self):
        value = self.cleaned_data["occurred_at"]
        if value > timezone.now() + datetime.timedelta(minutes=5):
            raise forms.ValidationError(
                _("Un contact ne peut pas être dans le futur : planifiez plutôt un rendez-vous.")
            )
        return value


class PlanAppointmentForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Date et heure"), widget=DateTimeLocalInput)
    channel = forms.ChoiceField(label=_("Canal"), choices=Channel.choices, initial=Channel.IN_PERSON)
    duration_minutes = forms.IntegerField(
        label=_("Durée prévue (minutes)"), min_value=5, max_value=600, initial=45
    )
    purpose = forms.CharField(label=_("Objet"), required=False, max_length=200)

    def clean_scheduled_at(self):
        value = self.cleaned_data["scheduled_at"]
        if value < timezone.now() - datetime.timedelta(minutes=5):
            raise forms.ValidationError(
                _("Un rendez-vous se planifie dans le futur : pour un échange passé, enregistrez un contact.")
            )
        return value


class UpdateAppointmentForm(forms.Form):
    class Outcome:
        HELD = "held"
        MISSED = "missed"
        CANCELLED_BY_PERSON = "cancelled_person"
        CANCELLED_BY_STAFF = "cancelled_staff"

    outcome = forms.ChoiceField(
        label=_("Issue"),
        choices=[
            (Outcome.HELD, Appointment.Status.HELD.label),
            (Outcome.MISSED, Appointment.Status.MISSED.label),
            (Outcome.CANCELLED_BY_PERSON, _("Annulé par la personne")),
            (Outcome.CANCELLED_BY_STAFF, _("Annulé par la structure")),
        ],
    )
    summary = forms.CharField(
        label=_("Compte rendu"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class AddFollowUpMemberForm(forms.Form):
    identifier = forms.CharField(
        label=_("Identifiant ou courriel du ou de la professionnel·le"),
        max_length=254,
        help_text=_("Toute organisation ; le compte doit exister dans Parcours."),
    )
    organisation = forms.ChoiceField(label=_("Organisation"), required=False, choices=[])
    role = forms.CharField(label=_("Rôle auprès de la personne"), max_length=100)
    access_level = forms.ChoiceField(
        label=_("Accès"),
        choices=FollowUpMember.AccessLevel.choices,
        initial=FollowUpMember.AccessLevel.STANDARD,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.professional = None
        self.memberships: list[Membership] = []
        identifier = (self.data.get(self.add_prefix("identifier")) or "").strip() if self.is_bound else ""
        if identifier:
            self.professional = (
                get_user_model()
                .objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier), is_active=True)
                .order_by("pk")
                .first()
            )
        if self.professional is not None:
            self.memberships = list(
                Membership.objects.filter(user=self.professional, is_active=True)
                .exclude(role=Role.ANALYST)
                .select_related("organisation")
                .order_by("organisation__name")
            )
            seen = {}
            for membership in self.memberships:
                seen.setdefault(membership.organisation_id, membership.organisation.name)
            self.fields["organisation"].choices = [("", "---------"), *seen.items()]
        if len(self.fields["organisation"].choices) <= 2:
            # Asked only when the professional belongs to several organisations.
            self.fields["organisation"].widget = forms.HiddenInput()

    def clean(self):
        cleaned = super().clean()
        if "identifier" in cleaned and self.professional is None:
            self.add_error(
                "identifier", _("Aucun compte actif ne correspond à cet identifiant ou ce courriel.")
            )
            return cleaned
        if self.professional is None:
            return cleaned
        org_ids = {m.organisation_id for m in self.memberships}
        if not org_ids:
            self.add_error("identifier", _("Ce compte n'appartient à aucune organisation."))
            return cleaned
        chosen = cleaned.get("organisation")
        if chosen:
            if int(chosen) not in org_ids:
                self.add_error(
                    "organisation", _("Ce ou cette professionnel·le n'appartient pas à cette organisation.")
                )
        elif len(org_ids) == 1:
            cleaned["organisation"] = str(next(iter(org_ids)))
        else:
            self.add_error(
                "organisation",
                _("Ce ou cette professionnel·le appartient à plusieurs organisations : choisissez-en une."),
            )
        if cleaned.get("organisation"):
            cleaned["organisation_obj"] = next(
                m.organisation for m in self.memberships if m.organisation_id == int(cleaned["organisation"])
            )
        return cleaned


class OpenEpisodeForm(forms.Form):
    """Opening an episode; also embedded in the person creation form so both happen in one submit."""

    organisation = forms.ModelChoiceField(label=_("Organisation"), queryset=Organisation.objects.none())
    referent = UserChoiceField(
        label=_("Conseiller·ère référent·e"), queryset=get_user_model().objects.none(), required=False
    )
    intensity = forms.ChoiceField(label=_("Intensité"), choices=Intensity.choices, initial=Intensity.GUIDED)
    approach = forms.ChoiceField(label=_("Approche"), choices=Approach.choices, initial=Approach.SEQUENTIAL)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        org_ids = user.case_organisation_ids()
        self.fields["organisation"].queryset = Organisation.objects.filter(pk__in=org_ids)
        if len(org_ids) == 1:
            self.initial.setdefault("organisation", org_ids[0])
        self.fields["referent"].queryset = (
            get_user_model()
            .objects.filter(
                pk__in=Membership.objects.filter(
                    organisation_id__in=org_ids, role__in=CASE_ROLES, is_active=True
                ).values("user_id"),
                is_active=True,
            )
            .order_by("last_name", "first_name")
        )
        self.fields["referent"].help_text = _("Vous-même si rien n'est choisi.")
        self.initial.setdefault("referent", user.pk)
        self.fields["site"].queryset = Site.objects.filter(organisation_id__in=org_ids).order_by("name")

    def clean(self):
        cleaned = super().clean()
        site, organisation = cleaned.get("site"), cleaned.get("organisation")
        if site and organisation and site.organisation_id != organisation.pk:
            self.add_error("site", _("Ce site n'appartient pas à l'organisation choisie."))
        return cleaned


class BulkHandOverForm(forms.Form):
    """A manager hands several people of the team over to one colleague, with one reason."""

    episodes = forms.MultipleChoiceField(
        label=_("Personnes"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Cochez au moins une personne.")},
    )
    to_referent = UserChoiceField(label=_("Nouveau ou nouvelle référent·e"), queryset=None)
    reason = forms.CharField(
        label=_("Motif"),
        max_length=300,
        error_messages={"required": _("Indiquez le motif du changement de référent·e.")},
    )

    def __init__(self, *args, organisation_id: int, episode_choices: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_referent"].queryset = case_colleagues(organisation_id)
        self.fields["episodes"].choices = episode_choices
