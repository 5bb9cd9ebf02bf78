# test_imap_quota: QUOTA (RFC 9208) end to end with imaplib: limits set with `estafeta user quota`
# (and the [quota] default) seen by GETQUOTAROOT/GETQUOTA without a restart, SETQUOTA refused
# with NOPERM, APPEND, MULTIAPPEND, COPY and CREATE refused with NO [OVERQUOTA] storing nothing,
# MOVE allowed at the limit, EXPUNGE freeing room, STATUS DELETED-STORAGE, and the 90 % warning
# in INBOX. Each test makes its own account.
import imaplib
import unittest

from estafeta_harness import ServerTestCase, simple_message, unique

IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None)}
PASSWORD = "quota-Secret-9"
MSG = b"Subject: q\r\n\r\nhello\r\n"  # 21 octets


class ImapQuota(ServerTestCase):
    LISTENERS = IMAP_LISTENERS
    SECTIONS = {"quota": {"mailboxes": 50}}

    def account(self, **limits):
        user = unique("q").replace("-", "") + "@example.test"
        self.server.cli("user", "add", user, "--password-stdin", input=PASSWORD + "\n")
        if limits:
            self.set_quota(user, **limits)
        return user

    def set_quota(self, user, **limits):
        args = []
        for k, v in limits.items():
            args += [f"--{k}", str(v)]
        return self.server.cli("user", "quota", user, *args).stdout

    def login(self, user):
        c = self.server.imap()
        c.login(user, PASSWORD)
        return c

    def append(self, c, box, data=MSG):
        return c.append(box, None, None, data)

    def test_capabilities(self):
        c = self.login(self.account())
        caps = c.capabilities
        for cap in ("QUOTA", "QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "QUOTA=RES-MAILBOX"):
            self.assertIn(cap, caps)
        self.assertNotIn("QUOTASET", caps)
        c.logout()

    def test_getquotaroot_and_getquota_follow_the_cli(self):
        user = self.account()
        c = self.login(user)
        # The config's default: only MAILBOX has a limit.
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b'INBOX ""'])
        self.assertEqual(data[1], [b'"" (MAILBOX 6 50)'])
        self.assertEqual(self.append(c, "INBOX")[0], "OK")
        # Set while the server runs and the session is open: seen at once.
        out = self.set_quota(user, storage="1M", messages=100)
        self.assertIn("storage:   1 KiB used of 1M", out)
        self.assertIn("messages:  1 of 100 (1 %)", out)
        self.assertIn("mailboxes: 6 of 50 (default)", out)
        typ, data = c.getquota('""')
        self.assertEqual(typ, "OK")
        self.assertEqual(data, [b'"" (STORAGE 1 1024 MESSAGE 1 100 MAILBOX 6 50)'])
        typ, data = c.getquotaroot("Sent")
        self.assertEqual(data[0], [b'Sent ""'])
        # Lifting every limit leaves no quota root.
        self.set_quota(user, storage="none", messages="none", mailboxes=0)
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0], [b"INBOX"])
        typ, data = c.getquota('""')
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NONEXISTENT]", data[0])
        typ, data = c.getquotaroot("Nope")
        self.assertEqual(typ, "NO")
        # Back to the default.
        self.set_quota(user, mailboxes="default")
        typ, data = c.getquota('""')
        self.assertEqual(data, [b'"" (MAILBOX 6 50)'])
        c.logout()

    def test_setquota_is_refused(self):
        c = self.login(self.account(messages=10))
        typ, data = c._simple_command("SETQUOTA", '""', "(STORAGE 100000)")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[NOPERM]", data[-1])
        with self.assertRaisesRegex(imaplib.IMAP4.error, "BAD.*Missing quota resource limit"):
            c._simple_command("SETQUOTA", '""', "(STORAGE")
        typ, data = c.getquota('""')
        self.assertEqual(data, [b'"" (MESSAGE 0 10 MAILBOX 6 50)'])
        c.logout()

    def test_append_copy_move_over_quota(self):
        user = self.account(messages=3)
        c = self.login(user)
        self.assertEqual(self.append(c, "Archive")[0], "OK")
        self.assertEqual(self.append(c, "Archive")[0], "OK")
        c.select("Archive")
        typ, data = c.copy("1:2", "Trash")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(c.status("Trash", "(MESSAGES)")[1], [b"Trash (MESSAGES 0)"])
        # MOVE within the account changes nothing: allowed even at the limit.
        typ, data = c._simple_command("MOVE", "1:2", "Trash")
        self.assertEqual(typ, "OK")
        self.assertEqual(self.append(c, "Trash")[0], "OK")  # 3 of 3
        typ, data = self.append(c, "Trash")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(c.status("Trash", "(MESSAGES)")[1], [b"Trash (MESSAGES 3)"])
        # The 90 % warning arrived in INBOX (exempt from the limit), once.
        c.select("INBOX")
        typ, data = c.search(None, "ALL")
        self.assertEqual(data, [b"1"])
        typ, data = c.fetch("1", "(BODY.PEEK[])")
        text = data[0][1]
        self.assertIn(b"From: Postmaster <postmaster@example.test>", text)
        self.assertIn(b"Subject: Your mailbox is almost full", text)
        self.assertIn(b"Messages: 3 of 3 (100 %).", text)
        typ, data = c.getquotaroot("INBOX")
        self.assertEqual(data[1], [b'"" (MESSAGE 4 3 MAILBOX 6 50)'])
        # Expunging frees room.
        c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.select("Trash")
        c.store("1:2", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        self.assertEqual(self.append(c, "Trash")[0], "OK")
        c.logout()

    def test_multiappend_is_all_or_nothing(self):
        user = self.account(messages=2)
        c = self.login(user)
        self.assertEqual(self.append(c, "INBOX")[0], "OK")
        # imaplib has no MULTIAPPEND: two LITERAL+ messages in one command.
        tag = c._new_tag()
        n = str(len(MSG)).encode()
        c.send(tag + b" APPEND Drafts {" + n + b"+}\r\n" + MSG + b" {" + n + b"+}\r\n" + MSG + b"\r\n")
        typ, data = c._command_complete("APPEND", tag)
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(c.status("Drafts", "(MESSAGES)")[1], [b"Drafts (MESSAGES 0)"])
        c.logout()

    def test_storage_limit_create_limit_and_deleted_storage(self):
        user = self.account(storage=4, mailboxes=7)  # 4 KiB
        c = self.login(user)
        big = simple_message(unique("big"), body="x" * 1500 + "\r\n")
        self.assertEqual(self.append(c, "INBOX", big)[0], "OK")
        self.assertEqual(self.append(c, "INBOX", big)[0], "OK")
        typ, data = self.append(c, "INBOX", big)
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        c.select("INBOX")
        c.store("1", "+FLAGS.SILENT", "(\\Deleted)")
        typ, data = c.status("INBOX", "(DELETED DELETED-STORAGE)")
        self.assertEqual(data, [b"INBOX (DELETED 1 DELETED-STORAGE 2)"])
        c.expunge()
        self.assertEqual(self.append(c, "INBOX", big)[0], "OK")
        # MAILBOX: 6 exist, the limit is 7.
        self.assertEqual(c.create("Projects")[0], "OK")
        typ, data = c.create("More")
        self.assertEqual(typ, "NO")
        self.assertIn(b"[OVERQUOTA]", data[0])
        self.assertEqual(c.delete("Projects")[0], "OK")
        self.assertEqual(c.create("More")[0], "OK")
        c.logout()


if __name__ == "__main__":
    unittest.main()
