"""Differential test: estafeta_mime (through mime_dump) against Python's email package.

For every message of tests/corpus/mime (and generated large ones) it compares the part
tree and media types, every decoded leaf body, the raw header fields (policy=compat32), and
the decoded Subject, address lists and Date (policy=default). Where the two disagree on
purpose, KNOWN lists the message and aspect with the reason; anything else fails.
"""
import base64
import email
import email.policy
import email.utils
import json
import os
import re
import subprocess
import tempfile
import unittest

DUMP = os.environ.get("MIME_DUMP", "mime_dump")
CORPUS = os.environ.get("MIME_CORPUS", os.path.join(os.path.dirname(__file__), "..", "corpus", "mime"))

# (file, aspect) -> why we differ from Python. Every entry is a case where Python is wrong or
# where Estafeta deliberately does what Dovecot (the IMAP reference) does.
KNOWN = {
    # Python ends the header at the first line that is neither a field nor a continuation and
    # makes it the first body line (MissingHeaderBodySeparatorDefect). Dovecot, and RFC 5322
    # §2.1 (the header ends at the empty line), keep the header going: BODY[HEADER] must be
    # the same bytes Dovecot would serve. We skip the junk line and keep later fields.
    ("27-nonheader-line.eml", "headers"): "junk line does not end the header",
    ("27-nonheader-line.eml", "bodies"): "junk line does not end the header",
    # RFC 2046 §5.1.1: a boundary delimiter line is "--boundary" then optional whitespace.
    # Dovecot (and so do we) also treats "--boundary<anything>" as a delimiter since a boundary
    # may not occur inside a part at all; Python requires the exact form. The corpus message
    # violates the RFC on purpose.
    ("26-ambiguous-boundary-prefix.eml", "structure"): "prefix boundary match (Dovecot)",
    ("26-ambiguous-boundary-prefix.eml", "bodies"): "prefix boundary match (Dovecot)",
    # The last part of a multipart with no close delimiter runs to EOF: no delimiter follows
    # that could own its final CRLF (RFC 2046 §5.1.1), and Dovecot keeps it. Python strips it.
    ("05-missing-close-boundary.eml", "bodies"): "final CRLF kept at EOF (Dovecot)",
    # RFC 6532 §3.2 allows raw UTF-8 in header fields; Python's policy=default turns the bytes
    # into surrogate escapes instead of text. Python is wrong.
    ("10-8bit-utf8-headers.eml", "addr_from"): "Python does not decode RFC 6532 UTF-8",
    ("10-8bit-utf8-headers.eml", "addr_to"): "Python does not decode RFC 6532 UTF-8",
    ("10-8bit-utf8-headers.eml", "subject"): "Python does not decode RFC 6532 UTF-8",
    # Raw 8-bit bytes that are not UTF-8: we read them as Windows-1252 the way mail clients
    # do ("caf\xe9" -> "café"); Python replaces them with U+FFFD.
    ("11-latin1-8bit-junk.eml", "subject"): "Windows-1252 fallback for raw 8-bit",
    # RFC 5322 §4.5 obs-optional: WSP is allowed between a field name and its colon
    # ("Subject : x"). Python's header regex rejects it and ends the header there.
    ("12-obsolete-syntax.eml", "*"): "Python rejects obsolete WSP before ':'",
    # "addr (Name)": the comment after an addr-spec is the RFC 822-era display name; Dovecot
    # and mail clients show it, Python drops it.
    ("14-quoted-local-comments.eml", "addr_from"): "comment used as display name (Dovecot)",
    ("14-quoted-local-comments.eml", "addr_to"): "comment used as display name (Dovecot)",
    # "--e CRLF --e": the first body part is empty (RFC 2046 §5.1.1: its headers and body are
    # both optional, and the CRLF belongs to the next delimiter). Python drops it.
    ("18-empty-parts.eml", "structure"): "empty body part kept",
    # RFC 2045 §6.7 rule (3): trailing whitespace on a quoted-printable line is deleted when
    # decoding. Python's quopri keeps it.
    ("19-qp-edge.eml", "bodies"): "QP trailing whitespace removed",
    # RFC 2045 §5.1: comments may surround the type and subtype. compat32's naive split
    # returns the comment text as the type.
    ("25-content-type-comments.eml", "structure"): "comments in Content-Type",
    # RFC 5322 §2.3: CR and LF occur only together as CRLF; a bare CR is no line break, and
    # Dovecot does not split on it either. Python's feedparser splits lines on bare CR
    # (universal newlines), so it sees header fields where we see one long field.
    ("33-cr-only-lines.eml", "*"): "bare CR is not a line break",
    # RFC 2045 §5.2: an invalid Content-Type ("text/plain junk", 8-bit type token) counts as
    # text/plain. compat32's get_content_type() only checks for one '/' and returns the junk.
    ("36-invalid-content-type.eml", "structure"): "invalid Content-Type is text/plain",
    # RFC 2045 §4: without MIME-Version (and without Content-Type) a message is not MIME, so
    # its Content-Transfer-Encoding is not applied; Dovecot does the same (BODYSTRUCTURE says
    # "7bit"). Python decodes it anyway.
    ("39-not-mime.eml", "bodies"): "no MIME-Version: transfer encoding not applied",
    # message/delivery-status (RFC 3464 §2.1) holds groups of DSN fields, not MIME entities;
    # IMAP (and Dovecot) show it as one leaf part. Python's parser splits it into one pseudo
    # text/plain message per field group, which adds parts to walk().
    ("40-delivery-status.eml", "structure"): "delivery-status is one leaf part",
}


