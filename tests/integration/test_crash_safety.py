# test_crash_safety: the durability contract under a hard crash. Eight client threads send
# messages (each with a unique Message-ID and a SHA-256 of its body in X-Body-SHA256, some to
# two mailboxes) to the real binary; at a random moment the server gets SIGKILL. It is then
# restarted on the same data dir, which finishes what the spool holds. Then: every message
# that was answered 250 is in each of its recipients' Maildir exactly once, no file in new/ or
# cur/ is truncated or corrupt (checksum matches), no message appears twice, and the server
# accepts mail again. Bounded: 20 s or 400 messages.
# ESTAFETA_CRASH_SEED reproduces a run; ESTAFETA_CRASH_ROUNDS repeats kill + restart.
import hashlib
import os
import random
import re
import threading
import time
import unittest

from estafeta_harness import PASSWORDS, RawClient, Server, failed, unique

RCPTS = ["alice@example.test", "bob@example.test", "carol@example.test"]
THREADS = 8
MAX_SECONDS = 20.0
MAX_MESSAGES = 400


def make_message(rng, marker, rcpts):
    lines = []
    # Mostly small, sometimes up to ~1 MB, so the kill can land inside a long write.
    count = rng.randint(1, 400) if rng.random() < 0.9 else rng.randint(2000, 16000)
    for _ in range(count):
        line = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz .,-0123456789") for _ in range(rng.randint(0, 120)))
        if rng.random() < 0.05:
            line = "." + line  # exercises dot-stuffing
        lines.append(line)
    body = ("\r\n".join(lines) + "\r\n").encode()
    digest = hashlib.sha256(body).hexdigest()
    head = (f"From: <load@remote.test>\r\nTo: {', '.join(rcpts)}\r\nSubject: crash {marker}\r\n"
            f"Message-ID: <{marker}@load.test>\r\nX-Body-SHA256: {digest}\r\n\r\n").encode()
    return head + body


def dot_stuff(msg):
    return re.sub(rb"(?m)^\.", b"..", msg)


class Load:
    """Client threads recording which messages got a 250 before the kill."""

    def __init__(self, server, seed):
        self.server = server
        self.seed = seed
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}    # marker -> recipients
        self.attempts = 0
        self.errors = []   # unexpected replies before the kill (not connection errors)

    def worker(self, n):
        rng = random.Random(f"{self.seed}-{n}")
        while not self.stop.is_set():
            c = None
            try:
                c = RawClient(self.server.mx)
                if c.reply()[0] != 220:
                    return
                c.ehlo(f"load{n}.test")
                while not self.stop.is_set():
                    with self.lock:
                        if self.attempts >= MAX_MESSAGES:
                            return
                        self.attempts += 1
                    marker = unique(f"crash{n}")
                    rcpts = rng.sample(RCPTS, 2 if rng.random() < 0.2 else 1)
                    c.send("MAIL FROM:<load@remote.test>\r\n" + "".join(f"RCPT TO:<{r}>\r\n" for r in rcpts)
                           + "DATA\r\n")
                    codes = [r[0] for r in c.replies(2 + len(rcpts))]
                    if codes != [250] * (1 + len(rcpts)) + [354]:
                        self.errors.append((marker, codes))
                        return
                    c.send(dot_stuff(make_message(rng, marker, rcpts)) + b".\r\n")
                    code, lines = c.reply()
                    if code == 250:
                        with self.lock:
                            self.acked[marker] = rcpts
                    else:
                        self.errors.append((marker, code, lines))
                        return
            except (OSError, ConnectionError, TimeoutError):
                if not self.stop.is_set():
                    time.sleep(0.05)  # server gone or busy: retry until told to stop
            finally:
                if c is not None:
                    c.close()


