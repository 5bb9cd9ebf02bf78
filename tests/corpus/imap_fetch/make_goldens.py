"""Writes Dovecot's FETCH answers for every message of tests/corpus/mime into
tests/corpus/imap_fetch/<message>.dovecot, the expectations of the unit test
ImapFetchDovecot (src/imap/proto/imap_fetch_test.cpp).

Needs Debian's dovecot-imapd (/usr/lib/dovecot/imap) and root (the imap process runs as
nobody on a throw-away Maildir in a temporary folder, PREAUTH on a pipe: no daemon, no
network). Each item is fetched by a FETCH command of its own, so that one item's failure
(BINARY of an unknown Content-Transfer-Encoding: NO [UNKNOWN-CTE]) leaves the others.

File format, one record per item, byte-exact:
    item <n>\\n<n bytes: the item as sent>\\n
    status <OK|NO|BAD>\\n
    response <n>\\n<n bytes: the untagged "* 1 FETCH (...)\\r\\n" answer, or nothing>\\n

Run: sudo python3 tests/corpus/imap_fetch/make_goldens.py
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "mime")
IMAP = "/usr/lib/dovecot/imap"

# Kept in step with kDovecotItems in imap_fetch_test.cpp.
ITEMS = [
    "BODY.PEEK[]", "BODY.PEEK[HEADER]", "BODY.PEEK[TEXT]",
    "BODY.PEEK[1]", "BODY.PEEK[2]", "BODY.PEEK[3]", "BODY.PEEK[1.1]", "BODY.PEEK[1.2]",
    "BODY.PEEK[2.1]", "BODY.PEEK[2.2.1]", "BODY.PEEK[1.MIME]", "BODY.PEEK[2.MIME]",
    "BODY.PEEK[1.HEADER]", "BODY.PEEK[1.TEXT]", "BODY.PEEK[2.HEADER]", "BODY.PEEK[2.TEXT]",
    "BODY.PEEK[HEADER.FIELDS (From Subject Content-Type)]",
    "BODY.PEEK[HEADER.FIELDS.NOT (From Subject)]",
    "BODY.PEEK[2.HEADER.FIELDS (Subject)]",
    "BODY.PEEK[]<0.10>", "BODY.PEEK[]<20.1000000>", "BODY.PEEK[]<1000000.10>",
    "BODY.PEEK[TEXT]<5.7>", "BODY.PEEK[1]<2.3>",
    "BINARY.PEEK[1]", "BINARY.PEEK[2]", "BINARY.PEEK[3]", "BINARY.PEEK[1.1]",
    "BINARY.PEEK[1]<1.4>",
    "BINARY.SIZE[1]", "BINARY.SIZE[2]", "BINARY.SIZE[3]",
    "RFC822.SIZE", "RFC822.HEADER", "BODY", "BODYSTRUCTURE", "ENVELOPE",
]

CONFIG = """mail_location = maildir:{base}/mail
passdb {{
  driver = static
  args = password=unused
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={base}
}}
first_valid_uid = 0
first_valid_gid = 0
log_path = {base}/log
base_dir = {base}/run
state_dir = {base}/state
ssl = no
protocols =
"""


class Conn:
    """Dovecot's imap on a pipe, one command at a time (pipelined FETCHes would interleave)."""

    def __init__(self, base, mail):
        self.proc = subprocess.Popen(
            ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", IMAP,
             "-c", os.path.join(base, "dovecot.conf")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={"USER": "nobody", "HOME": base, "MAIL": "maildir:" + mail,
                 "PATH": "/usr/bin:/bin", "TZ": "UTC"})
        self.buf = b""
        self.line()  # PREAUTH greeting

    def fill(self, need):
        while len(self.buf) < need:
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                raise EOFError("imap closed")
            self.buf += chunk

    def take(self, n):
        self.fill(n)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def line(self):
        """One response line with its literals, CRLF included."""
        out = b""
        while True:
            while b"\r\n" not in self.buf:
                self.fill(len(self.buf) + 1)
            eol = self.buf.index(b"\r\n") + 2
            part = self.take(eol)
            out += part
            if part.endswith(b"}\r\n"):
                size = int(part[part.rfind(b"{") + 1:-3])
                out += self.take(size)
                continue
            return out

    def command(self, tag, text):
        self.proc.stdin.write(b"%s %s\r\n" % (tag, text))
        self.proc.stdin.flush()
        lines = []
        while True:
            l = self.line()
            lines.append(l)
            if l.startswith(tag + b" "):
                return lines

    def close(self):
        self.command(b"z", b"LOGOUT")
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def fetch_all(path, base):
    mail = os.path.join(base, "mail")
    shutil.rmtree(mail, ignore_errors=True)
    for d in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(mail, d))
    shutil.copy(path, os.path.join(mail, "cur", "1.estafeta:2,S"))
    subprocess.run(["chown", "-R", "nobody:nogroup", base], check=True)
    conn = Conn(base, mail)
    conn.command(b"s", b"SELECT INBOX")
    records = []
    for i, item in enumerate(ITEMS):
        lines = conn.command(b"f%d" % i, b"FETCH 1 (%s)" % item.encode())
        status = lines[-1].split(b" ")[1].decode()
        fetches = [l for l in lines[:-1] if l.startswith(b"* 1 FETCH")]
        records.append((item, status, fetches[0] if fetches else b""))
    conn.close()
    return records


def main():
    if not os.path.exists(IMAP) or os.geteuid() != 0:
        sys.exit("needs dovecot-imapd and root")
    base = tempfile.mkdtemp(prefix="estafeta-dovecot-fetch-")
    try:
        os.chmod(base, 0o755)
        for d in ("run", "state"):
            os.makedirs(os.path.join(base, d))
        with open(os.path.join(base, "dovecot.conf"), "w") as f:
            f.write(CONFIG.format(base=base))
        for entry in sorted(os.listdir(CORPUS)):
            if not entry.endswith(".eml"):
                continue
            records = fetch_all(os.path.join(CORPUS, entry), base)
            with open(os.path.join(HERE, entry[:-4] + ".dovecot"), "wb") as f:
                for item, status, response in records:
                    f.write(b"item %d\n%s\n" % (len(item), item.encode()))
                    f.write(b"status %s\n" % status.encode())
                    f.write(b"response %d\n%s\n" % (len(response), response))
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
