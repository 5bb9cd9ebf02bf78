# test_local_delivery: what local delivery from the spool writes into the Maildirs (through
# the mailbox store). A Return-Path already in a message is replaced by the envelope's
# (RFC 5321 §4.4); a message for several mailboxes is delivered per mailbox, as an LMTP
# delivery is per recipient: when one mailbox cannot be written the others have their copy,
# the message waits in the spool (deferred, with the reason) for the broken one only, and
# once it is fixed every mailbox holds exactly one copy (the store's delivery keys make the
# retry skip the mailboxes already done).
import os
import time

from estafeta_harness import ServerTestCase, simple_message, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"


class LocalDelivery(ServerTestCase):
    SECTIONS = {"delivery": {"retry_interval": 1}}

    def send(self, marker, rcpts, extra_headers=""):
        c = self.server.raw()
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<real@remote.test>")[0], 250)
        for r in rcpts:
            self.assertEqual(c.cmd(f"RCPT TO:<{r}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker, to=rcpts[0], extra_headers=extra_headers) + b".\r\n")
        self.assertReply(c.reply(), 250, "2.0.0")
        c.close()

    def test_return_path_in_the_message_is_replaced(self):
        marker = unique("rp")
        self.send(marker, [ALICE], "Return-Path: <forged@evil.test>\r\nreturn-path:\r\n <x@y>\r\n")
        data = self.server.read_one(self, ALICE, marker)
        head = data.split(b"\r\n\r\n", 1)[0].lower()
        self.assertEqual(head.count(b"return-path:"), 1)
        self.assertTrue(data.startswith(b"Return-Path: <real@remote.test>\r\n"), data[:80])
        self.assertNotIn(b"forged@evil.test", data)

    def test_a_broken_mailbox_delays_only_itself_and_nothing_is_duplicated(self):
        marker = unique("halfway")
        root = self.server.maildir(BOB)
        os.makedirs(os.path.dirname(root), exist_ok=True)
        if os.path.isdir(root):
            os.rename(root, root + f".{marker}")
        with open(root, "w") as f:
            f.write("not a maildir\n")
        try:
            self.send(marker, [ALICE, BOB])
            deadline = time.monotonic() + 10
            listing = ""
            while "deferred" not in listing and time.monotonic() < deadline:
                listing = self.server.cli("queue", "list").stdout
                time.sleep(0.05)
            self.assertIn("deferred", listing)
            self.assertEqual(len(self.server.find(ALICE, marker, wait=False)), 1)
            tmp = os.path.join(self.server.maildir(ALICE), "tmp")
            self.assertEqual([n for n in os.listdir(tmp) if not n.startswith(".")], [])
        finally:
            os.remove(root)
        self.assertTrue(self.server.wait_spool(15), self.server.cli("queue", "list").stdout)
        a = self.server.find(ALICE, marker)
        b = self.server.find(BOB, marker)
        self.assertEqual((len(a), len(b)), (1, 1))
        self.assertIn("not delivered again", self.server.log_text())


if __name__ == "__main__":
    import unittest
    unittest.main()
