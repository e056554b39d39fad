"""A webhook receiver: a small HTTP server in a thread on a free port, as an integration would run one.

It verifies each delivery's signature with commerce.signing.verify against the secrets the test gives it, answers
from a script of replies (then 200), and counts TCP connections as well as requests, so a test can show that a
refused address got no packet at all.
"""
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from commerce import signing


@dataclass
class Received:
    path: str
    headers: dict  # lower-case names
    body: bytes
    verified: bool

    @property
    def json(self):
        return json.loads(self.body)


class Receiver:
    def __init__(self, host: str = "127.0.0.1"):
        self.received: list[Received] = []
        self.replies: list[tuple[int, bytes, dict]] = []  # answered in order, then 200
        self.secrets: list[str] = []
        self.connections = 0
        self.lock = threading.Lock()
        self.server = self._server(host)
        self.port = self.server.server_address[1]
        self.url = f"http://{host}:{self.port}/hook"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        self.replies.append((status, body, headers or {}))

    def _server(self, host: str) -> ThreadingHTTPServer:
        receiver = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def verify_request(self, request, client_address):
                with receiver.lock:
                    receiver.connections += 1
                return True

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                try:
                    signing.verify(self.headers.get(signing.HEADER), body, receiver.secrets)
                    verified = True
                except signing.BadSignature:
                    verified = False
                with receiver.lock:
                    receiver.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()},
                                                      body, verified))
                    status, answer, headers = receiver.replies.pop(0) if receiver.replies else (200, b"thanks", {})
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                try:
                    self.wfile.write(answer)
                except OSError:  # the client stopped reading (the size cap): as a real receiver would see it
                    pass

            def log_message(self, *args):
                pass

        return Server((host, 0), Handler)
