"""schema.graphql is what clients generate their types from: it must be the code's schema, to the byte."""
from pathlib import Path

from django.conf import settings
from graphql import GraphQLObjectType, build_schema

from graph.management.commands.export_schema import schema_sdl


def test_schema_graphql_is_in_step_with_the_code():
    exported = (Path(settings.BASE_DIR) / "schema.graphql").read_text()
    assert exported == schema_sdl(), "schema.graphql is stale: run `python manage.py export_schema` and commit it"


def test_every_connection_describes_last_as_what_it_does():
    """Strawberry describes `last` as `after`; a connection made without graph.core.types.connection keeps that."""
    schema = build_schema(schema_sdl())
    lasts = {f"{type_.name}.{name}": field.args["last"].description
             for type_ in schema.type_map.values() if isinstance(type_, GraphQLObjectType)
             for name, field in type_.fields.items() if "last" in field.args}
    assert len(lasts) >= 6
    assert {path for path, description in lasts.items() if description != "Returns the last n items from the list."} == set()
