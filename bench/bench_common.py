"""Shared pieces of the side-by-side benchmarks (bench/smtp, bench/imap, bench/pop3).

What every runner needs and must do the same way so their figures compare: logging and
subprocess helpers; building Estafeta and a load generator in a Release directory; process
accounting from /proc (CPU seconds of a process tree including reaped children, summed RSS and
PSS, a peak-memory sampler); PID-file and port helpers; the shared credentials (one yescrypt
hash, one self-signed certificate for both servers); a private Dovecot and a private Estafeta
serving mail over TLS from passwd-file / `estafeta user add --hash` users, subclassed per
protocol; and the run of a load generator that prints `PROG: start` / `PROG: end` marks on
stderr and one JSON object on stdout.

Trust: run as root by hand on a test machine; starts only private servers in a temporary
directory and stops them by PID (or `dovecot stop` on their own configuration). Python 3
standard library only.
"""

import contextlib
import ctypes
import json
import os
import pwd
import resource
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
DOMAIN = "bench.test"
PASSWORD = "bench-password-not-secret"
MAIL_USER = "mail"          # unprivileged owner of both servers' Maildirs
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class RunFailed(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, **kw):
    """Runs a command to completion, returning CompletedProcess; output captured."""
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kw)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}):\n{p.stdout}")
    return p


def run_starter(cmd, log_path):
    """Runs a command that leaves a daemon behind. Its output goes to a file, not a pipe:
    the daemon inherits the descriptors and would hold a pipe open forever."""
    with open(log_path, "a") as out:
        rc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        with open(log_path, errors="replace") as f:
            raise RuntimeError(f"{' '.join(cmd)} failed ({rc}):\n{f.read()[-2000:]}")


# --------------------------------------------------------------------------------------------
# Installation and build

def ensure_packages(wanted, debconf=None):
    """Installs the Debian packages of `wanted` ((package, file it provides) pairs) whose file
    is missing; `debconf` is text for debconf-set-selections first."""
    need = [p for p, exe in wanted if not os.path.exists(exe)]
    if not need:
        return
    if os.geteuid() != 0:
        sys.exit(f"missing packages {need}; run as root so they can be installed")
    log(f"installing {' '.join(need)}")
    if debconf:
        subprocess.run(["debconf-set-selections"], input=debconf, text=True, check=True)
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q"] + need,
           check=False, env=env).returncode != 0:
        run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "update", "-q"], env=env)
        run(["apt-get", "-o", "DPkg::Lock::Timeout=600", "install", "-y", "-q"] + need, env=env)


def find_or_build_estafeta(args, build_dir=None):
    """args.estafeta as is, or build_dir's (default build/bench-release) estafeta brought up
    to date with ninja unless args.no_build."""
    if args.estafeta:
        return os.path.abspath(args.estafeta)
    build = build_dir or os.path.join(REPO, "build", "bench-release")
    exe = os.path.join(build, "src", "cli", "estafeta")
    if not args.no_build or not os.path.exists(exe):
        log(f"building estafeta (Release) in {build}")
        if not os.path.exists(os.path.join(build, "build.ninja")):
            run(["cmake", "-S", REPO, "-B", build, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release"])
        run(["ninja", "-C", build, f"-j{args.jobs}", "estafeta"])
    return exe


def find_or_build_bench_target(args, given, build_dir, target):
    """A load generator: `given` as is, or bench/`target` built (Release, -DESTAFETA_BENCH=ON)
    in build_dir, rebuilt unless args.no_build."""
    if given:
        return os.path.abspath(given)
    exe = os.path.join(build_dir, "bench", target)
    if not args.no_build or not os.path.exists(exe):
        log(f"building {target} (Release) in {build_dir}")
        if not os.path.exists(os.path.join(build_dir, "build.ninja")):
            run(["cmake", "-S", REPO, "-B", build_dir, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                 "-DESTAFETA_BENCH=ON"])
        run(["ninja", "-C", build_dir, f"-j{args.jobs}", target])
    return exe


def estafeta_revision():
    """The commit measured, '+uncommitted changes' when src/ differs (taken at start: others
    may commit while a benchmark runs)."""
    rev = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "CMakeLists.txt"],
                check=False).stdout.strip()
    return rev + ("+uncommitted changes" if dirty else "")


