"""Receivers of Django's authentication signals (connected in AccountsConfig.ready)."""

import time

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from parcours.accounts.middleware import LAST_ACTIVITY_KEY


@receiver(user_logged_in, dispatch_uid="accounts_last_activity_at_login")
def stamp_login(sender, request, user, **kwargs):
    """The login starts the inactivity clock, so the first request after it writes no session."""
    if request is not None and hasattr(request, "session"):
        request.session[LAST_ACTIVITY_KEY] = int(time.time())
