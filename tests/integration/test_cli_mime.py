# test_cli_mime: `estafeta mime json|envelope|bodystructure|section` on messages written by
# the test: a multipart/mixed with a quoted-printable text part, a base64 attachment and an
# RFC 2047 subject, checked against what Python's email package makes of the same bytes; a
# plain text/plain message (CRLF and bare LF) against hand-written ENVELOPE, BODY and
# BODYSTRUCTURE; stdin, bad section specs, missing files and the 1 GiB input bound.
# No server: the binary runs once per command, each bounded by a 60 s timeout.
import base64
import email
import email.policy
import json
import os
import shutil
import subprocess
import tempfile
import unittest

from estafeta_harness import binary

SUBJECT = "Grüße aus Köln ✉"
TEXT_BODY = "Hallo, schöne Grüße.\r\nZweite Zeile = zwei.\r\n"
ATTACHMENT = bytes(range(256)) * 3 + b"\x00end"


def qp(text):
    """Quoted-printable of UTF-8 text with CRLF line ends kept as line breaks."""
    out = []
    for line in text.split("\r\n"):
        enc = "".join(ch if 33 <= ord(ch) <= 126 and ch != "=" or ch == " "
                      else "".join(f"={b:02X}" for b in ch.encode()) for ch in line)
        out.append(enc)
    return "\r\n".join(out)


def multipart_message():
    b64 = base64.b64encode(ATTACHMENT).decode()
    b64_lines = "\r\n".join(b64[i:i + 76] for i in range(0, len(b64), 76))
    subject = "=?UTF-8?B?" + base64.b64encode(SUBJECT.encode()).decode() + "?="
    text_part_body = qp(TEXT_BODY)
    msg = (
        "From: =?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.org>\r\n"
        "To: Bob <bob@example.net>, carol@example.net\r\n"
        f"Subject: {subject}\r\n"
        "Date: Sat, 28 Nov 2026 04:00:00 +0100\r\n"
        "Message-ID: <cli-mime-1@example.org>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n'
        "\r\n"
        "This is a multi-part message in MIME format.\r\n"
        "--b1\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: quoted-printable\r\n"
        "\r\n"
        f"{text_part_body}"
        "\r\n--b1\r\n"
        'Content-Type: application/octet-stream; name="data.bin"\r\n'
        'Content-Disposition: attachment; filename="data.bin"\r\n'
        "Content-Transfer-Encoding: base64\r\n"
        "\r\n"
        f"{b64_lines}"
        "\r\n--b1--\r\n")
    return msg.encode(), text_part_body.encode(), b64_lines.encode(), subject


SIMPLE = (b"From: alice@example.org\r\nTo: bob@example.net\r\nSubject: plain\r\n\r\n"
          b"Hello Bob,\r\nsee you.\r\n")
# Hand-written from RFC 3501 §7.4.2: no Content-Type means text/plain us-ascii 7bit; the body
# is 22 octets in 2 lines; BODYSTRUCTURE adds MD5, disposition, language, location (all NIL).
SIMPLE_BODY = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 22 2)'
SIMPLE_BODYSTRUCTURE = '("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" 22 2 NIL NIL NIL NIL)'
SIMPLE_ENVELOPE = ('(NIL "plain" ((NIL NIL "alice" "example.org")) ((NIL NIL "alice" "example.org"))'
                   ' ((NIL NIL "alice" "example.org")) ((NIL NIL "bob" "example.net"))'
                   ' NIL NIL NIL NIL)')


