# test_auth_throttle: login throttling, AUTH on the MX listener, temporary failures and log
# escaping against the real binary. Failed logins from 127.0.0.1 are answered later and later
# (auth.max_login_failures, auth/proto/auth_login_throttle.hpp), then refused with
# 454 4.7.0 without a password check; each failure logs one fail2ban-matchable line. The MX
# listener offers AUTH only with smtp.auth_on_mx. An account database that cannot be read
# (here: replaced by a directory) gives 454 4.7.0, never 535. A user name with CR/LF cannot
# forge a log line.
# Every class has its own server: a refusal covers the whole client address 127.0.0.1.
import os
import re
import time
import unittest

from estafeta_harness import (PASSWORDS, ServerTestCase, b64, plain_auth)

ALICE = "alice@example.test"
# The throttle's first delay and its doubling (auth_login_throttle.hpp: 250 ms, x2, max 4 s).
FIRST_DELAY = 0.25


class TlsSessions:
    def tls_session(self, kind="submission"):
        c = self.server.raw(kind)
        c.ehlo()
        c.starttls(self.server.tls_context())
        return c, c.ehlo()

    def wait_log(self, pattern, count, timeout=5.0):
        """The server log's lines matching `pattern` once `count` of them are there (or the
        deadline passed): the log line may be written just after the reply."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [l for l in self.server.log_text().splitlines() if re.search(pattern, l)]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines
            time.sleep(0.05)


class SlowerThenRefused(TlsSessions, ServerTestCase):
    SMTP = {"max_auth_failures": 10}
    SECTIONS = {"auth": {"max_login_failures": 4, "login_failure_window": 120}}

    def test_failures_are_delayed_then_refused(self):
        c, _ = self.tls_session()
        elapsed = []
        for i in range(4):
            start = time.monotonic()
            self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, f"wrong-{i}")), 535, "5.7.8")
            elapsed.append(time.monotonic() - start)
        # Lower bounds only: each answer waited at least the throttle's delay, which doubles.
        for i, took in enumerate(elapsed):
            self.assertGreaterEqual(took, FIRST_DELAY * 2 ** i * 0.9, elapsed)
        # The 4th failure started the refusal: even the right password is not checked now.
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])),
                         (454, ["4.7.0 Too many failed logins, try again later"]))
        c.close()
        # The refusal covers the address: another account from 127.0.0.1, new session, LOGIN.
        c, _ = self.tls_session()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd(b64("bob@example.test"))[0], 334)
        self.assertEqual(c.cmd(b64(PASSWORDS["bob@example.test"])),
                         (454, ["4.7.0 Too many failed logins, try again later"]))
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()
        failed = self.wait_log(r'auth failed: user="alice@example\.test" address=127\.0\.0\.1 '
                               r'protocol=smtp$', 4)
        self.assertEqual(len(failed), 4, failed)
        throttled = self.wait_log(r'auth throttled: user="[a-z]+@example\.test" '
                                  r'address=127\.0\.0\.1 protocol=smtp reason=address '
                                  r'retry_after=\d+s$', 2)
        self.assertEqual(len(throttled), 2, throttled)


class AuthNotOnMx(TlsSessions, ServerTestCase):
    def test_mx_has_no_auth_by_default(self):
        c, kw = self.tls_session("mx")
        self.assertFalse(any(k.startswith("AUTH") for k in kw), kw)
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])),
                         (503, ["5.5.1 Error: authentication not enabled"]))
        self.assertEqual(c.cmd("AUTH LOGIN"), (503, ["5.5.1 Error: authentication not enabled"]))
        c.close()
        c = self.server.raw("mx")  # nor before TLS
        c.ehlo()
        self.assertEqual(c.cmd("AUTH LOGIN"), (503, ["5.5.1 Error: authentication not enabled"]))
        c.close()

    def test_submission_still_has_auth(self):
        c, kw = self.tls_session("submission")
        self.assertIn("AUTH PLAIN LOGIN", kw)
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        c.close()


class AuthOnMxWhenAsked(TlsSessions, ServerTestCase):
    SMTP = {"auth_on_mx": True}

    def test_mx_offers_auth(self):
        c, kw = self.tls_session("mx")
        self.assertIn("AUTH PLAIN LOGIN", kw)
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        c.close()


class LogInjection(TlsSessions, ServerTestCase):
    def test_user_name_with_crlf_is_one_log_line(self):
        evil = "evil\r\n2026-01-01 fake line"
        c, _ = self.tls_session()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd(b64(evil))[0], 334)
        self.assertReply(c.cmd(b64("whatever")), 535, "5.7.8")
        c.close()
        lines = self.wait_log("fake line", 1)
        self.assertEqual(len(lines), 1, lines)
        self.assertIn('auth failed: user="evil\\x0d\\x0a2026-01-01 fake line" '
                      'address=127.0.0.1 protocol=smtp', lines[0])
        log = self.server.log_text()
        self.assertNotIn("\r", log)
        self.assertFalse(any(l.startswith("2026-01-01 fake") for l in log.splitlines()))


class DatabaseUnreachable(TlsSessions, ServerTestCase):
    def test_unreadable_database_is_a_temporary_failure(self):
        # accounts.db is moved away and a directory takes its place while the server runs:
        # the pooled connections to the old file are dropped, the new path cannot be opened,
        # and the login gets 454 4.7.0, not 535. Put back, the same login succeeds.
        db = os.path.join(self.server.data_dir, "accounts.db")
        moved = db + ".moved-by-test"
        c, _ = self.tls_session()  # TLS first: the handshake needs nothing from the database
        os.rename(db, moved)
        try:
            os.mkdir(db)
            self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])),
                             (454, ["4.7.0 Temporary authentication failure"]))
            self.assertEqual(c.cmd("NOOP")[0], 250)
            c.close()
        finally:
            if os.path.isdir(db):
                os.rmdir(db)
            os.rename(moved, db)
        c, _ = self.tls_session()
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        c.close()
        self.assertNotIn("auth failed:", self.server.log_text())


if __name__ == "__main__":
    unittest.main()
