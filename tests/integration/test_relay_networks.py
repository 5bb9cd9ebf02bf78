# test_relay_networks: smtp.relay_networks (Postfix's mynetworks) with the real binary. "a"
# lists 127.0.0.2 and routes far.test to "b" (a second instance) with a static route:
# - a client connecting from 127.0.0.2 relays to bob@far.test on a's MX listener without AUTH,
#   and the message reaches b's mailbox;
# - a client from 127.0.0.1 (not listed) still gets 554 5.7.1 Relay access denied;
# - the submission listener still wants AUTH from a listed address;
# - a bad list (not a network, host bits set, every address) is refused by `config check`
#   with the entry named.
# Every wait is bounded.
import smtplib
import time
import unittest

from estafeta_harness import CLIENT_NAME, TIMEOUT, Server, unique
from outbound_support import stop_all

FAR = "far.test"
BOB_FAR = f"bob@{FAR}"


class RelayNetworks(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.b = Server()
        try:
            cls.b.cli("domain", "add", FAR)
            cls.b.cli("user", "add", BOB_FAR, "--password-stdin", input="bob-Far-Secret-1\n")
            cls.b.start()
            cls.a = Server(smtp={"relay_networks": "127.0.0.2, ::1"},
                           sections={"routing": {"routes": f"{FAR} = [127.0.0.1]:{cls.b.mx}"}})
            cls.a.start()
        except BaseException:
            cls.b.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        stop_all([s for s in (getattr(cls, "a", None), cls.b) if s])

    def client(self, source, kind="mx"):
        return smtplib.SMTP("127.0.0.1", self.a.port(kind), local_hostname=CLIENT_NAME,
                            timeout=TIMEOUT, source_address=(source, 0))

    def test_listed_client_relays_without_auth(self):
        marker = unique("mynet")
        data = (f"From: <printer@office.test>\r\nTo: <{BOB_FAR}>\r\nSubject: {marker}\r\n"
                f"\r\nScan ready.\r\n").encode()
        with self.client("127.0.0.2") as s:
            self.assertEqual(s.sendmail("printer@office.test", [BOB_FAR], data), {})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not self.b.find(BOB_FAR, marker, wait=False):
            time.sleep(0.1)
        self.assertTrue(self.b.find(BOB_FAR, marker, wait=False),
                        f"{marker} did not reach b\n--- a ---\n{self.a.log_tail()}")

    def test_unlisted_client_is_denied(self):
        with self.client("127.0.0.1") as s:
            s.ehlo()
            self.assertEqual(s.mail("someone@elsewhere.test")[0], 250)
            code, text = s.rcpt(BOB_FAR)
            self.assertEqual((code, text), (554, f"5.7.1 <{BOB_FAR}>: Relay access denied".encode()))

    def test_submission_still_requires_auth(self):
        with self.client("127.0.0.2", "submission") as s:
            s.ehlo()
            s.starttls(context=self.a.tls_context())
            s.ehlo()
            code, text = s.mail("printer@office.test")
            self.assertEqual(code, 530, text)


class RelayNetworksConfig(unittest.TestCase):
    def setUp(self):
        self.server = Server(seed=False)

    def tearDown(self):
        self.server.cleanup()

    def check_refused(self, value, expected):
        with open(self.server.config_path) as f:
            text = f.read()
        with open(self.server.config_path, "w") as f:
            f.write(text.replace("[smtp]\n", f'[smtp]\nrelay_networks = "{value}"\n', 1))
        r = self.server.cli("config", "check", check=False)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        self.assertIn("smtp.relay_networks", out)
        self.assertIn(expected, out)

    def test_not_a_network(self):
        self.check_refused("127.0.0.0/8, mail.example.org", "'mail.example.org'")

    def test_host_bits(self):
        self.check_refused("192.168.1.7/24", "192.168.1.0/24")

    def test_open_relay(self):
        self.check_refused("0.0.0.0/0", "open relay")


if __name__ == "__main__":
    unittest.main()
