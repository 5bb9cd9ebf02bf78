#!/usr/bin/env python3
"""Relay benchmark: Estafeta's outbound queue against Postfix relaying to the same kind of sink.

Injects N messages into a private Estafeta and into a private Postfix, both on 127.0.0.1, and
lets each relay them through its queue to Postfix's `smtp-sink` (one sink per server, on a free
127.0.0.1 port, counting with -c). Injection is a Python smtplib load generator (one process
per session, so the GIL does not limit it); Estafeta takes the messages on a submission
listener with AUTH PLAIN (allow_plain_auth_on_loopback, the account's password cached after
the first login), Postfix on its smtpd with 127.0.0.0/8 in mynetworks. Both fsync the queue
file before the 250. Estafeta routes each destination domain with a static route
([routing] routes, one entry per domain, `dN.bench = [127.0.0.1]:SINK`); Postfix with
transport_maps (one entry per domain, `smtp:[127.0.0.1]:SINK`). For each injection
concurrency and number of destination domains it measures messages/s (from the start of
injection until the sink has received all of them), the CPU seconds of every server process
(until the server's queue is empty again) and the peak summed RSS / PSS. Each cell is repeated
and the medians are printed with the Estafeta / Postfix ratios.

Everything it starts it stops again by PID (or `postfix stop` on its own configuration), also
on failure or Ctrl-C; its temporary directory is removed unless --keep-tmp. It never touches
a system Postfix. Never part of CI. See bench/relay/README.md.
Python 3 standard library only; run as root (it installs packages and starts Postfix).
"""

import argparse
import base64
import contextlib
import importlib.util
import json
import multiprocessing
import os
import pwd
import re
import signal
import smtplib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, BENCH)
import bench_common as bc  # noqa: E402
from bench_common import (REPO, DOMAIN, CLK_TCK, MAIL_USER, log, run, run_starter,  # noqa: E402
                          process_tree, cpu_seconds, MemorySampler, free_port, read_pid,
                          pid_alive, mkdir_owned)


