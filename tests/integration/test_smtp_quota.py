# test_smtp_quota: quota (RFC 9208 limits, `estafeta user quota`) at delivery, with smtplib: a
# recipient already full is refused for now at RCPT (452 4.2.2, as Postfix with Dovecot's LMTP);
# a message accepted for an alias whose members fill up is delivered to those with room and
# deferred for the full one (the spool keeps it: delivery.retry_interval = 1 s, then 5, 15 s),
# then delivered once the quota is raised, or once mail is deleted; nothing is lost.
import time
import unittest

from estafeta_harness import ServerTestCase, simple_message, unique

LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None)}
PASSWORD = "quota-Secret-9"


class SmtpQuota(ServerTestCase):
    LISTENERS = LISTENERS
    SECTIONS = {"delivery": {"retry_interval": 1}}

    def account(self, **limits):
        user = unique("s").replace("-", "") + "@example.test"
        self.server.cli("user", "add", user, "--password-stdin", input=PASSWORD + "\n")
        if limits:
            self.set_quota(user, **limits)
        return user

    def set_quota(self, user, **limits):
        args = []
        for k, v in limits.items():
            args += [f"--{k}", str(v)]
        self.server.cli("user", "quota", user, *args)

    def count(self, user, folder=""):
        return len(self.server.mail_files(user, folder, wait=False))

    def wait_for(self, cond, timeout=40.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.1)
        return cond()

    def fill(self, user, n):
        """n messages into Archive over IMAP (no SMTP verdict about `user` is cached)."""
        c = self.server.imap()
        c.login(user, PASSWORD)
        for _ in range(n):
            self.assertEqual(c.append("Archive", None, None, b"Subject: f\r\n\r\nx\r\n")[0], "OK")
        c.logout()

    def test_full_recipient_gets_452_at_rcpt(self):
        full = self.account(messages=2)
        other = self.account()
        self.fill(full, 2)
        with self.server.smtp() as s:
            s.ehlo()
            self.assertEqual(s.mail("bob@remote.test")[0], 250)
            code, text = s.rcpt(full)
            self.assertEqual(code, 452, text)
            self.assertTrue(text.startswith(b"4.2.2 "), text)
            self.assertIn(b"Mailbox full", text)
            # The transaction goes on for the others.
            self.assertEqual(s.rcpt(other)[0], 250)
            marker = unique("other")
            code, _ = s.data(simple_message(marker, to=other))
            self.assertEqual(code, 250)
        self.assertTrue(self.wait_for(lambda: self.server.find(other, marker, wait=False)))

    def test_deferred_then_delivered_when_room_is_made(self):
        full = self.account(messages=1)
        roomy = self.account()
        alias = unique("grp").replace("-", "") + "@example.test"
        self.server.cli("alias", "add", alias, full, roomy)
        self.fill(full, 1)  # at the limit (and warned: the warning is INBOX's only message)
        self.assertEqual(self.count(full), 1)
        marker = unique("deferred")
        with self.server.smtp() as s:
            # One member still has room: accepted.
            s.sendmail("bob@remote.test", [alias], simple_message(marker, to=alias))
        # The other member has it at once.
        self.assertTrue(self.wait_for(lambda: self.server.find(roomy, marker, wait=False)))
        # The full member's copy waits in the spool, retried.
        self.assertTrue(self.wait_for(lambda: f"to {full}: over quota" in self.server.log_text()))
        self.assertTrue(self.server.spool_entries())
        self.assertEqual(self.count(full), 1)
        time.sleep(1.5)  # at least one retry, still full
        self.assertEqual(self.count(full), 1)
        self.assertTrue(self.server.spool_entries())
        # Raising the quota lets the next retry deliver it; the spool empties.
        self.set_quota(full, messages=10)
        self.assertTrue(self.wait_for(lambda: self.count(full) == 2), self.server.log_tail())
        self.assertTrue(self.wait_for(lambda: not self.server.spool_entries()))
        self.assertTrue(self.server.find(full, marker, wait=False))
        # The other member got it once.
        self.assertEqual(len([f for f in self.server.mail_files(roomy, wait=False)]), 1)

    def test_deferred_then_delivered_after_mail_is_deleted(self):
        full = self.account(messages=2)
        roomy = self.account()
        alias = unique("grp").replace("-", "") + "@example.test"
        self.server.cli("alias", "add", alias, full, roomy)
        self.fill(full, 2)  # 2 of 2, plus the warning in INBOX
        marker = unique("deleted")
        with self.server.smtp() as s:
            s.sendmail("bob@remote.test", [alias], simple_message(marker, to=alias))
        self.assertTrue(self.wait_for(lambda: self.server.find(roomy, marker, wait=False)))
        self.assertTrue(self.wait_for(lambda: f"to {full}: over quota" in self.server.log_text()))
        # The user deletes mail over IMAP: the retry finds room.
        c = self.server.imap()
        c.login(full, PASSWORD)
        c.select("Archive")
        c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.select("INBOX")
        c.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
        c.expunge()
        c.logout()
        self.assertTrue(self.wait_for(lambda: self.server.find(full, marker, wait=False)),
                        self.server.log_tail())
        self.assertTrue(self.wait_for(lambda: not self.server.spool_entries()))


if __name__ == "__main__":
    unittest.main()
