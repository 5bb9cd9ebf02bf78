# test_real_clients: the real binary driven by mail clients users will point at it on day one,
# none of which we wrote: curl (plain on mx, STARTTLS + AUTH on submission, implicit TLS on
# submissions, a wrong password, several recipients), msmtp (generated msmtprc, `-t` and
# explicit recipients, STARTTLS and implicit TLS, a sender the account does not own) and
# Python's smtplib `send_message` with a MIME message (non-ASCII subject, binary attachment)
# parsed back from the Maildir. Every client verifies the server certificate against the
# generated local CA (data_dir/tls/ca.pem); the certificate names 127.0.0.1. Each client's
# tests skip when its binary is missing (scripts/deps.sh installs curl and msmtp).
import email
import email.policy
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from email.message import EmailMessage

from estafeta_harness import CLIENT_NAME, PASSWORDS, ServerTestCase, header_block, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
CLIENT_TIMEOUT = 60  # seconds for one client process; its own network timeouts are 10 s
CURLE_LOGIN_DENIED = 67


def crlf_message(marker, sender, to, body=None):
    """A small message with CRLF line ends (the server refuses bare LF in DATA)."""
    body = body if body is not None else f"body of {marker}"
    return (f"From: <{sender}>\r\nTo: {to}\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@client.test>\r\n\r\n{body}\r\n").encode()


def received_fields(stored):
    return [v for n, v in header_block(stored) if n == "received"]


class ClientTestCase(ServerTestCase):
    """A server per class plus a scratch dir for message files and client configs."""

    def setUp(self):
        super().setUp()
        self.scratch = tempfile.mkdtemp(prefix="estafeta-clients-")
        self.addCleanup(shutil.rmtree, self.scratch, ignore_errors=True)

    def write(self, name, data, mode=0o600):
        path = os.path.join(self.scratch, name)
        with open(path, "wb") as f:
            f.write(data)
        os.chmod(path, mode)
        return path

    def run_client(self, cmd, input=None):
        return subprocess.run(cmd, input=input, capture_output=True, timeout=CLIENT_TIMEOUT)

    def assertRan(self, r, what):
        self.assertEqual(r.returncode, 0, f"{what} exited {r.returncode}\nstdout: "
                         f"{r.stdout.decode(errors='replace')}\nstderr: {r.stderr.decode(errors='replace')}")


