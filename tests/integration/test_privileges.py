# test_privileges: `serve` started as root (skipped otherwise; CI runs as root). A run_as_user
# that does not exist stops the start with exit code 1 and the useradd line to run, creating
# and chowning nothing. With an existing user ("nobody"): the server runs as it, data_dir and
# its top-level entries become its own, a root-owned file deeper inside and the local CA's
# keys (tls/, 0600) stay root's, mail is delivered, and a restart works. An operator
# certificate whose key only root may read (certbot's privkey.pem) is replaced and picked up
# on SIGHUP after the drop: the privileged helper reads it.
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import time
import unittest

from estafeta_harness import HOSTNAME, TIMEOUT, Server, ServerPerTest, simple_message, unique

ALICE = "alice@example.test"
SERVICE_USER = "nobody"


def service_user():
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        return None


def as_root():
    return os.geteuid() == 0


def process_uid(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])  # the real uid; effective and saved follow
    raise AssertionError(f"no Uid line for {pid}")


def children_of(pid):
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == pid:  # ppid
            out.append(int(entry))
    return out


class RootCase(ServerPerTest):

    def setUp(self):
        super().setUp()
        if not as_root():
            self.skipTest("needs root (serve drops privileges only when started as root)")
        if service_user() is None:
            self.skipTest(f"no user {SERVICE_USER}")

    def make_server(self, run_as_user=SERVICE_USER, **kwargs):
        self.server = Server(top={"run_as_user": run_as_user}, **kwargs)
        os.chmod(self.server.tmp, 0o711)  # mkdtemp's 0700 would keep the service user out
        return self.server


class MissingUser(RootCase):

    def test_refuses_to_start_and_names_the_user_to_create(self):
        server = self.make_server(run_as_user="estafeta-no-such-user")
        with self.assertRaises(AssertionError):
            server.start(attempts=1)
        self.assertEqual(server.proc.returncode, 1)
        self.assertIn('run_as_user "estafeta-no-such-user" does not exist: create it '
                      f"(useradd --system --home-dir {server.data_dir} --shell /usr/sbin/nologin "
                      "estafeta-no-such-user) or set run_as_user in " + server.config_path,
                      server.log_text())
        self.assertNotIn("nobody", server.log_text())
        for root, dirs, files in os.walk(server.data_dir):
            for name in [root] + [os.path.join(root, n) for n in dirs + files]:
                self.assertEqual(os.lstat(name).st_uid, 0, f"{name} was chowned")
        self.assertFalse(os.path.exists(os.path.join(server.data_dir, "tls")),
                         "created TLS material before refusing")


class DropToServiceUser(RootCase):

    def test_owns_top_level_only_and_keeps_keys_root(self):
        server = self.make_server()
        uid = service_user().pw_uid
        stray_dir = os.path.join(server.data_dir, "mail", "stray")
        os.makedirs(stray_dir)
        stray = os.path.join(stray_dir, "operator-file")
        with open(stray, "w") as f:
            f.write("left by the operator\n")
        server.start()
        self.assertEqual(process_uid(server.proc.pid), uid)
        helpers = [p for p in children_of(server.proc.pid) if process_uid(p) == 0]
        self.assertEqual(len(helpers), 1, "one privileged TLS helper expected")

        st = lambda *p: os.lstat(os.path.join(server.data_dir, *p))  # noqa: E731
        self.assertEqual(st().st_uid, uid)
        self.assertEqual(st("accounts.db").st_uid, uid)
        self.assertEqual(st("mail").st_uid, uid)
        self.assertEqual(st("mail", "stray").st_uid, 0, "walked below the top level")
        self.assertEqual(st("mail", "stray", "operator-file").st_uid, 0)
        for key in ("ca.key", "server.key"):
            self.assertEqual(st("tls", key).st_uid, 0, f"{key} chowned to the service user")
            self.assertEqual(st("tls", key).st_mode & 0o777, 0o600)
        self.assertEqual(st("tls").st_uid, 0)

        marker = unique("drop")
        with server.smtp() as s:
            s.starttls(context=server.tls_context())
            s.sendmail("a@remote.test", [ALICE], simple_message(marker))
        server.read_one(self, ALICE, marker)
        self.assertEqual(os.lstat(server.maildir(ALICE)).st_uid, uid)

        server.stop_ok(self)
        self.assertFalse(os.path.exists(f"/proc/{helpers[0]}"), "the TLS helper outlived the server")
        server.start()
        marker = unique("again")
        with server.smtp() as s:
            s.sendmail("a@remote.test", [ALICE], simple_message(marker))
        server.read_one(self, ALICE, marker)
        server.stop_ok(self)