def run_dump(path):
    out = subprocess.run([DUMP, path], check=True, capture_output=True, timeout=120).stdout
    return json.loads(out.decode("utf-8"))


def latin1(s):
    return s.encode("latin-1")


def py_walk(msg):
    return list(msg.walk())


def py_ctype(part):
    return part.get_content_type()


class Checker:
    maxDiff = 4000

    def check(self, path):
        name = os.path.basename(path)
        ours = run_dump(path)
        raw = open(path, "rb").read()
        compat = email.message_from_bytes(raw, policy=email.policy.compat32)
        modern = email.message_from_bytes(raw, policy=email.policy.default)

        def known(aspect):
            return (name, aspect) in KNOWN or (name, "*") in KNOWN

        # 1. Part tree: media types in pre-order.
        py_parts = py_walk(compat)
        if not known("structure"):
            self.assertEqual([py_ctype(p) for p in py_parts], [p["content_type"] for p in ours["parts"]],
                             f"{name}: structure")

        # 2. Decoded leaf bodies.
        if not known("bodies") and not known("structure"):
            for i, (pp, op) in enumerate(zip(py_parts, ours["parts"])):
                if pp.is_multipart() or op["kind"] != "leaf":
                    continue
                py_body = pp.get_payload(decode=True)
                if py_body is None:
                    continue
                self.assertEqual(py_body, base64.b64decode(op["body_b64"]), f"{name}: body of part {i}")

        # 2b. Filenames (Content-Disposition filename, else Content-Type name; RFC 2231 decoded)
        #     and charsets, as Python's policy=default reports them.
        if not known("params") and not known("structure"):
            for i, (pp, op) in enumerate(zip(py_walk(modern), ours["parts"])):
                py_name = pp.get_filename()
                our_name = op.get("filename", op["params"].get("name"))
                self.assertEqual(py_name, our_name, f"{name}: filename of part {i}")
                py_cs = pp.get_param("charset")
                if isinstance(py_cs, tuple):
                    py_cs = email.utils.collapse_rfc2231_value(py_cs)
                self.assertEqual(py_cs, op["params"].get("charset"), f"{name}: charset of part {i}")

        # 3. Raw header fields (compat32 keeps values as written).
        if not known("headers") and not known("structure"):
            for i, (pp, op) in enumerate(zip(py_parts, ours["parts"])):
                py_fields = [(k, v.encode("utf-8", "surrogateescape") if isinstance(v, str) else str(v).encode())
                             for k, v in pp._headers]
                our_fields = [(latin1(f[0]).decode("utf-8", "surrogateescape"), latin1(f[1])) for f in op["headers"]]
                self.assertEqual(py_fields, our_fields, f"{name}: raw headers of part {i}")

        # 4. Decoded Subject, addresses, Date on the top-level message (policy=default).
        top = ours["parts"][0]
        if modern["subject"] is not None and not known("subject"):
            ours_subject = next(f[2] for f in top["headers"] if f[0].lower() == "subject")
            self.assertEqual(str(modern["subject"]), ours_subject, f"{name}: subject")
        for field in ("from", "to", "cc"):
            hdr = modern[field]
            if hdr is None or known("addr_" + field):
                continue
            py_addrs = [(a.display_name, a.addr_spec) for a in hdr.addresses]
            our_addrs = [(a[0], a[1]) for a in top.get("addr_" + field, [])]
            self.assertEqual(py_addrs, our_addrs, f"{name}: {field}")
        # Message identifiers: the <...> tokens of Message-ID / In-Reply-To / References.
        for field in ("message-id", "in-reply-to", "references"):
            value = compat[field]
            if value is None or known("ids_" + field):
                continue
            py_ids = [re.sub(r"\s+", "", i) for i in re.findall(r"<([^<>]*)>", str(value))]
            self.assertEqual(py_ids, top.get("ids_" + field), f"{name}: {field}")
        if modern["date"] is not None and not known("date"):
            dt = modern["date"].datetime
            if dt is not None:
                self.assertEqual(int(dt.timestamp()), top["date"], f"{name}: date")


class Corpus(Checker, unittest.TestCase):
    """One test per corpus message."""


def _add_tests():
    for entry in sorted(os.listdir(CORPUS)):
        if not entry.endswith(".eml"):
            continue
        path = os.path.join(CORPUS, entry)

        def test(self, path=path):
            self.check(path)
        setattr(Corpus, "test_" + entry.replace("-", "_").replace(".", "_"), test)


_add_tests()


class Generated(Checker, unittest.TestCase):
    """Messages too large to commit: a multi-megabyte attachment, built here."""

    def test_large_attachment(self):
        payload = bytes(range(256)) * (6 * 1024 * 1024 // 256)  # 6 MiB
        b64 = base64.encodebytes(payload).replace(b"\n", b"\r\n")
        msg = (b"From: big@example.org\r\nSubject: large\r\nContent-Type: multipart/mixed; boundary=BIG\r\n\r\n"
               b"--BIG\r\nContent-Type: text/plain\r\n\r\nsee attachment\r\n"
               b"--BIG\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
               + b64 + b"--BIG--\r\n")
        with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
            f.write(msg)
            path = f.name
        try:
            self.check(path)
            ours = run_dump(path)
            self.assertEqual(base64.b64decode(ours["parts"][2]["body_b64"]), payload)
        finally:
            os.unlink(path)


if __name__ == "__main__":
    unittest.main()
