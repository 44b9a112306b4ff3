"""The JSON API under /api/v1/: one django-ninja Router per app, same actions as the UI."""

import re

import ninja.openapi.schema
from csp.constants import UNSAFE_INLINE
from csp.decorators import csp_update
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.http import Http404
from django.utils import translation
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.schema import NinjaGenerateJsonSchema

from parcours.accounts.api_auth import BrowserSessionAuth, TokenAuth
from parcours.cases.locking import ConcurrentEditError
from parcours.cases.models import InvalidTransition
from parcours.organisations.communes import CommuneError

# Swagger UI (the /api/v1/docs page, served from ninja's static files) sets inline styles and draws
# its icons as data: images: its page alone gets those two exceptions to the CSP.
_SWAGGER_CSP = {"style-src": [UNSAFE_INLINE], "img-src": ["data:"]}


def _swagger_policy(view):
    return csp_update(_SWAGGER_CSP)(csp_update(_SWAGGER_CSP, REPORT_ONLY=True)(view))


class QualifiedNames(NinjaGenerateJsonSchema):
    """Component names of nested classes carry their outer class: `Person.Status` is published as
    `PersonStatus`, `Appointment.Status` as `AppointmentStatus`. django-ninja merges the components
    of every operation into one table by their short name, so two enums both called `Status` would
    overwrite each other and the schema would lie for all but one of them. The sanction procedure's
    top-level `Status` is published as `ProcedureStatus` (the person's keeps `Status`)."""

    # Top-level classes whose short name another enum also has.
    RENAMED = {"parcours.obligations.models.Status": "parcours.obligations.models.ProcedureStatus"}

    def get_defs_ref(self, core_mode_ref):
        core_ref, mode = core_mode_ref
        name, _, ident = core_ref.partition(":")
        if name in self.RENAMED:
            core_ref = f"{self.RENAMED[name]}:{ident}"
        if "[" not in core_ref:
            # module.Outer.Inner:id -> module.OuterInner:id (module names are lower case)
            core_ref = re.sub(r"\.([A-Z]\w*)\.([A-Z]\w*)(:\d+)$", r".\1\2\3", core_ref)
        return super().get_defs_ref((core_ref, mode))


# django-ninja reads its generator from this module attribute; it has no setting for it.
ninja.openapi.schema.NinjaGenerateJsonSchema = QualifiedNames

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "candidates": {  # only with a commune that names no commune or several (422)
            "type": "array",
            "description": "Communes to choose from: an unknown or ambiguous commune (422)",
            "items": {
                "type": "object",
                "properties": {
                    "insee_code": {"type": "string"},
                    "name": {"type": "string"},
                    "postcodes": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["insee_code", "name", "postcodes"],
            },
        },
    },
    "required": ["error"],
    "title": "Error",
}
ERRORS = {
    400: "Données refusées par une règle métier",
    401: "Authentification requise",
    403: "Action non permise pour ce rôle",
    404: "Introuvable ou non visible",
    409: "Conflit : transition impossible ou version périmée",
    422: "Paramètres ou corps invalides",
}


class ParcoursAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Every error answer of the exception handlers below, declared on every operation that can
        get it: 401 where authentication is required, 422 where the operation takes input, and 400,
        403, 404 and 409, which the actions and the access module raise, everywhere else."""
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        schema["components"].setdefault("schemas", {})["Error"] = ERROR_SCHEMA
        for item in schema["paths"].values():
            for operation in item.values():
                statuses = {400, 403, 404, 409}
                if operation.get("security"):
                    statuses.add(401)
                if operation.get("parameters") or operation.get("requestBody"):
                    statuses.add(422)
                responses = operation.setdefault("responses", {})
                for status in sorted(statuses):
                    responses.setdefault(
                        status,
                        {
                            "description": ERRORS[status],
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}
                            },
                        },
                    )
        return schema


api = ParcoursAPI(
    title="Parcours API",
    version="1",
    description=(
        "API de Parcours (accompagnement vers et dans l'emploi). Authentification par jeton "
        "(`Authorization: Bearer <jeton>`) ou par la session du navigateur. Les mêmes règles d'accès "
        "que l'interface s'appliquent : ce qui n'est pas visible répond 404."
    ),
    auth=[TokenAuth(), BrowserSessionAuth()],
    urls_namespace="api",
    docs_decorator=_swagger_policy,
)


def _error(request, message, status: int):
    return api.create_response(request, {"error": message}, status=status)


@api.exception_handler(Http404)
def not_found(request, exc):
    return _error(request, "not found", 404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return _error(request, str(exc) or "forbidden", 403)


@api.exception_handler(AuthenticationError)
def unauthenticated(request, exc):
    return _error(request, "authentication required", 401)


@api.exception_handler(ValidationError)
def invalid(request, exc):
    return _error(request, "; ".join(exc.messages), 400)


@api.exception_handler(CommuneError)
def unknown_or_ambiguous_commune(request, exc):
    """A commune that names no commune or several: 422 with the communes to choose from."""
    candidates = [
        {"insee_code": c.insee_code, "name": c.name, "postcodes": c.postcode_codes} for c in exc.candidates
    ]
    with translation.override("en"):  # API messages are in English, for developers
        message = exc.message()
    return api.create_response(request, {"error": message, "candidates": candidates}, status=422)


@api.exception_handler(NinjaValidationError)
def invalid_payload(request, exc):
    details = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', []))}: {err.get('msg', 'invalid')}" for err in exc.errors
    )
    return _error(request, details or "invalid input", 422)


@api.exception_handler(DataError)
def unstorable_value(request, exc):
    """A value that passed the schema but that the database refuses (an out-of-range date or
    offset): the input's fault, not the server's."""
    return _error(request, "a value cannot be stored (out of range)", 422)


@api.exception_handler(InvalidTransition)
def invalid_transition(request, exc):
    return _error(request, str(exc), 409)


@api.exception_handler(ConcurrentEditError)
def conflict(request, exc):
    return _error(request, str(exc) + "; read it again and retry", 409)


@api.exception_handler(HttpError)
def http_error(request, exc):
    return _error(request, str(exc), exc.status_code)


def _register_routers() -> None:
    from parcours.agenda.api import router as agenda_router
    from parcours.cases.api import router as cases_router
    from parcours.cases.person_api import router as people_router
    from parcours.catalogue.api import router as catalogue_router
    from parcours.conversations.api import router as conversations_router
    from parcours.diagnosis.api import router as diagnosis_router
    from parcours.evaluation.api import router as evaluation_router
    from parcours.intake import api as intake_api  # noqa: F401 (adds its operations to the cases routers)
    from parcours.labour.api import router as labour_router
    from parcours.market.api import router as market_router
    from parcours.obligations.api import router as obligations_router
    from parcours.outcomes.api import router as outcomes_router
    from parcours.portal.api import router as me_router
    from parcours.profiling.api import router as profiling_router

    api.add_router("/", people_router)
    api.add_router("/", cases_router)
    api.add_router("/", diagnosis_router)
    api.add_router("/", catalogue_router)
    api.add_router("/", market_router)
    api.add_router("/", labour_router)
    api.add_router("/", profiling_router)
    api.add_router("/", evaluation_router)
    api.add_router("/", outcomes_router)
    api.add_router("/", obligations_router)
    api.add_router("/", agenda_router)
    api.add_router("/", conversations_router)
    api.add_router("/", me_router)


_register_routers()
