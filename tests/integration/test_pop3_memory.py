# test_pop3_memory: RETR streams a message from its file through the dot-stuffer a piece at a
# time, so a session never holds the message: retrieving a 50 MB message raises the server's
# peak resident memory (VmHWM) by far less than its size, and the octets on the wire are the
# size LIST announced (plus the dot-stuffing of the lines that start with "."). Under ASan
# freed buffers sit in a quarantine; the server here runs with a small one so that the figure
# means what it says.
import os
import time

from estafeta_harness import ServerTestCase
from pop3_client import Pop3Raw
from pop3_support import POP3_LISTENERS, drop, new_user
from test_smtp_memory import vm_kib

SIZE = 50 * 1000 * 1000


class StreamedRetr(ServerTestCase):
    LISTENERS = POP3_LISTENERS

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

    def test_50_mb_message_is_not_held_in_memory(self):
        user, password = new_user(self.server)
        line = b"y" * 998 + b"\r\n"
        dotted = b".starts with a dot\r\n"
        count = SIZE // (len(line) + len(dotted))
        drop(self.server, user, password, b"Subject: big\r\n\r\n" + (line + dotted) * count)
        size = len(b"Subject: big\r\n\r\n") + (len(line) + len(dotted)) * count
        c = Pop3Raw(self.server.pop3s_port, ctx=self.server.tls_context())
        self.addCleanup(c.close)
        c.login(user, password)
        deadline = time.monotonic() + 10
        while c.cmd("STAT").split()[1] != b"1":  # the store picks the file up (polled)
            self.assertLess(time.monotonic(), deadline, "the dropped message never appeared")
            c.cmd("QUIT")
            c.close()
            time.sleep(0.2)
            c = Pop3Raw(self.server.pop3s_port, ctx=self.server.tls_context())
            self.addCleanup(c.close)
            c.login(user, password)
        self.assertEqual(c.cmd("LIST 1"), f"+OK 1 {size}".encode())
        # Warm up (pools, TLS buffers) with a TOP that reads the start of the message.
        status, _ = c.long_cmd("TOP 1 10")
        self.assertTrue(status.startswith(b"+OK"))
        pid = self.server.proc.pid
        # The peak so far includes the store's picking up of the file (it parses the header and
        # structure): start the peak from now (Linux: "5" to clear_refs resets VmHWM).
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        before = vm_kib(pid, "VmRSS")
        self.assertEqual(c.cmd("RETR 1"), f"+OK {size} octets".encode())
        received, tail = len(c.buf), c.buf[-5:]
        c.buf = b""
        deadline = time.monotonic() + 120
        while tail != b"\r\n.\r\n":
            self.assertLess(time.monotonic(), deadline)
            chunk = c.sock.recv(1 << 20)
            self.assertTrue(chunk, "connection closed in the middle of RETR")
            received += len(chunk)
            tail = (tail + chunk)[-5:]
        peak = vm_kib(pid, "VmHWM")
        growth_mb = (peak - before) / 1024
        print(f"\npeak RSS growth while sending a 50 MB message: {growth_mb:.1f} MB", flush=True)
        # The wire form: the message, one more "." per dotted line, then ".\r\n".
        self.assertEqual(received, size + count + 3)
        self.assertLess(growth_mb, 16, f"peak RSS grew by {growth_mb:.1f} MB for a 50 MB message")
        self.assertEqual(c.cmd("QUIT"), b"+OK Logging out.")


if __name__ == "__main__":
    import unittest
    unittest.main()
