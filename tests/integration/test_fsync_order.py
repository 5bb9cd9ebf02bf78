# test_fsync_order: the 250 that acknowledges a message is sent only once the message is
# durable. The crash test kills the process, which leaves the page cache intact, so it passes
# even with fsync off; this one watches the system calls instead. `strace -f` is attached to
# the running server (skipped when strace is missing or ptrace is denied) and records writes,
# fsync/fdatasync, renames, links, unlinks, opens and socket sends while one message goes
# through plain SMTP. The checker then requires, for every file under the data dir written
# before the 250 and holding the message body or its envelope (found by unique markers in the
# written bytes, whatever the storage layout: a Maildir file, a spool data file, an envelope
# record):
# - an fsync or fdatasync of that file, or a syncfs of the data dir's file system (which
#   makes every earlier write to it durable), that starts after its last write and ends
#   before the 250 is sent;
# - a durable name: one of the names the file has when the 250 is sent either existed before
#   the transaction (a pre-created file) or was created (open with O_CREAT, rename, link)
#   and then its directory was fsynced, or the file system synced, again before the 250.
# It proves it can fail: the same run with [delivery] fsync = false must be reported.
# Bounded: strace attach 10 s, one transaction, detach 10 s.
import os
import re
import shutil
import signal
import subprocess
import time
import unittest

from estafeta_harness import Server, simple_message, unique

ALICE = "alice@example.test"
ATTACH_TIMEOUT = 10.0
SYSCALLS = ("open,openat,creat,write,pwrite64,writev,pwritev,pwritev2,fsync,fdatasync,syncfs,"
            "sync_file_range,rename,renameat,renameat2,link,linkat,unlink,unlinkat,close,"
            "sendto,sendmsg,sendmmsg")


def strace_usable():
    if not shutil.which("strace"):
        return False, "strace not installed (scripts/deps.sh)"
    r = subprocess.run(["strace", "-f", "-o", os.devnull, "true"], capture_output=True,
                       text=True, timeout=30)
    if r.returncode != 0:
        return False, f"strace cannot trace here (ptrace denied?): {r.stderr.strip()[:200]}"
    return True, ""


# -- strace output ---------------------------------------------------------------------------
HEX = re.compile(r"\\x([0-9a-fA-F]{2})")
STRING = re.compile(r'"((?:\\x[0-9a-fA-F]{2})*)"')
# An fd with its -yy annotation: a path (hex with -xx) or a socket such as TCP:[a:1->b:2].
FD = re.compile(r"(-?\d+|AT_FDCWD)<([A-Z0-9]+:\[[^\]]*\]|[^>]*)>")


def unhex(s):
    """Decodes the \\xNN escapes strace -xx writes (for strings and -yy fd paths)."""
    return bytes(int(h, 16) for h in HEX.findall(s)) if "\\x" in s else s.encode()


def fd_path(text):
    """(fd, path) of the first `FD<path>` in text, path decoded; sockets keep their text."""
    m = FD.search(text)
    if not m:
        return None, None
    raw = m.group(2)
    path = unhex(raw).decode("utf-8", "replace") if raw.startswith("\\x") else raw
    return m.group(1), path


class Call:
    def __init__(self, name, args, ret, start, end):
        self.name, self.args, self.ret, self.start, self.end = name, args, ret, start, end

    def strings(self):
        return [unhex(s) for s in STRING.findall(self.args)]

    def ok(self):
        return not self.ret.startswith("-1") and not self.ret.startswith("?")


CALL = re.compile(r"^(\w+)\((.*)\)\s+=\s+(.*)$", re.S)
PREFIX = re.compile(r"^(?:\[pid\s+)?(\d+)\]?\s+")


def parse(path):
    """The completed system calls in order; start/end are the indices of the lines where each
    call began and returned (they differ for calls strace shows as unfinished/resumed)."""
    calls, pending = [], {}
    with open(path, "r", errors="replace") as f:
        lines = f.read().splitlines()
    for i, line in enumerate(lines):
        m = PREFIX.match(line)
        tid = m.group(1) if m else "0"
        text = line[m.end():] if m else line
        if text.startswith("+++") or text.startswith("---"):
            continue
        if text.endswith("<unfinished ...>"):
            pending[tid] = (text[: -len("<unfinished ...>")].rstrip(), i)
            continue
        start = i
        rm = re.match(r"^<\.\.\. (\w+) resumed>\s?(.*)$", text)
        if rm:
            head, start = pending.pop(tid, ("", i))
            text = head + rm.group(2)
        cm = CALL.match(text)
        if cm:
            calls.append(Call(cm.group(1), cm.group(2), cm.group(3), start, i))
    return calls


