# test_imap_acl: ACL (RFC 4314) and shared mailboxes end to end with imaplib: alice grants bob
# (same domain) rights on a mailbox, bob sees it under "Shared/alice@example.test/" in LIST
# (with RETURN (MYRIGHTS), RFC 8440), selects it, an IDLE of his sees alice's APPEND, NOPERM
# where a right is missing, revoking takes it away, and dave of another domain never sees
# anything even when alice grants "anyone". The registry of shared mailboxes survives
# `estafeta index rebuild`.
import time
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase

ALICE = "alice@example.test"
BOB = "bob@example.test"
DAVE = "dave@other.test"
DAVE_PW = "dave-Secret-4"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None)}
TEAM = "Shared/alice@example.test/Team"


def message(subject):
    return f"From: alice@example.test\r\nSubject: {subject}\r\n\r\nbody of {subject}\r\n".encode()


class ImapAcl(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("domain", "add", "other.test")
        cls.server.cli("user", "add", DAVE, "--password-stdin", input=DAVE_PW + "\n")

    def login(self, user):
        c = self.server.imap(user, DAVE_PW if user == DAVE else None)
        self.addCleanup(self.close, c)
        return c

    @staticmethod
    def close(c):
        try:
            c.logout()
        except Exception:
            pass

    def raw(self, c, command):
        """A command imaplib has no method for: returns (status, untagged lines)."""
        tag = c._new_tag()
        c.send(tag + b" " + command.encode() + b"\r\n")
        lines = []
        while True:
            line = c.readline()
            if line.startswith(tag + b" "):
                return line.split(b" ")[1].decode(), lines
            lines.append(line.rstrip(b"\r\n"))

    def setUp(self):
        a = self.login(ALICE)
        a.delete("Team/Plans")
        a.delete("Team")
        self.assertEqual(a.create("Team/Plans")[0], "OK")
        self.assertEqual(a.append("Team", None, None, message("first"))[0], "OK")

    def test_capabilities_and_namespace(self):
        c = self.login(BOB)
        for cap in ("ACL", "RIGHTS=TEXK", "LIST-MYRIGHTS"):
            self.assertIn(cap, c.capabilities)
        typ, data = c.namespace()
        self.assertEqual(data, [b'(("" "/")) (("Shared/" "/")) NIL'])

    def test_grant_list_select_idle_revoke(self):
        a = self.login(ALICE)
        b = self.login(BOB)
        self.assertNotIn(b"Shared/", b"".join(b.list()[1]))
        self.assertEqual(a.setacl("Team", BOB, "lrswite")[0], "OK")
        typ, data = a.getacl("Team")
        self.assertEqual(typ, "OK")
        self.assertIn(b"bob@example.test lrswited", data[0])
        typ, lines = self.raw(a, "LISTRIGHTS Team " + BOB)  # not in imaplib
        self.assertEqual(typ, "OK")
        self.assertEqual(lines, [b'* LISTRIGHTS Team bob@example.test "" l r s w i p k x t e a'])
        typ, data = a.myrights("Team")
        self.assertIn(b"lrswipkxteacd", data[0])

        # bob lists it (with its \Noselect parents) and his rights (RFC 8440).
        typ, lines = self.raw(b, 'LIST "" "Shared/*" RETURN (MYRIGHTS)')
        self.assertEqual(typ, "OK")
        self.assertIn(b'* LIST (\\Noselect \\HasChildren) "/" Shared/alice@example.test', lines)
        self.assertIn(b'* LIST (\\HasNoChildren) "/" ' + TEAM.encode(), lines)
        self.assertIn(b"* MYRIGHTS " + TEAM.encode() + b" lrswited", lines)
        self.assertFalse(any(b"Team/Plans" in l for l in lines), lines)  # no "l" there
        typ, data = b.myrights(TEAM)
        self.assertEqual(data, [TEAM.encode() + b" lrswited"])
        typ, data = b.select(TEAM)
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [b"1"])
        typ, data = b.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"first", data[0][1])
        self.assertEqual(b.store("1", "+FLAGS", "(\\Flagged)")[0], "OK")
        self.assertEqual(b.status("INBOX", "(MESSAGES)")[0], "OK")

        # IDLE on the shared mailbox sees alice's APPEND.
        tag = b._new_tag()
        b.send(tag + b" IDLE\r\n")
        self.assertTrue(b.readline().startswith(b"+"))
        self.assertEqual(a.append("Team", None, None, message("second"))[0], "OK")
        b.sock.settimeout(10)
        seen = b.readline()
        self.assertEqual(seen, b"* 2 EXISTS\r\n")
        b.send(b"DONE\r\n")
        while True:
            line = b.readline()
            if line.startswith(tag):
                self.assertIn(b"OK", line)
                break
        # ... and a change by carol, another grantee, reaches bob too.
        self.assertEqual(a.setacl("Team", "carol@example.test", "lrw")[0], "OK")
        c = self.login("carol@example.test")
        self.assertEqual(c.select(TEAM)[0], "OK")
        self.assertEqual(c.store("2", "+FLAGS", "(\\Answered)")[0], "OK")
        # The change reaches bob's session through the owner's store's change feed, which
        # wakes his connection: a NOOP a moment later reports it.
        data = [None]
        for _ in range(50):
            b.noop()
            typ, data = b.response("FETCH")  # the untagged FETCH the NOOP brought
            if any(d and b"\\Answered" in d for d in data):
                break
            time.sleep(0.1)
        self.assertTrue(any(d and b"\\Answered" in d for d in data), data)
        b.close()

        # Revoked: gone from LIST, SELECT refused as if it did not exist.
        self.assertEqual(a.deleteacl("Team", BOB)[0], "OK")
        self.assertNotIn(TEAM.encode(), b"".join(x for x in b.list()[1] if x))
        typ, data = b.select(TEAM)
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])

    def test_noperm(self):
        a = self.login(ALICE)
        b = self.login(BOB)
        self.assertEqual(a.setacl("Team", BOB, "lr")[0], "OK")
        for typ, data in (b.getacl(TEAM), b.setacl(TEAM, "carol@example.test", "l"),
                          b.append(TEAM, None, None, message("no")), b.delete(TEAM),
                          b.create(TEAM + "/Sub")):
            self.assertEqual(typ, "NO")
            self.assertIn(b"[NOPERM]", data[0])
        typ, data = b.select(TEAM, readonly=True)  # no s, w, t, e: READ-ONLY
        self.assertEqual(typ, "OK")
        typ, data = b.store("1", "+FLAGS", "(\\Deleted)")
        self.assertEqual(typ, "NO")
        typ, data = b.expunge()
        self.assertEqual(typ, "NO")
        # Rights the RFC does not know are a BAD (RFC 4314 §3.1).
        typ, lines = self.raw(a, "SETACL Team bob@example.test lrQ")
        self.assertEqual(typ, "BAD")
        # With "i" bob appends and copies in, with "k" creates inside.
        self.assertEqual(a.setacl("Team", BOB, "+ik")[0], "OK")
        self.assertEqual(b.append(TEAM, None, None, message("from bob"))[0], "OK")
        self.assertEqual(b.create(TEAM + "/Sub")[0], "OK")
        typ, data = a.list("\"\"", "Team/*")
        self.assertIn(b"Team/Sub", b"".join(data))

    def test_other_domain_sees_nothing(self):
        a = self.login(ALICE)
        d = self.login(DAVE)
        typ, data = a.setacl("Team", DAVE, "lr")
        self.assertEqual(typ, "NO")
        self.assertEqual(a.setacl("Team", "anyone", "lr")[0], "OK")
        self.assertNotIn(b"Shared", b"".join(x for x in d.list()[1] if x))
        for typ, data in (d.select(TEAM), d.myrights(TEAM), d.status(TEAM, "(MESSAGES)")):
            self.assertEqual(typ, "NO")
            self.assertIn(b"[NONEXISTENT]", data[0])
        # bob of alice's domain sees it through "anyone".
        b = self.login(BOB)
        self.assertIn(TEAM.encode(), b"".join(x for x in b.list("\"\"", "Shared/*")[1] if x))

    def test_quota_and_metadata_of_a_shared_mailbox(self):
        """RFC 9208: the owner's quota root "Shared/<owner>"; RFC 5464 §3.3: METADATA needs
        "lr", writing /shared entries also "w"."""
        self.server.cli("user", "quota", ALICE, "--messages", "500")
        a = self.login(ALICE)
        b = self.login(BOB)
        self.assertEqual(a.setacl("Team", BOB, "lr")[0], "OK")
        typ, data = b.getquotaroot(TEAM)
        self.assertEqual(typ, "OK", data)
        flat = b" ".join(x if isinstance(x, bytes) else b" ".join(x) for x in data[0] + data[1])
        self.assertIn(b'"Shared/alice@example.test"', flat)
        self.assertIn(b"MESSAGE", flat)
        status, lines = self.raw(a, 'SETMETADATA Team (/shared/comment "plans")')
        self.assertEqual(status, "OK", lines)
        status, lines = self.raw(b, f"GETMETADATA {TEAM} /shared/comment")
        self.assertEqual(status, "OK", lines)
        self.assertIn(b'/shared/comment "plans"', lines[0])
        status, _ = self.raw(b, f'SETMETADATA {TEAM} (/shared/comment "bob was here")')
        self.assertEqual(status, "NO")
        status, _ = self.raw(b, f'SETMETADATA {TEAM} (/private/comment "mine")')
        self.assertEqual(status, "OK")
        self.server.cli("user", "quota", ALICE, "--messages", "0")

    def test_registry_survives_rebuild_and_rename(self):
        a = self.login(ALICE)
        self.assertEqual(a.setacl("Team", BOB, "lr")[0], "OK")
        self.server.cli("index", "rebuild", ALICE)
        b = self.login(BOB)
        self.assertEqual(b.select(TEAM, readonly=True)[0], "OK")
        b.close()
        self.assertEqual(a.rename("Team", "Crew")[0], "OK")
        typ, data = b.myrights("Shared/alice@example.test/Crew")
        self.assertEqual(typ, "OK")
        self.assertEqual(a.rename("Crew", "Team")[0], "OK")


if __name__ == "__main__":
    unittest.main()
