# test_mail_smime_roundtrip: the mail client and the server together, the way two people use
# them: Alice signs and encrypts with `estafeta mail send --sign --encrypt`, Bob reads it with
# `estafeta mail read` (decrypted with his key, the signature VALID against their CA); Bob has
# published his certificate (`estafeta user cert`), so a plain message to him is stored
# encrypted at rest and `mail read` still shows it, noting it was encrypted; Alice's own Sent
# copy stays readable to her. Certificates come from `estafeta cert ca/issue/import`. Bounded.
import json
import os
import subprocess
import unittest

from estafeta_harness import ServerTestCase, binary, unique
from mail_client_support import MailClient

ALICE, BOB = "alice@example.test", "bob@example.test"


def cert(*args, store=None):
    cmd = [binary(), "cert"] + (["--store", store] if store else []) + list(args)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError(f"cert {args}: {r.stdout}{r.stderr}")
    return r


class MailSmimeRoundTrip(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None),
                 "imap": ("imap", None)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pki = os.path.join(cls.server.tmp, "pki")
        cert("ca", "--out", f"{cls.pki}/ca", "--name", "Family CA")
        for who in ("alice", "bob"):
            cert("issue", "--ca", f"{cls.pki}/ca", "--email", f"{who}@example.test",
                 "--out", f"{cls.pki}/{who}", "--no-passphrase")
        cls.clients = {}
        for who, other in (("alice", "bob"), ("bob", "alice")):
            c = MailClient(cls.server, cls.server.tmp, address=f"{who}@example.test",
                           name=who.title())
            store = os.path.join(c.env["XDG_DATA_HOME"], "estafeta", "smime")
            cert("import", f"{cls.pki}/{who}/{who}@example.test.p12", store=store)
            cert("import", f"{cls.pki}/{other}/{other}@example.test.pem", store=store)
            cls.clients[who] = c

    def uid_of(self, client, marker, mailbox="INBOX"):
        r = client.run("search", f"subject:{marker}", "--mailbox", mailbox, "--json")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        found = json.loads(r.stdout)["messages"]
        self.assertEqual(len(found), 1, found)
        return str(found[0]["uid"])

    def read(self, client, uid, *extra):
        r = client.run("read", uid, "--smime-ca", f"{self.pki}/ca/ca.pem", *extra)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def test_signed_and_encrypted_between_two_users(self):
        marker = unique("rt")
        alice, bob = self.clients["alice"], self.clients["bob"]
        r = alice.run("send", "--sign", "--encrypt", "--to", BOB, "--subject", marker,
                      input=f"meet at noon {marker}\n")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        raw = self.server.read_one(self, BOB, marker)
        self.assertNotIn(b"meet at noon", raw)  # on the wire and on disk: ciphertext
        out = self.read(bob, self.uid_of(bob, marker))
        self.assertIn(f"meet at noon {marker}", out)
        self.assertIn("VALID", out)
        self.assertNotIn("NOT VALID", out)
        self.assertIn("encrypted", out.lower())
        # The Sent copy was encrypted to Alice as well: she reads it.
        out = self.read(alice, self.uid_of(alice, marker, "Sent"), "--mailbox", "Sent")
        self.assertIn(f"meet at noon {marker}", out)

    def test_encryption_at_rest_is_read_by_the_users_client(self):
        self.server.cli("user", "cert", BOB, f"{self.pki}/bob/bob@example.test.pem")
        try:
            marker = unique("rest")
            with self.server.smtp() as s:
                s.sendmail("carol@far.test", [BOB],
                           (f"From: carol@far.test\r\nTo: {BOB}\r\nSubject: {marker}\r\n\r\n"
                            f"plain on the wire {marker}\r\n").encode())
            raw = self.server.read_one(self, BOB, marker)
            self.assertNotIn(b"plain on the wire", raw)
            bob = self.clients["bob"]
            out = self.read(bob, self.uid_of(bob, marker))
            self.assertIn(f"plain on the wire {marker}", out)
            self.assertIn("encrypted", out.lower())
        finally:
            self.server.cli("user", "cert", BOB, "--remove")


if __name__ == "__main__":
    unittest.main()
