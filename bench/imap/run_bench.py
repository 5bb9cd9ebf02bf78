#!/usr/bin/env python3
"""IMAP benchmark: Estafeta against Dovecot (Debian dovecot-imapd), side by side.

Starts a private Estafeta and a private Dovecot on 127.0.0.1 (implicit TLS, the same
certificate and key, the same yescrypt password hashes), fills the same generated mailboxes into
both over IMAP APPEND, then drives each in turn with bench/imap/imap_load: a client mix for a
fixed time (operations/s, server CPU ms per operation, peak RSS/PSS of the server's processes),
TLS login+logout pairs per second, UID SEARCH TEXT over a large mailbox (Dovecot without an FTS
plugin), and the memory of K connections parked in IDLE. Each run is repeated, the two servers
alternating which goes first, and medians are printed with the Estafeta / Dovecot ratios.

Everything it starts it stops again by PID (or `dovecot stop` on its own configuration), also on
failure or Ctrl-C; its temporary directory is removed unless --keep-tmp. It never touches a
system Dovecot. See bench/imap/README.md. Python 3 standard library only; run as root (it may
install dovecot-imapd and starts Dovecot, which drops to the user `mail`).
"""

import argparse
import contextlib
import json
import os
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
BIG_USER = "big"          # local part of the SEARCH TEXT mailbox
OP_KINDS = ("select", "fetch_flags", "fetch_envelope", "fetch_body", "fetch_bodystructure",
            "store_flags", "search_flags", "search_subject", "search_text", "append", "expunge",
            "idle")                # imap_load's mix operations

# Process accounting, sampling, credentials and the private servers are shared with the other
# benchmarks (bench/bench_common.py).
sys.path.insert(0, os.path.join(HERE, ".."))
import bench_common as bc  # noqa: E402

DOMAIN, PASSWORD = bc.DOMAIN, bc.PASSWORD
log, run = bc.log, bc.run
process_tree, memory_of, make_certificate = bc.process_tree, bc.memory_of, bc.make_certificate
RunFailed = bc.RunFailed


# --------------------------------------------------------------------------------------------
# Installation and build

def ensure_packages():
    bc.ensure_packages((("dovecot-core", "/usr/sbin/dovecot"),
                        ("dovecot-imapd", "/usr/lib/dovecot/imap")))


def find_or_build_load(args):
    return bc.find_or_build_bench_target(args, args.imap_load,
                                         os.path.join(REPO, "build", "bench-imap"), "imap_load")


def wait_for_imaps(port, timeout, alive=lambda: True):
    deadline = time.monotonic() + timeout
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    while time.monotonic() < deadline:
        if not alive():
            raise RuntimeError(f"server for port {port} exited during start-up")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=2) as raw:
                with ctx.wrap_socket(raw) as s:
                    if s.recv(512).startswith(b"* OK"):
                        s.sendall(b"a LOGOUT\r\n")
                        return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"no IMAP greeting on 127.0.0.1:{port} within {timeout}s")


# --------------------------------------------------------------------------------------------
# The servers (bench_common's, with the IMAP part of their configuration): start(), roots(),
# stop(), logs(); `port` is the implicit-TLS IMAP port.

class Dovecot(bc.Dovecot):
    ssl = "yes"  # not "required": the plaintext listener takes logins (the TLS-overhead runs)

    def allocate_ports(self):
        self.port, self.plain_port = bc.free_port(), bc.free_port()

    def extra_settings(self):
        return "disable_plaintext_auth = no\n"

    def protocol_config(self, n):
        return (f"""protocol imap {{
  mail_max_userip_connections = {n}
}}
# Login processes in Dovecot's documented high-performance mode (one process serves many
# connections) instead of one process per connection: the faster of its two modes.
""" + bc.dovecot_login_service("imap", (("imap", self.plain_port, False),
                                          ("imaps", self.port, True)), n)
                + f"""service imap {{
  process_limit = {n}
  client_limit = 1
}}
""")

    def wait_ready(self, alive):
        wait_for_imaps(self.port, 20, alive)


