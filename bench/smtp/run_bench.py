#!/usr/bin/env python3
"""SMTP delivery benchmark: Estafeta against Postfix + Dovecot LMTP, side by side.

Pushes messages with Postfix's smtp-source into a private Estafeta and into a private
Postfix that hands them over LMTP to a private Dovecot writing Maildir, both on 127.0.0.1,
both fsyncing (Estafeta: delivery.fsync = true; Postfix: queue files fsynced as it always
does; Dovecot: mail_fsync = always). For each message size and smtp-source concurrency it
measures the wall time from the first connection until the last message is in its Maildir,
the CPU seconds of every server process started for the run (utime + stime of the live
process trees plus what their masters reaped), and the peak of the summed RSS (and PSS) of
those processes, sampled every 100 ms. Each cell is repeated and the median is printed with
the Estafeta / Postfix+Dovecot ratios.

Everything it starts it stops again by PID (or `postfix stop`, `dovecot stop` on its own
configuration), also on failure or Ctrl-C; its temporary directory is removed unless
--keep-tmp. It never touches a system Postfix or Dovecot. See bench/smtp/README.md.
Python 3 standard library only; run as root (it installs packages and starts Postfix).
"""

import argparse
import contextlib
import os
import pwd
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

# Process accounting, sampling and small helpers are shared with the other benchmarks
# (bench/bench_common.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import bench_common as bc  # noqa: E402
from bench_common import (REPO, DOMAIN, CLK_TCK, MAIL_USER, log, run, run_starter,  # noqa: E402
                          process_tree, cpu_seconds, MemorySampler, free_port, read_pid,
                          pid_alive, wait_gone, kill_tree, mkdir_owned)

SENDER = "sender@client.example"
SMTP_SOURCE = "/usr/sbin/smtp-source"


# --------------------------------------------------------------------------------------------
# Installation and build

def ensure_packages():
    # "No configuration": the package installs binaries but configures and starts nothing.
    sel = ("postfix postfix/main_mailer_type select No configuration\n"
           "postfix postfix/mailname string localhost\n")
    bc.ensure_packages((("postfix", "/usr/sbin/postfix"),
                        ("dovecot-core", "/usr/sbin/dovecot"),
                        ("dovecot-lmtpd", "/usr/lib/dovecot/lmtp")), debconf=sel)


find_or_build_estafeta = bc.find_or_build_estafeta


# --------------------------------------------------------------------------------------------
# Helpers

def wait_for_banner(port, timeout, alive=lambda: True):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server for port {port} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
                if s.recv(512).startswith(b"220"):
                    s.sendall(b"QUIT\r\n")
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no 220 banner on 127.0.0.1:{port} within {timeout}s")


def count_messages(maildir):
    n = 0
    for sub in ("new", "cur"):
        with contextlib.suppress(FileNotFoundError):
            n += sum(1 for e in os.scandir(os.path.join(maildir, sub)) if e.name[0] != ".")
    return n


def last_change_ns(maildir):
    t = 0
    for sub in ("new", "cur"):
        with contextlib.suppress(FileNotFoundError):
            t = max(t, os.stat(os.path.join(maildir, sub)).st_mtime_ns)
    return t


# --------------------------------------------------------------------------------------------
# The servers. Each has start(users), maildir(user), roots() (PIDs whose trees are its
# processes), stop(). Users are local parts in DOMAIN.

