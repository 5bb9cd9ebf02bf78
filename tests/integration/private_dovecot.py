# private_dovecot: a Dovecot started by a test on 127.0.0.1 (another IMAP/POP3 implementation
# than ours, for the mail client's tests against it): its own configuration, state and run
# directories, one user in a passwd-file, Maildirs under the test's folder owned by the
# "mail" user, TLS with a certificate for 127.0.0.1/localhost from a test CA made with
# openssl (the client trusts `ca`), IMAP and/or POP3 with STARTTLS on free ports. Needs root
# (Dovecot's login processes run as their own users) and Dovecot installed: callers skip
# otherwise (DOVECOT is None). start() waits, bounded, until it answers; stop() waits for its
# master process to end.
import imaplib
import os
import poplib
import pwd
import shutil
import subprocess
import time

from estafeta_harness import free_ports

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if os.path.exists("/usr/sbin/dovecot")
                                      else None)
AVAILABLE = bool(DOVECOT) and hasattr(os, "geteuid") and os.geteuid() == 0
WHY_NOT = ("Dovecot is not installed (scripts/deps.sh does not install it)" if not DOVECOT
           else "a private Dovecot needs root for its login users")

SPECIAL_USE = """namespace inbox {
  inbox = yes
  separator = /
  mailbox Trash {
    special_use = \\Trash
    auto = create
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
}
"""


class PrivateDovecot:
    def __init__(self, tmp, user, password, protocols=("imap",), extra=""):
        self.tmp, self.user, self.password = tmp, user, password
        self.protocols, self.extra = protocols, extra
        self.conf = None
        self.master = None
        ports = free_ports(["imap", "pop3"], [])
        self.imap_port, self.pop3_port = ports["imap"], ports["pop3"]

    def _pki(self):
        pki = os.path.join(self.tmp, "pki")
        os.makedirs(pki)
        self.ca = os.path.join(pki, "ca.pem")
        self.cert, self.key = os.path.join(pki, "server.pem"), os.path.join(pki, "server.key")
        with open(os.path.join(pki, "ext.cnf"), "w") as f:
            f.write("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                    "extendedKeyUsage = serverAuth\n")
        ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for cmd in (["openssl", "req", "-x509", *ec, "-keyout", f"{pki}/ca.key", "-out", self.ca,
                     "-days", "2", "-subj", "/CN=Estafeta Dovecot Test CA",
                     "-addext", "basicConstraints=critical,CA:TRUE",
                     "-addext", "keyUsage=critical,keyCertSign,cRLSign"],
                    ["openssl", "req", *ec, "-keyout", self.key, "-out", f"{pki}/server.csr",
                     "-subj", "/CN=localhost"],
                    ["openssl", "x509", "-req", "-in", f"{pki}/server.csr", "-CA", self.ca,
                     "-CAkey", f"{pki}/ca.key", "-CAcreateserial", "-out", self.cert,
                     "-days", "2", "-extfile", f"{pki}/ext.cnf"]):
            subprocess.run(cmd, check=True, capture_output=True, timeout=30)

    def _listener(self, service, name, port):
        return (f"service {service}-login {{\n  inet_listener {name} {{\n    address = 127.0.0.1\n"
                f"    port = {port}\n  }}\n  inet_listener {name}s {{\n    port = 0\n  }}\n}}\n")

    def start(self):
        self._pki()
        pw = pwd.getpwnam("mail")
        mail_dir = os.path.join(self.tmp, "mail")
        os.makedirs(mail_dir)
        os.chown(mail_dir, pw.pw_uid, pw.pw_gid)
        self.run_dir = os.path.join(self.tmp, "run")
        os.makedirs(self.run_dir)
        os.makedirs(os.path.join(self.tmp, "state"))
        passwd = os.path.join(self.tmp, "passwd")
        with open(passwd, "w") as f:
            f.write(f"{self.user}:{{PLAIN}}{self.password}\n")
        dh = ("ssl_dh = </usr/share/dovecot/dh.pem\n"
              if os.path.exists("/usr/share/dovecot/dh.pem") else "")
        listeners = ""
        if "imap" in self.protocols:
            listeners += self._listener("imap", "imap", self.imap_port)
        if "pop3" in self.protocols:
            listeners += self._listener("pop3", "pop3", self.pop3_port)
        self.conf = os.path.join(self.tmp, "dovecot.conf")
        with open(self.conf, "w") as f:
            f.write(f"""# A private Dovecot for an Estafeta test (tests/integration/private_dovecot.py)
base_dir = {self.run_dir}
state_dir = {self.tmp}/state
instance_name = estafeta-test-{os.getpid()}-{id(self)}
log_path = {self.tmp}/dovecot.log
protocols = {' '.join(self.protocols)}
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
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
{self.extra}{listeners}""")
        start_log = os.path.join(self.tmp, "start.log")
        with open(start_log, "w") as out:  # the daemon keeps its output open: not a pipe
            rc = subprocess.run([DOVECOT, "-c", self.conf], stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, timeout=30).returncode
        if rc != 0:
            with open(start_log, errors="replace") as f:
                raise AssertionError("dovecot did not start: " + f.read()[-500:])
        deadline = time.time() + 20
        while True:
            try:
                with open(os.path.join(self.run_dir, "master.pid")) as f:
                    self.master = int(f.read().strip())
                if "imap" in self.protocols:
                    imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=5).logout()
                else:
                    poplib.POP3("127.0.0.1", self.pop3_port, timeout=5).quit()
                return
            except (OSError, ValueError, poplib.error_proto, imaplib.IMAP4.error):
                if time.time() > deadline:
                    raise AssertionError("Dovecot did not answer")
                time.sleep(0.1)

    def stop(self):
        if self.conf and os.path.exists(self.conf):
            subprocess.run([DOVECOT, "-c", self.conf, "stop"], capture_output=True, timeout=30)
            if self.master:
                deadline = time.time() + 15
                while time.time() < deadline:
                    try:
                        os.kill(self.master, 0)
                    except OSError:
                        break
                    time.sleep(0.1)