@unittest.skipUnless(shutil.which("openssl"), "openssl CLI not installed")
class ReloadRootOnlyKey(RootCase):

    def openssl(self, *args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    def issue(self, directory, name):
        """A certificate for HOSTNAME signed by the test CA; returns (cert path, key path)."""
        key, csr, cert = (os.path.join(directory, f"{name}.{ext}") for ext in ("key", "csr", "pem"))
        self.openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", key, "-out", csr, "-subj", f"/CN={HOSTNAME}")
        self.openssl("x509", "-req", "-in", csr, "-CA", self.ca, "-CAkey", self.ca_key,
                     "-CAcreateserial", "-out", cert, "-days", "2", "-extfile", self.ext)
        os.chmod(key, 0o600)
        return cert, key

    def served_certificate(self):
        ctx = ssl.create_default_context(cafile=self.ca)
        with socket.create_connection(("127.0.0.1", self.server.submissions), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=HOSTNAME) as s:
                return s.getpeercert(binary_form=True)

    @staticmethod
    def der(path):
        with open(path) as f:
            return ssl.PEM_cert_to_DER_cert(f.read())

    def test_sighup_reads_a_renewed_root_only_key(self):
        server = self.make_server()
        # Like /etc/letsencrypt: a directory only root may enter, the key 0600 root.
        work = os.path.join(server.tmp, "issuing")
        live = os.path.join(server.tmp, "live")
        os.makedirs(work)
        os.makedirs(live, mode=0o700)
        self.ca, self.ca_key, self.ext = (os.path.join(work, n) for n in ("ca.pem", "ca.key", "ext.cnf"))
        self.openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                     "-keyout", self.ca_key, "-out", self.ca, "-days", "2", "-subj", "/CN=Renewal Test CA")
        with open(self.ext, "w") as f:
            f.write(f"subjectAltName=DNS:{HOSTNAME}\n")
        cert, key = os.path.join(live, "fullchain.pem"), os.path.join(live, "privkey.pem")
        first = self.issue(work, "first")
        shutil.copy(first[0], cert)
        shutil.copy(first[1], key)
        os.chmod(key, 0o600)
        with open(server.config_path, "a") as f:
            f.write(f'\n[tls]\ncertificate = "{cert}"\nprivate_key = "{key}"\n')

        server.start()
        self.assertEqual(process_uid(server.proc.pid), service_user().pw_uid)
        self.assertEqual(self.served_certificate(), self.der(first[0]))

        second = self.issue(work, "second")  # the renewal: new key, new certificate
        for src, dst in ((second[0], cert), (second[1], key)):
            tmp = dst + ".new"
            shutil.copy(src, tmp)
            os.chmod(tmp, 0o600 if dst == key else 0o644)
            os.replace(tmp, dst)
        self.assertNotEqual(self.der(second[0]), self.der(first[0]))
        server.signal(signal.SIGHUP)
        deadline = time.monotonic() + 10
        while self.served_certificate() != self.der(second[0]):
            self.assertLess(time.monotonic(), deadline,
                            "renewed certificate not served after SIGHUP\n" + server.log_tail())
            time.sleep(0.1)
        self.assertIn("TLS certificate reloaded", server.log_text())
        self.assertNotIn("TLS reload failed", server.log_text())
        server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
