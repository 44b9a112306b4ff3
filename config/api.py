"""The JSON API under /api/v1/: one django-ninja Router per app, same actions as the UI."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from parcours.accounts.api_auth import BrowserSessionAuth, TokenAuth
from parcours.cases.models import ConcurrentEditError, InvalidTransition

api = NinjaAPI(
    title="Parcours API",
    version="1",
    description=(
        "API de Parcours (accompagnement vers et dans l'emploi). Authentification par jeton "
        "(`Authorization: Bearer <jeton>`) ou par la session du navigateur. Les mêmes règles d'accès "
        "que l'interface s'appliquent : ce qui n'est pas visible répond 404."
    ),
    auth=[TokenAuth(), BrowserSessionAuth()],
    urls_namespace="api",
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


@api.exception_handler(NinjaValidationError)
def invalid_payload(request, exc):
    details = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', []))}: {err.get('msg', 'invalid')}" for err in exc.errors
    )
    return _error(request, details or "invalid input", 422)


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
    from parcours.cases.api import router as cases_router
    from parcours.catalogue.api import router as catalogue_router
    from parcours.diagnosis.api import router as diagnosis_router
    from parcours.evaluation.api import router as evaluation_router
    from parcours.labour.api import router as labour_router
    from parcours.market.api import router as market_router
    from parcours.people.api import router as people_router
    from parcours.profiling.api import router as profiling_router

    api.add_router("/", people_router)
    api.add_router("/", cases_router)
    api.add_router("/", diagnosis_router)
    api.add_router("/", catalogue_router)
    api.add_router("/", market_router)
    api.add_router("/", labour_router)
    api.add_router("/", profiling_router)
    api.add_router("/", evaluation_router)


_register_routers()
