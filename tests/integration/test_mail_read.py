# test_mail_read: the reading commands of the mail client (`estafeta mail mailboxes, list,
# read, save-attachments, search`) against a real Estafeta (mua_support.py): every command in
# text and --json, paging, decoded headers, HTML rendered, charsets, attachments saved under
# safe names without replacing anything, the search language, and bad input with its clear
# message.
import json
import os
import unittest

from mua_support import BOB, MailClientCase


class MailReadCommands(MailClientCase):
    # -- mailboxes -------------------------------------------------------------------------------
    def test_mailboxes(self):
        r = self.mail("mailboxes")
        lines = r.stdout.splitlines()
        self.assertTrue(lines[0].startswith("MAILBOX"), r.stdout)
        inbox = [l for l in lines if l.startswith("INBOX")]
        self.assertEqual(len(inbox), 1, r.stdout)
        self.assertIn("inbox", inbox[0])
        data = self.mail_json("mailboxes")
        names = {m["name"]: m for m in data["mailboxes"]}
        self.assertIn("INBOX", names)
        self.assertEqual(names["INBOX"]["role"], "inbox")
        self.assertGreaterEqual(names["INBOX"]["messages"], 5)
        self.assertTrue(names["INBOX"]["selectable"])
        for key in ("name", "role", "attributes", "delimiter", "selectable", "messages", "unseen"):
            self.assertIn(key, data["mailboxes"][0])
        roles = {m["role"] for m in data["mailboxes"]}
        self.assertIn("trash", roles, data)  # Estafeta marks its Trash with \Trash

    # -- list and paging -------------------------------------------------------------------------
    def test_list_text_and_json(self):
        r = self.mail("list")
        self.assertIn("UID", r.stdout.splitlines()[0])
        self.assertIn("html " + self.marker, r.stdout)
        self.assertIn("Jürgen Müller", r.stdout)
        self.assertIn("Überweisung € 100", r.stdout)
        self.assertIn("(newest first)", r.stdout)
        data = self.mail_json("list", "INBOX")
        self.assertEqual(data["mailbox"], "INBOX")
        self.assertGreaterEqual(data["total"], 5)
        uids = [m["uid"] for m in data["messages"]]
        self.assertEqual(uids, sorted(uids, reverse=True))  # newest first
        ours = {m["subject"]: m for m in data["messages"] if self.marker in m["subject"]}
        plain = ours["plain " + self.marker]
        self.assertEqual(plain["from_address"], "bob@remote.test")
        self.assertEqual(plain["from_name"], "Bob Sender")
        self.assertEqual(plain["from"], "Bob Sender <bob@remote.test>")
        self.assertEqual(plain["date"], "2026-12-02T09:00:00+00:00")
        self.assertGreater(plain["size"], 100)
        for key in ("uid", "date", "internal_date", "from", "from_name", "from_address", "subject",
                    "flags", "seen", "flagged", "answered", "size"):
            self.assertIn(key, plain)

    def test_list_pages(self):
        full = self.mail_json("list", "--page-size", "1000")
        total = full["total"]
        p1 = self.mail_json("list", "--page-size", "2")
        p2 = self.mail_json("list", "--page-size", "2", "--page", "2")
        self.assertEqual(p1["pages"], (total + 1) // 2)
        self.assertEqual(len(p1["messages"]), 2)
        self.assertEqual([m["uid"] for m in p1["messages"] + p2["messages"]],
                         [m["uid"] for m in full["messages"]][:4])
        r = self.mail("list", "--page-size", "2", "--page", "2")
        self.assertIn("page 2 of", r.stdout)
        self.fails("--page-size must be between 1 and 1000", "list", "--page-size", "0")
        self.fails("--page starts at 1", "list", "--page", "0")
        self.fails('there is no mailbox "Nowhere"', "list", "Nowhere")

    # -- read ------------------------------------------------------------------------------------
    def test_read_plain(self):
        uid = self.uid_of("plain")
        r = self.mail("read", str(uid), "--peek")
        out = r.stdout
        self.assertIn("From: Bob Sender <bob@remote.test>\n", out)
        self.assertIn("To: Alice <alice@example.test>\n", out)
        self.assertIn("Cc: carol@example.test\n", out)
        self.assertIn("Date: Wed, 02 Dec 2026 09:00:00 +0000\n", out)
        self.assertIn(f"Subject: plain {self.marker}\n", out)
        self.assertIn(f"Hello Alice,\nthe plain body {self.marker}.\n", out)
        self.assertNotIn("Attachments:", out)
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual(data["uid"], uid)
        self.assertEqual(data["from"], [{"name": "Bob Sender", "address": "bob@remote.test"}])
        self.assertEqual(data["cc"], [{"name": "", "address": "carol@example.test"}])
        self.assertEqual(data["text_type"], "text/plain")
        self.assertEqual(data["message_id"], f"<plain-{self.marker}@remote.test>")
        self.assertEqual(data["date_iso"], "2026-12-02T09:00:00+00:00")
        self.assertEqual(data["attachments"], [])
        self.assertNotIn("\\Seen", data["flags"])  # --peek

    def test_read_marks_seen(self):
        self.deliver(BOB, "seenmark")
        uid = self.uid_of("seenmark", name="bob")
        before = self.mail_json("search", "subject:seenmark", name="bob")["messages"][0]
        self.assertFalse(before["seen"])
        self.mail("read", str(uid), name="bob")
        after = self.mail_json("search", "subject:seenmark", name="bob")["messages"][0]
        self.assertTrue(after["seen"])

    def test_read_multipart_and_attachments(self):
        uid = self.uid_of("report")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn(f"see the report {self.marker}", r.stdout)
        self.assertNotIn("<p>", r.stdout)
        self.assertIn("Attachments:\n", r.stdout)
        self.assertIn("1. report.pdf (application/pdf, 19)", r.stdout)
        self.assertIn("2. ../../../evil.txt (text/plain,", r.stdout)
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual([a["filename"] for a in data["attachments"]],
                         ["report.pdf", "../../../evil.txt"])
        self.assertEqual(data["attachments"][1]["safe_name"], "evil.txt")
        self.assertEqual(data["attachments"][0]["content_type"], "application/pdf")
        self.assertEqual(data["attachments"][0]["size"], 19)

    def test_read_html_only(self):
        uid = self.uid_of("html")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("[HTML message shown as text]", r.stdout)
        self.assertIn("Café news", r.stdout)
        self.assertIn(f"first & second {self.marker}", r.stdout)
        self.assertNotIn("evil()", r.stdout)
        self.assertNotIn("color:red", r.stdout)
        self.assertEqual(self.mail_json("read", str(uid), "--peek")["text_type"], "text/html")

    def test_read_non_ascii_and_8bit(self):
        page = self.mail_json("search", self.marker, "subject:Überweisung")
        self.assertEqual(page["total"], 1, page)
        uid = page["messages"][0]["uid"]
        data = self.mail_json("read", str(uid), "--peek")
        self.assertEqual(data["from"][0]["name"], "Jürgen Müller")
        self.assertEqual(data["subject"], f"Überweisung € 100 {self.marker}")
        self.assertIn("Grüße aus München, 100 €", data["text"])
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("From: Jürgen Müller <juergen@remote.test>", r.stdout)
        uid = self.uid_of("latin")
        r = self.mail("read", str(uid), "--peek")
        self.assertIn("Schöne Grüße", r.stdout)

    def test_read_over_implicit_tls_with_host_name(self):
        uid = self.uid_of("plain", name="alicetls")
        r = self.mail("read", str(uid), "--peek", name="alicetls")
        self.assertIn(f"plain body {self.marker}", r.stdout)

    # -- save-attachments ------------------------------------------------------------------------
    def test_save_attachments(self):
        uid = self.uid_of("report")
        out = os.path.join(self.tmp, "saved")
        r = self.mail("save-attachments", str(uid), out)
        self.assertIn("report.pdf", r.stdout)
        with open(os.path.join(out, "report.pdf"), "rb") as f:
            self.assertEqual(f.read(), b"%PDF-1.4\n%\xc3\xa4\xc3\xbc\xc3\xb6\xc3\x9f\n")
        self.assertEqual(sorted(os.listdir(out)), ["evil.txt", "report.pdf"])
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "evil.txt")))
        # Again: nothing is overwritten.
        data = self.mail_json("save-attachments", str(uid), out, "--index", "1")
        self.assertEqual(len(data["saved"]), 1)
        self.assertEqual(data["saved"][0]["path"], os.path.join(out, "report-2.pdf"))
        self.assertEqual(sorted(os.listdir(out)), ["evil.txt", "report-2.pdf", "report.pdf"])
        # A symlink named like an attachment is not followed.
        link_dir = os.path.join(self.tmp, "links")
        os.mkdir(link_dir)
        os.symlink(os.path.join(self.tmp, "target"), os.path.join(link_dir, "report.pdf"))
        self.mail("save-attachments", str(uid), link_dir, "--index", "1")
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "target")))
        self.fails("has 2 attachment(s), not 7", "save-attachments", str(uid), out, "--index", "7")
        plain = self.uid_of("plain")
        self.fails("has no attachments", "save-attachments", str(plain), out)

    # -- search ----------------------------------------------------------------------------------
    def test_search(self):
        data = self.mail_json("search", self.marker)
        self.assertEqual(data["total"], 5, data)
        self.assertEqual(data["query"], self.marker)
        data = self.mail_json("search", "from:news@remote.test", self.marker)
        self.assertEqual([m["subject"] for m in data["messages"]], [f"html {self.marker}"])
        data = self.mail_json("search", f"subject:\"report {self.marker}\"")
        self.assertEqual(data["total"], 1)
        data = self.mail_json("search", self.marker, "since:2000-01-01", "before:2999-01-01")
        self.assertEqual(data["total"], 5)
        data = self.mail_json("search", self.marker, "before:2000-01-01")
        self.assertEqual(data["total"], 0)
        data = self.mail_json("search", "München", self.marker)  # non-ASCII: CHARSET UTF-8
        self.assertEqual(data["total"], 1)
        r = self.mail("search", "subject:plain", self.marker)
        self.assertIn(f"plain {self.marker}", r.stdout)
        r = self.mail("search", "no-such-word-" + self.marker)
        self.assertIn("no messages in INBOX match", r.stdout)
        self.fails("search: since:tomorrow is not a date (write since:YYYY-MM-DD)",
                   "search", "since:tomorrow")



if __name__ == "__main__":
    unittest.main()
