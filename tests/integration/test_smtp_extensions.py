# test_smtp_extensions: protocol extensions driven on a raw socket so the exact bytes on the
# wire are ours: PIPELINING (RFC 2920) with several transactions per write, CHUNKING/BDAT
# (RFC 3030) with several chunks and LAST, DSN parameters (RFC 3461 §4) valid and invalid,
# and local delivery: several recipients -> one hard-linked file per mailbox, aliases,
# catch-all and user+detail addressing.
import base64
import os
import random
import unittest

from estafeta_harness import ServerTestCase, enhanced, header_block, simple_message, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"


class Pipelining(ServerTestCase):

    def test_two_transactions_pipelined(self):
        m1, m2 = unique("pipe1"), unique("pipe2")
        c = self.server.raw()
        self.assertIn("PIPELINING", c.ehlo())
        # Group 1: MAIL, RCPT (good), RCPT (unknown), RCPT (good), DATA in one write.
        c.send(f"MAIL FROM:<p@remote.test>\r\nRCPT TO:<{ALICE}>\r\nRCPT TO:<nobody@example.test>\r\n"
               f"RCPT TO:<{BOB}>\r\nDATA\r\n")
        codes = [r[0] for r in c.replies(5)]
        self.assertEqual(codes, [250, 250, 550, 250, 354])
        # Message content + end of data + the whole next transaction in one write (RFC 2920 §3.1).
        c.send(simple_message(m1) + b".\r\n" +
               f"MAIL FROM:<q@remote.test>\r\nRCPT TO:<{CAROL}>\r\nDATA\r\n".encode())
        codes = [r[0] for r in c.replies(4)]
        self.assertEqual(codes, [250, 250, 250, 354])
        c.send(simple_message(m2, to=CAROL) + b".\r\nRSET\r\nNOOP\r\nQUIT\r\n")
        codes = [r[0] for r in c.replies(4)]
        self.assertEqual(codes, [250, 250, 250, 221])
        self.assertTrue(c.closed_within(5))
        for who in (ALICE, BOB):
            self.assertEqual(len(self.server.find(who, m1)), 1, who)
        self.assertEqual(len(self.server.find(CAROL, m2)), 1)

    def test_pipelined_failed_mail_then_rcpt_and_data(self):
        # A refused MAIL makes the pipelined RCPT 503 and DATA 503 (no 354), and the session
        # stays in step for the next command.
        c = self.server.raw()
        c.ehlo()
        c.send(f"MAIL FROM:<bad address>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\nNOOP\r\n")
        codes = [(code, enhanced(lines)) for code, lines in c.replies(4)]
        self.assertEqual(codes, [(501, "5.1.7"), (503, "5.5.1"), (503, "5.5.1"), (250, "2.0.0")])
        c.close()

    def test_many_transactions_single_write(self):
        markers = [unique(f"burst{i}") for i in range(10)]
        c = self.server.raw()
        c.ehlo()
        txn = f"MAIL FROM:<b@remote.test>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n".encode()
        c.send(txn)
        self.assertEqual([r[0] for r in c.replies(3)], [250, 250, 354])
        for i, m in enumerate(markers):
            tail = b"" if i == len(markers) - 1 else txn
            c.send(simple_message(m) + b".\r\n" + tail)
            expect = [250] if not tail else [250, 250, 250, 354]
            self.assertEqual([r[0] for r in c.replies(len(expect))], expect, m)
        c.close()
        for m in markers:
            self.assertEqual(len(self.server.find(ALICE, m)), 1, m)