def dovecot_version():
    return run(["/usr/sbin/dovecot", "--version"], check=False).stdout.split(" ")[0].strip()


# --------------------------------------------------------------------------------------------
# Process accounting from /proc

def _read_stat(pid):
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    rest = data[data.rindex(b")") + 2:].split()
    # rest[0] = state (field 3), rest[1] = ppid (4), rest[11..14] = utime stime cutime cstime
    return int(rest[1]), sum(int(x) for x in rest[11:15])


def process_tree(roots):
    """PIDs of roots and all their live descendants, with their CPU ticks (own + reaped)."""
    parent, ticks = {}, {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            parent[int(name)], ticks[int(name)] = _read_stat(name)
        except (OSError, ValueError, IndexError):
            pass
    children = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    out, todo = {}, [r for r in roots if r in parent]
    while todo:
        pid = todo.pop()
        if pid in out:
            continue
        out[pid] = ticks[pid]
        todo.extend(children.get(pid, ()))
    return out


def cpu_seconds(roots):
    return sum(process_tree(roots).values()) / CLK_TCK


def memory_of(pids):
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/statm") as f:
                rss += int(f.read().split()[1]) * PAGE
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1]) * 1024
                        break
        except (OSError, ValueError, IndexError):
            pass
    return rss, pss


class MemorySampler:
    """Samples the summed RSS / PSS of a process tree every `interval` seconds."""

    def __init__(self, roots_fn, interval=0.1):
        self.roots_fn, self.interval = roots_fn, interval
        self.peak_rss = self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _sample(self):
        rss, pss = memory_of(process_tree(self.roots_fn()))
        self.peak_rss, self.peak_pss = max(self.peak_rss, rss), max(self.peak_pss, pss)

    def _loop(self):
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self):
        self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self._sample()


# --------------------------------------------------------------------------------------------
# Helpers

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_pid(path, timeout=15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            with open(path) as f:
                return int(f.read().split()[0])
        time.sleep(0.05)
    raise RuntimeError(f"no pid file {path}")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child of ours counts as gone.
    with contextlib.suppress(OSError):
        with open(f"/proc/{pid}/stat", "rb") as f:
            if f.read().rsplit(b")", 1)[1].split()[0] == b"Z":
                return False
    return True


def wait_gone(pids, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p) for p in pids):
            return True
        time.sleep(0.05)
    return False


def kill_tree(pids):
    """Last resort: SIGKILL processes we started (known PIDs only)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)


def wait_for_greeting(port, timeout, alive, tls, ok=b"+OK", bye=b"QUIT\r\n"):
    """Waits for a greeting starting with `ok` on 127.0.0.1:port (over TLS when `tls`), then
    says `bye`; raises RuntimeError when `alive()` turns false or after `timeout` s."""
    deadline = time.monotonic() + timeout
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server for port {port} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with (ctx.wrap_socket(raw) if tls else contextlib.nullcontext(raw)) as s:
                    if s.recv(512).startswith(ok):
                        s.sendall(bye)
                        return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no greeting on 127.0.0.1:{port} within {timeout}s")


def mkdir_owned(path, user, mode=0o755):
    os.makedirs(path, mode=mode, exist_ok=True)
    pw = pwd.getpwnam(user)
    os.chown(path, pw.pw_uid, pw.pw_gid)


def capped_nofile(wanted):
    """`wanted` open files, or the hard limit when that is lower (a container may not allow
    raising it; 10,000 IDLE connections still fit under 20,000)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)


def raise_limits(nofile):
    def fn():
        n = capped_nofile(nofile)
        resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
    return fn


# --------------------------------------------------------------------------------------------
# Shared credentials

