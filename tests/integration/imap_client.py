# imap_client: a raw IMAP line client for the integration tests, for what imaplib hides or
# refuses: exact bytes on the wire, pipelining, literals sent without waiting for "+",
# untagged responses that arrive while idle, STARTTLS with data already queued. Responses are
# read whole: a line ending in a literal {n} is joined with its n octets and the line after
# it, so one "response" is one logical IMAP response. Every read is bounded by a deadline.
# The socket, line reading and close detection are line_client.LineClient's.
import re
import time

from line_client import TIMEOUT, Closed, LineClient  # noqa: F401 (Closed: for the tests)

LITERAL = re.compile(rb"\{(\d+)\+?\}$")


class ImapRaw(LineClient):
    def __init__(self, port, host="127.0.0.1", ctx=None, greet=True):
        self.tags = 0
        super().__init__(port, host, ctx, greet)

    def greet(self):
        return self.response()

    # -- bytes ---------------------------------------------------------------------------------
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
        self._start_tls(ctx)