class Dovecot:
    def __init__(self, top):
        self.dir = os.path.join(top, "dovecot")
        self.run_dir = os.path.join(self.dir, "run")
        self.mail_dir = os.path.join(self.dir, "mail")
        self.conf = os.path.join(self.dir, "dovecot.conf")
        self.lmtp_socket = os.path.join(self.run_dir, "lmtp")
        self.master = None
        self.started = False

    def start(self):
        os.makedirs(self.run_dir, mode=0o755)
        os.makedirs(os.path.join(self.dir, "state"), mode=0o750)
        mkdir_owned(self.mail_dir, MAIL_USER)
        pw = pwd.getpwnam(MAIL_USER)
        conf = f"""# Private Dovecot for the Estafeta SMTP benchmark: LMTP only, Maildir, fsync always.
base_dir = {self.run_dir}
state_dir = {self.dir}/state
instance_name = estafeta-bench-{os.getpid()}
log_path = {self.dir}/dovecot.log
protocols = lmtp
listen = 127.0.0.1
ssl = no
first_valid_uid = {pw.pw_uid}
last_valid_uid = {pw.pw_uid}
first_valid_gid = {pw.pw_gid}
mail_location = maildir:{self.mail_dir}/%d/%n
mail_fsync = always
lmtp_user_concurrency_limit = 0
default_process_limit = 200
passdb {{
  driver = static
  args = nopassword=y
}}
userdb {{
  driver = static
  args = uid={pw.pw_uid} gid={pw.pw_gid} home={self.mail_dir}/%d/%n allow_all_users=yes
}}
service lmtp {{
  unix_listener lmtp {{
    mode = 0666
  }}
}}
"""
        with open(self.conf, "w") as f:
            f.write(conf)
        self.started = True
        run_starter(["/usr/sbin/dovecot", "-c", self.conf], os.path.join(self.dir, "start.log"))
        self.master = read_pid(os.path.join(self.run_dir, "master.pid"))
        deadline = time.monotonic() + 15
        while not os.path.exists(self.lmtp_socket):
            if time.monotonic() > deadline:
                raise RuntimeError("dovecot: no LMTP socket")
            time.sleep(0.05)

    def maildir(self, user):
        return os.path.join(self.mail_dir, DOMAIN, user)

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


class PostfixDovecot:
    name = "Postfix+Dovecot"

    def __init__(self, top, users):
        self.top = top
        self.users = users
        self.dir = os.path.join(top, "postfix")
        self.etc = os.path.join(self.dir, "etc")
        self.queue = os.path.join(self.dir, "spool")
        self.dovecot = Dovecot(top)
        self.port = None
        self.master = None
        self.started = False

    def _master_cf(self):
        """The installed master.cf with chroot off everywhere, smtpd on our port only."""
        out = []
        with open("/etc/postfix/master.cf") as f:
            lines = f.read().splitlines()
        skip = False
        for line in lines:
            if not line.strip() or line.startswith("#"):
                continue
            if line[0].isspace():
                if not skip:
                    out.append(line)
                continue
            fields = line.split()
            skip = len(fields) < 8 or fields[7] == "pipe" or \
                (fields[0] == "smtp" and fields[1] == "inet") or fields[1] == "fifo"
            if fields[0] == "smtp" and fields[1] == "inet":
                out.append(f"127.0.0.1:{self.port} inet n - n - - smtpd")
            if skip:
                continue
            fields[4] = "n"
            out.append(" ".join(fields))
        return "\n".join(out) + "\n"

    def start(self):
        self.dovecot.start()
        self.port = free_port()
        os.makedirs(self.etc, mode=0o755)
        os.makedirs(self.queue, mode=0o755)
        os.makedirs(os.path.join(self.dir, "data"), mode=0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.etc, "vmailbox"), "w") as f:
            for u in self.users:
                f.write(f"{u}@{DOMAIN} ok\n")
        main_cf = f"""# Private Postfix for the Estafeta SMTP benchmark.
compatibility_level = 3.6
queue_directory = {self.queue}
data_directory = {self.dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {self.dir}
maillog_file = {self.dir}/maillog
myhostname = mx.{DOMAIN}
mydomain = {DOMAIN}
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
virtual_mailbox_domains = {DOMAIN}
virtual_mailbox_maps = texthash:{self.etc}/vmailbox
virtual_transport = lmtp:unix:{self.dovecot.lmtp_socket}
# Do not throttle concurrency 50: connection count limit off, enough processes, and up to
# 50 parallel LMTP deliveries into Dovecot.
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
lmtp_destination_concurrency_limit = 50
"""
        with open(os.path.join(self.etc, "main.cf"), "w") as f:
            f.write(main_cf)
        with open(os.path.join(self.etc, "master.cf"), "w") as f:
            f.write(self._master_cf())
        run(["/usr/sbin/postfix", "-c", self.etc, "check"], check=False)
        self.started = True
        run_starter(["/usr/sbin/postfix", "-c", self.etc, "start"], os.path.join(self.dir, "start.log"))
        self.master = read_pid(os.path.join(self.queue, "pid", "master.pid"))
        wait_for_banner(self.port, 20, lambda: pid_alive(self.master))

    def maildir(self, user):
        return self.dovecot.maildir(user)

    def roots(self):
        return ([self.master] if self.master else []) + self.dovecot.roots()

    def stop(self):
        try:
            if self.started:
                if not self.master:
                    with contextlib.suppress(RuntimeError):
                        self.master = read_pid(os.path.join(self.queue, "pid", "master.pid"), 1)
                pids = list(process_tree([self.master])) if self.master else []
                run(["/usr/sbin/postfix", "-c", self.etc, "stop"], check=False)
                if self.master and not wait_gone([self.master], 15):
                    run(["/usr/sbin/postfix", "-c", self.etc, "abort"], check=False)
                    if not wait_gone([self.master], 5):
                        kill_tree(pids)
                self.master = None
                self.started = False
        finally:
            self.dovecot.stop()

    def logs(self):
        return [os.path.join(self.dir, "maillog"), os.path.join(self.dovecot.dir, "dovecot.log")]