def yescrypt(password):
    """A yescrypt hash from libcrypt, as `estafeta user add` makes, so both servers pay the same
    password check at login."""
    lib = ctypes.CDLL("libcrypt.so.1")
    lib.crypt_gensalt.restype = ctypes.c_char_p
    lib.crypt.restype = ctypes.c_char_p
    salt = lib.crypt_gensalt(b"$y$", 0, None, 0)
    h = lib.crypt(password.encode(), salt)
    if not h or not h.startswith(b"$y$"):
        raise RuntimeError("libcrypt could not make a yescrypt hash")
    return h.decode()


def make_certificate(top):
    """One self-signed P-256 certificate for 127.0.0.1 / localhost, used by both servers."""
    cert, key = os.path.join(top, "cert.pem"), os.path.join(top, "key.pem")
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
    pw = pwd.getpwnam(MAIL_USER)
    for f in (cert, key):
        os.chown(f, pw.pw_uid, pw.pw_gid)
        os.chmod(f, 0o600 if f == key else 0o644)
    return cert, key


# --------------------------------------------------------------------------------------------
# Private servers with TLS and the shared users. Subclasses give the protocol part of the
# configuration (protocol_config()) and wait_ready(alive) (a greeting on their port).

def dovecot_login_service(proto, listeners, n):
    """A `service PROTO-login` block in Dovecot's documented high-performance mode (one login
    process serves many connections; process_min_avail = CPU count) with `listeners`:
    (name, port or 0, ssl) tuples, port 0 meaning disabled."""
    out = [f"service {proto}-login {{"]
    for name, port, ssl in listeners:
        out.append(f"  inet_listener {name} {{")
        if port:
            out.append("    address = 127.0.0.1")
        out.append(f"    port = {port}")
        if ssl:
            out.append("    ssl = yes")
        out.append("  }")
    out += ["  service_count = 0", f"  process_min_avail = {os.cpu_count()}",
            f"  client_limit = {n}", f"  process_limit = {n}", "}"]
    return "\n".join(out) + "\n"


class Dovecot:
    name = "Dovecot"
    protocols = "imap"
    ssl = "required"
    label = "IMAP"              # in the generated file's first line
    script = "bench/imap/run_bench.py"
    instance = "imapbench"

    def __init__(self, top, users, cert, key, max_conns, subdir="dovecot"):
        self.dir = os.path.join(top, subdir)
        self.run_dir = os.path.join(self.dir, "run")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.users, self.cert, self.key, self.max_conns = users, cert, key, max_conns
        self.port = None
        self.master = None
        self.started = False

    def allocate_ports(self):
        self.port = free_port()

    def protocol_config(self, n):
        raise NotImplementedError

    def extra_settings(self):
        """Top-level lines after auth_mechanisms (none by default)."""
        return ""

    def wait_ready(self, alive):
        raise NotImplementedError

    def start(self):
        os.makedirs(self.run_dir, mode=0o755, exist_ok=True)
        os.makedirs(os.path.join(self.dir, "state"), mode=0o750, exist_ok=True)
        mkdir_owned(self.mail_dir, MAIL_USER)
        pw = pwd.getpwnam(MAIL_USER)
        self.allocate_ports()
        passwd = os.path.join(self.dir, "passwd")
        h = yescrypt(PASSWORD)
        with open(passwd, "w") as f:
            for u in self.users:
                f.write(f"{u}@{DOMAIN}:{{CRYPT}}{h}\n")
        n = self.max_conns + 100
        conf = f"""# Private Dovecot for the Estafeta {self.label} benchmark (generated by {self.script}).
base_dir = {self.run_dir}
state_dir = {self.dir}/state
instance_name = estafeta-{self.instance}-{os.getpid()}-{os.path.basename(self.dir)}
log_path = {self.dir}/dovecot.log
protocols = {self.protocols}
listen = 127.0.0.1
ssl = {self.ssl}
ssl_cert = <{self.cert}
ssl_key = <{self.key}
first_valid_uid = {pw.pw_uid}
last_valid_uid = {pw.pw_uid}
first_valid_gid = {pw.pw_gid}
mail_location = maildir:~/Maildir
auth_mechanisms = plain login
{self.extra_settings()}default_vsz_limit = 1G
passdb {{
  driver = passwd-file
  args = scheme=CRYPT username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={self.mail_dir}/%d/%n
}}
{self.protocol_config(n)}service auth {{
  client_limit = {n + 1000}
}}
service anvil {{
  client_limit = {n + 1000}
}}
"""
        with open(self.conf, "w") as f:
            f.write(conf)
        self.started = True
        with open(os.path.join(self.dir, "start.log"), "a") as out:
            rc = subprocess.run(["/usr/sbin/dovecot", "-c", self.conf], stdin=subprocess.DEVNULL,
                                stdout=out, stderr=subprocess.STDOUT,
                                preexec_fn=raise_limits(4 * n + 4096)).returncode
        if rc != 0:
            with open(os.path.join(self.dir, "start.log"), errors="replace") as f:
                raise RuntimeError(f"dovecot failed to start:\n{f.read()[-2000:]}")
        self.master = read_pid(os.path.join(self.run_dir, "master.pid"))
        self.wait_ready(lambda: pid_alive(self.master))

    def roots(self):
        return [self.master] if self.master else []

    def stop(self):
        if not self.started:
            return
        if not self.master:
            with contextlib.suppress(RuntimeError):
                self.master = read_pid(os.path.join(self.run_dir, "master.pid"), 1)
        pids = list(process_tree([self.master])) if self.master else []
        run(["/usr/sbin/dovecot", "-c", self.conf, "stop"], check=False)
        if self.master and not wait_gone([self.master], 15):
            kill_tree(pids)
        self.master = None
        self.started = False

    def logs(self):
        return [os.path.join(self.dir, "dovecot.log")]

    def version(self):
        return dovecot_version()


