"""A query PostgreSQL cancelled at the web statement_timeout (project/database.py), told apart in the logs.

To the client it is what any unexpected failure is (graph.transport.masking.masked): INTERNAL_SERVER_ERROR with a
`requestId`, as the contract's table has no code for it and the client can only retry or ask for less (an
over-wide report window is refused before it runs: SALES_REPORT_MAX_DAYS). In the log the line says it was the
timeout, so that operators see slow queries rather than a bug; the filter sits on the `graph.transport.masking` logger
(settings.LOGGING) and changes nothing else.
"""
import logging

QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement cancelled (statement_timeout or a cancel)


def is_statement_timeout(error: BaseException | None) -> bool:
    """Django's OperationalError over psycopg2's QueryCanceled (read by its SQLSTATE: SQLite has no psycopg2)."""
    while error is not None:
        if getattr(error, "pgcode", None) == QUERY_CANCELED:
            return True
        error = error.__cause__
    return False


class StatementTimeoutFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if is_statement_timeout(error):
            record.msg = f"Database statement timeout: {record.msg}"
        return True
