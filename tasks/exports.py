"""Large exports from the admin: written and mailed by a worker, not by the request that asked (commerce.exports)."""
from django.dispatch import receiver
from dramatiq_crontab import cron

from commerce.accounts.exports import CUSTOMERS
from commerce.catalog.exports import PRODUCTS
from commerce.exports import files
from commerce.orders.exports import ORDER_LINES, ORDERS
from tasks.jobs import job

DATASETS = {dataset.name: dataset for dataset in (ORDERS, ORDER_LINES, PRODUCTS, CUSTOMERS)}


@job(time_limit=30 * 60_000)  # a million rows
def write_export(export_id: str, dataset: str, fmt: str, id_runs: list, user_id: int, base_url: str) -> None:
    """Idempotent: the file is written once under the export's id, the email sent once per export."""
    name = files.write_file(DATASETS[dataset], fmt, export_id, id_runs)
    files.mail_link(user_id, name, export_id, base_url)


@cron("41 3 * * *")
@job
def purge_expired_exports() -> None:
    files.purge_expired()


@receiver(files.export_requested)
def _export_requested(sender, export_id: str, dataset: str, fmt: str, id_runs: list, user_id: int, base_url: str,
                      **kwargs) -> None:
    write_export.send(export_id, dataset, fmt, id_runs, user_id, base_url)
