# test_outbound_crash: kill -9 of the sending Estafeta with a full outbound queue. "a" routes
# far.test to a port where nothing listens yet (a static route, no DNS); alice submits 50
# messages over one authenticated session and a is killed with SIGKILL right after the last
# 250, while those messages are being tried and deferred. a is started again on the same data
# dir, the receiver "b" comes up on that port, `estafeta queue retry` is run, and every
# message must reach b exactly once (Message-IDs counted in b's Maildir) and a's queue must
# end empty. Loopback only; every wait is bounded.
import json
import re
import time
import unittest

from estafeta_harness import PASSWORDS, Server, free_port, unique

ALICE = "alice@example.test"
FAR = "far.test"
BOB_FAR = f"bob@{FAR}"
COUNT = 50


class OutboundCrash(unittest.TestCase):
    def setUp(self):
        self.a = self.b = None
        self.down_port = free_port()
        self.a = Server(sections={"routing": {"routes": f"{FAR} = [127.0.0.1]:{self.down_port}"},
                                  "queue": {"retry_interval": 60}})

    def tearDown(self):
        failed = any(t is self for t, _ in self._outcome.result.failures + self._outcome.result.errors)
        for name, s in (("a", self.a), ("b", self.b)):
            if s:
                if failed:
                    print(f"\n--- {name} ---\n{s.log_tail(40)}", flush=True)
                s.cleanup()

    def queue_ids(self):
        return [e["id"] for e in json.loads(self.a.cli("queue", "list", "--json").stdout)]

    def test_kill_9_with_a_full_queue_loses_and_duplicates_nothing(self):
        self.a.start()
        run = unique("crash")
        ids = [f"<{run}-{i}@example.test>" for i in range(COUNT)]
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            for i, mid in enumerate(ids):
                msg = (f"From: <{ALICE}>\r\nTo: <{BOB_FAR}>\r\nSubject: {run} {i}\r\n"
                       f"Message-ID: {mid}\r\n\r\nMessage {i} of {COUNT}.\r\n").encode()
                self.assertEqual(s.sendmail(ALICE, [BOB_FAR], msg), {})
            self.a.kill()  # SIGKILL while the queue is full and being tried
        self.a.start()
        deadline = time.monotonic() + 20
        while len(self.queue_ids()) < COUNT and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(len(self.queue_ids()), COUNT, "messages in the queue after the restart")

        self.b = Server(listeners={"smtp": ("mx", self.down_port)})
        self.b.cli("domain", "add", FAR)
        self.b.cli("user", "add", BOB_FAR, "--password-stdin", input="bob-Far-Secret-1\n")
        self.b.start()
        self.a.cli("queue", "retry")

        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and (self.queue_ids() or not self.b.wait_spool(0)):
            time.sleep(0.2)
        self.assertEqual(self.queue_ids(), [], "a's queue after the retry")
        self.assertTrue(self.b.wait_spool(10))
        counts = {}
        for body in self.b.messages(BOB_FAR):
            m = re.search(rb"^Message-ID: (\S+)\r?$", body, re.M | re.I)
            self.assertIsNotNone(m, body[:400])
            counts[m.group(1).decode()] = counts.get(m.group(1).decode(), 0) + 1
        missing = [i for i in ids if i not in counts]
        twice = {k: v for k, v in counts.items() if v != 1}
        self.assertEqual(missing, [], "messages lost")
        self.assertEqual(twice, {}, "messages delivered more than once")
        self.assertEqual(sorted(counts), sorted(ids))
        self.a.stop_ok(self)
        self.b.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
