# estafeta_harness: starts the real `estafeta` binary (ESTAFETA_BINARY) on 127.0.0.1 with a
# temporary data dir, free ports and a generated TOML config, seeds accounts through the CLI,
# and offers clients (smtplib, imaplib and poplib with a TLS context trusting the generated
# CA; the raw line client of estafeta_client, re-exported here) and Maildir readers. Everything
# is bounded: socket timeouts of 10 s, 20 s to come up, 20 s to drain on SIGTERM. Loopback only.
import imaplib
import os
import poplib
import pwd
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time
import unittest

from estafeta_client import (CLIENT_NAME, HOSTNAME, TIMEOUT, RawClient, b64,  # noqa: F401
                             close_all_clients, enhanced, header_block, plain_auth,
                             simple_message, unique)

DOMAIN = "example.test"
CATCHALL_DOMAIN = "catchall.test"
PASSWORDS = {
    "alice@example.test": "alice-Secret-1",
    "bob@example.test": "bob-Secret-2",
    "carol@example.test": "carol-Secret-3",
}
ALIASES = {
    "info@example.test": ["alice@example.test", "bob@example.test"],
    "@catchall.test": ["bob@example.test"],
}
START_TIMEOUT = 20.0
STOP_TIMEOUT = 20.0


def binary():
    path = os.environ.get("ESTAFETA_BINARY", "")
    if not path or not os.access(path, os.X_OK):
        raise unittest.SkipTest("ESTAFETA_BINARY not set or not executable")
    return path