# -- the checker -----------------------------------------------------------------------------
class File:
    def __init__(self):
        self.names = {}  # name -> index of its creation (None: existed before the transaction)
        self.removed = []  # (name, created, removed)
        self.data = b""  # bytes written before the 250
        self.last_write = -1
        self.syncs = []  # (start, end)


def norm(path):
    return path[: -len(" (deleted)")] if path.endswith(" (deleted)") else path


def check_trace(calls, data_dir, existing, markers, reply_marker):
    """Violations (strings) of the rule in the file comment; empty when the 250 was durable."""
    data_dir = os.path.realpath(data_dir)
    by_name, fd_names, dir_syncs, dirs = {}, {}, {}, set()
    fs_syncs = []  # syncfs of the data dir's file system: covers every write and name before it
    files = []
    send = None
    violations = []

    def file_at(name, created):
        f = by_name.get(name)
        if f is None:
            f = File()
            f.names[name] = None if name in existing else created
            by_name[name] = f
            files.append(f)
        return f

    def resolve(dir_text, name):
        if name.startswith("/"):
            return os.path.normpath(name)
        _, base = fd_path(dir_text)
        return os.path.normpath(os.path.join(base or "/", name))

    def add_name(f, name, at):
        old = by_name.get(name)
        if old is not None and old is not f:
            for n, c in list(old.names.items()):
                if n == name:
                    old.removed.append((n, c, at))
                    del old.names[n]
        f.names[name] = at
        by_name[name] = f

    def drop_name(name, at):
        f = by_name.pop(name, None)
        if f is not None and name in f.names:
            f.removed.append((name, f.names.pop(name), at))

    for call in calls:
        if send is not None:
            break
        n, a = call.name, call.args
        if not call.ok():
            continue
        if n in ("open", "openat", "creat"):
            _, target = fd_path(call.ret)
            fd = call.ret.split("<", 1)[0].strip()
            if target is None:
                continue
            target = norm(target)
            fd_names[fd] = target
            if "O_DIRECTORY" in a or os.path.isdir(target):
                dirs.add(target)
                continue
            created = n == "creat" or "O_CREAT" in a or "O_TMPFILE" in a
            f = by_name.get(target) or file_at(target, call.end if created else None)
            if "O_EXCL" in a or "O_TMPFILE" in a:
                # Certainly a new name, even if it was there by the time of the snapshot (a
                # file pre-created during the trace needs its directory synced like any other).
                f.names[target] = call.end
        elif n in ("write", "pwrite64", "writev", "pwritev", "pwritev2"):
            fd, path = fd_path(a)
            if path is None:
                continue
            if path.startswith(("TCP:", "TCPv6:")):
                if reply_marker in b"".join(call.strings()):
                    send = call
                continue
            path = norm(path)
            if not path.startswith(data_dir + "/"):
                continue
            f = file_at(path, -1)
            f.data += b"".join(call.strings())
            f.last_write = call.end
        elif n in ("sendto", "sendmsg", "sendmmsg"):
            if reply_marker in b"".join(call.strings()):
                send = call
        elif n == "syncfs":
            fd, path = fd_path(a)
            if path is not None and norm(path).startswith(data_dir):
                fs_syncs.append((call.start, call.end))
        elif n in ("fsync", "fdatasync"):
            fd, path = fd_path(a)
            if path is None:
                continue
            path = norm(path)
            if path in dirs or os.path.isdir(path):
                dir_syncs.setdefault(path, []).append((call.start, call.end))
            elif path in by_name:
                by_name[path].syncs.append((call.start, call.end))
        elif n in ("rename", "renameat", "renameat2", "link", "linkat"):
            if n in ("rename", "link"):
                strs = [s.decode("utf-8", "replace") for s in call.strings()]
                if len(strs) < 2:
                    continue
                old, new = os.path.normpath(strs[0]), os.path.normpath(strs[1])
            else:
                parts = re.match(r"^(\S+?),\s*\"([^\"]*)\",\s*(\S+?),\s*\"([^\"]*)\"", a)
                if not parts:
                    continue
                old_name = unhex(parts.group(2)).decode("utf-8", "replace")
                new_name = unhex(parts.group(4)).decode("utf-8", "replace")
                new = resolve(parts.group(3), new_name)
                if old_name == "" and "AT_EMPTY_PATH" in a:
                    _, old = fd_path(parts.group(1))
                    old = norm(old or "")
                else:
                    old = resolve(parts.group(1), old_name)
                    proc = re.match(r"^/proc/self/fd/(\d+)$", old)
                    if proc and proc.group(1) in fd_names:
                        old = fd_names[proc.group(1)]
            f = by_name.get(old)
            if f is None:
                f = file_at(old, None)
            if n.startswith("rename"):
                drop_name(old, call.end)
            add_name(f, new, call.end)
        elif n in ("unlink", "unlinkat"):
            strs = [s.decode("utf-8", "replace") for s in call.strings()]
            if not strs:
                continue
            name = strs[0] if n == "unlink" else resolve(a, strs[0])
            drop_name(os.path.normpath(name), call.end)
        elif n == "close":
            fd = a.split("<", 1)[0].strip()
            fd_names.pop(fd, None)

    if send is None:
        return [f"no 250 reply containing {reply_marker!r} was seen in the trace"]
    holders = [f for f in files if any(m in f.data for m in markers)]
    if not holders:
        return ["no file under the data dir was written with the message before the 250"]
    for f in holders:
        label = ", ".join(sorted(f.names)) or "(a file without a name)"
        if not any(s > f.last_write and e < send.start for s, e in f.syncs + fs_syncs):
            violations.append(f"{label}: no fsync/fdatasync after its last write and before the 250 "
                              f"(last write at line {f.last_write + 1}, syncs {f.syncs}, "
                              f"250 at line {send.start + 1})")
        durable = False
        for name, created in f.names.items():
            if created is None:
                durable = True  # pre-created: its directory entry predates the transaction
            elif any(s > created and e < send.start
                     for s, e in dir_syncs.get(os.path.dirname(name), []) + fs_syncs):
                durable = True
        if not durable:
            violations.append(f"{label}: no fsync of its directory after the name was created "
                              f"and before the 250 (directory syncs {dir_syncs})")
    return violations


