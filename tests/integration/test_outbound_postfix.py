# test_outbound_postfix: Postfix (Debian's package) as the remote MTA in both directions. The
# test starts a private Postfix (as bench/smtp/run_bench.py does: its own config directory,
# queue directory, log file and smtpd on a free port of 127.0.0.1, chroot off, never the
# system instance) with a self-signed certificate for STARTTLS, delivering pf.example with
# its virtual(8) agent into Maildirs, and relaying example.test to Estafeta's MX port
# (transport_maps, no DNS). Checks:
# - alice submits to pat@pf.example; Estafeta's queue relays it (static route) to Postfix's
#   smtpd over STARTTLS, and Postfix stores it in pat's Maildir ("with ESMTPS");
# - a message given to Postfix for alice@example.test is relayed by Postfix's smtp client to
#   Estafeta over STARTTLS and lands in alice's Maildir;
# - a recipient Postfix does not know comes back to alice as a DSN with Postfix's 550, whose
#   RFC 3464 fields Python's email package reads;
# - a second smtpd of the same Postfix offers neither 8BITMIME nor SMTPUTF8 (pf7.example):
#   8-bit text sent without BODY=8BITMIME (over submission, or by `sendmail`) arrives there
#   as valid 7-bit quoted-printable MIME, and a UTF-8 address bounces with 5.6.7 and an
#   RFC 6533 report.
# Skipped with a message when the Postfix binaries are absent or the test is not root
# (Postfix starts as root). Ended by `postfix stop` (then abort, then SIGKILL of its master by
# PID). Loopback only; every wait is bounded.
import email
import email.policy
import os
import pwd
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import time
import unittest

from estafeta_harness import PASSWORDS, Server, binary, free_port, unique

POSTFIX = "/usr/sbin/postfix"
PF = "pf.example"
PAT = f"pat@{PF}"
PF7 = "pf7.example"  # served by a second smtpd that offers neither 8BITMIME nor SMTPUTF8
PAT7 = f"pat@{PF7}"
ALICE = "alice@example.test"

MASTER_CF = """{port_line}
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
showq unix n - n - - showq
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
local unix - n n - - local
virtual unix - n n - - virtual
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


class PrivatePostfix:
    def __init__(self, top, estafeta_mx):
        self.dir = os.path.join(top, "postfix")
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.mail = os.path.join(self.dir, "mail")
        self.log = os.path.join(self.dir, "maillog")
        self.estafeta_mx = estafeta_mx
        self.port = None
        self.port7 = None  # the smtpd without 8BITMIME and SMTPUTF8 (for PF7)
        self.master = None

    def pf(self, *args, check=True):
        r = subprocess.run([POSTFIX, "-c", self.etc, *args], stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
        if check and r.returncode != 0:
            raise AssertionError(f"postfix {' '.join(args)} exited {r.returncode}: {r.stdout[-2000:]}\n{self.log_text()}")
        return r

    def start(self, taken=()):
        pw = pwd.getpwnam("postfix")
        for d in (self.etc, self.queue, os.path.join(self.dir, "data"), self.mail):
            os.makedirs(d, mode=0o755)
        for d in (os.path.join(self.dir, "data"), self.mail):
            os.chown(d, pw.pw_uid, pw.pw_gid)
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", f"/CN={PF}",
                        "-keyout", os.path.join(self.etc, "key.pem"),
                        "-out", os.path.join(self.etc, "cert.pem")],
                       check=True, capture_output=True, timeout=30)
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            f.write(f"{PAT} pat/\n{PAT7} pat7/\n")
        with open(os.path.join(self.etc, "transport"), "w") as f:
            f.write(f"example.test smtp:[127.0.0.1]:{self.estafeta_mx}\n")
        self.port = free_port(taken)
        self.port7 = free_port([*taken, self.port])
        main_cf = f"""# A private Postfix for Estafeta's integration tests.
compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {self.dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {self.dir}
maillog_file = {self.log}
myhostname = {PF}
mydomain = {PF}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtpd_peername_lookup = no
smtp_dns_support_level = disabled
virtual_mailbox_domains = {PF} {PF7}
virtual_mailbox_base = {self.mail}
virtual_mailbox_maps = texthash:{self.etc}/vmailbox
virtual_uid_maps = static:{pw.pw_uid}
virtual_gid_maps = static:{pw.pw_gid}
relay_domains = example.test
transport_maps = texthash:{self.etc}/transport
smtpd_tls_security_level = may
smtpd_tls_cert_file = {self.etc}/cert.pem
smtpd_tls_key_file = {self.etc}/key.pem
smtp_tls_security_level = may
smtp_tls_loglevel = 1
"""
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(main_cf)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(MASTER_CF.format(port_line=f"127.0.0.1:{self.port} inet n - n - - smtpd"))
            f.write(f"127.0.0.1:{self.port7} inet n - n - - smtpd"
                    " -o smtpd_discard_ehlo_keywords=8bitmime,smtputf8\n")
        self.pf("start")
        # Up when master.pid names a live process and smtpd greets on our port (20 s at most).
        pid_file = os.path.join(self.queue, "pid", "master.pid")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if self.master is None:
                    with open(pid_file) as f:
                        self.master = int(f.read().strip())
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as c:
                    c.settimeout(5)
                    if c.recv(512).startswith(b"220"):
                        return
            except (OSError, ValueError):
                pass
            time.sleep(0.1)
        raise AssertionError(f"Postfix did not come up in 20 s\n{self.log_text()}")

    def stop(self):
        if self.master is None:
            return
        self.pf("stop", check=False)
        if not self.wait_gone(15):
            self.pf("abort", check=False)
            if not self.wait_gone(5):
                os.kill(self.master, signal.SIGKILL)
                self.wait_gone(5)
        self.master = None

    def wait_gone(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                os.kill(self.master, 0)
            except ProcessLookupError:
                return True
            time.sleep(0.1)
        return False

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def find(self, user, marker):
        root = os.path.join(self.mail, user)
        for sub in ("new", "cur"):
            try:
                names = os.listdir(os.path.join(root, sub))
            except FileNotFoundError:
                continue
            for n in names:
                with open(os.path.join(root, sub, n), "rb") as f:
                    data = f.read()
                if marker.encode() in data:
                    return data
        return None


class OutboundPostfix(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        if not os.access(POSTFIX, os.X_OK):
            raise unittest.SkipTest("Postfix is not installed (apt-get install postfix)")
        if os.geteuid() != 0:
            raise unittest.SkipTest("a private Postfix starts as root only")
        try:
            pwd.getpwnam("postfix")
        except KeyError:
            raise unittest.SkipTest("no postfix user (the postfix package is not set up)")
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-pf-")
        os.chmod(cls.tmp, 0o755)  # Postfix's daemons run as the postfix user
        cls.a = cls.postfix = None
        try:
            cls.a = Server(sections={"routing": {"routes": ""}})
            cls.postfix = PrivatePostfix(cls.tmp, cls.a.mx)
            cls.postfix.start(taken=[p for _, p in cls.a.listeners.values()])
            cls.a.settings[2]["routing"]["routes"] = (f"{PF} = [127.0.0.1]:{cls.postfix.port}, "
                                                      f"{PF7} = [127.0.0.1]:{cls.postfix.port7}")
            cls.a.write_config(*cls.a.settings)
            cls.a.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.postfix:
                cls.postfix.stop()
        finally:
            try:
                if cls.a:
                    try:
                        cls.a.stop()
                    finally:
                        cls.a.cleanup()
            finally:
                shutil.rmtree(cls.tmp, ignore_errors=True)

    def tearDown(self):
        if any(t is self for t, _ in self._outcome.result.failures + self._outcome.result.errors):
            print(f"\n--- estafeta ---\n{self.a.log_tail(30)}\n--- postfix ---\n{self.postfix.log_text()}",
                  flush=True)

    def until(self, probe, what, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = probe()
            if got:
                return got
            time.sleep(0.1)
        self.fail(f"{what} within {timeout} s")

    def message(self, sender, to, marker):
        return (f"From: <{sender}>\r\nTo: <{to}>\r\nSubject: {marker}\r\n"
                f"Message-ID: <{marker}@example.test>\r\n\r\nHello Postfix, {marker}.\r\n").encode()

    def test_estafeta_relays_to_postfix(self):
        marker = unique("to-pf")
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            self.assertEqual(s.sendmail(ALICE, [PAT], self.message(ALICE, PAT, marker)), {})
        got = self.until(lambda: self.postfix.find("pat", marker), f"{marker} in pat's Maildir")
        self.assertIn(f"Return-Path: <{ALICE}>".encode(), got)
        self.assertIn(b"with ESMTPS id", got)  # Postfix's Received: STARTTLS from Estafeta
        self.assertIn(b"by mail.test.example (Estafeta) with ESMTPSA", got)

    def test_postfix_relays_to_estafeta(self):
        marker = unique("from-pf")
        with smtplib.SMTP("127.0.0.1", self.postfix.port, local_hostname="client.test", timeout=10) as s:
            s.starttls()
            self.assertEqual(s.sendmail(PAT, [ALICE], self.message(PAT, ALICE, marker)), {})
        got = self.until(lambda: self.a.find(ALICE, marker, wait=False), f"{marker} in alice's Maildir")
        with open(got[0], "rb") as f:
            data = f.read()
        self.assertIn(f"Return-Path: <{PAT}>".encode(), data)
        self.assertIn(b"with ESMTPS id", data)  # Estafeta's Received: STARTTLS from Postfix
        self.assertIn(f"by {PF} (Postfix) with ESMTPS".encode(), data)

    def test_postfix_refusal_bounces_to_the_sender(self):
        marker = unique("pf-550")
        to = f"nobody@{PF}"
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            self.assertEqual(s.sendmail(ALICE, [to], self.message(ALICE, to, marker)), {})
        got = self.until(lambda: self.a.find(ALICE, to, wait=False), "the bounce in alice's Maildir")
        with open(got[0], "rb") as f:
            data = f.read()
        self.assertIn(b"multipart/report", data)
        self.assertIn(b"550", data)
        self.assertIn(b"5.1.1", data)
        self.assertIn(marker.encode(), data)
        # As alice's mail client reads it (RFC 3464, RFC 6522).
        report = email.message_from_bytes(data, policy=email.policy.default)
        self.assertEqual(report["Return-Path"], "<>")
        self.assertEqual(report.get_param("report-type"), "delivery-status")
        human, status, original = report.get_payload()
        self.assertIn(to, human.get_content())
        self.assertIn("could not be delivered", human.get_content())
        per_message, per_rcpt = status.get_payload()
        self.assertEqual(per_message["Reporting-MTA"], "dns; mail.test.example")
        self.assertIsNotNone(per_message["Arrival-Date"])
        self.assertEqual(per_rcpt["Final-Recipient"], f"rfc822; {to}")
        self.assertEqual(per_rcpt["Action"], "failed")
        self.assertEqual(per_rcpt["Status"], "5.1.1")
        self.assertTrue(per_rcpt["Remote-MTA"].startswith("dns; "), per_rcpt["Remote-MTA"])
        self.assertRegex(per_rcpt["Diagnostic-Code"], r"^smtp; 550 5\.1\.1 ")
        self.assertEqual(original.get_content_type(), "text/rfc822-headers")  # no RET: header

    def test_utf8_address_for_a_peer_without_smtputf8_bounces_clearly(self):
        # Over submission with SMTPUTF8, and from `sendmail` (which has no such option: a UTF-8
        # address asks for it by itself). The next hop lacks SMTPUTF8: RFC 6531 bounce, 5.6.7.
        to = f"p\u00e4t@{PF7}"
        m1, m2 = unique("pf-utf8"), unique("sm-utf8")
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            msg = f"From: <{ALICE}>\r\nTo: <{to}>\r\nSubject: {m1}\r\n\r\nhi\r\n".encode()
            self.assertEqual(s.sendmail(ALICE, [to], msg, mail_options=["SMTPUTF8"]), {})
        r = subprocess.run([binary(), "-c", self.a.config_path, "sendmail", "-f", ALICE, to],
                           input=f"Subject: {m2}\n\nhi\n".encode(), capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        for marker in (m1, m2):
            got = self.until(lambda: self.a.find(ALICE, marker, wait=False), f"the bounce of {marker}")
            with open(got[0], "rb") as f:
                report = email.message_from_bytes(f.read(), policy=email.policy.default)
            human, status, original = report.get_payload()
            self.assertIn("SMTPUTF8", human.get_content())
            self.assertEqual(status.get_content_type(), "message/global-delivery-status")  # RFC 6533
            fields = status.as_bytes().decode()
            self.assertIn(f"Final-Recipient: utf-8; {to}", fields)
            self.assertIn("Status: 5.6.7", fields)
        self.assertIsNone(self.postfix.find("pat7", m2))

    def check_downgraded(self, got, text):
        """`got` (as stored by Postfix) is 7-bit clean, valid MIME, and decodes to `text`."""
        self.assertTrue(all(b < 0x80 for b in got), got)
        m = email.message_from_bytes(got, policy=email.policy.default)
        self.assertEqual(m["Content-Transfer-Encoding"], "quoted-printable")
        self.assertEqual(m.get_content_type(), "text/plain")
        self.assertEqual(m.defects, [])
        self.assertIn(text, m.get_content())

    def test_undeclared_eight_bit_is_downgraded_for_a_peer_without_8bitmime(self):
        # Like swaks, msmtp or smtplib: 8-bit text sent without BODY=8BITMIME.
        marker = unique("pf-7bit")
        text = f"Grüße aus Köln, {marker}: naïve café\r\n"
        msg = (f"From: <{ALICE}>\r\nTo: <{PAT7}>\r\nSubject: {marker}\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n"
               f"\r\n{text}").encode()
        with self.a.smtp_tls("submission") as s:
            s.login(ALICE, PASSWORDS[ALICE])
            self.assertEqual(s.sendmail(ALICE, [PAT7], msg), {})
        got = self.until(lambda: self.postfix.find("pat7", marker), f"{marker} in pat7's Maildir")
        self.check_downgraded(got, text.replace("\r\n", "\n"))

    def test_sendmail_eight_bit_is_downgraded_for_a_peer_without_8bitmime(self):
        # As git send-email or mail(1) give it to `sendmail -i`: LF line ends, no MIME fields.
        marker = unique("sm-7bit")
        text = f"Grüße, {marker}: déjà vu\n"
        r = subprocess.run([binary(), "-c", self.a.config_path, "sendmail", "-i", "-f", ALICE, PAT7],
                           input=f"To: {PAT7}\nSubject: {marker}\n\n{text}".encode(),
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        got = self.until(lambda: self.postfix.find("pat7", marker), f"{marker} in pat7's Maildir")
        self.check_downgraded(got, text)


if __name__ == "__main__":
    unittest.main()
