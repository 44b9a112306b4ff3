"""Background work of the catalogue: e-mails for notifications (ids in, idempotent)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_notification_emails(notification_ids: list[int]) -> int:
    """E-mail each notification not yet e-mailed. The text names no person: only the service and a link."""
    from parcours.catalogue.models import Notification

    sent = 0
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True).select_related(
        "recipient"
    )
    for notification in pending:
        if not notification.recipient.email:
            continue
        link = f"{settings.SITE_URL}{notification.url}" if notification.url else settings.SITE_URL
        send_mail(
            subject=f"[Parcours] {notification.get_kind_display()}",
            message=f"{notification.message}\n\n{link}",
            from_email=None,
            recipient_list=[notification.recipient.email],
        )
        Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        sent += 1
    logger.info("notification_emails sent=%s", sent)
    return sent
