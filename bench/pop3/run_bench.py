#!/usr/bin/env python3
"""POP3 benchmark: Estafeta against Dovecot (Debian dovecot-pop3d), side by side.

Starts a private Estafeta and a private Dovecot on 127.0.0.1 (the same certificate and key, the
same yescrypt password hashes), fills the same generated mailboxes into both over IMAP APPEND
(bench/imap/imap_load), restarts both serving POP3 only, then drives each in turn with
bench/pop3/pop3_load: --clients parallel download sessions for a fixed time, each logging in
(USER/PASS), UIDL, LIST, RETR of every message, QUIT, over implicit TLS (port 995 style) and
in plaintext (port 110 style, when Estafeta has auth.allow_plaintext). It prints sessions/s,
server CPU ms per session (from /proc, every process of the server counted), sessions per server
CPU-second, peak RSS and PSS of the server's processes, and the Estafeta / Dovecot ratios: medians
of --repeat runs, the two servers alternating which goes first.

Everything it starts it stops again by PID (or `dovecot stop` on its own configuration), also on
failure or Ctrl-C; its temporary directory is removed unless --keep-tmp. It never touches a
system Dovecot. See bench/pop3/README.md. Python 3 standard library only; run as root (it may
install dovecot-pop3d and starts Dovecot, which drops to the user `mail`).
"""

import argparse
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import bench_common as bc  # noqa: E402
from bench_common import REPO, DOMAIN, PASSWORD, log, run, RunFailed  # noqa: E402

MODES = ("tls", "plain")                       # measured transports, in this order
TLS_ARG = {"tls": "implicit", "plain": "none"}  # pop3_load --tls


# --------------------------------------------------------------------------------------------
# Installation, build, capabilities

def ensure_packages():
    bc.ensure_packages((("dovecot-core", "/usr/sbin/dovecot"),
                        ("dovecot-imapd", "/usr/lib/dovecot/imap"),
                        ("dovecot-pop3d", "/usr/lib/dovecot/pop3")))


def estafeta_allows_plaintext(exe, top):
    """Whether this Estafeta knows auth.allow_plaintext (plaintext POP3 logins for benchmarks)."""
    conf = os.path.join(top, "probe.toml")
    with open(conf, "w") as f:
        f.write(f'data_dir = "{top}/probe-data"\n\n[auth]\nallow_plaintext = true\n')
    p = run([exe, "-c", conf, "config", "check"], check=False)
    with contextlib.suppress(OSError):
        os.unlink(conf)
    return p.returncode == 0


wait_for_greeting = bc.wait_for_greeting


# --------------------------------------------------------------------------------------------
# The servers (bench_common's, with the POP3 part of their configuration). While `filling`, they
# also serve IMAP over TLS on `imaps_port` (the mailboxes are filled with imap_load); then they
# are restarted serving POP3 only: `port` implicit TLS, `plain_port` plaintext (0 = none).

