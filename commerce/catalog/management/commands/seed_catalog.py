from django.core.management.base import BaseCommand

from commerce.catalog.demo import DETAILED_PRODUCTS, seed_catalog


class Command(BaseCommand):
    help = "Create a deterministic demo catalog of N products (adds only what is missing; safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument("--products", type=int, default=200)
        parser.add_argument("--detailed", type=int, default=DETAILED_PRODUCTS,
                            help="how many of them to make in Python with every attribute; the rest in bulk SQL "
                                 "(PostgreSQL only)")

    def handle(self, *args, products: int, detailed: int, **options):
        def progress(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        created = seed_catalog(products, progress=progress, detailed=detailed)
        self.stdout.write(f"Seeded {created} new products ({products} wanted).")
