from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand


def schema_sdl() -> str:
    from graph.schema import schema

    return schema.as_str() + "\n"


class Command(BaseCommand):
    help = "Write the GraphQL schema to schema.graphql, which clients generate their types from."

    def add_arguments(self, parser):
        parser.add_argument("--path", default=str(Path(settings.BASE_DIR) / "schema.graphql"))

    def handle(self, *args, path: str, **options):
        Path(path).write_text(schema_sdl())
        self.stdout.write(f"Wrote {path}")
