# test_smtp_stream: how the server reads the byte stream, independent of how TCP cuts it.
# Commands and the end-of-data marker split across writes at every position, a flood of
# pipelined commands larger than any input buffer (the server must apply backpressure and
# answer every one, RFC 2920 §3.1), SIZE counted without dot-stuffing (RFC 1870 §5), a spool
# that cannot be written answered 451 4.3.0 with nothing acknowledged, and a Maildir that
# cannot be written after the 250 deferred in the spool and delivered once it is fixed.
import os
import random
import threading
import time
import unittest

from estafeta_harness import RawClient, ServerTestCase, simple_message, unique

ALICE = "alice@example.test"
MAX_SIZE = 20000


class Stream(ServerTestCase):
    # The NOOP flood is about backpressure, not the junk-command limit (test_smtp_bad_input).
    SMTP = {"max_message_size": MAX_SIZE, "max_junk_commands": 1000000}
    SECTIONS = {"delivery": {"retry_interval": 1}}

    def session(self):
        c = self.server.raw()
        c.ehlo()
        return c

    def test_command_split_every_octet(self):
        c = self.session()
        line = b"MAIL FROM:<split@remote.test>\r\n"
        for i in range(len(line)):
            c.send(line[i:i + 1])
            time.sleep(0.005)
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(c.cmd("RSET")[0], 250)
        c.close()

    def test_end_of_data_split_at_every_position(self):
        terminator = b"\r\n.\r\n"
        for cut in range(1, len(terminator)):
            marker = unique(f"eod{cut}")
            c = self.session()
            self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
            self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
            self.assertEqual(c.cmd("DATA")[0], 354)
            msg = simple_message(marker, body="last line")  # no CRLF: the terminator adds it
            c.send(msg + terminator[:cut])
            time.sleep(0.2)
            self.assertEqual(c.buf, b"", "replied before the end of data")
            c.send(terminator[cut:])
            self.assertEqual(c.reply()[0], 250, cut)
            c.close()
            self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg + b"\r\n"))

    def test_dot_lines_not_end_of_data(self):
        marker = unique("dots")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        # Escaped dots and lookalikes of the end-of-data line (RFC 5321 §4.5.2).
        c.send(simple_message(marker, body="a\r\n..\r\n...\r\n.a\r\n b\r\n") + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(b"\r\na\r\n.\r\n..\r\na\r\n b\r\n"), stored[-40:])

    def test_pipelined_noop_flood(self):
        count = 20000  # 120 kB of commands in one write, answered while we are still sending
        c = self.session()
        errors = []

        def writer():
            try:
                c.sock.sendall(b"NOOP\r\n" * count + b"QUIT\r\n")
            except OSError as e:
                errors.append(e)

        t = threading.Thread(target=writer, daemon=True)
        t.start()
        codes = {}
        for _ in range(count):
            code = c.reply()[0]
            codes[code] = codes.get(code, 0) + 1
        self.assertEqual(codes, {250: count})
        self.assertEqual(c.reply()[0], 221)
        t.join(timeout=10)
        self.assertFalse(t.is_alive())
        self.assertEqual(errors, [])
        c.close()

    def test_size_counts_unstuffed_octets(self):
        # Exactly MAX_SIZE octets once unstuffed, but over MAX_SIZE on the wire.
        marker = unique("stuffed")
        msg = simple_message(marker, body="")
        dotline = b"." + b"d" * 8 + b"\r\n"
        msg += dotline * ((MAX_SIZE - len(msg) - 2) // len(dotline))
        msg += b"e" * (MAX_SIZE - len(msg) - 2) + b"\r\n"
        self.assertEqual(len(msg), MAX_SIZE)
        wire = msg.replace(b"\r\n.", b"\r\n..")
        self.assertGreater(len(wire), MAX_SIZE + 1000)
        c = self.session()
        self.assertEqual(c.cmd(f"MAIL FROM:<s@remote.test> SIZE={MAX_SIZE}")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(wire + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg))

    def test_random_garbage_sessions(self):
        # 60 sessions of random bytes mixed with command fragments, on every listener; the
        # server must neither crash (ASan aborts the process) nor stop serving.
        rng = random.Random(int(os.environ.get("ESTAFETA_GARBAGE_SEED", "20261128")))
        words = [b"EHLO x\r\n", b"MAIL FROM:<a@b.test>\r\n", f"RCPT TO:<{ALICE}>\r\n".encode(),
                 b"DATA\r\n", b"BDAT 10\r\n", b"AUTH PLAIN\r\n", b"STARTTLS\r\n", b".\r\n", b"\r\n",
                 b"\n", b"\x00", b"RSET\r\n"]
        for i in range(60):
            port = (self.server.mx, self.server.submission, self.server.submissions)[i % 3]
            c = None
            try:
                c = RawClient(port)
                for _ in range(rng.randint(1, 20)):
                    if rng.random() < 0.5:
                        c.send(rng.choice(words))
                    else:
                        c.send(rng.randbytes(rng.randint(1, 300)))
                c.sock.settimeout(0.05)
                try:
                    c.sock.recv(65536)
                except OSError:
                    pass
            except OSError:
                pass  # the server may close on us: fine
            finally:
                if c is not None:
                    c.close()
        self.assertTrue(self.server.running(), self.server.log_tail())
        marker = unique("survived")
        with self.server.smtp() as s:
            self.assertEqual(s.sendmail("g@remote.test", [ALICE], simple_message(marker)), {})
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def send_one(self, c, user, marker):
        self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{user}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker, to=user) + b".\r\n")
        return c.reply()

    def test_spool_failure_is_451_and_not_acknowledged(self):
        spool = os.path.join(self.server.data_dir, "spool")
        os.rename(spool, spool + ".moved")
        with open(spool, "w") as f:  # a file where the spool should be: storing must fail
            f.write("not a directory\n")
        marker = unique("fail")
        try:
            c = self.session()
            self.assertReply(self.send_one(c, ALICE, marker), 451, "4.3.0")
            self.assertEqual(c.cmd("NOOP")[0], 250)  # the session goes on
            c.close()
        finally:
            os.remove(spool)
            os.rename(spool + ".moved", spool)
        self.assertEqual(len(self.server.find(ALICE, marker)), 0)
        other = self.session()  # the spool is back: the same mail now goes through
        self.assertEqual(self.send_one(other, ALICE, marker)[0], 250)
        other.close()
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_maildir_failure_is_deferred_then_delivered(self):
        user = "dora@example.test"
        self.server.cli("user", "add", user, "--password-stdin", input="dora-Pw-44\n")
        root = self.server.maildir(user)
        os.makedirs(os.path.dirname(root), exist_ok=True)
        if os.path.isdir(root):
            os.rename(root, root + ".moved")
        with open(root, "w") as f:  # a file where the Maildir should be: delivery must fail
            f.write("not a maildir\n")
        marker = unique("deferred")
        c = self.session()
        # The message is durable in the spool: acknowledged, then delivered when it can be.
        self.assertReply(self.send_one(c, user, marker), 250, "2.0.0")
        c.close()
        deadline = time.monotonic() + 10
        listing = ""
        while "deferred" not in listing and time.monotonic() < deadline:
            listing = self.server.cli("queue", "list").stdout
            time.sleep(0.05)
        self.assertIn("deferred", listing)
        self.assertIn("Not a directory", listing)
        self.assertIn(f"<{user}>", listing)
        os.remove(root)  # fixed: the next retry (delivery.retry_interval = 1 s) delivers it
        self.assertTrue(self.server.wait_spool(15), self.server.cli("queue", "list").stdout)
        self.assertEqual(len(self.server.find(user, marker)), 1)
        self.assertEqual(self.server.cli("queue", "list").stdout, "the spool is empty\n")


if __name__ == "__main__":
    unittest.main()
