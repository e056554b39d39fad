"""Email from templates, sent at most once per key.

Each notification has a directory under templates/email/ with `subject.txt`, `body.txt` and `body.html`, so
copy is edited without touching code. `send_once` is what jobs call: they are retried and may run twice, and
the unique key turns the second run into a no-op.
"""
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string

from commerce.notifications.models import SentEmail


def render(template: str, context: dict) -> EmailMultiAlternatives:
    context = {"shop_name": settings.SHOP_NAME, **context}
    subject = " ".join(render_to_string(f"email/{template}/subject.txt", context).split())
    message = EmailMultiAlternatives(subject=subject, body=render_to_string(f"email/{template}/body.txt", context))
    message.attach_alternative(render_to_string(f"email/{template}/body.html", context), "text/html")
    return message


def already_sent(key: str) -> bool:
    return SentEmail.objects.filter(key=key).exists()


def send_once(key: str, template: str, to: str, context: dict, *, attachments=()) -> bool:
    """Send the email unless one with this key was sent; True when it was sent now. `attachments` are
    (filename, content, mimetype) triples.

    The record is written in the same transaction as the send: a failed send rolls it back (so a retry sends),
    and a concurrent run of the same job waits on the unique key and then finds it taken.
    """
    message = render(template, context)
    message.to = [to]
    for filename, content, mimetype in attachments:
        message.attach(filename, content, mimetype)
    try:
        with transaction.atomic():
            SentEmail.objects.create(key=key, recipient=to, subject=message.subject)
            message.send()
    except IntegrityError:
        return False
    return True
