# test_encryption_at_rest: a user who published an S/MIME certificate (`estafeta user cert`)
# gets mail stored encrypted to it (issue 11, MTA-side encryption): the stored file keeps its
# header fields readable (Subject, From, IMAP ENVELOPE) while the body is an authEnveloped-data
# entity that `openssl cms` opens with the user's key only; other users' copies of the same
# message stay plain; mail that arrives encrypted is stored as it is; --remove stops it. Bad
# certificates are refused, each with its reason. The CA and certificates are made with
# openssl at run time. Every wait is bounded.
import os
import subprocess
import time
import unittest

from estafeta_harness import ServerTestCase, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"


def openssl(*args, input=None):
    return subprocess.run(["openssl", *args], input=input, capture_output=True, timeout=60,
                          check=True).stdout


class EncryptionAtRest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        d = cls.pki = os.path.join(cls.server.tmp, "pki")
        os.makedirs(d)
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem", "-days", "2", "-subj", "/CN=Test CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign")

        def issue(name, email, days="2"):
            openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{d}/{name}.key",
                    "-out", f"{d}/{name}.csr", "-subj", f"/CN={name}")
            ext = f"{d}/{name}.ext"
            with open(ext, "w") as f:
                f.write(f"subjectAltName=email:{email}\nextendedKeyUsage=emailProtection\n"
                        "keyUsage=digitalSignature,keyEncipherment\n")
            openssl("x509", "-req", "-in", f"{d}/{name}.csr", "-CA", f"{d}/ca.pem", "-CAkey",
                    f"{d}/ca.key", "-CAcreateserial", "-days", days, "-extfile", ext,
                    "-out", f"{d}/{name}.pem")
            return f"{d}/{name}.pem"

        cls.alice_cert = issue("alice", ALICE)
        cls.other_cert = issue("other", "someone@else.test")

    def deliver(self, marker, body="the secret body text", to=(ALICE, BOB), extra=""):
        msg = (f"From: Carol <carol@far.test>\r\nTo: {', '.join(to)}\r\nSubject: {marker}\r\n"
               f"{extra}\r\n{body}\r\n")
        with self.server.smtp() as s:
            self.assertEqual(s.sendmail("carol@far.test", list(to), msg.encode()), {})

    def stored(self, who, marker):
        found = self.server.find(who, marker)
        self.assertTrue(found, self.server.log_tail())
        with open(found[0], "rb") as f:
            return f.read()

    def decrypt(self, data):
        return openssl("cms", "-decrypt", "-inkey", f"{self.pki}/alice.key", "-recip",
                       self.alice_cert, input=data)

    def test_published_certificate_encrypts_only_that_users_copy(self):
        r = self.server.cli("user", "cert", ALICE, self.alice_cert)
        self.assertIn("stored encrypted", r.stdout)
        self.assertIn(ALICE, self.server.cli("user", "cert", ALICE).stdout)
        try:
            marker = unique("rest")
            self.deliver(marker)
            sealed = self.stored(ALICE, marker)
            head, _, body = sealed.partition(b"\r\n\r\n")
            self.assertIn(f"Subject: {marker}".encode(), head)  # the header stays readable
            self.assertIn(b"From: Carol <carol@far.test>", head)
            self.assertIn(b"application/pkcs7-mime", head)
            self.assertIn(b"authEnveloped-data", head)
            self.assertNotIn(b"secret body text", sealed)
            self.assertIn(b"the secret body text", self.decrypt(sealed))
            plain = self.stored(BOB, marker)
            self.assertIn(b"the secret body text", plain)
            self.assertNotIn(b"pkcs7", plain)
            # IMAP still reads the envelope of the sealed copy.
            with self.server.imap(ALICE) as c:
                c.select("INBOX")
                typ, data = c.uid("SEARCH", None, "SUBJECT", marker)
                self.assertEqual(typ, "OK")
                uid = data[0].split()[-1]
                typ, data = c.uid("FETCH", uid, "(ENVELOPE)")
                self.assertIn(marker.encode(), data[0])
        finally:
            self.server.cli("user", "cert", ALICE, "--remove")
        marker = unique("after")
        self.deliver(marker, to=(ALICE,))
        self.assertIn(b"the secret body text", self.stored(ALICE, marker))

    def test_mail_that_arrives_encrypted_is_stored_as_it_is(self):
        inner = b"Content-Type: text/plain\r\n\r\nalready private\r\n"
        enveloped = openssl("cms", "-encrypt", "-aes-256-cbc", self.alice_cert, input=inner)
        head, _, body = enveloped.replace(b"\n", b"\r\n").replace(b"\r\r\n", b"\r\n").partition(
            b"\r\n\r\n")
        ctype = [ln for ln in head.split(b"\r\n") if ln.lower().startswith(b"content-")]
        self.server.cli("user", "cert", ALICE, self.alice_cert)
        try:
            marker = unique("pre")
            self.deliver(marker, body=body.decode().rstrip("\r\n"), to=(ALICE,),
                         extra="MIME-Version: 1.0\r\n" + "\r\n".join(c.decode() for c in ctype) + "\r\n")
            stored = self.stored(ALICE, marker)
            self.assertIn(body.rstrip(b"\r\n"), stored)  # not enveloped a second time
            self.assertIn(b"already private", self.decrypt(stored))
        finally:
            self.server.cli("user", "cert", ALICE, "--remove")

    def test_bad_certificates_are_refused_with_the_reason(self):
        cases = [
            ((ALICE, self.other_cert), "does not name alice@example.test"),
            ((ALICE, f"{self.pki}/ca.pem"), "CA certificate"),
            ((ALICE, f"{self.pki}/alice.key"), "private key"),
            ((ALICE, f"{self.pki}/missing.pem"), "cannot read"),
            (("nobody@example.test", self.alice_cert), "no such user"),
        ]
        for args, why in cases:
            r = self.server.cli("user", "cert", *args, check=False)
            self.assertEqual(r.returncode, 1, (args, r.stdout))
            self.assertIn(why, r.stderr, args)
        r = self.server.cli("user", "cert", ALICE, "--remove", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn("no certificate is published", r.stderr)


if __name__ == "__main__":
    unittest.main()