class Estafeta:
    name = "Estafeta"
    label = "IMAP"
    script = "bench/imap/run_bench.py"

    def __init__(self, top, users, cert, key, max_conns, exe, extra_config=""):
        self.dir = os.path.join(top, "estafeta")
        self.data = os.path.join(self.dir, "data")
        self.conf = os.path.join(self.dir, "estafeta.toml")
        self.users, self.cert, self.key, self.max_conns = users, cert, key, max_conns
        self.exe = exe
        self.extra_config = extra_config
        self.port = None
        self.proc = None
        self.log_file = None
        self.provisioned = False    # domain and users added (a restart skips that)

    def allocate_ports(self):
        self.port = free_port()

    def protocol_config(self, n):
        """The protocol sections, [tls] and the listeners."""
        raise NotImplementedError

    def wait_ready(self, alive):
        raise NotImplementedError

    def _as_mail_user(self):
        pw = pwd.getpwnam(MAIL_USER)
        env = dict(os.environ, HOME=self.dir, ESTAFETA_CONFIG=self.conf)
        nofile = 2 * self.max_conns + 4096

        def drop():
            n = capped_nofile(nofile)
            resource.setrlimit(resource.RLIMIT_NOFILE, (n, n))
            os.setgid(pw.pw_gid)
            os.setgroups([])
            os.setuid(pw.pw_uid)
        return drop, env

    def _cli(self, argv, stdin=None):
        preexec, env = self._as_mail_user()
        p = subprocess.run([self.exe, "-c", self.conf] + argv, input=stdin, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=preexec, env=env, cwd=self.dir)
        if p.returncode != 0:
            raise RuntimeError(f"estafeta {' '.join(argv)}: {p.stdout.strip()}")

    def start(self):
        self.allocate_ports()
        mkdir_owned(self.dir, MAIL_USER)
        mkdir_owned(self.data, MAIL_USER, 0o750)
        n = self.max_conns + 100
        conf = f"""# Private Estafeta for the {self.label} benchmark (generated by {self.script}).
data_dir = "{self.data}"
hostname = "{DOMAIN}"
log_level = "warn"
{self.extra_config}
{self.protocol_config(n)}"""
        with open(self.conf, "w") as f:
            f.write(conf)
        if not self.provisioned:
            self._cli(["domain", "add", DOMAIN])
            h = yescrypt(PASSWORD)
            for u in self.users:
                self._cli(["user", "add", f"{u}@{DOMAIN}", "--hash", h])
            self.provisioned = True
        preexec, env = self._as_mail_user()
        self.log_file = open(os.path.join(self.dir, "estafeta.log"), "a")
        self.proc = subprocess.Popen([self.exe, "-c", self.conf, "serve"], stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec, env=env, cwd=self.dir)
        self.wait_ready(lambda: self.proc.poll() is None)

    def roots(self):
        return [self.proc.pid] if self.proc and self.proc.poll() is None else []

    def stop(self):
        if self.proc:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(15)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(5)
            self.proc = None
        if self.log_file:
            self.log_file.close()
            self.log_file = None

    def logs(self):
        return [os.path.join(self.dir, "estafeta.log")]


