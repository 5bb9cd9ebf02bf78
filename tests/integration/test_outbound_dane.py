# test_outbound_dane: two Estafeta instances on 127.0.0.2 ("a") and 127.0.0.3 ("b"), port 25,
# exchanging mail both ways over STARTTLS authenticated by DANE (RFC 7672). The zone
# dane.example is signed at run time with ldnsutils (local_dns.SignedZone) and served by a
# private unbound; each instance's resolver validates with the zone's DS as its only trust
# anchor (`[dns] trust_anchor_file`). Each instance has its own self-signed certificate
# (`[tls] certificate`); the zone publishes a TLSA 3 1 1 record (DANE-EE, SPKI, SHA-256) of
# each one's key at _25._tcp of its MX host:
# - alpha.dane.example (a) and beta.dane.example (b): MX with matching TLSA; mail both ways is
#   delivered, the sender logs "dane: verified", the receiver's Received field says ESMTPS and
#   the sender's TLS-RPT data has a "tlsa" success;
# - wrong.dane.example (b): the TLSA record holds a's key, not b's: the message is deferred
#   with 4.7.5, never delivered (no cleartext fallback), `estafeta queue show` gives the reason
#   and TLS-RPT records tlsa-invalid;
# - bogus.dane.example (b): its first MX's TLSA record was changed after signing (bogus,
#   RFC 4035 §5.5): that MX is skipped and the message goes to the second MX (mx.beta);
# - each instance sends from its own MX address ([relay] bind_address): the receiver's
#   Received field and the TLS-RPT data (sending-mta-ip) name it;
# - TLS reports (RFC 8460): beta.dane.example publishes _smtp._tls "v=TLSRPTv1;
#   rua=mailto:tlsrpt@beta..."; after a delivery, `estafeta queue tls-report` on a makes a
#   send its report, which arrives in that mailbox at b (multipart/report, the gzipped JSON
#   counting the DANE session); asked again, a reports only what came after (the session that
#   carried the first report), never the first data again.
# Port 25 needs root (CI runs as root); skipped with a message when it cannot be bound or when
# unbound or ldnsutils is missing. Loopback only; every wait is bounded.
import email
import email.policy
import glob
import gzip
import json
import os
import shutil
import tempfile
import time
import unittest

from estafeta_harness import HOSTNAME, binary, unique
from local_dns import LocalDns, SignedZone, certificate
from outbound_support import (make_instance, port_25_free, stop_all, submit, wait_for_log,
                              wait_for_message)

ZONE = "dane.example"
ALPHA, BETA, WRONG, BOGUS = (f"{d}.{ZONE}" for d in ("alpha", "beta", "wrong", "bogus"))
ADDR_A, ADDR_B = "127.0.0.2", "127.0.0.3"
ANN, BEN, WES, BO = f"ann@{ALPHA}", f"ben@{BETA}", f"wes@{WRONG}", f"bo@{BOGUS}"
RUA = f"tlsrpt@{BETA}"
SECRETS = {ANN: "ann-Alpha-Secret-1", BEN: "ben-Beta-Secret-2"}


def message(sender, to, marker):
    return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
            f"Message-ID: <{marker}@{ZONE}>\r\n\r\nSent with DANE, {marker}.\r\n").encode()


def records(spki_a, spki_b):
    return [
        f"{ALPHA}. IN MX 10 mx.{ALPHA}.",
        f"mx.{ALPHA}. IN A {ADDR_A}",
        f"_25._tcp.mx.{ALPHA}. IN TLSA 3 1 1 {spki_a}",
        f"{BETA}. IN MX 10 mx.{BETA}.",
        f"mx.{BETA}. IN A {ADDR_B}",
        f"_25._tcp.mx.{BETA}. IN TLSA 3 1 1 {spki_b}",
        f'_smtp._tls.{BETA}. IN TXT "v=TLSRPTv1; rua=mailto:{RUA}"',
        f"{WRONG}. IN MX 10 mx.{WRONG}.",
        f"mx.{WRONG}. IN A {ADDR_B}",
        f"_25._tcp.mx.{WRONG}. IN TLSA 3 1 1 {spki_a}",  # a's key: b's certificate never matches
        f"{BOGUS}. IN MX 10 mx.{BOGUS}.",
        f"{BOGUS}. IN MX 20 mx.{BETA}.",
        f"mx.{BOGUS}. IN A {ADDR_B}",
        f"_25._tcp.mx.{BOGUS}. IN TLSA 3 1 1 {spki_b}",  # corrupted after signing
    ]


def tls_report_lines(server):
    out = []
    for path in sorted(glob.glob(os.path.join(server.data_dir, "tls-rpt", "*.jsonl"))):
        with open(path) as f:
            out += [json.loads(line) for line in f if line.strip()]
    return out


