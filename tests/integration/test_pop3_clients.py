# test_pop3_clients: real POP3 clients against the real server, each skipped with its reason
# when its program is not installed (scripts/deps.sh installs them): fetchmail (STLS on the
# plain port and implicit TLS, keep with UIDL tracking so a second run fetches nothing new,
# then no-keep, which deletes on the server), getmail6 (implicit TLS through an MDA, keep
# with its UIDL memory, then delete) and curl's pop3:// (STLS with --ssl-reqd) and pop3s://
# clients (LIST, RETR, UIDL, DELE). Every run is bounded by a subprocess timeout.
import os
import shutil
import tempfile
import unittest

from client_tools import need, run_fetchmail, run_tool
from estafeta_harness import HOSTNAME, ServerTestCase
from pop3_support import POP3_LISTENERS, fill, message, new_user



class ClientCase(ServerTestCase):
    LISTENERS = POP3_LISTENERS

    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="estafeta-it-pop3-client-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def run_tool(self, args, **kw):
        return run_tool(args, **kw)

    def account(self, subjects):
        user, password = new_user(self.server)
        fill(self.server, user, password, [message(s) for s in subjects])
        return user, password

    def count(self, user, password):
        c = self.server.pop3s(user, password)
        n = c.stat()[0]
        c.quit()
        return n

    def output(self, r):
        return (r.stdout + r.stderr).decode(errors="replace")


class Fetchmail(ClientCase):
    def fetchmail(self, user, password, keep, tls):
        port = self.server.pop3s_port if tls == "ssl" else self.server.pop3_port
        return run_fetchmail(self.tmp, self.server, port=port, tls=tls, proto="POP3 uidl",
                             user=user, password=password, keep=keep,
                             extra_args=["--idfile", os.path.join(self.tmp, "fetchids")])

    def test_keep_then_nokeep_over_stls_and_implicit_tls(self):
        user, password = self.account(["fm-one", "fm-two"])
        r, data = self.fetchmail(user, password, keep=True, tls="starttls")
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(data.count(b"Subject: fm-"), 2, data[:500])
        self.assertEqual(self.count(user, password), 2)  # kept
        # UIDL: the messages already fetched are not fetched again (exit 1: no new mail).
        r, data = self.fetchmail(user, password, keep=True, tls="ssl")
        self.assertEqual(r.returncode, 1, self.output(r))
        self.assertEqual(data, b"")
        fill(self.server, user, password, [message("fm-three")])
        r, data = self.fetchmail(user, password, keep=False, tls="ssl")
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(data.count(b"Subject: fm-"), 1, data[:500])  # only the new one
        self.assertIn(b"Subject: fm-three", data)
        # nokeep deletes what it fetched; the two kept ones were not fetched this time.
        self.assertEqual(self.count(user, password), 2)
        os.unlink(os.path.join(self.tmp, "fetchids"))
        r, data = self.fetchmail(user, password, keep=False, tls="starttls")
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(data.count(b"Subject: fm-"), 2, data[:500])
        self.assertEqual(self.count(user, password), 0)


class Getmail(ClientCase):
    def getmail(self, user, password, delete, read_all):
        need("getmail")
        gmdir = os.path.join(self.tmp, "getmail")
        outdir = os.path.join(self.tmp, "out")
        os.makedirs(outdir, exist_ok=True)
        os.makedirs(gmdir, exist_ok=True)
        # An external MDA: getmail's Maildir writer refuses to run as root (tests may).
        mda = os.path.join(gmdir, "save.sh")
        with open(mda, "w") as f:
            f.write('#!/bin/sh\nexec cat > "$1/$(date +%s%N)-$$.eml"\n')
        os.chmod(mda, 0o755)
        rc = os.path.join(gmdir, "getmailrc")
        with open(rc, "w") as f:
            f.write("[retriever]\ntype = SimplePOP3SSLRetriever\nserver = 127.0.0.1\n"
                    f"port = {self.server.pop3s_port}\nusername = {user}\npassword = {password}\n"
                    f"ca_certs = {self.server.ca_path()}\nssl_cert_hostname = {HOSTNAME}\n"
                    "timeout = 20\n\n"
                    f"[destination]\ntype = MDA_external\npath = {mda}\n"
                    f"arguments = (\"{outdir}\",)\nallow_root_commands = true\n\n"
                    f"[options]\nverbose = 1\ndelete = {'true' if delete else 'false'}\n"
                    f"read_all = {'true' if read_all else 'false'}\n")
        r = self.run_tool(["getmail", "--getmaildir", gmdir, "--rcfile", rc],
                          env={**os.environ, "HOME": self.tmp})
        got = []
        for n in sorted(os.listdir(outdir)):
            with open(os.path.join(outdir, n), "rb") as f:
                got.append(f.read())
            os.unlink(os.path.join(outdir, n))
        return r, got

    def test_keep_then_delete(self):
        user, password = self.account(["gm-one", "gm-two"])
        r, got = self.getmail(user, password, delete=False, read_all=False)
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(sorted(b"Subject: gm-one" in m for m in got), [False, True], got)
        self.assertEqual(self.count(user, password), 2)
        # Its UIDL memory: nothing new the second time.
        r, got = self.getmail(user, password, delete=False, read_all=False)
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(got, [])
        r, got = self.getmail(user, password, delete=True, read_all=True)
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(len(got), 2)
        self.assertEqual(self.count(user, password), 0)


class Curl(ClientCase):
    def curl(self, url, user, password, *extra):
        need("curl")
        return self.run_tool(["curl", "-sS", "--max-time", "20", "--cacert", self.server.ca_path(),
                              "-u", f"{user}:{password}", *extra, url])

    def test_list_retr_uidl_dele_over_stls_and_pop3s(self):
        msgs = [message("curl-one"), message("curl-two")]
        user, password = new_user(self.server)
        fill(self.server, user, password, msgs)
        for base, extra in ((f"pop3://127.0.0.1:{self.server.pop3_port}", ("--ssl-reqd",)),
                            (f"pop3s://127.0.0.1:{self.server.pop3s_port}", ())):
            r = self.curl(base + "/", user, password, *extra)
            self.assertEqual(r.returncode, 0, self.output(r))
            self.assertEqual(r.stdout, f"1 {len(msgs[0])}\r\n2 {len(msgs[1])}\r\n".encode())
            r = self.curl(base + "/2", user, password, *extra)
            self.assertEqual(r.returncode, 0, self.output(r))
            self.assertEqual(r.stdout, msgs[1])
            r = self.curl(base + "/", user, password, "-X", "UIDL", *extra)
            self.assertEqual(r.returncode, 0, self.output(r))
            self.assertEqual(len(r.stdout.splitlines()), 2)
        # Without TLS, curl's plain pop3:// login is refused (USER/PASS need TLS).
        r = self.curl(f"pop3://127.0.0.1:{self.server.pop3_port}/", user, password)
        self.assertNotEqual(r.returncode, 0)
        r = self.curl(f"pop3s://127.0.0.1:{self.server.pop3s_port}/1", user, password,
                      "-X", "DELE", "-I")
        self.assertEqual(r.returncode, 0, self.output(r))
        self.assertEqual(self.count(user, password), 1)


if __name__ == "__main__":
    unittest.main()