# --------------------------------------------------------------------------------------------
# One run of a load generator

def log_failure(error, servers):
    """A run that failed: the error, then the last 3000 characters of every server's logs."""
    log(f"FAILED: {error}")
    for srv in servers:
        for path in srv.logs():
            with contextlib.suppress(OSError), open(path, errors="replace") as fh:
                log(f"--- tail of {path}\n{fh.read()[-3000:]}")


def clean_up(servers, top, keep_tmp):
    """The end of every run, failed or not: stops the servers, the last started first (errors
    ignored), and removes the run's directory `top` unless `keep_tmp`."""
    for srv in reversed(servers):
        with contextlib.suppress(Exception):
            srv.stop()
    if keep_tmp:
        log(f"kept {top}")
    else:
        shutil.rmtree(top, ignore_errors=True)


def run_load(cmd, server, prog, what, timeout):
    """Runs a load generator `cmd` against `server` to the end; returns its JSON result (the
    last stdout line) with server_cpu (CPU s of the server's processes between the `PROG: start`
    and `PROG: end` marks on stderr, or over the whole run without them), load_cpu (the
    generator's own CPU s) and rss / pss (peak of the server's processes, sampled every 200 ms).
    Raises RunFailed when the generator fails or takes longer than `timeout` s."""
    roots = server.roots()
    if not roots:
        raise RunFailed(f"{server.name} is not running")
    marks = {}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []

    def read_err():
        for line in proc.stderr:
            if line.startswith(f"{prog}: start"):
                marks["start"] = cpu_seconds(roots)
            elif line.startswith(f"{prog}: end"):
                marks["end"] = cpu_seconds(roots)
            else:
                err_lines.append(line)
    cpu0 = cpu_seconds(roots)
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    out_parts = []
    with MemorySampler(server.roots, 0.2) as mem:
        threads = [threading.Thread(target=read_err, daemon=True),
                   threading.Thread(target=lambda: out_parts.append(proc.stdout.read()),
                                    daemon=True)]
        for t in threads:
            t.start()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            raise RunFailed(f"{server.name}: {prog} {what} took longer than {timeout}s")
        for t in threads:
            t.join(10)
    out = "".join(out_parts)
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu1 = cpu_seconds(roots)
    try:
        res = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RunFailed(f"{server.name}: {prog} {what} exited {proc.returncode}: "
                        f"{out[-500:]} {''.join(err_lines)[-1000:]}")
    if proc.returncode != 0:
        raise RunFailed(f"{server.name}: {prog} {what} failed: {res.get('first_error')} "
                        f"{''.join(err_lines)[-500:]}")
    cpu = marks["end"] - marks["start"] if "start" in marks and "end" in marks else cpu1 - cpu0
    res["server_cpu"] = cpu
    res["load_cpu"] = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
    res["rss"], res["pss"] = mem.peak_rss, mem.peak_pss
    return res
