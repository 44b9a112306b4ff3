"""Who may see which person, episode, section and field: every rule in one place.

Views, API, admin, exports and the person portal ask this module; nothing else decides access.

- A counselor or manager sees the people with an open episode in one of their organisations, and
  every episode (open or closed) of their organisations about those people.
- A follow-up member (any organisation) sees the episode they follow, and its person, while the
  membership is active and the person consents to share the file with the member's organisation
  (consent scope ``case_file``).
- Sensitive sections (health, justice, sanctions) of an episode: its referent, and follow-up members
  granted sensitive access whose organisation holds the person's *sensitive* consent too.
  Only the referent or a manager of the episode's organisation grants that access, never oneself.
- Contacts with other organisations (the person page's ledger, :func:`ledger_contacts`): when the
  person consents (``case_file``) to share their file with an organisation of the user holding an
  open episode with them, every contact of the person; notes of sensitive sections stay hidden.
- Changing an episode: counselors and managers of its organisation, while it is open.
- Every read of a person's file is logged with :func:`log_read`.

Apps above cases build their own scoped querysets from :func:`episodes` and :func:`sensitive_filter`
(diagnosis, referrals, profiling scores…).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from parcours.accounts.models import Role
from parcours.cases.models import (
    AccessLog,
    Appointment,
    CaseEvent,
    Contact,
    FollowUpMember,
    Section,
    SupportEpisode,
)
from parcours.organisations.models import Organisation
from parcours.people.models import Consent, Person

EPISODE_RELATED = ("person", "organisation", "referent", "site")


# --- Follow-up memberships that open the file --------------------------------------------------


def _consent(scope: str, *, person_field: str, organisation_field: str = "organisation_id"):
    return Exists(
        Consent.objects.active().filter(
            person_id=OuterRef(person_field), organisation_id=OuterRef(organisation_field), scope=scope
        )
    )


def memberships(user) -> QuerySet[FollowUpMember]:
    """Active follow-up memberships of `user` backed by the person's case-file consent for the
    member's organisation: the memberships that let them read the file."""
    return (
        FollowUpMember.objects.active()
        .filter(user=user)
        .filter(_consent(Consent.Scope.CASE_FILE, person_field="episode__person_id"))
    )


def sensitive_memberships(user) -> QuerySet[FollowUpMember]:
    """Memberships that open the sensitive sections: granted sensitive access, and the person's
    sensitive consent for the member's organisation on top of the case-file consent."""
    return (
        memberships(user)
        .filter(access_level=FollowUpMember.AccessLevel.SENSITIVE)
        .filter(_consent(Consent.Scope.SENSITIVE, person_field="episode__person_id"))
    )


# --- Scoped querysets ----------------------------------------------------------------------------


def people(user, queryset: QuerySet[Person] | None = None) -> QuerySet[Person]:
    """People the user may see: through an open episode of one of their case organisations, or
    through a follow-up membership backed by the person's consent."""
    queryset = Person.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    followed = Exists(memberships(user).filter(episode__person=OuterRef("pk")))
    org_ids = user.case_organisation_ids()
    if not org_ids:
        return queryset.filter(followed)
    own = Exists(
        SupportEpisode.objects.filter(
            person=OuterRef("pk"), organisation_id__in=org_ids, ended_on__isnull=True
        )
    )
    return queryset.filter(own | followed)


