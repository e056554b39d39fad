from django.core.management.base import BaseCommand

from commerce.carts.demo import seed_checkout


class Command(BaseCommand):
    help = "Add the demo shop's shipping methods and the WELCOME10 voucher (safe to run twice)."

    def handle(self, *args, **options):
        seed_checkout()
        self.stdout.write("Shipping methods and vouchers are in place.")
