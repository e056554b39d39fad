"""`python -m project.serve`: daphne's command line, arguments and all, with two changes to its HTTP.

- A body over the cap (project.gate's) is refused before it is read. Twisted's request reads a whole body,
  spooling one over 100 KB to a temp file, before daphne calls the application, so the gate alone answers a
  100 MB body only once it is on disk. Here a `Content-Length` over the cap is answered 413 as soon as the
  headers are in, and a chunked body is counted as it arrives (it is spooled up to the cap, as before, then
  dropped). The answer is the gate's, with an `X-Request-Id`; the connection then closes, and body bytes still
  in flight are discarded. Under the cap a request is daphne's, byte for byte.
- Its access log keeps paths as project.logs does (daphne's own writes the request line whole, query string and
  tokens included).
- It accepts one connection per wake-up of its listening socket. Processes that share one socket (`--fd`, as
  deploy/supervisord.conf runs them) are all woken by a new connection and race to accept it; Twisted's
  listener accepts up to 100 at a time, so a burst of keep-alive clients (a proxy's upstream pool, wrk) all
  went to whichever process woke first: 322 connections' requests to one process and 0 to the other, measured.
  One at a time, the processes take turns.
- A websocket handshake from an address the socket caps refused a moment ago is answered 403 at once
  (graph.transport.socket_caps.refused_recently), before daphne makes a protocol or an application for it.
- It shuts down gracefully. On SIGTERM (docker stop, supervisord, a rolling restart) it stops listening (processes
  sharing the socket take the new connections; a proxy's next attempt goes to another replica), refuses
  websocket handshakes still arriving on open connections, closes the sockets it holds with 1012 (Service
  Restart, which graphql-ws clients reconnect on, elsewhere), and lets the HTTP requests in flight finish, for
  SHUTDOWN_TIMEOUT seconds at most; then daphne's own shutdown cancels what is left, and the process exits.
  Keep SHUTDOWN_TIMEOUT under the supervisor's patience (supervisord's stopwaitsecs, Docker's stop timeout).
"""
import asyncio
import logging
from urllib.parse import unquote

from daphne.cli import CommandLineInterface
from daphne.http_protocol import HTTPFactory, WebRequest
from daphne.server import Server
from daphne.ws_protocol import WebSocketProtocol
from twisted.internet import reactor  # daphne.server, imported above, installed the asyncio reactor
from twisted.internet import defer, tcp

from graph.transport import request_ids
from project.logs import loggable_path

logger = logging.getLogger("project.serve")
SERVICE_RESTART = 1012  # the websocket close code: graphql-ws clients reconnect on it, to another process
TRY_AGAIN_LATER = 1013  # a user over their cap on sockets (graph.transport.socket_caps): clients retry it


class CappedRequest(WebRequest):
    """daphne's request, with the body cap kept where Twisted reads the body: `gotLength` is called once the
    headers are in, `handleContentChunk` with each piece of the body."""

    _cap = None
    _received = 0
    _refused = False

    def process(self):
        """A websocket handshake from an address refused a socket a moment ago is refused here, before daphne
        builds a protocol and an application for it (graph.transport.socket_caps)."""
        from graph.transport.socket_caps import refused_recently

        if (self.requestHeaders.hasHeader(b"upgrade") and hasattr(self.client, "host")
                and refused_recently(str(self.client.host), _header(self, b"x-forwarded-for"))):
            self.channel.persistent = False
            self.basic_error(403, b"Forbidden", "Too many sockets from this address.")
            return None
        return super().process()

    def gotLength(self, length):
        from project.gate import body_cap  # Django's, set up once daphne has loaded the application
        # The request line is the channel's until the body is in (Twisted sets self.uri only then).
        self._line = self.channel._command, self.channel._path, self.channel._version
        self._cap = body_cap(_path(self._line[1]), self.requestHeaders.getRawHeaders(b"content-type", [None])[0])
        if length is not None and length > self._cap:
            self._refuse()
        else:
            super().gotLength(length)

    def handleContentChunk(self, data):
        if self._refused:
            return
        self._received += len(data)
        if self._received > self._cap:  # only a chunked body: a declared length was checked in gotLength
            self._refuse()
        else:
            super().handleContentChunk(data)

    def requestReceived(self, command, path, version):
        if not self._refused:  # a refused body that ends before the answer is out is not processed
            super().requestReceived(command, path, version)

    def _refuse(self):
        self._refused = True
        if self.content is not None:
            self.content.close()
            self.content = None
        self.requestHeaders.removeHeader(b"expect")  # no "100 Continue" asking for the body refused
        self.channel.persistent = False  # the rest of the body is no next request
        self.method, self.uri, self.clientproto = self._line
        self.path = self.uri.split(b"?", 1)[0]
        if hasattr(self.client, "host"):
            self.client_addr = [str(self.client.host), self.client.port]
        # Answered from the reactor's next turn, not inside Twisted's parsing of the bytes in hand: finishing
        # the request there would leave the channel without a request should those bytes end the body.
        reactor.callLater(0, self._answer_too_large)

    def _answer_too_large(self):
        """Through daphne's own replying, which finishes the request (closing the connection) and logs it."""
        from project.gate import too_large
        status, headers, body = too_large(_path(self.uri), self._cap)
        headers = [*headers, (b"x-request-id", request_ids.new().encode())]
        self.handle_reply({"type": "http.response.start", "status": status, "headers": headers})
        self.handle_reply({"type": "http.response.body", "body": body})


