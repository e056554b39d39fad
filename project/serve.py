"""`python -m project.serve`: daphne's command line, arguments and all, with its access log keeping paths as
project.logs does (daphne's own writes the request line whole, query string and tokens included)."""
from daphne.cli import CommandLineInterface
from daphne.server import Server

from project.logs import loggable_path


class PathMaskingServer(Server):
    def log_action(self, protocol, action, details):
        if isinstance(details.get("path"), str):
            details = {**details, "path": loggable_path(details["path"])}
        super().log_action(protocol, action, details)


class Serve(CommandLineInterface):
    server_class = PathMaskingServer


if __name__ == "__main__":
    Serve.entrypoint()
