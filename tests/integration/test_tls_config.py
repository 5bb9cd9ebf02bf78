# test_tls_config: the [tls] section against the real binary. tls.min_version = "TLSv1.3"
# refuses a TLS 1.2-only client (and still serves TLS 1.3), and tls.certificate/private_key
# make the server present an operator's own certificate (made here with the openssl CLI)
# instead of generating a local CA. The generated local CA is reused across restarts and
# verifies with openssl s_client (STARTTLS and implicit TLS).
import os
import shutil
import smtplib
import ssl
import subprocess
import unittest

from estafeta_harness import (CLIENT_NAME, HOSTNAME, TIMEOUT, RawClient, Server, ServerTestCase,
                              failed, simple_message, unique)

ALICE = "alice@example.test"


class TlsMinVersion(ServerTestCase):
    SECTIONS = {"tls": {"min_version": "TLSv1.3"}}

    def test_tls12_client_refused(self):
        c = self.server.raw("mx")
        c.ehlo()
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c.starttls(self.server.tls_context(max_version=ssl.TLSVersion.TLSv1_2))
        c.close()

    def test_tls13_client_served(self):
        with smtplib.SMTP("127.0.0.1", self.server.mx, local_hostname=CLIENT_NAME, timeout=TIMEOUT) as s:
            s.starttls(context=self.server.tls_context())
            self.assertEqual(s.sock.version(), "TLSv1.3")
            self.assertEqual(s.ehlo()[0], 250)

    def test_implicit_tls12_refused(self):
        c = RawClient(self.server.submissions)
        with self.assertRaises((ssl.SSLError, ConnectionError, OSError)):
            c.sock = self.server.tls_context(max_version=ssl.TLSVersion.TLSv1_2).wrap_socket(
                c.sock, server_hostname=HOSTNAME)
            c.reply()
        c.close()


@unittest.skipUnless(shutil.which("openssl"), "openssl CLI not installed")
class OwnCertificate(unittest.TestCase):

    def openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    def setUp(self):
        self.server = None
        self.server = Server(seed=True)
        d = os.path.join(self.server.tmp, "own")
        os.makedirs(d)
        self.ca, self.key, self.cert = (os.path.join(d, n) for n in ("ca.pem", "key.pem", "cert.pem"))
        ca_key, csr, ext = (os.path.join(d, n) for n in ("ca.key", "req.csr", "ext.cnf"))
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", ca_key, "-out", self.ca, "-days", "2", "-subj", "/CN=Operator Test CA")
        self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", self.key, "-out", csr, "-subj", f"/CN={HOSTNAME}")
        with open(ext, "w") as f:
            f.write(f"subjectAltName=DNS:{HOSTNAME}\n")
        self.openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", ca_key, "-CAcreateserial",
                     "-out", self.cert, "-days", "2", "-extfile", ext)
        with open(self.server.config_path, "a") as f:
            f.write(f'\n[tls]\ncertificate = "{self.cert}"\nprivate_key = "{self.key}"\n')

    def tearDown(self):
        if self.server:
            if failed(self):
                print("\n" + self.server.log_tail(40), flush=True)
            self.server.cleanup()

    def test_serves_operator_certificate(self):
        self.server.start()
        ctx = ssl.create_default_context(cafile=self.ca)  # verifies chain and name
        c = self.server.raw("mx")
        c.ehlo()
        c.starttls(ctx, server_hostname=HOSTNAME)
        self.assertEqual(c.cmd("EHLO " + CLIENT_NAME)[0], 250)
        c.close()
        c = RawClient(self.server.submissions)
        c.sock = ctx.wrap_socket(c.sock, server_hostname=HOSTNAME)
        self.assertEqual(c.reply()[0], 220)
        c.close()
        self.assertFalse(os.path.exists(os.path.join(self.server.data_dir, "tls", "server.key")),
                         "generated a key although one was configured")
        self.server.stop_ok(self)

    def test_missing_key_file_fails_at_start(self):
        os.remove(self.key)
        with self.assertRaises(AssertionError):
            self.server.start()
        self.assertIn(self.key, self.server.log_text())  # the error names the file


@unittest.skipUnless(shutil.which("openssl"), "openssl CLI not installed")
class OpenSslClient(ServerTestCase):
    """openssl s_client verifies chain and name against the generated CA (DESIGN.md names it
    among the clients to drive the server with)."""

    def s_client(self, *args):
        r = subprocess.run(["openssl", "s_client", *args, "-CAfile", self.server.ca_path(),
                            "-verify_return_error", "-verify_hostname", HOSTNAME,
                            "-servername", HOSTNAME, "-brief", "-crlf"],
                           input="EHLO openssl.test\nQUIT\n", capture_output=True, text=True, timeout=30)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 0, out)
        self.assertIn("Verification: OK", out)
        self.assertIn(f"Verified peername: {HOSTNAME}", out)
        return out

    def test_starttls_smtp(self):
        out = self.s_client("-starttls", "smtp", "-connect", f"127.0.0.1:{self.server.mx}")
        self.assertIn("250", out)

    def test_starttls_tls12(self):
        out = self.s_client("-starttls", "smtp", "-tls1_2", "-connect", f"127.0.0.1:{self.server.submission}")
        self.assertIn("Protocol version: TLSv1.2", out)

    def test_implicit_tls(self):
        self.s_client("-connect", f"127.0.0.1:{self.server.submissions}")


class LocalCaReused(unittest.TestCase):

    def test_generated_ca_survives_restart(self):
        server = Server()
        try:
            server.start()
            with open(server.ca_path(), "rb") as f:
                first = f.read()
            server.raw("mx").close()  # fully serving (the 220 arrived) before SIGTERM
            server.stop_ok(self)
            server.start()
            with open(server.ca_path(), "rb") as f:
                self.assertEqual(f.read(), first, "local CA regenerated on restart")
            marker = unique("ca")
            with smtplib.SMTP("127.0.0.1", server.mx, local_hostname=CLIENT_NAME, timeout=TIMEOUT) as s:
                s.starttls(context=server.tls_context())
                s.sendmail("c@remote.test", [ALICE], simple_message(marker))
            server.stop_ok(self)
            key = os.stat(os.path.join(server.data_dir, "tls", "ca.key"))
            self.assertEqual(key.st_mode & 0o077, 0, "ca.key readable by group/others")
        finally:
            server.cleanup()


if __name__ == "__main__":
    unittest.main()