def _header(request, name: bytes) -> str | None:
    value = request.requestHeaders.getRawHeaders(name, [None])[0]
    return value.decode("latin1") if value is not None else None


def _path(target: bytes) -> str:
    """The path of the scope daphne would make of this request target."""
    return unquote(target.split(b"?", 1)[0].decode("ascii", "replace"))


class CappedHTTPFactory(HTTPFactory):
    def buildProtocol(self, addr):
        protocol = super().buildProtocol(addr)
        protocol.requestFactory = CappedRequest
        return protocol


class ProjectWebSocketProtocol(WebSocketProtocol):
    def serverClose(self, code=None):
        """autobahn lets an application close with 1000 or 3000-4999 only (it raises on anything else), so the
        registered codes a client reconnects on, 1012 (Service Restart) and 1013 (Try Again Later), are sent as
        the frame itself, as daphne sends its own 1011."""
        if code in (SERVICE_RESTART, TRY_AGAIN_LATER):
            self.sendCloseFrame(code=code)
        else:
            super().serverClose(code)


class ProjectServer(Server):
    @property
    def ws_factory(self):
        return self._ws_factory

    @ws_factory.setter
    def ws_factory(self, factory):
        """`Server.run` makes daphne's WebSocketFactory itself: its sockets are ours."""
        factory.protocol = ProjectWebSocketProtocol
        self._ws_factory = factory

    @property
    def http_factory(self):
        return self._http_factory

    @http_factory.setter
    def http_factory(self, factory):
        """`Server.run` makes daphne's HTTPFactory itself, with no way to pass another: ours takes its place."""
        self._http_factory = CappedHTTPFactory(self)

    def listen_success(self, port):
        super().listen_success(port)
        self.__dict__.setdefault("ports", []).append(port)
        if isinstance(port, tcp.Port):
            _accept_one_at_a_time(port)

    def kill_all_applications(self):
        """Run at shutdown (a "before shutdown" trigger, which Twisted waits for): drain first, then daphne's."""
        drained = defer.Deferred.fromFuture(asyncio.ensure_future(self.drain()))
        drained.addErrback(lambda failure: logger.error("Draining failed: %s", failure.getErrorMessage()))
        return drained.addCallback(lambda _: self._kill_the_rest())

    async def drain(self) -> None:
        from django.conf import settings

        from graph.transport.socket_caps import SocketCaps

        SocketCaps.draining = True
        for port in self.__dict__.get("ports", ()):
            if hasattr(port, "stopListening"):
                port.stopListening()
        for protocol in list(self.connections):
            if isinstance(protocol, ProjectWebSocketProtocol) and protocol.state == protocol.STATE_OPEN:
                protocol.serverClose(code=SERVICE_RESTART)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.SHUTDOWN_TIMEOUT
        while self._busy() and loop.time() < deadline:
            await asyncio.sleep(0.05)

    def _busy(self) -> bool:
        """A request or socket not yet ended, or its application not yet done (a socket's releases its counts)."""
        for details in list(self.connections.values()):
            application = details.get("application_instance")
            if "disconnected" not in details or (application is not None and not application.done()):
                return True
        return False

    def _kill_the_rest(self):
        """daphne's, past the connections that never had an application (a refused body, until its once a second
        reaping): at shutdown it would fail on them with a KeyError."""
        self.connections = {key: details for key, details in self.connections.items()
                            if "application_instance" in details}
        return super().kill_all_applications()

    def log_action(self, protocol, action, details):
        if isinstance(details.get("path"), str):
            details = {**details, "path": loggable_path(details["path"])}
        super().log_action(protocol, action, details)


def _accept_one_at_a_time(port: tcp.Port) -> None:
    """Twisted's Port accepts `numberAccepts` connections per readable event and grows it under a burst."""
    read = port.doRead

    def doRead():
        port.numberAccepts = 1
        return read()

    port.doRead = doRead


class Serve(CommandLineInterface):
    server_class = ProjectServer


if __name__ == "__main__":
    Serve.entrypoint()