class Estafeta:
    name = "Estafeta"

    def __init__(self, top, users, exe, extra_config=""):
        self.dir = os.path.join(top, "estafeta")
        self.data = os.path.join(self.dir, "data")
        self.conf = os.path.join(self.dir, "estafeta.toml")
        self.exe = exe
        self.users = users
        self.extra_config = extra_config
        self.port = None
        self.proc = None
        self.log_file = None

    def _as_mail_user(self):
        pw = pwd.getpwnam(MAIL_USER)
        env = dict(os.environ, HOME=self.dir, ESTAFETA_CONFIG=self.conf)

        def drop():
            os.setgid(pw.pw_gid)
            os.setgroups([])
            os.setuid(pw.pw_uid)
        return (drop if os.geteuid() == 0 else None), env

    def _cli(self, argv, stdin=None):
        preexec, env = self._as_mail_user()
        p = subprocess.run([self.exe, "-c", self.conf] + argv, input=stdin, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=preexec, env=env, cwd=self.dir)
        if p.returncode != 0:
            raise RuntimeError(f"estafeta {' '.join(argv)}: {p.stdout.strip()}")

    def start(self):
        self.port = free_port()
        mkdir_owned(self.dir, MAIL_USER)
        mkdir_owned(self.data, MAIL_USER, 0o750)
        conf = f"""# Private Estafeta for the SMTP benchmark (generated by bench/smtp/run_bench.py).
data_dir = "{self.data}"
hostname = "{DOMAIN}"
log_level = "info"
{self.extra_config}

[smtp]
max_connections_per_ip = 200

[listener.mx]
kind = "mx"
address = "127.0.0.1"
port = {self.port}

[delivery]
fsync = true
"""
        with open(self.conf, "w") as f:
            f.write(conf)
        self._cli(["domain", "add", DOMAIN])
        for u in self.users:
            self._cli(["user", "add", f"{u}@{DOMAIN}", "--password-stdin"],
                      stdin="bench-password-not-secret\n")
        preexec, env = self._as_mail_user()
        self.log_file = open(os.path.join(self.dir, "estafeta.log"), "w")
        self.proc = subprocess.Popen([self.exe, "-c", self.conf, "serve"], stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec, env=env, cwd=self.dir)
        wait_for_banner(self.port, 30, lambda: self.proc.poll() is None)

    def maildir(self, user):
        return os.path.join(self.data, "mail", DOMAIN, user)

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
# One measured run

RunFailed = bc.RunFailed


