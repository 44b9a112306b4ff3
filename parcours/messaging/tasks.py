"""Background delivery (ids in, idempotent)."""

from django_tasks import task


@task()
def deliver_outbound_message(message_id: int) -> str:
    from parcours.messaging.actions import deliver_message

    return deliver_message(message_id).status
