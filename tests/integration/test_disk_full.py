# test_disk_full: the durability contract when the disk fills up. The data dir lives on a
# small tmpfs (needs root and mount; skipped otherwise); messages of 256 kB are sent until
# the server refuses one. Then: the refusal is temporary (4xx, RFC 3463 X.3.x) and never a
# 250, every acknowledged message is complete, no truncated file sits in new/, the session
# and the server go on; an acknowledged message whose Maildir copy did not fit waits in the
# spool and is delivered, once, after space is freed; and mail is accepted again.
import hashlib
import os
import re
import subprocess
import unittest

from estafeta_harness import Server, enhanced, failed, simple_message, unique

ALICE = "alice@example.test"
FS_SIZE = "4m"


def can_mount():
    return os.geteuid() == 0 and os.path.exists("/bin/mount")


@unittest.skipUnless(can_mount(), "needs root to mount a small tmpfs")
class DiskFull(unittest.TestCase):

    def setUp(self):
        self.mounted = False
        self.server = Server(seed=False, sections={"delivery": {"retry_interval": 1}})
        os.makedirs(self.server.data_dir)
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={FS_SIZE},mode=0700", "tmpfs",
                            self.server.data_dir], capture_output=True, text=True, timeout=30)
        if r.returncode != 0:
            self.server.cleanup()
            self.skipTest(f"mount failed: {r.stderr.strip()}")
        self.mounted = True
        self.server.seed()
        self.server.start()

    def tearDown(self):
        if failed(self):
            print("\n" + self.server.log_tail(40), flush=True)
        self.server.kill()
        if self.mounted:
            subprocess.run(["umount", self.server.data_dir], timeout=30)
        self.server.cleanup()

    def message(self, marker, size):
        body = (b"f" * 76 + b"\r\n") * (size // 78)
        digest = hashlib.sha256(body).hexdigest()
        return simple_message(marker, body="", extra_headers=f"X-Body-SHA256: {digest}\r\n") + body

    def check_files(self, wait=True):
        for path in self.server.mail_files(ALICE, wait=wait):
            with open(path, "rb") as f:
                data = f.read()
            head, _, body = data.partition(b"\r\n\r\n")
            digest = re.search(rb"(?mi)^X-Body-SHA256: ([0-9a-f]{64})", head)
            self.assertTrue(digest, f"{path}: no checksum header ({len(data)} bytes)")
            self.assertEqual(hashlib.sha256(body).hexdigest().encode(), digest.group(1),
                             f"{path}: truncated ({len(data)} bytes)")

    def test_full_disk_is_a_temporary_failure(self):
        c = self.server.raw()
        c.ehlo()
        acked, refusal = [], None
        for _ in range(60):
            marker = unique("fill")
            self.assertEqual(c.cmd("MAIL FROM:<fill@remote.test>")[0], 250)
            code, lines = c.cmd(f"RCPT TO:<{ALICE}>")
            if code != 250:
                refusal = (code, lines)
                c.cmd("RSET")
                break
            self.assertEqual(c.cmd("DATA")[0], 354)
            c.send(self.message(marker, 256 * 1024) + b".\r\n")
            code, lines = c.reply()
            if code != 250:
                refusal = (code, lines)
                break
            acked.append(marker)
        self.assertIsNotNone(refusal, "a 4 MB file system never filled up")
        # The spool (or, at RCPT, the account database) cannot be written: 451 4.3.0.
        self.assertEqual((refusal[0], enhanced(refusal[1])), (451, "4.3.0"), refusal)
        self.assertGreater(len(acked), 0)
        # Acknowledged means in the Maildir, or in the spool waiting for room (deferred).
        self.server.wait_spool(3)
        self.check_files(wait=False)
        waiting = []
        for marker in acked:
            n = len(self.server.find(ALICE, marker, wait=False))
            self.assertLessEqual(n, 1, marker)
            if n == 0:
                waiting.append(marker)
        if waiting:
            self.assertTrue(self.server.spool_entries(), f"{waiting} neither delivered nor spooled")
        # The server is still there; free the space: what waited is delivered, once.
        self.assertTrue(self.server.running())
        for path in self.server.mail_files(ALICE, wait=False):
            with open(path, "rb") as f:
                if not any(m.encode() in f.read() for m in waiting):
                    os.remove(path)
        for name in os.listdir(os.path.join(self.server.maildir(ALICE), "tmp")):
            os.remove(os.path.join(self.server.maildir(ALICE), "tmp", name))
        self.assertTrue(self.server.wait_spool(15), self.server.log_tail())
        for marker in waiting:
            self.assertEqual(len(self.server.find(ALICE, marker)), 1, marker)
        c.close()
        c = self.server.raw()
        c.ehlo()
        marker = unique("after-full")
        self.assertEqual(c.cmd("MAIL FROM:<fill@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        c.send(self.message(marker, 64 * 1024) + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        c.close()
        self.check_files()
        self.server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
