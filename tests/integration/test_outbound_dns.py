# test_outbound_dns: the sending MTA routing by MX through a real DNS server. A private
# unbound (local_dns.py) serves the zone interop.example: one.interop.example has an MX on
# 127.0.0.2, two.interop.example an MX on 127.0.0.3, three.interop.example no MX but an A
# record on 127.0.0.3 (implicit MX, RFC 5321 §5.1), four.interop.example a first MX on
# 127.0.0.4 where nothing listens and a second on 127.0.0.3, null.interop.example a null MX
# (RFC 7505).
# Two Estafeta instances listen as MX on port 25 of 127.0.0.2 ("a") and 127.0.0.3 ("b") and
# resolve through that unbound only (`[dns] forwarders`, DNSSEC off: the zone is unsigned);
# nothing else routes their mail (no static route). Checks, with STARTTLS on every hop
# ("with ESMTPS" in the receiver's Received field):
# - a to b by MX, by the A fallback, by the second MX when the first (127.0.0.4) refuses
#   connections, and b back to a by MX;
# - a user unknown at b's MX comes back to the sender as a DSN naming the MX;
# - a null-MX domain bounces at once with 556 5.1.10 in the DSN.
# Port 25 needs root (CI runs as root); the test is skipped with a message when it cannot be
# bound. DANE: test_outbound_dane.py. Loopback only; every wait is bounded.
import tempfile
import shutil
import unittest

from estafeta_harness import binary, unique
from local_dns import LocalDns
from outbound_support import (make_instance, port_25_free, stop_all, submit, wait_for_log,
                              wait_for_message)

ZONE = "interop.example"
ONE, TWO, THREE, FOUR, NULL = (f"{d}.{ZONE}" for d in ("one", "two", "three", "four", "null"))
ADDR_A, ADDR_B = "127.0.0.2", "127.0.0.3"
ANN = f"ann@{ONE}"
BEN = f"ben@{TWO}"
BEA = f"bea@{THREE}"
BO = f"bo@{FOUR}"
SECRETS = {ANN: "ann-One-Secret-1", BEN: "ben-Two-Secret-2"}
RECORDS = [
    f"{ONE}. 300 IN MX 10 mx.{ONE}.",
    f"mx.{ONE}. 300 IN A {ADDR_A}",
    f"{TWO}. 300 IN MX 10 mx.{TWO}.",
    f"mx.{TWO}. 300 IN A {ADDR_B}",
    f"{THREE}. 300 IN A {ADDR_B}",
    f"{FOUR}. 300 IN MX 10 mx.dead.{ZONE}.",
    f"{FOUR}. 300 IN MX 20 mx.{TWO}.",
    f"mx.dead.{ZONE}. 300 IN A 127.0.0.4",
    f"{NULL}. 300 IN MX 0 .",
]


def message(sender, to, marker):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@{ZONE}>\r\n\r\nRouted by MX, {marker}.\r\n").encode()


class OutboundDns(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        for address in (ADDR_A, ADDR_B):
            why = port_25_free(address)
            if why:
                raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-dns-")
        cls.servers = []
        try:
            cls.dns = LocalDns(cls.tmp, [ZONE], RECORDS, f"mx.{ONE}")
            cls.dns.start()
            sections = {"dns": {"forwarders": cls.dns.forwarders(), "dnssec": False, "timeout": 5},
                        "queue": {"retry_interval": 60}}
            cls.a = cls.instance(ADDR_A, [ONE], [ANN], sections)
            cls.b = cls.instance(ADDR_B, [TWO, THREE, FOUR], [BEN, BEA, BO], sections)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def instance(cls, address, domains, users, sections):
        return make_instance(address, domains, users, SECRETS, sections, cls.servers)

    @classmethod
    def tearDownClass(cls):
        try:
            stop_all(getattr(cls, "servers", []))
        finally:
            if getattr(cls, "dns", None):
                cls.dns.stop()
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        if any(t is self for t, _ in self._outcome.result.failures + self._outcome.result.errors):
            for name, s in (("a", self.a), ("b", self.b)):
                print(f"\n--- {name} ---\n{s.log_tail(30)}", flush=True)
            print("--- unbound ---\n" + self.dns.log_text(), flush=True)

    def submit(self, server, sender, to, marker):
        submit(self, server, sender, SECRETS[sender], to, message(sender, to, marker))

    def wait_for(self, server, address, marker, timeout=20.0):
        return wait_for_message(self, server, address, marker, timeout)

    def assertRelay(self, server, rcpt, host):
        """The sender's log names the host it delivered `rcpt` to (found through DNS); logged
        once the 250 is recorded, maybe after delivery."""
        wait_for_log(self, server, f"to=<{rcpt}> relay={host} status=sent")

    def test_a_to_b_by_mx_with_starttls(self):
        marker = unique("mx")
        self.submit(self.a, ANN, BEN, marker)
        got = self.wait_for(self.b, BEN, marker)
        self.assertIn(f"Return-Path: <{ANN}>".encode(), got)
        self.assertIn(b"with ESMTPS", got)
        self.assertRelay(self.a, BEN, f"mx.{TWO}")

    def test_a_to_b_by_address_fallback(self):
        marker = unique("amx")
        self.submit(self.a, ANN, BEA, marker)
        got = self.wait_for(self.b, BEA, marker)
        self.assertIn(b"with ESMTPS", got)
        self.assertRelay(self.a, BEA, THREE)

    def test_next_mx_after_a_refused_one(self):
        marker = unique("mx2")
        self.submit(self.a, ANN, BO, marker)
        got = self.wait_for(self.b, BO, marker)
        self.assertIn(b"with ESMTPS", got)
        self.assertRelay(self.a, BO, f"mx.{TWO}")

    def test_unknown_user_at_the_mx_bounces(self):
        marker = unique("550")
        self.submit(self.a, ANN, f"nobody@{TWO}", marker)
        got = self.wait_for(self.a, ANN, f"nobody@{TWO}")
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"5.1.1", got)
        self.assertIn(f"Remote-MTA: dns; mx.{TWO}".encode(), got)  # the MX that refused
        self.assertIn(marker.encode(), got)

    def test_b_to_a_by_mx(self):
        marker = unique("back")
        self.submit(self.b, BEN, ANN, marker)
        got = self.wait_for(self.a, ANN, marker)
        self.assertIn(f"Return-Path: <{BEN}>".encode(), got)
        self.assertIn(b"with ESMTPS", got)
        self.assertRelay(self.b, ANN, f"mx.{ONE}")

    def test_null_mx_bounces(self):
        marker = unique("nul")
        self.submit(self.a, ANN, f"nobody@{NULL}", marker)
        got = self.wait_for(self.a, ANN, f"nobody@{NULL}")
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"Status: 5.1.10", got)
        self.assertIn(b"556 5.1.10", got)
        self.assertIn(marker.encode(), got)


if __name__ == "__main__":
    unittest.main()
