# test_imap_objectid: OBJECTID (RFC 8474) on the real server and its Maildir store, with raw
# commands (imaplib knows none of it): MAILBOXID in CREATE, SELECT/EXAMINE and STATUS, kept by
# RENAME and by a restart, new for a re-created mailbox; EMAILID kept by COPY and MOVE, found
# by SEARCH EMAILID; THREADID: a reply chain appended as separate messages shares one, an
# unrelated message of the same subject gets another, COPY keeps it, SEARCH THREADID finds the
# thread, and `estafeta index rebuild` gives the messages of one thread one id again.
import re
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject, headers=""):
    return f"From: a@x.test\r\nSubject: {subject}\r\n{headers}\r\nbody\r\n".encode()


OBJECTID = rb"[A-Za-z0-9_-]{1,255}"


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
        u, t = c.cmd("FETCH 1:2 (EMAILID)")
        ids = [re.search(rb"EMAILID \(([A-Za-z0-9_-]+)\)", line).group(1) for line in u]
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

    @staticmethod
    def thread_ids(lines):
        out = {}
        for line in lines:
            m = re.match(rb"\* (\d+) FETCH \(.*THREADID \((" + OBJECTID + rb")\)", line)
            if m:
                out[int(m.group(1))] = m.group(2)
        return out

    def test_thread_ids(self):
        c = self.client()
        box, dst = unique("thr"), unique("thrcopy")
        c.ok(f"CREATE {box}")
        c.ok(f"CREATE {dst}")
        tag = unique("t")
        chain = [
            msg("Trip", f"Message-ID: <a-{tag}@x.test>\r\n"),
            msg("Re: Trip", f"Message-ID: <b-{tag}@x.test>\r\nIn-Reply-To: <a-{tag}@x.test>\r\n"),
            msg("Trip", f"Message-ID: <u-{tag}@x.test>\r\n"),  # same subject, no link
            msg(
                "Re: Trip",
                f"Message-ID: <c-{tag}@x.test>\r\nIn-Reply-To: <b-{tag}@x.test>\r\n"
                f"References: <a-{tag}@x.test> <b-{tag}@x.test>\r\n",
            ),
        ]
        for data in chain:
            c.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        c.ok(f"SELECT {box}")
        u, t = c.cmd("FETCH 1:4 (THREADID)")
        ids = self.thread_ids(u)
        self.assertEqual(sorted(ids), [1, 2, 3, 4], u)
        self.assertEqual(ids[1], ids[2])
        self.assertEqual(ids[1], ids[4])
        self.assertNotEqual(ids[1], ids[3])
        u, t = c.cmd(f"SEARCH THREADID {ids[1].decode()}")
        self.assertEqual(u, [b"* SEARCH 1 2 4"])
        u, t = c.cmd(f"UID SEARCH THREADID {ids[3].decode()}")
        self.assertEqual(u, [b"* SEARCH 3"])
        # A reply to the first message appended later still joins, in any mailbox.
        late = msg("Re: Trip", f"Message-ID: <d-{tag}@x.test>\r\nReferences: <a-{tag}@x.test>\r\n")
        c.ok(f"APPEND {dst} {{{len(late)}+}}\r\n".encode() + late)
        c.ok(f"COPY 2:3 {dst}")
        c.ok(f"SELECT {dst}")
        u, t = c.cmd("FETCH 1:3 (THREADID)")
        got = self.thread_ids(u)
        self.assertEqual(got, {1: ids[1], 2: ids[1], 3: ids[3]}, u)
        u, t = c.cmd(f"SEARCH THREADID {ids[1].decode()}")
        self.assertEqual(u, [b"* SEARCH 1 2"])

        # `estafeta index rebuild` computes them again from the files: one id per thread.
        c.close()
        self.server.stop_ok(self)
        r = self.server.cli("index", "rebuild", ALICE)
        self.assertIn("rebuilt the index", r.stdout)
        self.server.start()
        c = self.client()
        c.ok(f"SELECT {box}")
        u, t = c.cmd("FETCH 1:4 (THREADID)")
        again = self.thread_ids(u)
        self.assertEqual(sorted(again), [1, 2, 3, 4], u)
        self.assertEqual(again[1], again[2])
        self.assertEqual(again[1], again[4])
        self.assertNotEqual(again[1], again[3])
        c.ok(f"SELECT {dst}")
        u, t = c.cmd("FETCH 1:3 (THREADID)")
        self.assertEqual(self.thread_ids(u), {1: again[1], 2: again[1], 3: again[3]}, u)


if __name__ == "__main__":
    unittest.main()
