# test_imap_preview: PREVIEW (RFC 8970) over mail delivered by SMTP and APPENDed: advertised;
# FETCH PREVIEW and PREVIEW (LAZY) give the first text part decoded (quoted-printable,
# base64, ISO-8859-1) with whitespace collapsed, HTML converted to text (<style> and entities),
# at most 256 characters, "" for a message without text; the same after COPY and after
# `estafeta index rebuild` (recomputed from the files). Raw commands: imaplib has no PREVIEW.
import base64
import re
import time
import unittest

from estafeta_harness import unique
from test_imap_commands import ALICE, ImapCase

ALTERNATIVE = (
    "From: Shop <news@shop.example>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/alternative; boundary=\"=_b1\"\r\n\r\n"
    "--=_b1\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
    "  Soldes d'=E9t=E9 :\r\n\r\n   -30 % sur tout=\r\n le magasin.\r\n"
    "--=_b1\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>HTML</p>\r\n--=_b1--\r\n")
HTML_B64 = base64.encodebytes(
    "<html><head><style>p { color: red }</style><title>T</title></head><body>"
    "<div style='display:none'>&zwnj;&nbsp;&zwnj;</div><h1>Tom &amp; Jerry</h1>"
    "<p>Ca co\u00fbte 5&nbsp;&euro;</p></body></html>".encode()).decode().replace("\n", "\r\n")
HTML_ONLY = (
    "From: <a@remote.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" + HTML_B64)
NO_TEXT = (
    "From: <a@remote.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\nMIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nContent-Type: image/png\r\n"
    "Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--x--\r\n")
LONG = ("From: <a@remote.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n\r\n" + "\u00e9" * 300 + "\r\n")

EXPECTED = [
    "Soldes d'\u00e9t\u00e9 : -30 % sur tout le magasin.",
    "Tom & Jerry Ca co\u00fbte 5 \u20ac",
    "",
    "\u00e9" * 256,
]


def wait_delivered(server, marker, timeout=15.0):
    deadline = time.monotonic() + timeout
    while not server.find(ALICE, marker):
        if time.monotonic() > deadline:
            raise AssertionError(f"{marker} not delivered")
        time.sleep(0.05)


def previews(untagged):
    """PREVIEW values, in order, from FETCH responses (quoted or literal)."""
    out = []
    for r in untagged:
        m = re.search(rb'PREVIEW (?:"((?:[^"\\]|\\.)*)"|\{(\d+)\}\r\n)', r)
        if not m:
            continue
        if m.group(2) is not None:
            n = int(m.group(2))
            out.append(r[m.end():m.end() + n].decode())
        else:
            out.append(re.sub(rb'\\(.)', rb'\1', m.group(1)).decode())
    return out


class Preview(ImapCase):
    def deliver_all(self, tag):
        # One at a time, so that the UIDs follow the order of EXPECTED.
        subjects = []
        with self.server.smtp() as s:
            for i, tmpl in enumerate((ALTERNATIVE, HTML_ONLY, NO_TEXT, LONG)):
                subject = f"{tag}-{i}"
                subjects.append(subject)
                s.sendmail("sender@remote.test", [ALICE],
                           tmpl.format(to=ALICE, subject=subject).encode())
                wait_delivered(self.server, subject)
        return subjects

    def uids(self, c, tag):
        u, _ = c.ok(f"UID SEARCH SUBJECT {tag}")
        return [x.decode() for x in u[0].split()[2:]]

    def test_advertised(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        self.assertIn(b"PREVIEW", u[0].split())

    def test_delivered_mail(self):
        tag = unique("pv")
        self.deliver_all(tag)
        c = self.raw()
        c.ok("SELECT INBOX")
        uids = self.uids(c, tag)
        self.assertEqual(len(uids), 4)
        u, _ = c.ok(f"UID FETCH {','.join(uids)} (PREVIEW)")
        self.assertEqual(previews(u), EXPECTED)
        u, _ = c.ok(f"UID FETCH {','.join(uids)} (UID PREVIEW (LAZY))")
        self.assertEqual(previews(u), EXPECTED)
        self.assertIn(b'PREVIEW ""', u[2])  # no text: a zero-length string (RFC 8970 §3.1)
        # 8-bit text goes in a literal until UTF-8 is enabled, then quoted.
        self.assertIn(b"PREVIEW {", u[0])
        c.ok("ENABLE UTF8=ACCEPT")
        u, _ = c.ok(f"UID FETCH {uids[0]} PREVIEW")
        self.assertIn("PREVIEW \"Soldes d'\u00e9t\u00e9".encode(), u[0])
        # PREVIEW does not set \Seen.
        u, _ = c.ok(f"UID FETCH {uids[0]} FLAGS")
        self.assertNotIn(b"\\Seen", u[0])
        for bad in ("PREVIEW (FOO)", "(PREVIEW (LAZY)", "PREVIEW (LAZY FOO)"):
            _, t = c.cmd(f"UID FETCH {uids[0]} {bad}")
            self.assertTrue(t.startswith(b"BAD"), (bad, t))

    def test_append_copy_and_imaplib(self):
        c = self.raw()
        data = ALTERNATIVE.format(to=ALICE, subject="appended").encode()
        box = self.mailbox(c, [data])
        dest = self.mailbox(c, [])
        c.ok(f"SELECT {box}")
        self.assertEqual(previews(c.ok("FETCH 1 PREVIEW")[0]), EXPECTED[:1])
        c.ok(f"COPY 1 {dest}")
        c.ok(f"SELECT {dest}")
        self.assertEqual(previews(c.ok("FETCH 1 PREVIEW")[0]), EXPECTED[:1])
        lib = self.lib()
        lib.select(box)
        typ, d = lib.fetch("1", "(PREVIEW)")
        self.assertEqual(typ, "OK")
        self.assertEqual(d[0][1].decode(), EXPECTED[0])


class PreviewAfterRebuild(ImapCase):
    def test_index_rebuild_recomputes_previews(self):
        tag = unique("pvr")
        Preview.deliver_all(self, tag)
        self.server.stop_ok(self)
        r = self.server.cli("index", "rebuild", ALICE)
        self.assertIn("rebuilt the index", r.stdout)
        self.server.start()
        c = self.raw()
        c.ok("SELECT INBOX")
        uids = Preview.uids(self, c, tag)
        u, _ = c.ok(f"UID FETCH {','.join(uids)} (PREVIEW)")
        self.assertEqual(previews(u), EXPECTED)


if __name__ == "__main__":
    unittest.main()
