# test_tls_local_ca: the generated local CA and server certificate seen from outside. A
# client connecting to a listener on 127.0.0.2 verifies the certificate for that address
# (name check on); the CA carries a critical nameConstraints extension limited to the names
# it was made for; a wildcard listener puts the machine's interface addresses in the
# certificate (read from it, not connected to: tests stay on loopback; "::" is the wildcard
# here, as the harness connects to the listener address); restarting with an
# extra listener address reissues the server certificate and keeps the CA.
import ipaddress
import shutil
import socket
import ssl
import subprocess
import unittest

from estafeta_harness import HOSTNAME, TIMEOUT, Server, ServerPerTest


def openssl_text(path):
    r = subprocess.run(["openssl", "x509", "-in", path, "-noout", "-text"], capture_output=True,
                       text=True, timeout=30, check=True)
    return r.stdout


def interface_addresses():
    """Non-loopback, non-link-local addresses of this machine (via `ip`), canonical."""
    if not shutil.which("ip"):
        return None
    r = subprocess.run(["ip", "-o", "addr", "show", "up"], capture_output=True, text=True, timeout=30)
    out = set()
    for line in r.stdout.splitlines():
        fields = line.split()
        if len(fields) < 4 or fields[2] not in ("inet", "inet6"):
            continue
        a = ipaddress.ip_address(fields[3].split("/")[0])
        if not (a.is_loopback or a.is_link_local):
            out.add(str(a))
    return out


def can_bind(address):
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((address, 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(shutil.which("openssl"), "openssl CLI not installed")
class LocalCa(ServerPerTest):

    def server_pem(self):
        return self.server.ca_path().replace("ca.pem", "server.pem")

    @unittest.skipUnless(can_bind("127.0.0.2"), "127.0.0.2 not usable")
    def test_client_verifies_the_listener_address(self):
        self.server = Server(listeners={"smtp": ("mx", None, "127.0.0.2"),
                                        "submissions": ("submissions", None, "127.0.0.1")})
        self.server.start()
        ctx = ssl.create_default_context(cafile=self.server.ca_path())  # name check on
        with socket.create_connection(("127.0.0.2", self.server.mx), timeout=TIMEOUT) as raw:
            raw.recv(512)  # 220
            raw.sendall(b"EHLO client.test\r\n")
            raw.recv(4096)
            raw.sendall(b"STARTTLS\r\n")
            self.assertTrue(raw.recv(512).startswith(b"220"))
            with ctx.wrap_socket(raw, server_hostname="127.0.0.2") as s:
                self.assertEqual(s.getpeercert()["subjectAltName"].count(("IP Address", "127.0.0.2")), 1)
        for name in (HOSTNAME, "localhost", "127.0.0.1"):
            with socket.create_connection(("127.0.0.1", self.server.submissions), timeout=TIMEOUT) as raw:
                with ctx.wrap_socket(raw, server_hostname=name) as s:
                    self.assertTrue(s.recv(512).startswith(b"220"))
        with socket.create_connection(("127.0.0.1", self.server.submissions), timeout=TIMEOUT) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError):
                ctx.wrap_socket(raw, server_hostname="other.example")
        self.server.stop_ok(self)

    def test_ca_has_critical_name_constraints(self):
        self.server = Server()
        self.server.start()
        text = openssl_text(self.server.ca_path())
        self.assertIn("X509v3 Name Constraints: critical", text)
        constraints = text.split("X509v3 Name Constraints: critical", 1)[1]
        self.assertIn(f"DNS:{HOSTNAME}", constraints)
        self.assertIn("DNS:localhost", constraints)
        self.assertIn("IP:127.0.0.0/255.0.0.0", constraints)
        self.server.stop_ok(self)

    def test_wildcard_listener_certifies_interface_addresses(self):
        addresses = interface_addresses()
        if addresses is None:
            self.skipTest("no `ip` command")
        self.server = Server(listeners={"smtp": ("mx", None, "127.0.0.1"),
                                        "submission": ("submission", None, "::")})  # all addresses
        self.server.start()
        text = openssl_text(self.server_pem())
        san = text.split("X509v3 Subject Alternative Name:", 1)[1].split("\n")[1]
        ips = {str(ipaddress.ip_address(n.strip()[len("IP Address:"):]))
               for n in san.split(",") if n.strip().startswith("IP Address:")}
        self.assertLessEqual(addresses, ips)
        self.assertIn("127.0.0.1", ips)
        self.server.stop_ok(self)

    def test_new_listener_address_reissues_only_the_certificate(self):
        if not can_bind("127.0.0.3"):
            self.skipTest("127.0.0.3 not usable")
        self.server = Server(listeners={"smtp": ("mx", None, "127.0.0.1")})
        self.server.start()
        self.server.stop_ok(self)
        with open(self.server.ca_path()) as f:
            ca = f.read()
        with open(self.server_pem()) as f:
            first = f.read()
        self.server.addresses["smtp"] = "127.0.0.3"
        self.server.write_config(*self.server.settings)
        self.server.start()
        with open(self.server.ca_path()) as f:
            self.assertEqual(f.read(), ca, "the CA was replaced")
        with open(self.server_pem()) as f:
            self.assertNotEqual(f.read(), first, "the server certificate was not reissued")
        self.assertIn("IP Address:127.0.0.3", openssl_text(self.server_pem()))
        self.server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