def episodes(
    user, queryset: QuerySet[SupportEpisode] | None = None, *, many: bool = False
) -> QuerySet[SupportEpisode]:
    """Episodes of the user's case organisations whose person they may see, and the episodes they
    follow as a consented follow-up member.

    ``many=True`` phrases the same rule for reading a large share of an organisation's episodes
    (the API's episode list): the people the user may see are computed once, as uncorrelated
    ``IN`` subqueries that PostgreSQL hashes, and an open episode of the user's organisations
    needs no check at all (its person is visible through it). The default, correlated form checks
    each candidate row: the right plan for a few rows (a portfolio, one file), ten times slower
    than the other for an agency's whole caseload and ten times faster for a few rows (measured at
    1M people, docs/benchmarks.md). Both give the same rows (tests/people/test_visibility.py).
    """
    queryset = SupportEpisode.objects.all() if queryset is None else queryset
    if not user.is_authenticated:
        return queryset.none()
    org_ids = user.case_organisation_ids()
    if many:
        followed = Q(pk__in=memberships(user).values("episode_id"))
        if not org_ids:
            return queryset.filter(followed)
        open_here = SupportEpisode.objects.open().filter(organisation_id__in=org_ids).values("person_id")
        visible_person = (
            Q(ended_on__isnull=True)
            | Q(person_id__in=open_here)
            | Q(person_id__in=memberships(user).values("episode__person_id"))
        )
        return queryset.filter(Q(organisation_id__in=org_ids) & visible_person | followed)
    followed = Exists(memberships(user).filter(episode=OuterRef("pk")))
    if not org_ids:
        return queryset.filter(followed)
    # An open episode of the user's organisations makes its person visible: only the closed ones
    # need the check (a portfolio's rows never run it).
    visible_person = Q(ended_on__isnull=True) | Exists(people(user).filter(pk=OuterRef("person_id")))
    own = Q(organisation_id__in=org_ids) & visible_person
    return queryset.filter(own | followed)


def open_episodes(user, queryset: QuerySet[SupportEpisode] | None = None) -> QuerySet[SupportEpisode]:
    """The open episodes of :func:`episodes`: the same rows as ``episodes(user).open()``, in the
    rule's shorter form for open episodes (an open episode of the user's case organisations makes
    its person visible, so no person check is written at all).

    The lists of open episodes (the portfolio, the alerts) read a few dozen rows, where PostgreSQL
    spent more time planning the general form's nested subqueries than running them: at 1M people
    the portfolio's count and page took 8 and 6 ms to plan for 1 and 3 ms to run
    (docs/benchmarks.md). tests/people/test_visibility.py checks both forms give the same rows."""
    queryset = (SupportEpisode.objects.all() if queryset is None else queryset).open()
    if not user.is_authenticated:
        return queryset.none()
    org_ids = user.case_organisation_ids()
    followed = Exists(memberships(user).filter(episode=OuterRef("pk")))
    if not org_ids:
        return queryset.filter(followed)
    return queryset.filter(Q(organisation_id__in=org_ids) | followed)


def sensitive_filter(user, episode_field: str = "episode") -> Q:
    """Rows with a ``section`` field, reached through `episode_field`: general rows for whoever sees
    the episode, sensitive rows for its referent and members granted sensitive access."""
    granted = sensitive_memberships(user).filter(episode=OuterRef(episode_field))
    return Q(section=Section.GENERAL) | Q(**{f"{episode_field}__referent": user}) | Exists(granted)


def sensitive_episodes(user) -> QuerySet[SupportEpisode]:
    """Visible episodes whose sensitive sections the user may see."""
    granted = sensitive_memberships(user).filter(episode=OuterRef("pk"))
    return episodes(user).filter(Q(referent=user) | Exists(granted))


def contacts(user) -> QuerySet[Contact]:
    return Contact.objects.filter(episode__in=episodes(user)).filter(sensitive_filter(user))


def ledger_contacts(
    user, person: Person, scope: FileScope | None = None
) -> tuple[QuerySet[Contact], set[int]]:
    """The cross-operator ledger of the person page: every contact of the person the user may know
    of, and the ids of those whose summary they may read.

    - Contacts of the episodes the user sees (:func:`episodes`); their summaries within the
      sections the user may see (:func:`sensitive_filter`).
    - When the person consents (``case_file``) to share their file with one of the user's
      organisations holding an open episode (:attr:`FileScope.sharing_organisation_ids`): every
      contact of the person with any organisation, open or closed episode; the summaries of the general section are readable,
      those of sensitive sections stay hidden unless the first rule opens them.
    """
    scope = scope or file_scope(user, person)
    readable = Q(episode__in=scope.episode_ids) & scope.section_filter()
    if scope.sharing_organisation_ids:
        rows = Contact.objects.filter(episode__person=person)
        readable |= Q(section=Section.GENERAL)
    else:
        rows = Contact.objects.filter(episode__in=scope.episode_ids)
    readable_ids = set(rows.filter(readable).values_list("pk", flat=True))
    return rows, readable_ids


