"""The person's session: its own key in the session, separate from Django's staff login.

A person is never `request.user`: the staff pages keep seeing an anonymous visitor and redirect
to the staff login, the staff API answers 401. Portal views are wrapped in `person_required`,
which loads the account (404 rules for objects are in parcours.portal.scope)."""

import functools
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from parcours.portal.models import PersonAccount

SESSION_KEY = "portal_account_id"


def login_person(request, account: PersonAccount) -> None:
    """Start a fresh session for the person (a new session key: no fixation)."""
    request.session.flush()
    request.session[SESSION_KEY] = account.pk
    PersonAccount.objects.filter(pk=account.pk).update(last_login_at=timezone.now())


def logout_person(request) -> None:
    request.session.flush()


def current_account(request) -> PersonAccount | None:
    account_id = request.session.get(SESSION_KEY)
    if not account_id:
        return None
    return PersonAccount.objects.select_related("person").filter(pk=account_id, is_active=True).first()


def person_required(view):
    """The person's pages: a logged-in, active account, else the portal login page."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        account = current_account(request)
        if account is None:
            return redirect(f"{reverse('portal:login')}?{urlencode({'next': request.get_full_path()})}")
        request.person_account = account
        request.person = account.person
        return view(request, *args, **kwargs)

    return login_not_required(wrapper)
