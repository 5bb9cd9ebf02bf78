# test_sendmail: local submission with `estafeta sendmail` and the binary called as
# `sendmail`, the way cron, mail(1), PHP's mail() and git send-email call it: -t reads To/Cc/Bcc
# and no recipient sees Bcc; -f sets the sender; without -i a line "." ends the message, with
# -oi it does not; From, Date and Message-ID are added when missing (with -F's name); an
# unknown local user is bounced to the sender; a user other than root submits as
# <login>@<hostname>; usage errors exit 64 with a message. Every wait is bounded.
import os
import shutil
import subprocess
import time
import unittest

from estafeta_harness import HOSTNAME, ServerTestCase, binary, unique

ALICE = "alice@example.test"
BOB = "bob@example.test"


class Sendmail(ServerTestCase):
    def sendmail(self, args, message, as_name=None, user=None):
        cmd = [binary(), "-c", self.server.config_path, "sendmail", *args]
        if as_name:
            link = os.path.join(self.server.tmp, "sendmail")
            if not os.path.exists(link):
                os.symlink(binary(), link)
            cmd = [link, "-C", self.server.config_path, *args]
        if user:
            cmd = ["runuser", "-u", user, "--", *cmd]
        return subprocess.run(cmd, input=message, capture_output=True, timeout=30)

    def wait_for(self, address, marker, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.server.find(address, marker, wait=False)
            if found:
                with open(found[0], "rb") as f:
                    return f.read()
            time.sleep(0.05)
        self.fail(f"{marker} did not reach {address}\n{self.server.log_tail()}")

    def test_t_reads_recipients_and_hides_bcc(self):
        marker = unique("smt")
        msg = (f"To: Alice <{ALICE}>\nBcc: {BOB}\nSubject: {marker}\n\nhello\n.\nafter dot\n")
        r = self.sendmail(["-t", "-oem", "-f", "cron@example.test"], msg.encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        for who in (ALICE, BOB):
            got = self.wait_for(who, marker)
            self.assertNotIn(b"Bcc:", got)
            self.assertIn(b"Return-Path: <cron@example.test>", got)
            self.assertIn(b"with local (uid 0 root)", got)
            for field in (b"\r\nDate: ", b"\r\nMessage-ID: <", b"\r\nFrom: cron@example.test"):
                self.assertIn(field, got)
            self.assertIn(b"hello\r\n", got)
            self.assertNotIn(b"after dot", got)  # a lone "." ended the input

    def test_called_as_sendmail_with_oi_and_fullname(self):
        marker = unique("sml")
        r = self.sendmail(["-oi", "-F", "Cron Daemon", ALICE],
                          f"Subject: {marker}\n\nline\n.\nstill body\n".encode(), as_name=True)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.wait_for(ALICE, marker)
        self.assertIn(b"still body", got)
        self.assertIn(f'From: "Cron Daemon" <root@{HOSTNAME}>'.encode(), got)

    def test_unknown_user_bounces_to_the_sender(self):
        marker = unique("smb")
        r = self.sendmail(["-f", ALICE, "nobody-here@example.test"],
                          f"Subject: {marker}\n\nx\n".encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.wait_for(ALICE, marker)  # the DSN returns the message's header
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"nobody-here@example.test", got)
        self.assertIn(b"5.1.1", got)

    def test_usage_errors(self):
        r = self.sendmail([], b"Subject: x\n\nno recipients\n")
        self.assertEqual(r.returncode, 64)
        self.assertIn(b"no recipients", r.stderr)
        r = self.sendmail(["-q", ALICE], b"x\n")
        self.assertEqual(r.returncode, 64)
        self.assertIn(b"unknown option -q", r.stderr)

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("runuser"), "needs root and runuser")
    def test_another_local_user(self):
        os.chmod(self.server.tmp, 0o711)  # the test's temporary directory, not data_dir
        marker = unique("smu")
        r = self.sendmail([ALICE], f"Subject: {marker}\n\nfrom nobody\n".encode(), user="nobody")
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.wait_for(ALICE, marker)
        self.assertIn(f"Return-Path: <nobody@{HOSTNAME}>".encode(), got)
        self.assertIn(b"(uid 65534 nobody)", got)


if __name__ == "__main__":
    unittest.main()
