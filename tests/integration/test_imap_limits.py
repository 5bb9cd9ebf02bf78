# test_imap_limits: hostile input to the IMAP server is bounded and answered (issue 7): an
# overlong command line, literals over the limit refused before any "+" (NO [TOOBIG]), a
# LITERAL+ too large, too many BAD commands ending in BYE, search keys nested too deeply or too
# many, huge and malformed sequence sets, too many sessions of one account
# (imap.max_connections_per_user), failed logins throttled by the shared layer with one
# fail2ban-style log line each, and the RFC 9051 §5.4 autologout of at least 30 minutes, checked
# as a configuration fact (docs and `config check`) instead of by waiting.
import os
import re
import socket
import subprocess
import time
import unittest

from estafeta_harness import PASSWORDS, Server, ServerPerTest, ServerTestCase, binary, unique
from imap_client import Closed, ImapRaw

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class LimitCase(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def raw(self, user=ALICE):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(c)
        if user:
            c.login(user, PASSWORDS[user])
        return c

    def wait_log(self, pattern, count, timeout=5.0):
        deadline = time.monotonic() + timeout
        while True:
            lines = [l for l in self.server.log_text().splitlines() if re.search(pattern, l)]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


class Input(LimitCase):

    def test_overlong_line(self):
        c = self.raw()
        c.send(b"a1 NOOP " + b"x" * (70 * 1024) + b"\r\n")
        r = c.response()
        # imap_limits.hpp: past 64 KiB "BAD Command line too long" (tagged or, when the tag
        # cannot be trusted, untagged).
        self.assertIn(r, (b"a1 BAD Command line too long", b"* BAD Command line too long"), r)
        # The session goes on (or ends with BYE); it never hangs.
        try:
            u, t = c.cmd("NOOP", timeout=5)
            self.assertTrue(t.startswith(b"OK"), t)
        except Closed:
            pass

    def test_literal_over_append_limit_refused_without_continuation(self):
        c = self.raw()
        c.send(f"a1 APPEND INBOX {{{60 * 1024 * 1024}}}\r\n")
        r = c.response()
        # RFC 7889 / RFC 9051 §7.1: NO [TOOBIG] instead of "+", so the client sends nothing.
        self.assertEqual(r, b"a1 NO [TOOBIG] Message too large")
        u, t = c.cmd("NOOP")
        self.assertTrue(t.startswith(b"OK"), t)

    def test_literal_over_limit_outside_append(self):
        c = self.raw(user=None)
        c.send(f"a1 LOGIN {{{1024 * 1024}}}\r\n")
        self.assertEqual(c.response(), b"a1 NO [TOOBIG] Literal too large")
        u, t = c.cmd("NOOP")
        self.assertTrue(t.startswith(b"OK"), t)

    def test_search_nesting_and_count(self):
        c = self.raw()
        c.ok("SELECT INBOX")
        u, t = c.cmd("SEARCH " + "(" * 40 + "ALL" + ")" * 40)
        self.assertEqual(t, b"BAD Search keys nested too deeply")
        u, t = c.cmd("SEARCH " + "NOT " * 40 + "ALL")
        self.assertEqual(t, b"BAD Search keys nested too deeply")
        u, t = c.cmd("SEARCH " + "OR " * 40 + "ALL " * 41)
        self.assertEqual(t, b"BAD Search keys nested too deeply")
        u, t = c.cmd("SEARCH " + "ALL " * 1001)
        self.assertEqual(t, b"BAD Too many search keys")
        # Within the limits: answered.
        u, t = c.cmd("SEARCH " + "(" * 10 + "ALL" + ")" * 10)
        self.assertTrue(t.startswith(b"OK"), t)

    def test_huge_sequence_sets(self):
        c = self.raw()
        box = unique("seq")
        c.ok(f"CREATE {box}")
        data = b"Subject: s\r\n\r\nx\r\n"
        for _ in range(3):
            c.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        c.ok(f"SELECT {box}")
        u, t = c.cmd("FETCH 1:4294967295 (UID)")
        self.assertTrue(t.startswith(b"OK") or t.startswith(b"BAD"), t)
        if t.startswith(b"OK"):
            self.assertEqual(u, [b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 2)", b"* 3 FETCH (UID 3)"])
        u, t = c.cmd("UID FETCH 1:4294967295 (UID)")
        self.assertTrue(t.startswith(b"OK"), t)
        self.assertEqual(u, [b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 2)", b"* 3 FETCH (UID 3)"])
        u, t = c.cmd("UID SEARCH UID 4294967295:1")
        self.assertEqual(u, [b"* SEARCH 1 2 3"])
        u, t = c.cmd("UID STORE 1:4294967295 +FLAGS.SILENT (\\Seen)")
        self.assertTrue(t.startswith(b"OK"), t)
        # Past 2^32-1 and 0 are not numbers of RFC 9051 §9 (nz-number, uniqueid).
        for bad in ("4294967296", "0", "1:0", "-1", "1:*:2"):
            u, t = c.cmd(f"UID FETCH {bad} (UID)")
            self.assertTrue(t.startswith(b"BAD"), (bad, t))
        ranges = ",".join(str(2 * i + 1) for i in range(10001))
        u, t = c.cmd(f"UID FETCH {ranges} (UID)")
        self.assertEqual(t, b"BAD Too many ranges in sequence set")
        # Within the limit, many ranges still answer.
        ranges = ",".join(f"{i}:{i + 1}" for i in range(1, 5000, 2))
        u, t = c.cmd(f"UID FETCH {ranges} (UID)")
        self.assertTrue(t.startswith(b"OK"), t)

    def test_too_many_fetch_items_and_flags(self):
        c = self.raw()
        c.ok("SELECT INBOX")
        u, t = c.cmd("FETCH 1 (" + " ".join(["UID"] * 101) + ")")
        self.assertEqual(t, b"BAD Too many FETCH items")
        u, t = c.cmd("STORE 1 +FLAGS (" + " ".join(f"k{i}" for i in range(101)) + ")")
        self.assertEqual(t, b"BAD Too many flags")


class BadCommands(LimitCase):
    SECTIONS = {"imap": {"max_bad_commands": 5}}

    def test_too_many_bad_commands_bye(self):
        c = self.raw()
        got = []
        for i in range(5):
            c.send(f"b{i} NOSUCHCOMMAND\r\n")
            got.append(c.response())
            if got[-1].startswith(b"* BYE"):
                break
        self.assertTrue(all(g.startswith(b"b") and b" BAD " in g for g in got[:4]), got)
        # imap.max_bad_commands = 5: the fifth BAD is followed by BYE and the close.
        rest = []
        try:
            for _ in range(3):
                rest.append(c.response(timeout=5))
        except (Closed, TimeoutError):
            pass
        self.assertIn(b"* BYE Too many invalid IMAP commands.", got + rest)
        self.assertTrue(c.closed_within(5))


class NonSyncLiteral(ServerPerTest):
    """Own server: this input once aborted the whole process."""

    def test_nonsync_literal_over_limit(self):
        # RFC 7888 §4: a LITERAL+ literal over the limit cannot be refused before it arrives:
        # the server answers NO [TOOBIG] (or BAD) and must not take its octets for commands.
        self.server = Server(listeners=IMAP_LISTENERS)
        self.server.start()
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(c.close)
        c.login(ALICE, PASSWORDS[ALICE])
        c.send(f"a1 APPEND INBOX {{{60 * 1024 * 1024}+}}\r\n".encode() + b"a2 LOGOUT\r\n" + b"z" * 4096)
        try:
            r = c.response()
        except Closed:
            self.fail("connection closed without an answer\n" + self.server.log_tail(3))
        self.assertTrue(r.startswith(b"a1 NO [TOOBIG]") or r.startswith(b"a1 BAD") or r.startswith(b"* BYE"), r)
        # "a2 LOGOUT" was literal data: it must not be executed as a command.
        try:
            more = c.response(timeout=2)
        except (TimeoutError, Closed):
            more = b""
        self.assertFalse(more.startswith(b"a2 "), more)
        time.sleep(0.2)
        self.assertTrue(self.server.running(), self.server.log_tail(5))
        # Other sessions still served.
        d = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(d.close)
        d.login(ALICE, PASSWORDS[ALICE])


class PerUser(LimitCase):
    SECTIONS = {"imap": {"max_connections_per_user": 2}}

    def test_third_session_of_one_account_refused(self):
        a, b = self.raw(BOB), self.raw(BOB)
        c = self.raw(user=None)
        u, t = c.cmd(f'LOGIN "{BOB}" "{PASSWORDS[BOB]}"')
        self.assertTrue(t.startswith(b"NO [UNAVAILABLE] ") or t.startswith(b"NO [LIMIT] "), t)
        # Another account is not affected.
        c2 = self.raw(user=None)
        c2.login(CAROL, PASSWORDS[CAROL])
        log = self.wait_log(r"bob@example\.test has too many sessions open \(imap\.max_connections_per_user\)", 1)
        self.assertEqual(len(log), 1, log)
        # When one session ends, the account may log in again (bounded wait for the close).
        a.ok("LOGOUT")
        deadline = time.monotonic() + 5
        while True:
            d = self.raw(user=None)
            u, t = d.cmd(f'LOGIN "{BOB}" "{PASSWORDS[BOB]}"')
            if t.startswith(b"OK") or time.monotonic() > deadline:
                break
            d.close()
            time.sleep(0.1)
        self.assertTrue(t.startswith(b"OK"), t)


class PerUserAbruptClose(LimitCase):
    SECTIONS = {"imap": {"max_connections_per_user": 2}}

    def test_sessions_dropped_without_logout_free_their_slots(self):
        a, b = self.raw(BOB), self.raw(BOB)
        a.ok("SELECT INBOX")
        a.send("i1 IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+ "))
        a.close()  # no DONE, no LOGOUT: the connection just goes
        b.close()
        deadline = time.monotonic() + 5
        while True:
            c = self.raw(user=None)
            u, t = c.cmd(f'LOGIN "{BOB}" "{PASSWORDS[BOB]}"')
            if t.startswith(b"OK") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(t.startswith(b"OK [CAPABILITY "), t)
        d = self.raw(BOB)
        d.ok("NOOP")


class PerAddress(LimitCase):
    SECTIONS = {"imap": {"max_connections_per_ip": 3}}

    def test_fourth_connection_from_one_address_refused(self):
        held = [self.raw(user=None) for _ in range(3)]
        self.assertTrue(all(c.greeting.startswith(b"* OK ") for c in held))
        # On 143 (plaintext until STARTTLS) the refusal is one BYE line; the count is per
        # address across listeners.
        c = ImapRaw(self.server.imap_port, greet=False)
        self.clients.append(c)
        self.assertEqual(c.response(), b"* BYE [UNAVAILABLE] Too many connections from your address")
        self.assertTrue(c.closed_within(5))
        # On 993 nothing may be sent in clear: the connection is closed before any TLS.
        k = socket.create_connection(("127.0.0.1", self.server.imaps_port), timeout=5)
        try:
            self.assertEqual(k.recv(1000), b"")
        finally:
            k.close()
        # When one goes, a new one is served (bounded wait for the server to see the close).
        held[0].ok("LOGOUT")
        deadline = time.monotonic() + 5
        while True:
            d = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context(), greet=False)
            self.clients.append(d)
            g = d.response()
            if g.startswith(b"* OK ") or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertTrue(g.startswith(b"* OK "), g)


class Throttle(LimitCase):
    SECTIONS = {"auth": {"max_login_failures": 3, "login_failure_window": 120},
                "imap": {"max_auth_failures": 10}}

    def test_failed_logins_logged_and_throttled(self):
        c = self.raw(user=None)
        for i in range(3):
            u, t = c.cmd(f'LOGIN "{CAROL}" "wrong-{i}"', timeout=30)
            self.assertTrue(t.startswith(b"NO [AUTHENTICATIONFAILED] "), t)
        # The shared throttle now refuses this address without checking the password.
        u, t = c.cmd(f'LOGIN "{CAROL}" "{PASSWORDS[CAROL]}"', timeout=30)
        self.assertFalse(t.startswith(b"OK"), t)
        self.assertTrue(t.startswith(b"NO [UNAVAILABLE] ") or t.startswith(b"NO [AUTHENTICATIONFAILED] "), t)
        failed = self.wait_log(r'auth failed: user="carol@example\.test" address=127\.0\.0\.1 protocol=imap$', 3)
        self.assertEqual(len(failed), 3, failed)
        throttled = self.wait_log(r'auth throttled: user="carol@example\.test" address=127\.0\.0\.1 '
                                  r'protocol=imap reason=\w+ retry_after=\d+s$', 1)
        self.assertEqual(len(throttled), 1, throttled)


class SessionAuthFailures(LimitCase):
    SECTIONS = {"imap": {"max_auth_failures": 2}, "auth": {"max_login_failures": 50}}

    def test_bye_after_max_auth_failures(self):
        c = self.raw(user=None)
        u, t = c.cmd(f'LOGIN "{BOB}" "nope-1"', timeout=30)
        self.assertTrue(t.startswith(b"NO [AUTHENTICATIONFAILED] "), t)
        c.send(f'a9 LOGIN "{BOB}" "nope-2"\r\n')
        got = []
        try:
            for _ in range(3):
                got.append(c.response(timeout=30))
        except (Closed, TimeoutError):
            pass
        self.assertIn(b"* BYE Too many invalid authentication attempts.", got)
        self.assertTrue(c.closed_within(5))


class Autologout(unittest.TestCase):
    """RFC 9051 §5.4: the autologout timer of an authenticated session is at least 30 minutes.
    Checked as configuration facts, not by waiting half an hour."""

    def config_check(self, text):
        import tempfile
        with tempfile.TemporaryDirectory(prefix="estafeta-it-") as d:
            path = os.path.join(d, "estafeta.toml")
            with open(path, "w") as f:
                f.write(f'data_dir = "{d}/data"\nhostname = "mail.test.example"\n' + text)
            return subprocess.run([binary(), "-c", path, "config", "check"], capture_output=True,
                                  text=True, timeout=60)

    def test_default_is_at_least_30_minutes(self):
        with open(os.path.join(REPO, "docs", "CONFIG.md")) as f:
            rows = [l for l in f if l.startswith("| `autologout` |")]
        self.assertEqual(len(rows), 1, rows)
        default = int(re.search(r"\| `(\d+)` \|", rows[0]).group(1))
        self.assertGreaterEqual(default, 1800)
        self.assertIn("1800-", rows[0])

    def test_shorter_than_30_minutes_refused(self):
        r = self.config_check("[imap]\nautologout = 1799\n")
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("imap.autologout: expected a number of seconds 1800-86400", r.stderr)
        r = self.config_check("[imap]\nautologout = 1800\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.config_check("")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_idle_session_not_dropped_after_login_timeout(self):
        # The pre-login timeout (login_timeout) must not apply to an authenticated IDLE:
        # with login_timeout = 5 s (the least) an IDLE survives 7 s (bounded).
        from estafeta_harness import Server
        s = Server(listeners=IMAP_LISTENERS, sections={"imap": {"login_timeout": 5}})
        try:
            s.start()
            c = ImapRaw(s.imaps_port, ctx=s.tls_context())
            try:
                c.login(ALICE, PASSWORDS[ALICE])
                c.ok("SELECT INBOX")
                c.send("i1 IDLE\r\n")
                self.assertTrue(c.line().startswith(b"+ "))
                self.assertFalse(c.closed_within(7), c.buf)
                c.send("DONE\r\n")
                u, t = c.until_tagged("i1")
                self.assertTrue(t.startswith(b"i1 OK"), t)
                # And a session that never logs in is closed after login_timeout.
                d = ImapRaw(s.imaps_port, ctx=s.tls_context())
                self.assertTrue(d.closed_within(12))
                d.close()
            finally:
                c.close()
            s.stop()
        finally:
            s.cleanup()


if __name__ == "__main__":
    unittest.main()
