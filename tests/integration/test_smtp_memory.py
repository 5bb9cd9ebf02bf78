# test_smtp_memory: message data is streamed into the spool while it is received, so a session
# holds a bounded buffer, not the message: a 40 MB message raises the server's peak resident
# memory (VmHWM) by far less than its size. (Before the spool the whole message was held, then
# copied with its Received field: at least twice its size.) Under ASan freed buffers sit in a
# quarantine; the server here runs with a small one so that the figure means what it says.
import os
import smtplib

from estafeta_harness import ServerTestCase, unique

ALICE = "alice@example.test"
SIZE = 40 * 1024 * 1024


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


class StreamedData(ServerTestCase):
    SMTP = {"max_message_size": 64 * 1024 * 1024}

    @classmethod
    def setUpClass(cls):
        asan = os.environ.get("ASAN_OPTIONS", "")
        os.environ["ASAN_OPTIONS"] = (asan + ":" if asan else "") + "quarantine_size_mb=1"
        try:
            super().setUpClass()
        finally:
            if asan:
                os.environ["ASAN_OPTIONS"] = asan
            else:
                del os.environ["ASAN_OPTIONS"]

    def test_large_message_is_not_held_in_memory(self):
        pid = self.server.proc.pid
        # Warm up: one small message, so that pools and caches exist before measuring.
        with self.server.smtp() as s:
            s.sendmail("s@remote.test", [ALICE], b"Subject: warm\r\n\r\nx\r\n")
        before = vm_kib(pid, "VmRSS")
        marker = unique("big")
        line = b"y" * 998 + b"\r\n"
        body = line * (SIZE // len(line))
        msg = f"Subject: {marker}\r\n\r\n".encode() + body
        with self.server.smtp() as s:
            self.assertEqual(s.sendmail("s@remote.test", [ALICE], msg), {})
        peak = vm_kib(pid, "VmHWM")
        growth_mb = (peak - before) / 1024
        print(f"\npeak RSS growth for a 40 MB message: {growth_mb:.1f} MB", flush=True)
        self.assertLess(growth_mb, 16, f"peak RSS grew by {growth_mb:.1f} MB for a 40 MB message")
        data = self.server.read_one(self, ALICE, marker)
        self.assertGreater(len(data), SIZE)


if __name__ == "__main__":
    import unittest
    unittest.main()
