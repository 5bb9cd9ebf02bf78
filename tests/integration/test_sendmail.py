# test_sendmail: local submission with `estafeta sendmail` and the binary called as
# `sendmail`, the way cron, mail(1), PHP's mail() and git send-email call it: -t reads To/Cc/Bcc
# and no recipient sees Bcc; -f sets the sender; without -i a line "." ends the message, with
# -oi it does not; From, Date and Message-ID are added when missing (with -F's name); an
# unknown local user is bounced to the sender with a report a mail client can read (RFC 3464:
# SMTP diagnostic, ORCPT, ENVID, RET=FULL); bare text and a header without its empty line get
# a body, an mbox "From " line is dropped, a recipient may be "Name <addr>"; a user other than
# root submits as <login>@<hostname>; usage errors exit 64 and a NUL octet 65, with a message.
# Every wait is bounded.
import email
import email.policy
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

    def test_unknown_user_bounce_is_a_valid_report(self):
        # What the sender's mail client sees (RFC 3464, RFC 6522): a readable first part, the
        # status fields with an SMTP diagnostic, ORCPT/ENVID as given, RET=FULL honoured.
        marker = unique("smr")
        dialogue = (f"EHLO c\r\nMAIL FROM:<{ALICE}> RET=FULL ENVID=E42\r\n"
                    "RCPT TO:<gone@example.test> ORCPT=rfc822;Gone+40example.test\r\n"
                    f"DATA\r\nSubject: {marker}\r\n\r\nwhole body {marker}\r\n.\r\nQUIT\r\n")
        r = self.sendmail(["-bs"], dialogue.encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.wait_for(ALICE, "gone@example.test")
        report = email.message_from_bytes(got, policy=email.policy.default)
        self.assertEqual(report.get_content_type(), "multipart/report")
        self.assertEqual(report.get_param("report-type"), "delivery-status")
        human, status, original = report.get_payload()
        self.assertIn("gone@example.test", human.get_content())
        self.assertIn("could not be delivered", human.get_content())
        self.assertEqual(status.get_content_type(), "message/delivery-status")
        per_message, per_rcpt = status.get_payload()
        self.assertEqual(per_message["Reporting-MTA"], f"dns; {HOSTNAME}")
        self.assertEqual(per_message["Original-Envelope-Id"], "E42")
        self.assertIsNotNone(per_message["Arrival-Date"])
        self.assertEqual(per_rcpt["Final-Recipient"], "rfc822; gone@example.test")
        self.assertEqual(per_rcpt["Original-Recipient"], "rfc822; Gone@example.test")
        self.assertEqual(per_rcpt["Action"], "failed")
        self.assertEqual(per_rcpt["Status"], "5.1.1")
        self.assertRegex(per_rcpt["Diagnostic-Code"], r"^smtp; 550 5\.1\.1 ")
        self.assertEqual(original.get_content_type(), "message/rfc822")  # RET=FULL
        self.assertIn(f"whole body {marker}", original.get_payload()[0].get_content())

    def test_bare_text_and_mbox_from_line(self):
        # `echo text | sendmail root`: no header at all; and a header without its empty line.
        # The body starts at the first line that is not a header field (as with Postfix).
        m1, m2 = unique("smt"), unique("smt")
        r = self.sendmail([f"Alice <{ALICE}>"], f"disk full on /var: {m1}\nsecond line\n".encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.sendmail(["-oi", ALICE], (f"From cron@example.test Wed Dec  2 10:00:00 2026\n"
                                          f"Subject: {m2}\nThe backup: failed\n").encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        for marker, subject, body in ((m1, None, f"disk full on /var: {m1}\nsecond line\n"),
                                      (m2, m2, "The backup: failed\n")):
            got = email.message_from_bytes(self.wait_for(ALICE, marker), policy=email.policy.default)
            self.assertEqual(got.defects, [])
            self.assertEqual(got["Subject"], subject)
            self.assertIsNotNone(got["Date"])
            self.assertEqual(got.get_content().replace("\r\n", "\n"), body)
            self.assertNotIn("From cron", got.as_string())

    def test_usage_errors(self):
        r = self.sendmail([], b"Subject: x\n\nno recipients\n")
        self.assertEqual(r.returncode, 64)
        self.assertIn(b"no recipients", r.stderr)
        r = self.sendmail(["-q", ALICE], b"x\n")
        self.assertEqual(r.returncode, 64)
        self.assertIn(b"unknown option -q", r.stderr)
        r = self.sendmail(["<>"], b"Subject: x\n\nnot an address\n")
        self.assertEqual(r.returncode, 64)
        self.assertIn(b"not a mail address: <>", r.stderr)
        r = self.sendmail([ALICE], b"Subject: x\n\nnul \0 here\n")
        self.assertEqual(r.returncode, 65)  # EX_DATAERR, as the SMTP server's 554 5.6.0
        self.assertIn(b"NUL", r.stderr)

    def test_bs_speaks_smtp_on_stdin_and_stdout(self):
        m1, m2 = unique("sbs"), unique("sbs")
        dialogue = (
            "EHLO client.example\r\n"
            "MAIL FROM:<cron@example.test>\r\n"
            f"RCPT TO:<{ALICE}>\r\n"
            f"RCPT TO:<{BOB}>\r\n"
            "DATA\r\n"
            f"Subject: {m1}\r\n\r\n..dot-stuffed line\r\nbody\r\n.\r\n"
            "RCPT TO:<nobody-first@example.test>\r\n"  # no MAIL yet: 503, nothing lost
            "MAIL FROM:<>\r\n"
            f"RCPT TO:<{ALICE}>\r\n"
            "DATA\r\n"
            f"Subject: {m2}\r\n\r\nsecond\r\n.\r\n"
            "QUIT\r\n")
        r = self.sendmail(["-bs"], dialogue.encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        replies = [line[:3] for line in r.stdout.decode().split("\r\n") if line[3:4] == " "]
        self.assertEqual(replies, ["220", "250", "250", "250", "250", "354", "250", "503",
                                   "250", "250", "354", "250", "221"], r.stdout)
        for who in (ALICE, BOB):
            got = self.wait_for(who, m1)
            self.assertIn(b"\r\n.dot-stuffed line\r\nbody\r\n", got)
            self.assertIn(b"Return-Path: <cron@example.test>", got)
        got = self.wait_for(ALICE, m2)
        self.assertIn(b"Return-Path: <>", got)

    def test_dsn_options_reach_the_queue(self):
        # -N SUCCESS: the sender hears of the local delivery (RFC 3461 §5.2.2); -V is the
        # report's Original-Envelope-Id; -R HDRS returns the header only.
        marker = unique("smn")
        r = self.sendmail(["-f", BOB, "-N", "success,failure", "-R", "hdrs", "-V", "QQ314159",
                           ALICE], f"Subject: {marker}\n\nsecret body text\n".encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_for(ALICE, marker)
        got = self.wait_for(BOB, "Action: delivered")
        self.assertIn(b"multipart/report", got)
        self.assertIn(b"Original-Envelope-Id: QQ314159", got)
        self.assertIn(f"Final-Recipient: rfc822; {ALICE}".encode(), got)
        self.assertIn(marker.encode(), got)
        self.assertNotIn(b"secret body text", got)
        # Bad values are refused before anything is queued, naming the option.
        for bad, why in ((["-N", "sometimes"], b"-N wants"), (["-R", "all"], b"-R wants"),
                         (["-V", "a=b"], b"-V wants")):
            r = self.sendmail([*bad, ALICE], b"Subject: x\n\nx\n")
            self.assertEqual(r.returncode, 64)
            self.assertIn(why, r.stderr)

    def test_bs_input_ending_mid_data_loses_only_the_unanswered_message(self):
        m1, m2 = unique("sbe"), unique("sbe")
        dialogue = (f"HELO c\r\nMAIL FROM:<{BOB}>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n"
                    f"Subject: {m1}\r\n\r\nkept\r\n.\r\n"
                    f"MAIL FROM:<{BOB}>\r\nRCPT TO:<{ALICE}>\r\nDATA\r\n"
                    f"Subject: {m2}\r\n\r\ncut off")
        r = self.sendmail(["-bs"], dialogue.encode())
        self.assertEqual(r.returncode, 0, r.stderr)
        self.wait_for(ALICE, m1)
        time.sleep(0.5)
        self.assertFalse(self.server.find(ALICE, m2, wait=False))

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