class CrashSafety(unittest.TestCase):

    def setUp(self):
        self.server = Server()
        self.server.start()

    def tearDown(self):
        if failed(self):
            print("\n" + self.server.log_tail(40), flush=True)
        self.server.cleanup()

    def scan(self):
        """{(mailbox, marker): count}; fails on any file whose body checksum does not match."""
        seen = {}
        for rcpt in RCPTS:
            for path in self.server.mail_files(rcpt):
                with open(path, "rb") as f:
                    data = f.read()
                head, sep, body = data.partition(b"\r\n\r\n")
                self.assertTrue(sep, f"{path}: no header/body separator ({len(data)} bytes)")
                mid = re.search(rb"(?mi)^Message-ID: <([^>@]+)@", head)
                digest = re.search(rb"(?mi)^X-Body-SHA256: ([0-9a-f]{64})", head)
                self.assertTrue(mid and digest, f"{path}: headers missing:\n{head[:500]!r}")
                self.assertEqual(hashlib.sha256(body).hexdigest().encode(), digest.group(1),
                                 f"{path}: truncated or corrupt ({len(data)} bytes)")
                key = (rcpt, mid.group(1).decode())
                seen[key] = seen.get(key, 0) + 1
        return seen

    def one_round(self, seed):
        rng = random.Random(seed)
        kill_after = rng.uniform(1.0, MAX_SECONDS * 0.6)
        kill_at_count = rng.randint(20, MAX_MESSAGES - 50)
        load = Load(self.server, seed)
        threads = [threading.Thread(target=load.worker, args=(n,), daemon=True) for n in range(THREADS)]
        start = time.monotonic()
        for t in threads:
            t.start()
        while time.monotonic() - start < min(kill_after, MAX_SECONDS):
            with load.lock:
                if len(load.acked) >= kill_at_count:
                    break
            time.sleep(0.01)
        self.server.proc.kill()
        self.server.proc.wait(timeout=10)
        load.stop.set()
        for t in threads:
            t.join(timeout=30)
            self.assertFalse(t.is_alive(), "client thread stuck")
        with load.lock:
            acked = dict(load.acked)
        print(f"\ncrash round seed={seed}: killed after {time.monotonic() - start:.1f}s, "
              f"{len(acked)} acknowledged of {load.attempts} attempted", flush=True)
        self.assertEqual(load.errors, [], "unexpected replies under load")
        self.assertGreater(len(acked), 0, "no message was acknowledged before the kill")

        # Acknowledged means durable in the spool: the restart delivers what was left there.
        self.server.log_file and self.server._close_log()
        self.server.proc = None
        self.server.start()
        self.assertTrue(self.server.wait_spool(60), "the spool was not emptied after the restart")
        seen = self.scan()
        dups = {k: n for k, n in seen.items() if n > 1}
        self.assertEqual(dups, {}, "messages stored more than once")
        missing = [(r, m) for m, rcpts in acked.items() for r in rcpts if seen.get((r, m), 0) != 1]
        self.assertEqual(missing, [], f"{len(missing)} acknowledged deliveries lost")
        return acked

    def test_kill9_under_load_loses_nothing_acknowledged(self):
        base_seed = int(os.environ.get("ESTAFETA_CRASH_SEED", random.randrange(1 << 30)))
        rounds = int(os.environ.get("ESTAFETA_CRASH_ROUNDS", "1"))
        for i in range(rounds):
            self.one_round(base_seed + i)
            marker = unique("after-crash")
            msg = make_message(random.Random(marker), marker, [RCPTS[0]])
            with self.server.smtp() as s:
                self.assertEqual(s.sendmail("x@remote.test", [RCPTS[0]], msg), {})
            self.assertEqual(len(self.server.find(RCPTS[0], marker)), 1)
            self.scan()  # still consistent after restart (recovery must not corrupt new/)
            with self.server.smtp_tls("submission") as s:  # accounts.db survived the kill too
                s.login(RCPTS[1], PASSWORDS[RCPTS[1]])
            self.assertIn(RCPTS[2], self.server.cli("user", "list").stdout.split())
        self.server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