@unittest.skipUnless(shutil.which("curl"), "curl not installed (scripts/deps.sh)")
class Curl(ClientTestCase):

    def curl(self, url, sender, rcpts, message, *args):
        msg = self.write(unique("msg") + ".eml", message)
        cmd = ["curl", "--silent", "--show-error", "--verbose", "--max-time", "20",
               "--connect-timeout", "10", "--url", url, "--mail-from", sender]
        for r in rcpts:
            cmd += ["--mail-rcpt", r]
        cmd += ["--upload-file", msg, *args]
        return self.run_client(cmd)

    @staticmethod
    def url(scheme, port):
        # The URL path is the name curl gives in EHLO (without one it makes one up).
        return f"{scheme}://127.0.0.1:{port}/{CLIENT_NAME}"

    def tls_args(self, user=None, password=None):
        args = ["--cacert", self.server.ca_path()]
        if user is not None:
            args += ["--user", f"{user}:{password}"]
        return args

    def test_plain_send_on_mx(self):
        marker = unique("curl-plain")
        body = f"body of {marker}\r\n.\r\n..two dots\r\n.one dot\r\nend"  # curl dot-stuffs
        r = self.curl(self.url("smtp", self.server.mx), "curl@remote.test", [ALICE],
                      crlf_message(marker, "curl@remote.test", ALICE, body))
        self.assertRan(r, "curl")
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(f"\r\n\r\n{body}\r\n".encode()), stored)
        self.assertIn(b"Return-Path: <curl@remote.test>", stored)
        received = received_fields(stored)[0]
        self.assertRegex(received, r"\bwith ESMTP\b")
        self.assertTrue(received.startswith(f"from {CLIENT_NAME} "), received)

    def test_lf_file_with_crlf_option(self):
        # A file with Unix line ends goes through when curl converts them (--crlf).
        marker = unique("curl-lf")
        message = crlf_message(marker, "curl@remote.test", ALICE).replace(b"\r\n", b"\n")
        r = self.curl(self.url("smtp", self.server.mx), "curl@remote.test", [ALICE],
                      message, "--crlf")
        self.assertRan(r, "curl")
        self.assertIn(f"body of {marker}\r\n".encode(), self.server.read_one(self, ALICE, marker))

    def test_starttls_auth_on_submission(self):
        marker = unique("curl-587")
        r = self.curl(self.url("smtp", self.server.submission), ALICE, [BOB],
                      crlf_message(marker, ALICE, BOB), "--ssl-reqd",
                      *self.tls_args(ALICE, PASSWORDS[ALICE]))
        self.assertRan(r, "curl")
        self.assertIn(b"STARTTLS", r.stderr)
        stored = self.server.read_one(self, BOB, marker)
        received = received_fields(stored)[0]
        self.assertRegex(received, r"\bwith ESMTPSA\b")
        self.assertIn(f"authenticated user {ALICE}", received)

    def test_implicit_tls_on_submissions(self):
        marker = unique("curl-465")
        r = self.curl(self.url("smtps", self.server.submissions), BOB, [ALICE],
                      crlf_message(marker, BOB, ALICE), *self.tls_args(BOB, PASSWORDS[BOB]))
        self.assertRan(r, "curl")
        self.assertNotIn(b"STARTTLS", r.stderr)
        stored = self.server.read_one(self, ALICE, marker)
        self.assertRegex(received_fields(stored)[0], r"\bwith ESMTPSA\b")

    def test_wrong_password_is_login_denied(self):
        marker = unique("curl-badpw")
        r = self.curl(self.url("smtp", self.server.submission), ALICE, [BOB],
                      crlf_message(marker, ALICE, BOB), "--ssl-reqd",
                      *self.tls_args(ALICE, "not-the-password"))
        self.assertEqual(r.returncode, CURLE_LOGIN_DENIED,
                         f"curl exit code\n{r.stderr.decode(errors='replace')}")
        self.assertIn(b"< 535", r.stderr)
        self.assertEqual(self.server.find(BOB, marker), [])

    def test_wrong_password_on_submissions(self):
        marker = unique("curl-badpw465")
        r = self.curl(self.url("smtps", self.server.submissions), ALICE, [BOB],
                      crlf_message(marker, ALICE, BOB), *self.tls_args(ALICE, "wrong"))
        self.assertEqual(r.returncode, CURLE_LOGIN_DENIED,
                         f"curl exit code\n{r.stderr.decode(errors='replace')}")
        self.assertEqual(self.server.find(BOB, marker), [])

    def test_multiple_recipients(self):
        marker = unique("curl-multi")
        rcpts = [ALICE, BOB, CAROL]
        r = self.curl(self.url("smtp", self.server.submission), ALICE, rcpts,
                      crlf_message(marker, ALICE, ", ".join(rcpts)), "--ssl-reqd",
                      *self.tls_args(ALICE, PASSWORDS[ALICE]))
        self.assertRan(r, "curl")
        self.assertEqual(len(re.findall(rb"> RCPT TO:", r.stderr)), 3, r.stderr)
        stored = [self.server.read_one(self, rcpt, marker) for rcpt in rcpts]
        # Every recipient reads the same bytes but for the Delivered-To naming them.
        for rcpt, data in zip(rcpts, stored):
            self.assertIn(f"Delivered-To: {rcpt}\r\n".encode(), data)
        bare = {re.sub(rb"Delivered-To: [^\r]*\r\n", b"", data) for data in stored}
        self.assertEqual(len(bare), 1, "every recipient reads the same message")
        self.assertIn(f"(authenticated user {ALICE})", received_fields(stored[0])[0])

    def test_multiple_recipients_on_mx(self):
        marker = unique("curl-multi-mx")
        rcpts = [BOB, CAROL]
        r = self.curl(self.url("smtp", self.server.mx), "curl@remote.test", rcpts,
                      crlf_message(marker, "curl@remote.test", ", ".join(rcpts)))
        self.assertRan(r, "curl")
        for rcpt in rcpts:
            self.server.read_one(self, rcpt, marker)

    def test_unknown_recipient_refused(self):
        marker = unique("curl-unknown")
        r = self.curl(self.url("smtp", self.server.mx), "curl@remote.test",
                      ["nobody@example.test"], crlf_message(marker, "curl@remote.test", ALICE))
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex(r.stderr, rb"< 550")
        self.assertEqual(self.server.find(ALICE, marker), [])


