# test_mail_manage: the mail client's commands that change a mailbox or wait on it
# (`estafeta mail flag, move, delete, watch`) and the connection failures (wrong password,
# server down, an untrusted CA, an unknown account) against a real Estafeta (mua_support.py).
import json
import os
import select
import signal
import subprocess
import time
import unittest

from estafeta_harness import binary, unique
from mua_support import BOB, CAROL, MailClientCase, run_mail, wait_watching


class MailManageCommands(MailClientCase):
    # -- flag, move, delete ----------------------------------------------------------------------
    def test_flag(self):
        self.deliver(BOB, "flagme")
        uid = self.uid_of("flagme", name="bob")
        r = self.mail("flag", str(uid), "--flagged", "--seen", name="bob")
        self.assertIn("\\Flagged", r.stdout)
        self.assertIn("\\Seen", r.stdout)
        row = self.mail_json("search", "subject:flagme", name="bob")["messages"][0]
        self.assertTrue(row["flagged"])
        self.assertTrue(row["seen"])
        data = self.mail_json("flag", str(uid), "--unseen", "--unflagged", "--answered", name="bob")
        self.assertEqual(data["flags"], ["\\Answered"])
        self.fails("say what to change", "flag", str(uid), name="bob")
        self.fails("both set and cleared", "flag", str(uid), "--seen", "--unseen", name="bob")

    def test_move(self):
        self.deliver(BOB, "moveme")
        uid = self.uid_of("moveme", name="bob")
        c = self.server.imaps(BOB)
        c.create("Archive")
        c.logout()
        r = self.mail("move", str(uid), "Archive", name="bob")
        self.assertIn(f"moved {uid} from INBOX to Archive", r.stdout)
        self.assertEqual(self.mail_json("search", "subject:moveme", name="bob")["total"], 0)
        moved = self.mail_json("search", "subject:moveme", "--mailbox", "Archive", name="bob")
        self.assertEqual(moved["total"], 1)
        self.fails('there is no mailbox "Nowhere"', "move", "1", "Nowhere", name="bob")
        self.fails(f"there is no message with UID {uid} in \"INBOX\"", "move", str(uid), "Archive",
                   name="bob")

    def test_non_ascii_mailbox_name(self):
        # Created in modified UTF-7 by imaplib; the client shows and takes it in UTF-8.
        c = self.server.imaps(BOB)
        typ, _ = c.create('"Entw&APw-rfe"')
        self.assertEqual(typ, "OK")
        c.logout()
        names = [m["name"] for m in self.mail_json("mailboxes", name="bob")["mailboxes"]]
        self.assertIn("Entwürfe", names)
        r = self.mail("list", "Entwürfe", name="bob")
        self.assertEqual(r.stdout, "no messages in Entwürfe\n")
        self.deliver(BOB, "umlautbox")
        uid = self.uid_of("umlautbox", name="bob")
        self.assertIn("to Entwürfe", self.mail("move", str(uid), "Entwürfe", name="bob").stdout)
        page = self.mail_json("list", "Entwürfe", name="bob")
        self.assertEqual(page["mailbox"], "Entwürfe")
        self.assertEqual([m["subject"] for m in page["messages"]], ["umlautbox"])

    def test_delete_to_trash_and_expunge(self):
        self.deliver(CAROL, "deleteme")
        uid = self.uid_of("deleteme", name="carol")
        r = self.mail("delete", str(uid), name="carol")
        self.assertIn(f"moved {uid} from INBOX to Trash", r.stdout)
        self.assertEqual(self.mail_json("search", "subject:deleteme", name="carol")["total"], 0)
        tuid = self.uid_of("deleteme", name="carol", mailbox="Trash")
        data = self.mail_json("delete", str(tuid), "--mailbox", "Trash", name="carol")
        self.assertEqual(data["action"], "deleted")
        self.assertEqual(self.mail_json("search", "subject:deleteme", "--mailbox", "Trash",
                                        name="carol")["total"], 0)
        self.deliver(CAROL, "expungeme")
        uid = self.uid_of("expungeme", name="carol")
        data = self.mail_json("delete", str(uid), "--expunge", name="carol")
        self.assertEqual(data, {"uid": uid, "from": "INBOX", "to": None, "action": "deleted"})
        self.assertEqual(self.mail_json("search", "subject:expungeme", "--mailbox", "Trash",
                                        name="carol")["total"], 0)

    # -- watch -----------------------------------------------------------------------------------
    def test_watch_prints_new_messages(self):
        for args in ((), ("--json",)):
            p = subprocess.Popen([binary(), "mail", "--account", self.config, "--name", "bob",
                                  "watch", "--timeout", "15", *args],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                 env={**os.environ, **self.env})
            try:
                wait_watching(self, p)
                subject = unique("watched")
                self.deliver(BOB, subject)
                line = ""
                deadline = time.time() + 15

                while time.time() < deadline and subject not in line:
                    ready, _, _ = select.select([p.stdout], [], [], 1)
                    if ready:
                        line = p.stdout.readline()
                        if not line:
                            break
                self.assertIn(subject, line)
                if args:
                    event = json.loads(line)
                    self.assertEqual(event["event"], "new")
                    self.assertEqual(event["message"]["subject"], subject)
                else:
                    self.assertTrue(line.startswith("new "), line)
                p.send_signal(signal.SIGTERM)
                self.assertEqual(p.wait(timeout=10), 0)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stdout.close()
                p.stderr.close()

    def test_watch_ends_at_timeout(self):
        start = time.time()
        r = self.mail("watch", "--timeout", "2", name="bob", timeout=20)
        self.assertLess(time.time() - start, 15)
        self.assertIn("watching INBOX", r.stderr)

    # -- bad input -------------------------------------------------------------------------------
    def test_unknown_uid(self):
        self.fails('there is no message with UID 999999 in "INBOX"', "read", "999999")
        self.fails("0 is not a message ID", "read", "0")
        r = self.mail("read", "seven", ok=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("ID", r.stderr)

    def test_unknown_mailbox(self):
        self.fails('there is no mailbox "Nowhere"', "read", "1", "--mailbox", "Nowhere")

    def test_wrong_password(self):
        r = self.fails("login as alice@example.test failed", "list", name="wrong")
        self.assertIn("AUTHENTICATIONFAILED", r.stderr)

    def test_server_down(self):
        r = self.fails("cannot connect to 127.0.0.1 port", "list", name="down")
        self.assertIn("refused", r.stderr)

    def test_wrong_ca(self):
        r = self.fails("is not trusted", "list", name="otherca")
        self.assertIn("other-ca.pem", r.stderr)

    def test_unknown_account_and_missing_file(self):
        r = run_mail(self.config, "list", env=self.env, name="nobody")
        self.assertEqual(r.returncode, 1)
        self.assertIn('no account called "nobody"', r.stderr)
        r = run_mail(os.path.join(self.tmp, "missing.toml"), "list", env=self.env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("missing.toml", r.stderr)




if __name__ == "__main__":
    unittest.main()
