"""The navigation: one table of entries, each with the roles allowed to use the page.

Each entry mirrors the check of its view (the authorisation matrix tests the views; the navigation
crawl in tests/ux/test_navigation.py checks that every link answers 200 to the roles it is shown to
and that every page a role may open is linked). Adding a page to the menu is one line below.
"""

from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, reverse
from django.utils.functional import Promise
from django.utils.translation import get_language
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


def _allowed(entry: NavEntry, roles: frozenset[str], is_staff: bool) -> bool:
    return is_staff if entry.roles == STAFF else bool(entry.roles & roles)


class MenuEntry(NamedTuple):
    url: str
    label: str


class MenuGroup(NamedTuple):
    label: str
    entries: tuple[MenuEntry, ...]


def navigation_for(user) -> tuple[MenuGroup, ...]:
    """The user's menu: groups in table order, each with its allowed entries (empty groups dropped).

    The menu depends only on the roles, the staff flag, the language and the URL prefix: it is built
    once for each combination (labels translated, URLs reversed) and shared by every request."""
    if not user.is_authenticated:
        return ()
    return _menu(active_roles(user), user.is_staff, get_language(), get_script_prefix())


@receiver(setting_changed)
def _forget_menus(*, setting, **kwargs):
    """A test that changes the URLs or the languages gets menus built again."""
    if setting in {"ROOT_URLCONF", "LANGUAGES", "LANGUAGE_CODE", "FORCE_SCRIPT_NAME"}:
        _menu.cache_clear()


@lru_cache(maxsize=512)
def _menu(roles: frozenset[str], is_staff: bool, language: str | None, prefix: str) -> tuple[MenuGroup, ...]:
    groups: dict[str, list[MenuEntry]] = {}
    for entry in NAV:
        if _allowed(entry, roles, is_staff):
            groups.setdefault(entry.group, []).append(MenuEntry(reverse(entry.url_name), str(entry.label)))
    return tuple(MenuGroup(str(GROUPS[key]), tuple(entries)) for key, entries in groups.items())
