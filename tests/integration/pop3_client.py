# pop3_client: a raw POP3 line client for the integration tests, for what poplib hides:
# exact bytes on the wire, pipelined commands in one write, STLS with data already queued,
# the server closing the connection. Multi-line responses are returned as sent (dot-stuffed
# lines, without the terminating "."). Every read is bounded by a deadline.
import socket
import time

TIMEOUT = 10.0


class Closed(ConnectionError):
    pass


class Pop3Raw:
    def __init__(self, port, host="127.0.0.1", ctx=None, greet=True):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=None)
        self.buf = b""
        self.greeting = self.line() if greet else None

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _fill(self, deadline):
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no complete line; have {self.buf[:300]!r}")
        self.sock.settimeout(min(remaining, TIMEOUT))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError(f"no complete line; have {self.buf[:300]!r}") from None
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

    def cmd(self, text):
        """Sends one command; returns its status line."""
        self.send(text.encode() + b"\r\n" if isinstance(text, str) else text + b"\r\n")
        return self.line()

    def multiline(self, timeout=TIMEOUT):
        """The lines of a multi-line body up to (not including) the terminating ".", as sent."""
        deadline = time.monotonic() + timeout
        out = []
        for _ in range(10_000_000):
            line = self.line(max(0.1, deadline - time.monotonic()))
            if line == b".":
                return out
            out.append(line)
        raise AssertionError("multi-line response without end")

    def long_cmd(self, text):
        """Sends a command with a multi-line answer: (status line, lines) (lines empty on -ERR)."""
        status = self.cmd(text)
        return status, (self.multiline() if status.startswith(b"+OK") else [])

    def login(self, user, password):
        assert self.cmd(f"USER {user}").startswith(b"+OK")
        status = self.cmd(f"PASS {password}")
        assert status.startswith(b"+OK"), status
        return status

    def stls(self, ctx):
        status = self.cmd("STLS")
        assert status.startswith(b"+OK"), status
        assert self.buf == b"", self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=None)

    def closed_within(self, seconds=TIMEOUT):
        """True when the server closes the connection within `seconds` (data before is kept in
        self.buf)."""
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