def free_port(taken=()):
    """A port free on 127.0.0.1 now and not among `taken` (the kernel may hand out the same
    ephemeral port twice in a row once the first socket is closed)."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in taken:
            return port
    raise AssertionError("no free port found")


def free_ports(names, fixed):
    """Distinct free ports for `names`, none equal to a port in `fixed`."""
    taken = set(fixed)
    out = {}
    for name in names:
        out[name] = free_port(taken)
        taken.add(out[name])
    return out


def toml_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


class Server:
    """One estafeta process with its own data dir. `smtp` overrides keys of [smtp], `top`
    top-level keys; `listeners` maps table name -> (kind, port or None = free port[, address])."""

    def __init__(self, smtp=None, top=None, listeners=None, serve_args=(), seed=True, sections=None):
        binary()  # skip before creating anything when there is no binary
        self.tmp = tempfile.mkdtemp(prefix="estafeta-it-")
        self.data_dir = os.path.join(self.tmp, "data")
        self.config_path = os.path.join(self.tmp, "estafeta.toml")
        self.log_path = os.path.join(self.tmp, "server.log")
        self.serve_args = list(serve_args)
        self.proc = None
        self.log_file = None
        self.env = {}  # extra environment for `serve` (ESTAFETA_CRASH_AT in crash tests)
        if listeners is None:
            listeners = {"smtp": ("mx", None), "submission": ("submission", None),
                         "submissions": ("submissions", None)}
        self.addresses = {name: (spec[2] if len(spec) > 2 else "127.0.0.1") for name, spec in listeners.items()}
        self.auto_ports = {name for name, spec in listeners.items() if not spec[1]}
        auto = free_ports([n for n, spec in listeners.items() if not spec[1]],
                          [spec[1] for spec in listeners.values() if spec[1]])
        self.listeners = {name: (spec[0], spec[1] or auto[name]) for name, spec in listeners.items()}
        self.settings = (smtp or {}, top or {}, sections or {})
        self.write_config(*self.settings)
        if seed:
            try:
                self.seed()
            except BaseException:
                self.cleanup()
                raise

    # -- ports by kind -------------------------------------------------------------------------
    def port(self, kind):
        for k, p in self.listeners.values():
            if k == kind:
                return p
        raise KeyError(kind)

    @property
    def mx(self):
        return self.port("mx")

    @property
    def submission(self):
        return self.port("submission")

    @property
    def submissions(self):
        return self.port("submissions")

    @property
    def imap_port(self):
        return self.port("imap")

    @property
    def imaps_port(self):
        return self.port("imaps")

    @property
    def pop3_port(self):
        return self.port("pop3")

    @property
    def pop3s_port(self):
        return self.port("pop3s")

    # -- config and CLI ------------------------------------------------------------------------
    # The listener kinds tests name, as [listener.NAME] keys.
    LISTENER_KEYS = {
        "mx": ['protocol = "smtp"', 'role = "mx"', 'tls = "starttls"'],
        "submission": ['protocol = "smtp"', 'role = "submission"', 'tls = "starttls"'],
        "submissions": ['protocol = "smtp"', 'role = "submission"', 'tls = "implicit"'],
        "imap": ['protocol = "imap"', 'tls = "starttls"'],
        "imaps": ['protocol = "imap"', 'tls = "implicit"'],
        "pop3": ['protocol = "pop3"', 'tls = "starttls"'],
        "pop3s": ['protocol = "pop3"', 'tls = "implicit"'],
    }

    def write_config(self, smtp, top, sections):
        lines = [f"data_dir = {toml_value(self.data_dir)}", f"hostname = {toml_value(HOSTNAME)}",
                 'log_level = "debug"', "io_threads = 2", "worker_threads = 2"]
        if "run_as_user" not in top:
            # Tests may run as root: stay this user rather than drop to an account that
            # cannot reach the temp dir (test_privileges sets another user on purpose).
            lines.append(f"run_as_user = {toml_value(pwd.getpwuid(os.getuid()).pw_name)}")
        lines += [f"{k} = {toml_value(v)}" for k, v in top.items()]
        lines.append("")
        lines.append("[smtp]")
        lines += [f"{k} = {toml_value(v)}" for k, v in smtp.items()]
        for section, keys in sections.items():  # e.g. {"delivery": {"detail_to_folder": True}}
            lines += ["", f"[{section}]"] + [f"{k} = {toml_value(v)}" for k, v in keys.items()]
        for name, (kind, port) in self.listeners.items():
            lines += ["", f"[listener.{name}]"] + self.LISTENER_KEYS[kind] + [
                      f"address = {toml_value(self.addresses[name])}", f"port = {port}"]
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def cli(self, *args, input=None, check=True):
        """Runs `estafeta -c cfg ARGS`; returns CompletedProcess (text)."""
        cmd = [binary(), "-c", self.config_path, *args]
        r = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=60)
        if any(m in r.stderr for m in self.SANITIZER_MARKS):
            raise AssertionError(f"sanitizer report from {' '.join(args)}:\n{r.stderr}")
        if check and r.returncode != 0:
            raise AssertionError(f"{' '.join(args)} exited {r.returncode}\nstdout: {r.stdout}\nstderr: {r.stderr}")
        return r

    def seed(self):
        self.cli("domain", "add", DOMAIN)
        self.cli("domain", "add", CATCHALL_DOMAIN)
        for user, pw in PASSWORDS.items():
            self.cli("user", "add", user, "--password-stdin", input=pw + "\n")
        for src, targets in ALIASES.items():
            self.cli("alias", "add", src, *targets)

    # -- process -------------------------------------------------------------------------------
    def start(self, attempts=3):
        """Starts `serve` and waits for every listener. A port picked by free_port() may be
        taken by a parallel test before the server binds it: then pick again (bounded)."""
        for attempt in range(attempts):
            try:
                return self._start_once()
            except AssertionError:
                lost_race = "cannot listen" in self.log_text() and self.auto_ports
                if not lost_race or attempt == attempts - 1 or self.running():
                    raise
                fixed = [p for n, (_, p) in self.listeners.items() if n not in self.auto_ports]
                for name, port in free_ports(self.auto_ports, fixed).items():
                    self.listeners[name] = (self.listeners[name][0], port)
                self.write_config(*self.settings)
                with open(self.log_path, "ab") as f:
                    f.write(b"--- harness: port taken, retrying with new ports ---\n")

    # Logged once everything behind the listeners is ready (spool, maildrop, queue): the
    # kernel accepts connections as soon as the sockets listen, which is earlier.
    READY_LINE = "estafeta serving as"

    def _start_once(self):
        self.log_file = open(self.log_path, "ab")
        log_offset = self.log_file.tell()
        self.proc = subprocess.Popen([binary(), "-c", self.config_path, "serve", *self.serve_args],
                                     stdin=subprocess.DEVNULL, stdout=self.log_file,
                                     stderr=subprocess.STDOUT, env={**os.environ, **self.env})
        deadline = time.monotonic() + START_TIMEOUT
        pending = [(self.addresses[n], p) for n, (_, p) in self.listeners.items()]
        while pending:
            if self.proc.poll() is not None:
                self._close_log()
                raise AssertionError(f"estafeta serve exited {self.proc.returncode} at start\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"listeners {pending} not up after {START_TIMEOUT}s\n{self.log_tail()}")
            try:
                with socket.create_connection(pending[0], timeout=1):
                    pending.pop(0)
            except OSError:
                time.sleep(0.1)
        while self.READY_LINE.encode() not in self._log_since(log_offset):
            if self.proc.poll() is not None:
                self._close_log()
                raise AssertionError(f"estafeta serve exited {self.proc.returncode} at start\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.kill()
                raise AssertionError(f"no {self.READY_LINE!r} after {START_TIMEOUT}s\n{self.log_tail()}")
            time.sleep(0.02)
        return self

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=STOP_TIMEOUT):
        """Waits for the process to exit by itself; returns its exit code (kills on timeout)."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"estafeta still running after {timeout}s\n{self.log_tail()}")
        self._close_log()
        self.proc = None
        self.check_sanitizers()
        return rc

    def stop(self):
        """SIGTERM, wait bounded; returns the exit code. Raises if it had to SIGKILL."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"estafeta did not exit {STOP_TIMEOUT}s after SIGTERM\n{self.log_tail()}")
        finally:
            self._close_log()
        self.proc = None
        self.check_sanitizers()
        return rc

    SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer", "ThreadSanitizer")

    def check_sanitizers(self):
        """Fails if ASan/UBSan/LSan reported anything in the server log, even when the
        sanitizer options let the process go on (CI halts on the first report)."""
        lines = self.log_text().splitlines()
        for i, line in enumerate(lines):
            if any(m in line for m in self.SANITIZER_MARKS):
                raise AssertionError("sanitizer report in the server log:\n" + "\n".join(lines[i:i + 40]))

    def stop_ok(self, test):
        rc = self.stop()
        if rc is not None:
            test.assertEqual(rc, 0, f"estafeta exit code after SIGTERM\n{self.log_tail()}")

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=STOP_TIMEOUT)
        self._close_log()

    def _close_log(self):
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def log_text(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def _log_since(self, offset):
        try:
            with open(self.log_path, "rb") as f:
                f.seek(offset)
                return f.read()
        except OSError:
            return b""

    def log_tail(self, n=60):
        return "--- server log tail ---\n" + "\n".join(self.log_text().splitlines()[-n:])

    def cleanup(self):
        close_all_clients()
        self.kill()
        if os.environ.get("ESTAFETA_KEEP"):
            print(f"kept {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    # -- TLS -----------------------------------------------------------------------------------
    def ca_path(self):
        return os.path.join(self.data_dir, "tls", "ca.pem")

    def tls_context(self, check_hostname=False, max_version=None):
        """Verifies the chain against data_dir/tls/ca.pem. smtplib passes the IP as SNI/host,
        so the name check is off here; test_tls_certificate_names_hostname checks it."""
        ctx = ssl.create_default_context(cafile=self.ca_path())
        ctx.check_hostname = check_hostname
        if max_version:
            ctx.maximum_version = max_version
        return ctx

    # -- clients -------------------------------------------------------------------------------
    def smtp(self, kind="mx"):
        s = smtplib.SMTP("127.0.0.1", self.port(kind), local_hostname=CLIENT_NAME, timeout=TIMEOUT)
        return s

    def smtp_ssl(self):
        return smtplib.SMTP_SSL("127.0.0.1", self.submissions, local_hostname=CLIENT_NAME,
                                timeout=TIMEOUT, context=self.tls_context())

    def smtp_tls(self, kind="mx"):
        s = self.smtp(kind)
        s.ehlo()
        s.starttls(context=self.tls_context())
        s.ehlo()
        return s

    def imap(self, user=None, password=None, starttls=True):
        """An imaplib client on the STARTTLS listener (TLS started unless starttls=False),
        logged in when `user` is given (password from PASSWORDS unless given)."""
        c = imaplib.IMAP4("127.0.0.1", self.imap_port, timeout=TIMEOUT)
        if starttls:
            c.starttls(self.tls_context())
        if user:
            c.login(user, password if password is not None else PASSWORDS[user])
        return c

    def imaps(self, user=None, password=None):
        """An imaplib client on the implicit-TLS listener, logged in when `user` is given."""
        c = imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=self.tls_context(),
                              timeout=TIMEOUT)
        if user:
            c.login(user, password if password is not None else PASSWORDS[user])
        return c

    def pop3(self, user=None, password=None, stls=True):
        """A poplib client on the STLS listener (TLS started unless stls=False), logged in
        with USER/PASS when `user` is given (password from PASSWORDS unless given)."""
        c = poplib.POP3("127.0.0.1", self.pop3_port, timeout=TIMEOUT)
        if stls:
            c.stls(self.tls_context())
        if user:
            c.user(user)
            c.pass_(password if password is not None else PASSWORDS[user])
        return c

    def pop3s(self, user=None, password=None):
        """A poplib client on the implicit-TLS listener, logged in when `user` is given."""
        c = poplib.POP3_SSL("127.0.0.1", self.pop3s_port, context=self.tls_context(),
                            timeout=TIMEOUT)
        if user:
            c.user(user)
            c.pass_(password if password is not None else PASSWORDS[user])
        return c

    def raw(self, kind="mx", greet=True):
        c = RawClient(self.port(kind))
        if greet:
            code, _ = c.reply()
            assert code == 220, code
        return c

    # -- Maildir -------------------------------------------------------------------------------
    def maildir(self, address, folder=""):
        local, domain = address.rsplit("@", 1)
        d = os.path.join(self.data_dir, "mail", domain.lower(), local.lower())
        return os.path.join(d, "." + folder) if folder else d

    def spool_entries(self):
        """Spool files holding a committed message: their last 32 octets are a trailer
        ("ESTSPOOL"...); free slots end in zeros (src/queue/proto/queue_record.hpp)."""
        d = os.path.join(self.data_dir, "spool")
        try:
            names = [n for n in os.listdir(d) if not n.startswith(".")]
        except FileNotFoundError:
            return []
        out = []
        for n in names:
            try:
                with open(os.path.join(d, n), "rb") as f:
                    f.seek(0, os.SEEK_END)
                    if f.tell() < 32:
                        continue
                    f.seek(-32, os.SEEK_END)
                    if f.read(8) == b"ESTSPOOL":
                        out.append(n)
            except FileNotFoundError:
                pass
        return out

    def wait_spool(self, timeout=10.0):
        """Local delivery runs from the spool after the 250: waits (bounded) until the spool
        holds no message, so the Maildirs show everything acknowledged. True when empty."""
        deadline = time.monotonic() + timeout
        while self.spool_entries():
            if time.monotonic() > deadline:
                return False
            time.sleep(0.02)
        return True

    def mail_files(self, address, folder="", wait=True):
        if wait:
            self.wait_spool()
        root = self.maildir(address, folder)
        out = []
        for sub in ("new", "cur"):
            try:
                out += [os.path.join(root, sub, n) for n in sorted(os.listdir(os.path.join(root, sub)))
                        if not n.startswith(".")]
            except FileNotFoundError:
                pass
        return out

    def messages(self, address, folder="", wait=True):
        res = []
        for p in self.mail_files(address, folder, wait):
            with open(p, "rb") as f:
                res.append(f.read())
        return res

    def find(self, address, marker, folder="", wait=True):
        """Paths of the messages in the mailbox containing bytes `marker`."""
        m = marker.encode() if isinstance(marker, str) else marker
        found = []
        for p in self.mail_files(address, folder, wait):
            with open(p, "rb") as f:
                if m in f.read():
                    found.append(p)
        return found

    def read_one(self, test, address, marker, folder=""):
        paths = self.find(address, marker, folder)
        test.assertEqual(len(paths), 1, f"messages with {marker!r} in {address}: {paths}")
        with open(paths[0], "rb") as f:
            return f.read()


class ServerTestCase(unittest.TestCase):
    """One server per class (override SMTP/TOP/SERVE_ARGS); dumps the log tail on failure."""
    SMTP = {}
    TOP = {}
    SECTIONS = {}
    SERVE_ARGS = ()
    LISTENERS = None  # None: smtp, submission, submissions; else as Server's `listeners`

    @classmethod
    def setUpClass(cls):
        cls.server = Server(smtp=cls.SMTP, top=cls.TOP, sections=cls.SECTIONS,
                            serve_args=cls.SERVE_ARGS, listeners=cls.LISTENERS)
        try:
            cls.server.start()
        except BaseException:
            cls.server.cleanup()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.server.stop()
            if rc != 0:
                raise AssertionError(f"estafeta exited {rc} after SIGTERM\n{cls.server.log_tail()}")
        finally:
            cls.server.cleanup()

    def setUp(self):
        if not self.server.running():
            self.fail(f"server is not running\n{self.server.log_tail()}")

    def tearDown(self):
        close_all_clients()
        if failed(self):
            print("\n" + self.server.log_tail(40), flush=True)

    def assertReply(self, reply, code, enh=None):
        c, lines = reply
        self.assertEqual(c, code, f"reply {reply}")
        if enh is not None:
            self.assertEqual(enhanced(lines), enh, f"reply {reply}")


class ServerPerTest(unittest.TestCase):
    """A test that makes its own server (self.server, None until it does): cleaned up after
    the test, with the log tail printed when the test failed."""

    def setUp(self):
        self.server = None

    def tearDown(self):
        if self.server:
            if failed(self):
                print("\n" + self.server.log_tail(40), flush=True)
            self.server.cleanup()


def failed(test):
    """True if `test` has recorded a failure or error so far (unittest reports them at once)."""
    result = getattr(getattr(test, "_outcome", None), "result", None)
    if result is None:
        return False
    return any(t is test for t, _ in list(result.failures) + list(result.errors))
