# test_cert_cli: `estafeta cert` end to end, no server: `ca` and `issue` make certificates
# that openssl accepts for S/MIME (CA:TRUE, rfc822Name, emailProtection) with private files
# at mode 0600; `import` (PKCS#12 with a passphrase from the environment, a correspondent's
# PEM), `list --json` and `export` on a store made 0700; `inspect` says VALID (exit 0) for a
# message openssl signed, NOT VALID (exit 3) once it is changed, REVOKED with a CRL from
# `cert crl`, and decrypts with the imported key. Each run is bounded by a 60 s timeout.
import json
import os
import shutil
import stat
import subprocess
import tempfile
import unittest

from estafeta_harness import binary

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "smime")


def run(*args, env=None, input=None):
    e = dict(os.environ)
    e.update(env or {})
    return subprocess.run([binary(), *args], capture_output=True, timeout=60, env=e, input=input)


def slurp(path):
    with open(path, "rb") as f:
        return f.read()


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


class CertCli(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="estafeta-cert-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.store = os.path.join(self.tmp, "store")

    def p(self, *parts):
        return os.path.join(self.tmp, *parts)

    def ok(self, *args, env=None):
        r = run(*args, env=env)
        self.assertEqual(r.returncode, 0, r.stderr.decode() + r.stdout.decode())
        return r.stdout.decode()

    def make_ca_and_alice(self):
        self.ok("cert", "ca", "--out", self.p("ca"), "--name", "Test Org CA", "--org", "Test Org")
        self.ok("cert", "issue", "--ca", self.p("ca"), "--email", "alice@example.org", "--name",
                "Alice", "--out", self.p("alice.p12"), "--passphrase-env", "P", env={"P": "pw"})

    def test_ca_and_issue_make_smime_certificates(self):
        self.make_ca_and_alice()
        self.assertEqual(mode(self.p("ca", "ca.key")), 0o600)
        self.assertEqual(mode(self.p("alice.p12")), 0o600)
        if shutil.which("openssl"):
            r = subprocess.run(["openssl", "verify", "-purpose", "smimesign", "-CAfile",
                                self.p("ca", "ca.pem"), self.p("alice.pem")],
                               capture_output=True, timeout=60)
            self.assertEqual(r.returncode, 0, r.stderr)
            text = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", self.p("alice.pem")],
                                  capture_output=True, timeout=60).stdout.decode()
            self.assertIn("email:alice@example.org", text)
            self.assertIn("E-mail Protection", text)
            self.assertIn("Digital Signature, Key Encipherment", text)
            ca = subprocess.run(["openssl", "x509", "-noout", "-text", "-in", self.p("ca", "ca.pem")],
                                capture_output=True, timeout=60).stdout.decode()
            self.assertIn("CA:TRUE", ca)
            self.assertIn("Certificate Sign, CRL Sign", ca)
        # A second `cert ca` into the same folder does not overwrite the key.
        r = run("cert", "ca", "--out", self.p("ca"), "--name", "Again")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not overwritten", r.stderr.decode())
        # A directory output: PKCS#12, certificate and key (0600).
        self.ok("cert", "issue", "--ca", self.p("ca"), "--email", "bob@example.org", "--out",
                self.p("bob"), "--no-passphrase")
        self.assertEqual(mode(self.p("bob", "bob@example.org.key")), 0o600)
        self.assertTrue(os.path.exists(self.p("bob", "bob@example.org.pem")))
        r = run("cert", "issue", "--ca", self.p("ca"), "--email", "not an address", "--out",
                self.p("x.p12"), "--no-passphrase")
        self.assertEqual(r.returncode, 1)
        self.assertIn("not a plain e-mail address", r.stderr.decode())

    def test_store_import_list_export(self):
        self.make_ca_and_alice()
        out = self.ok("cert", "--store", self.store, "import", self.p("alice.p12"),
                      "--passphrase-env", "P", env={"P": "pw"})
        self.assertIn("alice@example.org", out)
        self.assertEqual(mode(self.store), 0o700)
        keys = [f for f in os.listdir(os.path.join(self.store, "own")) if f.endswith(".key.pem")]
        self.assertEqual(len(keys), 1)
        key_path = os.path.join(self.store, "own", keys[0])
        self.assertEqual(mode(key_path), 0o600)
        self.assertIn(b"ENCRYPTED PRIVATE KEY", slurp(key_path))
        r = run("cert", "--store", self.store, "import", self.p("alice.p12"),
                "--passphrase-env", "P", env={"P": "wrong"})
        self.assertEqual(r.returncode, 1)
        self.ok("cert", "--store", self.store, "import", os.path.join(DATA, "bob.pem"))
        listing = json.loads(self.ok("cert", "--store", self.store, "list", "--json"))
        kinds = {(c["kind"], tuple(c["emails"])) for c in listing}
        self.assertEqual(kinds, {("own", ("alice@example.org",)),
                                 ("correspondent", ("bob@example.org",))})
        exported = self.ok("cert", "--store", self.store, "export", "alice@example.org")
        self.assertEqual(exported, slurp(self.p("alice.pem")).decode().split("-----END CERTIFICATE-----")[0]
                         + "-----END CERTIFICATE-----\n")
        r = run("cert", "--store", self.store, "export", "nobody@example.org")
        self.assertEqual(r.returncode, 1)
        self.assertIn("no own certificate for nobody@example.org", r.stderr.decode())

    def test_inspect_valid_tampered_and_decrypt(self):
        trust = ["--ca-file", os.path.join(DATA, "ca.pem"), "--no-system-store"]
        out = self.ok("cert", "--store", self.store, "inspect",
                      os.path.join(DATA, "openssl_signed.eml"), *trust)
        self.assertIn("signed (whole message) — VALID", out)
        changed = slurp(os.path.join(DATA, "openssl_signed.eml")).replace(b"Hello Bob", b"Hello Eve")
        r = run("cert", "--store", self.store, "inspect", "-", *trust, input=changed)
        self.assertEqual(r.returncode, 3, r.stderr)
        self.assertIn("NOT VALID", r.stdout.decode())
        self.assertIn("content was altered", r.stdout.decode())
        # Untrusted without the test CA.
        r = run("cert", "--store", self.store, "inspect", os.path.join(DATA, "gpgsm_signed.eml"),
                "--no-system-store")
        self.assertEqual(r.returncode, 3)
        self.assertIn("NOT TRUSTED", r.stdout.decode())
        # Bob's key decrypts; --show prints the content, --collect keeps Alice's certificate.
        self.ok("cert", "--store", self.store, "import", os.path.join(DATA, "bob.p12"),
                "--passphrase-env", "P", env={"P": "test"})
        out = self.ok("cert", "--store", self.store, "inspect",
                      os.path.join(DATA, "openssl_signed_encrypted.eml"), *trust, "--show",
                      "--collect", "--passphrase-env", "P", env={"P": "test"})
        self.assertIn("decrypted", out)
        self.assertIn("this message was made by openssl cms", out)
        self.assertIn("kept 1 certificate", out)
        self.assertTrue(os.path.exists(os.path.join(self.store, "people", "alice@example.org.pem")))

    def test_crl_revokes(self):
        if not shutil.which("openssl"):
            self.skipTest("openssl is not installed")
        self.make_ca_and_alice()
        subprocess.run(["openssl", "pkcs12", "-in", self.p("alice.p12"), "-passin", "pass:pw",
                        "-nodes", "-nocerts", "-out", self.p("alice.key")], check=True,
                       capture_output=True, timeout=60)
        with open(self.p("msg.txt"), "w") as f:
            f.write("Content-Type: text/plain\r\n\r\nrevoked soon\r\n")
        subprocess.run(["openssl", "cms", "-sign", "-in", self.p("msg.txt"), "-signer",
                        self.p("alice.pem"), "-inkey", self.p("alice.key"), "-from",
                        "alice@example.org", "-out", self.p("signed.eml")], check=True,
                       capture_output=True, timeout=60)
        trust = ["--ca-file", self.p("ca", "ca.pem"), "--no-system-store"]
        self.assertIn("VALID", self.ok("cert", "inspect", self.p("signed.eml"), *trust))
        self.ok("cert", "crl", "--ca", self.p("ca"), "--revoke", self.p("alice.pem"), "--out",
                self.p("crl.pem"))
        r = run("cert", "inspect", self.p("signed.eml"), *trust, "--crl", self.p("crl.pem"))
        self.assertEqual(r.returncode, 3)
        self.assertIn("REVOKED", r.stdout.decode())

    def test_usage_errors(self):
        r = run("cert")
        self.assertNotEqual(r.returncode, 0)
        r = run("cert", "inspect", self.p("missing.eml"))
        self.assertEqual(r.returncode, 1)
        self.assertIn("cannot read", r.stderr.decode())


if __name__ == "__main__":
    unittest.main()