class OutboundDane(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        for address in (ADDR_A, ADDR_B):
            why = port_25_free(address)
            if why:
                raise unittest.SkipTest(why)
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-dane-")
        cls.servers = []
        cls.dns = None
        try:
            cert_a, key_a, spki_a = certificate(cls.tmp, f"mx.{ALPHA}")
            cert_b, key_b, spki_b = certificate(cls.tmp, f"mx.{BETA}")
            zone = SignedZone(cls.tmp, ZONE, records(spki_a, spki_b)).sign()
            zone.corrupt(f"_25._tcp.mx.{BOGUS}", "TLSA")
            cls.dns = LocalDns(cls.tmp, [], [], f"mx.{ALPHA}", signed=[zone])
            cls.dns.start()

            def sections(cert, key, address):
                return {"dns": {"forwarders": cls.dns.forwarders(), "dnssec": True,
                                "trust_anchor_file": zone.anchor_path, "timeout": 5},
                        "tls": {"certificate": cert, "private_key": key},
                        "queue": {"retry_interval": 60},
                        # One TLS session per delivery, so that the TLS-RPT session counts
                        # below are per message (a cached connection would carry the next
                        # message over the same session, which counts once). Mail leaves
                        # from the instance's MX address (bind_address).
                        "relay": {"connection_cache_time": 0, "bind_address": address}}

            cls.a = make_instance(ADDR_A, [ALPHA], [ANN], SECRETS, sections(cert_a, key_a, ADDR_A),
                                  cls.servers)
            cls.b = make_instance(ADDR_B, [BETA, WRONG, BOGUS], [BEN, WES, BO, RUA], SECRETS,
                                  sections(cert_b, key_b, ADDR_B), cls.servers)
            cls.a.certificate, cls.b.certificate = cert_a, cert_b
        except BaseException:
            cls.tearDownClass()
            raise

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
                print(f"\n--- {name} ---\n{s.log_tail(40)}", flush=True)
            print("--- unbound ---\n" + self.dns.log_text(), flush=True)

    def send(self, server, sender, to, marker):
        submit(self, server, sender, SECRETS[sender], to, message(sender, to, marker),
               cafile=server.certificate)

    def queue_entry(self, server, rcpt, timeout=15.0):
        """The `queue list --json` entry with `rcpt` once its state is no longer pending."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            listing = json.loads(server.cli("queue", "list", "--json").stdout or "[]")
            for e in listing:
                for r in e["recipients"]:
                    if r["address"] == rcpt and r["state"] != "pending":
                        return e
            time.sleep(0.2)
        self.fail(f"no attempt for {rcpt} recorded in the queue")

    def assertDane(self, sender, domain, host, address, source):
        wait_for_log(self, sender, f"relay: {domain}: dane: verified {host}[{address}]:25")
        rpt = [e for e in tls_report_lines(sender) if e["policy-domain"] == domain]
        self.assertTrue(any(e["policy-type"] == "tlsa" and e["success"] and
                            e["receiving-mx-hostname"] == host and
                            e.get("sending-mta-ip") == source for e in rpt), rpt)

    def test_a_to_b_with_dane(self):
        marker = unique("dane")
        self.send(self.a, ANN, BEN, marker)
        got = wait_for_message(self, self.b, BEN, marker)
        self.assertIn(f"Return-Path: <{ANN}>".encode(), got)
        self.assertIn(b"with ESMTPS", got)
        wait_for_log(self, self.a, f"to=<{BEN}> relay=mx.{BETA} status=sent")
        self.assertIn(f"([{ADDR_A}])".encode(), got)  # [relay] bind_address: from a's MX address
        self.assertDane(self.a, BETA, f"mx.{BETA}", ADDR_B, ADDR_A)

    def test_b_to_a_with_dane(self):
        marker = unique("back")
        self.send(self.b, BEN, ANN, marker)
        got = wait_for_message(self, self.a, ANN, marker)
        self.assertIn(f"Return-Path: <{BEN}>".encode(), got)
        self.assertIn(b"with ESMTPS", got)
        wait_for_log(self, self.b, f"to=<{ANN}> relay=mx.{ALPHA} status=sent")
        self.assertIn(f"([{ADDR_B}])".encode(), got)
        self.assertDane(self.b, ALPHA, f"mx.{ALPHA}", ADDR_A, ADDR_B)

    def test_tlsa_mismatch_defers(self):
        marker = unique("tlsa")
        self.send(self.a, ANN, WES, marker)
        entry = self.queue_entry(self.a, WES)
        r = next(r for r in entry["recipients"] if r["address"] == WES)
        self.assertEqual(r["state"], "deferred", r)
        self.assertTrue(r["reason"].startswith("451 4.7.5 "), r)
        self.assertIn("DANE: no TLSA record matches", r["reason"])
        shown = self.a.cli("queue", "show", entry["id"]).stdout
        self.assertIn("4.7.5", shown)
        self.assertIn(f"DANE: no TLSA record matches the certificate of mx.{WRONG}", shown)
        # Never delivered: not over TLS, and no cleartext fallback either.
        self.assertFalse(self.b.find(WES, marker, wait=False))
        self.assertNotIn(f"relay: {WRONG}: dane: verified", self.a.log_text())
        rpt = [e for e in tls_report_lines(self.a) if e["policy-domain"] == WRONG]
        self.assertTrue(any(e["policy-type"] == "tlsa" and e["result-type"] == "tlsa-invalid"
                            for e in rpt), rpt)
        self.a.cli("queue", "delete", entry["id"])

    def test_bogus_tlsa_skips_that_mx(self):
        marker = unique("bogus")
        self.send(self.a, ANN, BO, marker)
        got = wait_for_message(self, self.b, BO, marker)
        self.assertIn(b"with ESMTPS", got)
        wait_for_log(self, self.a, f"to=<{BO}> relay=mx.{BETA} status=sent")
        log = self.a.log_text()
        self.assertIn(f"relay: {BOGUS}: DANE mx.{BOGUS}: TLSA lookup for _25._tcp.mx.{BOGUS}", log)
        self.assertIn(f"relay: {BOGUS}: dane: verified mx.{BETA}[{ADDR_B}]:25", log)
        rpt = [e for e in tls_report_lines(self.a) if e["policy-domain"] == BOGUS]
        self.assertTrue(any(e["result-type"] == "dnssec-invalid" and
                            e["receiving-mx-hostname"] == f"mx.{BOGUS}" for e in rpt), rpt)

    def report(self, number, timeout=20.0):
        """The JSON of the `number`th TLS report (1-based) in RUA's mailbox at b, and its mail."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.b.find(RUA, "TLS-Report-Domain", wait=False)
            if len(found) >= number:
                break
            time.sleep(0.2)
        else:
            self.fail(f"TLS report {number} did not reach {RUA}")
        mails = []
        for path in found:
            with open(path, "rb") as f:
                mails.append(email.message_from_bytes(f.read(), policy=email.policy.default))
        mails.sort(key=lambda m: str(m["Date"]) + str(m["Message-ID"]))
        reports = []
        for m in mails:
            self.assertEqual(m.get_content_type(), "multipart/report")
            self.assertEqual(m.get_param("report-type"), "tlsrpt")
            self.assertEqual(str(m["TLS-Report-Domain"]), BETA)
            self.assertEqual(str(m["TLS-Report-Submitter"]), self.a_hostname())
            parts = [p for p in m.iter_parts() if p.get_content_type() == "application/tlsrpt+gzip"]
            self.assertEqual(len(parts), 1)
            name = parts[0].get_filename()
            self.assertTrue(name.startswith(f"{self.a_hostname()}!{BETA}!") and name.endswith(".json.gz"), name)
            reports.append(json.loads(gzip.decompress(parts[0].get_payload(decode=True))))
        return reports

    def a_hostname(self):
        return HOSTNAME  # both instances have the harness's host name

    def beta_lines(self):
        return [e for e in tls_report_lines(self.a) if e["policy-domain"] == BETA]

    def test_tls_report_reaches_the_other_instance(self):
        marker = unique("rpt")
        self.send(self.a, ANN, BEN, marker)
        wait_for_message(self, self.b, BEN, marker)
        wait_for_log(self, self.a, f"to=<{BEN}> relay=mx.{BETA} status=sent")
        deadline = time.monotonic() + 10
        while not self.beta_lines() and time.monotonic() < deadline:
            time.sleep(0.1)  # the line is written after the session ends
        recorded = sum(1 for e in self.beta_lines() if e["success"] and e["policy-type"] == "tlsa")
        self.assertGreaterEqual(recorded, 1)
        self.a.cli("queue", "tls-report")
        first = self.report(1)[0]
        self.assertEqual(first["organization-name"], HOSTNAME)
        self.assertEqual(first["contact-info"], f"mailto:postmaster@{HOSTNAME}")
        self.assertTrue(first["date-range"]["start-datetime"].endswith("T00:00:00Z"))
        self.assertIn(BETA, first["report-id"])
        tlsa = [p for p in first["policies"] if p["policy"]["policy-type"] == "tlsa"]
        self.assertEqual(len(tlsa), 1, first)
        self.assertEqual(tlsa[0]["policy"]["policy-domain"], BETA)
        self.assertEqual(tlsa[0]["summary"]["total-successful-session-count"], recorded)
        self.assertEqual(tlsa[0]["summary"]["total-failure-session-count"], 0)
        # The data went out: a has it as reported, and only newer lines are left to report.
        self.assertTrue(glob.glob(os.path.join(self.a.data_dir, "tls-rpt", "*.reported")))
        wait_for_log(self, self.a, f"to=<{RUA}> relay=mx.{BETA} status=sent")
        deadline = time.monotonic() + 10
        while not self.beta_lines() and time.monotonic() < deadline:
            time.sleep(0.1)
        self.assertEqual(len(self.beta_lines()), 1)  # the session that carried report 1
        self.a.cli("queue", "tls-report")
        reports = self.report(2)
        second = next(r for r in reports if r["report-id"] != first["report-id"])
        tlsa = [p for p in second["policies"] if p["policy"]["policy-type"] == "tlsa"]
        self.assertEqual(tlsa[0]["summary"]["total-successful-session-count"], 1, second)
        # It covers the time after the first one.
        self.assertGreater(second["date-range"]["start-datetime"], first["date-range"]["end-datetime"])


if __name__ == "__main__":
    unittest.main()
