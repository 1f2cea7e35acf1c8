"""The gunicorn worker of ``alliancegraph serve``: gunicorn's threaded worker, safe against
slow and idle clients.

gunicorn's ``gthread`` worker keeps idle connections in its event loop, but it gives a new
connection a thread for up to 5 s to wait for its first byte, and once bytes arrive a thread
reads the rest of the request from a blocking socket with no time limit: a few clients that
send nothing, half a request, or headers and no body hold every thread (slowloris). Here a
request is first read ahead, without blocking, into the connection's buffer, and a thread
runs it only once its headers and body are all there (or the buffer is full); until then the
connection waits in the event loop, which closes it after ``client_timeout`` seconds of
silence or ``request_read_timeout`` seconds after its first byte. What a thread still reads
or writes (a body too big to buffer, an answer to a slow reader) goes through a socket whose
blocking calls time out (:class:`ClientSocket`).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

# _DEFER is what ThreadWorker.handle returns to send a connection back to the event loop
from gunicorn.workers.gthread import _DEFER, TConn, ThreadWorker

#: Most bytes of one request read ahead; the rest of a bigger body is read by a thread.
READ_AHEAD_LIMIT = 256 * 1024
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_HEX = b"0123456789abcdefABCDEF"

T = TypeVar("T")


class RequestScan:
    """Whether the bytes read ahead hold a whole HTTP/1.1 request: the headers, then the
    body (``Content-Length`` bytes, or chunks up to the last one and the trailers).

    Incremental (each call goes on where the last one stopped, so a trickling client costs
    no rescans) and lenient: anything malformed counts as whole, for gunicorn's parser to
    answer it.
    """

    def __init__(self) -> None:
        self.pos = 0  # where to go on looking
        self.body = -1  # where the body starts, once the headers are in
        self.length = 0
        self.chunked = False
        self.last_chunk = False
        self.expects_continue = False
        self.whole = False

    def complete(self, buf: bytearray) -> bool:
        if self.whole:
            return True
        if self.body < 0:
            end = buf.find(b"\r\n\r\n", max(self.pos - 3, 0))
            if end < 0:
                self.pos = len(buf)
                return False
            self.body = self.pos = end + 4
            self._read_headers(bytes(buf[:end]))
        if self.whole or not self.chunked:
            self.whole = self.whole or len(buf) - self.body >= self.length
            return self.whole
        while not self.last_chunk:
            eol = buf.find(b"\r\n", self.pos)
            if eol < 0:
                return False
            size = bytes(buf[self.pos:eol]).split(b";", 1)[0].strip()
            if not size or size.strip(_HEX) or len(size) > 16:
                self.whole = True  # malformed
                return True
            if int(size, 16) == 0:
                self.last_chunk, self.pos = True, eol
            else:
                self.pos = eol + 2 + int(size, 16) + 2  # the data, then its CRLF
        # the trailer section after the last chunk (most often empty) ends in an empty line
        self.whole = buf.find(b"\r\n\r\n", self.pos) >= 0
        return self.whole

    def _read_headers(self, head: bytes) -> None:
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name, value = name.strip().lower(), value.strip().lower()
            if name == b"transfer-encoding":
                self.chunked = self.chunked or b"chunked" in value
            elif name == b"content-length":
                if value.isdigit() and len(value) < 19:
                    self.length = int(value)
                else:
                    self.whole = True  # malformed
            elif name == b"expect":
                self.expects_continue = value == b"100-continue"


class ClientSocket(socket.socket):
    """A client connection with the bytes read ahead of gunicorn's parser, whose blocking
    calls wait at most ``client_timeout`` seconds without progress, and whose reads stop at
    ``deadline`` (the end of the current request's ``request_read_timeout``)."""

    def __init__(self, family: int = -1, kind: int = -1, proto: int = -1,
                 fileno: int | None = None) -> None:
        super().__init__(family, kind, proto, fileno)
        self.client_timeout: float | None = None
        self.buffered = bytearray()  # read ahead, not yet handed to gunicorn's parser
        self.scan = RequestScan()
        self.started: float | None = None  # when the first byte of this request came
        self.deadline: float | None = None
        self.continued = False  # this request's 100 Continue is sent
        self.shut = False

    @classmethod
    def adopt(cls, sock: socket.socket, client_timeout: float) -> ClientSocket:
        adopted = cls(fileno=sock.detach())
        adopted.client_timeout = client_timeout
        adopted.setblocking(False)  # as gunicorn had it (in the event loop)
        return adopted

    def settimeout(self, value: float | None) -> None:
        # gunicorn makes the socket blocking to read or write in a thread: here blocking
        # means client_timeout. After shutdown() gunicorn lingers to drain what the client
        # still sends, in its event-loop thread: a client that never closes would stall the
        # whole worker, so that drain only takes what has arrived.
        if self.shut:
            value = 0.0
        elif value is None:
            value = self.client_timeout
        super().settimeout(value)

    def setblocking(self, flag: bool) -> None:
        self.settimeout(None if flag else 0.0)

    def shutdown(self, how: int) -> None:
        super().shutdown(how)
        if how != socket.SHUT_RD:
            self.shut = True
            super().settimeout(0.0)

    def read_ahead(self, limit: int) -> bool:
        """Buffer, without waiting, what the client has sent (up to ``limit`` bytes held);
        False when it closed the connection."""
        super().settimeout(0.0)
        while len(self.buffered) < limit:
            try:
                data = super().recv(min(limit - len(self.buffered), 64 * 1024))
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self.buffered += data
        return True

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.buffered and not flags:
            data = bytes(self.buffered[:bufsize])
            del self.buffered[:bufsize]
            return data
        return self._read(super().recv, bufsize, flags)

    def recv_into(self, buffer: Any, nbytes: int = 0, flags: int = 0) -> int:
        if self.buffered and not flags:
            view = memoryview(buffer).cast("B")
            size = min(nbytes or len(view), len(view), len(self.buffered))
            view[:size] = self.buffered[:size]
            del self.buffered[:size]
            return size
        return self._read(super().recv_into, buffer, nbytes, flags)

    def _read(self, read: Callable[..., T], *args: Any) -> T:
        """``read(*args)``, waiting no later than the deadline (TimeoutError after it: the
        app answers 408 when that happens while it reads the body)."""
        timeout = self.gettimeout()
        if self.deadline is None or timeout == 0.0:
            return read(*args)
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("the request was not sent within request_read_timeout")
        if timeout is not None and timeout <= left:
            return read(*args)
        super().settimeout(left)
        try:
            return read(*args)
        finally:
            super().settimeout(timeout)

    def send(self, data: Any, flags: int = 0) -> int:
        if self.continued and data == _CONTINUE:  # gunicorn's own, once the body is here
            return len(data)
        return super().send(data, flags)

    def sendall(self, data: Any, flags: int = 0) -> None:
        # socket.sendall's timeout would bound the whole answer; client_timeout is a pause
        view = memoryview(data).cast("B")
        sent = 0
        while sent < len(view):
            sent += self.send(view[sent:], flags)


class ReadAheadWorker(ThreadWorker):
    """gunicorn's ``gthread`` worker that gives a connection a thread only for a whole
    request (see the module docstring). Settings ``client_timeout`` and
    ``request_read_timeout`` come from the settings of the gunicorn application."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = getattr(self.app, "settings", None)
        self.client_timeout = getattr(settings, "client_timeout", 10.0)
        self.request_read_timeout = getattr(settings, "request_read_timeout", 60.0)

    def handle(self, conn: TConn) -> Any:
        if self.cfg.is_ssl:  # TLS records cannot be read ahead like this (serve has no TLS)
            return super().handle(conn)
        sock = conn.sock
        if not isinstance(sock, ClientSocket):
            sock = conn.sock = ClientSocket.adopt(sock, self.client_timeout)
        if conn.parser is not None:  # what the parser read past the last request comes first
            sock.buffered[:0] = conn.parser.unreader.take_buffered()
        open_ = sock.read_ahead(READ_AHEAD_LIMIT)
        now = time.monotonic()
        if sock.buffered and sock.started is None:
            sock.started = now
        if not sock.scan.complete(sock.buffered) and len(sock.buffered) < READ_AHEAD_LIMIT:
            if not open_ or (sock.started is not None
                             and now - sock.started > self.request_read_timeout):
                return False  # gunicorn closes it
            if sock.scan.expects_continue and not sock.continued:
                # the client waits for this before it sends its body
                try:
                    if sock.send(_CONTINUE) != len(_CONTINUE):
                        return False
                except OSError:
                    return False
                sock.continued = True
            return _DEFER  # back to the event loop until more comes
        # a whole request (or as much as is buffered): a thread runs it
        sock.deadline = (sock.started or now) + self.request_read_timeout
        sock.started, sock.scan = None, RequestScan()
        conn.data_ready = True  # else gunicorn waits up to 5 s for the bytes read already
        try:
            return super().handle(conn)
        finally:
            sock.deadline, sock.continued = None, False
            if sock.buffered and conn.parser is not None:
                # a pipelined request: where gunicorn looks for one before it polls
                unreader = conn.parser.unreader
                unreader.unread(unreader.take_buffered() + bytes(sock.buffered))
                sock.buffered.clear()

    def finish_request(self, conn: TConn, fs: Future) -> None:
        super().finish_request(conn, fs)
        # gunicorn gives a connection sent back to the event loop `keepalive` seconds; one
        # that is sending a request (or has yet to) gets client_timeout. Each gets now +
        # client_timeout, so the queue stays in expiry order, as murder_pending needs.
        if self.pending_conns and self.pending_conns[-1] is conn:
            conn.timeout = time.monotonic() + self.client_timeout
