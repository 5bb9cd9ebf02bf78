# test_mail_smime: `estafeta mail read` shows the S/MIME verdict of what it reads, against a
# real Estafeta (mua_support.py), with messages made by `openssl cms` (tests/data/smime):
# a valid signature (trusted with --smime-ca), the same untrusted, tampered content, a From
# the certificate does not cover, a signature stripped from a multipart/signed, a signed
# message attached inside an unsigned one, and an encrypted message decrypted with the key
# imported into the account's certificate store (and not decrypted without it). A bad
# signature must never read as valid, in text or JSON.
import json
import os
import subprocess
import time
import unittest

from estafeta_harness import binary
from mua_support import BOB, MailClientCase, account_toml, run_mail

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "smime")
TEST_CA = os.path.join(DATA, "ca.pem")


def data(name):
    with open(os.path.join(DATA, name), "rb") as f:
        return f.read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


class MailReadSmime(MailClientCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # bob's account with a certificate store holding bob's identity (the test key of
        # tests/data/smime, passphrase "test"); bobnokey is bob with an empty store.
        cls.bob_store = os.path.join(cls.tmp, "bob-smime")
        cls.empty_store = os.path.join(cls.tmp, "empty-smime")
        r = subprocess.run([binary(), "cert", "--store", cls.bob_store, "import",
                            os.path.join(DATA, "bob.p12"), "--passphrase-env", "T_P12"],
                           capture_output=True, text=True, timeout=60,
                           env={**os.environ, "T_P12": "test"})
        assert r.returncode == 0, r.stderr
        with open(cls.config, "a") as f:
            f.write(account_toml("bobs", BOB, "127.0.0.1", cls.server.imaps_port, "tls",
                                 cls.server.ca_path(), "T_BOB_PW")
                    .replace("[account.bobs.imap]", f'smime_store = "{cls.bob_store}"\n\n'
                             "[account.bobs.imap]"))
            f.write(account_toml("bobnokey", BOB, "127.0.0.1", cls.server.imaps_port, "tls",
                                 cls.server.ca_path(), "T_BOB_PW")
                    .replace("[account.bobnokey.imap]", f'smime_store = "{cls.empty_store}"\n\n'
                             "[account.bobnokey.imap]"))
        cls.env["T_KEY_PW"] = "test"
        signed = data("openssl_signed.eml")
        cls.cases = {
            "good": signed,
            "tampered": signed.replace(b"this message was made by openssl cms.",
                                       b"this message was made by someone else"),
            "otherfrom": signed.replace(b"From: alice@example.org", b"From: mallory@example.org"),
            "stripped": signed.split(b"\r\n------8C274B0BA20FC327C19EF6C8CBF41D93\r\nContent-Type: "
                                     b"application/pkcs7-signature")[0] +
                        b"\r\n------8C274B0BA20FC327C19EF6C8CBF41D93--\r\n",
            "inner": (b"From: carol@example.test\r\nTo: bob@example.test\r\nSubject: forwarded\r\n"
                      b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"OUT\"\r\n\r\n"
                      b"--OUT\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n"
                      b"--OUT\r\nContent-Type: message/rfc822\r\n\r\n" + signed + b"\r\n--OUT--\r\n"),
            "encrypted": data("openssl_enveloped_cbc.eml"),
        }
        cls.uids = {}
        for name, body in cls.cases.items():
            marked = body.replace(b"Subject: ", f"Subject: smime-{name} ".encode(), 1)
            with cls.server.smtp() as s:
                s.sendmail("alice@example.org", [BOB], marked)
        for name in cls.cases:
            deadline = time.time() + 20
            while True:
                r = run_json(cls, "search", f"subject:smime-{name}")
                if r["total"] == 1 or time.time() > deadline:
                    break
                time.sleep(0.2)
            assert r["total"] == 1, (name, r)
            cls.uids[name] = r["messages"][0]["uid"]

    def read(self, case, *extra, name="bobs"):
        return self.mail("read", str(self.uids[case]), "--peek", *extra, name=name)

    def read_json(self, case, *extra, name="bobs"):
        return json.loads(self.read(case, "--json", *extra, name=name).stdout)

    def test_valid_signature(self):
        r = self.read("good", "--smime-ca", TEST_CA)
        self.assertIn("S/MIME: signed (whole message) — VALID", r.stdout)
        self.assertIn("From: alice@example.org matches the certificate", r.stdout)
        self.assertIn("Hello Bob,\nthis message was made by openssl cms.", r.stdout)
        self.assertNotIn("smime.p7s", r.stdout)  # the signature is not an attachment
        v = self.read_json("good", "--smime-ca", TEST_CA)["smime"]
        self.assertTrue(v["signed"])
        self.assertTrue(v["valid"])
        sig = v["layers"][0]["signatures"][0]
        self.assertTrue(sig["valid"] and sig["trusted"] and sig["unaltered"] and sig["from_matches"])
        self.assertIn("alice@example.org", sig["signer_emails"])

    def test_untrusted_chain_is_not_valid(self):
        r = self.read("good")
        self.assertIn("NOT VALID", r.stdout)
        self.assertIn("chain: NOT TRUSTED", r.stdout)
        v = self.read_json("good")["smime"]
        self.assertFalse(v["valid"])
        self.assertFalse(v["layers"][0]["signatures"][0]["trusted"])

    def test_tampered_content(self):
        r = self.read("tampered", "--smime-ca", TEST_CA)
        self.assertIn("NOT VALID", r.stdout)
        self.assertNotIn("— VALID", r.stdout)
        self.assertIn("BAD SIGNATURE", r.stdout)
        v = self.read_json("tampered", "--smime-ca", TEST_CA)["smime"]
        self.assertFalse(v["valid"])
        self.assertFalse(v["layers"][0]["signatures"][0]["unaltered"])

    def test_from_not_covered(self):
        r = self.read("otherfrom", "--smime-ca", TEST_CA)
        self.assertIn("NOT VALID", r.stdout)
        self.assertIn("mallory@example.org is NOT in the certificate", r.stdout)
        self.assertFalse(self.read_json("otherfrom", "--smime-ca", TEST_CA)["smime"]["valid"])

    def test_stripped_signature(self):
        r = self.read("stripped", "--smime-ca", TEST_CA)
        self.assertIn("NOT VALID", r.stdout)
        v = self.read_json("stripped", "--smime-ca", TEST_CA)["smime"]
        self.assertFalse(v["valid"])
        self.assertNotEqual(v["layers"][0]["problem"], "")

    def test_signed_part_inside_unsigned_message(self):
        v = self.read_json("inner", "--smime-ca", TEST_CA)["smime"]
        self.assertFalse(v["valid"])  # the message as a whole is not signed
        self.assertTrue(v["signed"])
        self.assertFalse(v["layers"][0]["whole_message"])
        r = self.read("inner", "--smime-ca", TEST_CA)
        self.assertNotIn("signed (whole message)", r.stdout)

    def test_encrypted_decrypted_with_own_key(self):
        r = self.read("encrypted", "--passphrase-env", "T_KEY_PW")
        self.assertIn("S/MIME: encrypted", r.stdout)
        self.assertIn("decrypted", r.stdout)
        v = self.read_json("encrypted", "--passphrase-env", "T_KEY_PW")
        self.assertTrue(v["smime"]["encrypted"])
        self.assertTrue(v["smime"]["decrypted"])
        self.assertNotEqual(v["text"].strip(), "")
        self.assertEqual(v["attachments"], [])  # not the smime.p7m any more

    def test_encrypted_without_key(self):
        r = self.read("encrypted", "--passphrase-env", "T_KEY_PW", name="bobnokey")
        self.assertIn("NOT DECRYPTED", r.stdout)
        v = self.read_json("encrypted", "--passphrase-env", "T_KEY_PW", name="bobnokey")["smime"]
        self.assertTrue(v["encrypted"])
        self.assertFalse(v["decrypted"])

    def test_plain_message_has_no_verdict(self):
        self.deliver(BOB, "nosmime")
        uid = self.uid_of("nosmime", name="bobs")
        data = json.loads(self.mail("read", str(uid), "--peek", "--json", name="bobs").stdout)
        self.assertNotIn("smime", data)
        self.assertNotIn("S/MIME", self.mail("read", str(uid), "--peek", name="bobs").stdout)


def run_json(cls, *args):
    r = run_mail(cls.config, *args, "--json", env=cls.env, name="bobs")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


if __name__ == "__main__":
    unittest.main()