class Chunking(ServerTestCase):

    def bdat_session(self):
        c = self.server.raw()
        kw = c.ehlo()
        self.assertIn("CHUNKING", kw)
        self.assertEqual(c.cmd("MAIL FROM:<chunk@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        return c

    def test_bdat_several_chunks_with_last(self):
        marker = unique("bdat")
        msg = simple_message(marker, body="line one\r\n.\r\n..two dots kept\r\nend\r\n")
        cuts = [0, 7, 40, len(msg) - 3, len(msg)]  # split inside headers, lines and CRLF
        c = self.bdat_session()
        for i in range(len(cuts) - 1):
            chunk = msg[cuts[i]:cuts[i + 1]]
            last = " LAST" if i == len(cuts) - 2 else ""
            c.send(f"BDAT {len(chunk)}{last}\r\n".encode() + chunk)
            code, lines = c.reply()
            self.assertEqual(code, 250, (i, lines))
        self.assertEqual(c.cmd("QUIT")[0], 221)
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg), stored[-200:])  # no dot-unstuffing in BDAT

    def test_bdat_pipelined_chunks_and_zero_last(self):
        marker = unique("bdat0")
        msg = simple_message(marker)
        half = len(msg) // 2
        c = self.bdat_session()
        c.send(f"BDAT {half}\r\n".encode() + msg[:half] + f"BDAT {len(msg) - half}\r\n".encode() +
               msg[half:] + b"BDAT 0 LAST\r\n")
        self.assertEqual([r[0] for r in c.replies(3)], [250, 250, 250])
        c.close()
        self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg))

    def test_bdat_then_data_in_same_transaction_refused(self):
        c = self.bdat_session()
        c.send(b"BDAT 5\r\nabcde")
        self.assertEqual(c.reply()[0], 250)
        self.assertReply(c.cmd("DATA"), 503, "5.5.1")  # RFC 3030 §2: DATA after BDAT
        c.close()

    def test_body_parameter(self):
        c = self.server.raw()
        c.ehlo()
        for body in ("7BIT", "8BITMIME"):
            self.assertReply(c.cmd(f"MAIL FROM:<b@remote.test> BODY={body}"), 250, "2.1.0")
            self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd("MAIL FROM:<b@remote.test> BODY=BOGUS"), 501, "5.5.4")
        c.close()

    def test_binarymime_refused(self):
        # RFC 3030 §3: BODY=BINARYMIME only when advertised; it is not (binary content would
        # need a store that keeps bare CR/LF and NUL, and 8BITMIME covers real mail).
        c = self.server.raw()
        self.assertNotIn("BINARYMIME", c.ehlo())
        self.assertReply(c.cmd("MAIL FROM:<b@remote.test> BODY=BINARYMIME"), 501, "5.5.4")
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")  # no transaction began
        self.assertReply(c.cmd("MAIL FROM:<b@remote.test>"), 250, "2.1.0")
        c.close()

    def test_bdat_without_transaction(self):
        c = self.server.raw()
        c.ehlo()
        c.send(b"BDAT 4 LAST\r\nabcd")
        self.assertReply(c.reply(), 503, "5.5.1")
        self.assertEqual(c.cmd("NOOP")[0], 250)  # the 4 octets were consumed, not parsed
        c.close()


class Dsn(ServerTestCase):

    def session(self):
        c = self.server.raw()
        self.assertIn("DSN", c.ehlo())
        return c

    def test_dsn_parameters_accepted(self):
        marker = unique("dsn")
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<d@remote.test> RET=HDRS ENVID=QQ314159+2Bx")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;{ALICE}")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{BOB}> NOTIFY=NEVER")[0], 250)
        self.assertEqual(c.cmd("RCPT TO:<info@example.test> NOTIFY=DELAY ORCPT=rfc822;info+2Bx@example.test")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker) + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_dsn_ret_full(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<d@remote.test> RET=FULL")[0], 250)
        c.close()

    def bad(self, line, setup=()):
        c = self.session()
        for s in setup:
            self.assertEqual(c.cmd(s)[0], 250, s)
        self.assertReply(c.cmd(line), 501, "5.5.4")
        self.assertEqual(c.cmd("NOOP")[0], 250)
        c.close()

    def test_bad_ret_value(self):
        self.bad("MAIL FROM:<d@remote.test> RET=SOME")

    def test_duplicate_ret(self):
        self.bad("MAIL FROM:<d@remote.test> RET=FULL RET=HDRS")

    def test_bad_envid_xtext(self):
        self.bad("MAIL FROM:<d@remote.test> ENVID=abc+zz")

    def test_unknown_mail_parameter(self):
        c = self.session()
        self.assertReply(c.cmd("MAIL FROM:<d@remote.test> FROBNICATE=yes"), 555, "5.5.4")  # §4.1.1.11
        c.close()

    def test_notify_never_combined(self):
        self.bad(f"RCPT TO:<{ALICE}> NOTIFY=NEVER,SUCCESS", setup=["MAIL FROM:<d@remote.test>"])

    def test_notify_unknown_keyword(self):
        self.bad(f"RCPT TO:<{ALICE}> NOTIFY=ALWAYS", setup=["MAIL FROM:<d@remote.test>"])

    def test_orcpt_without_type(self):
        self.bad(f"RCPT TO:<{ALICE}> ORCPT={ALICE}", setup=["MAIL FROM:<d@remote.test>"])

    def test_unknown_rcpt_parameter(self):
        c = self.session()
        self.assertEqual(c.cmd("MAIL FROM:<d@remote.test>")[0], 250)
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}> COLOUR=blue"), 555, "5.5.4")
        c.close()