class Estafeta(bc.Estafeta):
    def allocate_ports(self):
        self.port, self.plain_port = bc.free_port(), bc.free_port()

    def protocol_config(self, n):
        return f"""
[auth]
# The plaintext listener below takes logins (for the TLS-overhead runs only).
allow_plaintext = true

[imap]
max_connections = {n}
max_connections_per_ip = {n}
max_connections_per_user = {n}

[tls]
certificate = "{self.cert}"
private_key = "{self.key}"

[listener.imaps]
address = "127.0.0.1"
port = {self.port}

[listener.imap]
address = "127.0.0.1"
port = {self.plain_port}
"""

    def wait_ready(self, alive):
        wait_for_imaps(self.port, 30, alive)


# --------------------------------------------------------------------------------------------
# Runs of imap_load

class Load:
    def __init__(self, exe, args):
        self.exe, self.args = exe, args

    def cmd(self, server, mode, *extra, plain=False):
        port = server.plain_port if plain else server.port
        return ([self.exe, "--mode", mode, "--port", str(port), "--domain", DOMAIN,
                 "--password", PASSWORD, "--seed", str(self.args.seed)] + (["--plain"] if plain else [])
                + [str(x) for x in extra])

    def run(self, server, mode, *extra, timeout=None, plain=False):
        """Runs imap_load to the end; returns (json result, CPU s of the server between the
        'start' and 'end' marks imap_load prints on stderr, or over the whole run without them),
        with peak memory of the server's processes. `plain`: over the plaintext listener."""
        return bc.run_load(self.cmd(server, mode, *extra, plain=plain), server, "imap_load", mode,
                           timeout or self.args.timeout)


