# estafeta_client: the test-side SMTP pieces shared by the integration tests: a raw line
# client (exact bytes on the wire, multi-line replies, STARTTLS upgrade, close detection),
# reply and header parsing, and message builders. Every read is bounded by TIMEOUT.
import base64
import os
import re
import socket
import ssl
import time

HOSTNAME = "mail.test.example"
CLIENT_NAME = "client.test"
TIMEOUT = 10.0


_open_clients = set()  # strong refs: a test's leftover clients are closed in tearDown, not by GC


def close_all_clients():
    """Closes every RawClient a test left open (called from tearDown and Server.cleanup)."""
    for c in list(_open_clients):
        c.close()


class RawClient:
    """A line client on a plain socket (optionally upgraded to TLS) for exact-byte tests."""

    def __init__(self, port, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port), timeout=TIMEOUT)
        self.buf = b""
        _open_clients.add(self)

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def _line(self):
        deadline = time.monotonic() + TIMEOUT
        while b"\r\n" not in self.buf:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no reply line; have {self.buf!r}")
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; have {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", "replace")

    def reply(self):
        """One complete (possibly multi-line) reply: (code, [text lines])."""
        lines = []
        for _ in range(1000):
            line = self._line()
            if len(line) < 3 or not line[:3].isdigit() or (len(line) > 3 and line[3] not in " -"):
                raise AssertionError(f"malformed reply line {line!r}")
            lines.append(line[4:])
            if len(line) == 3 or line[3] == " ":
                return int(line[:3]), lines
        raise AssertionError("reply with more than 1000 lines")

    def replies(self, n):
        return [self.reply() for _ in range(n)]

    def ehlo(self, name=CLIENT_NAME):
        code, lines = self.cmd("EHLO " + name)
        assert code == 250, (code, lines)
        return [l.upper() for l in lines[1:]]

    def starttls(self, ctx, server_hostname=HOSTNAME):
        code, lines = self.cmd("STARTTLS")
        assert code == 220, (code, lines)
        assert not self.buf, self.buf
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)

    def closed_within(self, seconds=TIMEOUT):
        """True if the server closes (EOF or reset) within `seconds`; discards data read."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.5)
        try:
            while time.monotonic() < deadline:
                try:
                    chunk = self.sock.recv(65536)
                except socket.timeout:
                    continue
                except (ConnectionError, ssl.SSLError, OSError):
                    return True
                if not chunk:
                    return True
                self.buf += chunk
            return False
        finally:
            self.sock.settimeout(TIMEOUT)

    def close(self):
        _open_clients.discard(self)
        try:
            self.sock.close()
        except OSError:
            pass


def enhanced(lines):
    """The RFC 3463 enhanced status code starting the first reply line, or None."""
    m = re.match(r"^([245]\.\d{1,3}\.\d{1,3})\b", lines[0] if lines else "")
    return m.group(1) if m else None


def plain_auth(user, password):
    return base64.b64encode(f"\0{user}\0{password}".encode()).decode()


def b64(text):
    return base64.b64encode(text.encode()).decode()


def simple_message(marker, sender="sender@remote.test", to="alice@example.test", body="Hello.\r\n",
                   extra_headers=""):
    """A small RFC 5322 message with CRLF line ends; `marker` goes into Message-ID and Subject."""
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.test>\r\nDate: Sat, 28 Nov 2026 03:00:00 +0000\r\n"
            f"{extra_headers}\r\n{body}").encode()


def header_block(message):
    """Unfolded headers of a stored message: list of (name lower, value)."""
    head = message.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    head = re.sub(r"\r\n[ \t]+", " ", head)
    out = []
    for line in head.split("\r\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            out.append((name.strip().lower(), value.strip()))
    return out


def unique(prefix="m"):
    return f"{prefix}-{os.getpid()}-{time.monotonic_ns()}"
