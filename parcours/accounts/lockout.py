"""Login lockout (django-axes): per account across addresses, and per address across accounts.

AXES_LOCKOUT_PARAMETERS = ["username"] makes axes count the failures of one account whatever the
address they come from (a slow attack spread over many addresses). This handler adds the other
direction: an address with AXES_IP_FAILURE_LIMIT failures over any accounts within the cool-off
time is locked too, so that one password tried on every account (password spraying) is stopped.
A successful login resets only the failures of the account that logged in (axes'
AXES_RESET_ON_SUCCESS), never those of the address: an attacker cannot clear the address count
by logging in to an account of their own.
"""

import logging

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.db.models import Sum

logger = logging.getLogger(__name__)


class AccountAndAddressHandler(AxesDatabaseHandler):
    def address_failures(self, request) -> int:
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return 0
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0

    def is_address_locked(self, request) -> bool:
        return self.address_failures(request) >= settings.AXES_IP_FAILURE_LIMIT

    def is_locked(self, request, credentials=None) -> bool:
        if super().is_locked(request, credentials):
            return True
        return bool(settings.AXES_LOCK_OUT_AT_FAILURE) and self.is_address_locked(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None or getattr(request, "axes_locked_out", False):
            return
        if settings.AXES_LOCK_OUT_AT_FAILURE and self.is_address_locked(request):
            logger.warning("login lockout of an address after failures over several accounts")
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request, username=None, ip_address=request.axes_ip_address)
