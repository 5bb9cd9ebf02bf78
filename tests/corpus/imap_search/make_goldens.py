"""Writes Dovecot's SEARCH answers over the messages of tests/corpus/mime into
tests/corpus/imap_search/dovecot.txt, the expectations of the unit test
ImapSearchDovecot (src/imap/proto/imap_search_eval_test.cpp).

Every corpus message is APPENDed (in name order) to an empty INBOX with an INTERNALDATE of
its own, then each key of KEYS is searched with UID SEARCH CHARSET UTF-8. Needs Debian's
dovecot-imapd (/usr/lib/dovecot/imap) and root (the imap process runs as nobody on a
throw-away Maildir, PREAUTH on a pipe, TZ=UTC: no daemon, no network).

File format (UTF-8 lines, tab-separated):
    message <uid> <file name> <internal date, Unix seconds> <zone, minutes east>
    search <key as sent> <matching UIDs, space-separated>

Run: sudo python3 tests/corpus/imap_search/make_goldens.py
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "..", "mime")
sys.path.insert(0, os.path.join(HERE, "..", "imap_fetch"))
import make_goldens as fetch_goldens  # noqa: E402  (the Conn helper)

KEYS = [
    "ALL", "SUBJECT hello", "SUBJECT HELLO", "SUBJECT \"inner subject\"",
    "SUBJECT привет", "SUBJECT ПРИВЕТ", "SUBJECT 你好", "SUBJECT こんにちは", "SUBJECT ünï",
    "SUBJECT Grüße", "SUBJECT café", "SUBJECT CAFÉ", "SUBJECT =?", "SUBJECT \"\"",
    "FROM alice", "FROM ALICE", "FROM example.org", "FROM \"Alice Example\"", "FROM jörg",
    "FROM inner", "TO bob", "TO example.com", "CC example", "BCC example", "BCC \"\"",
    "HEADER Message-ID \"\"", "HEADER X-Nope \"\"", "HEADER Content-Type multipart",
    "HEADER content-type MIXED", "HEADER MIME-Version 1.0", "HEADER Subject inner",
    "BODY euro", "BODY €", "BODY café", "BODY CAFÉ", "BODY \"Hello World\"", "BODY html",
    "BODY inner", "BODY \"See attached\"", "BODY preamble", "BODY epilogue", "BODY Bob",
    "BODY PGI+Q2Fmw6k8L2I+Cg", "BODY hello", "BODY grüße", "BODY \"soft breakcontinued\"",
    "BODY equals", "BODY subject", "BODY Content-Type",
    "TEXT inner", "TEXT subject", "TEXT example.org", "TEXT euro", "TEXT \"Hi Bob\"",
    "TEXT Content-Type",
    "LARGER 500", "SMALLER 300", "LARGER 100000", "NOT LARGER 200",
    "SENTBEFORE 1-Jan-2005", "SENTON 1-Jul-2003", "SENTSINCE 1-Jan-2026", "SENTON 28-Nov-2026",
    "SENTBEFORE 28-Nov-2026", "SENTSINCE 29-Nov-2026",
    "BEFORE 10-Jan-2026", "ON 10-Jan-2026", "SINCE 10-Jan-2026", "ON 11-Jan-2026",
    "OR SUBJECT hello BODY euro", "NOT BODY x", "(FROM alice TO bob)", "UID 3:5", "UID 40:*",
    "2:4", "*", "NOT (SUBJECT a OR FROM b TO c)",
]


def internal_date(i):
    """Message i (0-based): day 1+i of January 2026 at 23:30 -0500 (04:30 UTC next day)."""
    day = 1 + i
    return (day, 1767225600 + (day - 1) * 86400 + 23 * 3600 + 1800 + 5 * 3600, -300)


def main():
    if not os.path.exists(fetch_goldens.IMAP) or os.geteuid() != 0:
        sys.exit("needs dovecot-imapd and root")
    base = tempfile.mkdtemp(prefix="estafeta-dovecot-search-")
    try:
        os.chmod(base, 0o755)
        for d in ("run", "state"):
            os.makedirs(os.path.join(base, d))
        with open(os.path.join(base, "dovecot.conf"), "w") as f:
            f.write(fetch_goldens.CONFIG.format(base=base))
        mail = os.path.join(base, "mail")
        for d in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(mail, d))
        subprocess.run(["chown", "-R", "nobody:nogroup", base], check=True)
        conn = fetch_goldens.Conn(base, mail)
        lines = []
        uid = 0
        names = sorted(e for e in os.listdir(CORPUS) if e.endswith(".eml"))
        for i, name in enumerate(names):
            with open(os.path.join(CORPUS, name), "rb") as f:
                data = f.read()
            day, t, tz = internal_date(i)
            date = b"%02d-Jan-2026 23:30:00 -0500" % day
            res = conn.command(b"a%d" % i, b"APPEND INBOX (\\Seen) \"%s\" {%d+}\r\n%s" %
                               (date, len(data), data))
            if b" OK " not in res[-1]:
                continue  # Dovecot refuses it (NUL bytes): left out
            uid += 1
            lines.append("message\t%d\t%s\t%d\t%d" % (uid, name, t, tz))
        conn.command(b"s", b"SELECT INBOX")
        for i, key in enumerate(KEYS):
            k = key.encode()
            # UTF-8 strings go as LITERAL+ so that any byte is fine.
            if any(c >= 0x80 for c in k):
                head, word = k.rsplit(b" ", 1)
                k = head + b" {%d+}\r\n%s" % (len(word), word)
            res = conn.command(b"q%d" % i, b"UID SEARCH CHARSET UTF-8 " + k)
            assert b" OK " in res[-1], (key, res)
            found = [l for l in res if l.startswith(b"* SEARCH")][0]
            uids = found[len(b"* SEARCH"):].strip().decode()
            lines.append("search\t%s\t%s" % (key, uids))
        conn.close()
        with open(os.path.join(HERE, "dovecot.txt"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
