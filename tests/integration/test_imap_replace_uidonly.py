# test_imap_replace_uidonly: REPLACE (RFC 8508) and UIDONLY (RFC 9586) on the real server with
# raw commands (imaplib has neither): both advertised; REPLACE and UID REPLACE into another
# mailbox and into the selected one, with the APPENDUID in an untagged OK before the EXPUNGE
# (VANISHED under QRESYNC), a missing target expunging nothing, EXAMINE refusing; ENABLE
# UIDONLY giving UIDFETCH for UID FETCH/UID STORE and for another session's flag change,
# VANISHED for expunges, and BAD [UIDREQUIRED] for commands with message numbers.
import re
import unittest

from test_imap_commands import ALICE, ImapCase, msg

UIDREQUIRED = b"BAD [UIDREQUIRED]"


def literal(data):
    return f"{{{len(data)}+}}\r\n".encode() + data


class Replace(ImapCase):
    def test_advertised(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        self.assertIn(b"REPLACE", u[0].split())
        self.assertIn(b"UIDONLY", u[0].split())

    def test_replace_draft_in_place_and_into_another_mailbox(self):
        c = self.raw()
        c.ok("ENABLE IMAP4rev2")  # no \\Recent on the replacement
        box = self.mailbox(c, [msg("draft 1"), msg("draft 2")])
        self.take_recent(c, box)
        c.ok(f"SELECT {box}")
        u, t = c.ok(b"REPLACE 1 " + box.encode() + b" (\\Draft) " + literal(msg("draft 1 v2")))
        self.assertRegex(u[0], rb"^\* OK \[APPENDUID \d+ 3\] ")
        self.assertIn(b"* 1 EXPUNGE", u)
        self.assertTrue(any(re.match(rb"^\* \d+ EXISTS$", x) for x in u), u)
        self.assertEqual(t, b"OK Replace completed.")
        u, _ = c.ok("UID FETCH 1:* (UID FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(len(u), 2)
        self.assertIn(b"UID 2 ", u[0])
        self.assertIn(b"UID 3 FLAGS (\\Draft)", u[1])
        self.assertIn(b"draft 1 v2", u[1])
        # UID REPLACE into another mailbox.
        other = self.mailbox(c, [])
        u, t = c.ok(b"UID REPLACE 2 " + other.encode() + b" " + literal(msg("moved")))
        self.assertRegex(u[0], rb"^\* OK \[APPENDUID \d+ 1\] ")
        self.assertIn(b"* 1 EXPUNGE", u)
        st, _ = c.ok(f"STATUS {other} (MESSAGES)")
        self.assertIn(b"MESSAGES 1", st[0])
        # A missing target expunges nothing; a missing UID is NO; a bad number is BAD.
        _, t = c.cmd(b"UID REPLACE 3 nosuchbox " + literal(msg("x")))
        self.assertTrue(t.startswith(b"NO [TRYCREATE]"), t)
        _, t = c.cmd(b"UID REPLACE 999 " + box.encode() + b" " + literal(msg("x")))
        self.assertTrue(t.startswith(b"NO"), t)
        _, t = c.cmd(b"REPLACE 7 " + box.encode() + b" " + literal(msg("x")))
        self.assertTrue(t.startswith(b"BAD"), t)
        u, _ = c.ok("UID SEARCH ALL")
        self.assertTrue(u[0].endswith(b"UID ALL 3"), u)
        c.ok(f"EXAMINE {box}")
        _, t = c.cmd(b"REPLACE 1 " + box.encode() + b" " + literal(msg("x")))
        self.assertTrue(t.startswith(b"NO [READ-ONLY]"), t)

    def test_replace_under_qresync_reports_vanished(self):
        c = self.raw()
        box = self.mailbox(c, [msg("q1")])
        c.ok("ENABLE QRESYNC")
        c.ok(f"SELECT {box}")
        u, _ = c.ok(b"REPLACE 1 " + box.encode() + b" " + literal(msg("q1 v2")))
        self.assertIn(b"* VANISHED 1", u)
        self.assertFalse(any(b"EXPUNGE" in x for x in u), u)


class UidOnly(ImapCase):
    def test_uidfetch_vanished_and_uidrequired(self):
        c = self.raw()
        box = self.mailbox(c, [msg("u1"), msg("u2"), msg("u3")])
        u, _ = c.ok("ENABLE UIDONLY")
        self.assertEqual(u, [b"* ENABLED UIDONLY"])
        c.ok("ENABLE IMAP4rev2")
        c.ok(f"SELECT {box}")
        u, _ = c.ok("UID FETCH 1:* (FLAGS)")
        self.assertEqual(u, [b"* 1 UIDFETCH (FLAGS ())", b"* 2 UIDFETCH (FLAGS ())",
                             b"* 3 UIDFETCH (FLAGS ())"])
        u, _ = c.ok("UID STORE 2 +FLAGS (\\Deleted)")
        self.assertEqual(u, [b"* 2 UIDFETCH (FLAGS (\\Deleted))"])
        u, _ = c.ok("UID EXPUNGE 2")
        self.assertEqual(u, [b"* VANISHED 2"])
        for cmd in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "COPY 1 INBOX", "MOVE 1 INBOX",
                    "SEARCH ALL", "UID SEARCH 1:2"):
            _, t = c.cmd(cmd)
            self.assertTrue(t.startswith(UIDREQUIRED), (cmd, t))
        _, t = c.cmd(b"REPLACE 1 " + box.encode() + b" " + literal(msg("x")))
        self.assertTrue(t.startswith(UIDREQUIRED), t)
        # Another session's changes arrive as UIDFETCH and VANISHED.
        other = self.raw()
        other.ok(f"SELECT {box}")
        other.ok("UID STORE 3 +FLAGS (\\Flagged)")
        other.ok("UID STORE 1 +FLAGS (\\Deleted)")
        other.ok("EXPUNGE")
        u, _ = c.ok("NOOP")
        self.assertIn(b"* 3 UIDFETCH (FLAGS (\\Flagged))", u)
        self.assertIn(b"* VANISHED 1", u)
        # UID REPLACE works.
        u, t = c.ok(b"UID REPLACE 3 " + box.encode() + b" " + literal(msg("u3 v2")))
        self.assertIn(b"* VANISHED 3", u)


if __name__ == "__main__":
    unittest.main()