def appointments(user) -> QuerySet[Appointment]:
    return Appointment.objects.filter(episode__in=episodes(user))


def events(user) -> QuerySet[CaseEvent]:
    """Case events the user may see: person-level general events of visible people, and the
    events of visible episodes within the sections they may see."""
    return CaseEvent.objects.filter(Exists(people(user).filter(pk=OuterRef("person_id")))).filter(
        Q(episode__isnull=True, section=Section.GENERAL)
        | Q(episode__in=episodes(user)) & sensitive_filter(user)
    )


# --- One person's file, resolved once -------------------------------------------------------------


@dataclass(frozen=True)
class FileScope:
    """What one user may see of one person's file: the rules of :func:`episodes` and
    :func:`sensitive_filter`, resolved for this person's few episodes with at most three small
    queries (:func:`file_scope`).

    - ``episode_ids``: the person's episodes the user sees;
    - ``sensitive_episode_ids``: those whose sensitive sections they see (referent, or granted
      sensitive access with the person's sensitive consent);
    - ``sharing_organisation_ids``: the user's case organisations holding an open episode with the
      person to whom the person consents (``case_file``) to share their file: their staff see the
      person's contacts with every organisation (:func:`ledger_contacts`), and those contacts count
      toward their episodes' intensity target (parcours.cases.intensity, same consent).

    The person page and the file's API read many kinds of rows of one person (episodes, contacts,
    appointments, events, consents). Asking the generic scoped querysets for each kind builds,
    compiles and runs the same nested visibility subqueries again and again: at 1M people they
    scan an agency's whole caseload (16 s for the events) and their construction alone cost the
    person page about 45 ms of Python (docs/benchmarks.md). The scope's readers filter on the
    episode ids instead.
    """

    person_id: int
    episode_ids: frozenset[int]
    sensitive_episode_ids: frozenset[int]
    sharing_organisation_ids: frozenset[int]

    @property
    def visible(self) -> bool:
        """The user may see the person: a visible person always has a visible episode (an open one
        of the user's organisations, or one they follow with consent), and conversely."""
        return bool(self.episode_ids)

    def can_see_sensitive(self, episode: SupportEpisode) -> bool:
        return episode.pk in self.sensitive_episode_ids

    def section_filter(self, episode_field: str = "episode") -> Q:
        """:func:`sensitive_filter` for rows of this file."""
        return Q(section=Section.GENERAL) | Q(**{f"{episode_field}__in": self.sensitive_episode_ids})

    def episodes(self) -> QuerySet[SupportEpisode]:
        return SupportEpisode.objects.filter(pk__in=self.episode_ids)

    def appointments(self) -> QuerySet[Appointment]:
        return Appointment.objects.filter(episode__in=self.episode_ids)

    def contacts(self) -> QuerySet[Contact]:
        """Contacts of the visible episodes within the sections the user may see."""
        return Contact.objects.filter(episode__in=self.episode_ids).filter(self.section_filter())


def file_scope(user, person: Person) -> FileScope:
    """Resolve :class:`FileScope` for `user` and `person` (an empty scope when the person is not
    visible to the user)."""
    if not user.is_authenticated:
        return FileScope(person.pk, frozenset(), frozenset(), frozenset())
    rows = list(
        episodes(user)
        .filter(person=person)
        .values_list("pk", "referent_id", "organisation_id", "ended_on", named=True)
    )
    if not rows:
        return FileScope(person.pk, frozenset(), frozenset(), frozenset())
    granted = set(
        sensitive_memberships(user).filter(episode__person=person).values_list("episode_id", flat=True)
    )
    org_ids = set(user.case_organisation_ids())
    # managed_open_episodes: an open episode of the user's organisations is always visible.
    held = {row.organisation_id for row in rows if row.organisation_id in org_ids and row.ended_on is None}
    sharing = (
        Consent.objects.active()
        .filter(person=person, scope=Consent.Scope.CASE_FILE, organisation_id__in=held)
        .values_list("organisation_id", flat=True)
        if held
        else []
    )
    return FileScope(
        person_id=person.pk,
        episode_ids=frozenset(row.pk for row in rows),
        sensitive_episode_ids=frozenset(
            row.pk for row in rows if row.referent_id == user.pk or row.pk in granted
        ),
        sharing_organisation_ids=frozenset(sharing),
    )


