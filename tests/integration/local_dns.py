# local_dns: a private DNS server for integration tests: Debian's `unbound` started on
# 127.0.0.1 with a free UDP/TCP port, serving only the local data it is given (the root is a
# static local zone, so it never recurses and never asks anyone else; the same configuration
# as src/dns/dns_resolver_test.cpp). Zones must not be under .test: libunbound answers test.
# itself as an RFC 6761 local zone. Estafeta instances reach it through
# `[dns] forwarders = "127.0.0.1@PORT"` (see `forwarders()`). Ended by PID; every wait is
# bounded (10 s to answer, 5 s to exit after SIGTERM).
import os
import random
import shutil
import signal
import socket
import struct
import subprocess
import time
import unittest

START_TIMEOUT = 10.0


def unbound_binary():
    path = os.environ.get("ESTAFETA_UNBOUND", shutil.which("unbound") or "/usr/sbin/unbound")
    return path if path and os.access(path, os.X_OK) else ""


def free_udp_tcp_port():
    """A port free for both UDP and TCP on 127.0.0.1 now."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind(("127.0.0.1", 0))
            port = u.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                    t.bind(("127.0.0.1", port))
                    return port
            except OSError:
                continue
    raise AssertionError("no free port for the DNS server")


def query(port, name, qtype=1, timeout=0.5):
    """One UDP query to 127.0.0.1:port; returns (rcode, answer count) or None on timeout."""
    qid = random.randrange(65536)
    packet = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.rstrip(".").split("."):
        packet += bytes([len(label)]) + label.encode()
    packet += b"\0" + struct.pack(">HH", qtype, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(packet, ("127.0.0.1", port))
        try:
            data, _ = s.recvfrom(4096)
        except OSError:
            return None
    if len(data) < 12 or struct.unpack(">H", data[:2])[0] != qid:
        return None
    flags, _, ancount = struct.unpack(">HHH", data[2:8])
    return flags & 0xF, ancount


class LocalDns:
    """unbound serving `records` (zone-file lines, e.g. "a.example. 300 IN A 127.0.0.2") in
    the static local `zones`. `ready_name` must have an A record: start() waits for it."""

    def __init__(self, directory, zones, records, ready_name):
        self.binary = unbound_binary()
        if not self.binary:
            raise unittest.SkipTest("the unbound binary is not installed (scripts/deps.sh installs it)")
        self.dir = directory
        self.zones = zones
        self.records = records
        self.ready_name = ready_name
        self.port = None
        self.proc = None
        self.log_path = os.path.join(directory, "unbound.log")

    def forwarders(self):
        return f"127.0.0.1@{self.port}"

    def _config(self):
        lines = ["server:", "  interface: 127.0.0.1", f"  port: {self.port}",
                 f'  directory: "{self.dir}"', '  chroot: ""', '  username: ""', '  pidfile: ""',
                 "  do-daemonize: no", "  use-syslog: no", '  logfile: ""', "  verbosity: 1",
                 "  num-threads: 1", "  do-ip6: no", "  so-reuseport: no",
                 "  access-control: 127.0.0.0/8 allow", '  module-config: "iterator"',
                 '  local-zone: "." static']
        for z in self.zones:
            z = z.rstrip(".") + "."
            lines.append(f'  local-zone: "{z}" static')
            lines.append(f'  local-data: "{z} 300 IN SOA ns.{z} hostmaster.{z} 1 3600 600 86400 300"')
        for r in self.records:
            lines.append(f'  local-data: "{r}"')
        lines += ["remote-control:", "  control-enable: no"]
        return "\n".join(lines) + "\n"

    def start(self):
        for attempt in range(3):  # a port picked free may be taken before unbound binds it
            self.port = free_udp_tcp_port()
            conf = os.path.join(self.dir, "unbound.conf")
            with open(conf, "w") as f:
                f.write(self._config())
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen([self.binary, "-d", "-c", conf], stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + START_TIMEOUT
            while time.monotonic() < deadline and self.proc.poll() is None:
                r = query(self.port, self.ready_name)
                if r and r[0] == 0 and r[1] > 0:
                    return self
                time.sleep(0.05)
            if self.proc.poll() is None:
                self.stop()
                raise AssertionError(f"unbound did not answer within {START_TIMEOUT}s\n{self.log_text()}")
            self.proc = None
        raise AssertionError(f"unbound exited at start\n{self.log_text()}")

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.proc = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-3000:]
        except OSError:
            return ""