class Dovecot(bc.Dovecot):
    label = "POP3"
    script = "bench/pop3/run_bench.py"
    instance = "pop3bench"
    ssl = "yes"             # not "required": the plaintext listener takes logins when asked to

    def __init__(self, top, users, cert, key, max_conns, plain, auth_cache=False):
        super().__init__(top, users, cert, key, max_conns)
        self.plain = plain
        self.auth_cache = auth_cache
        self.filling = True
        self.imaps_port = self.plain_port = 0

    @property
    def protocols(self):
        return "imap pop3" if self.filling else "pop3"

    def allocate_ports(self):
        self.port = bc.free_port()
        self.imaps_port = bc.free_port() if self.filling else 0
        self.plain_port = bc.free_port() if self.plain and not self.filling else 0

    def extra_settings(self):
        out = "disable_plaintext_auth = no\n" if self.plain else ""
        if self.auth_cache:  # Dovecot's own cache of successful logins (off by default)
            out += "auth_cache_size = 10M\nauth_cache_ttl = 10 mins\n"
        return out

    def protocol_config(self, n):
        conf = f"""protocol pop3 {{
  mail_max_userip_connections = {n}
}}
# Login processes in Dovecot's documented high-performance mode (one process serves many
# connections) instead of one process per connection: the faster of its two modes.
""" + bc.dovecot_login_service("pop3", (("pop3", self.plain_port, False),
                                        ("pop3s", self.port, True)), n) + f"""service pop3 {{
  process_limit = {n}
  client_limit = 1
}}
"""
        if self.filling:
            conf += f"""protocol imap {{
  mail_max_userip_connections = {n}
}}
""" + bc.dovecot_login_service("imap", (("imap", 0, False), ("imaps", self.imaps_port, True)),
                               n) + f"""service imap {{
  process_limit = {n}
  client_limit = 1
}}
"""
        return conf

    def wait_ready(self, alive):
        wait_for_greeting(self.port, 20, alive, True)
        if self.plain_port:
            wait_for_greeting(self.plain_port, 20, alive, False)
        if self.imaps_port:
            wait_for_greeting(self.imaps_port, 20, alive, True, b"* OK", b"a LOGOUT\r\n")


class Estafeta(bc.Estafeta):
    label = "POP3"
    script = "bench/pop3/run_bench.py"

    def __init__(self, top, users, cert, key, max_conns, exe, extra_config, plain,
                 login_cache_ttl=None):
        super().__init__(top, users, cert, key, max_conns, exe, extra_config)
        self.plain = plain
        self.login_cache_ttl = login_cache_ttl
        self.filling = True
        self.imaps_port = self.plain_port = 0

    def allocate_ports(self):
        self.port = bc.free_port()
        self.imaps_port = bc.free_port() if self.filling else 0
        self.plain_port = bc.free_port() if self.plain and not self.filling else 0

    def protocol_config(self, n):
        conf = f"""
[imap]
max_connections = {n}
max_connections_per_ip = {n}
max_connections_per_user = {n}

[pop3]
max_connections = {n}
max_connections_per_ip = {n}
"""
        auth = (["allow_plaintext = true"] if self.plain else []) + (
            [f"login_cache_ttl = {self.login_cache_ttl}"] if self.login_cache_ttl is not None else [])
        if auth:
            conf += "\n[auth]\n" + "\n".join(auth) + "\n"
        conf += f"""
[tls]
certificate = "{self.cert}"
private_key = "{self.key}"

[listener.pop3s]
address = "127.0.0.1"
port = {self.port}
"""
        if self.plain_port:
            conf += f"""
[listener.pop3]
address = "127.0.0.1"
port = {self.plain_port}
"""
        if self.imaps_port:
            conf += f"""
[listener.imaps]
address = "127.0.0.1"
port = {self.imaps_port}
"""
        return conf

    def wait_ready(self, alive):
        wait_for_greeting(self.port, 30, alive, True)
        if self.plain_port:
            wait_for_greeting(self.plain_port, 30, alive, False)
        if self.imaps_port:
            wait_for_greeting(self.imaps_port, 30, alive, True, b"* OK", b"a LOGOUT\r\n")


# --------------------------------------------------------------------------------------------
# Runs of the load generators

class Load:
    def __init__(self, pop3_exe, imap_exe, args):
        self.pop3_exe, self.imap_exe, self.args = pop3_exe, imap_exe, args

    def fill(self, server):
        """The same generated messages (imap_load's generator, seeded) into every user's INBOX."""
        cmd = [self.imap_exe, "--mode", "fill", "--port", str(server.imaps_port), "--domain",
               DOMAIN, "--password", PASSWORD, "--seed", str(self.args.seed), "--users",
               str(self.args.users), "--messages", str(self.args.messages), "--threads",
               str(self.args.fill_threads)]
        return bc.run_load(cmd, server, "imap_load", "fill", self.args.timeout)

    def pop3(self, server, mode, *extra, session="sessions"):
        port = server.port if mode == "tls" else server.plain_port
        cmd = [self.pop3_exe, "--mode", session, "--port", str(port), "--tls", TLS_ARG[mode],
               "--domain", DOMAIN, "--password", PASSWORD, "--users", str(self.args.users),
               "--clients", str(self.args.clients)] + [str(x) for x in extra]
        return bc.run_load(cmd, server, "pop3_load", f"{session} {mode}", self.args.timeout)


