# `estafeta mail fetch` against Dovecot's POP3 server (another implementation than ours):
# a private Dovecot started by this test (own configuration, users and Maildirs, POP3 with
# STLS on a free port of 127.0.0.1, a certificate from a test CA made with openssl that the
# client trusts) holds messages put there over IMAP; fetch stores them in the local Maildir,
# a second fetch stores nothing again, a new message alone is fetched next, --delete empties
# the server. Skipped, saying why, when Dovecot is not installed or the test is not root
# (Dovecot's login processes need their own users).
import imaplib
import os
import poplib
import pwd
import shutil
import ssl
import subprocess
import tempfile
import time
import unittest

from estafeta_harness import binary, free_ports, unique
from mail_client_support import SANITIZER_MARKS

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot")
                                      else None)
USER = "fern@example.test"
PASSWORD = "fern-Secret-7"


@unittest.skipUnless(DOVECOT, "Dovecot is not installed")
@unittest.skipUnless(hasattr(os, "geteuid") and os.geteuid() == 0,
                     "a private Dovecot needs root for its login users")
class MailFetchFromDovecot(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        binary()
        cls.tmp = tempfile.mkdtemp(prefix="estafeta-mua-dovecot-pop3-")
        os.chmod(cls.tmp, 0o755)
        cls.conf = None
        cls.master = None
        try:
            cls._start()
        except BaseException:
            cls._stop()
            raise

    @classmethod
    def _start(cls):
        pki = os.path.join(cls.tmp, "pki")
        os.makedirs(pki)
        cls.ca = os.path.join(pki, "ca.pem")
        cert, key = os.path.join(pki, "server.pem"), os.path.join(pki, "server.key")
        with open(os.path.join(pki, "ext.cnf"), "w") as f:
            f.write("subjectAltName = IP:127.0.0.1\nextendedKeyUsage = serverAuth\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for cmd in (["openssl", "req", "-x509", *ec, "-keyout", f"{pki}/ca.key", "-out", cls.ca,
                     "-days", "2", "-subj", "/CN=POP3 Test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                    ["openssl", "req", *ec, "-keyout", key, "-out", f"{pki}/server.csr",
                     "-subj", "/CN=127.0.0.1"],
                    ["openssl", "x509", "-req", "-in", f"{pki}/server.csr", "-CA", cls.ca,
                     "-CAkey", f"{pki}/ca.key", "-CAcreateserial", "-out", cert, "-days", "2",
                     "-extfile", f"{pki}/ext.cnf"]):
            subprocess.run(cmd, check=True, capture_output=True, timeout=30)
        ports = free_ports(["imap", "pop3"], [])
        cls.imap_port, cls.pop3_port = ports["imap"], ports["pop3"]
        pw = pwd.getpwnam("mail")
        mail_dir = os.path.join(cls.tmp, "mail")
        os.makedirs(mail_dir)
        os.chown(mail_dir, pw.pw_uid, pw.pw_gid)
        run_dir = os.path.join(cls.tmp, "run")
        os.makedirs(run_dir)
        os.makedirs(os.path.join(cls.tmp, "state"))
        passwd = os.path.join(cls.tmp, "passwd")
        with open(passwd, "w") as f:
            f.write(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        cls.conf = os.path.join(cls.tmp, "dovecot.conf")
        dh = "ssl_dh = </usr/share/dovecot/dh.pem\n" if os.path.exists("/usr/share/dovecot/dh.pem") else ""
        with open(cls.conf, "w") as f:
            f.write(f"""# Private Dovecot for tests/integration/test_mail_fetch_dovecot.py
base_dir = {run_dir}
state_dir = {cls.tmp}/state
instance_name = estafeta-mua-pop3-test-{os.getpid()}
log_path = {cls.tmp}/dovecot.log
protocols = imap pop3
listen = 127.0.0.1
ssl = required
ssl_cert = <{cert}
ssl_key = <{key}
{dh}first_valid_uid = {pw.pw_uid}
last_valid_uid = {pw.pw_uid}
first_valid_gid = {pw.pw_gid}
mail_location = maildir:~/Maildir
auth_mechanisms = plain login
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={mail_dir}/%n
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {cls.imap_port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service pop3-login {{
  inet_listener pop3 {{
    address = 127.0.0.1
    port = {cls.pop3_port}
  }}
  inet_listener pop3s {{
    port = 0
  }}
}}
""")
        start_log = os.path.join(cls.tmp, "start.log")
        with open(start_log, "w") as out:  # the daemon keeps its output open: not a pipe
            rc = subprocess.run([DOVECOT, "-c", cls.conf], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, timeout=30).returncode
        if rc != 0:
            with open(start_log, errors="replace") as f:
                raise AssertionError("dovecot did not start: " + f.read()[-500:])
        deadline = time.time() + 20
        while True:
            try:
                with open(os.path.join(run_dir, "master.pid")) as f:
                    cls.master = int(f.read().strip())
                poplib.POP3("127.0.0.1", cls.pop3_port, timeout=5).quit()
                break
            except (OSError, ValueError, poplib.error_proto):
                if time.time() > deadline:
                    raise AssertionError("Dovecot did not answer on port %d" % cls.pop3_port)
                time.sleep(0.1)
        cls.home = os.path.join(cls.tmp, "home")
        os.makedirs(cls.home)
        cls.maildir = os.path.join(cls.home, "Maildir")
        cls.config = os.path.join(cls.home, "client.toml")
        with open(cls.config, "w") as f:
            f.write(f'[account.fern]\naddress = "{USER}"\npassword_env = "T_FERN_PW"\n'
                    f'ca_file = "{cls.ca}"\nmaildir = "{cls.maildir}"\n\n'
                    f'[account.fern.pop3]\nhost = "127.0.0.1"\nport = {cls.pop3_port}\n'
                    'security = "starttls"\n')
        os.chmod(cls.config, 0o600)

    @classmethod
    def _stop(cls):
        if cls.conf and os.path.exists(cls.conf):
            subprocess.run([DOVECOT, "-c", cls.conf, "stop"], capture_output=True, timeout=30)
            if cls.master:
                deadline = time.time() + 15
                while time.time() < deadline:
                    try:
                        os.kill(cls.master, 0)
                    except OSError:
                        break
                    time.sleep(0.1)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def tearDownClass(cls):
        cls._stop()

    def put(self, marker):
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=10)
        c.starttls(ssl.create_default_context(cafile=self.ca))
        c.login(USER, PASSWORD)
        msg = (f"From: x@example.test\r\nTo: {USER}\r\nSubject: {marker}\r\n\r\n"
               f"line\r\n.dotted {marker}\r\n")
        typ, _ = c.append("INBOX", None, None, msg.encode())
        c.logout()
        self.assertEqual(typ, "OK")

    def fetch(self, *args):
        env = dict(os.environ, HOME=self.home, T_FERN_PW=PASSWORD,
                   XDG_DATA_HOME=os.path.join(self.home, "share"))
        r = subprocess.run([binary(), "mail", "--account", self.config, "fetch", *args],
                           capture_output=True, text=True, env=env, timeout=60)
        for m in SANITIZER_MARKS:
            self.assertNotIn(m, r.stderr)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout

    def local(self):
        d = os.path.join(self.maildir, "new")
        out = []
        for n in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            with open(os.path.join(d, n), "rb") as f:
                out.append(f.read())
        return out

    def test_fetch_twice_then_delete(self):
        a, b, c = unique(), unique(), unique()
        self.put(a)
        self.put(b)
        self.assertIn("2 new message(s)", self.fetch())
        self.assertIn("0 new message(s)", self.fetch("--keep"))
        self.put(c)
        self.assertIn("1 new message(s)", self.fetch())
        got = self.local()
        self.assertEqual(len(got), 3)
        for m in (a, b, c):
            mine = [x for x in got if m.encode() in x]
            self.assertEqual(len(mine), 1)
            self.assertIn(f"\n.dotted {m}\n".encode(), mine[0])
        out = self.fetch("--delete")
        self.assertIn("0 new message(s)", out)
        self.assertIn("3 deleted there", out)
        p = poplib.POP3("127.0.0.1", self.pop3_port, timeout=10)
        p.stls(ssl.create_default_context(cafile=self.ca))
        p.user(USER)
        p.pass_(PASSWORD)
        self.assertEqual(p.stat()[0], 0)
        p.quit()
        self.assertEqual(len(self.local()), 3)


if __name__ == "__main__":
    unittest.main()
