# imap_client: a raw IMAP line client for the integration tests, for what imaplib hides or
# refuses: exact bytes on the wire, pipelining, literals sent without waiting for "+",
# untagged responses that arrive while idle, STARTTLS with data already queued. Responses are
# read whole: a line ending in a literal {n} is joined with its n octets and the line after
# it, so one "response" is one logical IMAP response. Every read is bounded by a deadline.
import re
import socket
import ssl
import time

TIMEOUT = 10.0
LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class Closed(ConnectionError):
    pass


class ImapRaw:
    def __init__(self, port, host="127.0.0.1", ctx=None, greet=True):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        if ctx is not None:
            self.sock = ctx.wrap_socket(self.sock, server_hostname=None)
        self.buf = b""
        self.tags = 0
        self.greeting = self.response() if greet else None

    # -- bytes ---------------------------------------------------------------------------------
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
        deadline = time.monotonic() + timeout
        while b"\r\n" not in self.buf:
            self._fill(deadline)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def response(self, timeout=TIMEOUT):
        """One logical response (bytes, literals inlined with their {n} header kept)."""
        deadline = time.monotonic() + timeout
        out = self.line(timeout)
        for _ in range(10000):
            m = LITERAL.search(out)
            if not m:
                return out
            n = int(m.group(1))
            while len(self.buf) < n:
                self._fill(deadline)
            out += b"\r\n" + self.buf[:n]
            self.buf = self.buf[n:]
            out += self.line(max(0.1, deadline - time.monotonic()))
        raise AssertionError("response with more than 10000 literals")

    # -- commands ------------------------------------------------------------------------------
    def tag(self):
        self.tags += 1
        return f"t{self.tags}"

    def until_tagged(self, tag, timeout=TIMEOUT):
        """Responses up to the tagged one: (list of untagged/continuation lines, tagged line)."""
        deadline = time.monotonic() + timeout
        untagged = []
        t = tag.encode() + b" "
        for _ in range(100000):
            r = self.response(max(0.1, deadline - time.monotonic()))
            if r.startswith(t):
                return untagged, r
            untagged.append(r)
        raise AssertionError("more than 100000 responses")

    def cmd(self, text, timeout=TIMEOUT):
        """Sends one command (text without tag, may contain literals as {n+}); returns
        (untagged, tagged line without the tag) as bytes."""
        tag = self.tag()
        if isinstance(text, str):
            text = text.encode()
        self.send(tag.encode() + b" " + text + b"\r\n")
        untagged, tagged = self.until_tagged(tag, timeout)
        return untagged, tagged[len(tag) + 1:]

    def ok(self, text, timeout=TIMEOUT):
        untagged, tagged = self.cmd(text, timeout)
        if not tagged.startswith(b"OK"):
            raise AssertionError(f"{text!r} -> {tagged!r} (untagged {untagged!r})")
        return untagged, tagged

    def login(self, user, password):
        return self.ok(f'LOGIN "{user}" "{password}"')

    def starttls(self, ctx):
        self.ok("STARTTLS")
        assert not self.buf, self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=None)

    def closed_within(self, seconds=TIMEOUT):
        """True if the server closes within `seconds`; data read is kept in self.buf."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                self._fill(min(deadline, time.monotonic() + 0.5))
            except TimeoutError:
                continue
            except (Closed, ConnectionError, ssl.SSLError, OSError):
                return True
        return False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
