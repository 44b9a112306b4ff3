"""The navigation: one table of entries, each with the roles allowed to use the page.

Each entry mirrors the check of its view (the authorisation matrix tests the views; the navigation
crawl in tests/ux/test_navigation.py checks that every link answers 200 to the roles it is shown to
and that every page a role may open is linked). Adding a page to the menu is one line below.
"""

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from parcours.accounts.models import CASE_ROLES, Role

ANY_ROLE = frozenset(Role.values)
CASE = frozenset(CASE_ROLES)
MANAGER = frozenset({Role.MANAGER})
COORDINATOR = frozenset({Role.COORDINATOR})
ANALYST = frozenset({Role.ANALYST})
MONITORING = frozenset({Role.ANALYST, Role.MANAGER, Role.ADMINISTRATOR})
IMPORTERS = frozenset({Role.COORDINATOR, Role.ADMINISTRATOR})
STAFF = "staff"  # Django's is_staff flag (the administration site), not a membership role

GROUPS = {
    "case": _("Accompagnement"),
    "services": _("Services et partenaires"),
    "market": _("Emploi et métiers"),
    "steering": _("Pilotage"),
    "account": _("Mon compte"),
}


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: Promise
    roles: frozenset[str] | str
    group: str


NAV: tuple[NavEntry, ...] = (
    NavEntry("cases:team", _("Mon équipe"), MANAGER, "case"),
    NavEntry("cases:portfolio", _("Mes personnes"), CASE, "case"),
    NavEntry("cases:alerts", _("Alertes de contact"), CASE, "case"),
    NavEntry("intake:create_person", _("Nouvelle personne"), CASE, "case"),
    NavEntry("conversations:inbox", _("Messages"), CASE, "case"),
    NavEntry("agenda:agenda", _("Mon agenda"), CASE, "case"),
    NavEntry("outcomes:due", _("Suivis après l'embauche"), CASE, "case"),
    NavEntry("evaluation:my_feedback", _("Mes retours des personnes"), CASE, "case"),
    NavEntry("evaluation:team_feedback", _("Retours de l'équipe"), MANAGER, "case"),
    NavEntry("privacy:requests", _("Demandes d'effacement ou de rectification"), CASE, "case"),
    NavEntry("home:coordination", _("Accueil coordination"), COORDINATOR, "services"),
    NavEntry("catalogue:public_search", _("Catalogue des services"), ANY_ROLE, "services"),
    NavEntry("catalogue:service_create", _("Nouveau service"), CASE, "services"),
    NavEntry("catalogue:import", _("Importer des services"), IMPORTERS, "services"),
    NavEntry("catalogue:referral_list", _("Orientations"), ANY_ROLE, "services"),
    NavEntry("catalogue:convention_list", _("Conventions de partenariat"), ANY_ROLE, "services"),
    NavEntry("catalogue:convention_create", _("Nouvelle convention"), COORDINATOR, "services"),
    NavEntry("catalogue:coverage", _("Couverture du territoire"), COORDINATOR, "services"),
    NavEntry("market:offer_search", _("Offres d'emploi"), ANY_ROLE, "market"),
    NavEntry("labour:occupation_search", _("Métiers"), ANY_ROLE, "market"),
    NavEntry("market:hiring_list", _("Entreprises susceptibles de recruter"), ANY_ROLE, "market"),
    NavEntry("market:tension_list", _("Tensions du marché"), ANY_ROLE, "market"),
    NavEntry("home:analysis", _("Accueil analyse"), ANALYST, "steering"),
    NavEntry("evaluation:indicator_list", _("Indicateurs"), ANY_ROLE, "steering"),
    NavEntry("evaluation:registry", _("Registre des indicateurs"), ANALYST, "steering"),
    NavEntry("evaluation:experiment_list", _("Expérimentations"), ANALYST, "steering"),
    NavEntry("evaluation:experiment_create", _("Nouvelle expérimentation"), ANALYST, "steering"),
    NavEntry("evaluation:power", _("Calcul de puissance"), ANALYST, "steering"),
    NavEntry("profiling:monitoring", _("Suivi du profilage"), MONITORING, "steering"),
    NavEntry("obligations:fairness", _("Équité des contrôles et sanctions"), MANAGER | ANALYST, "steering"),
    NavEntry("home:administration", _("Accueil administration"), STAFF, "steering"),
    NavEntry("admin:index", _("Administration"), STAFF, "steering"),
    NavEntry("catalogue:notifications", _("Notifications"), ANY_ROLE, "account"),
    NavEntry("accounts:password_change", _("Changer mon mot de passe"), ANY_ROLE, "account"),
    NavEntry("accounts:mfa_setup", _("Double authentification"), ANY_ROLE, "account"),
    NavEntry("accounts:api_tokens", _("Jetons d'API"), ANY_ROLE, "account"),
)


def active_roles(user) -> frozenset[str]:
    """The roles of the user's active memberships (User.active_memberships: one query, cached on the
    user for the request)."""
    return frozenset(role for _, role in user.active_memberships())


def is_allowed(entry: NavEntry, user) -> bool:
    if not user.is_authenticated:
        return False
    if entry.roles == STAFF:
        return user.is_staff
    return bool(entry.roles & active_roles(user))


def navigation_for(user) -> list[dict]:
    """The user's menu: groups in table order, each with its allowed entries (empty groups dropped)."""
    groups: dict[str, list[dict]] = {}
    for entry in NAV:
        if is_allowed(entry, user):
            groups.setdefault(entry.group, []).append({"url": reverse(entry.url_name), "label": entry.label})
    return [{"label": GROUPS[key], "entries": entries} for key, entries in groups.items()]
