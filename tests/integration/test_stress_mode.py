# test_stress_mode: slot exhaustion and stress mode. Idle connections from many loopback
# addresses (127.0.0.2 ..., each under max_connections_per_ip; Linux routes all of 127/8 to
# lo) fill max_connections, as 1,000 idle connections from 25 addresses would in production.
# Above smtp.stress_threshold the server is in stress mode: a real client (smtplib) still
# completes a delivery because the longest-idle unauthenticated session before MAIL is closed
# with 421 4.7.0 to make room, and idle sessions before MAIL get smtp.stress_command_timeout
# (421 4.4.2) while a session in a transaction keeps the full timeout. Every wait is bounded.
import socket
import time
import unittest

from estafeta_harness import TIMEOUT, ServerTestCase, simple_message, unique

ALICE = "alice@example.test"


def idle_client(port, source):
    """A connection from `source` that reads the greeting and then says nothing."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(TIMEOUT)
    s.bind((source, 0))
    s.connect(("127.0.0.1", port))
    greeting = b""
    while b"\r\n" not in greeting:
        chunk = s.recv(4096)
        if not chunk:
            raise ConnectionError(f"closed before the greeting from {source}")
        greeting += chunk
    assert greeting.startswith(b"220 "), greeting
    return s


def read_all(sock, seconds):
    """What the server sent until it closed, within `seconds` (b"" and open: nothing)."""
    sock.settimeout(seconds)
    data = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return data, True
            data += chunk
    except (socket.timeout, TimeoutError):
        return data, False
    except ConnectionResetError:
        return data, True


class StressEviction(ServerTestCase):
    MAX = 60
    PER_IP = 5
    # A long stress timeout, so only eviction can let the client in during the test.
    SMTP = {"max_connections": MAX, "max_connections_per_ip": PER_IP,
            "stress_command_timeout": 120}

    def test_real_client_delivers_while_idle_connections_hold_every_slot(self):
        idle = []
        try:
            addresses = [f"127.0.0.{i}" for i in range(2, 2 + self.MAX // self.PER_IP)]
            for address in addresses:
                for _ in range(self.PER_IP):
                    idle.append(idle_client(self.server.mx, address))
            self.assertEqual(len(idle), self.MAX)
            # The attackers now look idle (smtp sessions idle for 2 s may be closed).
            time.sleep(2.5)
            marker = unique("stress")
            with self.server.smtp("mx") as s:
                refused = s.sendmail("sender@remote.test", [ALICE], simple_message(marker))
                self.assertEqual(refused, {})
                s.quit()
            self.server.read_one(self, ALICE, marker)
            # Exactly the room needed was made: one idle session was told why and closed.
            told = []
            for sock in idle:
                data, closed = read_all(sock, 0.05)
                if data or closed:
                    told.append((data, closed))
            self.assertEqual(len(told), 1, told)
            data, closed = told[0]
            self.assertTrue(closed)
            self.assertTrue(data.startswith(b"421 4.7.0 "), data)
            log = self.server.log_text()
            self.assertEqual(log.count("stress mode:"), 1, log[-3000:])
            self.assertIn("closed to make room (stress mode)", log)
        finally:
            for sock in idle:
                sock.close()


class StressTimeout(ServerTestCase):
    MAX = 20
    PER_IP = 5
    SMTP = {"max_connections": MAX, "max_connections_per_ip": PER_IP,
            "stress_command_timeout": 2, "command_timeout": 300}

    def test_idle_sessions_before_mail_get_the_short_timeout_while_stressed(self):
        idle = []
        busy = self.server.raw("mx")
        try:
            busy.ehlo()
            self.assertEqual(busy.cmd("MAIL FROM:<d@remote.test>")[0], 250)
            # Every slot in use: stress mode (above 80 %, i.e. more than 16 sessions).
            for i in range(self.MAX - 1):
                idle.append(idle_client(self.server.mx, f"127.0.1.{2 + i // self.PER_IP}"))
            # Idle sessions before MAIL time out after 2 s until the load is back at 80 %.
            deadline = time.monotonic() + 20
            while "stress mode over" not in self.server.log_text():
                self.assertLess(time.monotonic(), deadline, "stress mode never ended")
                time.sleep(0.1)
            closed = []
            for sock in idle:
                data, gone = read_all(sock, 0.2)
                if gone:
                    closed.append(data)
                else:
                    self.assertEqual(data, b"")
            self.assertGreaterEqual(len(closed), self.MAX - 16)
            self.assertLess(len(closed), len(idle), "stress ended: the rest keep 300 s")
            for data in closed:
                self.assertTrue(data.startswith(b"421 4.4.2 "), data)
            # The session in a transaction kept its full command timeout.
            self.assertEqual(busy.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
            self.assertEqual(busy.cmd("QUIT")[0], 221)
            log = self.server.log_text()
            self.assertEqual(log.count("stress mode:"), 1, log[-3000:])
            self.assertEqual(log.count("stress mode over"), 1, log[-3000:])
        finally:
            for sock in idle:
                sock.close()
            busy.close()


if __name__ == "__main__":
    unittest.main()
