# test_outbound_queue: the sending MTA end to end with two real Estafeta instances on
# loopback. "a" (the sender) routes the domain far.test to "b" (the receiver) with a static
# route ([routing] routes, no DNS); alice@example.test on "a" submits over 587 with AUTH:
# - mail for bob@far.test arrives in b's mailbox, and a local recipient of the same message
#   in a's (one spool record, local and remote recipients);
# - a recipient b refuses (550 at RCPT) comes back to alice as an RFC 3464 bounce;
# - a destination that is down is deferred (`estafeta queue list` shows it, with the reason),
#   then delivered once it is up and `estafeta queue retry` is run; show/hold/release/delete
#   work on it, and on a message that is gone or an empty ID they fail with a message;
# - `estafeta sendmail` to a remote address leaves through the same queue;
# - without AUTH the MX still refuses relaying.
# Every wait is bounded.
import json
import smtplib
import time
import unittest

from estafeta_harness import PASSWORDS, Server, free_port, unique

ALICE = "alice@example.test"
FAR = "far.test"
BOB_FAR = f"bob@{FAR}"


def message(marker, to):
    return (f"From: <{ALICE}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@example.test>\r\n\r\nHello from a, {marker}.\r\n").encode()


class OutboundQueue(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server()
        try:
            cls.b.cli("domain", "add", FAR)
            cls.b.cli("user", "add", BOB_FAR, "--password-stdin", input="bob-Far-Secret-1\n")
            cls.b.start()
            cls.down_port = free_port([cls.b.mx])
            routes = f"{FAR} = [127.0.0.1]:{cls.b.mx}, down.test = [127.0.0.1]:{cls.down_port}"
            cls.a = Server(sections={"routing": {"routes": routes},
                                     "queue": {"retry_interval": 60}})
            cls.a.start()
        except BaseException:
            cls.b.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in (getattr(cls, "a", None), cls.b):
            if s:
                try:
                    s.stop()
                finally:
                    s.cleanup()

    def submit(self, rcpts, marker):
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            return s.sendmail(ALICE, rcpts, message(marker, rcpts[0]))

    def wait_for(self, server, address, marker, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = server.find(address, marker, wait=False)
            if found:
                with open(found[0], "rb") as f:
                    return f.read()
            time.sleep(0.1)
        self.fail(f"{marker} did not reach {address}\n--- a ---\n{self.a.log_tail()}")

    def queue_list(self):
        return json.loads(self.a.cli("queue", "list", "--json").stdout)

    def test_remote_and_local_recipients(self):
        marker = unique("out")
        self.assertEqual(self.submit([BOB_FAR, ALICE], marker), {})
        got = self.wait_for(self.b, BOB_FAR, marker)
        self.assertIn(b"Return-Path: <alice@example.test>", got)
        self.assertIn(b"with ESMTPS", got)  # opportunistic STARTTLS between a and b
        self.wait_for(self.a, ALICE, marker)

    def test_refused_recipient_bounces(self):
        marker = unique("bnc")
        self.assertEqual(self.submit([f"nobody@{FAR}"], marker), {})
        got = self.wait_for(self.a, ALICE, f"nobody@{FAR}")
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"5.1.1", got)
        self.assertIn(marker.encode(), got)

    def test_down_destination_is_deferred_then_retried(self):
        marker = unique("dwn")
        self.assertEqual(self.submit([f"carol@down.test"], marker), {})
        deadline = time.monotonic() + 20
        entry = None
        while time.monotonic() < deadline and entry is None:
            for e in self.queue_list():
                for r in e.get("recipients", []):
                    if r.get("address") == "carol@down.test" and r.get("state") == "deferred":
                        entry = e
            time.sleep(0.2)
        self.assertIsNotNone(entry, f"not deferred: {self.queue_list()}")
        self.assertIn("127.0.0.1", json.dumps(entry))
        # The destination comes up; the operator asks for a retry.
        c = Server(listeners={"smtp": ("mx", self.down_port)})
        try:
            c.cli("domain", "add", "down.test")
            c.cli("user", "add", "carol@down.test", "--password-stdin", input="carol-Down-1\n")
            c.start()
            self.a.cli("queue", "retry")
            self.wait_for(c, "carol@down.test", marker)
        finally:
            c.stop()
            c.cleanup()

    def test_show_hold_release_delete(self):
        marker = unique("ops")
        self.assertEqual(self.submit(["dave@down.test"], marker), {})
        deadline = time.monotonic() + 20
        qid = None
        while time.monotonic() < deadline and qid is None:
            for e in self.queue_list():
                if any(r["address"] == "dave@down.test" and r["state"] == "deferred"
                       for r in e["recipients"]):
                    qid = e["id"]
            time.sleep(0.2)
        self.assertIsNotNone(qid, self.queue_list())
        shown = json.loads(self.a.cli("queue", "show", qid, "--json").stdout)
        self.assertEqual(shown["auth_user"], ALICE)
        self.assertFalse(shown["recipients"][0]["local"])
        self.assertIn("attempts", shown["recipients"][0])
        self.assertIn("dave@down.test", self.a.cli("queue", "show", qid).stdout)
        self.a.cli("queue", "hold", qid)
        self.assertTrue(json.loads(self.a.cli("queue", "show", qid, "--json").stdout)["held"])
        self.assertIn("(held)", self.a.cli("queue", "list").stdout)
        self.a.cli("queue", "release", qid)
        self.assertFalse(json.loads(self.a.cli("queue", "show", qid, "--json").stdout)["held"])
        self.a.cli("queue", "delete", qid)
        self.assertFalse(any(e["id"] == qid for e in self.queue_list()))
        r = self.a.cli("queue", "show", qid, check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no message", r.stderr)
        for action in ("hold", "release", "retry", "delete"):  # gone, or named by nothing
            for which, why in ((qid, "no message"), ("", "empty ID")):
                if action == "retry" and not which:
                    continue  # `retry` without an ID is every message
                r = self.a.cli("queue", action, which, check=False)
                self.assertEqual(r.returncode, 1, (action, which))
                self.assertIn(why, r.stderr)

    def test_sendmail_to_a_remote_address(self):
        marker = unique("sdm")
        self.a.cli("sendmail", "-f", ALICE, BOB_FAR, input=f"Subject: {marker}\n\nvia sendmail\n")
        self.wait_for(self.b, BOB_FAR, marker)

    def test_relay_still_refused_without_auth(self):
        with self.a.smtp() as s:
            with self.assertRaises(smtplib.SMTPRecipientsRefused):
                s.sendmail("someone@elsewhere.test", [BOB_FAR], b"Subject: x\r\n\r\nx\r\n")


if __name__ == "__main__":
    unittest.main()
