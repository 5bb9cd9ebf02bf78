# test_store_cli: the operator's commands on the mailbox store, on a running server:
# `estafeta mailbox list|create|delete|rename USER` and `estafeta index check|rebuild USER`.
# A user added with the CLI gets mail over SMTP; its mailboxes are listed (INBOX and the
# special-use ones exist), created, renamed with their inferiors and deleted; a +tag folder
# made with the CLI receives user+tag mail; a file dropped into the Maildir by hand is
# reported by `index check` (exit 1) and picked up by `index rebuild` with a UID in its name;
# `user del --purge` removes an account's mail, `user del` alone keeps it.
import os
import re
import smtplib

from estafeta_harness import CLIENT_NAME, TIMEOUT, ServerTestCase, simple_message, unique

DAVE = "dave@example.test"


def parse_list(text):
    """`mailbox list` lines -> {name: {"use": "\\Sent" or "", "messages": n, ...}}."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(.*?)(?: (\\[A-Za-z]+))?  messages=(\d+) unseen=(\d+) size=(\d+) "
                     r"uidvalidity=(\d+) uidnext=(\d+)$", line)
        assert m, f"unexpected line {line!r}"
        out[m.group(1)] = {"use": m.group(2) or "", "messages": int(m.group(3)),
                           "unseen": int(m.group(4)), "size": int(m.group(5)),
                           "uidvalidity": int(m.group(6)), "uidnext": int(m.group(7))}
    return out


class StoreCli(ServerTestCase):
    SECTIONS = {"delivery": {"detail_to_folder": True}}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server.cli("user", "add", DAVE, "--password-stdin", input="dave-Secret-4\n")

    def deliver(self, marker, rcpt=DAVE):
        with smtplib.SMTP("127.0.0.1", self.server.mx, local_hostname=CLIENT_NAME,
                          timeout=TIMEOUT) as s:
            s.sendmail("someone@remote.test", [rcpt], simple_message(marker, to=rcpt))
        self.assertTrue(self.server.wait_spool(15), self.server.cli("queue", "list").stdout)

    def mailboxes(self):
        return parse_list(self.server.cli("mailbox", "list", DAVE).stdout)

    def test_1_mailboxes_of_a_new_user(self):
        marker = unique("store-cli")
        self.deliver(marker)
        boxes = self.mailboxes()
        self.assertEqual(list(boxes)[0], "INBOX")
        self.assertEqual(boxes["INBOX"]["messages"], 1)
        self.assertEqual(boxes["INBOX"]["unseen"], 1)
        self.assertGreater(boxes["INBOX"]["size"], 100)
        self.assertEqual(boxes["INBOX"]["uidnext"], 2)
        for name, use in (("Sent", "\\Sent"), ("Drafts", "\\Drafts"), ("Trash", "\\Trash"),
                          ("Junk", "\\Junk"), ("Archive", "\\Archive")):
            self.assertEqual(boxes[name]["use"], use)
            self.assertEqual(boxes[name]["messages"], 0)
        self.assertEqual(len({b["uidvalidity"] for b in boxes.values()}), len(boxes))
        # The delivered file carries its UID now (the index can be rebuilt from the names).
        files = self.server.mail_files(DAVE)
        self.assertEqual(len(files), 1)
        self.assertIn(",U=1,", os.path.basename(files[0]))
        # The same answer twice (nothing changes by listing).
        self.assertEqual(self.mailboxes(), boxes)

    def test_2_create_rename_delete(self):
        r = self.server.cli("mailbox", "create", DAVE, "Projects/2026")
        self.assertEqual(r.stdout, "created mailbox Projects/2026\n")
        r = self.server.cli("mailbox", "create", DAVE, "Flagged mail", "--special-use", "flagged")
        self.assertEqual(r.stdout, "created mailbox Flagged mail\n")
        boxes = self.mailboxes()
        self.assertIn("Projects", boxes)
        self.assertIn("Projects/2026", boxes)
        self.assertEqual(boxes["Flagged mail"]["use"], "\\Flagged")
        root = self.server.maildir(DAVE)
        self.assertTrue(os.path.isdir(os.path.join(root, ".Projects.2026", "cur")))
        r = self.server.cli("mailbox", "rename", DAVE, "Projects", "Old Projects")
        self.assertEqual(r.stdout, "renamed mailbox Projects to Old Projects\n")
        boxes = self.mailboxes()
        self.assertNotIn("Projects", boxes)
        self.assertNotIn("Projects/2026", boxes)
        self.assertIn("Old Projects/2026", boxes)
        self.assertTrue(os.path.isdir(os.path.join(root, ".Old Projects.2026", "cur")))
        r = self.server.cli("mailbox", "delete", DAVE, "Old Projects/2026")
        self.assertEqual(r.stdout, "deleted mailbox Old Projects/2026\n")
        self.assertNotIn("Old Projects/2026", self.mailboxes())
        self.assertFalse(os.path.exists(os.path.join(root, ".Old Projects.2026")))
        # Names with '.' and non-ASCII characters round-trip through the folder names.
        self.server.cli("mailbox", "create", DAVE, "lists.debian/Entwürfe")
        self.assertIn("lists.debian/Entwürfe", self.mailboxes())

    def test_3_refusals(self):
        cases = [
            (("mailbox", "create", DAVE, "a//b"), "estafeta: cannot create mailbox a//b: invalid mailbox name\n"),
            (("mailbox", "create", DAVE, "../up"), "estafeta: cannot create mailbox ../up: invalid mailbox name\n"),
            (("mailbox", "create", DAVE, "Sent"), "estafeta: cannot create mailbox Sent: mailbox already exists\n"),
            (("mailbox", "delete", DAVE, "inbox"), "estafeta: cannot delete mailbox inbox: INBOX cannot be deleted\n"),
            (("mailbox", "delete", DAVE, "Nope"), "estafeta: cannot delete mailbox Nope: no such mailbox\n"),
            (("mailbox", "rename", DAVE, "Nope", "Other"), "estafeta: cannot rename mailbox Nope to Other: no such mailbox\n"),
            (("mailbox", "list", "nobody@example.test"), "estafeta: no such user: nobody@example.test\n"),
            (("index", "check", "not-an-address"), "estafeta: invalid account address: not-an-address\n"),
            (("mailbox", "create", DAVE, "X", "--special-use", "bogus"),
             "estafeta: --special-use: not one of all, archive, drafts, flagged, junk, sent, trash: bogus\n"),
        ]
        for args, err in cases:
            r = self.server.cli(*args, check=False)
            self.assertEqual((r.returncode, r.stderr), (1, err), args)

    def test_4_plus_tag_folder(self):
        self.server.cli("mailbox", "create", DAVE, "lists")
        marker = unique("tagged")
        self.deliver(marker, "dave+lists@example.test")
        self.assertEqual(len(self.server.find(DAVE, marker, folder="lists")), 1)
        self.assertEqual(self.mailboxes()["lists"]["messages"], 1)

    def test_5_index_check_and_rebuild(self):
        before = self.mailboxes()["INBOX"]
        root = self.server.maildir(DAVE)
        dropped = "1700000000.M1P1Q1.elsewhere"
        with open(os.path.join(root, "tmp", dropped), "wb") as f:
            f.write(simple_message("dropped-by-hand", to=DAVE))
        os.rename(os.path.join(root, "tmp", dropped), os.path.join(root, "new", dropped))
        r = self.server.cli("index", "check", DAVE, check=False)
        self.assertEqual(r.returncode, 1, r)
        self.assertIn("1 files not in the index", r.stdout)
        self.assertIn(f"mailbox INBOX: file new/{dropped} is not in the index", r.stdout)
        self.assertEqual(r.stderr, f"estafeta: the index of {DAVE} has 1 problem(s): "
                                   f"estafeta index rebuild {DAVE} repairs them\n")
        r = self.server.cli("index", "rebuild", DAVE)
        self.assertIn("1 files not in the index", r.stdout)
        self.assertRegex(r.stdout, rf"rebuilt the index of {DAVE}: \d+ mailboxes, \d+ messages\n"
                                   rf"fulltext index of {DAVE}: (\d+) of \1 messages, \d+ bytes")
        r = self.server.cli("index", "check", DAVE)
        self.assertIn("matches its files", r.stdout)
        after = self.mailboxes()["INBOX"]
        self.assertEqual(after["messages"], before["messages"] + 1)
        self.assertEqual(after["uidvalidity"], before["uidvalidity"])
        self.assertEqual(after["uidnext"], before["uidnext"] + 1)
        names = os.listdir(os.path.join(root, "new"))
        self.assertIn(f"{dropped},U={before['uidnext']},", ",".join(names) + ",")

    def test_6_rename_inbox(self):
        count = self.mailboxes()["INBOX"]["messages"]
        self.assertGreater(count, 0)
        self.server.cli("mailbox", "rename", DAVE, "INBOX", "Saved")
        boxes = self.mailboxes()
        self.assertEqual(boxes["Saved"]["messages"], count)
        self.assertEqual(boxes["INBOX"]["messages"], 0)
        # New mail still arrives in INBOX.
        marker = unique("after-rename")
        self.deliver(marker)
        self.assertEqual(self.mailboxes()["INBOX"]["messages"], 1)

    def test_7_user_del_purge_removes_the_mail(self):
        erin = "erin@example.test"
        self.server.cli("user", "add", erin, "--password-stdin", input="erin-Secret-5\n")
        marker = unique("purge")
        self.deliver(marker, rcpt=erin)
        root = self.server.maildir(erin)
        self.assertEqual(len(self.server.find(erin, marker)), 1)
        r = self.server.cli("user", "del", erin, "--purge")
        self.assertEqual(r.stdout, f"deleted user {erin} and its mail\n")
        self.assertFalse(os.path.exists(root), root)
        # Without --purge the mail stays, and the output says where.
        frank = "frank@example.test"
        self.server.cli("user", "add", frank, "--password-stdin", input="frank-Secret-6\n")
        self.deliver(unique("kept"), rcpt=frank)
        r = self.server.cli("user", "del", frank)
        self.assertEqual(r.stdout, f"deleted user {frank} (its mail stays in "
                                   f"{self.server.maildir(frank)})\n")
        self.assertTrue(os.path.isdir(self.server.maildir(frank)))