class LocalDelivery(ServerTestCase):

    def send(self, rcpts, marker):
        with self.server.smtp() as s:
            self.assertEqual(s.sendmail("l@remote.test", rcpts, simple_message(marker)), {})

    def test_multiple_recipients_each_get_their_own_copy(self):
        marker = unique("multi")
        self.send([ALICE, BOB, CAROL], marker)
        paths = [self.server.find(a, marker) for a in (ALICE, BOB, CAROL)]
        for p in paths:
            self.assertEqual(len(p), 1, paths)
        for who, p in zip((ALICE, BOB, CAROL), paths):
            with open(p[0], "rb") as f:
                heads = header_block(f.read())
            # Each mailbox's copy names its own recipient only (as an LMTP delivery does).
            self.assertEqual([v for n, v in heads if n == "delivered-to"], [who])
            # RFC 5321 §7.2: the Received field every recipient reads names none of them.
            received = [v for n, v in heads if n == "received"][0]
            for other in (ALICE, BOB, CAROL):
                self.assertNotIn(other, received)

    def test_same_mailbox_twice_delivers_once(self):
        marker = unique("dup")
        self.send([ALICE, "ALICE@example.test", "alice+x@example.test"], marker)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_alias_to_two_users(self):
        marker = unique("alias")
        self.send(["info@example.test"], marker)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)
        self.assertEqual(len(self.server.find(BOB, marker)), 1)
        self.assertEqual(self.server.find(CAROL, marker), [])

    def test_catch_all(self):
        marker = unique("catch")
        self.send(["whoever-xyz@catchall.test"], marker)
        self.assertEqual(len(self.server.find(BOB, marker)), 1)

    def test_catch_all_domain_case(self):
        marker = unique("catchcase")
        self.send(["Someone@CatchAll.Test"], marker)
        self.assertEqual(len(self.server.find(BOB, marker)), 1)

    def test_detail_address_into_inbox(self):
        marker = unique("detail")
        self.send(["alice+newsletters@example.test"], marker)
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)

    def test_large_message_byte_for_byte(self):
        marker = unique("large")
        rng = random.Random(marker)
        lines = [base64.b64encode(rng.randbytes(57)) for _ in range(5 * 1024 * 1024 // 78)]
        msg = simple_message(marker, body="") + b"\r\n".join(lines) + b"\r\n"
        with self.server.smtp() as s:
            s.timeout = 60
            self.assertEqual(s.sendmail("big@remote.test", [ALICE], msg), {})
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg), "large message altered")

    def test_mail_files_private(self):
        marker = unique("private")
        self.send([ALICE], marker)
        path = self.server.find(ALICE, marker)[0]
        self.assertEqual(os.stat(path).st_mode & 0o077, 0, oct(os.stat(path).st_mode))
        for d in (self.server.maildir(ALICE), os.path.dirname(path)):
            self.assertEqual(os.stat(d).st_mode & 0o077, 0, f"{d}: {oct(os.stat(d).st_mode)}")

    def test_maildir_file_name_and_layout(self):
        marker = unique("layout")
        self.send([CAROL], marker)
        path = self.server.find(CAROL, marker)[0]
        self.assertEqual(os.path.basename(os.path.dirname(path)), "new")
        root = self.server.maildir(CAROL)
        for sub in ("cur", "new", "tmp"):
            self.assertTrue(os.path.isdir(os.path.join(root, sub)), sub)
        self.assertEqual(os.listdir(os.path.join(root, "tmp")), [])
        name = os.path.basename(path)
        self.assertRegex(name, r"^\d+\.[^/:]+\.[^/:]+")  # time.unique.host (Maildir spec)
        self.assertEqual(len(self.server.find(ALICE, marker)), 0)



class DetailToFolder(ServerTestCase):
    SECTIONS = {"delivery": {"detail_to_folder": True}}

    def test_detail_into_existing_folder(self):
        folder = os.path.join(self.server.maildir(ALICE), ".news")
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(folder, sub), exist_ok=True)
        marker = unique("folder")
        with self.server.smtp() as s:
            s.sendmail("f@remote.test", ["alice+news@example.test"], simple_message(marker))
        self.assertEqual(len(self.server.find(ALICE, marker, folder="news")), 1)
        self.assertEqual([p for p in self.server.find(ALICE, marker) if "/.news/" not in p], [])

    def test_detail_without_folder_goes_to_inbox(self):
        marker = unique("nofolder")
        with self.server.smtp() as s:
            s.sendmail("f@remote.test", ["alice+nosuchfolder@example.test"], simple_message(marker))
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)
        self.assertFalse(os.path.exists(os.path.join(self.server.maildir(ALICE), ".nosuchfolder")))


if __name__ == "__main__":
    unittest.main()
