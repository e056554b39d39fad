"""Every operation is priced before it runs and paid for from its client's bucket; every answer says so.

After the caller is known (graph.transport.auth) and page sizes are settled (graph.transport.pagination), the operation's
calculated cost (graph.transport.cost) is checked against GRAPHQL_MAX_COST (MAX_COST_EXCEEDED, with the cost) and taken
from the client's bucket (graph.transport.buckets; THROTTLED with `retryAfter` when it holds too little). Sign-in,
sign-up, password-reset, email-confirmation, two-factor and accountDelete mutations also draw on a small bucket of
their own, always the address's (IP, or the trusted X-Forwarded-For hop) even when a bearer token rides along, so
guessing passwords or codes, minting accounts or mailing links from one address stays slow whatever the per-account
counters say and however many accounts the caller holds. Once the
answer is known, the points it did not use go back, and what it used beyond the requested cost is taken; an
account signed up by the operation starts with a bucket no fuller than its address's.

Every HTTP answer carries `extensions.cost { requestedQueryCost actualQueryCost throttleStatus {...} }`, also
when the operation was refused before it ran (such a refusal still costs a point, so a flood of hostile
documents drains its sender's bucket). A publicly cacheable answer carries the costs only, since a CDN hands
it to every client. Over websockets the points are taken alike but not reported in each message.
"""
from django.conf import settings
from graphql import ExecutionResult, OperationType, get_operation_ast
from strawberry.extensions import SchemaExtension

from graph.core.errors import ApiError
from graph.transport import buckets, cost
from graph.transport.documents import root_field_nodes

# Each costs its address a point of the auth bucket: a password checked (or hashed, for a sign-up), a second-factor
# code tried, or an email sent.
SIGN_IN_FIELDS = frozenset({"tokenCreate", "tokenCreateFromIdToken", "passwordResetRequest", "passwordResetConfirm", "accountRegister",
                            "accountDelete", "twoFactorSetup", "twoFactorConfirm", "twoFactorDisable",
                            "accountConfirmEmail", "accountResendConfirmation"})


class Metering(SchemaExtension):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.planned = None
        self.requested = None
        self.actual = None
        self.status = None

    def on_execute(self):
        context = self.execution_context
        operation = None
        if context.result is None and context.graphql_document is not None:
            operation = get_operation_ast(context.graphql_document, context.operation_name)
        if operation is not None:
            try:
                self._admit(operation)
            except ApiError as refused:
                if operation.operation == OperationType.SUBSCRIPTION:
                    raise  # a subscription ignores a result set here; raising ends it with this error
                response = context.context.response
                if "retryAfter" in refused.extensions and response is not None:
                    response["Retry-After"] = str(refused.extensions["retryAfter"])
                context.result = ExecutionResult(data=None, errors=[refused])
                operation = None
        yield
        if operation is not None and operation.operation != OperationType.SUBSCRIPTION and context.result is not None:
            self.actual = cost.actual_cost(self.planned, context.result.data)
            if self.status is not None and self.actual != self.requested:
                # Unused points go back; a list that held more than it was priced at (a plain list counted as
                # 10 that had more) is paid for now, forced like a refusal: it takes what there is, down to
                # an empty bucket (never below), since the answer has already been served.
                difference = self.actual - self.requested
                self.status = buckets.take(self.status.bucket, self._client(), difference,
                                            force=difference > 0) or self.status
            for user in getattr(context.context, "signed_up", ()):
                self._start_no_fuller_than_the_address(user)

    def _admit(self, operation) -> None:
        context = self.execution_context
        self.planned = cost.plan(context.schema._schema, context.graphql_document, operation, context.variables)
        self.requested = cost.requested_cost(self.planned)
        maximum = settings.GRAPHQL_MAX_COST
        if self.requested > maximum:
            raise ApiError(
                f"This operation would cost {self.requested}, over the maximum of {maximum}.",
                code="MAX_COST_EXCEEDED", maximum=maximum, value=self.requested,
            )
        sign_ins = _count_root_fields(operation, context.graphql_document, SIGN_IN_FIELDS)
        if sign_ins:
            # Always the address's bucket: keyed by a user, each account a caller holds would be a bucket more.
            address = self._client(signed_in=False)
            refuse_if_short(buckets.take(buckets.auth_bucket(), address, sign_ins), "sign-in and password-reset")
        self.status = buckets.take(buckets.cost_bucket(), self._client(), self.requested)
        refuse_if_short(self.status, "query cost")

    def _start_no_fuller_than_the_address(self, user) -> None:
        """A new account's cost bucket starts no fuller than its address's: otherwise each sign-up would be a full
        bucket more for whoever signs up, and a few accounts would run the queries the address is throttled for.
        What the address has spent is taken from the account's bucket too (forced: down to empty, never below)."""
        bucket = buckets.cost_bucket()
        address = buckets.take(bucket, self._client(signed_in=False), 0)
        if address is not None and address.available < bucket.maximum:
            buckets.take(bucket, f"user:{user.pk}", bucket.maximum - address.available, force=True)

    def get_results(self):
        if self.execution_context.context.request is None:
            return {}
        if self.status is None:
            # Refused before its cost was taken (parse, validation, caps, MAX_COST_EXCEEDED, the sign-in
            # bucket): one point, and the status to show.
            self.status = buckets.take(buckets.cost_bucket(), self._client(), 1, force=True)
        report = {"requestedQueryCost": self.requested or 0, "actualQueryCost": self.actual}
        response = self.execution_context.context.response
        public = response is not None and response.get("Cache-Control", "").startswith("public")
        if self.status is not None and not public:
            report["throttleStatus"] = self.status.as_extension()
        return {"cost": report}

    def _client(self, *, signed_in: bool = True) -> str:
        """The caller's bucket key: the signed-in user, else (or when `signed_in` is False) the address."""
        return buckets.client_of(self.execution_context.context, signed_in=signed_in)


def refuse_if_short(status: buckets.Status | None, what: str) -> None:
    if status is not None and not status.taken:
        raise ApiError(
            f"Too many requests ({what}): try again in {status.retry_after} s.",
            code="THROTTLED", retryAfter=status.retry_after,
        )


def _count_root_fields(operation, document, names: frozenset) -> int:
    """How many root fields (aliases each count) are among `names`, through fragments at the root too."""
    return sum(field.name.value in names for field in root_field_nodes(operation.selection_set, document))