def measure(server, user, size, conc, count, timeout):
    """Sends `count` messages of `size` payload bytes with `conc` sessions to `user`."""
    maildir = server.maildir(user)
    roots = server.roots()
    if not roots:
        raise RunFailed(f"{server.name} is not running")
    cmd = [SMTP_SOURCE, "-4", "-s", str(conc), "-m", str(count), "-l", str(size),
           "-M", "client.example", "-f", SENDER, "-t", f"{user}@{DOMAIN}",
           f"127.0.0.1:{server.port}"]
    cpu0 = cpu_seconds(roots)
    with MemorySampler(server.roots) as mem:
        t0 = time.time_ns()
        src = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            deadline = time.monotonic() + timeout
            n = 0
            while True:
                n = count_messages(maildir)
                if n >= count and src.poll() is not None:
                    break
                if src.poll() not in (None, 0):
                    raise RunFailed(f"{server.name}: smtp-source exited {src.returncode}: "
                                    f"{src.communicate()[0].strip()[-500:]}")
                if time.monotonic() > deadline:
                    raise RunFailed(f"{server.name}: {n}/{count} delivered after {timeout}s")
                time.sleep(0.02)
        finally:
            if src.poll() is None:
                src.kill()
                src.wait()
        t_seen = time.time_ns()
        out = src.communicate()[0]
        cpu1 = cpu_seconds(roots)
    if src.returncode != 0:
        raise RunFailed(f"{server.name}: smtp-source exited {src.returncode}: {out.strip()[-500:]}")
    if n != count:
        raise RunFailed(f"{server.name}: {n} messages in Maildir, expected {count}")
    # The Maildir directories' mtime is the moment of the last rename into new/ (or cur/).
    t_last = last_change_ns(maildir)
    if not t0 < t_last <= t_seen:
        t_last = t_seen
    wall = (t_last - t0) / 1e9
    # Sanity check on one file: the payload is there (Dovecot stores LF line ends, so a file
    # can be a little smaller than the CRLF payload smtp-source sent).
    sample = next(os.scandir(os.path.join(maildir, "new")))
    if sample.stat().st_size < size * 0.95:
        raise RunFailed(f"{server.name}: delivered file {sample.path} is smaller than {size}")
    return {"wall": wall, "rate": count / wall, "cpu": cpu1 - cpu0,
            "rss": mem.peak_rss, "pss": mem.peak_pss}


# --------------------------------------------------------------------------------------------
# Report

def fmt_size(n):
    return f"{n // 1024} KB" if n % 1024 == 0 else f"{n} B"


def mib(n):
    return n / (1 << 20)