def _load_smtp_bench():
    """bench/smtp/run_bench.py as a module: its private Postfix (master.cf without chroot,
    smtpd on our port, stop by `postfix stop`), banner wait and table formatting."""
    spec = importlib.util.spec_from_file_location(
        "smtp_run_bench", os.path.join(BENCH, "smtp", "run_bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


sb = _load_smtp_bench()
wait_for_banner, fmt_size, mib = sb.wait_for_banner, sb.fmt_size, sb.mib

SMTP_SINK = "/usr/sbin/smtp-sink"
SENDER_LOCAL = "sender"
PASSWORD = bc.PASSWORD
RunFailed = bc.RunFailed


def domains(n):
    return [f"d{i}.bench" for i in range(n)]


# --------------------------------------------------------------------------------------------
# The sink: smtp-sink -c prints "sess=N quit=N mesg=N\r" after every event; a reader thread
# keeps the last message count and the time it changed.

class Sink:
    def __init__(self, top, name):
        self.log_path = os.path.join(top, f"sink-{name}.log")
        self.port = None
        self.proc = None
        self.count = 0
        self.sessions = 0
        self.changed = 0.0
        self._cond = threading.Condition()

    def start(self):
        self.port = free_port()
        self.proc = subprocess.Popen([SMTP_SINK, "-c", "-u", "postfix", f"127.0.0.1:{self.port}",
                                      "1000"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=open(self.log_path, "a"))
        threading.Thread(target=self._read, daemon=True).start()
        wait_for_banner(self.port, 10, lambda: self.proc.poll() is None)

    def _read(self):
        buf = b""
        while True:
            chunk = os.read(self.proc.stdout.fileno(), 4096)
            if not chunk:
                return
            buf += chunk
            *done, buf = re.split(rb"[\r\n]", buf)
            for item in reversed(done):
                m = re.search(rb"sess=(\d+).*mesg=(\d+)", item)
                if m:
                    now = time.time()
                    with self._cond:
                        self.sessions = int(m.group(1))
                        if int(m.group(2)) != self.count:
                            self.count, self.changed = int(m.group(2)), now
                            self._cond.notify_all()
                    break

    def wait_for(self, target, deadline, alive):
        """Waits until `target` messages were received; returns the time of the last one."""
        with self._cond:
            while self.count < target:
                if time.monotonic() > deadline or not alive():
                    raise RunFailed(f"sink {self.port}: {self.count} messages, expected {target}")
                self._cond.wait(0.05)
            return self.changed

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# --------------------------------------------------------------------------------------------
# The servers

class PostfixRelay(sb.PostfixDovecot):
    """bench/smtp's private Postfix without Dovecot: nothing local, 127.0.0.0/8 may relay, and
    transport_maps sends every bench domain to the sink."""
    name = "Postfix"

    def __init__(self, top, n_domains):
        super().__init__(top, [])
        self.sink = Sink(top, "postfix")
        self.n_domains = n_domains

    def start(self):
        self.sink.start()
        self.port = free_port()
        os.makedirs(self.etc, mode=0o755)
        os.makedirs(self.queue, mode=0o755)
        os.makedirs(os.path.join(self.dir, "data"), mode=0o755)
        pw = pwd.getpwnam("postfix")
        os.chown(os.path.join(self.dir, "data"), pw.pw_uid, pw.pw_gid)
        with open(os.path.join(self.etc, "transport"), "w") as f:
            for d in domains(self.n_domains):
                f.write(f"{d} smtp:[127.0.0.1]:{self.sink.port}\n")
        main_cf = f"""# Private Postfix for the Estafeta relay benchmark (bench/relay/run_relay_bench.py).
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
relay_domains =
transport_maps = texthash:{self.etc}/transport
# Do not throttle 50 injecting sessions; delivery concurrency stays at Postfix's defaults.
default_process_limit = 200
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_client_message_rate_limit = 0
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

    def queued(self):
        n = 0
        for sub in ("maildrop", "incoming", "active", "deferred", "hold"):
            for _, _, files in os.walk(os.path.join(self.queue, sub)):
                n += len(files)
        return n

    def deferred(self):
        return sum(len(f) for _, _, f in os.walk(os.path.join(self.queue, "deferred")))

    def login(self):
        return None

    def sender(self):
        return f"{SENDER_LOCAL}@client.example"

    def stop(self):
        try:
            super().stop()
        finally:
            self.sink.stop()

    def logs(self):
        return [os.path.join(self.dir, "maillog"), self.sink.log_path]


class BareSink:
    """No server at all: the injector straight into an smtp-sink, which answers at once and
    stores nothing. Its rate is the injector's own ceiling at that concurrency (its Python, the
    socket round trips, the sink's replies): the part of every server's figure that is not the
    server's."""
    name = "bare sink"

    def __init__(self, top):
        self.sink = Sink(top, "bare")
        self.port = None

    def start(self):
        self.sink.start()
        self.port = self.sink.port

    def queued(self):
        return 0

    def deferred(self):
        return 0

    def login(self):
        return None

    def sender(self):
        return f"{SENDER_LOCAL}@client.example"

    def roots(self):
        return [self.sink.proc.pid] if self.sink.proc and self.sink.proc.poll() is None else []

    def stop(self):
        self.sink.stop()

    def logs(self):
        return [self.sink.log_path]


class EstafetaRelay:
    name = "Estafeta"

    def __init__(self, top, exe, n_domains, extra_config="", queue_config="", relay_config="",
                 listener="mx", log_level="warn"):
        self.listener = listener
        self.log_level = log_level
        self.dir = os.path.join(top, "estafeta")
        self.data = os.path.join(self.dir, "data")
        self.conf = os.path.join(self.dir, "estafeta.toml")
        self.exe = exe
        self.n_domains = n_domains
        self.extra_config = extra_config
        self.queue_config = queue_config
        self.relay_config = relay_config
        self.sink = Sink(top, "estafeta")
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
        return drop, env

    def cli(self, argv, stdin=None):
        preexec, env = self._as_mail_user()
        p = subprocess.run([self.exe, "-c", self.conf] + argv, input=stdin, text=True,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           preexec_fn=preexec, env=env, cwd=self.dir)
        if p.returncode != 0:
            raise RuntimeError(f"estafeta {' '.join(argv)}: {p.stdout.strip()}")
        return p.stdout

    def start(self):
        self.sink.start()
        self.port = free_port()
        mkdir_owned(self.dir, MAIL_USER)
        mkdir_owned(self.data, MAIL_USER, 0o750)
        routes = ", ".join(f"{d} = [127.0.0.1]:{self.sink.port}" for d in domains(self.n_domains))
        if self.listener == "mx":  # as Postfix here: 127.0.0.0/8 relays without AUTH
            listener_config = ('relay_networks = "127.0.0.0/8"\n\n[listener.smtp]\n'
                               f'address = "127.0.0.1"\nport = {self.port}\n')
        else:
            listener_config = ('allow_plain_auth_on_loopback = true\n\n[listener.submission]\n'
                               f'address = "127.0.0.1"\nport = {self.port}\n')
        conf = f"""# Private Estafeta for the relay benchmark (generated by bench/relay/run_relay_bench.py).
data_dir = "{self.data}"
hostname = "{DOMAIN}"
log_level = "{self.log_level}"
{self.extra_config}

[smtp]
max_connections_per_ip = 200
{listener_config}

[routing]
routes = "{routes}"

[delivery]
fsync = true

[queue]
{self.queue_config}

[relay]
{self.relay_config}
"""
        with open(self.conf, "w") as f:
            f.write(conf)
        self.cli(["domain", "add", DOMAIN])
        self.cli(["user", "add", f"{SENDER_LOCAL}@{DOMAIN}", "--password-stdin"], stdin=PASSWORD + "\n")
        preexec, env = self._as_mail_user()
        self.log_file = open(os.path.join(self.dir, "estafeta.log"), "w")
        self.proc = subprocess.Popen([self.exe, "-c", self.conf, "serve"], stdin=subprocess.DEVNULL,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     preexec_fn=preexec, env=env, cwd=self.dir)
        wait_for_banner(self.port, 30, lambda: self.proc.poll() is None)

    def queued(self):
        return len(json.loads(self.cli(["queue", "list", "--json"])))

    def deferred(self):
        return sum(1 for e in json.loads(self.cli(["queue", "list", "--json"]))
                   for r in e.get("recipients", []) if r.get("state") == "deferred")

    def login(self):
        return (f"{SENDER_LOCAL}@{DOMAIN}", PASSWORD) if self.listener == "submission" else None

    def sender(self):
        return f"{SENDER_LOCAL}@{DOMAIN}"

    def roots(self):
        return [self.proc.pid] if self.proc and self.proc.poll() is None else []

    def stop(self):
        try:
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
        finally:
            self.sink.stop()

    def logs(self):
        return [os.path.join(self.dir, "estafeta.log"), self.sink.log_path]


# --------------------------------------------------------------------------------------------
# The injector: `conc` processes, each with its share of the messages, `per_conn` messages per
# SMTP session. Message i goes to u<i>@d<i % n_domains>.bench.

def message(sender, rcpt, tag, size):
    head = (f"From: <{sender}>\r\nTo: <{rcpt}>\r\nSubject: relay bench {tag}\r\n"
            f"Message-ID: <{tag}@client.example>\r\n\r\n")
    line = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789abcdef\r\n"
    body = (line * (size // len(line) + 1))[:size - 2] + "\r\n"
    return (head + body).encode()


def inject_worker(port, login, sender, jobs, per_conn, go, errors, lean=False):
    try:
        go.wait()
        if lean:
            _inject_lean(port, login, sender, jobs, per_conn)
            return
        s = None
        for k, (rcpt, tag, size) in enumerate(jobs):
            if s is None:
                s = smtplib.SMTP("127.0.0.1", port, local_hostname="client.example", timeout=120)
                s.ehlo()
                if login:
                    s.login(*login)
            refused = s.sendmail(sender, [rcpt], message(sender, rcpt, tag, size))
            if refused:
                raise RuntimeError(f"refused {refused}")
            if (k + 1) % per_conn == 0:
                s.quit()
                s = None
        if s is not None:
            s.quit()
    except Exception as e:  # reported to the parent, which fails the run
        errors.put(f"{type(e).__name__}: {e}")
        os._exit(1)


class _LeanSession:
    """The same dialogue as smtplib's (EHLO, AUTH PLAIN once, then MAIL, RCPT, DATA and the
    content, each waiting for its reply; no pipelining) on a plain socket, with the messages
    built and dot-stuffed before the clock starts: what is left is the servers' time and the
    socket round trips, not smtplib's Python per command."""

    def __init__(self, port, login):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=120)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.expect(b"", 220)
        self.expect(b"EHLO client.example\r\n", 250)
        if login:
            token = base64.b64encode(f"\0{login[0]}\0{login[1]}".encode())
            self.expect(b"AUTH PLAIN " + token + b"\r\n", 235)

    def expect(self, data, code):
        if data:
            self.sock.sendall(data)
        while True:
            end = self.buf.find(b"\r\n")
            while end >= 0:
                line, self.buf = self.buf[:end], self.buf[end + 2:]
                if line[3:4] != b"-":
                    if int(line[:3]) != code:
                        raise RuntimeError(f"expected {code}, got {line.decode(errors='replace')}")
                    return
                end = self.buf.find(b"\r\n")
            got = self.sock.recv(65536)
            if not got:
                raise RuntimeError("connection closed")
            self.buf += got

    def close(self):
        self.expect(b"QUIT\r\n", 221)
        self.sock.close()


def _inject_lean(port, login, sender, jobs, per_conn):
    prepared = []
    for rcpt, tag, size in jobs:
        content = message(sender, rcpt, tag, size).replace(b"\r\n.", b"\r\n..")
        prepared.append((f"RCPT TO:<{rcpt}>\r\n".encode(), content + b".\r\n"))
    mail_from = f"MAIL FROM:<{sender}>\r\n".encode()
    s = None
    for k, (rcpt_line, content) in enumerate(prepared):
        if s is None:
            s = _LeanSession(port, login)
        s.expect(mail_from, 250)
        s.expect(rcpt_line, 250)
        s.expect(b"DATA\r\n", 354)
        s.expect(content, 250)
        if (k + 1) % per_conn == 0:
            s.close()
            s = None
    if s is not None:
        s.close()


def measure(server, run_id, n_domains, size, conc, count, per_conn, timeout, lean=False):
    roots = server.roots()
    if not roots:
        raise RunFailed(f"{server.name} is not running")
    doms = domains(n_domains)
    jobs = [[] for _ in range(conc)]
    for i in range(count):
        jobs[i % conc].append((f"u{i}@{doms[i % n_domains]}", f"{run_id}.{i}", size))
    ctx = multiprocessing.get_context("fork")
    go, errors = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=inject_worker, args=(server.port, server.login(), server.sender(),
                                                     j, per_conn, go, errors, lean), daemon=True)
             for j in jobs if j]
    for p in procs:
        p.start()
    base, base_sess = server.sink.count, server.sink.sessions
    cpu0 = cpu_seconds(roots)
    deadline = time.monotonic() + timeout
    try:
        with MemorySampler(server.roots) as mem:
            t0 = time.time()
            go.set()
            for p in procs:
                p.join(max(0.1, deadline - time.monotonic()))
                if p.exitcode != 0:
                    err = errors.get(timeout=1) if not errors.empty() else f"exit {p.exitcode}"
                    raise RunFailed(f"{server.name}: injector failed: {err}")
            t_injected = time.time()
            t_last = server.sink.wait_for(base + count, deadline, lambda: bool(server.roots()))
            # CPU until the queue is empty again (Postfix removes its queue file, Estafeta frees
            # the spool slot, after the sink's 250).
            while server.queued():
                if time.monotonic() > deadline:
                    raise RunFailed(f"{server.name}: queue not empty after {timeout}s")
                time.sleep(0.05)
            cpu1 = cpu_seconds(roots)
    finally:
        for p in procs:
            if p.is_alive():
                p.kill()
                p.join()
    if server.sink.count != base + count:
        raise RunFailed(f"{server.name}: sink got {server.sink.count - base}, expected {count}")
    wall = t_last - t0
    return {"wall": wall, "rate": count / wall, "inject": t_injected - t0, "cpu": cpu1 - cpu0,
            "conns": server.sink.sessions - base_sess,
            "rss": mem.peak_rss, "pss": mem.peak_pss}


# --------------------------------------------------------------------------------------------
# Report

def table(cells, names):
    a, b = names
    head = ["domains", "conc", "msgs", f"{a} msg/s", f"{b} msg/s", "ratio",
            f"{a} CPU s", f"{b} CPU s", f"{a} msg/CPU s", f"{b} msg/CPU s", "per-CPU ratio",
            f"{a} peak RSS MiB", f"{b} peak RSS MiB", f"{a} peak PSS MiB", f"{b} peak PSS MiB"]
    floor = any(BareSink.name in c["res"] for c in cells)
    if floor:
        head.insert(6, "bare sink msg/s")
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---:" for _ in head) + "|"]
    for c in cells:
        x, y = c["res"].get(a), c["res"].get(b)

        def med(res, key):
            return statistics.median(v[key] for v in res) if res else None

        def f(v, spec):
            return "n/a" if v is None else format(v, spec)

        ra, rb = med(x, "rate"), med(y, "rate")
        ca, cb = med(x, "cpu"), med(y, "cpu")
        pa = c["count"] / ca if ca else None
        pb = c["count"] / cb if cb else None
        row = [str(c["domains"]), str(c["conc"]), str(c["count"]), f(ra, ".0f"), f(rb, ".0f"),
               f"{ra / rb:.2f}×" if ra and rb else "n/a", f(ca, ".2f"), f(cb, ".2f"),
               f(pa, ".0f"), f(pb, ".0f"), f"{pa / pb:.2f}×" if pa and pb else "n/a",
               f(med(x, "rss") and mib(med(x, "rss")), ".1f"),
               f(med(y, "rss") and mib(med(y, "rss")), ".1f"),
               f(med(x, "pss") and mib(med(x, "pss")), ".1f"),
               f(med(y, "pss") and mib(med(y, "pss")), ".1f")]
        if floor:
            row.insert(6, f(med(c["res"].get(BareSink.name), "rate"), ".0f"))
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def describe_setup(exe):
    parts = []
    if exe:
        if exe != os.path.join(REPO, "build", "bench-release", "src", "cli", "estafeta"):
            parts.append(f"Estafeta {exe}")
        else:
            parts.append(f"Estafeta {bc.estafeta_revision()} (Release)")
    pf = run(["/usr/sbin/postconf", "-dh", "mail_version"], check=False).stdout.strip()
    parts.append(f"Postfix {pf}")
    parts.append(f"Linux {os.uname().release}")
    return ", ".join(parts)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--count", type=int, default=2000, help="messages per run")
    p.add_argument("--size", type=int, default=4096, help="body bytes per message")
    p.add_argument("--concurrency", default="1,10,50", help="injecting sessions (list)")
    p.add_argument("--domains", default="1,100", help="destination domains (list)")
    p.add_argument("--per-connection", type=int, default=10,
                   help="messages the injector sends per SMTP session")
    p.add_argument("--repeat", type=int, default=3, help="runs per cell; the median is reported")
    p.add_argument("--servers", default="estafeta,postfix", help="estafeta, postfix or both")
    p.add_argument("--estafeta", help="estafeta binary to use as is (default: build/bench-release/"
                                      "src/cli/estafeta, brought up to date with ninja first)")
    p.add_argument("--estafeta-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra top-level line for Estafeta's config (experiments only)")
    p.add_argument("--queue-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra line for Estafeta's [queue] section, e.g. "
                        "destination_concurrency=10")
    p.add_argument("--relay-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra line for Estafeta's [relay] section, e.g. "
                        "connection_cache_time=0")
    p.add_argument("--injector", choices=("smtplib", "lean"), default="smtplib",
                   help="smtplib: Python's SMTP client; lean: the same dialogue on a plain socket "
                        "with the messages prepared beforehand (less client time per message)")
    p.add_argument("--estafeta-listener", choices=("mx", "submission"), default="mx",
                   help="mx: Estafeta's port-25 listener with smtp.relay_networks = 127.0.0.0/8, "
                        "no AUTH, as Postfix's mynetworks here; submission: AUTH PLAIN first")
    p.add_argument("--log-level", default="warn",
                   help="Estafeta's log_level (info logs every delivery; with --keep-tmp)")
    p.add_argument("--floor", action="store_true",
                   help="also time the injector against a bare smtp-sink (no server)")
    p.add_argument("--no-build", action="store_true", help="use build/bench-release as it is")
    p.add_argument("--jobs", type=int, default=2, help="ninja -j when building")
    p.add_argument("--warmup", type=int, default=200, help="warm-up messages per server")
    p.add_argument("--timeout", type=float, default=300, help="seconds one run may take")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    p.add_argument("--markdown", help="also write the table to this file")
    p.add_argument("--pause", type=float, default=0,
                   help="seconds to wait after start-up (to attach perf to the server)")
    return p.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (installs packages, starts a private Postfix)")
    concs = [int(x) for x in args.concurrency.split(",")]
    doms = [int(x) for x in args.domains.split(",")]
    wanted = [s.strip() for s in args.servers.split(",")]
    bc.ensure_packages((("postfix", "/usr/sbin/postfix"),),
                       debconf="postfix postfix/main_mailer_type select No configuration\n"
                               "postfix postfix/mailname string localhost\n")
    exe = bc.find_or_build_estafeta(args) if "estafeta" in wanted else None
    cells = [{"domains": d, "conc": c, "count": args.count, "res": {}} for d in doms for c in concs]
    top = tempfile.mkdtemp(prefix="estafeta-relaybench-")
    os.chmod(top, 0o755)
    servers = []
    if "estafeta" in wanted:
        servers.append(EstafetaRelay(top, exe, max(doms), "\n".join(args.estafeta_set),
                                     "\n".join(args.queue_set), "\n".join(args.relay_set),
                                     args.estafeta_listener, args.log_level))
    if "postfix" in wanted:
        servers.append(PostfixRelay(top, max(doms)))
    if args.floor:
        servers.append(BareSink(top))
    names = ("Estafeta", "Postfix")
    lean = args.injector == "lean"

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    ok = False
    load_before = os.getloadavg()[0]
    try:
        for srv in servers:
            log(f"starting {srv.name}")
            srv.start()
            if args.warmup:
                measure(srv, "warmup", max(doms), args.size, max(concs), args.warmup,
                        args.per_connection, args.timeout, lean)
        if args.pause:
            log(f"pids: " + ", ".join(f"{s.name} {s.roots()}" for s in servers))
            time.sleep(args.pause)
        load_before = os.getloadavg()[0]
        log(f"load {load_before:.2f} on {os.cpu_count()} CPUs before the runs")
        for rep in range(args.repeat):
            for cell in cells:
                order = servers if rep % 2 == 0 else list(reversed(servers))
                for srv in order:
                    rid = f"r{rep}d{cell['domains']}c{cell['conc']}"
                    r = measure(srv, rid, cell["domains"], args.size, cell["conc"], cell["count"],
                                args.per_connection, args.timeout, lean)
                    cell["res"].setdefault(srv.name, []).append(r)
                    log(f"rep {rep + 1}/{args.repeat} domains={cell['domains']} c={cell['conc']} "
                        f"{srv.name}: {r['rate']:.0f} msg/s ({r['wall']:.2f} s, injected in "
                        f"{r['inject']:.2f} s, {r['conns']} connections to the sink), CPU {r['cpu']:.2f} s, RSS {mib(r['rss']):.1f} MiB, "
                        f"PSS {mib(r['pss']):.1f} MiB")
        for srv in servers:
            if srv.deferred():
                raise RunFailed(f"{srv.name}: deferred messages left in its queue")
        ok = True
    except (RunFailed, RuntimeError, KeyboardInterrupt) as e:
        bc.log_failure(e, servers)
    finally:
        bc.clean_up(servers, top, args.keep_tmp)

    text = table(cells, names)
    queue_set = "".join(f", [queue] {q}" for q in args.queue_set)
    queue_set += "".join(f", [relay] {r}" for r in args.relay_set)
    setup = (f"; injected by {'the lean socket client' if lean else 'smtplib'}"
             f"{', into Estafeta on port 25 with relay_networks' if args.estafeta_listener == 'mx' else ', into Estafeta with AUTH on submission'}")
    header = (f"{describe_setup(exe)}{queue_set}{setup}; {args.count} messages of {fmt_size(args.size)} per run, "
              f"{args.per_connection} per injecting session; {len(cells)} cells × {args.repeat} "
              f"runs, median of each figure; load average {load_before:.1f} before and "
              f"{os.getloadavg()[0]:.1f} after the runs on {os.cpu_count()} CPUs.")
    print(header)
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(header + "\n\n" + text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
