from django.core.management.base import BaseCommand

from commerce.catalog.attribute_json import fold_attribute_json


class Command(BaseCommand):
    help = ("Fold the variants' old free-form JSON attributes into typed attributes and options (what migration "
            "0006 did): adds only what is missing, so it is safe to run again, e.g. after a rolling deploy.")

    def handle(self, *args, **options):
        for line in fold_attribute_json().lines():
            self.stdout.write(line)