def events_on_file(user, person: Person, scope: FileScope | None = None) -> QuerySet[CaseEvent]:
    """The events of one person's file that `user` may see. Same rule as :func:`events`, resolved
    from this person's few episodes first (:class:`FileScope`): at national scale the generic
    subquery would scan every episode of the user's organisations (measured: 16 s at 1M people)."""
    scope = scope or file_scope(user, person)
    if not scope.visible:
        return CaseEvent.objects.none()
    return CaseEvent.objects.filter(person=person).filter(
        Q(episode__isnull=True, section=Section.GENERAL)
        | Q(episode_id__in=scope.episode_ids, section=Section.GENERAL)
        | Q(episode_id__in=scope.sensitive_episode_ids)
    )


def reachable_people(user) -> QuerySet[Person]:
    """People the user's organisations can reach when looking for duplicates or reopening an
    episode: those visible to the user, plus anyone who ever had an episode with one of the user's
    case organisations. People known only to other organisations are never disclosed; archived and
    anonymised files have left the active base (parcours/privacy retention)."""
    had_episode = Exists(
        SupportEpisode.objects.filter(person=OuterRef("pk"), organisation_id__in=user.case_organisation_ids())
    )
    visible = Exists(people(user).filter(pk=OuterRef("pk")))
    return Person.objects.filter(visible | (had_episode & Q(archived_at__isnull=True)))


def rights_request_people(user) -> QuerySet[Person]:
    """People whose erasure or rectification request the user may record and decide: anyone who
    ever had an episode with one of the user's case organisations, archived files included (the
    person's rights outlive the support), anonymised ones excluded (nothing left to erase)."""
    had_episode = Exists(
        SupportEpisode.objects.filter(person=OuterRef("pk"), organisation_id__in=user.case_organisation_ids())
    )
    return Person.objects.filter(had_episode, anonymised_at__isnull=True)


def managed_open_episodes(user, person: Person) -> QuerySet[SupportEpisode]:
    """Open episodes of the person in the user's case organisations: where the user may act."""
    return SupportEpisode.objects.open().filter(
        person=person, organisation_id__in=user.case_organisation_ids()
    )


def consent_organisations(user, person: Person, scope: FileScope | None = None) -> list[Organisation]:
    """Organisations whose consents the user may read and record: their own case organisations and
    those of the professionals following the person's visible episodes."""
    scope = scope or file_scope(user, person)
    member_orgs = FollowUpMember.objects.filter(episode__in=scope.episode_ids).values("organisation_id")
    return list(
        Organisation.objects.filter(Q(pk__in=user.case_organisation_ids()) | Q(pk__in=member_orgs)).order_by(
            "name"
        )
    )


# --- The person's own file (the portal) -----------------------------------------------------------
# A supported person is never a user of an organisation: they see their own file and nothing else,
# so an id belonging to someone else is simply not found (404). Apps above cases (plan, referrals)
# build theirs from :func:`own_episodes`.


def own_episodes(person: Person) -> QuerySet[SupportEpisode]:
    return SupportEpisode.objects.filter(person=person)


def own_appointments(person: Person) -> QuerySet[Appointment]:
    return Appointment.objects.filter(episode__person=person)


def own_consents(person: Person) -> QuerySet[Consent]:
    return Consent.objects.filter(person=person)


def own_contacts(person: Person) -> QuerySet[Contact]:
    """Every contact of the person with every organisation (the portal's "Mes échanges")."""
    return Contact.objects.filter(episode__person=person)


def own_access_log(person: Person) -> QuerySet[AccessLog]:
    return AccessLog.objects.filter(person=person)


# --- One object ----------------------------------------------------------------------------------


def person_for(user, public_id: uuid.UUID | str) -> Person:
    """The person if the user may see them, else Http404."""
    person = people(user).select_related("commune").filter(public_id=public_id).first()
    if person is None:
        raise Http404("no such person")
    return person


