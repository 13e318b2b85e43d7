"""Background work of the communication log: sending messages."""

from django.tasks import task


@task
def deliver_message(message_id: int) -> str:
    """Send one queued message; a retry of a message already claimed does nothing."""
    from rapport.communications.services import message_deliver

    return message_deliver(message_id=message_id).state
