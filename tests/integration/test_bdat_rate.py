# test_bdat_rate: one minimum-data-rate grace period per transaction. A client that sends a
# message as many tiny BDAT chunks (RFC 3030), each promptly, but far below
# smtp.min_data_rate overall, used to restart the grace period with every chunk and could hold
# its connection slot for ever; now the rate is measured from the first chunk of the
# transaction and the session gets 421 4.4.2. A client sending chunks at a sound rate is
# unaffected. Every wait is bounded.
import time
import unittest

from estafeta_harness import ServerTestCase, simple_message, unique

ALICE = "alice@example.test"


class BdatRate(ServerTestCase):
    # 2 s of grace, then 2000 octets/s on average over the whole transaction.
    SMTP = {"min_data_rate": 2000, "data_rate_grace": 2, "command_timeout": 60}

    def start_transaction(self):
        c = self.server.raw()
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<slow@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        return c

    def test_tiny_bdat_chunks_share_one_grace_period(self):
        c = self.start_transaction()
        start = time.monotonic()
        reply = None
        # A chunk of 10 octets every 0.5 s: 20 octets/s. Each chunk is answered at once, so
        # only the rate over the transaction can stop it.
        closed = False
        for _ in range(40):
            code, lines = c.cmd("BDAT 10\r\n" + "x" * 8)
            if code != 250:
                reply = (code, lines)
                break
            closed = c.closed_within(0.5)  # keeps what arrives in c.buf
            if closed:
                reply = c.reply()
                break
        else:
            self.fail("20 octets/s in BDAT chunks was never cut")
        self.assertEqual(reply[0], 421, reply)
        self.assertTrue(reply[1][0].startswith("4.4.2 "), reply)
        self.assertLess(time.monotonic() - start, 15)
        self.assertTrue(closed or c.closed_within(5))
        c.close()

    def test_sound_bdat_chunks_deliver(self):
        marker = unique("bdatrate")
        msg = simple_message(marker, body="line of text\r\n" * 2000)  # about 28 kB
        c = self.start_transaction()
        pieces = [msg[i:i + 4000] for i in range(0, len(msg), 4000)]
        for piece in pieces[:-1]:
            c.send(f"BDAT {len(piece)}\r\n".encode() + piece)
            self.assertEqual(c.reply()[0], 250)
            time.sleep(0.3)  # about 13 kB/s over the transaction: well above 2000 octets/s
        c.send(f"BDAT {len(pieces[-1])} LAST\r\n".encode() + pieces[-1])
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("QUIT")[0], 221)
        self.server.read_one(self, ALICE, marker)


if __name__ == "__main__":
    unittest.main()
