# test_smtp_edge_cases: legal but unusual input that naive servers get wrong. Source routes
# in RCPT (RFC 5321 §4.1.1.3: accept, ignore the route), quoted local parts (§4.1.2), Received
# lookalikes that must not count toward the loop limit (only header fields count, §6.3),
# invalid UTF-8 in an SMTPUTF8 address (RFC 6531 §3.3), header-only and empty messages.
import unittest

from estafeta_harness import ServerTestCase, enhanced, header_block, simple_message, unique

ALICE = "alice@example.test"


class EdgeCases(ServerTestCase):
    SMTP = {"max_received_headers": 5}

    def transaction(self, c, mail_from, rcpt, message):
        self.assertEqual(c.cmd(f"MAIL FROM:{mail_from}")[0], 250, mail_from)
        code, lines = c.cmd(f"RCPT TO:{rcpt}")
        self.assertEqual(code, 250, (rcpt, lines))
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(message + b".\r\n")
        return c.reply()

    def session(self):
        c = self.server.raw()
        c.ehlo()
        return c

    def test_source_route_ignored(self):
        marker = unique("route")
        c = self.session()
        reply = self.transaction(c, "<@hop1.test,@hop2.test:s@remote.test>",
                                 f"<@relay.test:{ALICE}>", simple_message(marker))
        self.assertEqual(reply[0], 250)
        c.close()
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.startswith(b"Return-Path: <s@remote.test>\r\n"), stored[:80])

    def test_quoted_local_part_sender(self):
        marker = unique("quoted")
        c = self.session()
        reply = self.transaction(c, '<"john q. doe"@remote.test>', f"<{ALICE}>", simple_message(marker))
        self.assertEqual(reply[0], 250)
        c.close()
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.startswith(b'Return-Path: <"john q. doe"@remote.test>\r\n'), stored[:80])

    def test_quoted_local_part_recipient_is_same_mailbox(self):
        marker = unique("qrcpt")  # RFC 5321 §4.1.2: "alice" and alice name the same mailbox
        c = self.session()
        self.assertEqual(self.transaction(c, "<f@remote.test>", '<"alice"@example.test>',
                                          simple_message(marker))[0], 250)
        c.close()
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_ehlo_address_literals(self):
        for arg in ("[127.0.0.1]", "[IPv6:::1]"):
            c = self.server.raw()
            self.assertEqual(c.cmd("EHLO " + arg)[0], 250, arg)
            c.close()

    def test_ehlo_bad_domain(self):
        # Only plainly broken names: Postfix-style leniency about the rest is a fair choice,
        # and U-labels are valid EHLO names under RFC 6531 §3.3.
        for arg in ("bad domain.test", "dom\x01ain.test"):
            with self.subTest(arg=arg):
                c = self.server.raw()
                self.assertReply(c.cmd("EHLO " + arg), 501, "5.5.4")
                c.close()

    def test_ehlo_name_cannot_corrupt_received(self):
        # Accepting a sloppy EHLO name is Postfix's choice too, but it must not reach the
        # Received header as comment syntax.
        marker = unique("paren")
        c = self.server.raw()
        self.assertReply(c.cmd("EHLO evil(x).test\t(forged)"), 501, "5.5.4")  # not a name at all
        self.assertEqual(c.cmd("EHLO evil(x).test")[0], 250)  # sloppy, accepted
        self.assertEqual(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", simple_message(marker))[0], 250)
        c.close()
        received = [v for n, v in header_block(self.server.read_one(self, ALICE, marker)) if n == "received"][0]
        self.assertNotIn("(x)", received)
        self.assertNotIn("(forged)", received)

    def test_huge_numbers_refused(self):
        c = self.session()
        # Never an overflow that wraps to "small": more than 20 digits is a syntax error, a
        # number that does not fit 64 bits is "too big".
        self.assertReply(c.cmd("MAIL FROM:<n@remote.test> SIZE=" + "9" * 30), 501, "5.5.4")
        self.assertReply(c.cmd("MAIL FROM:<n@remote.test> SIZE=18446744073709551617"),  # 2**64 + 1
                         552, "5.3.4")
        c.close()
        for arg in ("9" * 30, "18446744073709551617", "-1", "12abc"):
            with self.subTest(bdat=arg):
                c = self.session()  # after a malformed BDAT the server may close: fresh session
                self.assertEqual(c.cmd("MAIL FROM:<n@remote.test>")[0], 250)
                self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
                self.assertReply(c.cmd("BDAT " + arg), 501, "5.5.4")
                c.close()
        other = self.session()  # the server is still there
        self.assertEqual(other.cmd("NOOP")[0], 250)
        other.close()

    def test_postmaster_always_accepted(self):
        # RFC 5321 §4.5.1: "postmaster" (no domain) and postmaster@ours must be accepted.
        for rcpt in ("<postmaster>", "<Postmaster>", "<postmaster@example.test>"):
            with self.subTest(rcpt=rcpt):
                marker = unique("pm")
                c = self.session()
                self.assertEqual(self.transaction(c, "<f@remote.test>", rcpt, simple_message(marker))[0], 250)
                c.close()
                users = ("alice@example.test", "bob@example.test", "carol@example.test")
                self.assertEqual(sum(len(self.server.find(u, marker)) for u in users), 1)

    def test_received_lines_in_body_not_counted(self):
        marker = unique("bodyhops")
        forwarded = "".join(f"Received: from h{i}.test by h{i + 1}.test\r\n" for i in range(20))
        extra = "".join(f"X-Received: by x{i}.test\r\n" for i in range(20))
        msg = simple_message(marker, body="--- forwarded ---\r\n" + forwarded, extra_headers=extra)
        c = self.session()
        self.assertEqual(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", msg)[0], 250)
        c.close()
        self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg))

    def test_received_limit_from_config(self):
        marker = unique("hops6")
        hops = "".join(f"Received: from h{i}.test by h{i + 1}.test; Sat, 28 Nov 2026 03:00:00 +0000\r\n"
                       for i in range(6)).encode()
        c = self.session()
        self.assertReply(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", hops + simple_message(marker)),
                         554, "5.4.6")
        self.assertEqual(self.server.find(ALICE, marker), [])
        c.close()

    def test_folded_received_counts_once(self):
        marker = unique("folded")
        hops = "".join(f"Received: from h{i}.test\r\n\tby h{i + 1}.test;\r\n Sat, 28 Nov 2026 03:00:00 +0000\r\n"
                       for i in range(5)).encode()
        c = self.session()
        self.assertEqual(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", hops + simple_message(marker))[0], 250)
        c.close()

    def test_invalid_utf8_address_refused(self):
        c = self.session()
        c.send(b"MAIL FROM:<\xff\xfe\xc0\xaf@remote.test> SMTPUTF8\r\n")
        self.assertReply(c.reply(), 501, "5.1.7")  # malformed UTF-8 in the local part
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()

    def test_utf8_in_headers_without_smtputf8_accepted(self):
        marker = unique("8bithdr")  # raw 8-bit header bytes: stored unchanged
        msg = simple_message(marker).replace(b"Subject:", "X-Name: Ærøskøbing\r\nSubject:".encode())
        c = self.session()
        self.assertEqual(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", msg)[0], 250)
        c.close()
        self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg))

    def test_header_only_message(self):
        marker = unique("hdronly")
        msg = f"Subject: {marker}\r\nMessage-ID: <{marker}@client.test>\r\n".encode()
        c = self.session()
        self.assertEqual(self.transaction(c, "<f@remote.test>", f"<{ALICE}>", msg)[0], 250)
        c.close()
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg))
        self.assertIn("received", [n for n, _ in header_block(stored)])

    def test_empty_message(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<empty@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(b".\r\n")
        self.assertReply(c.reply(), 250, "2.0.0")  # accepted: our Received field gives it a header
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()


if __name__ == "__main__":
    unittest.main()
