# test_imap_notify: NOTIFY (RFC 5465) on the real server. One session sets NOTIFY over the raw
# client (imaplib has no NOTIFY) and waits, without sending a command, for what a second
# session (Python imaplib) does: CREATE / RENAME / DELETE / SUBSCRIBE become LIST responses,
# APPEND and EXPUNGE in another mailbox become STATUS, APPEND / EXPUNGE in the selected mailbox
# become EXISTS with MessageNew's FETCH attributes and EXPUNGE; also during IDLE and for a
# delivery over SMTP; NOTIFY NONE stops it; NOTIFY SET STATUS and BADEVENT. Every wait is
# bounded (5 s).
import re
import time
import unittest

from estafeta_harness import ServerTestCase, simple_message, unique
from imap_client import ImapRaw
from line_client import Closed  # noqa: F401

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}
WAIT = 5.0


def msg(subject):
    return (f"From: <sender@remote.test>\r\nTo: <{ALICE}>\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 03:00:00 +0000\r\n\r\nBody.\r\n").encode()


class Notify(ServerTestCase):
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

    def listener(self):
        from estafeta_harness import PASSWORDS
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.closers.append(c.close)
        c.login(ALICE, PASSWORDS[ALICE])
        return c

    def other(self):
        c = self.server.imaps(ALICE)
        self.closers.append(c.logout)
        return c

    def wait_for(self, c, pattern, timeout=WAIT):
        """Responses until one matches `pattern` (bytes regex); all of them are returned."""
        deadline = time.monotonic() + timeout
        got = []
        while time.monotonic() < deadline:
            try:
                r = c.response(timeout=max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
            got.append(r)
            if re.search(pattern, r):
                return got
        self.fail(f"nothing matching {pattern!r} within {timeout} s; got {got}")

    def assert_silent(self, c, seconds=0.5):
        try:
            r = c.response(timeout=seconds)
        except TimeoutError:
            return
        self.fail(f"unexpected {r!r}")

    def test_capability(self):
        c = self.listener()
        u, _ = c.ok("CAPABILITY")
        self.assertIn(b" NOTIFY", u[0])

    def test_other_mailboxes_reported_without_a_command(self):
        a, b = self.listener(), self.other()
        box = unique("nfy")
        a.ok("NOTIFY SET (personal (MessageNew MessageExpunge MailboxName SubscriptionChange))")
        self.assertEqual(b.create(box)[0], "OK")
        self.wait_for(a, rb'^\* LIST \(\) "/" ' + box.encode() + rb"$")
        self.assertEqual(b.append(box, None, None, msg("one"))[0], "OK")
        self.wait_for(a, rb"^\* STATUS " + box.encode() +
                      rb" \(MESSAGES 1 UIDNEXT 2 UIDVALIDITY \d+\)$")
        self.assertEqual(b.subscribe(box)[0], "OK")
        self.wait_for(a, rb'^\* LIST \(\\Subscribed\) "/" ' + box.encode() + rb"$")
        b.select(box)
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        b.close()
        self.wait_for(a, rb"^\* STATUS " + box.encode() + rb" \(MESSAGES 0 ")
        self.assertEqual(b.rename(box, box + "-r")[0], "OK")
        self.wait_for(a, rb'^\* LIST \(\) "/" ' + box.encode() + rb'-r \("OLDNAME" \(' +
                      box.encode() + rb"\)\)$")
        self.assertEqual(b.delete(box + "-r")[0], "OK")
        self.wait_for(a, rb'^\* LIST \(\\NonExistent\) "/" ' + box.encode() + rb"-r$")
        # The session's own changes are not reported back (RFC 5465 §5).
        a.ok(f"CREATE {box}-own")
        self.assert_silent(a)
        a.ok("NOTIFY NONE")
        b.append(box + "-own", None, None, msg("after none"))
        self.assert_silent(a)

    def test_selected_mailbox_pushed_with_fetch_attributes(self):
        a, b = self.listener(), self.other()
        box = unique("sel")
        b.create(box)
        a.ok(f"SELECT {box}")
        a.ok("NOTIFY SET (selected (MessageNew (UID BODY.PEEK[HEADER.FIELDS (SUBJECT)]) "
             "MessageExpunge FlagChange))")
        b.append(box, None, None, msg("pushed"))
        got = self.wait_for(a, rb"^\* 1 FETCH \(UID 1 BODY\[HEADER.FIELDS \(SUBJECT\)\]")
        self.assertIn(b"* 1 EXISTS", got)
        self.assertIn(b"Subject: pushed", got[-1])
        b.select(box)
        b.store("1", "+FLAGS", "(\\Flagged)")
        self.wait_for(a, rb"^\* 1 FETCH \(UID 1 FLAGS \(\\Flagged")
        b.store("1", "+FLAGS", "(\\Deleted)")
        b.expunge()
        self.wait_for(a, rb"^\* 1 EXPUNGE$")

    def test_idle_and_smtp_delivery(self):
        a = self.listener()
        box = unique("idl")
        a.ok(f"CREATE {box}")
        a.ok(f"SELECT {box}")
        a.ok("NOTIFY SET (inboxes (MessageNew MessageExpunge))")
        a.send("i1 IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+ "))
        with self.server.smtp() as s:
            s.sendmail("someone@remote.test", [ALICE], simple_message(unique("n"), to=ALICE))
        self.wait_for(a, rb"^\* STATUS INBOX \(MESSAGES \d+ UIDNEXT \d+ UIDVALIDITY \d+\)$")
        a.send("DONE\r\n")
        _, t = a.until_tagged("i1")
        self.assertTrue(t.startswith(b"i1 OK"), t)

    def test_set_status_and_badevent(self):
        a = self.listener()
        box = unique("st")
        a.ok(f"CREATE {box}")
        a.ok(f"APPEND {box} {{{len(msg('x'))}+}}\r\n".encode() + msg("x"))
        u, _ = a.ok(f"NOTIFY SET STATUS (mailboxes {box} (MessageNew MessageExpunge))")
        self.assertIn(f"* STATUS {box} (MESSAGES 1 UIDNEXT 2 UIDVALIDITY ".encode(), u[0])
        u, t = a.cmd("NOTIFY SET (personal (AnnotationChange))")
        self.assertTrue(t.startswith(b"NO [BADEVENT ("), t)
        u, t = a.cmd("NOTIFY SET (selected (MailboxName))")
        self.assertTrue(t.startswith(b"BAD "), t)

    def test_metadata_changes(self):
        """RFC 5465 §5.7/§5.8: another session's SETMETADATA becomes an unsolicited METADATA."""
        import imaplib
        imaplib.Commands.setdefault("SETMETADATA", ("AUTH", "SELECTED"))
        a, b = self.listener(), self.other()
        box = unique("md")
        a.ok(f"CREATE {box}")
        a.ok("NOTIFY SET (personal (MailboxMetadataChange ServerMetadataChange))")
        typ, _ = b._simple_command("SETMETADATA", box, '(/shared/comment "hello")')
        self.assertEqual(typ, "OK")
        self.wait_for(a, rb"^\* METADATA " + box.encode() + rb" /shared/comment$")
        typ, _ = b._simple_command("SETMETADATA", '""', '(/private/vendor/test "x")')
        self.assertEqual(typ, "OK")
        self.wait_for(a, rb'^\* METADATA "" /private/vendor/test$')
        a.ok(f'SETMETADATA {box} (/private/own "mine")')
        self.assert_silent(a)


