# local_dns: a private DNS server for integration tests: Debian's `unbound` started on
# 127.0.0.1 with a free UDP/TCP port, serving only the local data it is given (the root is a
# static local zone, so it never recurses and never asks anyone else; the same configuration
# as src/dns/dns_resolver_test.cpp). Zones must not be under .test: libunbound answers test.
# itself as an RFC 6761 local zone. Estafeta instances reach it through
# `[dns] forwarders = "127.0.0.1@PORT"` (see `forwarders()`). Ended by PID; every wait is
# bounded (10 s to answer, 5 s to exit after SIGTERM).
# DNSSEC: `SignedZone` signs a zone at run time with ldnsutils (ldns-keygen, ldns-signzone;
# the same tools as src/smtp/smtp_outbound_dane_dns_test.cpp) and writes its DS as a trust
# anchor file for `[dns] trust_anchor_file`; LocalDns serves signed zones as auth-zones
# (`signed=`). `SignedZone.corrupt()` changes one record's data after signing, so that its
# signature no longer matches (a bogus answer, RFC 4035 §5.5).
# `certificate()` makes a self-signed key and certificate with openssl(1) and returns the
# hex SHA-256 of its SubjectPublicKeyInfo, the data of a TLSA 3 1 1 record (RFC 7671).
import hashlib
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

    def __init__(self, directory, zones, records, ready_name, signed=()):
        self.binary = unbound_binary()
        if not self.binary:
            raise unittest.SkipTest("the unbound binary is not installed (scripts/deps.sh installs it)")
        self.dir = directory
        self.zones = zones
        self.records = records
        self.ready_name = ready_name
        self.signed = list(signed)  # SignedZone objects, served as auth-zones
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
        for z in self.signed:  # "." is static: the signed zones pass through to their auth-zone
            lines.append(f'  local-zone: "{z.origin}." transparent')
        for z in self.signed:
            lines += ["auth-zone:", f'  name: "{z.origin}."', f'  zonefile: "{z.signed_path}"',
                      "  for-downstream: yes", "  for-upstream: yes", "  fallback-enabled: no"]
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


def _program(name):
    for d in ("/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"):
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return shutil.which(name) or ""


class SignedZone:
    """The zone `origin` with `records` (zone-file lines relative to nothing: full names with
    a final dot), signed with a fresh ECDSA P-256 key in `directory`. After sign():
    `signed_path` is the signed zone file, `ds` its DS record and `anchor_path` a file holding
    it (a trust anchor for libunbound, `[dns] trust_anchor_file`)."""

    def __init__(self, directory, origin, records):
        self.keygen, self.signzone = _program("ldns-keygen"), _program("ldns-signzone")
        if not self.keygen or not self.signzone:
            raise unittest.SkipTest("ldnsutils is not installed (scripts/deps.sh installs it)")
        self.dir = directory
        self.origin = origin.rstrip(".")
        self.records = records
        self.zone_path = os.path.join(directory, f"{self.origin}.zone")
        self.signed_path = self.zone_path + ".signed"
        self.anchor_path = os.path.join(directory, f"{self.origin}.anchor")
        self.ds = ""

    def sign(self):
        o = self.origin + "."
        lines = [f"$ORIGIN {o}", "$TTL 300", f"@ IN SOA ns.{o} hostmaster.{o} 1 3600 600 86400 300",
                 f"@ IN NS ns.{o}", f"ns.{o} IN A 127.0.0.1"] + list(self.records)
        with open(self.zone_path, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([self.keygen, "-a", "ECDSAP256SHA256", "-k", self.origin], cwd=self.dir,
                           capture_output=True, text=True, timeout=30)
        key = r.stdout.strip()
        if r.returncode != 0 or not key:
            raise AssertionError(f"ldns-keygen failed: {r.stderr}")
        r = subprocess.run([self.signzone, self.zone_path, key], cwd=self.dir, capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0:
            raise AssertionError(f"ldns-signzone failed: {r.stderr}")
        with open(os.path.join(self.dir, key + ".ds")) as f:
            self.ds = f.read().split(";")[0].strip()
        with open(self.anchor_path, "w") as f:
            f.write(self.ds + "\n")
        return self

    def corrupt(self, owner, rtype):
        """Changes the last character of the data of `owner`'s `rtype` record in the signed file
        (hex data stays hex): its RRSIG no longer matches and a validator finds it bogus."""
        owner = owner.rstrip(".") + "."
        with open(self.signed_path) as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            fields = line.split()
            if len(fields) > 4 and fields[0].lower() == owner.lower() and fields[3] == rtype:
                last = lines[i].rstrip()
                lines[i] = last[:-1] + ("0" if last[-1] != "0" else "1")
                break
        else:
            raise AssertionError(f"no {rtype} record of {owner} in {self.signed_path}")
        with open(self.signed_path, "w") as f:
            f.write("\n".join(lines))


def certificate(directory, name):
    """A self-signed P-256 certificate for `name` (directory/name.pem, directory/name.key);
    returns (certificate path, key path, hex SHA-256 of its SubjectPublicKeyInfo)."""
    openssl = _program("openssl")
    if not openssl:
        raise unittest.SkipTest("openssl is not installed")
    cert, key = os.path.join(directory, name + ".pem"), os.path.join(directory, name + ".key")
    subprocess.run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                    "-nodes", "-keyout", key, "-out", cert, "-days", "2", "-subj", f"/CN={name}",
                    "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True, timeout=30)
    pub = subprocess.run([openssl, "x509", "-in", cert, "-noout", "-pubkey"], check=True,
                         capture_output=True, timeout=30).stdout
    der = subprocess.run([openssl, "pkey", "-pubin", "-outform", "DER"], input=pub, check=True,
                         capture_output=True, timeout=30).stdout
    return cert, key, hashlib.sha256(der).hexdigest()