# --------------------------------------------------------------------------------------------
# Report

def mib(n):
    return n / (1 << 20)


def med(rs, key):
    vals = [r[key] for r in rs if r.get(key) is not None]
    return statistics.median(vals) if vals else None


def ratio(a, b):
    return f"{a / b:.2f}×" if a and b else "n/a"


def f(v, spec):
    return "n/a" if v is None else format(v, spec)


def derive(r):
    r["cpu_ms_per_session"] = r["server_cpu"] * 1000 / r["sessions"] if r["sessions"] else None
    r["sessions_per_cpu_s"] = r["sessions"] / r["server_cpu"] if r["server_cpu"] else None
    r["rss_mib"], r["pss_mib"] = mib(r["rss"]), mib(r["pss"])
    return r


def report(results, names, args):
    a, b = names
    lines = [f"| measure | {a} | {b} | ratio {a}/{b} |", "|---|---:|---:|---:|"]

    def row(label, va, vb, spec):
        lines.append(f"| {label} | {f(va, spec)} | {f(vb, spec)} | {ratio(va, vb)} |")

    for key, title in (("tls", "TLS (995)"), ("plain", "plaintext (110)"),
                       ("login-tls", "login only, TLS"), ("login-plain", "login only, plaintext")):
        ra, rb = results.get(key, {}).get(a, []), results.get(key, {}).get(b, [])
        if not ra and not rb:
            continue
        what = "sessions" if not key.startswith("login") else "logins"
        row(f"{title}: {what}/s ({args.clients} clients)", med(ra, "sessions_per_s"),
            med(rb, "sessions_per_s"), ".1f")
        row(f"{title}: server CPU ms per {what[:-1]}", med(ra, "cpu_ms_per_session"),
            med(rb, "cpu_ms_per_session"), ".2f")
        row(f"{title}: {what} per server CPU-second", med(ra, "sessions_per_cpu_s"),
            med(rb, "sessions_per_cpu_s"), ".1f")
        if not key.startswith("login"):
            row(f"{title}: MiB/s downloaded", med(ra, "mib_per_s"), med(rb, "mib_per_s"), ".1f")
        row(f"{title}: peak RSS MiB", med(ra, "rss_mib"), med(rb, "rss_mib"), ".1f")
        row(f"{title}: peak PSS MiB", med(ra, "pss_mib"), med(rb, "pss_mib"), ".1f")
    ra, rb = results.get("rest", {}).get(a, []), results.get("rest", {}).get(b, [])
    if ra or rb:
        row("at rest after start (POP3 only, no session yet): RSS MiB", med(ra, "rss_mib"),
            med(rb, "rss_mib"), ".1f")
        row("at rest after start: PSS MiB", med(ra, "pss_mib"), med(rb, "pss_mib"), ".1f")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=10, help="mailboxes (users) filled; >= --clients")
    p.add_argument("--messages", type=int, default=200, help="messages filled per mailbox")
    p.add_argument("--clients", type=int, default=8, help="parallel POP3 sessions")
    p.add_argument("--duration", type=float, default=8, help="seconds per run")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians reported")
    p.add_argument("--modes", default="tls,plain",
                   help="tls, plain or both; plain is skipped (with a note) when this Estafeta "
                        "has no auth.allow_plaintext")
    p.add_argument("--login-duration", type=float, default=0,
                   help="also runs of this many seconds of login-only sessions (USER, PASS, QUIT) "
                        "per mode, to separate the password check from the download (0 = skip)")
    p.add_argument("--fill-threads", type=int, default=4, help="parallel APPEND sessions when filling")
    p.add_argument("--seed", type=int, default=1, help="message generator seed")
    p.add_argument("--servers", default="estafeta,dovecot", help="estafeta, dovecot or both")
    p.add_argument("--estafeta", help="estafeta binary to use as is (default: build/pop3bench/"
                                      "src/cli/estafeta, brought up to date with ninja first)")
    p.add_argument("--estafeta-label", help="how the header names the Estafeta measured, e.g. the "
                                            "commit a --estafeta binary was built from")
    p.add_argument("--dovecot-auth-cache", action="store_true",
                   help="give Dovecot its authentication cache (auth_cache_size = 10M, "
                        "auth_cache_ttl = 10 mins; off in its defaults), the counterpart of "
                        "Estafeta's auth.login_cache_ttl")
    p.add_argument("--login-cache-ttl", type=int, metavar="SECONDS",
                   help="Estafeta's auth.login_cache_ttl (default: Estafeta's default, 600 s: "
                        "repeated logins skip the password hash; 0 = a hash per login, as "
                        "Dovecot, whose auth cache still verifies the hash)")
    p.add_argument("--estafeta-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra top-level line for Estafeta's config (experiments only)")
    p.add_argument("--pop3-load", help="pop3_load binary to use as is (default: build/pop3bench/"
                                       "bench/pop3_load, built first)")
    p.add_argument("--imap-load", help="imap_load binary to use as is (default: build/pop3bench/"
                                       "bench/imap_load, built first)")
    p.add_argument("--no-build", action="store_true", help="do not run ninja")
    p.add_argument("--jobs", type=int, default=2, help="ninja -j when building")
    p.add_argument("--timeout", type=float, default=900, help="seconds one load run may take")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    p.add_argument("--markdown", help="also write the table to this file")
    args = p.parse_args()
    if args.users < args.clients:
        p.error("--users must be at least --clients (one session per mailbox at a time)")
    return args


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (may install dovecot-pop3d, starts Dovecot)")
    wanted = [s.strip() for s in args.servers.split(",")]
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if any(m not in MODES for m in modes):
        sys.exit(f"--modes: tls and/or plain, not {args.modes}")
    ensure_packages()
    build = os.path.join(REPO, "build", "pop3bench")
    exe = bc.find_or_build_estafeta(args, build) if "estafeta" in wanted else None
    load = Load(bc.find_or_build_bench_target(args, args.pop3_load, build, "pop3_load"),
                bc.find_or_build_bench_target(args, args.imap_load, build, "imap_load"), args)
    rev = args.estafeta_label or (f"{exe}" if args.estafeta else f"{bc.estafeta_revision()} (Release)")
    top = tempfile.mkdtemp(prefix="estafeta-pop3bench-")
    os.chmod(top, 0o755)
    notes = []
    if "plain" in modes and exe and not estafeta_allows_plaintext(exe, top):
        modes.remove("plain")
        notes.append("plaintext (110) not measured: this Estafeta has no auth.allow_plaintext")
        log(notes[-1])
    plain = "plain" in modes
    cert, key = bc.make_certificate(top)
    users = [f"u{i}" for i in range(args.users)]
    max_conns = max(args.clients, args.fill_threads) + 10
    servers = []
    if "estafeta" in wanted:
        servers.append(Estafeta(top, users, cert, key, max_conns, exe,
                                "\n".join(args.estafeta_set), plain, args.login_cache_ttl))
    if "dovecot" in wanted:
        servers.append(Dovecot(top, users, cert, key, max_conns, plain, args.dovecot_auth_cache))
    names = ("Estafeta", "Dovecot")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    results = {}
    ok = False
    load_before = os.getloadavg()[0]
    t_start = time.monotonic()
    mailbox = None
    try:
        for srv in servers:
            log(f"starting {srv.name}")
            srv.start()
            r = load.fill(srv)
            log(f"{srv.name}: {r['appended']} messages APPENDed to {args.users} users in "
                f"{r['seconds']:.1f} s")
            # Restart serving POP3 only, so that the measured processes are those of POP3.
            srv.stop()
            srv.filling = False
            srv.start()
            time.sleep(1.0)
            rest = bc.memory_of(bc.process_tree(srv.roots()))
            results.setdefault("rest", {})[srv.name] = [{"rss_mib": mib(rest[0]), "pss_mib": mib(rest[1])}]
            log(f"{srv.name}: at rest after start, RSS {mib(rest[0]):.1f} MiB, PSS {mib(rest[1]):.1f} MiB")
            # Warm-up, not measured: one download of every mailbox (RETR sets \Seen once,
            # Dovecot builds its index and cache files, both servers read the files once).
            r = load.pop3(srv, modes[0], "--once", 1)
            log(f"{srv.name}: warm-up, every mailbox downloaded once: {r['messages']} messages, "
                f"{mib(r['octets']):.1f} MiB")
            mailbox = mailbox or (r["messages"] // args.users, r["octets"] / max(1, r["messages"]))
        load_before = os.getloadavg()[0]
        log(f"load {load_before:.2f} on {os.cpu_count()} CPUs before the runs")
        for rep in range(args.repeat):
            order = servers if rep % 2 == 0 else list(reversed(servers))
            for mode in modes:
                for srv in order:
                    r = derive(load.pop3(srv, mode, "--duration", args.duration))
                    results.setdefault(mode, {}).setdefault(srv.name, []).append(r)
                    log(f"rep {rep + 1}/{args.repeat} {mode} {srv.name}: {r['sessions']} sessions, "
                        f"{r['sessions_per_s']:.1f}/s, CPU {r['server_cpu']:.2f} s "
                        f"({f(r['cpu_ms_per_session'], '.2f')} ms/session), RSS {r['rss_mib']:.1f} "
                        f"MiB, PSS {r['pss_mib']:.1f} MiB; session median {r['session_ms_median']:.0f} ms; "
                        f"pop3_load CPU {r['load_cpu']:.2f} s")
            if args.login_duration:
                for mode in modes:
                    for srv in order:
                        r = derive(load.pop3(srv, mode, "--duration", args.login_duration,
                                             session="login"))
                        results.setdefault(f"login-{mode}", {}).setdefault(srv.name, []).append(r)
                        log(f"rep {rep + 1}/{args.repeat} login {mode} {srv.name}: "
                            f"{r['sessions_per_s']:.1f} logins/s, "
                            f"{f(r['cpu_ms_per_session'], '.2f')} CPU ms/login")
        ok = True
    except (RunFailed, RuntimeError, KeyboardInterrupt) as e:
        bc.log_failure(e, servers)
    finally:
        bc.clean_up(servers, top, args.keep_tmp)

    text = report(results, names, args)
    per_box = (f"{mailbox[0]} messages of {mailbox[1] / 1024:.1f} KiB on average per mailbox"
               if mailbox else f"{args.messages} messages per mailbox")
    header = (f"Estafeta {rev} vs Dovecot {bc.dovecot_version()}, Linux "
              f"{os.uname().release}; {args.users} mailboxes ({per_box}), {args.clients} "
              f"clients, {args.duration:g} s × {args.repeat} runs per mode, medians; 127.0.0.1; "
              f"load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after the runs "
              f"on {os.cpu_count()} CPUs; {time.monotonic() - t_start:.0f} s in all.")
    if args.login_cache_ttl is not None and exe:
        header += f" Estafeta auth.login_cache_ttl = {args.login_cache_ttl}."
    if args.dovecot_auth_cache:
        header += " Dovecot with auth_cache_size = 10M, auth_cache_ttl = 10 mins."
    for n in notes:
        header += f" Note: {n}."
    print(header)
    print()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(header + "\n\n" + text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