@unittest.skipUnless(shutil.which("msmtp"), "msmtp not installed (scripts/deps.sh)")
class Msmtp(ClientTestCase):

    def msmtprc(self, port, starttls=True, user=ALICE, password=None, sender=None):
        password = PASSWORDS[user] if password is None else password
        lines = ["defaults", "logfile -", "timeout 10", "",
                 "account estafeta",
                 "host 127.0.0.1", f"port {port}", f"domain {CLIENT_NAME}",
                 "tls on", f"tls_starttls {'on' if starttls else 'off'}",
                 f"tls_trust_file {self.server.ca_path()}",
                 "auth on", f"user {user}", f"password {password}",
                 f"from {sender or user}", "",
                 "account default : estafeta", ""]
        return self.write(unique("msmtprc"), "\n".join(lines).encode(), mode=0o600)

    def msmtp(self, rc, message, *args):
        return self.run_client(["msmtp", "-C", rc, "--debug", *args], input=message)

    def lf_message(self, marker, sender, to, cc=None):
        # msmtp reads the message with local line ends and sends CRLF itself.
        head = f"From: <{sender}>\nTo: {to}\n" + (f"Cc: {cc}\n" if cc else "")
        return (head + f"Subject: {marker}\nMessage-ID: <{marker}@client.test>\n\n"
                f"body of {marker}\n.leading dot line\n").encode()

    def check_submitted(self, stored, marker, user):
        # msmtp converted LF to CRLF and dot-stuffed; the server unstuffed.
        self.assertIn(f"body of {marker}\r\n.leading dot line\r\n".encode(), stored)
        received = received_fields(stored)[0]
        self.assertRegex(received, r"\bwith ESMTPSA\b")
        self.assertIn(f"(authenticated user {user})", received)
        self.assertIn(f"from {CLIENT_NAME}", received)

    def test_read_recipients_from_headers_starttls(self):
        marker = unique("msmtp-t")
        rc = self.msmtprc(self.server.submission, starttls=True)
        r = self.msmtp(rc, self.lf_message(marker, ALICE, BOB, cc=CAROL), "-t")
        self.assertRan(r, "msmtp -t")
        self.assertIn(b"STARTTLS", r.stdout + r.stderr)
        for rcpt in (BOB, CAROL):
            stored = self.server.read_one(self, rcpt, marker)
            self.check_submitted(stored, marker, ALICE)
            self.assertIn(f"Return-Path: <{ALICE}>".encode(), stored)

    def test_explicit_recipient_starttls(self):
        marker = unique("msmtp-rcpt")
        rc = self.msmtprc(self.server.submission, starttls=True, user=BOB)
        r = self.msmtp(rc, self.lf_message(marker, BOB, "undisclosed-recipients:;"), ALICE)
        self.assertRan(r, "msmtp rcpt")
        self.check_submitted(self.server.read_one(self, ALICE, marker), marker, BOB)

    def test_implicit_tls_on_submissions(self):
        marker = unique("msmtp-465")
        rc = self.msmtprc(self.server.submissions, starttls=False, user=CAROL)
        r = self.msmtp(rc, self.lf_message(marker, CAROL, ALICE), "-t")
        self.assertRan(r, "msmtp -t (implicit TLS)")
        self.assertNotIn(b"STARTTLS", r.stdout + r.stderr)
        self.check_submitted(self.server.read_one(self, ALICE, marker), marker, CAROL)

    def test_sender_not_owned_refused(self):
        marker = unique("msmtp-notmine")
        rc = self.msmtprc(self.server.submission, starttls=True, user=ALICE, sender=BOB)
        r = self.msmtp(rc, self.lf_message(marker, BOB, CAROL), CAROL)
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        out = (r.stdout + r.stderr).decode(errors="replace")
        self.assertRegex(out, r"\b553 5\.7\.1\b", out)
        self.assertEqual(self.server.find(CAROL, marker), [])

    def test_wrong_password_refused(self):
        marker = unique("msmtp-badpw")
        rc = self.msmtprc(self.server.submission, starttls=True, user=ALICE, password="wrong-one")
        r = self.msmtp(rc, self.lf_message(marker, ALICE, BOB), BOB)
        self.assertNotEqual(r.returncode, 0)
        self.assertRegex((r.stdout + r.stderr).decode(errors="replace"), r"\b535\b")
        self.assertEqual(self.server.find(BOB, marker), [])


class SmtplibMime(ClientTestCase):
    SUBJECT = "Grüße aus Zürich – ünïcødé ✉ " + "lang " * 12  # long: folded when encoded

    def test_send_message_with_attachment_round_trips(self):
        marker = unique("smtplib-mime")
        attachment = bytes(range(256)) * 37 + b"\r\n.\r\n\x00end"
        msg = EmailMessage()
        msg["From"] = ALICE
        msg["To"] = BOB
        msg["Subject"] = self.SUBJECT
        msg["Message-ID"] = f"<{marker}@client.test>"
        msg.set_content(f"Hallo Bob, ünïcødé body.\n.\nmarker {marker}\n")
        msg.add_attachment(attachment, maintype="application", subtype="octet-stream",
                           filename="données.bin")
        with self.server.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            refused = s.send_message(msg)
        self.assertEqual(refused, {})
        stored = self.server.read_one(self, BOB, marker)
        parsed = email.message_from_bytes(stored, policy=email.policy.default)
        self.assertEqual(parsed["Subject"], self.SUBJECT)
        self.assertEqual(parsed["Message-ID"], f"<{marker}@client.test>")
        parts = list(parsed.iter_attachments())
        self.assertEqual(len(parts), 1)
        self.assertEqual(parts[0].get_filename(), "données.bin")
        self.assertEqual(parts[0].get_content(), attachment)
        body = parsed.get_body(preferencelist=("plain",)).get_content()
        self.assertIn("ünïcødé body.", body)
        self.assertIn(f"\n.\nmarker {marker}", body.replace("\r\n", "\n"))
        self.assertRegex(received_fields(stored)[0], r"\bwith ESMTPSA\b")


if __name__ == "__main__":
    unittest.main()