class NotifyShared(ServerTestCase):
    """RFC 5465 on another user's shared mailbox (RFC 4314): bob names alice's mailbox."""
    LISTENERS = IMAP_LISTENERS

    def test_owner_delivery_reaches_the_sharee(self):
        from estafeta_harness import PASSWORDS
        bob_addr = "bob@example.test"
        alice = self.server.imaps(ALICE)
        self.addCleanup(alice.logout)
        box = unique("team")
        self.assertEqual(alice.create(box)[0], "OK")
        self.assertEqual(alice.setacl(box, bob_addr, "lr")[0], "OK")
        bob = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(bob.close)
        bob.login(bob_addr, PASSWORDS[bob_addr])
        shared = f"Shared/{ALICE}/{box}"
        bob.ok(f"NOTIFY SET (mailboxes {shared} (MessageNew MessageExpunge))")
        self.assertEqual(alice.append(box, None, None, msg("for the team"))[0], "OK")
        deadline = time.monotonic() + WAIT
        got = []
        while time.monotonic() < deadline:
            try:
                r = bob.response(timeout=max(0.05, deadline - time.monotonic()))
            except TimeoutError:
                break
            got.append(r)
            if r.startswith(f"* STATUS {shared} (MESSAGES 1 ".encode()):
                return
        self.fail(f"no STATUS for {shared}: {got}")


if __name__ == "__main__":
    unittest.main()