class MimeCli(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.binary = binary()
        cls.dir = tempfile.mkdtemp(prefix="estafeta-cli-mime-")
        (cls.multi, cls.text_part_body, cls.b64_body, cls.raw_subject) = multipart_message()
        cls.multi_path = cls.write("multi.eml", cls.multi)
        cls.simple_path = cls.write("simple.eml", SIMPLE)
        cls.simple_lf_path = cls.write("simple-lf.eml", SIMPLE.replace(b"\r\n", b"\n"))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def write(cls, name, data):
        path = os.path.join(cls.dir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def run_cli(self, *args, stdin=None, env=None):
        run_env = dict(os.environ)
        # mime needs no configuration: a broken one must not matter.
        run_env["ESTAFETA_CONFIG"] = os.path.join(self.dir, "does-not-exist.toml")
        run_env.update(env or {})
        return subprocess.run([self.binary, "mime", *args], input=stdin, capture_output=True,
                              timeout=60, env=run_env)

    def ok(self, *args, stdin=None):
        r = self.run_cli(*args, stdin=stdin)
        self.assertEqual(r.returncode, 0, r.stderr.decode(errors="replace"))
        self.assertEqual(r.stderr, b"")
        return r.stdout

    def fails(self, *args, stdin=None):
        r = self.run_cli(*args, stdin=stdin)
        self.assertEqual(r.returncode, 1, r.stdout[:200])
        self.assertEqual(r.stdout, b"")
        err = r.stderr.decode(errors="replace")
        self.assertTrue(err.startswith("estafeta: ") and err.endswith("\n"), err)
        self.assertEqual(err.count("\n"), 1, err)
        return err

    # --- json against Python's email package ---

    def test_json_matches_python(self):
        out = json.loads(self.ok("json", self.multi_path))
        py = email.message_from_bytes(self.multi, policy=email.policy.default)

        # Part tree: the same media types in the same pre-order, with parents.
        py_parts, py_parents = [], []

        def walk(part, parent):
            py_parts.append(part)
            py_parents.append(parent)
            me = len(py_parts) - 1
            if part.is_multipart():
                for child in part.get_payload():
                    walk(child, me)
        walk(py, None)
        self.assertEqual([p["content_type"] for p in out["parts"]],
                         [p.get_content_type() for p in py_parts])
        self.assertEqual([p["parent"] for p in out["parts"]], py_parents)
        self.assertEqual([p["kind"] for p in out["parts"]], ["multipart", "leaf", "leaf"])

        # Decoded bodies: the attachment's bytes, the text part's UTF-8 after QP.
        for ours, theirs in zip(out["parts"], py_parts):
            if theirs.is_multipart():
                self.assertNotIn("body_b64", ours)
                continue
            self.assertEqual(base64.b64decode(ours["body_b64"]), theirs.get_payload(decode=True))
        self.assertEqual(base64.b64decode(out["parts"][2]["body_b64"]), ATTACHMENT)
        self.assertEqual(base64.b64decode(out["parts"][1]["body_b64"]).decode(), TEXT_BODY)
        self.assertEqual(out["parts"][2]["disposition"], "attachment")
        self.assertEqual(out["parts"][2]["filename"], py_parts[2].get_filename())

        # Subject: raw as written, decoded as Python decodes it.
        headers = {h[0]: h for h in out["parts"][0]["headers"]}
        self.assertEqual(headers["Subject"][1], self.raw_subject)
        self.assertEqual(headers["Subject"][2], str(py["Subject"]))
        self.assertEqual(headers["Subject"][2], SUBJECT)
        # Addresses: display names decoded, as Python's address headers give them.
        self.assertEqual([[a[0], a[1]] for a in out["parts"][0]["addr_from"]],
                         [[a.display_name, a.addr_spec] for a in py["From"].addresses])
        self.assertEqual([[a[0], a[1]] for a in out["parts"][0]["addr_to"]],
                         [[a.display_name, a.addr_spec] for a in py["To"].addresses])
        self.assertEqual(out["parts"][0]["date"], int(py["Date"].datetime.timestamp()))
        self.assertEqual(out["parts"][0]["ids_message-id"], ["cli-mime-1@example.org"])

        # --no-bodies leaves the bodies out, nothing else.
        lean = json.loads(self.ok("json", "--no-bodies", self.multi_path))
        self.assertFalse(any("body_b64" in p for p in lean["parts"]))
        for p in out["parts"]:
            p.pop("body_b64", None)
        self.assertEqual(lean, out)

    def test_json_from_stdin_is_the_same(self):
        self.assertEqual(self.ok("json", "-", stdin=self.multi), self.ok("json", self.multi_path))

    # --- envelope and bodystructure ---

    def test_simple_message_hand_written(self):
        for path in (self.simple_path, self.simple_lf_path):
            with self.subTest(path=os.path.basename(path)):
                self.assertEqual(self.ok("bodystructure", path).decode(),
                                 SIMPLE_BODYSTRUCTURE + "\n")
                self.assertEqual(self.ok("bodystructure", "--body", path).decode(),
                                 SIMPLE_BODY + "\n")
                self.assertEqual(self.ok("envelope", path).decode(), SIMPLE_ENVELOPE + "\n")

    def test_multipart_envelope(self):
        env = self.ok("envelope", self.multi_path).decode()
        # Raw values (RFC 3501 §7.4.2: the envelope is not decoded).
        self.assertEqual(
            env,
            f'("Sat, 28 Nov 2026 04:00:00 +0100" "{self.raw_subject}"'
            ' (("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.org"))'
            ' (("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.org"))'
            ' (("=?UTF-8?Q?J=C3=BCrgen_M=C3=BCller?=" NIL "juergen" "example.org"))'
            ' (("Bob" NIL "bob" "example.net")(NIL NIL "carol" "example.net"))'
            ' NIL NIL NIL "<cli-mime-1@example.org>")\n')

    def test_multipart_bodystructure(self):
        text_size = len(self.text_part_body)
        text_lines = self.text_part_body.count(b"\n")
        att_size = len(self.b64_body)
        text = (f'("text" "plain" ("charset" "utf-8") NIL NIL "quoted-printable" '
                f'{text_size} {text_lines}')
        att = (f'("application" "octet-stream" ("name" "data.bin") NIL NIL "base64" {att_size}')
        self.assertEqual(
            self.ok("bodystructure", "--body", self.multi_path).decode(),
            f'({text}){att}) "mixed")\n')
        self.assertEqual(
            self.ok("bodystructure", self.multi_path).decode(),
            f'({text} NIL NIL NIL NIL){att} NIL ("attachment" ("filename" "data.bin")) NIL NIL)'
            ' "mixed" ("boundary" "b1") NIL NIL NIL)\n')

    # --- sections ---

    def test_sections(self):
        py = email.message_from_bytes(self.multi, policy=email.policy.compat32)
        header, _, body = self.multi.partition(b"\r\n\r\n")
        self.assertEqual(self.ok("section", "", self.multi_path), self.multi)
        self.assertEqual(self.ok("section", "HEADER", self.multi_path), header + b"\r\n\r\n")
        self.assertEqual(self.ok("section", "TEXT", self.multi_path), body)
        self.assertEqual(self.ok("section", "header.fields (To FROM)", self.multi_path),
                         b"From: " + py["From"].encode() + b"\r\nTo: " + py["To"].encode() +
                         b"\r\n\r\n")
        self.assertEqual(self.ok("section", "HEADER.FIELDS.NOT (Subject Date Message-ID"
                                 " MIME-Version Content-Type To)", self.multi_path),
                         b"From: " + py["From"].encode() + b"\r\n\r\n")
        self.assertEqual(self.ok("section", "1", self.multi_path), self.text_part_body)
        self.assertEqual(self.ok("section", "2", self.multi_path), self.b64_body)
        self.assertEqual(self.ok("section", "2.MIME", self.multi_path),
                         b'Content-Type: application/octet-stream; name="data.bin"\r\n'
                         b'Content-Disposition: attachment; filename="data.bin"\r\n'
                         b"Content-Transfer-Encoding: base64\r\n\r\n")
        self.assertEqual(self.ok("section", "2<4.10>", self.multi_path), self.b64_body[4:14])
        # A simple message's part 1 is its body (RFC 3501 §6.4.5).
        self.assertEqual(self.ok("section", "1", self.simple_path), b"Hello Bob,\r\nsee you.\r\n")
        # Bare LF is served as CRLF, as the BODYSTRUCTURE sizes count it.
        self.assertEqual(self.ok("section", "", self.simple_lf_path), SIMPLE)
        self.assertEqual(self.ok("section", "TEXT", "-", stdin=self.multi), body)

    def test_binary_sections(self):
        py = email.message_from_bytes(self.multi, policy=email.policy.default)
        parts = list(py.walk())
        self.assertEqual(self.ok("section", "--binary", "2", self.multi_path), ATTACHMENT)
        self.assertEqual(self.ok("section", "2", "--binary", self.multi_path),
                         parts[2].get_payload(decode=True))
        self.assertEqual(self.ok("section", "--binary", "1", self.multi_path),
                         parts[1].get_payload(decode=True))
        self.assertEqual(self.ok("section", "--binary", "1", self.multi_path).decode(), TEXT_BODY)
        self.assertEqual(self.ok("section", "--binary", "2<256.4>", self.multi_path),
                         ATTACHMENT[256:260])

    def test_bad_sections(self):
        for spec in ("1.BOGUS", "0", "MIME", "HEADER.FIELDS", "1.2.", "TEXT<5>", "2<1.0>"):
            with self.subTest(spec=spec):
                err = self.fails("section", spec, self.multi_path)
                self.assertIn(f'"{spec}"', err)
                self.assertIn("invalid", err)
        err = self.fails("section", "--binary", "TEXT", self.multi_path)
        self.assertIn('"TEXT"', err)
        # 1.1 of a leaf part is that part itself (resolved as Dovecot does), so 1.2 is absent.
        for spec in ("3", "1.2", "2.HEADER"):
            with self.subTest(spec=spec):
                err = self.fails("section", spec, self.multi_path)
                self.assertIn(f'no section "{spec}"', err)
        self.assertIn('no section "4"', self.fails("section", "--binary", "4", self.multi_path))

    # --- files ---

    def test_missing_and_unreadable_files(self):
        missing = os.path.join(self.dir, "nope.eml")
        for sub in (["json"], ["envelope"], ["bodystructure"], ["section", "1"]):
            with self.subTest(sub=sub[0]):
                err = self.fails(*sub, missing)
                self.assertEqual(err, f"estafeta: {missing}: No such file or directory\n")
        self.assertEqual(self.fails("json", self.dir), f"estafeta: {self.dir}: Is a directory\n")

    def test_oversized_file_refused(self):
        big = os.path.join(self.dir, "big.eml")
        with open(big, "wb") as f:  # sparse: costs no disk
            f.truncate((1 << 30) + 1)
        try:
            err = self.fails("json", big)
            self.assertIn(big, err)
            self.assertIn("1 GiB", err)
        finally:
            os.unlink(big)

    def test_usage_errors(self):
        r = self.run_cli()
        self.assertEqual(r.returncode, 1)
        r = self.run_cli("section", self.multi_path)
        self.assertEqual(r.returncode, 1)
        self.assertIn(b"FILE", r.stderr)


if __name__ == "__main__":
    unittest.main()
