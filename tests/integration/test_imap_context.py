# test_imap_context: CONTEXT=SEARCH updates (RFC 5267 §4.3) on the real server: SEARCH RETURN
# (UPDATE) answers with its correlator, then ESEARCH ADDTO / REMOVEFROM follow the session's own
# STORE and EXPUNGE and another session's APPEND (Python imaplib) and flag changes, REMOVEFROM
# before the EXPUNGE it explains, CANCELUPDATE stops them, a reused tag is BAD. Every wait is
# bounded.
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject):
    return (f"From: <sender@remote.test>\r\nTo: <{ALICE}>\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 03:00:00 +0000\r\n\r\nBody text.\r\n").encode()


class Context(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.closers = []

    def tearDown(self):
        for c in self.closers:
            try:
                c()
            except Exception:
                pass
        super().tearDown()

    def raw(self):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.closers.append(c.close)
        c.login(ALICE, PASSWORDS[ALICE])
        return c

    def mailbox(self, c, n):
        box = unique("ctx")
        c.ok(f"CREATE {box}")
        for i in range(n):
            data = msg(f"m{i + 1}")
            c.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        return box

    def test_capability(self):
        u, _ = self.raw().ok("CAPABILITY")
        self.assertIn(b" CONTEXT=SEARCH", u[0])

    def test_own_changes(self):
        c = self.raw()
        box = self.mailbox(c, 5)
        c.ok("ENABLE IMAP4rev2")
        c.ok(f"SELECT {box}")
        u, t = c.cmd("SEARCH RETURN (UPDATE) BODY body SEEN")
        tag = f"t{c.tags}"
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}")'.encode()])
        u, _ = c.ok("STORE 1,2,4 +FLAGS (\\Seen)")
        self.assertEqual(u[-1], f'* ESEARCH (TAG "{tag}") ADDTO (0 1:2,4)'.encode())
        u, _ = c.ok("STORE 1,2 -FLAGS (\\Seen)")
        self.assertEqual(u[-1], f'* ESEARCH (TAG "{tag}") REMOVEFROM (0 1:2)'.encode())
        c.ok("STORE 3:5 +FLAGS.SILENT (\\Deleted)")
        u, _ = c.ok("EXPUNGE")
        self.assertEqual(u[0], f'* ESEARCH (TAG "{tag}") REMOVEFROM (0 4)'.encode())
        self.assertIn(b"* 3 EXPUNGE", u)
        _, t = c.cmd("SEARCH RETURN (UPDATE) SEEN")
        self.assertTrue(t.startswith(b"OK"), t)
        # A tag in use by an update context cannot start another (RFC 5267 §4.3).
        c.send(f"{tag} SEARCH RETURN (UPDATE) ALL\r\n".encode())
        _, t = c.until_tagged(tag)
        self.assertTrue(t.startswith(f"{tag} BAD".encode()), t)
        c.ok(f'CANCELUPDATE "{tag}"')
        u, _ = c.ok("STORE 1 +FLAGS (\\Seen)")
        self.assertFalse(any(f'TAG "{tag}"'.encode() in r for r in u), u)
        _, t = c.cmd('CANCELUPDATE "never"')
        self.assertTrue(t.startswith(b"NO"), t)

    def test_other_sessions_changes(self):
        c = self.raw()
        box = self.mailbox(c, 2)
        c.ok(f"SELECT {box}")
        c.cmd("UID SEARCH RETURN (UPDATE ALL) SUBJECT late")
        tag = f"t{c.tags}"
        other = self.server.imaps(ALICE)
        self.closers.append(other.logout)
        self.assertEqual(other.append(box, None, None, msg("late arrival"))[0], "OK")
        u, _ = c.ok("NOOP")
        exists = u.index(b"* 3 EXISTS")
        addto = u.index(f'* ESEARCH (TAG "{tag}") UID ADDTO (0 3)'.encode())
        self.assertLess(exists, addto)
        other.select(box)
        other.store("3", "+FLAGS", "(\\Deleted)")
        other.expunge()
        u, _ = c.ok("NOOP")
        self.assertEqual(u[0], f'* ESEARCH (TAG "{tag}") UID REMOVEFROM (0 3)'.encode())
        self.assertIn(b"* 3 EXPUNGE", u)

    def test_sort_context(self):
        """CONTEXT=SORT: ADDTO and REMOVEFROM carry each message's position in the sort order."""
        c = self.raw()
        box = unique("srt")
        c.ok(f"CREATE {box}")
        for subject in ("delta", "bravo"):
            data = msg(subject)
            c.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        c.ok(f"SELECT {box}")
        u, _ = c.ok("CAPABILITY")
        self.assertIn(b" CONTEXT=SORT", u[0])
        u, t = c.cmd("UID SORT RETURN (UPDATE) (SUBJECT) UTF-8 UNDELETED")
        tag = f"t{c.tags}"
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}") UID ALL 2,1'.encode()])
        other = self.server.imaps(ALICE)
        self.closers.append(other.logout)
        self.assertEqual(other.append(box, None, None, msg("charlie"))[0], "OK")
        u, _ = c.ok("NOOP")
        self.assertIn(f'* ESEARCH (TAG "{tag}") UID ADDTO (2 3)'.encode(), u)
        u, _ = c.ok("UID STORE 2 +FLAGS (\\Deleted)")
        self.assertIn(f'* ESEARCH (TAG "{tag}") UID REMOVEFROM (1 2)'.encode(), u)


if __name__ == "__main__":
    unittest.main()
