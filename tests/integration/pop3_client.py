# pop3_client: a raw POP3 line client for the integration tests, for what poplib hides:
# exact bytes on the wire, pipelined commands in one write, STLS with data already queued,
# the server closing the connection. Multi-line responses are returned as sent (dot-stuffed
# lines, without the terminating "."). Every read is bounded by a deadline. The socket, line
# reading and close detection are line_client.LineClient's.
import time

from line_client import TIMEOUT, Closed, LineClient  # noqa: F401 (Closed: for the tests)


class Pop3Raw(LineClient):
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
        self._start_tls(ctx)
