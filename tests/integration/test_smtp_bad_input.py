# test_smtp_bad_input: hostile or broken clients against the real binary, one case per limit
# or malformation, each checking the exact reply class and RFC 3463 enhanced code, that nothing
# is delivered, and (where the session survives) that the next transaction still succeeds.
# Limits are lowered in the config (max_line_length, max_message_size, data_timeout,
# max_errors) so each case runs in seconds.
import time
import unittest

from estafeta_harness import RawClient, ServerTestCase, enhanced, simple_message, unique

ALICE = "alice@example.test"
MAX_LINE = 1000
MAX_SIZE = 20000
MAX_ERRORS = 5


class BadInput(ServerTestCase):
    SMTP = {"max_line_length": MAX_LINE, "max_message_size": MAX_SIZE, "data_timeout": 2,
            "max_errors": MAX_ERRORS}

    def session(self):
        c = self.server.raw()
        c.ehlo()
        return c

    def transaction(self, c, message, rcpt=ALICE):
        """MAIL/RCPT/DATA with `message` (already CRLF, no dot stuffing needed); the final reply."""
        self.assertEqual(c.cmd("MAIL FROM:<bad@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{rcpt}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(message + b".\r\n")
        return c.reply()

    def still_works(self, c):
        marker = unique("after")
        self.assertReply(self.transaction(c, simple_message(marker)), 250)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def sized(self, marker, size):
        """A message of exactly `size` octets as RFC 1870 §5 counts them (CRLFs included)."""
        msg = simple_message(marker, body="")
        line = b"x" * 70 + b"\r\n"
        msg += line * ((size - len(msg) - 2) // len(line))
        msg += b"y" * (size - len(msg) - 2) + b"\r\n"
        self.assertEqual(len(msg), size)
        return msg

    # -- command line ------------------------------------------------------------------------
    def test_overlong_command(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<" + "a" * 3000 + "@remote.test>"), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250)
        c.close()

    def test_overlong_command_in_pieces(self):
        c = self.session()
        for _ in range(6):
            c.send(b"NOOP " + b"z" * 1000)
            time.sleep(0.05)
        c.send(b"\r\n")
        self.assertReply(c.reply(), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250)
        c.close()

    def test_command_at_limit_accepted(self):
        c = self.session()
        line = "NOOP " + "n" * (2048 - len("NOOP ") - 2)  # 2048 octets with CRLF
        self.assertEqual(c.cmd(line)[0], 250)
        c.close()

    def test_bare_lf_command(self):
        c = self.session()
        c.send(b"NOOP\n")
        self.assertReply(c.reply(), 500, "5.5.2")
        self.assertReply(c.cmd("NOOP"), 250)
        c.close()

    def test_nul_byte_in_command(self):
        c = self.session()
        c.send(b"MAIL FROM:<nul\x00@remote.test>\r\n")
        self.assertReply(c.reply(), 500, "5.5.2")  # NUL octet in command
        self.assertReply(c.cmd("NOOP"), 250)
        c.close()

    # -- message text ------------------------------------------------------------------------
    def test_overlong_text_line(self):
        marker = unique("longline")
        msg = simple_message(marker, body="a" * (MAX_LINE * 2) + "\r\nend\r\n")
        c = self.session()
        self.assertReply(self.transaction(c, msg), 500, "5.5.2")  # line too long in message text
        self.assertEqual(self.server.find(ALICE, marker), [])
        self.still_works(c)
        c.close()

    def test_text_line_at_limit_accepted(self):
        marker = unique("lineok")
        msg = simple_message(marker, body="b" * (MAX_LINE - 2) + "\r\n")
        c = self.session()
        self.assertReply(self.transaction(c, msg), 250)
        c.close()

    def test_bare_lf_in_data(self):
        marker = unique("barelf")
        msg = simple_message(marker, body="first\nsecond\r\n")
        c = self.session()
        self.assertReply(self.transaction(c, msg), 550, "5.6.2")
        self.assertEqual(self.server.find(ALICE, marker), [])
        self.still_works(c)
        c.close()

    def test_message_one_byte_over_size(self):
        marker = unique("big")
        c = self.session()
        self.assertIn(f"SIZE {MAX_SIZE}", c.ehlo())
        self.assertReply(self.transaction(c, self.sized(marker, MAX_SIZE + 1)), 552, "5.3.4")
        self.assertEqual(self.server.find(ALICE, marker), [])
        self.still_works(c)
        c.close()

    def test_message_at_size_accepted(self):
        marker = unique("fits")
        c = self.session()
        self.assertReply(self.transaction(c, self.sized(marker, MAX_SIZE)), 250)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)
        c.close()

    def test_declared_size_too_big(self):
        c = self.session()
        self.assertReply(c.cmd(f"MAIL FROM:<s@remote.test> SIZE={MAX_SIZE + 1}"), 552, "5.3.4")
        self.assertReply(c.cmd(f"MAIL FROM:<s@remote.test> SIZE={MAX_SIZE}"), 250)
        c.close()

    def test_bdat_over_size(self):
        marker = unique("bigbdat")
        msg = self.sized(marker, MAX_SIZE + 1)
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<s@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        c.send(f"BDAT {MAX_SIZE}\r\n".encode() + msg[:MAX_SIZE])
        self.assertEqual(c.reply()[0], 250)  # exactly at the limit so far
        c.send(b"BDAT 1 LAST\r\n" + msg[MAX_SIZE:])
        first = c.reply()
        self.assertReply(first, 552, "5.3.4")
        self.assertEqual(self.server.find(ALICE, marker), [])
        self.still_works(c)
        c.close()

    # -- envelope ----------------------------------------------------------------------------
    def test_101st_recipient(self):
        c = self.session()
        c.send("MAIL FROM:<many@remote.test>\r\n" +
               "".join(f"RCPT TO:<alice+{i}@example.test>\r\n" for i in range(101)))
        replies = c.replies(102)
        self.assertEqual(replies[0][0], 250)
        self.assertEqual([r[0] for r in replies[1:101]], [250] * 100)
        self.assertReply(replies[101], 452, "4.5.3")
        marker = unique("hundred")
        c.send(b"DATA\r\n")
        self.assertEqual(c.reply()[0], 354)
        c.send(simple_message(marker) + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)  # one mailbox, one copy
        c.close()

    def test_unknown_user(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<u@remote.test>")[0], 250)
        self.assertReply(c.cmd("RCPT TO:<no.such.user@example.test>"), 550, "5.1.1")
        self.assertReply(c.cmd("DATA"), 554, "5.5.1")  # RFC 5321 §3.3: no valid recipients
        c.close()

    def test_relay_refused_on_mx(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<u@remote.test>")[0], 250)
        self.assertReply(c.cmd("RCPT TO:<victim@elsewhere.invalid>"), 554, "5.7.1")
        # The percent hack is no relay: "alice%elsewhere.invalid" is just an unknown local part.
        self.assertReply(c.cmd("RCPT TO:<alice%elsewhere.invalid@example.test>"), 550, "5.1.1")
        c.close()

    def test_received_loop(self):
        marker = unique("loop")
        hops = "".join(f"Received: from h{i}.test by h{i + 1}.test; Sat, 28 Nov 2026 03:00:00 +0000\r\n"
                       for i in range(101))
        c = self.session()
        self.assertReply(self.transaction(c, hops.encode() + simple_message(marker)), 554, "5.4.6")
        self.assertEqual(self.server.find(ALICE, marker), [])
        self.still_works(c)
        c.close()

    def test_received_at_limit_accepted(self):
        marker = unique("hops100")
        hops = "".join(f"Received: from h{i}.test by h{i + 1}.test; Sat, 28 Nov 2026 03:00:00 +0000\r\n"
                       for i in range(100))
        c = self.session()
        self.assertReply(self.transaction(c, hops.encode() + simple_message(marker)), 250)
        c.close()

    def test_client_disconnects_mid_data(self):
        marker = unique("cut")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<cut@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker))  # no end-of-data: the message is incomplete
        c.close()
        time.sleep(0.5)
        self.assertEqual(self.server.find(ALICE, marker), [])
        other = self.session()
        self.still_works(other)
        other.close()

    # -- command sequence (RFC 5321 §4.1.4) --------------------------------------------------
    def test_mail_before_ehlo(self):
        c = self.server.raw()
        self.assertReply(c.cmd("MAIL FROM:<x@remote.test>"), 503, "5.5.1")
        c.close()

    def test_rcpt_before_mail(self):
        c = self.session()
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")
        c.close()

    def test_nested_mail(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.test>")[0], 250)
        self.assertReply(c.cmd("MAIL FROM:<y@remote.test>"), 503, "5.5.1")
        c.close()

    def test_ehlo_without_domain(self):
        c = self.server.raw()
        self.assertReply(c.cmd("EHLO"), 501, "5.5.4")
        self.assertEqual(c.cmd("EHLO " + "fine.test")[0], 250)
        c.close()

    def test_ehlo_resets_transaction(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.test>")[0], 250)
        c.ehlo()
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")
        c.close()

    def test_mail_syntax_errors(self):
        c = self.session()
        for line, enh in (("MAIL FROM:x@remote.test", "5.1.7"), ("MAIL FROM:<x@remote.test", "5.1.7"),
                          ("MAIL TO:<x@remote.test>", "5.5.2"), ("MAIL FROM:<x@@remote.test>", "5.1.7"),
                          ("MAIL FROM:<x@remote.test> SIZE=abc", "5.5.4")):
            with self.subTest(line=line):
                self.assertReply(c.cmd(line), 501, enh)
        c.close()

    # -- session limits ----------------------------------------------------------------------
    def test_too_many_errors(self):
        c = self.session()
        # Each refusal counts; the MAX_ERRORS-th is followed by 421 at once, unasked.
        for _ in range(MAX_ERRORS):
            self.assertReply(c.cmd("XYZZY"), 500, "5.5.2")
        self.assertReply(c.reply(), 421, "4.7.0")
        self.assertTrue(c.closed_within(5), "connection left open after 421")

    def test_silent_client_mid_data(self):
        marker = unique("silent")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<slow@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker)[:60])
        start = time.monotonic()
        self.assertReply(c.reply(), 421, "4.4.2")
        waited = time.monotonic() - start
        self.assertGreater(waited, 1.0)
        self.assertLess(waited, 8.0)
        self.assertTrue(c.closed_within(5))
        self.assertEqual(self.server.find(ALICE, marker), [])
        other = self.server.raw()
        self.assertEqual(other.cmd("NOOP")[0], 250)
        other.close()



class SlowClients(ServerTestCase):
    """Idle and trickling clients: command_timeout and min_data_rate (after data_rate_grace)."""
    SMTP = {"command_timeout": 2, "min_data_rate": 100000, "data_rate_grace": 1}

    def test_idle_client_times_out(self):
        c = self.server.raw()
        c.ehlo()
        start = time.monotonic()
        self.assertReply(c.reply(), 421, "4.4.2")
        self.assertLess(time.monotonic() - start, 8.0)
        self.assertTrue(c.closed_within(5))

    def test_trickled_command_times_out(self):
        # command_timeout bounds the wait for a whole command, not the gap between octets:
        # one octet every 0.5 s must not keep a session (and its connection slot) forever.
        c = self.server.raw()
        c.ehlo()
        start = time.monotonic()
        closed = False
        while not closed and time.monotonic() - start < 12:
            try:
                c.send(b"N")
            except OSError:
                break
            closed = c.closed_within(0.5)
        self.assertTrue(closed or time.monotonic() - start < 12,
                        "a command trickled one octet at a time never timed out")
        self.assertTrue(c.buf == b"" or c.buf.startswith(b"421"), c.buf)

    def test_silent_tls_handshake_times_out(self):
        # Nothing sent on the implicit-TLS port, or nothing after STARTTLS: the handshake must
        # be bounded by a timeout too, or idle sockets would pin connection slots forever.
        c = RawClient(self.server.submissions)
        self.assertTrue(c.closed_within(10), "implicit-TLS handshake never timed out")
        c.close()
        c = self.server.raw("mx")
        c.ehlo()
        self.assertEqual(c.cmd("STARTTLS")[0], 220)
        self.assertTrue(c.closed_within(10), "STARTTLS handshake never timed out")
        c.close()

    def test_trickling_data_refused(self):
        marker = unique("trickle")
        c = self.server.raw()
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<slow@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        msg = simple_message(marker)
        start = time.monotonic()
        reply = None
        for i in range(len(msg)):  # about 3 octets/second, far below 100000
            try:
                c.send(msg[i:i + 1])
            except OSError:
                break
            c.sock.settimeout(0.3)
            try:
                chunk = c.sock.recv(4096)
                c.buf += chunk
                if b"\r\n" in c.buf or not chunk:
                    break
            except OSError:
                pass
            finally:
                c.sock.settimeout(10)
            if time.monotonic() - start > 15:
                break
        reply = c.reply()
        self.assertReply(reply, 421, "4.4.2")
        self.assertEqual(self.server.find(ALICE, marker), [])


class JunkCommands(ServerTestCase):
    """smtp.max_junk_commands (Postfix smtpd_junk_command_limit): commands that move no mail
    cannot hold a connection slot for ever; an accepted message starts the count again."""
    LIMIT = 6
    SMTP = {"max_junk_commands": LIMIT}

    def test_noop_loop_is_closed(self):
        c = self.server.raw()
        self.assertEqual(c.cmd("EHLO " + "client.test")[0], 250)  # 1
        for cmd, code, enh in (("NOOP", 250, "2.0.0"), ("RSET", 250, "2.0.0"), ("HELP", 214, "2.0.0"),
                               (f"VRFY {ALICE}", 252, "2.5.2"), ("NOOP", 250, "2.0.0")):  # 2-6
            self.assertReply(c.cmd(cmd), code, enh)
        code, lines = c.cmd("NOOP")
        self.assertReply((code, lines), 421, "4.7.0")
        self.assertIn("Too many commands without mail", lines[0])
        self.assertTrue(c.closed_within(5), "connection left open after 421")

    def test_accepted_message_restarts_the_count(self):
        c = self.server.raw()
        c.ehlo()  # 1
        for _ in range(self.LIMIT - 1):
            self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        marker = unique("junk")
        self.assertReply(c.cmd("MAIL FROM:<j@remote.test>"), 250, "2.1.0")
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 250, "2.1.5")
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker) + b".\r\n")
        self.assertReply(c.reply(), 250, "2.0.0")
        for _ in range(self.LIMIT):
            self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("RSET"), 421, "4.7.0")
        self.assertTrue(c.closed_within(5))
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_pipelined_loop_is_cut(self):
        c = self.server.raw()
        c.send(b"NOOP\r\n" * 50)
        replies = c.replies(self.LIMIT + 1)
        self.assertEqual([(code, enhanced(lines)) for code, lines in replies],
                         [(250, "2.0.0")] * self.LIMIT + [(421, "4.7.0")])
        self.assertTrue(c.closed_within(5))


if __name__ == "__main__":
    unittest.main()
