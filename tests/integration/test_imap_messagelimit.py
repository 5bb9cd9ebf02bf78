# test_imap_messagelimit: MESSAGELIMIT (RFC 9738) on the real server, configured at its lowest
# (imap.message_limit = 1000), with 1,001 messages: advertised with its value; UID FETCH,
# UID SEARCH and UID STORE over every message process the 1,000 highest UIDs and end in
# OK [MESSAGELIMIT 1000]; FETCH and STORE by message numbers are refused with
# NO [MESSAGELIMIT 1000] and change nothing; imaplib's plain UID FETCH of a smaller set is
# untouched.
import re
import unittest

from test_imap_commands import ImapCase, msg

LIMIT = 1000


class MessageLimit(ImapCase):
    SECTIONS = {"imap": {"message_limit": LIMIT}}

    def fill(self, c, count):
        name = self.mailbox(c, [])
        # Two MULTIAPPENDs (RFC 3502): one command holds at most 1,000 messages.
        for first, last in ((0, 600), (600, count)):
            cmd = f"APPEND {name}".encode()
            for i in range(first, last):
                data = msg(f"m{i}")
                cmd += f" {{{len(data)}+}}\r\n".encode() + data
            c.ok(cmd)
        return name

    def test_limit_applies_to_uid_and_sequence_commands(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        self.assertIn(f"MESSAGELIMIT={LIMIT}".encode(), u[0].split())
        box = self.fill(c, LIMIT + 1)
        c.ok(f"SELECT {box}")
        u, t = c.ok("UID FETCH 1:* (UID)")
        self.assertEqual(len(u), LIMIT, u[:2])
        self.assertIn(b"UID 2)", u[0])  # UID 1, the lowest, is left out
        self.assertTrue(t.startswith(f"OK [MESSAGELIMIT {LIMIT}]".encode()), t)
        u, t = c.ok("UID SEARCH ALL")
        self.assertTrue(t.startswith(f"OK [MESSAGELIMIT {LIMIT}]".encode()), t)
        self.assertEqual(len(u[0].split()) - 2, LIMIT)  # "* SEARCH" and the UIDs
        _, t = c.cmd("FETCH 1:* (FLAGS)")
        self.assertTrue(t.startswith(f"NO [MESSAGELIMIT {LIMIT}]".encode()), t)
        _, t = c.cmd("STORE 1:* +FLAGS.SILENT (\\Seen)")
        self.assertTrue(t.startswith(f"NO [MESSAGELIMIT {LIMIT}]".encode()), t)
        u, _ = c.ok("SEARCH RETURN (COUNT) SEEN")
        self.assertTrue(u[0].endswith(b"COUNT 0"), u)
        _, t = c.ok("UID STORE 1:* +FLAGS.SILENT (\\Flagged)")
        self.assertTrue(t.startswith(f"OK [MESSAGELIMIT {LIMIT}]".encode()), t)
        u, _ = c.ok("UID SEARCH RETURN (MIN COUNT) FLAGGED")
        self.assertRegex(u[0], rb"MIN 2 COUNT 1000$")

    def test_within_the_limit_imaplib_sees_nothing_new(self):
        c = self.raw()
        box = self.fill(c, 700)
        lib = self.lib()
        typ, _ = lib.select(box)
        self.assertEqual(typ, "OK")
        typ, data = lib.uid("FETCH", "1:*", "(UID)")
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 700)
        self.assertTrue(all(re.search(rb"UID \d+", d) for d in data))


if __name__ == "__main__":
    unittest.main()
