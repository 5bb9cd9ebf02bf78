# test_cli_config: the command line and the config loader as an operator meets them.
# `config check` on good and bad files (the error names file, line and key), a bind failure
# naming the listener, and account administration (user/domain/alias add, list, del, passwd,
# --hash import of a sha512-crypt hash) against a running server, checked over SMTP.
import os
import socket
import subprocess
import threading
import unittest
import warnings

from estafeta_harness import (HOSTNAME as HOST, PASSWORDS, Server, ServerTestCase, binary,
                              plain_auth, simple_message, unique)

ALICE = "alice@example.test"
BOB = "bob@example.test"


def sha512_crypt(password):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            import crypt
            return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))
        except ImportError:
            pass
    r = subprocess.run(["openssl", "passwd", "-6", "-stdin"], input=password, capture_output=True,
                       text=True, timeout=30, check=True)
    return r.stdout.strip()


class ConfigCheck(unittest.TestCase):

    def setUp(self):
        self.server = Server(seed=False)

    def tearDown(self):
        self.server.cleanup()

    def check_bad(self, extra, bad, key):
        """Appends lines `extra` to the generated config; `config check` must fail naming the
        file, the line number of extra[bad] and `key`, on one line."""
        with open(self.server.config_path) as f:
            base = f.read()
        with open(self.server.config_path, "w") as f:
            f.write(base + "\n".join(extra) + "\n")
        line = base.count("\n") + bad + 1
        r = self.server.cli("config", "check", check=False)
        out = r.stdout + r.stderr
        self.assertEqual(r.returncode, 1, out)
        self.assertIn(f"{self.server.config_path}:{line}:", out)
        self.assertIn(key, out)
        self.assertEqual(len(out.strip().splitlines()), 1, f"not one line: {out!r}")

    def test_good_file(self):
        r = self.server.cli("config", "check")
        self.assertRegex(r.stdout, r"^OK\b")  # "OK", possibly followed by the file checked

    def test_unknown_key(self):
        self.check_bad(["", "[delivery]", "fsynk = true"], 2, "delivery.fsynk")

    def test_bad_type(self):
        self.check_bad(["[tls]", "min_version = 12"], 1, "tls.min_version")

    def test_bad_listener_kind(self):
        self.check_bad(["[listener.extra]", 'kind = "pop3"', "port = 1"], 1, "listener.extra.kind")

    def test_bad_log_level(self):
        with open(self.server.config_path) as f:
            text = f.read().replace('log_level = "debug"', 'log_level = "chatty"')
        with open(self.server.config_path, "w") as f:
            f.write(text)
        r = self.server.cli("config", "check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{self.server.config_path}:3:", r.stdout + r.stderr)
        self.assertIn("log_level", r.stdout + r.stderr)

    def test_toml_syntax_error(self):
        with open(self.server.config_path, "a") as f:
            f.write("\nthis is not toml\n")
        with open(self.server.config_path) as f:
            lines = f.read().count("\n")
        r = self.server.cli("config", "check", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(f"{self.server.config_path}:{lines}:", r.stdout + r.stderr)

    def test_missing_file(self):
        r = subprocess.run([binary(), "-c", "/nonexistent/estafeta.toml", "config", "check"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 1)
        self.assertIn("/nonexistent/estafeta.toml", r.stdout + r.stderr)

    def test_config_option_after_subcommand(self):
        r = subprocess.run([binary(), "config", "check", "-c", self.server.config_path],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^OK\b")

    def test_config_from_environment(self):
        env = dict(os.environ, ESTAFETA_CONFIG=self.server.config_path)
        r = subprocess.run([binary(), "config", "check"], capture_output=True, text=True,
                           timeout=30, env=env)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertRegex(r.stdout, r"^OK\b")
        with open(self.server.config_path, "a") as f:
            f.write("bogus_key = 1\n")
        r = subprocess.run([binary(), "config", "check"], capture_output=True, text=True,
                           timeout=30, env=env)
        self.assertEqual(r.returncode, 1)
        self.assertIn("bogus_key", r.stdout + r.stderr)

    def test_version(self):
        r = subprocess.run([binary(), "--version"], capture_output=True, text=True, timeout=30)
        self.assertEqual(r.returncode, 0)
        self.assertIn("estafeta", (r.stdout + r.stderr).lower())

    def test_bind_failure_names_listener(self):
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        server = Server(seed=False, listeners={"smtp": ("mx", None), "busyport": ("submission", port)})
        try:
            proc = subprocess.run([binary(), "-c", server.config_path, "serve"], capture_output=True,
                                  text=True, timeout=30)
            out = proc.stdout + proc.stderr
            self.assertNotEqual(proc.returncode, 0, out)
            self.assertIn("listener.busyport", out)
            self.assertIn(str(port), out)
        finally:
            busy.close()
            server.cleanup()


class Accounts(ServerTestCase):

    def auth_ok(self, user, password):
        with self.server.smtp_tls("submission") as s:
            code, _ = s.docmd("AUTH", "PLAIN " + plain_auth(user, password))
            return code == 235

    def rcpt_code(self, address):
        c = self.server.raw()
        c.ehlo()
        c.cmd("MAIL FROM:<x@remote.test>")
        code, _ = c.cmd(f"RCPT TO:<{address}>")
        c.close()
        return code

    def test_user_add_with_imported_hash(self):
        h = sha512_crypt("imported-Pass-9")
        self.assertTrue(h.startswith("$6$"), h)
        self.server.cli("user", "add", "dave@example.test", "--hash", h)
        self.assertTrue(self.auth_ok("dave@example.test", "imported-Pass-9"))
        self.assertFalse(self.auth_ok("dave@example.test", "imported-Pass-8"))

    def test_user_add_bad_hash_refused(self):
        r = self.server.cli("user", "add", "erin@example.test", "--hash", "plaintext", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(len((r.stdout + r.stderr).strip().splitlines()), 1)

    def test_user_list_and_del(self):
        self.server.cli("user", "add", "frank@example.test", "--password-stdin", input="frank-Pw-1\n")
        listed = self.server.cli("user", "list").stdout.split()
        self.assertIn("frank@example.test", listed)
        self.assertIn(ALICE, listed)
        self.assertEqual(self.rcpt_code("frank@example.test"), 250)
        self.server.cli("user", "del", "frank@example.test")
        self.assertNotIn("frank@example.test", self.server.cli("user", "list").stdout.split())
        self.assertEqual(self.rcpt_code("frank@example.test"), 550)
        self.assertFalse(self.auth_ok("frank@example.test", "frank-Pw-1"))
        r = self.server.cli("user", "del", "frank@example.test", check=False)
        self.assertEqual(r.returncode, 1)

    def test_user_add_duplicate(self):
        r = self.server.cli("user", "add", ALICE, "--password-stdin", input="x-Y-z-123\n", check=False)
        self.assertEqual(r.returncode, 1)
        self.assertIn(ALICE, r.stdout + r.stderr)
        self.assertTrue(self.auth_ok(ALICE, PASSWORDS[ALICE]), "duplicate add changed the password")

    def test_user_add_new_domain(self):
        r = self.server.cli("user", "add", "gina@fresh.test", "--password-stdin", input="gina-Pw-7\n")
        self.assertIn("fresh.test", r.stdout + r.stderr)
        self.assertIn("fresh.test", self.server.cli("domain", "list").stdout.split())
        self.assertEqual(self.rcpt_code("gina@fresh.test"), 250)

    def test_user_passwd(self):
        self.server.cli("user", "add", "hank@example.test", "--password-stdin", input="old-Pw-111\n")
        self.server.cli("user", "passwd", "hank@example.test", "--password-stdin", input="new-Pw-222\n")
        self.assertTrue(self.auth_ok("hank@example.test", "new-Pw-222"))
        self.assertFalse(self.auth_ok("hank@example.test", "old-Pw-111"))

    def test_alias_list_and_del(self):
        self.server.cli("alias", "add", "team@example.test", ALICE, BOB)
        listed = self.server.cli("alias", "list").stdout
        team = [l for l in listed.splitlines() if "team@example.test" in l]
        self.assertTrue(team and ALICE in " ".join(team) and BOB in " ".join(team), listed)
        self.server.cli("alias", "del", "team@example.test", BOB)
        marker = unique("team")
        with self.server.smtp() as s:
            s.sendmail("t@remote.test", ["team@example.test"], simple_message(marker))
        self.assertEqual(len(self.server.find(ALICE, marker)), 1)
        self.assertEqual(self.server.find(BOB, marker), [])
        self.server.cli("alias", "del", "team@example.test")
        self.assertNotIn("team@example.test", self.server.cli("alias", "list").stdout)
        self.assertEqual(self.rcpt_code("team@example.test"), 550)

    def test_catch_all_listed(self):
        self.assertIn("@catchall.test", self.server.cli("alias", "list").stdout)

    def test_user_add_invalid_address(self):
        for bad in ("no-at-sign", "two@@example.test", "@example.test", "x@"):
            with self.subTest(address=bad):
                r = self.server.cli("user", "add", bad, "--password-stdin", input="pw-Pw-123\n", check=False)
                self.assertEqual(r.returncode, 1, r.stdout)
                self.assertEqual(len((r.stdout + r.stderr).strip().splitlines()), 1, r.stderr)

    def test_domain_del(self):
        self.server.cli("domain", "add", "gone.test")
        self.server.cli("domain", "del", "gone.test")
        self.assertNotIn("gone.test", self.server.cli("domain", "list").stdout.split())
        c = self.server.raw()
        c.ehlo()
        c.cmd("MAIL FROM:<x@remote.test>")
        code, lines = c.cmd("RCPT TO:<someone@gone.test>")
        c.close()
        self.assertReply((code, lines), 554, "5.7.1")  # no longer ours: relay refused

    def test_admin_while_mail_flows(self):
        # The CLI writes accounts.db while the server reads it for every RCPT: no "database is
        # locked" may surface as a 4xx to clients or a failed command to the operator.
        stop, codes, errors = threading.Event(), [], []

        def mailer():
            try:
                with self.server.smtp() as s:
                    s.ehlo()
                    for i in range(2000):
                        if stop.is_set():
                            return
                        codes.append(s.mail("flow@remote.test")[0])
                        codes.append(s.rcpt(f"alice+flow{i}@example.test")[0])
                        codes.append(s.rcpt("info@example.test")[0])
                        codes.append(s.data(simple_message(unique("flow")))[0])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append((e, codes[-4:]))

        t = threading.Thread(target=mailer, daemon=True)
        t.start()
        try:
            for i in range(8):
                self.server.cli("user", "add", f"flow{i}@example.test", "--password-stdin", input=f"flow-Pw-{i}\n")
                self.server.cli("alias", "add", f"flowalias{i}@example.test", ALICE)
                self.server.cli("user", "del", f"flow{i}@example.test")
        finally:
            stop.set()
            t.join(timeout=30)
        self.assertEqual(errors, [])
        self.assertGreater(len(codes), 3)
        self.assertEqual(set(codes), {250}, [c for c in codes if c != 250][:5])

    def test_domain_add_list(self):
        self.server.cli("domain", "add", "other.test")
        self.assertIn("other.test", self.server.cli("domain", "list").stdout.split())
        self.assertEqual(self.rcpt_code("nobody@other.test"), 550)  # ours, but no such user


if __name__ == "__main__":
    unittest.main()


class FreshDataDir(unittest.TestCase):
    """`estafeta serve` on an empty data dir makes the host name its first mail domain (as
    Postfix's mydestination = $myhostname), and leaves an operator's domain list alone."""

    def test_host_name_becomes_first_domain(self):
        server = Server(seed=False)
        try:
            server.start()
            self.assertIn(HOST, server.cli("domain", "list").stdout.split())
            server.cli("user", "add", f"carol@{HOST}", "--password-stdin", input="pw-carol-1\n")
            with server.smtp() as s:
                s.sendmail("someone@elsewhere.example", [f"carol@{HOST}"],
                           simple_message(unique("fresh"), to=f"carol@{HOST}"))
            self.assertEqual(len(server.mail_files(f"carol@{HOST}")), 1)
            server.stop_ok(self)
        finally:
            server.cleanup()

    def test_existing_domains_left_alone(self):
        server = Server()  # seeded with the test domains before the first start
        try:
            server.start()
            self.assertNotIn(HOST, server.cli("domain", "list").stdout.split())
            server.stop_ok(self)
        finally:
            server.cleanup()
