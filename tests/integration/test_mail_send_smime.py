# `estafeta mail send --sign/--encrypt` against a real Estafeta, with certificates from
# `estafeta cert ca/issue/import`: a signed message arrives as multipart/signed that
# `openssl cms -verify` accepts against the CA; an encrypted one as application/pkcs7-mime
# that both the recipient's and the sender's key decrypt (openssl cms -decrypt); signed and
# encrypted decrypts to a verifiable signed message; a recipient without a certificate is an
# error naming the address before anything is sent; --encrypt with Bcc is refused.
import os
import shutil
import subprocess
import unittest

from estafeta_harness import ServerTestCase, binary, unique
from mail_client_support import MailClient


class MailSendSmimeTest(ServerTestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not shutil.which("openssl"):
            raise unittest.SkipTest("openssl is not installed")
        cls.pki = os.path.join(cls.server.tmp, "pki")
        cls.cert("ca", "--out", f"{cls.pki}/ca", "--name", "Mail Test CA")
        for who in ("alice", "bob"):
            cls.cert("issue", "--ca", f"{cls.pki}/ca", "--email", f"{who}@example.test",
                     "--out", f"{cls.pki}/{who}", "--no-passphrase")

    @classmethod
    def cert(cls, *args, store=None):
        cmd = [binary(), "cert"] + (["--store", store] if store else []) + list(args)
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise AssertionError(f"cert {args}: {r.stdout}{r.stderr}")
        return r

    def setUp(self):
        super().setUp()
        self.client = MailClient(self.server, self.server.tmp, imap=False)
        self.store = os.path.join(self.client.env["XDG_DATA_HOME"], "estafeta", "smime")
        if not os.path.isdir(os.path.join(self.store, "own")):
            self.cert("import", f"{self.pki}/alice/alice@example.test.p12", store=self.store)
            self.cert("import", f"{self.pki}/bob/bob@example.test.pem", store=self.store)

    def key(self, who):
        return f"{self.pki}/{who}/{who}@example.test"

    def openssl(self, *args, input=None):
        return subprocess.run(["openssl", "cms", *args], input=input, capture_output=True,
                              timeout=60)

    def test_signed(self):
        marker = unique()
        r = self.client.run("send", "--sign", "--to", "bob@example.test", "--subject", marker,
                            "--no-sent-copy", input=f"signed {marker}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        raw = self.server.read_one(self, "bob@example.test", marker)
        self.assertIn(b"multipart/signed", raw)
        self.assertIn(b"application/pkcs7-signature", raw)
        v = self.openssl("-verify", "-CAfile", f"{self.pki}/ca/ca.pem", input=raw)
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertIn(f"signed {marker}".encode(), v.stdout)

    def test_encrypted_for_recipient_and_sender(self):
        marker = unique()
        r = self.client.run("send", "--encrypt", "--to", "bob@example.test", "--subject", marker,
                            "--no-sent-copy", input=f"secret {marker}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        raw = self.server.read_one(self, "bob@example.test", marker)  # Subject stays outside
        self.assertIn(b"application/pkcs7-mime", raw)
        self.assertNotIn(f"secret {marker}".encode(), raw)
        for who in ("bob", "alice"):
            d = self.openssl("-decrypt", "-inkey", self.key(who) + ".key", "-recip",
                             self.key(who) + ".pem", input=raw)
            self.assertEqual(d.returncode, 0, f"{who}: {d.stderr}")
            self.assertIn(f"secret {marker}".encode(), d.stdout)

    def test_signed_and_encrypted(self):
        marker = unique()
        r = self.client.run("send", "--sign", "--encrypt", "--to", "bob@example.test",
                            "--subject", marker, "--no-sent-copy", input=f"both {marker}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        raw = self.server.read_one(self, "bob@example.test", marker)
        d = self.openssl("-decrypt", "-inkey", self.key("bob") + ".key", "-recip",
                         self.key("bob") + ".pem", input=raw)
        self.assertEqual(d.returncode, 0, d.stderr)
        self.assertIn(b"multipart/signed", d.stdout)
        v = self.openssl("-verify", "-CAfile", f"{self.pki}/ca/ca.pem", input=d.stdout)
        self.assertEqual(v.returncode, 0, v.stderr)
        self.assertIn(f"both {marker}".encode(), v.stdout)

    def test_missing_certificate_and_bcc(self):
        marker = unique()
        r = self.client.run("send", "--encrypt", "--to", "bob@example.test", "--cc",
                            "carol@example.test", "--subject", marker, input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no S/MIME certificate for carol@example.test", r.stderr)
        self.assertIn("nothing was sent", r.stderr)
        self.assertNotIn("bob@example.test: sent", r.stdout)
        self.assertEqual(self.client.outbox_entries(), [])
        r = self.client.run("send", "--encrypt", "--to", "bob@example.test", "--bcc",
                            "alice@example.test", "--subject", marker, input="x\n")
        self.assertEqual(r.returncode, 1)
        self.assertIn("--encrypt with Bcc recipients", r.stderr)
        self.assertEqual(self.server.find("bob@example.test", marker), [])


if __name__ == "__main__":
    unittest.main()
