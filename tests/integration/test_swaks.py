# test_swaks: the real binary driven by swaks (Debian package, installed by scripts/deps.sh),
# a client we did not write: a plain send to the mx listener, STARTTLS + AUTH on submission
# and implicit TLS (--tls-on-connect) on submissions, each verifying the server certificate
# against the generated local CA, and the message found in the recipient's Maildir.
import shutil
import subprocess
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"


@unittest.skipUnless(shutil.which("swaks"), "swaks not installed (scripts/deps.sh)")
class Swaks(ServerTestCase):

    def swaks(self, port, marker, *args, sender="swaks@remote.test", to=ALICE):
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(port), "--helo", "swaks.test",
               "--from", sender, "--to", to, "--header", f"Subject: {marker}",
               "--header", f"Message-ID: <{marker}@swaks.test>", "--body", f"body of {marker}",
               "--timeout", "10", *args]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertEqual(r.returncode, 0, f"swaks exited {r.returncode}\n{r.stdout}\n{r.stderr}")
        return r.stdout

    def tls_args(self):
        return ["--tls-verify", "--tls-ca-path", self.server.ca_path(), "--tls-sni", "mail.test.example"]

    def test_plain_send(self):
        marker = unique("swaks-plain")
        out = self.swaks(self.server.mx, marker)
        self.assertIn("250", out)
        stored = self.server.read_one(self, ALICE, marker)
        self.assertIn(f"body of {marker}".encode(), stored)
        self.assertIn(b"Return-Path: <swaks@remote.test>", stored)

    def test_starttls_auth_on_submission(self):
        marker = unique("swaks-587")
        out = self.swaks(self.server.submission, marker, "--tls", *self.tls_args(),
                         "--auth", "PLAIN", "--auth-user", ALICE,
                         "--auth-password", PASSWORDS[ALICE], sender=ALICE, to=BOB)
        self.assertIn("STARTTLS", out)
        self.assertIn("235", out)
        self.server.read_one(self, BOB, marker)

    def test_auth_login_on_submission(self):
        marker = unique("swaks-login")
        self.swaks(self.server.submission, marker, "--tls", *self.tls_args(), "--auth", "LOGIN",
                   "--auth-user", BOB, "--auth-password", PASSWORDS[BOB], sender=BOB, to=ALICE)
        self.server.read_one(self, ALICE, marker)

    def test_implicit_tls_on_submissions(self):
        marker = unique("swaks-465")
        out = self.swaks(self.server.submissions, marker, "--tls-on-connect", *self.tls_args(),
                         "--auth", "PLAIN", "--auth-user", BOB,
                         "--auth-password", PASSWORDS[BOB], sender=BOB, to=ALICE)
        self.assertIn("235", out)
        self.server.read_one(self, ALICE, marker)

    def test_pipelining(self):
        marker = unique("swaks-pipe")
        self.swaks(self.server.mx, marker, "--pipeline")
        self.server.read_one(self, ALICE, marker)

    def test_wrong_password_fails(self):
        cmd = ["swaks", "--server", "127.0.0.1", "--port", str(self.server.submission), "--tls",
               "--from", ALICE, "--to", BOB, "--auth", "PLAIN", "--auth-user", ALICE,
               "--auth-password", "not-the-password", "--timeout", "10"]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("535", r.stdout)


if __name__ == "__main__":
    unittest.main()