def episode_for(
    user,
    public_id: uuid.UUID | str,
    *,
    manage: bool = False,
    open: bool | None = None,
    related: Iterable[str] = EPISODE_RELATED,
) -> SupportEpisode:
    """The episode if the user may see it, else Http404. ``manage=True``: the user must also work in
    the episode's organisation (follow-up members of other organisations read only), else
    PermissionDenied. ``open`` (default: ``manage``): the episode must be open, else PermissionDenied.
    The HTML views and the API share it."""
    episode = episodes(user).select_related(*related).filter(public_id=public_id).first()
    if episode is None:
        raise Http404("no such episode")
    if (manage if open is None else open) and not episode.is_open:
        raise PermissionDenied("the episode is closed")
    if manage and episode.organisation_id not in user.case_organisation_ids():
        raise PermissionDenied("only counselors and managers of the episode's organisation may do this")
    return episode


# --- Predicates ------------------------------------------------------------------------------------


def require_case_work(user) -> None:
    """Pages of case work that are not about one file (portfolio, alerts, inbox, check-ins due, a new
    person) are for counselors and managers: other roles get the 403 page, not an empty list."""
    if not user.case_organisation_ids():
        raise PermissionDenied("only counselors and managers have case work")


def can_manage(user, episode: SupportEpisode) -> bool:
    """May change the episode: a counselor or manager of its organisation, while it is open."""
    return episode.is_open and episode.organisation_id in user.case_organisation_ids()


def require_team(user, episode: SupportEpisode) -> None:
    """Staff of the episode's organisation, open or closed (post-hire follow-up goes on after the
    episode ends)."""
    if episode.organisation_id not in user.case_organisation_ids():
        raise PermissionDenied("only counselors and managers of the episode's organisation may do this")


def require_manage(user, episode: SupportEpisode) -> None:
    require_team(user, episode)
    if not episode.is_open:
        raise PermissionDenied("the episode is closed")


def can_manage_person(user, person: Person) -> bool:
    """May change the person's record: staff of an organisation holding an open episode for them."""
    return managed_open_episodes(user, person).exists()


def require_manage_person(user, person: Person) -> None:
    if not can_manage_person(user, person):
        raise PermissionDenied("only the organisations holding an open episode may change this file")


def can_keep_agenda(user, organisation_id: int | None = None) -> bool:
    """May publish availability and take bookings: a counselor or manager (of that organisation)."""
    ids = user.case_organisation_ids() if user.is_authenticated else []
    return bool(ids) if organisation_id is None else organisation_id in ids


def require_agenda(user, organisation_id: int | None = None) -> None:
    if not can_keep_agenda(user, organisation_id):
        raise PermissionDenied("only counselors and managers keep an agenda (in their own organisations)")


def can_see_sensitive(user, episode: SupportEpisode) -> bool:
    """Sensitive sections of the episode: its referent, and members granted sensitive access with
    the person's sensitive consent for their organisation."""
    if not user.is_authenticated:
        return False
    if user.pk == episode.referent_id:
        return True
    return sensitive_memberships(user).filter(episode=episode).exists()


def can_see_sensitive_for_person(user, person: Person) -> bool:
    """Sensitive fields of the person's record (RQTH): through one of their open visible episodes."""
    return sensitive_episodes(user).open().filter(person=person).exists()


def can_grant_sensitive(user, episode: SupportEpisode) -> bool:
    """Granting sensitive access to a follow-up member: the referent, or a manager of the episode's
    organisation."""
    return user.pk == episode.referent_id or episode.organisation_id in user.organisation_ids(
        frozenset({Role.MANAGER})
    )


def can_decide_rights_request(user, organisation_id: int) -> bool:
    """Answering (fulfilling or refusing) a person's erasure or rectification request received by an
    organisation: its managers. Its counselors record the requests and follow their deadlines
    (the organisations of :func:`rights_request_people`)."""
    return organisation_id in user.organisation_ids(frozenset({Role.MANAGER}))


# --- Audit of reads --------------------------------------------------------------------------------


def log_read(people_read: Person | Iterable[Person], *, user, route: str) -> None:
    """Record a read of one or several people's files (never inside the caller's transaction: a
    read that fails later was still a read)."""
    if isinstance(people_read, Person):
        people_read = [people_read]
    ids = list(dict.fromkeys(p.pk for p in people_read))
    AccessLog.objects.bulk_create([AccessLog(person_id=pk, user=user, route=route[:100]) for pk in ids])
