"""The counselor opens or closes the person's space from the person page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from parcours.cases import access
from parcours.portal import actions
from parcours.portal.models import PersonAccount


def _back(person) -> HttpResponse:
    return redirect(reverse("people:detail", kwargs={"public_id": person.public_id}) + "#portal")


@require_POST
def invite(request: HttpRequest, person_public_id) -> HttpResponse:
    person = access.person_for(request.user, person_public_id)
    access.require_manage_person(request.user, person)
    try:
        actions.invite_person(person, by=request.user)
    except ValidationError:
        messages.error(
            request,
            _(
                "Invitation impossible : ajoutez d'abord une adresse e-mail ou un numéro de mobile à la personne."
            ),
        )
    else:
        messages.success(request, _("Invitation envoyée : la personne peut se connecter avec un code."))
    return _back(person)


@require_POST
def close(request: HttpRequest, person_public_id) -> HttpResponse:
    person = access.person_for(request.user, person_public_id)
    access.require_manage_person(request.user, person)
    account = get_object_or_404(PersonAccount, person=person, is_active=True)
    actions.close_account(account, by=request.user)
    messages.success(request, _("Espace personnel fermé."))
    return _back(person)
