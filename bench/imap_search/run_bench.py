#!/usr/bin/env python3
"""IMAP SEARCH, SORT and THREAD on a 100,000-message mailbox: Estafeta against Dovecot.

Generates (once, cached) a realistic mailbox (bench/imap_search/corpus.py), loads the same
Maildir files into a private Estafeta (`estafeta index rebuild`, plus its full-text index) and
into two private Dovecot 2.3 instances, one without an FTS plugin and one with Debian's
dovecot-fts-xapian (`doveadm index`), timing the indexing and measuring the size of each
server's index files. Then it runs UID SEARCH TEXT/BODY/SUBJECT/FUZZY, UID SORT (ARRIVAL, DATE,
SUBJECT, FROM) and UID THREAD REFERENCES on each server over plaintext IMAP on 127.0.0.1: one
warm-up, then --repeat timed runs per query and server (servers interleaved), printing the
median latency seen by the client, the server CPU per operation (from /proc of the server's
process tree), the Estafeta / Dovecot ratios per server CPU-second and the issue's targets.
It also maps each server's UIDs back to the generated messages and warns when two servers'
answers to the same query differ. Capabilities a server does not advertise are skipped
("not advertised").

Everything it starts it stops again by PID (or `dovecot stop` on its own configuration), also on
failure or Ctrl-C; its run directory is removed unless --keep-tmp (the generated corpus is kept
for the next run). It never touches a system Dovecot. See bench/imap_search/README.md. Python 3
standard library only; run as root (it may install dovecot-imapd and dovecot-fts-xapian,
starts Dovecot, which drops to the user `mail`, and runs Estafeta as `mail`).
"""

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, HERE)
import bench_common as bc  # noqa: E402
import corpus  # noqa: E402

DOMAIN, PASSWORD = bc.DOMAIN, bc.PASSWORD
USER = "big"
ADDRESS = f"{USER}@{DOMAIN}"
log, run = bc.log, bc.run
RunFailed = bc.RunFailed
XAPIAN_PLUGIN = "/usr/lib/dovecot/modules/lib21_fts_xapian_plugin.so"
SERVER_KEYS = ("estafeta", "dovecot", "dovecot-xapian")
NAMES = {"estafeta": "Estafeta", "dovecot": "Dovecot", "dovecot-xapian": "Dovecot+Xapian"}


def ensure_packages():
    bc.ensure_packages((("dovecot-core", "/usr/sbin/dovecot"),
                        ("dovecot-imapd", "/usr/lib/dovecot/imap"),
                        ("dovecot-fts-xapian", XAPIAN_PLUGIN)))


# --------------------------------------------------------------------------------------------
# The corpus, generated once per (count, seed, generator version) and kept under --workdir

def corpus_dir(args):
    d = os.path.join(args.workdir, f"corpus-{args.messages}-s{args.seed}-v{corpus.VERSION}")
    meta = os.path.join(d, "corpus.json")
    if os.path.exists(meta):
        with open(meta) as f:
            m = json.load(f)
        if m.get("picks") != corpus.PICKS:
            log(f"choosing the searched words of {d} again")
            m = corpus.generate(d, args.messages, args.seed, write=False)
        log(f"corpus: {m['count']} messages in {d} (cached)")
        return d, m
    tmp = d + ".partial"     # an interrupted generation's files are kept and checked
    log(f"generating {args.messages} messages into {d}")
    m = corpus.generate(tmp, args.messages, args.seed)
    pw = pwd.getpwnam(bc.MAIL_USER)
    for root, dirs, files in os.walk(tmp):
        for n in dirs + files:
            os.chown(os.path.join(root, n), pw.pw_uid, pw.pw_gid)
    os.rename(tmp, d)
    log(f"corpus: {m['count']} messages, {m['bytes'] / 1e6:.0f} MB, made in {m['seconds']:.0f} s")
    return d, m


def link_messages(src, dst_maildir):
    """Hard-links the corpus's cur/ files into dst_maildir/cur (same file system: the servers
    only rename files, never write into them)."""
    pw = pwd.getpwnam(bc.MAIL_USER)
    for d in ("cur", "new", "tmp"):
        bc.mkdir_owned(os.path.join(dst_maildir, d), bc.MAIL_USER, 0o700)
    scur, dcur = os.path.join(src, "cur"), os.path.join(dst_maildir, "cur")
    n = 0
    for name in os.listdir(scur):
        os.link(os.path.join(scur, name), os.path.join(dcur, name))
        n += 1
    os.chown(dst_maildir, pw.pw_uid, pw.pw_gid)
    return n


