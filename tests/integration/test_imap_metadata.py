# test_imap_metadata: METADATA and METADATA-SERVER (RFC 5464) on the real server with raw
# commands (imaplib has GETANNOTATION/SETANNOTATION only, for the older draft): advertised;
# SETMETADATA/GETMETADATA on mailboxes and on the server (""), NIL removing, private entries
# per user, DEPTH and MAXSIZE with [METADATA LONGENTRIES], [METADATA MAXSIZE] and
# [METADATA TOOMANY], the read-only /shared/admin, binary values as literal8, RENAME keeping
# and DELETE dropping the entries, and the entries surviving a restart and
# `estafeta index rebuild` (kept in the Maildir beside the index).
import re
import unittest

from estafeta_harness import unique
from test_imap_commands import ALICE, BOB, ImapCase

MAX_VALUE = 16 * 1024  # store::kMaxMetadataValue
MAX_ENTRIES = 200      # store::kMaxMetadataEntries


class Metadata(ImapCase):
    def test_advertised(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        caps = u[0].split()
        self.assertIn(b"METADATA", caps)
        self.assertIn(b"METADATA-SERVER", caps)

    def test_mailbox_entries(self):
        c = self.raw()
        box = self.mailbox(c, [])
        c.ok(f'SETMETADATA {box} (/private/comment "mine" /shared/comment {{5+}}\r\nours!)')
        u, t = c.ok(f"GETMETADATA {box} (/private/comment /shared/comment /shared/none)")
        self.assertEqual(u, [f'* METADATA {box} (/private/comment "mine" /shared/comment "ours!" '
                             f'/shared/none NIL)'.encode()])
        # Private entries are per user; bob cannot even see alice's mailbox.
        b = self.raw(BOB)
        _, t = b.cmd(f"GETMETADATA {box} /private/comment")
        self.assertTrue(t.startswith(b"NO [NONEXISTENT]"), t)
        # DEPTH and MAXSIZE.
        c.ok(f'SETMETADATA {box} (/private/vendor/x/a "1" /private/vendor/x/a/b "22" '
             f'/private/vendor/x/a/b/c "333")')
        u, _ = c.ok(f"GETMETADATA (DEPTH 1) {box} /private/vendor/x/a")
        self.assertEqual(u, [f'* METADATA {box} (/private/vendor/x/a "1" /private/vendor/x/a/b "22")'
                             .encode()])
        u, t = c.ok(f"GETMETADATA (DEPTH infinity MAXSIZE 2) {box} /private/vendor")
        self.assertEqual(u, [f'* METADATA {box} (/private/vendor/x/a "1" /private/vendor/x/a/b "22")'
                             .encode()])
        self.assertTrue(t.startswith(b"OK [METADATA LONGENTRIES 3]"), t)
        # NIL removes.
        c.ok(f"SETMETADATA {box} (/private/comment NIL)")
        u, _ = c.ok(f"GETMETADATA {box} /private/comment")
        self.assertEqual(u, [f"* METADATA {box} (/private/comment NIL)".encode()])
        # A binary value goes back as literal8.
        c.ok(f"SETMETADATA {box} (/shared/bin ~{{4+}}\r\na\x00\r\n)".encode("latin-1"))
        u, _ = c.ok(f"GETMETADATA {box} /shared/bin")
        self.assertEqual(u, [f"* METADATA {box} (/shared/bin ~{{4}}\r\na\x00\r\n)".encode("latin-1")])
        # RENAME keeps them, DELETE drops them.
        renamed = unique("renamed")
        c.ok(f"RENAME {box} {renamed}")
        u, _ = c.ok(f"GETMETADATA {renamed} /shared/comment")
        self.assertEqual(u, [f'* METADATA {renamed} (/shared/comment "ours!")'.encode()])
        c.ok(f"DELETE {renamed}")
        c.ok(f"CREATE {renamed}")
        u, _ = c.ok(f"GETMETADATA {renamed} /shared/comment")
        self.assertEqual(u, [f"* METADATA {renamed} (/shared/comment NIL)".encode()])
        for bad in (f"GETMETADATA {box}", f"GETMETADATA {box} /comment",
                    f"GETMETADATA (DEPTH 5) {box} /shared/a", f'SETMETADATA {box} /shared/a "x"',
                    f'SETMETADATA {box} (/shared/a* "x")'):
            _, t = c.cmd(bad)
            self.assertTrue(t.startswith(b"BAD"), (bad, t))
        _, t = c.cmd('GETMETADATA nonexistent-box /shared/comment')
        self.assertTrue(t.startswith(b"NO [NONEXISTENT]"), t)

    def test_limits(self):
        c = self.raw()
        box = self.mailbox(c, [])
        big = "v" * (MAX_VALUE + 1)
        _, t = c.cmd(f"SETMETADATA {box} (/private/big {{{len(big)}+}}\r\n{big})")
        self.assertEqual(t, f"NO [METADATA MAXSIZE {MAX_VALUE}] Metadata value too large.".encode())
        c.ok(f"SETMETADATA {box} (/private/big {{{MAX_VALUE}+}}\r\n{big[:MAX_VALUE]})")
        for first in range(1, MAX_ENTRIES, 50):
            entries = " ".join(f'/shared/n{i} "x"' for i in range(first, min(first + 50, MAX_ENTRIES)))
            c.ok(f"SETMETADATA {box} ({entries})")
        _, t = c.cmd(f'SETMETADATA {box} (/shared/one-too-many "x")')
        self.assertEqual(t, b"NO [METADATA TOOMANY] Too many metadata entries.")
        u, t = c.ok(f"GETMETADATA (DEPTH 1 MAXSIZE 100) {box} /private")
        self.assertTrue(t.startswith(f"OK [METADATA LONGENTRIES {MAX_VALUE}]".encode()), t)

    def test_server_entries(self):
        c = self.raw()
        u, _ = c.ok('GETMETADATA "" /shared/admin')
        self.assertEqual(u, [b'* METADATA "" (/shared/admin "mailto:postmaster@example.test")'])
        _, t = c.cmd('SETMETADATA "" (/shared/admin "mailto:me@example.test")')
        self.assertTrue(t.startswith(b"NO [NOPERM]"), t)
        key = f"/private/vendor/test/{unique('k')}"
        c.ok(f'SETMETADATA "" ({key} "hello")')
        u, _ = c.ok(f'GETMETADATA "" {key}')
        self.assertEqual(u, [f'* METADATA "" ({key} "hello")'.encode()])
        b = self.raw(BOB)
        u, _ = b.ok(f'GETMETADATA "" {key}')
        self.assertEqual(u, [f'* METADATA "" ({key} NIL)'.encode()])


class MetadataAfterRestartAndRebuild(ImapCase):
    def test_kept(self):
        c = self.raw()
        box = self.mailbox(c, [])
        c.ok(f'SETMETADATA {box} (/shared/comment "kept" /private/comment "mine")')
        c.ok('SETMETADATA "" (/private/vendor/test/kept "server")')
        c.close()
        self.open.remove(c)
        self.server.stop_ok(self)
        self.server.cli("index", "rebuild", ALICE)
        self.server.start()
        c = self.raw()
        u, _ = c.ok(f"GETMETADATA {box} (/shared/comment /private/comment)")
        self.assertEqual(u, [f'* METADATA {box} (/shared/comment "kept" /private/comment "mine")'
                             .encode()])
        u, _ = c.ok('GETMETADATA "" /private/vendor/test/kept')
        self.assertEqual(u, [b'* METADATA "" (/private/vendor/test/kept "server")'])


if __name__ == "__main__":
    unittest.main()
