"""Large exports: written by a job to the default storage under EXPORTS_PREFIX, and mailed to the staff member who
asked as a signed link that expires (EXPORT_LINK_LIFETIME).

The file is never served by its storage URL: the prefix is kept out of the media this server serves
(project/files.py), its folder is a random token, and the only way to it is the download view, which checks the
link's signature and age and that the person opening it is the staff member it was sent to, in an admin session.
The job gets the rows' ids (as runs of consecutive ids, so "all orders of March" is one pair), not the admin's
filters, so it writes exactly the rows the staff member saw counted.
"""
import secrets
import tempfile
from collections.abc import Iterator
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q, QuerySet
from django.dispatch import Signal
from django.urls import reverse
from django.utils import timezone

from commerce.accounts.throttle import count

from commerce.notifications.emails import send_once

from .datasets import Dataset
from .writers import write

# Sent on commit when a large export is asked for: tasks.exports enqueues the job that writes it.
export_requested = Signal()  # export_id, dataset, fmt, id_runs, user_id, base_url

_SALT = "commerce.exports.download"
_RUNS_PER_QUERY = 200


def id_runs(ids: Iterator[int]) -> list[list[int]]:
    """Sorted ids as [first, last] runs of consecutive ids."""
    runs: list[list[int]] = []
    for pk in ids:
        if runs and pk == runs[-1][1] + 1:
            runs[-1][1] = pk
        else:
            runs.append([pk, pk])
    return runs


def too_many(user) -> bool:
    """Counts this request: past EXPORT_LARGE_MAX_PER_HOUR a staff member's large exports wait (each holds a worker
    for minutes, and the admin's export buttons are plain links)."""
    return count("large-export", str(user.pk), timedelta(hours=1)) > settings.EXPORT_LARGE_MAX_PER_HOUR


def request_file(dataset: Dataset, queryset: QuerySet, fmt: str, user, base_url: str) -> str:
    """Ask for the file to be written and mailed to `user`; the export's id (also its folder's name)."""
    ids = dataset.of(queryset).order_by("pk").values_list("pk", flat=True).iterator(chunk_size=10_000)
    runs, export_id = id_runs(ids), secrets.token_urlsafe(24)
    transaction.on_commit(lambda: export_requested.send(
        Dataset, export_id=export_id, dataset=dataset.name, fmt=fmt, id_runs=runs, user_id=user.pk,
        base_url=base_url))
    return export_id


def _rows(dataset: Dataset, runs: list[list[int]]) -> Iterator[list]:
    for start in range(0, len(runs), _RUNS_PER_QUERY):
        where = Q()
        for first, last in runs[start:start + _RUNS_PER_QUERY]:
            where |= Q(pk__range=(first, last))
        yield from dataset.rows(dataset.model._default_manager.filter(where))


def write_file(dataset: Dataset, fmt: str, export_id: str, runs: list[list[int]]) -> str:
    """The file's storage name; written once (a retried job finds it there)."""
    name = f"{settings.EXPORTS_PREFIX.strip('/')}/{export_id}/{dataset.name}.{fmt}"
    if not default_storage.exists(name):
        with tempfile.TemporaryFile() as file:
            write(fmt, file, dataset.header, _rows(dataset, runs), title=dataset.name)
            file.seek(0)
            name = default_storage.save(name, File(file, name=name))
    return name


def mail_link(user_id: int, name: str, export_id: str, base_url: str) -> bool:
    """Email the staff member a link to the file; once per export, however often the job runs."""
    user = get_user_model().objects.filter(pk=user_id, is_staff=True, is_active=True).first()
    if user is None:
        return False
    token = signing.TimestampSigner(salt=_SALT).sign_object({"name": name, "user": user.pk})
    url = base_url.rstrip("/") + reverse("export_download", args=[token])
    hours = int(settings.EXPORT_LINK_LIFETIME.total_seconds() // 3600)
    return send_once(f"export:{export_id}", "export_ready", user.email,
                     {"url": url, "filename": name.rsplit("/", 1)[-1], "hours": hours})


def opened(token: str, user) -> File | None:
    """The file a link names, for the staff member it was sent to while it is fresh; None for anything else."""
    try:
        signed = signing.TimestampSigner(salt=_SALT).unsign_object(
            token, max_age=settings.EXPORT_LINK_LIFETIME.total_seconds())
    except signing.BadSignature:  # tampered, or expired (SignatureExpired)
        return None
    name = signed.get("name", "")
    if signed.get("user") != user.pk or not name.startswith(settings.EXPORTS_PREFIX.strip("/") + "/"):
        return None
    if not default_storage.exists(name):
        return None
    return default_storage.open(name, "rb")


def purge_expired() -> int:
    """Delete the files whose links have expired (a day after them, so a link opened at its last minute finishes
    downloading); how many were deleted."""
    prefix = settings.EXPORTS_PREFIX.strip("/")
    if not default_storage.exists(prefix):
        return 0
    before = timezone.now() - settings.EXPORT_LINK_LIFETIME - timedelta(days=1)
    deleted = 0
    for folder in default_storage.listdir(prefix)[0]:
        for filename in default_storage.listdir(f"{prefix}/{folder}")[1]:
            name = f"{prefix}/{folder}/{filename}"
            if default_storage.get_modified_time(name) < before:
                default_storage.delete(name)
                deleted += 1
    return deleted
