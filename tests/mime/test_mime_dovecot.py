"""Differential test of the IMAP renderings against Dovecot itself.

For every message of tests/corpus/mime, Dovecot's `doveadm fetch` (run on a throw-away
Maildir, no daemon, no network) gives imap.envelope, imap.body and imap.bodystructure; they
must equal what estafeta_mime writes (mime_dump). Skipped when doveadm is not installed or
we are not root (doveadm must drop privileges to an unprivileged mail user).
KNOWN lists the messages where we deliberately differ, with the reason.
"""
import json
import os
import shutil
import subprocess
import tempfile
import unittest

DUMP = os.environ.get("MIME_DUMP", "mime_dump")
CORPUS = os.environ.get("MIME_CORPUS", os.path.join(os.path.dirname(__file__), "..", "corpus", "mime"))
DOVEADM = shutil.which("doveadm")

KNOWN = {
    # RFC 5322 §4.4: the "null" members of an obsolete address list (", ,") are ignored.
    # Dovecot 2.3 writes one (NIL NIL "MISSING_MAILBOX" "MISSING_DOMAIN") address for it.
    ("12-obsolete-syntax.eml", "imap.envelope"): "null list members ignored (RFC 5322 §4.4)",
    # RFC 9051 §7.5.2 (body-type-msg: "MESSAGE" ("RFC822" / "GLOBAL")) and RFC 6532 §3.7:
    # message/global carries an envelope and nested body like message/rfc822. Dovecot 2.3
    # treats it as an opaque part.
    ("22-message-global.eml", "imap.body"): "message/global is a message (RFC 9051)",
    ("22-message-global.eml", "imap.bodystructure"): "message/global is a message (RFC 9051)",
    # RFC 2045 §5.2: a syntactically invalid Content-Type is treated as absent, i.e.
    # text/plain; charset=us-ascii. Dovecot 2.3 writes "" "" for some invalid values, the
    # invalid type itself for others ("justonetoken" "", 8-bit types), and no line count.
    ("36-invalid-content-type.eml", "imap.body"): "invalid Content-Type is text/plain (RFC 2045 §5.2)",
    ("36-invalid-content-type.eml", "imap.bodystructure"): "invalid Content-Type is text/plain (RFC 2045 §5.2)",
}

CONFIG = """mail_location = maildir:{base}/mail
passdb {{
  driver = static
  args = password=unused
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home={base}
}}
mail_uid = nobody
mail_gid = nogroup
first_valid_uid = 0
first_valid_gid = 0
log_path = {base}/log
base_dir = {base}/run
state_dir = {base}/state
ssl = no
protocols =
"""


@unittest.skipUnless(DOVEADM and hasattr(os, "geteuid") and os.geteuid() == 0,
                     "needs doveadm (dovecot-core) and root")
class DovecotRenderings(unittest.TestCase):
    maxDiff = 4000

    @classmethod
    def setUpClass(cls):
        cls.base = tempfile.mkdtemp(prefix="estafeta-dovecot-")
        os.chmod(cls.base, 0o755)
        for d in ("run", "state"):
            os.makedirs(os.path.join(cls.base, d))
        with open(os.path.join(cls.base, "dovecot.conf"), "w") as f:
            f.write(CONFIG.format(base=cls.base))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.base, ignore_errors=True)

    def dovecot(self, path):
        mail = os.path.join(self.base, "mail")
        shutil.rmtree(mail, ignore_errors=True)
        for d in ("new", "cur", "tmp"):
            os.makedirs(os.path.join(mail, d))
        shutil.copy(path, os.path.join(mail, "cur", "1.estafeta:2,"))
        subprocess.run(["chown", "-R", "nobody:nogroup", mail], check=True)
        out = subprocess.run(
            [DOVEADM, "-c", os.path.join(self.base, "dovecot.conf"), "-f", "json", "fetch",
             "imap.envelope imap.body imap.bodystructure", "mailbox", "INBOX", "all"],
            capture_output=True, timeout=120,
            env={"USER": "nobody", "HOME": self.base, "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        if out.returncode != 0:
            self.skipTest("doveadm failed: " + out.stderr.decode("utf-8", "replace")[:300])
        return json.loads(out.stdout.decode("utf-8", "surrogateescape"))[0]

    def check(self, path):
        name = os.path.basename(path)
        theirs = self.dovecot(path)
        ours = json.loads(subprocess.run([DUMP, path], check=True, capture_output=True, timeout=120).stdout)
        for key, our_key in (("imap.bodystructure", "bodystructure"), ("imap.body", "body"),
                             ("imap.envelope", "envelope")):
            if (name, key) in KNOWN:
                continue
            # mime_dump escapes raw bytes one per \\u00XX; doveadm's JSON writes UTF-8 and shows
            # invalid bytes as U+FFFD. Compare the bytes, decoded the way doveadm shows them.
            mine = ours[our_key].encode("latin-1").decode("utf-8", "replace")
            self.assertEqual(theirs[key], mine, f"{name}: {key}")


def _add_tests():
    for entry in sorted(os.listdir(CORPUS)):
        if entry.endswith(".eml"):
            path = os.path.join(CORPUS, entry)
            setattr(DovecotRenderings, "test_" + entry.replace("-", "_").replace(".", "_"),
                    lambda self, path=path: self.check(path))


_add_tests()

if __name__ == "__main__":
    unittest.main()
