# test_spool_crash: kill -9 at each point of a message's way through the spool, then restart
# on the same data dir and count the message in every mailbox: an acknowledged message is
# delivered exactly once, an unacknowledged one not at all (until the client sends it again).
# The crash points are compiled into non-Release builds (base/fault_injection.hpp) and chosen
# with ESTAFETA_CRASH_AT; the process kills itself with SIGKILL there, as a power cut would.
#   spool-before-commit         data streamed into the spool, record not yet written
#   spool-after-commit          record durable, before the 250 is sent
#   delivery-before-write       after the 250, before the Maildir write
#   delivery-between-mailboxes  one of three mailboxes linked, the others not yet
#   spool-after-delivery        every mailbox written and fsynced, spool entry not yet removed
import time
import unittest

from estafeta_harness import Server, failed, simple_message, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"


class SpoolCrash(unittest.TestCase):

    def setUp(self):
        self.server = Server(sections={"delivery": {"retry_interval": 1}})

    def tearDown(self):
        if failed(self):
            print("\n" + self.server.log_tail(40), flush=True)
        self.server.cleanup()

    def send(self, marker, rcpts, big=False):
        """One message over a raw session; returns the final reply code or None when the
        connection died first."""
        c = self.server.raw()
        try:
            c.ehlo()
            self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
            for r in rcpts:
                self.assertEqual(c.cmd(f"RCPT TO:<{r}>")[0], 250)
            self.assertEqual(c.cmd("DATA")[0], 354)
            body = ("x" * 70 + "\r\n") * (3000 if big else 3)
            c.send(simple_message(marker, to=rcpts[0], body=body) + b".\r\n")
            try:
                return c.reply()[0]
            except (OSError, EOFError, AssertionError):
                return None
        finally:
            c.close()

    def crash_at(self, point, marker, rcpts, big=False):
        self.server.env = {"ESTAFETA_CRASH_AT": point}
        self.server.start()
        code = self.send(marker, rcpts, big)
        deadline = time.monotonic() + 10
        while self.server.running() and time.monotonic() < deadline:
            time.sleep(0.02)
        if self.server.running():
            self.server.kill()
            self.skipTest("crash points not built in (a Release build?)")
        self.assertIn(f"crash point {point} reached", self.server.log_text())
        self.server.kill()
        self.server.env = {}
        self.server.start()
        self.assertTrue(self.server.wait_spool(), self.server.log_tail())
        return code

    def count(self, address, marker):
        return len(self.server.find(address, marker))

    def test_before_commit_nothing_is_acknowledged_or_delivered(self):
        marker = unique("before-commit")
        code = self.crash_at("spool-before-commit", marker, [ALICE], big=True)
        self.assertIsNone(code)
        self.assertEqual(self.count(ALICE, marker), 0)
        self.assertEqual(self.server.spool_entries(), [])  # the unfinished file is gone
        self.assertEqual(self.send(marker, [ALICE]), 250)  # the client's retry
        self.assertEqual(self.count(ALICE, marker), 1)

    def test_after_commit_before_reply_is_delivered_once(self):
        marker = unique("after-commit")
        code = self.crash_at("spool-after-commit", marker, [ALICE, BOB])
        self.assertIsNone(code)  # durable but not acknowledged: delivered, once
        self.assertEqual(self.count(ALICE, marker), 1)
        self.assertEqual(self.count(BOB, marker), 1)

    def test_between_reply_and_maildir_write(self):
        marker = unique("after-reply")
        code = self.crash_at("delivery-before-write", marker, [ALICE])
        self.assertEqual(code, 250)
        self.assertEqual(self.count(ALICE, marker), 1)

    def test_halfway_through_several_mailboxes(self):
        marker = unique("halfway")
        code = self.crash_at("delivery-between-mailboxes", marker, [ALICE, BOB, CAROL])
        self.assertEqual(code, 250)
        for r in (ALICE, BOB, CAROL):
            self.assertEqual(self.count(r, marker), 1, r)

    def test_after_delivery_before_spool_removal(self):
        marker = unique("after-delivery")
        code = self.crash_at("spool-after-delivery", marker, [ALICE, BOB])
        self.assertEqual(code, 250)
        self.assertEqual(self.count(ALICE, marker), 1)
        self.assertEqual(self.count(BOB, marker), 1)
        self.assertIn("not delivered again", self.server.log_text())

    def test_ids_stay_unique_across_restarts(self):
        self.server.start()
        ids = set()
        for round_ in range(2):
            for i in range(3):
                marker = unique(f"id-{round_}-{i}")
                self.assertEqual(self.send(marker, [ALICE]), 250)
                data = self.server.read_one(self, ALICE, marker)
                head = data.split(b"\r\n\r\n", 1)[0]
                rid = head.split(b" id ", 1)[1].split()[0]
                self.assertNotIn(rid, ids)
                ids.add(rid)
            self.server.kill()
            self.server.start()
        self.assertEqual(len(ids), 6)


if __name__ == "__main__":
    unittest.main()
