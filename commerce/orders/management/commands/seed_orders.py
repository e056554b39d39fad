import sys
import time

from django.core.management.base import BaseCommand

from commerce.orders.demo import seed_orders


class Command(BaseCommand):
    help = "Add N orders placed over past days, with lines, daily counts and customers (for the dashboard's bench)."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, required=True)
        parser.add_argument("--days", type=int, default=365, help="Spread them over this many days back from now.")
        parser.add_argument("--batch", type=int, default=5000, help="Rows per bulk_create.")

    def handle(self, *args, orders: int, days: int, batch: int, **options):
        started = time.monotonic()

        def bar(done: int) -> None:
            width, share = 40, done / orders
            rate = done / max(time.monotonic() - started, 1e-6)
            sys.stderr.write(f"\r[{'#' * int(width * share):<{width}}] {done:,}/{orders:,} orders  {rate:,.0f}/s")
            sys.stderr.flush()

        seeded = seed_orders(orders, days=days, batch=batch, progress=bar)
        sys.stderr.write("\n")
        self.stdout.write(f"Seeded {seeded:,} orders over {days} days in {time.monotonic() - started:.1f} s.")
