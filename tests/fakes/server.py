"""A payment provider's HTTP API, faked at its boundary: the base every fake provider server subclasses.

A small threaded local server answering the calls our gateway makes with the provider's JSON, so the real client
code (the provider's SDK or ours, pointed here by its *_API_BASE setting) does everything else as in production.
A subclass implements `route(request)`; the base gives it:

    fake.base              the address to put in the gateway's *_API_BASE setting
    fake.calls             every Request received (method, path, query, body, headers), as `record` keeps it
    fake.failing = True    answer 500 to everything, as an outage would
    fake.slow = 2.0        do the work, then answer that many seconds late (a client timeout: was it done?)
    idempotency            a POST repeating `idempotency_header`'s key gets the first answer again (a different
                           body with the same key is refused, as Stripe does)
    fake.reset()           between tests (subclasses clear their own state in `clear()`)
    fake.busy              (requests answered, seconds spent answering them, the slow mode's sleep included):
                           the fake's own share of a caller's time, which bench/checkout.py --gateway sets apart
"""
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    method: str
    path: str
    query: dict
    body: bytes
    headers: dict = field(default_factory=dict)  # lower-case names

    @property
    def json(self):
        return json.loads(self.body or b"{}")

    @property
    def form(self) -> dict:
        return dict(parse_qsl(self.body.decode()))


class FakeServer:
    idempotency_header: str | None = "Idempotency-Key"  # None: the provider keeps no idempotency keys
    outage_reply: tuple[int, object] = (500, {"error": "The provider is having a bad day."})

    def __init__(self):
        self.calls: list = []
        self.failing = False
        self.slow = 0.0
        self.busy = (0, 0.0)
        self._replies: dict[str, tuple[bytes, tuple[int, object]]] = {}
        self.lock = threading.RLock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self._replies.clear()
            self.failing, self.slow = False, 0.0
            self.busy = (0, 0.0)
            self.clear()

    def clear(self) -> None:
        """A subclass forgets what it holds (its orders, transactions, refunds)."""

    def route(self, request: Request) -> tuple[int, object]:
        """(status, JSON-able body) the provider would answer."""
        raise NotImplementedError

    def record(self, request: Request):
        """What `calls` keeps of a request (the Request itself unless a subclass says otherwise)."""
        return request

    def conflict(self, request: Request) -> tuple[int, object]:
        """The answer to a key reused with another body."""
        return 400, {"error": "This idempotency key was used with other parameters."}

    def answer(self, request: Request) -> tuple[int, object]:
        with self.lock:
            self.calls.append(self.record(request))
            if self.failing:
                return self.outage_reply
            key = self.key_of(request)
            if key and request.method == "POST" and key in self._replies:
                body, reply = self._replies[key]
                return reply if body == request.body else self.conflict(request)
            reply = self.route(request)
            if key and request.method == "POST":
                self._replies[key] = (request.body, reply)
            return reply

    def calls_to(self, path: str, method: str | None = None) -> list[Request]:
        return [c for c in self.calls if c.path == path and (method is None or c.method == method)]

    def key_of(self, request: Request) -> str | None:
        return request.headers.get(self.idempotency_header.lower()) if self.idempotency_header else None

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self):
                began = time.perf_counter()
                length = int(self.headers.get("Content-Length") or 0)
                url = urlsplit(self.path)
                request = Request(self.command, url.path, dict(parse_qsl(url.query)),
                                  self.rfile.read(length) if length else b"",
                                  {k.lower(): v for k, v in self.headers.items()})
                status, body = fake.answer(request)
                time.sleep(fake.slow)
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                with fake.lock:
                    count, seconds = fake.busy
                    fake.busy = (count + 1, seconds + time.perf_counter() - began)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _reply

            def log_message(self, *args):
                pass

        return Handler
