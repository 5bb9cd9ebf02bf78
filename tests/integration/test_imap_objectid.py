# test_imap_objectid: OBJECTID (RFC 8474) on the real server and its Maildir store, with raw
# commands (imaplib knows none of it): MAILBOXID in CREATE, SELECT/EXAMINE and STATUS, kept by
# RENAME and by a restart, new for a re-created mailbox; EMAILID kept by COPY and MOVE, found
# by SEARCH EMAILID; THREADID NIL (the server does not assign thread ids).
import re
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject):
    return f"From: a@x.test\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()


class ObjectId(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def client(self):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(c.close)
        c.login(ALICE, PASSWORDS[ALICE])
        return c

    @staticmethod
    def mailbox_id(lines):
        for line in lines:
            m = re.search(rb"MAILBOXID \((F[0-9A-Za-z_-]+)\)", line)
            if m:
                return m.group(1)
        return None

    def test_mailbox_ids(self):
        c = self.client()
        u, t = c.cmd("CAPABILITY")
        self.assertIn(b"OBJECTID", u[0].split())
        box = unique("obj")
        u, t = c.cmd(f"CREATE {box}")
        created = self.mailbox_id([t])
        self.assertIsNotNone(created, t)
        u, t = c.cmd(f"STATUS {box} (MAILBOXID)")
        self.assertEqual(self.mailbox_id(u), created)
        u, t = c.cmd(f"SELECT {box}")
        self.assertEqual(self.mailbox_id(u), created)
        u, t = c.cmd("EXAMINE INBOX")
        self.assertNotEqual(self.mailbox_id(u), created)
        c.ok("UNSELECT")
        c.ok(f"RENAME {box} {box}-renamed")
        u, t = c.cmd(f"STATUS {box}-renamed (MAILBOXID)")
        self.assertEqual(self.mailbox_id(u), created)
        u, t = c.cmd(f"CREATE {box}")
        self.assertNotEqual(self.mailbox_id([t]), created)

    def test_email_ids_across_copy_and_move(self):
        c = self.client()
        src, dst = unique("src"), unique("dst")
        c.ok(f"CREATE {src}")
        c.ok(f"CREATE {dst}")
        for s in ("one", "two"):
            data = msg(s)
            c.ok(f"APPEND {src} {{{len(data)}+}}\r\n".encode() + data)
        c.ok(f"SELECT {src}")
        u, t = c.cmd("FETCH 1:2 (EMAILID THREADID)")
        ids = [re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\) THREADID NIL", line).group(1) for line in u]
        self.assertEqual(len(ids), 2)
        self.assertNotEqual(ids[0], ids[1])
        u, t = c.cmd(f"SEARCH EMAILID {ids[1].decode()}")
        self.assertEqual(u, [b"* SEARCH 2"])
        c.ok(f"COPY 1 {dst}")
        c.ok(f"MOVE 2 {dst}")
        c.ok(f"SELECT {dst}")
        u, t = c.cmd("FETCH 1:2 (EMAILID)")
        got = [re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\)", line).group(1) for line in u]
        self.assertEqual(got, ids)


if __name__ == "__main__":
    unittest.main()
