# test_outbound_transport: the sending MTA's SMTP client transport (smtp::OutboundTransport)
# delivering to a real `estafeta serve` as the receiving MTA, through
# estafeta_outbound_probe (tests/tools/outbound_probe.cpp: the transport without the queue,
# ESTAFETA_OUTBOUND_PROBE). A static route "example.test = [127.0.0.1]:PORT" (no DNS);
# STARTTLS is offered by the receiver with its own generated CA, so opportunistic TLS goes on
# without verification (RFC 7435), while a destination with TLS required defers unless the
# CA is given. Several messages go over one connection. The receiver's submission port
# stands in for a smarthost (AUTH over STARTTLS, certificate verified). The scripted-server cases (550/451
# per recipient, 421, a dropped final reply, a server that is down, IPv6 refused for a missing
# PTR) are src/smtp/smtp_outbound_transport_test.cpp.
import json
import os
import re
import subprocess
import tempfile
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, header_block, simple_message, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"
PROBE_TIMEOUT = 90
CONNECT = re.compile(r" smtp: c\d+ connect from ")


def probe_binary():
    path = os.environ.get("ESTAFETA_OUTBOUND_PROBE", "")
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("ESTAFETA_OUTBOUND_PROBE not set or not executable")
    return path


class OutboundToEstafeta(ServerTestCase):

    def probe(self, messages, rcpts, *extra, route=True, sender="sender@outbound.test"):
        """Runs the probe on `messages` (bytes each) for `rcpts`; the replies, one per recipient
        of each message, in order."""
        probe = probe_binary()
        with tempfile.TemporaryDirectory() as tmp:
            files = []
            for i, m in enumerate(messages):
                path = os.path.join(tmp, f"m{i}.eml")
                with open(path, "wb") as f:
                    f.write(m)
                files.append(path)
            args = [probe, "--domain", "example.test", "--from", sender,
                    "--ehlo", "outbound.test", *extra]
            if route:
                args += ["--route", f"example.test = [127.0.0.1]:{self.server.mx}"]
            for r in rcpts:
                args += ["--rcpt", r]
            out = subprocess.run(args + files, capture_output=True, timeout=PROBE_TIMEOUT)
        self.assertEqual(out.returncode, 0, out.stderr.decode(errors="replace"))
        return [json.loads(line) for line in out.stdout.decode().splitlines() if line.strip()]

    def test_several_messages_over_one_starttls_connection(self):
        markers = [unique("out") for _ in range(3)]
        before = len(CONNECT.findall(self.server.log_text()))
        replies = self.probe([simple_message(m) for m in markers], [ALICE, BOB])
        # One connection carried them all.
        self.assertEqual(len(CONNECT.findall(self.server.log_text())) - before, 1)
        self.assertEqual(len(replies), 6, replies)
        for r in replies:
            self.assertEqual(r["kind"], "delivered", r)
            self.assertEqual(r["code"], 250, r)
            self.assertTrue(r["from_server"], r)
            self.assertEqual(r["remote_host"], "127.0.0.1")
        for m in markers:
            for who in (ALICE, BOB):
                stored = self.server.read_one(self, who, m)
                received = [v for n, v in header_block(stored) if n == "received"][0]
                self.assertIn("outbound.test", received)
                self.assertIn("ESMTPS", received)  # STARTTLS was used

    def test_unknown_recipient_bounced_others_delivered(self):
        marker = unique("mixed")
        replies = self.probe([simple_message(marker)], ["nobody@example.test", ALICE])
        self.assertEqual(len(replies), 2, replies)
        self.assertEqual(replies[0]["kind"], "bounced", replies[0])
        self.assertEqual(replies[0]["code"], 550)
        self.assertTrue(replies[0]["enhanced"].startswith("5.1."), replies[0])
        self.assertEqual(replies[1]["kind"], "delivered", replies[1])
        self.server.read_one(self, ALICE, marker)

    def test_eight_bit_message(self):
        marker = unique("8bit")
        body = "Grüße aus Köln.\r\n".encode()
        msg = simple_message(marker, extra_headers="MIME-Version: 1.0\r\n"
                             "Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Transfer-Encoding: 8bit\r\n") + body
        replies = self.probe([msg], [ALICE])
        self.assertEqual(replies[0]["kind"], "delivered", replies[0])
        stored = self.server.read_one(self, ALICE, marker)
        self.assertIn(body, stored)  # the receiver has 8BITMIME: sent as it is

    def test_tls_required_needs_a_verified_certificate(self):
        marker = unique("req")
        replies = self.probe([simple_message(marker)], [ALICE], "--tls-required")
        self.assertEqual(replies[0]["kind"], "deferred", replies[0])
        self.assertIn("not verified", replies[0]["text"])
        self.assertEqual(self.server.find(ALICE, marker, wait=False), [])
        # With the receiver's CA the certificate (IP address 127.0.0.1) verifies.
        replies = self.probe([simple_message(marker)], [ALICE], "--tls-required",
                             "--ca", self.server.ca_path())
        self.assertEqual(replies[0]["kind"], "delivered", replies[0])
        self.server.read_one(self, ALICE, marker)

    def test_smarthost_with_auth(self):
        marker = unique("smarthost")
        with tempfile.NamedTemporaryFile("w", suffix=".pw") as pw:
            pw.write(PASSWORDS[ALICE] + "\n")
            pw.flush()
            smarthost = ["--smarthost", f"[127.0.0.1]:{self.server.submission}",
                         "--user", ALICE, "--password-file", pw.name]
            # The smarthost's certificate must verify: not without its CA...
            replies = self.probe([simple_message(marker)], [BOB], *smarthost, route=False,
                                 sender=ALICE)
            self.assertEqual(replies[0]["kind"], "deferred", replies[0])
            self.assertIn("not verified", replies[0]["text"])
            # ...and with it, AUTH over STARTTLS, then delivery.
            replies = self.probe([simple_message(marker)], [BOB], *smarthost,
                                 "--ca", self.server.ca_path(), route=False, sender=ALICE)
        self.assertEqual(replies[0]["kind"], "delivered", replies[0])
        stored = self.server.read_one(self, BOB, marker)
        received = [v for n, v in header_block(stored) if n == "received"][0]
        self.assertIn("ESMTPSA", received)


if __name__ == "__main__":
    unittest.main()
