"""schema.graphql is what clients generate their types from: it must be the code's schema, to the byte."""
from pathlib import Path

from django.conf import settings

from graph.management.commands.export_schema import schema_sdl


def test_schema_graphql_is_in_step_with_the_code():
    exported = (Path(settings.BASE_DIR) / "schema.graphql").read_text()
    assert exported == schema_sdl(), "schema.graphql is stale: run `python manage.py export_schema` and commit it"
