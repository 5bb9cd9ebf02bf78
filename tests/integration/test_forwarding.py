# test_forwarding: alias forwarding to another domain with SRS, between two real Estafeta
# instances on loopback (the pattern of test_outbound_queue.py). "a" has example.test and the
# aliases fwd@example.test -> someone@far.test and loop@example.test -> loop@far.test; "b" has
# far.test (someone@, sender@ and the alias loop@far.test -> loop@example.test); each routes
# the other's domain to it with a static route.
# - mail from sender@far.test to fwd@example.test arrives at b with the envelope sender
#   rewritten into SRS0=...@example.test (SPF at b would check a, the forwarder);
# - a bounce (null sender) sent from b to that SRS address reaches the original sender; a
#   tampered SRS address is refused with 550 5.1.1;
# - the alias loop between the two is stopped when the message first comes back: each forwarded
#   copy leaves with "Delivered-To: <alias>", and a copy that already has it for the alias it
#   would be forwarded for again gets a 5.4.6 "mail forwarding loop" bounce, which finds its way
#   back to the sender through the SRS chain;
# - `estafeta sendmail` applies the same limit (a 5.4.6 bounce, nothing relayed).
# Every wait is bounded.
import re
import smtplib
import time
import unittest

from estafeta_harness import Server, free_port, unique

FAR = "far.test"
SENDER = f"sender@{FAR}"
SOMEONE = f"someone@{FAR}"
LIMIT = 8


def message(marker, to):
    return (f"From: <{SENDER}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@far.test>\r\n\r\nHello via an alias, {marker}.\r\n").encode()


class Forwarding(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server(seed=False, smtp={"max_received_headers": LIMIT})
        cls.a = None
        try:
            cls.b.cli("domain", "add", FAR)
            for u in (SOMEONE, SENDER):
                cls.b.cli("user", "add", u, "--password-stdin", input="far-Secret-1\n")
            cls.b.cli("alias", "add", f"loop@{FAR}", "loop@example.test")
            a_port = free_port([cls.b.mx, cls.b.submission, cls.b.submissions])
            cls.b.settings[2]["routing"] = {"routes": f"example.test = [127.0.0.1]:{a_port}"}
            cls.b.write_config(*cls.b.settings)
            cls.b.start()
            cls.a = Server(smtp={"max_received_headers": LIMIT},
                           listeners={"smtp": ("mx", a_port)},
                           sections={"routing": {"routes": f"{FAR} = [127.0.0.1]:{cls.b.mx}"}})
            cls.a.cli("alias", "add", "fwd@example.test", SOMEONE)
            cls.a.cli("alias", "add", "loop@example.test", f"loop@{FAR}")
            cls.a.start()
        except BaseException:
            for s in (cls.a, cls.b):
                if s:
                    s.stop()
                    s.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            try:
                s.stop()
            finally:
                s.cleanup()

    def wait_for(self, server, address, marker, timeout=40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = server.find(address, marker, wait=False)
            if found:
                with open(found[0], "rb") as f:
                    return f.read()
            time.sleep(0.1)
        self.fail(f"{marker} did not reach {address}\n--- a ---\n{self.a.log_tail()}\n"
                  f"--- b ---\n{self.b.log_tail()}")

    def test_forward_with_srs_and_bounce_back(self):
        marker = unique("fwd")
        with self.a.smtp() as s:
            self.assertEqual(s.sendmail(SENDER, ["fwd@example.test"],
                                        message(marker, "fwd@example.test")), {})
        got = self.wait_for(self.b, SOMEONE, marker)
        m = re.search(rb"Return-Path: <(SRS0=[A-Z2-7]{5}=[A-Z2-7]{2}=far\.test=sender"
                      rb"@example\.test)>", got)
        self.assertIsNotNone(m, got[:600])
        srs = m.group(1).decode()
        # A bounce from b to the SRS address comes back to the original sender.
        bounce = unique("bnc")
        with self.a.smtp() as s:
            self.assertEqual(s.sendmail("", [srs.lower()],
                                        (f"From: MAILER-DAEMON@far.test\r\nSubject: {bounce}\r\n"
                                         f"\r\nyour message bounced\r\n").encode()), {})
        self.wait_for(self.b, SENDER, bounce)
        # A forged one is an unknown user.
        forged = srs.replace("=sender@", "=someone@")
        with self.a.smtp() as s:
            s.ehlo()
            s.mail("")
            code, text = s.rcpt(forged)
            self.assertEqual(code, 550, text)
            self.assertIn(b"5.1.1", text)

    def test_alias_loop_is_stopped(self):
        marker = unique("loop")
        with self.a.smtp() as s:
            self.assertEqual(s.sendmail(SENDER, ["loop@example.test"],
                                        message(marker, "loop@example.test")), {})
        got = self.wait_for(self.b, SENDER, marker, timeout=50.0)
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"5.4.6", got)
        self.assertIn(b"Original-Recipient: rfc822; loop@", got)
        self.assertIn(b"mail forwarding loop for loop@example.test", got)
        # Stopped at its first return, well before the Received limit: the returned header has
        # the two forwards' Delivered-To fields and the refused copy's own.
        self.assertEqual(got.count(b"\r\nDelivered-To: loop@"), 3, got)

    def test_sendmail_applies_the_received_limit(self):
        marker = unique("hop")
        hops = "".join(f"Received: from h{i} by h{i + 1}; Tue, 1 Dec 2026 10:00:00 +0000\n"
                       for i in range(LIMIT + 1))
        self.a.cli("sendmail", "-f", "alice@example.test", f"someone@{FAR}",
                   input=f"{hops}Subject: {marker}\n\nround and round\n")
        got = self.wait_for(self.a, "alice@example.test", marker)
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"5.4.6", got)
        self.assertFalse(self.b.find(SOMEONE, marker, wait=False))


if __name__ == "__main__":
    unittest.main()