# -- the scenario ----------------------------------------------------------------------------
def snapshot(data_dir):
    out = set()
    for root, dirs, names in os.walk(os.path.realpath(data_dir)):
        out.update(os.path.join(root, n) for n in names)
    return out


def traced_delivery(test, server, trace_path):
    """One message over plain SMTP with strace attached; returns (calls, existing, markers,
    reply_marker)."""
    marker = unique("fsyncbody")
    sender = unique("fsyncfrom") + "@remote.test"
    tracer = subprocess.Popen(["strace", "-f", "-q", "-yy", "-xx", "-s", "262144", "-o", trace_path,
                               "-e", "trace=" + SYSCALLS, "-e", "signal=none",
                               "-p", str(server.proc.pid)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + ATTACH_TIMEOUT
        while not all_traced(server.proc.pid, tracer.pid):
            if tracer.poll() is not None:
                test.skipTest(f"strace could not attach: {tracer.stderr.read().decode()[:200]}")
            if time.monotonic() > deadline:
                test.fail("strace did not attach to every thread within 10 s")
            time.sleep(0.05)
        c = server.raw()
        c.ehlo()
        existing = snapshot(server.data_dir)
        test.assertEqual(c.cmd(f"MAIL FROM:<{sender}>")[0], 250)
        test.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        test.assertEqual(c.cmd("DATA")[0], 354)
        c.send(simple_message(marker, sender=sender) + b".\r\n")
        code, lines = c.reply()
        test.assertEqual(code, 250, lines)
        c.cmd("QUIT")
        c.close()
        reply_marker = f"250 {lines[0]}\r\n".encode()
    finally:
        if tracer.poll() is None:
            tracer.send_signal(signal.SIGINT)  # strace detaches and exits
        try:
            tracer.wait(timeout=10)
        except subprocess.TimeoutExpired:
            tracer.kill()
            tracer.wait(timeout=10)
        tracer.stderr.close()
    return (parse(trace_path), existing, [marker.encode(), sender.encode()], reply_marker)


def all_traced(pid, tracer_pid):
    """True once every thread of pid reports tracer_pid as its tracer."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                status = f.read()
        except OSError:
            continue
        m = re.search(r"^TracerPid:\s+(\d+)", status, re.M)
        if not m or int(m.group(1)) != tracer_pid:
            return False
    return True


class FsyncOrder(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        usable, why = strace_usable()
        if not usable:
            raise unittest.SkipTest(why)

    def run_scenario(self, fsync):
        server = Server(sections={"delivery": {"fsync": fsync}})
        try:
            server.start()
            trace = os.path.join(server.tmp, "strace.out")
            calls, existing, markers, reply_marker = traced_delivery(self, server, trace)
            violations = check_trace(calls, server.data_dir, existing, markers, reply_marker)
            server.stop_ok(self)
            return violations, trace
        finally:
            server.cleanup()

    def test_reply_follows_fsync(self):
        violations, trace = self.run_scenario(fsync=True)
        self.assertEqual(violations, [], f"the 250 was sent before the message was durable ({trace})")

    def test_checker_catches_missing_fsync(self):
        # The same run without fsync must be reported: the test above can fail.
        violations, _ = self.run_scenario(fsync=False)
        self.assertTrue(violations, "delivery.fsync = false went unnoticed by the checker")
        self.assertTrue(any("no fsync/fdatasync" in v for v in violations), violations)


class CheckerSelfTest(unittest.TestCase):
    """The checker on hand-written traces (no server): the orders it must accept and refuse."""
    DATA = "/srv/data"

    def run_checker(self, lines, existing=()):
        path = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"fsync-selftest-{os.getpid()}.txt")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        try:
            return check_trace(parse(path), self.DATA, set(existing), [b"BODY"], b"250 ok\r\n")
        finally:
            os.remove(path)

    @staticmethod
    def hx(s):
        return "".join(f"\\x{b:02x}" for b in s.encode())

    def fd(self, n, path):
        return f"{n}<{self.hx(path)}>"

    def send(self):
        return f'1 sendmsg(9<TCP:[127.0.0.1:25->127.0.0.1:4000]>, {{msg_iov=[{{iov_base="{self.hx("250 ok" + chr(13) + chr(10))}", iov_len=8}}]}}, 0) = 8'

    def test_maildir_style_ok(self):
        tmp, new = self.DATA + "/mail/tmp/m1", self.DATA + "/mail/new/m1"
        lines = [
            f'1 openat(AT_FDCWD<{self.hx("/")}>, "{self.hx(tmp)}", O_WRONLY|O_CREAT|O_EXCL, 0600) = {self.fd(5, tmp)}',
            f'1 write({self.fd(5, tmp)}, "{self.hx("hdr BODY")}", 8) = 8',
            f"1 fsync({self.fd(5, tmp)}) = 0",
            f'1 link("{self.hx(tmp)}", "{self.hx(new)}") = 0',
            f'1 openat(AT_FDCWD<{self.hx("/")}>, "{self.hx(self.DATA + "/mail/new")}", '
            f'O_RDONLY|O_DIRECTORY) = {self.fd(6, self.DATA + "/mail/new")}',
            f"1 fsync({self.fd(6, self.DATA + '/mail/new')}) = 0",
            self.send(),
        ]
        self.assertEqual(self.run_checker(lines), [])

    def test_sync_after_reply_refused(self):
        tmp = self.DATA + "/spool/s1"
        lines = [
            f'1 openat(AT_FDCWD<{self.hx("/")}>, "{self.hx(tmp)}", O_WRONLY|O_CREAT, 0600) = {self.fd(5, tmp)}',
            f'1 write({self.fd(5, tmp)}, "{self.hx("BODY")}", 4) = 4',
            self.send(),
            f"1 fsync({self.fd(5, tmp)}) = 0",
        ]
        self.assertEqual(len(self.run_checker(lines, existing=[tmp])), 1)

    def test_new_name_needs_directory_sync(self):
        path = self.DATA + "/spool/s2"
        lines = [
            f'1 openat(AT_FDCWD<{self.hx("/")}>, "{self.hx(path)}", O_WRONLY|O_CREAT|O_EXCL, 0600) = {self.fd(5, path)}',
            f'2 write({self.fd(5, path)}, "{self.hx("BODY")}", 4 <unfinished ...>',
            "2 <... write resumed>) = 4",
            f"3 fdatasync({self.fd(5, path)}) = 0",
            self.send(),
        ]
        violations = self.run_checker(lines)
        self.assertEqual(len(violations), 1, violations)
        self.assertIn("directory", violations[0])
        # Pre-created (the name existed before the transaction): no directory sync needed.
        self.assertEqual(self.run_checker(lines[1:], existing=[path]), [])
        # Created with O_EXCL within the trace: new whatever the snapshot says.
        self.assertEqual(len(self.run_checker(lines, existing=[path])), 1)

    def test_write_after_sync_refused(self):
        path = self.DATA + "/spool/s3"
        lines = [
            f'1 write({self.fd(5, path)}, "{self.hx("BODY")}", 4) = 4',
            f"1 fsync({self.fd(5, path)}) = 0",
            f'1 write({self.fd(5, path)}, "{self.hx("more")}", 4) = 4',
            self.send(),
        ]
        self.assertEqual(len(self.run_checker(lines, existing=[path])), 1)


    def test_syncfs_covers_data_and_names(self):
        path = self.DATA + "/spool/s4"
        spool = self.DATA + "/spool"
        lines = [
            f'1 openat(AT_FDCWD<{self.hx("/")}>, "{self.hx(path)}", O_WRONLY|O_CREAT|O_EXCL, 0600) = {self.fd(5, path)}',
            f'1 pwrite64({self.fd(5, path)}, "{self.hx("BODY")}", 4, 0) = 4',
            f"2 syncfs({self.fd(7, spool)}) = 0",
            self.send(),
        ]
        self.assertEqual(self.run_checker(lines), [])
        # A syncfs before the last write covers the name, not the data written after it.
        late = lines[:1] + [lines[2], lines[1], lines[3]]
        violations = self.run_checker(late)
        self.assertEqual(len(violations), 1, violations)
        self.assertIn("no fsync/fdatasync", violations[0])

if __name__ == "__main__":
    unittest.main()
