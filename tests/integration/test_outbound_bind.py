# test_outbound_bind: [relay] bind_address and bind_address6 (Postfix smtp_bind_address):
# outgoing SMTP connections are made from the configured address. Two instances on loopback
# with free ports: "a" routes far.test to "b" ([routing] routes, no DNS) with bind_address =
# 127.0.0.5 (every 127/8 address is the loopback's on Linux); b's Received field and log name
# 127.0.0.5 as the client. v6.test is routed to b's [::1] listener while bind_address6 is an
# address the machine does not have (2001:db8::5): the attempt fails, the recipient is
# deferred and `estafeta queue show` names the bind failure. A bad address in the
# configuration is refused by `estafeta config check` with the key named. Every wait is
# bounded.
import json
import os
import socket
import subprocess
import time
import unittest

from estafeta_harness import PASSWORDS, Server, binary, unique
from outbound_support import submit, wait_for_log, wait_for_message

ALICE = "alice@example.test"
BOB = "bob@far.test"
BEA = "bea@v6.test"


def have_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


class OutboundBind(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.v6 = have_ipv6_loopback()
        listeners = {"smtp": ("mx", None), "submission": ("submission", None)}
        if cls.v6:
            listeners["smtp6"] = ("mx", None, "::1")
        cls.b = Server(listeners=listeners)
        cls.a = None
        try:
            for d in ("far.test", "v6.test"):
                cls.b.cli("domain", "add", d)
            for u in (BOB, BEA):
                cls.b.cli("user", "add", u, "--password-stdin", input="x-Secret-9\n")
            cls.b.start()
            routes = f"far.test = [127.0.0.1]:{cls.b.mx}"
            if cls.v6:
                routes += f", v6.test = [::1]:{cls.b.listeners['smtp6'][1]}"
            cls.a = Server(sections={"routing": {"routes": routes},
                                     "relay": {"bind_address": "127.0.0.5",
                                               "bind_address6": "2001:db8::5"},
                                     "queue": {"retry_interval": 60}})
            cls.a.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            if s:
                try:
                    s.stop()
                finally:
                    s.cleanup()

    def message(self, to, marker):
        return (f"From: <{ALICE}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
                f"Message-ID: <{marker}@example.test>\r\n\r\nBound, {marker}.\r\n").encode()

    def test_receiver_sees_the_bound_address(self):
        marker = unique("bind")
        submit(self, self.a, ALICE, PASSWORDS[ALICE], BOB, self.message(BOB, marker))
        got = wait_for_message(self, self.b, BOB, marker).decode(errors="replace")
        # The receiver's own Received field: the first one, with its continuation lines.
        lines = got.split("\r\n")
        first = next(i for i, line in enumerate(lines) if line.startswith("Received: "))
        received = lines[first]
        for line in lines[first + 1:]:
            if not line[:1].isspace():
                break
            received += line
        self.assertIn("[127.0.0.5]", received)
        self.assertNotIn("[127.0.0.1]", received)
        wait_for_log(self, self.a, f"to=<{BOB}> relay=127.0.0.1 status=sent")

    def test_bind_address6_applies_to_ipv6(self):
        if not self.v6:
            self.skipTest("no IPv6 loopback")
        marker = unique("bind6")
        submit(self, self.a, ALICE, PASSWORDS[ALICE], BEA, self.message(BEA, marker))
        deadline = time.monotonic() + 15
        entry = None
        while time.monotonic() < deadline and entry is None:
            for e in json.loads(self.a.cli("queue", "list", "--json").stdout or "[]"):
                for r in e["recipients"]:
                    if r["address"] == BEA and r["state"] == "deferred":
                        entry = e
            time.sleep(0.2)
        self.assertIsNotNone(entry, self.a.log_tail(30))
        shown = self.a.cli("queue", "show", entry["id"]).stdout
        self.assertIn("cannot bind to 2001:db8::5", shown)
        self.assertFalse(self.b.find(BEA, marker, wait=False))
        self.a.cli("queue", "delete", entry["id"])

    def test_bad_bind_address_is_refused(self):
        for key, value in (("bind_address", "::1"), ("bind_address6", "127.0.0.5"),
                           ("bind_address", "mail.example.org")):
            path = os.path.join(self.a.tmp, "bad.toml")
            with open(self.a.config_path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace('bind_address = "127.0.0.5"', "").replace(
                    'bind_address6 = "2001:db8::5"', "").replace("[relay]", f'[relay]\n{key} = "{value}"'))
            r = subprocess.run([binary(), "-c", path, "config", "check"], capture_output=True,
                               text=True, timeout=60)
            self.assertNotEqual(r.returncode, 0, (key, value))
            self.assertIn(f"relay.{key}", r.stdout + r.stderr)
            self.assertIn("expected an IPv", r.stdout + r.stderr)


if __name__ == "__main__":
    unittest.main()