def index_bytes(root):
    """Bytes of every file under `root` that is not a message (Maildir cur/ new/ tmp/ entries):
    indexes, caches, full-text indexes, state files."""
    total = 0
    for d, dirs, files in os.walk(root):
        if os.path.basename(d) in ("cur", "new", "tmp"):
            continue
        for n in files:
            try:
                total += os.lstat(os.path.join(d, n)).st_size
            except OSError:
                pass
    return total


# --------------------------------------------------------------------------------------------
# The servers: plaintext IMAP on 127.0.0.1 (`port`), one user `big`.

class Dovecot(bc.Dovecot):
    label = "IMAP search/sort/thread"
    script = "bench/imap_search/run_bench.py"
    instance = "imapsearch"
    ssl = "yes"

    def __init__(self, top, cert, key, key_name, xapian, kept_mail=None):
        super().__init__(top, [USER], cert, key, 20, subdir=key_name)
        self.ident, self.name, self.xapian = key_name, NAMES[key_name], xapian
        if kept_mail:
            # The loaded and indexed mail outlives the run (see load()).
            self.mail_dir = kept_mail
        self.kept = bool(kept_mail)
        self.home = os.path.join(self.mail_dir, DOMAIN, USER)
        self.maildir = os.path.join(self.home, "Maildir")
        self.stamp = os.path.join(self.mail_dir, "load.json")

    def extra_settings(self):
        s = "disable_plaintext_auth = no\n"
        if self.xapian:
            s += """mail_plugins = $mail_plugins fts fts_xapian
plugin {
  fts = xapian
  fts_xapian = partial=3 full=20 verbose=0
  fts_autoindex = yes
  fts_enforced = yes
}
service indexer-worker {
  vsz_limit = 0
}
"""
        return s

    def protocol_config(self, n):
        return (f"protocol imap {{\n  mail_max_userip_connections = {n}\n}}\n"
                + bc.dovecot_login_service("imap", (("imap", self.port, False), ("imaps", 0, True)), n))

    def wait_ready(self, alive):
        bc.wait_for_greeting(self.port, 20, alive, False, b"* OK", b"a LOGOUT\r\n")

    def load(self, src):
        """Links the corpus into the user's Maildir and runs `doveadm index` (timed). With kept
        mail (--keep-xapian), a home that an earlier run loaded and indexed completely (its
        load.json) is used as it is, with that run's indexing figures."""
        if self.kept and os.path.exists(self.stamp):
            with open(self.stamp) as f:
                r = json.load(f)
            r["reused"] = True
            log(f"{self.name}: reusing the mailbox indexed at {r['when']} in {self.mail_dir}")
            return r
        if self.kept:
            shutil.rmtree(self.mail_dir, ignore_errors=True)
        bc.mkdir_owned(self.mail_dir, bc.MAIL_USER)
        bc.mkdir_owned(os.path.join(self.mail_dir, DOMAIN), bc.MAIL_USER)
        bc.mkdir_owned(self.home, bc.MAIL_USER, 0o700)
        n = link_messages(src, self.maildir)
        t0 = time.monotonic()
        ru0 = os.times()
        run(["/usr/bin/doveadm", "-c", self.conf, "index", "-u", ADDRESS, "INBOX"])
        ru1 = os.times()
        secs = time.monotonic() - t0
        r = {"messages": n, "seconds": secs,
             "cpu": (ru1.children_user + ru1.children_system) - (ru0.children_user + ru0.children_system),
             "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
        if self.kept:
            with open(self.stamp, "w") as f:
                json.dump(r, f)
        return r

    def index_bytes(self):
        return index_bytes(self.home)


class Estafeta(bc.Estafeta):
    label = "IMAP search/sort/thread"
    script = "bench/imap_search/run_bench.py"

    def __init__(self, top, cert, key, exe, extra_config):
        super().__init__(top, [USER], cert, key, 20, exe, extra_config)
        self.ident, self.name = "estafeta", "Estafeta"
        self.home = os.path.join(self.data, "mail", DOMAIN, USER)

    def protocol_config(self, n):
        return f"""
[auth]
# Plaintext logins on loopback: the benchmark measures search, not TLS.
allow_plaintext = true

[imap]
max_connections = {n}

[tls]
certificate = "{self.cert}"
private_key = "{self.key}"

[listener.imap]
address = "127.0.0.1"
port = {self.port}
"""

    def wait_ready(self, alive):
        bc.wait_for_greeting(self.port, 30, alive, False, b"* OK", b"a LOGOUT\r\n")

    def load(self, src):
        """Makes the account (empty), links the corpus into its Maildir and runs
        `estafeta index rebuild` (timed), before the server starts."""
        self._cli(["mailbox", "list", ADDRESS])
        n = link_messages(src, self.home)
        t0 = time.monotonic()
        ru0 = os.times()
        self._cli(["index", "rebuild", ADDRESS])
        secs = time.monotonic() - t0
        # The full-text index: `index rebuild` fills it too; `index fulltext` indexes whatever
        # is still missing and prints "fulltext index of U: N of M messages, S bytes (...)".
        t1 = time.monotonic()
        rc, out = self._cli_out(["index", "fulltext", ADDRESS])
        ft_secs = time.monotonic() - t1
        ru1 = os.times()
        r = {"messages": n, "seconds": secs + (ft_secs if rc == 0 else 0), "rebuild_seconds": secs,
             "cpu": (ru1.children_user + ru1.children_system) - (ru0.children_user + ru0.children_system)}
        if rc == 0:
            r["fulltext_seconds"] = ft_secs
            r["fulltext"] = out.strip().splitlines()[-1] if out.strip() else ""
            log(f"Estafeta: index fulltext {ft_secs:.1f} s: {r['fulltext']}")
        else:
            r["fulltext"] = None
            log(f"Estafeta: no full-text index (`estafeta index fulltext`: {out.strip()[:200]})")
        return r

    def _cli_out(self, argv):
        preexec, env = self._as_mail_user()
        p = subprocess.run([self.exe, "-c", self.conf] + argv, text=True, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, preexec_fn=preexec, env=env, cwd=self.dir)
        return p.returncode, p.stdout

    def index_bytes(self):
        return index_bytes(self.home)


def start_estafeta(srv):
    """bc.Estafeta.start() without serving (provisioning and config only), so that the Maildir
    can be loaded first; serve() then starts the server."""
    srv.allocate_ports()
    bc.mkdir_owned(srv.dir, bc.MAIL_USER)
    bc.mkdir_owned(srv.data, bc.MAIL_USER, 0o750)
    conf = f"""# Private Estafeta for the {srv.label} benchmark (generated by {srv.script}).
data_dir = "{srv.data}"
hostname = "{DOMAIN}"
log_level = "warn"
{srv.extra_config}
{srv.protocol_config(srv.max_conns + 100)}"""
    with open(srv.conf, "w") as f:
        f.write(conf)
    srv._cli(["domain", "add", DOMAIN])
    srv._cli(["user", "add", ADDRESS, "--hash", bc.yescrypt(PASSWORD)])
    srv.provisioned = True


def serve_estafeta(srv):
    preexec, env = srv._as_mail_user()
    srv.log_file = open(os.path.join(srv.dir, "estafeta.log"), "a")
    srv.proc = subprocess.Popen([srv.exe, "-c", srv.conf, "serve"], stdin=subprocess.DEVNULL,
                                stdout=srv.log_file, stderr=subprocess.STDOUT,
                                preexec_fn=preexec, env=env, cwd=srv.dir)
    srv.wait_ready(lambda: srv.proc.poll() is None)


# --------------------------------------------------------------------------------------------
# A small IMAP client (plaintext, blocking, literals understood)

class Imap:
    def __init__(self, port, timeout):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.pos = 0
        self.n = 0
        greeting = self._line()
        if not greeting.startswith(b"* OK"):
            raise RunFailed(f"greeting: {greeting[:200]!r}")

    def _fill(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise RunFailed("connection closed by the server")
        if self.pos > (1 << 20):
            del self.buf[:self.pos]
            self.pos = 0
        self.buf += data

    def _line(self):
        """One response line with its literals inline (bytes, without the final CRLF)."""
        out = []
        while True:
            i = self.buf.find(b"\r\n", self.pos)
            while i < 0:
                self._fill()
                i = self.buf.find(b"\r\n", self.pos)
            part = bytes(self.buf[self.pos:i])
            self.pos = i + 2
            m = re.search(rb"\{(\d+)\+?\}$", part)
            if not m:
                out.append(part)
                return b"".join(out)
            out.append(part)
            size = int(m.group(1))
            while len(self.buf) - self.pos < size:
                self._fill()
            out.append(b"\r\n" + bytes(self.buf[self.pos:self.pos + size]))
            self.pos += size

    def command(self, text):
        """Sends one command; returns (untagged lines, tagged status line)."""
        self.n += 1
        tag = f"b{self.n}".encode()
        self.sock.sendall(tag + b" " + text.encode() + b"\r\n")
        lines = []
        while True:
            line = self._line()
            if line.startswith(tag + b" "):
                return lines, line[len(tag) + 1:]
            lines.append(line)

    def ok(self, text):
        lines, status = self.command(text)
        if not status.startswith(b"OK"):
            raise RunFailed(f"{text[:80]}: {status[:300]!r}")
        return lines

    def close(self):
        try:
            self.command("LOGOUT")
        except (OSError, RunFailed):
            pass
        self.sock.close()


def login(port, timeout):
    c = Imap(port, timeout)
    c.ok(f'LOGIN "{ADDRESS}" "{PASSWORD}"')
    caps = set()
    for line in c.ok("CAPABILITY"):
        if line.startswith(b"* CAPABILITY "):
            caps.update(line.decode().split()[2:])
    c.ok("SELECT INBOX")
    return c, caps


def uid_map(c):
    """UID -> generated message number (X-Bench-Seq) of every message in the mailbox."""
    out = {}
    for line in c.ok("UID FETCH 1:* (UID BODY.PEEK[HEADER.FIELDS (X-Bench-Seq)])"):
        m = re.search(rb"UID (\d+)", line)
        s = re.search(rb"X-Bench-Seq: *(\d+)", line, re.I)
        if m and s:
            out[int(m.group(1))] = int(s.group(1))
    return out


# --------------------------------------------------------------------------------------------
# The queries

def queries(meta):
    """(key, label, command, capability needed or None, kind)."""
    q = [
        ("text_rare", f'SEARCH TEXT "{meta["rare"]}" (rare)', f'UID SEARCH TEXT "{meta["rare"]}"', None, "search"),
        ("text_common", f'SEARCH TEXT "{meta["common"]}" (common)', f'UID SEARCH TEXT "{meta["common"]}"', None, "search"),
        ("body", f'SEARCH BODY "{meta["body"]}"', f'UID SEARCH BODY "{meta["body"]}"', None, "search"),
        ("subject", f'SEARCH SUBJECT "{meta["subject"]}"', f'UID SEARCH SUBJECT "{meta["subject"]}"', None, "search"),
        ("fuzzy", f'SEARCH FUZZY TEXT "{meta["fuzzy"]}" (typo of {meta["fuzzy_of"]})',
         f'UID SEARCH FUZZY TEXT "{meta["fuzzy"]}"', "SEARCH=FUZZY", "search"),
        ("sort_arrival", "SORT (ARRIVAL)", "UID SORT (ARRIVAL) UTF-8 ALL", "SORT", "sort"),
        ("sort_date", "SORT (DATE)", "UID SORT (DATE) UTF-8 ALL", "SORT", "sort"),
        ("sort_subject", "SORT (SUBJECT)", "UID SORT (SUBJECT) UTF-8 ALL", "SORT", "sort"),
        ("sort_from", "SORT (FROM)", "UID SORT (FROM) UTF-8 ALL", "SORT", "sort"),
        ("thread", "THREAD=REFERENCES", "UID THREAD REFERENCES UTF-8 ALL", "THREAD=REFERENCES", "thread"),
    ]
    return q


def parse_result(kind, lines, uids):
    """(count, canonical form for comparing servers) of a SEARCH, SORT or THREAD answer, with
    UIDs mapped to message numbers through `uids`."""
    word = {"search": b"* SEARCH", "sort": b"* SORT", "thread": b"* THREAD"}[kind]
    body = b""
    for line in lines:
        if line.startswith(word):
            body = line[len(word):]
            break
    if kind == "search":
        seqs = sorted(uids.get(int(x), -int(x)) for x in body.split())
        return len(seqs), seqs
    if kind == "sort":
        seqs = [uids.get(int(x), -int(x)) for x in body.split()]
        return len(seqs), seqs
    text = re.sub(rb"\d+", lambda m: str(uids.get(int(m.group()), -int(m.group()))).encode(), body.strip())
    threads, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == 0x28:
            if depth == 0:
                start = i
            depth += 1
        elif ch == 0x29:
            depth -= 1
            if depth == 0:
                threads.append(text[start:i + 1].decode())
    return len(threads), threads


def compare(kind, a, b):
    """A short description of how canonical results a and b differ, or None when equal."""
    if a == b:
        return None
    if kind == "search":
        sa, sb = set(a), set(b)
        return (f"{len(sa - sb)} only in the first ({sorted(sa - sb)[:8]}), "
                f"{len(sb - sa)} only in the second ({sorted(sb - sa)[:8]})")
    if kind == "sort":
        if len(a) != len(b):
            return f"lengths {len(a)} and {len(b)}"
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        i = diff[0]
        return (f"{len(diff)} positions differ, first at {i}: ...{a[max(0, i - 2):i + 3]} vs "
                f"...{b[max(0, i - 2):i + 3]}")
    sa, sb = set(a), set(b)
    oa, ob = sorted(sa - sb, key=len), sorted(sb - sa, key=len)
    out = f"{len(oa)} threads only in the first, {len(ob)} only in the second"
    if oa or ob:
        out += f"; e.g. {oa[:1]} vs {ob[:1]}"
    elif len(a) == len(b):
        out += " (same threads, other order)"
    return out


def start_perf(srv, path):
    """`perf record -g` of the server's processes into `path` (None when perf is missing)."""
    pids = ",".join(str(p) for p in bc.process_tree(srv.roots()))
    try:
        p = subprocess.Popen(["perf", "record", "-g", "-q", "-o", path, "-p", pids],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    except OSError:
        return None
    time.sleep(0.5)
    return p


def stop_perf(p, path):
    """Stops perf record and writes the top of its flat profile to path + '.txt'."""
    p.send_signal(signal.SIGINT)
    try:
        p.wait(60)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    with open(path + ".txt", "w") as out:
        subprocess.run(["perf", "report", "-i", path, "--no-children", "--stdio", "-g", "none",
                        "--percent-limit", "1"], stdout=out, stderr=subprocess.DEVNULL)
        out.write("\n\n# callers (children view)\n")
        out.flush()
        subprocess.run(["perf", "report", "-i", path, "--children", "--stdio", "-g", "none",
                        "--percent-limit", "5"], stdout=out, stderr=subprocess.DEVNULL)


def measure(c, srv, cmd, kind, uids, repeat, min_seconds, timeout, perf_path=None):
    """One warm-up, then `repeat` runs (more while they add up to less than min_seconds, at
    most 50): median wall ms, server CPU ms per run (total over the runs / runs), result.
    With perf_path, the timed runs are profiled (perf record -g) into that file."""
    t0 = time.monotonic()
    lines, status = c.command(cmd)
    warm = time.monotonic() - t0
    if not status.startswith(b"OK"):
        return {"error": status.decode(errors="replace")[:200]}
    count, canon = parse_result(kind, lines, uids)
    walls = []
    roots = srv.roots()
    perf = start_perf(srv, perf_path) if perf_path else None
    cpu0 = bc.cpu_seconds(roots)
    total = 0.0
    while len(walls) < repeat or (total < min_seconds and len(walls) < 50):
        t = time.monotonic()
        lines, status = c.command(cmd)
        w = time.monotonic() - t
        if not status.startswith(b"OK"):
            return {"error": status.decode(errors="replace")[:200]}
        walls.append(w * 1000)
        total += w
        if total > timeout:
            break
    cpu = bc.cpu_seconds(roots) - cpu0
    if perf:
        stop_perf(perf, perf_path)
    n2, _ = parse_result(kind, lines, uids)
    return {"median_ms": statistics.median(walls), "runs": len(walls), "walls": walls,
            "cpu_ms": cpu * 1000 / len(walls), "count": count, "count_last": n2,
            "warmup_ms": warm * 1000, "canon": canon}


# --------------------------------------------------------------------------------------------
# Report

def fmt(v, spec):
    return "n/a" if v is None else format(v, spec)


def report(results, loads, sizes, meta, order, note_missing):
    names = [NAMES[k] for k in order]
    lines = []
    hdr = "| query | " + " | ".join(f"{n} matches" for n in names) + " | " + \
        " | ".join(f"{n} ms (median)" for n in names) + " | " + \
        " | ".join(f"{n} CPU ms/op" for n in names)
    others = [k for k in order if k != "estafeta"]
    if "estafeta" in order:
        hdr += " | " + " | ".join(f"Estafeta/{NAMES[k]} per CPU-s" for k in others)
    lines.append(hdr + " |")
    lines.append("|---" * (hdr.count("|")) + "|")
    for key, label, _cmd, _cap, _kind in queries(meta):
        if key not in results:
            continue
        r = results[key]

        def cell(k, what, spec):
            x = r.get(k)
            if x is None:
                return "n/a"
            if "skipped" in x:
                return x["skipped"]
            if "error" in x:
                return "error"
            return fmt(x[what], spec) + (" (not advertised)" if x.get("unadvertised") and what == "count" else "")
        row = f"| {label} | " + " | ".join(cell(k, "count", "d") for k in order) + " | " + \
            " | ".join(cell(k, "median_ms", ".1f") for k in order) + " | " + \
            " | ".join(cell(k, "cpu_ms", ".1f") for k in order)
        if "estafeta" in order:
            e = r.get("estafeta", {})
            for k in others:
                d = r.get(k, {})
                if e.get("cpu_ms") and d.get("cpu_ms"):
                    row += f" | {d['cpu_ms'] / e['cpu_ms']:.2f}×"
                else:
                    row += " | n/a"
        lines.append(row + " |")
    lines.append("")
    lines.append("| loading | " + " | ".join(names) + " |")
    lines.append("|---" * (len(names) + 1) + "|")
    lines.append("| indexing: seconds (wall) | " + " | ".join(
        fmt(loads.get(k, {}).get("seconds"), ".1f") for k in order) + " |")
    if loads.get("estafeta", {}).get("fulltext") is not None:
        lines.append("| of which `estafeta index fulltext` after `index rebuild`, seconds | " + " | ".join(
            fmt(loads[k].get("fulltext_seconds"), ".1f") if k == "estafeta" else "" for k in order) + " |")
    lines.append("| indexing: messages/s | " + " | ".join(
        fmt(loads[k]["messages"] / loads[k]["seconds"] if loads.get(k) else None, ".0f") for k in order) + " |")
    lines.append("| indexing: CPU s (indexing commands + server) | " + " | ".join(
        fmt(loads.get(k, {}).get("cpu"), ".1f") for k in order) + " |")
    lines.append("| index size: bytes per message | " + " | ".join(
        fmt(sizes[k] / meta["count"] if k in sizes else None, ".0f") for k in order) + " |")
    lines.append("| index size: MB in all | " + " | ".join(
        fmt(sizes[k] / 1e6 if k in sizes else None, ".1f") for k in order) + " |")
    if loads.get("estafeta", {}).get("fulltext"):
        lines.append(f"\nEstafeta's full-text index after loading: {loads['estafeta']['fulltext']}")
    for k in order:
        if loads.get(k, {}).get("reused"):
            lines.append(f"\n{NAMES[k]}: mailbox loaded and indexed at {loads[k]['when']} "
                         "(--keep-xapian) and reused in this run; its indexing figures are that run's.")
    # Targets.
    tg = []
    if "estafeta" in order:
        for key in ("text_rare", "text_common", "fuzzy"):
            if key not in results:
                continue
            e = results[key].get("estafeta", {})
            if "median_ms" in e:
                ok = e["median_ms"] <= 50
                tg.append(f"- {key}: Estafeta median {e['median_ms']:.1f} ms — target ≤ 50 ms "
                          + ("met" if ok else f"MISSED by {e['median_ms'] - 50:.1f} ms"))
            else:
                tg.append(f"- {key}: Estafeta {e.get('skipped') or e.get('error') or 'not run'} — target ≤ 50 ms not measurable")
        for key in ("sort_arrival", "sort_date", "sort_subject", "sort_from", "thread"):
            if key not in results:
                continue
            e = results[key].get("estafeta", {})
            for k in others:
                d = results.get(key, {}).get(k, {})
                if e.get("cpu_ms") and d.get("cpu_ms"):
                    x = d["cpu_ms"] / e["cpu_ms"]
                    tg.append(f"- {key} vs {NAMES[k]}: {x:.2f}× per server CPU-second — target ≥ 3× "
                              + ("met" if x >= 3 else f"MISSED ({x / 3:.0%} of the target)"))
                else:
                    why = e.get("skipped") or e.get("error") or d.get("error") or "not run"
                    tg.append(f"- {key} vs {NAMES[k]}: n/a ({why})")
    out = "\n".join(lines)
    if tg:
        out += "\n\nTargets:\n" + "\n".join(tg)
    if note_missing:
        out += "\n\nDifferences between servers:\n" + "\n".join(f"- {w}" for w in note_missing)
    return out


# --------------------------------------------------------------------------------------------

def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--messages", type=int, default=100000, help="messages in the mailbox")
    p.add_argument("--seed", type=int, default=1, help="corpus generator seed")
    p.add_argument("--repeat", type=int, default=5,
                   help="timed runs per query and server after one warm-up (medians reported)")
    p.add_argument("--min-seconds", type=float, default=1.0,
                   help="keep repeating a fast query until its runs add up to this (at most 50 "
                        "runs), so that CPU per operation is not rounded to a 10 ms tick")
    p.add_argument("--servers", default=",".join(SERVER_KEYS),
                   help="comma-separated: estafeta, dovecot (no FTS plugin), dovecot-xapian")
    p.add_argument("--queries", default="", help="comma-separated query keys to run (default all): "
                   + ", ".join(q[0] for q in queries({"rare": "", "common": "", "body": "", "subject": "",
                                                      "fuzzy": "", "fuzzy_of": ""})))
    p.add_argument("--workdir", default="/var/tmp/estafeta-imapsearch",
                   help="where the generated corpus is kept between runs and the run directory is made")
    p.add_argument("--estafeta", help="estafeta binary to use as is (default: build/bench/src/cli/"
                                      "estafeta, brought up to date with ninja first)")
    p.add_argument("--estafeta-rev", help="what to call the Estafeta measured in the report (default: "
                                          "this checkout's commit)")
    p.add_argument("--build-dir", default=os.path.join(REPO, "build", "bench"),
                   help="Release build directory for estafeta (default build/bench, the `bench` preset)")
    p.add_argument("--estafeta-set", action="append", default=[], metavar="KEY=VALUE",
                   help="extra top-level line for Estafeta's config (experiments only)")
    p.add_argument("--no-build", action="store_true", help="do not run ninja")
    p.add_argument("--jobs", type=int, default=2, help="ninja -j when building")
    p.add_argument("--timeout", type=float, default=600, help="seconds one IMAP command may take")
    p.add_argument("--keep-xapian", action="store_true",
                   help="keep Dovecot+Xapian's loaded and indexed mailbox under --workdir and use it "
                        "again in later runs (with the indexing figures of the run that made it): "
                        "fts-xapian 1.5.5 indexes about 40 messages per CPU-second")
    p.add_argument("--reuse-json", metavar="FILE",
                   help="take the figures of the servers not in --servers from this --json file of an "
                        "earlier run on the same corpus (said so in the report); their answers are "
                        "still compared with this run's")
    p.add_argument("--load-only", action="store_true", help="load and index, then stop (no queries)")
    p.add_argument("--keep-tmp", action="store_true", help="keep the run directory (configs, logs, mail)")
    p.add_argument("--hold", action="store_true",
                   help="after measuring, keep the servers running until Enter (for perf record -p PID)")
    p.add_argument("--perf", default="", metavar="SERVERS",
                   help="profile the timed runs of these servers (comma-separated keys, or all) with "
                        "perf record -g; the profiles and their flat summaries (.txt) go to --perf-dir "
                        "(perf adds a few %% of CPU to the measured figures)")
    p.add_argument("--perf-dir", default="/var/tmp/estafeta-imapsearch/perf",
                   help="where --perf writes <server>-<query>.perf and .perf.txt")
    p.add_argument("--markdown", help="also write the report to this file")
    p.add_argument("--json", help="also write the raw results to this file")
    return p.parse_args()


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("run as root (may install Dovecot packages, starts Dovecot)")
    wanted = [s.strip() for s in args.servers.split(",") if s.strip()]
    for w in wanted:
        if w not in SERVER_KEYS:
            sys.exit(f"unknown server {w!r}; choose from {', '.join(SERVER_KEYS)}")
    order = [k for k in SERVER_KEYS if k in wanted]
    ensure_packages()
    exe = None
    if "estafeta" in wanted:
        exe = bc.find_or_build_estafeta(args, args.build_dir)
    rev = args.estafeta_rev or bc.estafeta_revision()
    os.makedirs(args.workdir, exist_ok=True)
    os.chmod(args.workdir, 0o755)
    src, meta = corpus_dir(args)
    reused = {}
    if args.reuse_json:
        with open(args.reuse_json) as f:
            reused = json.load(f)
        if reused["meta"]["count"] != meta["count"] or reused["meta"]["rare"] != meta["rare"]:
            sys.exit(f"{args.reuse_json} is of another corpus")
    top = tempfile.mkdtemp(prefix="run-", dir=args.workdir)
    os.chmod(top, 0o755)
    cert, key = bc.make_certificate(top)
    servers = {}
    if "estafeta" in wanted:
        servers["estafeta"] = Estafeta(top, cert, key, exe, "\n".join(args.estafeta_set))
    if "dovecot" in wanted:
        servers["dovecot"] = Dovecot(top, cert, key, "dovecot", False)
    if "dovecot-xapian" in wanted:
        kept = None
        if args.keep_xapian:
            kept = os.path.join(args.workdir, os.path.basename(src) + "-dovecot-xapian")
        servers["dovecot-xapian"] = Dovecot(top, cert, key, "dovecot-xapian", True, kept)

    def on_signal(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, on_signal)
    started = []
    loads, sizes, results, diffs, caps_of = {}, {}, {}, [], {}
    ok = False
    t_start = time.monotonic()
    load_before = os.getloadavg()[0]
    clients = {}
    selected = [q for q in queries(meta) if not args.queries or q[0] in args.queries.split(",")]
    try:
        for k in order:
            srv = servers[k]
            log(f"loading {meta['count']} messages into {srv.name}")
            if k == "estafeta":
                start_estafeta(srv)
                started.append(srv)
                loads[k] = srv.load(src)
                log(f"{srv.name}: index rebuild {loads[k]['rebuild_seconds']:.1f} s, in all "
                    f"{loads[k]['seconds']:.1f} s ({loads[k]['messages'] / loads[k]['seconds']:.0f} messages/s)")
                serve_estafeta(srv)
            else:
                srv.start()
                started.append(srv)
                cpu0 = bc.cpu_seconds(srv.roots())
                loads[k] = srv.load(src)
                if not loads[k].get("reused"):
                    loads[k]["cpu"] += bc.cpu_seconds(srv.roots()) - cpu0
                log(f"{srv.name}: doveadm index {loads[k]['seconds']:.1f} s "
                    f"({loads[k]['messages'] / loads[k]['seconds']:.0f} messages/s)")
        if args.load_only:
            selected = []
        uids = {}
        for k in ([] if args.load_only else order):
            c, caps = login(servers[k].port, args.timeout)
            clients[k], caps_of[k] = c, caps
            uids[k] = uid_map(c)
            log(f"{NAMES[k]}: {len(uids[k])} messages; capabilities: "
                + " ".join(x for x in sorted(caps) if x.split("=")[0] in ("SORT", "THREAD", "SEARCH", "ESORT")))
            if len(uids[k]) != meta["count"]:
                diffs.append(f"{NAMES[k]} has {len(uids[k])} messages, not {meta['count']}")
        load_before = os.getloadavg()[0]
        for qkey, label, cmd, cap, kind in selected:
            results[qkey] = {}
            for k in order:
                if cap == "SEARCH=FUZZY" and k == "dovecot-xapian" and cap not in caps_of[k]:
                    # Dovecot 2.3 advertises SEARCH=FUZZY only for FTS backends that declare fuzzy
                    # matching (Solr, Lucene), not fts-xapian, but it accepts the FUZZY key and
                    # hands it to the backend like any other text search: measured, marked.
                    log(f"{label}: {NAMES[k]}: {cap} not advertised; run anyway")
                elif cap and cap not in caps_of[k]:
                    results[qkey][k] = {"skipped": "not advertised"}
                    log(f"{label}: {NAMES[k]}: {cap} not advertised, skipped")
                    continue
                perf_path = None
                if args.perf and (k in args.perf.split(",") or args.perf == "all"):
                    os.makedirs(args.perf_dir, exist_ok=True)
                    perf_path = os.path.join(args.perf_dir, f"{k}-{qkey}.perf")
                r = measure(clients[k], servers[k], cmd, kind, uids[k], args.repeat,
                            args.min_seconds, args.timeout, perf_path)
                if cap and cap not in caps_of[k]:
                    r["unadvertised"] = True
                results[qkey][k] = r
                if "error" in r:
                    log(f"{label}: {NAMES[k]}: {r['error']}")
                    continue
                log(f"{label}: {NAMES[k]}: {r['count']} matches, median {r['median_ms']:.1f} ms "
                    f"over {r['runs']} runs, server CPU {r['cpu_ms']:.1f} ms/op (warm-up {r['warmup_ms']:.0f} ms)")
            for k, r in reused.get("results", {}).get(qkey, {}).items():
                if k not in order:
                    results[qkey][k] = r
            got = [(k, results[qkey][k]) for k in SERVER_KEYS
                   if k in results[qkey] and "canon" in results[qkey][k]]
            for (ka, ra), (kb, rb) in zip(got[:1] * len(got), got[1:]):
                d = compare(kind, ra["canon"], rb["canon"])
                if d:
                    w = f"{label}: {NAMES[ka]} and {NAMES[kb]} differ: {d}"
                    diffs.append(w)
                    log("WARNING " + w)
        for k in order:
            sizes[k] = servers[k].index_bytes()
        if args.hold:
            log("servers held: " + ", ".join(f"{servers[k].name} roots {servers[k].roots()}" for k in order)
                + "; press Enter to stop")
            sys.stdin.readline()
        ok = True
    except (RunFailed, RuntimeError, OSError, KeyboardInterrupt) as e:
        bc.log_failure(e, started)
    finally:
        for c in clients.values():
            c.close()
        for srv in reversed(started):
            try:
                srv.stop()
            except Exception as e:  # noqa: BLE001 - stopping the others matters more
                log(f"stopping {srv.name}: {e}")

    for k in reused.get("loads", {}):
        if k not in order:
            loads[k], sizes[k] = reused["loads"][k], reused["sizes"][k]
    shown = [k for k in SERVER_KEYS if k in order or k in reused.get("loads", {})]
    text = report(results, loads, sizes, meta, shown, diffs)
    if reused:
        text += (f"\n\n{', '.join(NAMES[k] for k in shown if k not in order)}: figures reused from "
                 f"an earlier run (--reuse-json): {reused['header']}")
    header = (f"{', '.join(NAMES[k] for k in order)}: Estafeta {rev if exe else '-'} (Release), Dovecot "
              f"{bc.dovecot_version()} (Dovecot+Xapian: dovecot-fts-xapian 1.5.5), Linux "
              f"{os.uname().release}, {os.cpu_count()} CPUs; "
              f"{meta['count']} messages ({meta['bytes'] / 1e6:.0f} MB, seed {meta['seed']}) in one "
              f"mailbox; plaintext IMAP on 127.0.0.1; 1 warm-up + ≥{args.repeat} runs per query, "
              f"medians; load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after; "
              f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; {time.monotonic() - t_start:.0f} s in all.")
    print(header)
    print()
    print(text)
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(header + "\n\n" + text + "\n")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"header": header, "meta": meta, "loads": loads, "sizes": sizes,
                       "results": results, "differences": diffs}, fh)
    # Last: removing a few hundred thousand directory entries takes minutes on some file systems.
    if args.keep_tmp:
        log(f"kept {top}")
    else:
        log(f"removing {top}")
        shutil.rmtree(top, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