def table(rows, names):
    a, b = names
    head = ["size", "conc", "msgs", f"{a} msg/s", f"{b} msg/s", "ratio",
            f"{a} CPU s", f"{b} CPU s", "CPU ratio",
            f"{a} peak RSS MiB", f"{b} peak RSS MiB", f"{a} peak PSS MiB", f"{b} peak PSS MiB"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for r in rows:
        x, y = r["res"].get(a), r["res"].get(b)

        def med(res, key):
            return statistics.median(v[key] for v in res) if res else None

        def f(v, spec):
            return "n/a" if v is None else format(v, spec)

        ra, rb = med(x, "rate"), med(y, "rate")
        ca, cb = med(x, "cpu"), med(y, "cpu")
        ratio = f"{ra / rb:.2f}×" if ra and rb else "n/a"
        cratio = f"{ca / cb:.2f}×" if ca and cb else "n/a"
        cells = [fmt_size(r["size"]), str(r["conc"]), str(r["count"]), f(ra, ".0f"), f(rb, ".0f"),
                 ratio, f(ca, ".2f"), f(cb, ".2f"), cratio,
                 f(med(x, "rss") and mib(med(x, "rss")), ".1f"),
                 f(med(y, "rss") and mib(med(y, "rss")), ".1f"),
                 f(med(x, "pss") and mib(med(x, "pss")), ".1f"),
                 f(med(y, "pss") and mib(med(y, "pss")), ".1f")]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", default="4096,102400", help="payload bytes per message (list)")
    p.add_argument("--concurrency", default="1,10,50", help="smtp-source sessions (list)")
    p.add_argument("--count", default="4096:2000,102400:500",
                   help="messages per run, SIZE:COUNT list; sizes not listed use the last count")
    p.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is reported")
    p.add_argument("--servers", default="estafeta,postfix",
                   help="which servers to run: estafeta, postfix or both (comma list)")
    p.add_argument("--estafeta", help="estafeta binary to use as is (default: build/bench-release/"
                                      "src/cli/estafeta, brought up to date with ninja first)")
    p.add_argument("--estafeta-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra top-level line for Estafeta's config, e.g. worker_threads=16 "
                        "(for experiments; the published table uses the defaults)")
    p.add_argument("--no-build", action="store_true",
                   help="use build/bench-release's estafeta as it is, without running ninja")
    p.add_argument("--jobs", type=int, default=2, help="ninja -j when building")
    p.add_argument("--timeout", type=float, default=300, help="seconds to wait for one run")
    p.add_argument("--warmup", type=int, default=200, help="warm-up messages per server (at the max concurrency)")
    p.add_argument("--strace", action="store_true",
                   help="after the table, run two extra 4 KB / max-concurrency loads against each "
                        "server: one printing CPU seconds by process, one under `strace -c -f` "
                        "printing syscall counts per message")
    p.add_argument("--strace-count", type=int, default=500, help="messages in the --strace run")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory (logs, config)")
    p.add_argument("--markdown", help="also write the table to this file")
    return p.parse_args()


def counts_for(spec, sizes):
    table_ = {}
    last = None
    for item in spec.split(","):
        s, c = item.split(":")
        table_[int(s)] = last = int(c)
    return {s: table_.get(s, last) for s in sizes}


def cpu_by_process(server):
    """CPU ticks of `server`'s live processes, keyed by "tree/command name"."""
    out = {}
    for root in server.roots():
        tree = process_tree([root])
        try:
            with open(f"/proc/{root}/comm") as f:
                top = f.read().strip()
        except OSError:
            continue
        for pid, ticks in tree.items():
            try:
                with open(f"/proc/{pid}/comm") as f:
                    name = f"{top}/{f.read().strip()}" if pid != root else f"{top} (+ exited children)"
            except OSError:
                continue
            out[name] = out.get(name, 0) + ticks
    return out


def cpu_breakdown(server, user, size, conc, count, timeout):
    """Where the server's CPU goes, by process name, for one run."""
    before = cpu_by_process(server)
    res = measure(server, user, size, conc, count, timeout)
    after = cpu_by_process(server)
    rows = sorted(((after.get(k, 0) - before.get(k, 0)) / CLK_TCK, k) for k in set(after) | set(before))
    lines = [f"{server.name}: CPU seconds by process, {count} messages of {fmt_size(size)} at "
             f"concurrency {conc} ({res['rate']:.0f} msg/s, {res['cpu']:.2f} CPU s, "
             f"{res['cpu'] * 1000 / count:.2f} ms/message)"]
    lines += [f"  {name:<40} {sec:6.2f}" for sec, name in reversed(rows) if sec > 0]
    return "\n".join(lines)


def strace_profile(server, user, size, conc, count, timeout):
    """syscall counts of `server` while it takes `count` messages (strace -c -f on its roots)."""
    out_file = os.path.join(os.path.dirname(server.maildir(user)), f"strace-{server.name}.txt")
    pids = list(process_tree(server.roots()))
    cmd = ["strace", "-c", "-f", "-o", out_file]
    for pid in pids:
        cmd += ["-p", str(pid)]
    tracer = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        res = measure(server, user, size, conc, count, timeout)
    finally:
        tracer.send_signal(signal.SIGINT)
        try:
            tracer.wait(20)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait()
    with open(out_file) as f:
        text = f.read()
    calls = {}
    for line in text.splitlines():
        parts = line.split()
        # "% time  seconds  usecs/call  calls  [errors]  syscall"
        if len(parts) >= 5 and parts[0][0].isdigit() and parts[-1] != "total":
            with contextlib.suppress(ValueError):
                calls[parts[-1]] = int(parts[3])
    sync = ("fsync", "fdatasync", "sync_file_range", "syncfs")
    total = sum(calls.values())
    lines = [f"{server.name}: strace -c -f, {count} messages of {fmt_size(size)} at concurrency {conc} "
             f"({res['rate']:.0f} msg/s under strace); {total / count:.1f} syscalls/message",
             "syscall             calls/message"]
    top = sorted(calls.items(), key=lambda kv: -kv[1])
    shown = [kv for kv in top[:20]] + [kv for kv in top[20:] if kv[0] in sync]
    for name, n in shown:
        lines.append(f"  {name:<18} {n / count:8.2f}")
    return "\n".join(lines)


def describe_setup(exe):
    """One line naming what was measured: Estafeta commit, peer versions, kernel."""
    parts = []
    if exe:
        rev = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
        dirty = run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "CMakeLists.txt",
                     "cmake"], check=False).stdout.strip()
        if exe != os.path.join(REPO, "build", "bench-release", "src", "cli", "estafeta"):
            parts.append(f"Estafeta {exe}")
        else:
            parts.append(f"Estafeta {rev or '?'}{'+uncommitted changes' if dirty else ''} (Release)")
    pf = run(["/usr/sbin/postconf", "-dh", "mail_version"], check=False).stdout.strip()
    dv = run(["/usr/sbin/dovecot", "--version"], check=False).stdout.split(" ")[0].strip()
    parts.append(f"Postfix {pf} + Dovecot {dv}")
    parts.append(f"Linux {os.uname().release}")
    return ", ".join(parts)


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (installs packages, starts a private Postfix)")
    sizes = [int(x) for x in args.sizes.split(",")]
    concs = [int(x) for x in args.concurrency.split(",")]
    counts = counts_for(args.count, sizes)
    wanted = [s.strip() for s in args.servers.split(",")]
    ensure_packages()
    exe = find_or_build_estafeta(args) if "estafeta" in wanted else None

    cells = [{"size": s, "conc": c, "count": counts[s], "res": {}} for s in sizes for c in concs]
    users = ["warmup", "strace", "breakdown"] + [f"r{rep}s{s}c{c}" for rep in range(args.repeat)
                                    for s in sizes for c in concs]
    top = tempfile.mkdtemp(prefix="estafeta-smtpbench-")
    os.chmod(top, 0o755)
    # Every run's Maildir is kept until the end (see README: deleting between runs would make
    # the next run's file creation slower); check there is room for all of it, twice over.
    need = sum(len(concs) * args.repeat * counts[s] * (s + 2048) for s in sizes) * len(wanted)
    free = shutil.disk_usage(top).free
    if free < 2 * need:
        shutil.rmtree(top, ignore_errors=True)
        sys.exit(f"{top}: {free >> 20} MiB free, need about {2 * need >> 20} MiB")
    servers = []
    if "estafeta" in wanted:
        servers.append(Estafeta(top, users, exe, "\n".join(args.estafeta_set)))
    if "postfix" in wanted:
        servers.append(PostfixDovecot(top, users))
    names = ("Estafeta", "Postfix+Dovecot")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    profile = []
    ok = False
    load_before = os.getloadavg()[0]
    try:
        for srv in servers:
            log(f"starting {srv.name}")
            srv.start()
            if args.warmup:
                measure(srv, "warmup", sizes[0], max(concs), args.warmup, args.timeout)
        load_before = os.getloadavg()[0]
        log(f"load {load_before:.2f} on {os.cpu_count()} CPUs before the runs")
        for rep in range(args.repeat):
            for cell in cells:
                # Alternate which server goes first so drift (other load) hits both alike.
                order = servers if rep % 2 == 0 else list(reversed(servers))
                for srv in order:
                    user = f"r{rep}s{cell['size']}c{cell['conc']}"
                    r = measure(srv, user, cell["size"], cell["conc"], cell["count"], args.timeout)
                    cell["res"].setdefault(srv.name, []).append(r)
                    log(f"rep {rep + 1}/{args.repeat} {fmt_size(cell['size'])} c={cell['conc']} "
                        f"{srv.name}: {r['rate']:.0f} msg/s, {r['wall']:.2f} s, CPU {r['cpu']:.2f} s, "
                        f"RSS {mib(r['rss']):.1f} MiB, PSS {mib(r['pss']):.1f} MiB")
        if args.strace:
            for srv in servers:
                profile.append(cpu_breakdown(srv, "breakdown", 4096, max(concs),
                                             counts.get(4096, 1000), args.timeout))
            for srv in servers:
                # strace slows the multi-process pairing ~15x: keep this run short.
                profile.append(strace_profile(srv, "strace", 4096, max(concs), args.strace_count,
                                              args.timeout))
        ok = True
    except (RunFailed, RuntimeError, KeyboardInterrupt) as e:
        bc.log_failure(e, servers)
    finally:
        bc.clean_up(servers, top, args.keep_tmp)

    text = table(cells, names)
    header = (f"{describe_setup(exe)}; {len(cells)} cells × {args.repeat} runs, median of each "
              f"figure; load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after "
              f"the runs on {os.cpu_count()} CPUs.")
    print(header)
    print(text)
    for p in profile:
        print()
        print(p)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + text + "\n")
            for p in profile:
                f.write("\n```\n" + p + "\n```\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
