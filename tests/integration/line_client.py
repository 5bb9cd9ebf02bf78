# line_client: the raw-socket base of the integration tests' own protocol clients
# (imap_client.ImapRaw, pop3_client.Pop3Raw), for what imaplib and poplib hide: exact bytes
# on the wire, pipelined commands in one write, TLS started with data already queued, the
# server closing the connection. It connects to loopback (optionally in implicit TLS), sends
# bytes, reads CRLF-terminated lines into self.buf, and tells whether the server closes;
# the protocol subclasses read their greeting (greet()) and add the commands. Every read is
# bounded by a deadline (TIMEOUT seconds unless told), so a silent server fails a test instead
# of hanging it.
import socket
import time

TIMEOUT = 10.0


class Closed(ConnectionError):
    pass


class LineClient:
    def __init__(self, port, host="127.0.0.1", ctx=None, greet=True):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=None)
        self.buf = b""
        self.greeting = self.greet() if greet else None

    def greet(self):
        """The server's greeting (a subclass reads it as its protocol frames it)."""
        return self.line()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete response; have {self.buf[:300]!r}")
        self.sock.settimeout(min(remaining, TIMEOUT))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError(f"no complete response; have {self.buf[:300]!r}") from None
        finally:
            self.sock.settimeout(TIMEOUT)
        if not chunk:
            raise Closed(f"connection closed; have {self.buf[:300]!r}")
        self.buf += chunk

    def line(self, timeout=TIMEOUT):
        """One line without its CRLF (bytes)."""
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _start_tls(self, ctx):
        """Wraps the socket after the server's "go ahead" to STARTTLS/STLS; nothing the server
        sent may be left unread (RFC 2595 §4: it would be plaintext injection)."""
        assert not self.buf, self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=None)

    def closed_within(self, seconds=TIMEOUT):
        """True when the server closes the connection within `seconds` (data read before is
        kept in self.buf)."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self._fill(deadline)
            except TimeoutError:
                return False
            except (Closed, OSError):  # an orderly close, a reset, a TLS close_notify
                return True

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
