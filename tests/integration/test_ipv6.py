# test_ipv6: a listener bound to ::1 serves SMTP over IPv6, and the Received header names the
# peer as an IPv6 address literal (RFC 5321 §4.1.3 "IPv6:" prefix, §4.4 TCP-info).
import smtplib
import socket
import unittest

from estafeta_harness import (CLIENT_NAME, TIMEOUT, Server, ServerTestCase, header_block,
                              simple_message, unique)

ALICE = "alice@example.test"


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@unittest.skipUnless(have_ipv6_loopback(), "no ::1 on this machine")
class Ipv6(ServerTestCase):

    @classmethod
    def setUpClass(cls):
        cls.server = Server(listeners={"smtp6": ("mx", None, "::1"),
                                       "submission": ("submission", None)})
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    def test_delivery_over_ipv6(self):
        marker = unique("v6")
        with smtplib.SMTP("::1", self.server.mx, local_hostname=CLIENT_NAME, timeout=TIMEOUT) as s:
            self.assertEqual(s.sendmail("six@remote.test", [ALICE], simple_message(marker)), {})
        stored = self.server.read_one(self, ALICE, marker)
        received = [v for n, v in header_block(stored) if n == "received"][0]
        self.assertRegex(received, r"\[IPv6:::1\]|\bIPv6:::1\b", received)

    def test_starttls_over_ipv6(self):
        with smtplib.SMTP("::1", self.server.mx, local_hostname=CLIENT_NAME, timeout=TIMEOUT) as s:
            s.starttls(context=self.server.tls_context())
            self.assertEqual(s.ehlo()[0], 250)

    def test_ipv4_not_bound_for_v6_listener(self):
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.server.mx), timeout=2).close()


if __name__ == "__main__":
    unittest.main()
