# test_smtp_auth_tls: authentication and TLS policy against the real binary. AUTH only after
# TLS (RFC 4954 §4, 538 5.7.11), wrong passwords (535 5.7.8) and the failure limit, mechanism
# errors, submission requiring AUTH (530 5.7.0, RFC 6409) and owning MAIL FROM (553 5.7.1),
# STARTTLS abuse (garbage instead of a handshake; RFC 3207 §5 command injection), the
# per-IP connection limit (421), and --trace logging C:/S: lines without secrets.
import time
import unittest

from estafeta_harness import (HOSTNAME, PASSWORDS, RawClient, ServerTestCase, b64, enhanced,
                              plain_auth, simple_message, unique)

ALICE = "alice@example.test"
BOB = "bob@example.test"


class AuthPolicy(ServerTestCase):
    # AUTH on the mx listener too (smtp.auth_on_mx); no login throttling, so the many wrong
    # passwords from 127.0.0.1 here are neither delayed nor refused (test_auth_throttle).
    SMTP = {"max_auth_failures": 3, "auth_on_mx": True}
    SECTIONS = {"auth": {"max_login_failures": 0}}

    def tls_session(self, kind="submission"):
        c = self.server.raw(kind)
        c.ehlo()
        c.starttls(self.server.tls_context())
        c.ehlo()
        return c

    def implicit_tls_session(self):
        c = RawClient(self.server.submissions)
        c.sock = self.server.tls_context().wrap_socket(c.sock, server_hostname=HOSTNAME)
        self.assertEqual(c.reply()[0], 220)
        c.ehlo()
        return c

    def test_auth_not_advertised_before_tls(self):
        for kind in ("mx", "submission"):
            c = self.server.raw(kind)
            kw = c.ehlo()
            self.assertFalse(any(k.startswith("AUTH") for k in kw), (kind, kw))
            c.close()

    def test_auth_before_starttls_refused(self):
        for kind in ("mx", "submission"):
            c = self.server.raw(kind)
            c.ehlo()
            self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 538, "5.7.11")
            self.assertReply(c.cmd("AUTH LOGIN"), 538, "5.7.11")
            self.assertEqual(c.cmd("NOOP")[0], 250)
            c.close()

    def test_wrong_password(self):
        c = self.tls_session()
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, "wrong-password")), 535, "5.7.8")
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        c.close()

    def test_unknown_account(self):
        c = self.tls_session()
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth("ghost@example.test", "x")), 535, "5.7.8")
        c.close()

    def test_wrong_password_login_mechanism(self):
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd(b64(BOB))[0], 334)
        self.assertReply(c.cmd(b64("not-it")), 535, "5.7.8")
        c.close()

    def test_auth_failure_limit(self):
        c = self.tls_session()
        for _ in range(3):  # max_auth_failures: the third failure is followed by 421, unasked
            self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, "bad")), 535, "5.7.8")
        self.assertReply(c.reply(), 421, "4.7.0")
        self.assertTrue(c.closed_within(5))

    def test_auth_cancelled(self):
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertReply(c.cmd("*"), 501, "5.0.0")  # RFC 4954 §4
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()

    def test_auth_bad_base64(self):
        c = self.tls_session()
        code, lines = c.cmd("AUTH PLAIN !!!not-base64!!!")
        self.assertEqual(code, 501, lines)
        self.assertEqual(enhanced(lines), "5.5.2", lines)
        c.close()

    def test_unknown_mechanism(self):
        c = self.tls_session()
        self.assertReply(c.cmd("AUTH CRAM-MD5"), 504, "5.5.4")
        c.close()

    def test_plain_authzid_cannot_impersonate(self):
        # RFC 4616 §2: authorize as bob with alice's credentials must not yield bob's rights.
        import base64
        token = base64.b64encode(f"{BOB}\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode()
        c = self.tls_session()
        self.assertReply(c.cmd("AUTH PLAIN " + token), 535, "5.7.8")
        c.close()

    def test_overlong_sasl_response(self):
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertReply(c.cmd("QUFB" * 30000), 500, "5.5.2")  # 120 kB: past the line limit
        c.close()
        self.tls_session().close()  # server still serves

    def test_auth_plain_without_initial_response(self):
        c = self.tls_session()
        code, lines = c.cmd("AUTH PLAIN")
        self.assertEqual((code, lines), (334, [""]))  # RFC 4954 §4: empty challenge
        self.assertReply(c.cmd(plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        c.close()

    def test_state_reset_by_starttls(self):
        # RFC 3207 §4.2: after TLS the server forgets the EHLO; MAIL needs a new EHLO first.
        c = self.server.raw("mx")
        c.ehlo()
        c.starttls(self.server.tls_context())
        self.assertReply(c.cmd("MAIL FROM:<x@remote.test>"), 503, "5.5.1")
        c.close()

    def test_starttls_on_implicit_tls(self):
        c = self.implicit_tls_session()
        self.assertReply(c.cmd("STARTTLS"), 503, "5.5.1")  # TLS already active
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()

    def test_auth_twice(self):
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE]))[0], 235)
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 503, "5.5.1")
        c.close()

    def test_submission_without_auth(self):
        c = self.tls_session()
        self.assertReply(c.cmd(f"MAIL FROM:<{ALICE}>"), 530, "5.7.0")
        c.close()

    def test_submissions_without_auth(self):
        c = self.implicit_tls_session()
        self.assertReply(c.cmd(f"MAIL FROM:<{ALICE}>"), 530, "5.7.0")
        c.close()

    def test_mail_from_not_owned(self):
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE]))[0], 235)
        self.assertReply(c.cmd(f"MAIL FROM:<{BOB}>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<alice@elsewhere.test>"), 553, "5.7.1")
        self.assertReply(c.cmd("MAIL FROM:<>"), 553, "5.7.1")
        self.assertEqual(c.cmd(f"MAIL FROM:<{ALICE}>")[0], 250)
        c.close()

    def test_mail_from_owned_variants(self):
        for sender in (ALICE, "Alice@Example.Test", "alice+lists@example.test"):
            c = self.tls_session()
            self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE]))[0], 235)
            self.assertEqual(c.cmd(f"MAIL FROM:<{sender}>")[0], 250, sender)
            c.close()

    def test_authenticated_submission_delivers(self):
        marker = unique("sub")
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE]))[0], 235)
        self.assertEqual(c.cmd(f"MAIL FROM:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{BOB}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker, sender=ALICE, to=BOB) + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        self.assertEqual(len(self.server.find(BOB, marker)), 1)

    def test_no_trace_and_no_secrets_without_flag(self):
        # Without --trace (log_level is debug here) the dialogue is not logged, and no
        # password, right or wrong, appears in the log in any form.
        wrong = "Wrong-But-Real-Looking-9"
        c = self.tls_session()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, wrong))[0], 535)
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE]))[0], 235)
        c.close()
        time.sleep(0.5)
        log = self.server.log_text()
        self.assertNotRegex(log, r"\bC: ")
        for pw in (wrong, PASSWORDS[ALICE]):
            for secret in (pw, plain_auth(ALICE, pw), b64(pw)):
                self.assertNotIn(secret, log)

    # -- STARTTLS abuse ----------------------------------------------------------------------
    def test_garbage_after_starttls(self):
        c = self.server.raw("mx")
        c.ehlo()
        self.assertEqual(c.cmd("STARTTLS")[0], 220)
        c.send(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n" + bytes(range(256)))
        self.assertTrue(c.closed_within(10), "connection not closed after a failed handshake")
        c.close()
        other = self.server.raw("mx")
        self.assertEqual(other.cmd("EHLO other.test")[0], 250)
        other.close()

    def test_starttls_command_injection_discarded(self):
        c = self.server.raw("mx")
        c.ehlo()
        c.send(b"STARTTLS\r\nMAIL FROM:<injected@remote.test>\r\n")
        self.assertEqual(c.reply()[0], 220)
        c.sock = self.server.tls_context().wrap_socket(c.sock, server_hostname=HOSTNAME)
        code, lines = c.cmd("EHLO " + "client.test")
        self.assertEqual(code, 250)
        self.assertTrue(lines[0].startswith(HOSTNAME), f"first reply after TLS was {lines}")
        # The injected MAIL was dropped: a RCPT now has no transaction.
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        c.close()

    def test_starttls_twice(self):
        c = self.tls_session("mx")
        self.assertReply(c.cmd("STARTTLS"), 503, "5.5.1")  # TLS already active
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()

    def test_plain_client_on_implicit_tls_port(self):
        c = RawClient(self.server.submissions)
        c.send(b"EHLO plain.test\r\n")
        self.assertTrue(c.closed_within(10))
        c.close()
        self.implicit_tls_session().close()


class ConnectionLimit(ServerTestCase):
    SMTP = {"max_connections_per_ip": 3}

    def setUp(self):
        super().setUp()
        time.sleep(0.5)  # let the server notice the close of earlier clients and probes

    def test_flood_past_per_ip_limit(self):
        held = [self.server.raw("mx") for _ in range(3)]  # each greeted with 220
        extra = RawClient(self.server.mx)
        code, lines = extra.reply()
        self.assertEqual(code, 421, lines)
        self.assertEqual((enhanced(lines) or "4.")[:2], "4.")
        self.assertTrue(extra.closed_within(5))
        extra.close()
        # The held sessions still work; freeing one admits a new client.
        self.assertEqual(held[0].cmd("NOOP")[0], 250)
        held.pop().close()
        deadline = time.monotonic() + 5
        while True:
            c = RawClient(self.server.mx)
            code, _ = c.reply()
            if code == 220 or time.monotonic() > deadline:
                break
            c.close()
            time.sleep(0.2)
        self.assertEqual(code, 220)
        c.close()
        for h in held:
            h.close()

    def test_limit_counts_across_listeners(self):
        held = [self.server.raw("mx"), self.server.raw("submission"), self.server.raw("mx")]
        extra = RawClient(self.server.submission)
        self.assertEqual(extra.reply()[0], 421)
        extra.close()
        for h in held:
            h.close()


class GlobalConnectionLimit(ServerTestCase):
    SMTP = {"max_connections": 2}

    def test_flood_past_max_connections(self):
        time.sleep(0.5)
        held = [self.server.raw("mx"), self.server.raw("submission")]
        extra = RawClient(self.server.mx)
        code, lines = extra.reply()
        self.assertEqual(code, 421, lines)
        self.assertTrue(extra.closed_within(5))
        extra.close()
        self.assertEqual(held[1].cmd("NOOP")[0], 250)
        for h in held:
            h.close()


class LoopbackPlainAuth(ServerTestCase):
    SMTP = {"allow_plain_auth_on_loopback": True}

    def test_auth_without_tls_from_loopback(self):
        marker = unique("loopauth")
        c = self.server.raw("submission")
        kw = c.ehlo()
        self.assertTrue(any(k.startswith("AUTH") for k in kw), kw)
        self.assertReply(c.cmd("AUTH PLAIN " + plain_auth(ALICE, PASSWORDS[ALICE])), 235, "2.7.0")
        self.assertEqual(c.cmd(f"MAIL FROM:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{BOB}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker, sender=ALICE, to=BOB) + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        self.assertEqual(len(self.server.find(BOB, marker)), 1)


class Trace(ServerTestCase):
    SERVE_ARGS = ("--trace",)

    def tls(self):
        c = self.server.raw("submission")
        c.ehlo()
        c.starttls(self.server.tls_context())
        c.ehlo()
        return c

    def assert_no_secret(self, *passwords):
        time.sleep(0.5)  # let the log writer flush
        log = self.server.log_text()
        for pw in passwords:
            for secret in (pw, plain_auth(ALICE, pw), b64(pw), b64(pw).rstrip("=")):
                self.assertNotIn(secret, log, f"secret {secret!r} in the trace log")
        return log

    def test_trace_logs_dialogue_without_secrets(self):
        pw = PASSWORDS[ALICE]
        c = self.tls()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, pw))[0], 235)
        c.close()
        c = self.tls()
        self.assertEqual(c.cmd("AUTH LOGIN")[0], 334)
        self.assertEqual(c.cmd(b64(ALICE))[0], 334)
        self.assertEqual(c.cmd(b64(pw))[0], 235)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        c.close()
        log = self.assert_no_secret(pw)
        self.assertRegex(log, r"C: ?EHLO client\.test")
        self.assertRegex(log, r"S: ?250[ -]")
        self.assertRegex(log, r"C: ?QUIT")

    def test_trace_redacts_plain_continuation_and_failures(self):
        pw, wrong = PASSWORDS[ALICE], "Typo-of-the-real-Password-7"
        c = self.tls()
        self.assertEqual(c.cmd("AUTH PLAIN")[0], 334)
        self.assertEqual(c.cmd(plain_auth(ALICE, pw))[0], 235)  # response on its own line
        c.close()
        c = self.tls()
        self.assertEqual(c.cmd("AUTH PLAIN " + plain_auth(ALICE, wrong))[0], 535)
        self.assertEqual(c.cmd("AUTH LOGIN " + b64(ALICE))[0], 334)
        self.assertEqual(c.cmd(b64(wrong))[0], 535)
        c.close()
        self.assert_no_secret(pw, wrong)

if __name__ == "__main__":
    unittest.main()
