"""The national service taxonomy of data·inclusion (package `data-inclusion-schema`, v1).

Codes are never copied here: choices and validators are built from the package's enums, so that
upgrading the package upgrades the taxonomy. Parcours-specific vocabularies (barrier kinds,
modalities, benefits) that the national schema does not have are TextChoices below.
"""

from data_inclusion.schema import v1 as di
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

THEMATIQUE = di.Thematique
CATEGORIE = di.Categorie
PUBLIC = di.Public
TYPE_SERVICE = di.TypeService
FRAIS = di.Frais
MODE_ACCUEIL = di.ModeAccueil
MODE_MOBILISATION = di.ModeMobilisation
PERSONNE_MOBILISATRICE = di.PersonneMobilisatrice

TOUS_PUBLICS = di.Public.TOUS_PUBLICS.value
IN_PERSON = di.ModeAccueil.EN_PRESENTIEL.value
REMOTE = di.ModeAccueil.A_DISTANCE.value


def choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.label) for member in enum]


def labels(enum) -> dict[str, str]:
    return {member.value: member.label for member in enum}


THEMATIQUE_CHOICES = choices(THEMATIQUE)
CATEGORIE_CHOICES = choices(CATEGORIE)
PUBLIC_CHOICES = choices(PUBLIC)
# Publics of the coverage matrix: every public but "tous-publics" (which covers them all).
SPECIFIC_PUBLICS = [value for value, _label in PUBLIC_CHOICES if value != TOUS_PUBLICS]
TYPE_CHOICES = choices(TYPE_SERVICE)
FRAIS_CHOICES = choices(FRAIS)
MODE_ACCUEIL_CHOICES = choices(MODE_ACCUEIL)
MODE_MOBILISATION_CHOICES = choices(MODE_MOBILISATION)
MOBILISABLE_PAR_CHOICES = choices(PERSONNE_MOBILISATRICE)

THEMATIQUE_LABELS = labels(THEMATIQUE)
CATEGORIE_LABELS = labels(CATEGORIE)
PUBLIC_LABELS = labels(PUBLIC)


def category_of(thematique: str) -> str:
    """`mobilite--preparer-un-permis` -> `mobilite`."""
    return thematique.split("--", 1)[0]


class CodeListValidator:
    """Validates a list of codes against one enum of the national taxonomy."""

    def __init__(self, enum):
        self.enum = enum
        self.allowed = frozenset(member.value for member in enum)

    def __call__(self, value) -> None:
        if not isinstance(value, list):
            raise ValidationError(_("Une liste de codes est attendue."), code="invalid")
        unknown = sorted(str(v) for v in value if v not in self.allowed)
        if unknown:
            raise ValidationError(
                _("Code(s) inconnu(s) de la nomenclature %(name)s : %(codes)s"),
                code="invalid_code",
                params={"name": self.enum.__doc__ or self.enum.__name__, "codes": ", ".join(unknown)},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, CodeListValidator) and other.enum is self.enum

    def deconstruct(self):
        # Migrations reference the enum by name; its values live in the package, not in migrations.
        return ("parcours.catalogue.taxonomy.code_list_validator", [self.enum.__name__], {})


def code_list_validator(enum_name: str) -> CodeListValidator:
    return CodeListValidator(getattr(di, enum_name))


def validate_public_codes(value) -> None:
    """`tous-publics` cannot be combined with other publics (rule of the national schema)."""
    if isinstance(value, list) and TOUS_PUBLICS in value and len(value) > 1:
        raise ValidationError(_("« Tous publics » ne peut pas être combiné avec d'autres publics."))


def has_code(field: str, code: str) -> Q:
    """Rows whose JSON list `field` holds `code` — portable on SQLite and PostgreSQL.

    Codes are slugs (letters, digits, hyphens), so the quoted code matches one whole element of the
    serialised list and nothing else."""
    return Q(**{f"{field}__icontains": f'"{code}"'})


def has_code_prefix(field: str, prefix: str) -> Q:
    """Rows whose JSON list holds a code starting with `prefix` (a thematique category)."""
    return Q(**{f"{field}__icontains": f'"{prefix}--'})


class ServiceBarrierKind(models.TextChoices):
    """Peripheral barriers to employment (freins périphériques). The diagnosis app, when installed,
    uses the same codes."""

    HEALTH = "health", _("santé")
    HOUSING = "housing", _("logement")
    MOBILITY = "mobility", _("mobilité")
    FAMILY = "family", _("famille / garde d'enfants")
    FINANCES = "finances", _("finances")
    LANGUAGE = "language", _("langue")
    ADMINISTRATIVE = "administrative", _("démarches administratives")
    JUSTICE = "justice", _("justice")
    DIGITAL = "digital", _("numérique")


# Which thematique categories of the national taxonomy address each barrier: used to derive the
# barriers of imported services (the national schema has no barrier field).
BARRIER_CATEGORIES: dict[str, tuple[str, ...]] = {
    ServiceBarrierKind.HEALTH: (CATEGORIE.SANTE.value,),
    ServiceBarrierKind.HOUSING: (CATEGORIE.LOGEMENT_HEBERGEMENT.value,),
    ServiceBarrierKind.MOBILITY: (CATEGORIE.MOBILITE.value,),
    ServiceBarrierKind.FAMILY: (CATEGORIE.FAMILLE.value,),
    ServiceBarrierKind.FINANCES: (
        CATEGORIE.DIFFICULTES_FINANCIERES.value,
        CATEGORIE.EQUIPEMENT_ET_ALIMENTATION.value,
    ),
    ServiceBarrierKind.LANGUAGE: (CATEGORIE.LECTURE_ECRITURE_CALCUL.value,),
    ServiceBarrierKind.ADMINISTRATIVE: (CATEGORIE.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES.value,),
    ServiceBarrierKind.JUSTICE: (),
    ServiceBarrierKind.DIGITAL: (CATEGORIE.NUMERIQUE.value,),
}
JUSTICE_THEMATIQUE = (
    THEMATIQUE.DIFFICULTES_ADMINISTRATIVES_OU_JURIDIQUES__PRENDRE_EN_COMPTE_UNE_PROBLEMATIQUE_JUDICIAIRE.value
)


def barriers_for_thematiques(thematiques: list[str]) -> list[str]:
    categories = {category_of(t) for t in thematiques}
    found = [kind for kind, cats in BARRIER_CATEGORIES.items() if categories.intersection(cats)]
    if JUSTICE_THEMATIQUE in thematiques:
        found.append(ServiceBarrierKind.JUSTICE.value)
    return [str(k) for k in ServiceBarrierKind.values if k in found]


class Modality(models.TextChoices):
    """How the person receives the service. `in_person` and `remote` are the national modes
    d'accueil; `at_home` is a Parcours extension (not exported)."""

    IN_PERSON = "in_person", _("en présentiel")
    REMOTE = "remote", _("à distance")
    AT_HOME = "at_home", _("à domicile")


class Benefit(models.TextChoices):
    """Entitlements a service may be reserved to (fields of Person)."""

    MINIMUM_INCOME = "minimum_income", _("bénéficiaires du RSA")
    DISABILITY_RECOGNITION = "disability_recognition", _("personnes avec une RQTH")
    PRIORITY_AREA = "priority_area", _("habitant·es d'un quartier prioritaire (QPV)")


def person_benefits(person) -> list[str]:
    return [b for b in Benefit.values if getattr(person, b, False)]