def idle_memory(load, server, conns, users, threads, timeout):
    """Memory of the server's processes before and with `conns` connections in IDLE."""
    roots = server.roots()
    time.sleep(1.0)
    rss0, pss0 = memory_of(process_tree(roots))
    proc = subprocess.Popen(load.cmd(server, "idle", "--connections", conns, "--users", users,
                                     "--threads", threads),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = ""
        deadline = time.monotonic() + timeout
        # imap_load prints one line once every connection is up (or failed).
        while not line and time.monotonic() < deadline and proc.poll() is None:
            line = proc.stdout.readline()
        if not line:
            raise RunFailed(f"{server.name}: idle connections not up: {proc.stderr.read()[-500:]}")
        res = json.loads(line)
        time.sleep(2.0)  # let lazily freed buffers and hibernation settle
        tree = process_tree(server.roots())
        rss1, pss1 = memory_of(tree)
        res.update(rss_before=rss0, pss_before=pss0, rss_after=rss1, pss_after=pss1,
                   processes=len(tree))
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if res["up"] != conns:
        raise RunFailed(f"{server.name}: {res['up']}/{conns} idle connections up: {res['first_error']}")
    return res


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


def report(results, names, args):
    a, b = names
    R = results
    lines = []
    lines.append(f"| measure | {a} | {b} | ratio {a}/{b} |")
    lines.append("|---|---:|---:|---:|")

    def row(label, va, vb, spec):
        lines.append(f"| {label} | {f(va, spec)} | {f(vb, spec)} | {ratio(va, vb)} |")

    mix_a, mix_b = R["mix"].get(a, []), R["mix"].get(b, [])
    ops_a, ops_b = med(mix_a, "ops_per_s"), med(mix_b, "ops_per_s")
    for r in mix_a + mix_b:
        r["cpu_ms_per_op"] = r["server_cpu"] * 1000 / r["total_ops"] if r["total_ops"] else None
        r["ops_per_cpu_s"] = r["total_ops"] / r["server_cpu"] if r["server_cpu"] else None
    row(f"mix: operations/s ({args.users} clients)", ops_a, ops_b, ".0f")
    row("mix: server CPU ms per operation", med(mix_a, "cpu_ms_per_op"), med(mix_b, "cpu_ms_per_op"), ".3f")
    row("mix: operations per server CPU-second", med(mix_a, "ops_per_cpu_s"), med(mix_b, "ops_per_cpu_s"), ".0f")
    pl_a, pl_b = R["mix_plain"].get(a, []), R["mix_plain"].get(b, [])
    if pl_a or pl_b:
        for r in pl_a + pl_b:
            r["cpu_ms_per_op"] = r["server_cpu"] * 1000 / r["total_ops"] if r["total_ops"] else None
            r["ops_per_cpu_s"] = r["total_ops"] / r["server_cpu"] if r["server_cpu"] else None
        row("mix without TLS (plaintext login): operations per server CPU-second",
            med(pl_a, "ops_per_cpu_s"), med(pl_b, "ops_per_cpu_s"), ".0f")

        def overhead(tls, plain):
            t, p_ = med(tls, "cpu_ms_per_op"), med(plain, "cpu_ms_per_op")
            return 100 * (t / p_ - 1) if t and p_ else None
        row("mix: CPU per operation that TLS adds, %", overhead(mix_a, pl_a),
            overhead(mix_b, pl_b), ".1f")
    row("mix: peak RSS MiB", med(mix_a, "rss") and mib(med(mix_a, "rss")),
        med(mix_b, "rss") and mib(med(mix_b, "rss")), ".1f")
    row("mix: peak PSS MiB", med(mix_a, "pss") and mib(med(mix_a, "pss")),
        med(mix_b, "pss") and mib(med(mix_b, "pss")), ".1f")
    lg_a, lg_b = R["login"].get(a, []), R["login"].get(b, [])
    for r in lg_a + lg_b:
        r["cpu_ms_per_pair"] = r["server_cpu"] * 1000 / r["pairs"] if r["pairs"] else None
    row(f"TLS login+logout pairs/s ({args.login_threads} threads)", med(lg_a, "pairs_per_s"),
        med(lg_b, "pairs_per_s"), ".0f")
    row("login+logout: server CPU ms per pair", med(lg_a, "cpu_ms_per_pair"), med(lg_b, "cpu_ms_per_pair"), ".2f")
    se_a, se_b = R["search"].get(a, []), R["search"].get(b, [])
    row(f"UID SEARCH TEXT, {args.search_messages} messages: ms per search (median)",
        med(se_a, "median_ms"), med(se_b, "median_ms"), ".1f")
    for r in se_a + se_b:
        r["cpu_ms_per_search"] = r["server_cpu"] * 1000 / r["searches"]
    row("UID SEARCH TEXT: server CPU ms per search", med(se_a, "cpu_ms_per_search"),
        med(se_b, "cpu_ms_per_search"), ".1f")
    id_a, id_b = R["idle"].get(a), R["idle"].get(b)
    if id_a or id_b:
        def per(r, k):
            return (r[f"{k}_after"] - r[f"{k}_before"]) / r["up"] / 1024 if r else None
        row(f"{args.idle_connections} connections in IDLE: RSS KiB per connection",
            per(id_a, "rss"), per(id_b, "rss"), ".1f")
        row(f"{args.idle_connections} connections in IDLE: PSS KiB per connection",
            per(id_a, "pss"), per(id_b, "pss"), ".1f")
        row("IDLE: server processes with all connections up",
            id_a and id_a["processes"], id_b and id_b["processes"], "d")
    # Operations by kind (median operations/s).
    kinds = list((mix_a or mix_b)[0]["per_s"].keys()) if (mix_a or mix_b) else []
    lines2 = [f"| mix operation | {a} ops/s | {b} ops/s | ratio |", "|---|---:|---:|---:|"]
    for k in kinds:
        va = statistics.median(r["per_s"][k] for r in mix_a) if mix_a else None
        vb = statistics.median(r["per_s"][k] for r in mix_b) if mix_b else None
        lines2.append(f"| {k} | {f(va, '.1f')} | {f(vb, '.1f')} | {ratio(va, vb)} |")
    return "\n".join(lines) + "\n\n" + "\n".join(lines2)


# --------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--users", type=int, default=20, help="mix: clients, one user each")
    p.add_argument("--messages", type=int, default=500, help="messages filled per user")
    p.add_argument("--duration", type=float, default=15, help="seconds per mix run")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians reported")
    p.add_argument("--login-duration", type=float, default=8, help="seconds per login+logout run")
    p.add_argument("--login-threads", type=int, default=8, help="parallel login+logout loops")
    p.add_argument("--search-messages", type=int, default=10000,
                   help="messages in the SEARCH TEXT mailbox (0 = skip)")
    p.add_argument("--searches", type=int, default=6, help="UID SEARCH TEXT per run")
    p.add_argument("--idle-connections", type=int, default=1000,
                   help="connections parked in IDLE for the memory figure (0 = skip; the "
                        "issue's target is 10000)")
    p.add_argument("--mix-weights", default="",
                   help="imap_load --weights for every mix run, e.g. search_text=0 (experiments)")
    p.add_argument("--no-plain-mix", dest="plain_mix", action="store_false",
                   help="skip the mix over plaintext IMAP (what TLS adds)")
    p.add_argument("--per-op-duration", type=float, default=0,
                   help="after the table, one run of this many seconds per operation kind alone "
                        "on each server, printing server CPU ms per operation by kind (0 = skip)")
    p.add_argument("--fill-threads", type=int, default=4, help="parallel APPEND sessions when filling")
    p.add_argument("--seed", type=int, default=1, help="message generator and mix seed")
    p.add_argument("--servers", default="estafeta,dovecot", help="estafeta, dovecot or both")
    p.add_argument("--estafeta", help="estafeta binary to use as is (default: build/bench-release/"
                                      "src/cli/estafeta, brought up to date with ninja first)")
    p.add_argument("--estafeta-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra top-level line for Estafeta's config (experiments only)")
    p.add_argument("--imap-load", help="imap_load binary to use as is (default: build/bench-imap/"
                                       "bench/imap_load, built first)")
    p.add_argument("--no-build", action="store_true", help="do not run ninja")
    p.add_argument("--jobs", type=int, default=2, help="ninja -j when building")
    p.add_argument("--timeout", type=float, default=900, help="seconds one imap_load run may take")
    p.add_argument("--keep-tmp", action="store_true", help="keep the temporary directory")
    p.add_argument("--markdown", help="also write the table to this file")
    return p.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (may install dovecot-imapd, starts Dovecot)")
    wanted = [s.strip() for s in args.servers.split(",")]
    ensure_packages()
    exe = bc.find_or_build_estafeta(args) if "estafeta" in wanted else None
    load = Load(find_or_build_load(args), args)

    # The commit measured (taken now: others may commit while the benchmark runs).
    rev = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"], check=False).stdout.strip()
    dirty = run(["git", "-C", REPO, "status", "--porcelain", "--", "src", "CMakeLists.txt"],
                check=False).stdout.strip()
    rev += "+uncommitted changes" if dirty else ""
    users = [f"u{i}" for i in range(args.users)] + [BIG_USER]
    top = tempfile.mkdtemp(prefix="estafeta-imapbench-")
    os.chmod(top, 0o755)
    cert, key = make_certificate(top)
    servers = []
    max_conns = max(args.idle_connections, args.users, args.login_threads) + 10
    if "estafeta" in wanted:
        servers.append(Estafeta(top, users, cert, key, max_conns, exe, "\n".join(args.estafeta_set)))
    if "dovecot" in wanted:
        servers.append(Dovecot(top, users, cert, key, max_conns))
    names = ("Estafeta", "Dovecot")

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    results = {"mix": {}, "mix_plain": {}, "login": {}, "search": {}, "idle": {}}
    fills = {}
    per_op = {}
    ok = False
    load_before = os.getloadavg()[0]
    t_start = time.monotonic()
    try:
        for srv in servers:
            log(f"starting {srv.name}")
            srv.start()
            r = load.run(srv, "fill", "--users", args.users, "--messages", args.messages,
                         "--threads", args.fill_threads)
            fills[srv.name] = r
            log(f"{srv.name}: {r['appended']} messages APPENDed to {args.users} users in {r['seconds']:.1f} s")
            if args.search_messages:
                r = load.run(srv, "fill", "--user", f"{BIG_USER}@{DOMAIN}", "--messages",
                             args.search_messages)
                log(f"{srv.name}: {r['appended']} messages APPENDed to {BIG_USER} in {r['seconds']:.1f} s")
            # Warm-up: first SELECTs build caches and indexes on both sides; not measured.
            load.run(srv, "mix", "--users", args.users, "--duration", 3, "--weights", args.mix_weights)
        load_before = os.getloadavg()[0]
        log(f"load {load_before:.2f} on {os.cpu_count()} CPUs before the runs")
        for rep in range(args.repeat):
            order = servers if rep % 2 == 0 else list(reversed(servers))
            for srv in order:
                r = load.run(srv, "mix", "--users", args.users, "--duration", args.duration,
                             "--weights", args.mix_weights)
                results["mix"].setdefault(srv.name, []).append(r)
                log(f"rep {rep + 1}/{args.repeat} mix {srv.name}: {r['ops_per_s']:.0f} ops/s, "
                    f"CPU {r['server_cpu']:.2f} s ({r['server_cpu'] * 1000 / max(1, r['total_ops']):.3f} ms/op), "
                    f"RSS {mib(r['rss']):.1f} MiB, PSS {mib(r['pss']):.1f} MiB; imap_load CPU {r['load_cpu']:.2f} s")
            if args.plain_mix:
                for srv in order:
                    r = load.run(srv, "mix", "--users", args.users, "--duration", args.duration,
                                 "--weights", args.mix_weights, plain=True)
                    results["mix_plain"].setdefault(srv.name, []).append(r)
                    log(f"rep {rep + 1}/{args.repeat} plaintext mix {srv.name}: {r['ops_per_s']:.0f} ops/s, "
                        f"CPU {r['server_cpu']:.2f} s ({r['server_cpu'] * 1000 / max(1, r['total_ops']):.3f} ms/op)")
            for srv in order:
                r = load.run(srv, "login", "--users", args.users, "--threads", args.login_threads,
                             "--duration", args.login_duration)
                results["login"].setdefault(srv.name, []).append(r)
                log(f"rep {rep + 1}/{args.repeat} login {srv.name}: {r['pairs_per_s']:.0f} pairs/s, "
                    f"CPU {r['server_cpu']:.2f} s")
            if args.search_messages:
                for srv in order:
                    r = load.run(srv, "search", "--user", f"{BIG_USER}@{DOMAIN}", "--searches",
                                 args.searches)
                    results["search"].setdefault(srv.name, []).append(r)
                    log(f"rep {rep + 1}/{args.repeat} search {srv.name}: median {r['median_ms']:.1f} ms "
                        f"over {r['messages']} messages, CPU {r['server_cpu']:.2f} s")
        if args.per_op_duration:
            for kind in OP_KINDS:
                for srv in servers:
                    r = load.run(srv, "mix", "--users", args.users, "--duration",
                                 args.per_op_duration, "--weights", f"all=0,{kind}=1")
                    per_op.setdefault(kind, {})[srv.name] = r
                    log(f"{kind} alone, {srv.name}: {r['ops_per_s']:.0f} ops/s, "
                        f"{r['server_cpu'] * 1000 / max(1, r['total_ops']):.3f} CPU ms/op")
        if args.idle_connections:
            for srv in servers:
                r = idle_memory(load, srv, args.idle_connections, args.users, 8, args.timeout)
                results["idle"][srv.name] = r
                log(f"idle {srv.name}: {r['up']} up in {r['seconds']:.1f} s; RSS "
                    f"{mib(r['rss_before']):.1f} -> {mib(r['rss_after']):.1f} MiB, PSS "
                    f"{mib(r['pss_before']):.1f} -> {mib(r['pss_after']):.1f} MiB, {r['processes']} processes")
        ok = True
    except (RunFailed, RuntimeError, KeyboardInterrupt) as e:
        bc.log_failure(e, servers)
    finally:
        bc.clean_up(servers, top, args.keep_tmp)

    text = report(results, names, args)
    dv = run(["/usr/sbin/dovecot", "--version"], check=False).stdout.split(" ")[0].strip()
    header = (f"Estafeta {rev} (Release) vs Dovecot {dv}, Linux {os.uname().release}; "
              f"{args.users} users × {args.messages} messages, mix {args.duration:g} s × {args.repeat} "
              f"runs, medians; implicit TLS on 127.0.0.1; load average {load_before:.1f} before and "
              f"{os.getloadavg()[0]:.1f} after the runs on {os.cpu_count()} CPUs; "
              f"{time.monotonic() - t_start:.0f} s in all.")
    if per_op:
        a, b = names
        rows = [f"| operation alone | {a} ops/s | {b} ops/s | {a} CPU ms/op | {b} CPU ms/op | CPU ratio |",
                "|---|---:|---:|---:|---:|---:|"]
        for kind, rs in per_op.items():
            ra, rb = rs.get(a), rs.get(b)
            ca = ra and ra["total_ops"] and ra["server_cpu"] * 1000 / ra["total_ops"]
            cb = rb and rb["total_ops"] and rb["server_cpu"] * 1000 / rb["total_ops"]
            rows.append(f"| {kind} | {f(ra and ra['ops_per_s'], '.0f')} | {f(rb and rb['ops_per_s'], '.0f')} "
                        f"| {f(ca, '.3f')} | {f(cb, '.3f')} | {ratio(ca, cb)} |")
        text += "\n\n" + "\n".join(rows)
    print(header)
    print()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(header + "\n\n" + text + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
