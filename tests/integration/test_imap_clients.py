# test_imap_clients: real IMAP clients against the real server, each skipped with its reason
# when its program is not installed (scripts/deps.sh installs them): curl's imap:// and
# imaps:// (list, fetch by UID, search, with --ssl-reqd and the test CA), mbsync (isync: a
# two-way sync with flag changes, new messages and deletions on both sides, config in a temp
# dir), fetchmail over IMAP (keep and no-keep, STARTTLS and implicit TLS), and neomutt driven
# without a person through a pseudo-terminal (opens the mailbox over imaps, deletes by
# pattern, syncs, quits). Every run is bounded by a subprocess timeout.
import os
import pty
import re
import select
import shutil
import tempfile
import time
import unittest

from client_tools import RUN_TIMEOUT, need, run_fetchmail, run_tool
from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject, body="Body.\r\n"):
    return (f"From: <sender@remote.test>\r\nTo: <{ALICE}>\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 03:00:00 +0000\r\nMessage-ID: <{unique('id')}@t>\r\n\r\n{body}").encode()


class ClientCase(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="estafeta-it-client-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def raw(self, user=ALICE):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(c)
        c.login(user, PASSWORDS[user])
        return c

    def box_with(self, c, messages, prefix="client"):
        box = unique(prefix)
        c.ok(f"CREATE {box}")
        for m, flags in messages:
            c.ok(f"APPEND {box} ({flags}) {{{len(m)}+}}\r\n".encode() + m)
        return box

    def flags_by_subject(self, c, box):
        """{subject: sorted flags} of the messages in `box`."""
        c.ok(f"EXAMINE {box}")
        u, _ = c.ok("UID FETCH 1:* (FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        out = {}
        for line in u:
            f = re.search(rb"FLAGS \(([^)]*)\)", line)
            s = re.search(rb"Subject: ([^\r\n]*)", line)
            if f and s:
                out[s.group(1).decode()] = sorted(f.group(1).decode().split())
        c.ok("UNSELECT")
        return out

    def run_tool(self, args, **kw):
        return run_tool(args, **kw)


class Curl(ClientCase):
    def curl(self, url, *extra, user=ALICE):
        need("curl")
        return self.run_tool(["curl", "-sS", "--ssl-reqd", "--cacert", self.server.ca_path(),
                              "-u", f"{user}:{PASSWORDS[user]}", *extra, url])

    def test_list_fetch_search_over_starttls_and_imaps(self):
        c = self.raw()
        body = "curl body line\r\n"
        m = msg("curl-subject", body=body)
        box = self.box_with(c, [(m, ""), (msg("other"), "")], prefix="curlbox")
        for scheme, port in (("imap", self.server.imap_port), ("imaps", self.server.imaps_port)):
            base = f"{scheme}://127.0.0.1:{port}"
            r = self.curl(base + "/")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn(f'* LIST (\\HasNoChildren) "/" {box}\r\n'.encode(), r.stdout)
            self.assertIn(b'* LIST (\\HasNoChildren \\Sent) "/" Sent\r\n', r.stdout)
            r = self.curl(f"{base}/{box};UID=1")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, m)
            r = self.curl(f"{base}/{box};UID=1;SECTION=TEXT")
            self.assertEqual(r.stdout, body.encode())
            r = self.curl(f"{base}/{box}?SUBJECT%20other")
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertEqual(r.stdout, b"* SEARCH 2\r\n")
            r = self.curl(f"{base}/{box}", "-X", "STATUS " + box + " (MESSAGES UIDNEXT)")
            self.assertEqual(r.stdout, f"* STATUS {box} (MESSAGES 2 UIDNEXT 3)\r\n".encode())

    def test_wrong_password_and_untrusted_certificate(self):
        need("curl")
        r = self.run_tool(["curl", "-sS", "--ssl-reqd", "--cacert", self.server.ca_path(),
                           "-u", f"{ALICE}:wrong", f"imaps://127.0.0.1:{self.server.imaps_port}/"])
        self.assertEqual(r.returncode, 67, r.stderr)  # CURLE_LOGIN_DENIED
        # Without the test CA the certificate is not trusted: curl refuses (60).
        r = self.run_tool(["curl", "-sS", "--ssl-reqd", "--capath", self.tmp, "--cacert", "/dev/null",
                           "-u", f"{ALICE}:{PASSWORDS[ALICE]}", f"imaps://127.0.0.1:{self.server.imaps_port}/"])
        self.assertIn(r.returncode, (60, 77), r.stderr)


class Mbsync(ClientCase):
    def config(self, box, near):
        cfg = os.path.join(self.tmp, "mbsyncrc")
        with open(cfg, "w") as f:
            f.write(f"""IMAPAccount est
Host 127.0.0.1
Port {self.server.imaps_port}
User {CAROL}
Pass {PASSWORDS[CAROL]}
SSLType IMAPS
CertificateFile {self.server_cert()}

IMAPStore far
Account est

MaildirStore near
Path {near}/
Inbox {near}/INBOX
SubFolders Verbatim

Channel ch
Far :far:
Near :near:
Patterns {box}
Create Both
Expunge Both
SyncState *
""")
        return cfg

    def server_cert(self):
        # mbsync checks DNS names only, not the IP address the test CA vouches for; a peer
        # certificate listed in CertificateFile is trusted as it is (isync's documented pinning).
        return os.path.join(self.server.data_dir, "tls", "server.pem")

    def mbsync(self, cfg):
        r = self.run_tool([need("mbsync"), "-c", cfg, "-a"], env={**os.environ, "HOME": self.tmp})
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        return r

    def local(self, near, box):
        """{subject: (path, flags string)} of the local Maildir."""
        out = {}
        for sub in ("cur", "new"):
            d = os.path.join(near, box, sub)
            for n in os.listdir(d):
                p = os.path.join(d, n)
                with open(p, "rb") as f:
                    s = re.search(rb"Subject: ([^\r\n]*)", f.read()).group(1).decode()
                flags = n.split(":2,", 1)[1] if ":2," in n else ""
                out[s] = (p, flags)
        return out

    def test_two_way_sync_with_flags_and_deletions(self):
        need("mbsync")
        c = self.raw(CAROL)
        box = self.box_with(c, [(msg("A"), ""), (msg("B"), ""), (msg("C"), ""), (msg("F"), "\\Seen")],
                            prefix="mbsync")
        near = os.path.join(self.tmp, "mail")
        os.makedirs(near)
        cfg = self.config(box, near)
        self.mbsync(cfg)
        loc = self.local(near, box)
        self.assertEqual(sorted(loc), ["A", "B", "C", "F"])
        self.assertEqual(loc["F"][1], "S")
        # Near side: A read and flagged, B deleted (trashed), D new.
        p, _ = loc["A"]
        os.rename(p, p.split(":2,")[0] + ":2,FS")
        p, _ = loc["B"]
        os.rename(p, p.split(":2,")[0] + ":2,T")
        with open(os.path.join(near, box, "new", f"{int(time.time())}.local-d.host"), "wb") as f:
            f.write(msg("D"))
        # Far side: C answered, F expunged, E appended.
        c.ok(f"SELECT {box}")
        c.ok("UID STORE 3 +FLAGS.SILENT (\\Answered)")
        c.ok("UID STORE 4 +FLAGS.SILENT (\\Deleted)")
        c.ok("UID EXPUNGE 4")
        e = msg("E")
        c.ok("UNSELECT")
        c.ok(f"APPEND {box} (\\Flagged) {{{len(e)}+}}\r\n".encode() + e)
        self.mbsync(cfg)
        far = self.flags_by_subject(c, box)
        self.assertEqual(far, {"A": ["\\Flagged", "\\Seen"], "C": ["\\Answered"], "D": [], "E": ["\\Flagged"]})
        loc = self.local(near, box)
        self.assertEqual({s: f for s, (_, f) in loc.items()}, {"A": "FS", "C": "R", "D": "", "E": "F"})
        # A third run changes nothing.
        self.mbsync(cfg)
        self.assertEqual(self.flags_by_subject(c, box), far)


class Fetchmail(ClientCase):
    def fetchmail(self, user, box, keep, tls="ssl"):
        port = self.server.imaps_port if tls == "ssl" else self.server.imap_port
        return run_fetchmail(self.tmp, self.server, port=port, tls=tls, proto="IMAP", user=user,
                             password=PASSWORDS[user], keep=keep, folder=box,
                             extra_options=" fetchall")

    def test_keep_and_nokeep(self):
        c = self.raw(BOB)
        box = self.box_with(c, [(msg("fm-one"), ""), (msg("fm-two"), "")], prefix="fetchmail")
        r, data = self.fetchmail(BOB, box, keep=True)
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(data.count(b"Subject: fm-"), 2, data[:500])
        # keep: still there (and now \Seen, RFC 9051 BODY[] without PEEK or fetchmail's STORE).
        self.assertEqual(sorted(self.flags_by_subject(c, box)), ["fm-one", "fm-two"])
        r, data = self.fetchmail(BOB, box, keep=False, tls="starttls")
        self.assertEqual(r.returncode, 0, r.stdout.decode() + r.stderr.decode())
        self.assertEqual(data.count(b"Subject: fm-"), 2, data[:500])
        # nokeep: deleted and expunged on the server.
        self.assertEqual(self.flags_by_subject(c, box), {})
        r, data = self.fetchmail(BOB, box, keep=False)
        self.assertEqual(r.returncode, 1, r.stdout.decode() + r.stderr.decode())  # 1: no mail
        self.assertEqual(data, b"")


class Neomutt(ClientCase):
    def drive(self, args, env, steps, timeout=RUN_TIMEOUT):
        """Runs neomutt on a pseudo-terminal: for each (wait_for, keys) step waits until the
        screen output so far contains `wait_for` (bytes), then types `keys`. Returns (exit code
        or None if it had to be killed, output). Bounded by `timeout` overall."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execvpe(args[0], args, env)
        out = b""
        seen = 0  # output already matched by earlier steps
        steps = list(steps)
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                if steps and steps[0][0] in out[seen:]:
                    seen = out.index(steps[0][0], seen) + len(steps[0][0])
                    os.write(fd, steps.pop(0)[1])
                    continue
                r, _, _ = select.select([fd], [], [], 0.2)
                if r:
                    try:
                        chunk = os.read(fd, 65536)
                    except OSError:
                        chunk = b""
                    out += chunk
                done, status = os.waitpid(pid, os.WNOHANG)
                if done:
                    return os.waitstatus_to_exitcode(status), out
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            return None, out
        finally:
            os.close(fd)

    def test_neomutt_deletes_by_pattern_and_syncs(self):
        neomutt = need("neomutt")
        c = self.raw(ALICE)
        keep, drop = unique("keepme"), unique("dropme")
        box = self.box_with(c, [(msg(keep), ""), (msg(drop), ""), (msg(drop + "-2"), "\\Seen")], prefix="mutt")
        rc = os.path.join(self.tmp, "neomuttrc")
        with open(rc, "w") as f:
            f.write(f"""set imap_user = "{ALICE}"
set imap_pass = "{PASSWORDS[ALICE]}"
set ssl_force_tls = yes
set certificate_file = "{self.tmp}/certs"
set ssl_ca_certificates_file = "{self.server.ca_path()}"
set ssl_verify_host = no
set header_cache = ""
set message_cachedir = ""
set mail_check = 0
set imap_idle = no
set timeout = 1
set confirmappend = no
set delete = yes
set quit = yes
set move = no
set wait_key = no
set sort = date
""")
        os.makedirs(os.path.join(self.tmp, "Mail"))  # else neomutt first asks to create ~/Mail
        env = {**os.environ, "HOME": self.tmp, "TERM": "xterm", "LANG": "C.UTF-8"}
        url = f"imaps://127.0.0.1:{self.server.imaps_port}/{box}"
        # Default keys: D delete-pattern (prompts "Delete messages matching: "), $ sync-mailbox,
        # q quit (no question: quit = yes, delete = yes).
        steps = [(b"q:Quit", b"D"), (b"Delete messages matching: ", f"~s {drop}\r".encode()),
                 (b"Executing command on matching messages", b"$"), (b"2 deleted", b"q")]
        code, out = self.drive([neomutt, "-n", "-F", rc, "-f", url], env, steps)
        self.assertEqual(code, 0, out[-2000:])
        # neomutt marks the unread message it leaves as its "Old" keyword ($mark_old).
        self.assertEqual(self.flags_by_subject(c, box), {keep: ["Old"]})


if __name__ == "__main__":
    unittest.main()
