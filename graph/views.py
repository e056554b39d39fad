from django.conf import settings
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from graph.schema import schema


def graphql_view():
    """`POST /graphql/`, and `GET` for queries only (Strawberry refuses mutations over GET); GraphiQL when on.

    Exempt from Django's CSRF check: clients authenticate with a bearer token, not a cookie, and Strawberry
    only accepts JSON bodies, which a browser cannot send cross-site without a CORS preflight.
    """
    return csrf_exempt(
        GraphQLView.as_view(
            schema=schema,
            graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
            allow_queries_via_get=True,
        )
    )
