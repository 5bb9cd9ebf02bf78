# `estafeta mail setup` against real services on loopback: an autoconfig file served over
# HTTPS (a Python server with the Estafeta instance's certificate, trusted through its CA)
# gives the submission and IMAP servers, the file is written (0600) and `mail send` then
# works with it; SRV records (RFC 6186) served by a private unbound give the servers when
# there is no autoconfig; a second account is added beside the first and one of the same name
# replaced; nothing found without a terminal is a clear error; the interactive path (prompts
# on the terminal) through tmux.
import http.server
import os
import shutil
import ssl
import stat
import subprocess
import threading
import time
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, binary, unique
from local_dns import LocalDns
from mail_client_support import MailClient

AUTOCONFIG = """<?xml version="1.0"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <incomingServer type="imap">
      <hostname>127.0.0.1</hostname><port>{imap}</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>127.0.0.1</hostname><port>995</port><socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>127.0.0.1</hostname><port>{submission}</port><socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username><authentication>password-cleartext</authentication>
    </outgoingServer>
  </emailProvider>
</clientConfig>
"""


class MailSetupTest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None),
                 "imap": ("imap", None)}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        body = AUTOCONFIG.format(imap=cls.server.imap_port, submission=cls.server.submission).encode()
        cls.requests = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                cls.requests.append(self.path)
                if self.path.startswith("/mail/config-v1.1.xml"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/xml")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_error(404)

            def log_message(self, *args):
                pass

        cls.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls = os.path.join(cls.server.data_dir, "tls")
        ctx.load_cert_chain(os.path.join(tls, "server.pem"), os.path.join(tls, "server.key"))
        cls.httpd.socket = ctx.wrap_socket(cls.httpd.socket, server_side=True)
        cls.thread = threading.Thread(target=cls.httpd.serve_forever, daemon=True)
        cls.thread.start()
        cls.url = f"https://127.0.0.1:{cls.httpd.server_address[1]}/mail/config-v1.1.xml"

    @classmethod
    def tearDownClass(cls):
        cls.httpd.shutdown()
        cls.httpd.server_close()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.client = MailClient(self.server, self.server.tmp)
        self.config = os.path.join(self.client.home, f"setup-{unique()}.toml")

    def setup(self, *args, env=None):
        e = dict(self.client.env)
        e.update(env or {})
        return subprocess.run([binary(), "mail", "--account", self.config, "setup", *args],
                              capture_output=True, text=True, env=e, timeout=60,
                              stdin=subprocess.DEVNULL, start_new_session=True)

    def test_autoconfig_then_send(self):
        r = self.setup("--address", "alice@example.test", "--display-name", "Alice A",
                       "--password-env", "MAIL_PW", "--ca-file", self.server.ca_path(),
                       "--autoconfig-url", self.url, "--no-dns", "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn(f"Found by autoconfig {self.url}", r.stdout)
        self.assertIn(f"submission 127.0.0.1:{self.server.submission} (starttls)", r.stdout)
        self.assertIn(f"imap       127.0.0.1:{self.server.imap_port} (starttls)", r.stdout)
        self.assertIn("pop3       none", r.stdout)  # IMAP chosen
        self.assertEqual(stat.S_IMODE(os.stat(self.config).st_mode), 0o600)
        with open(self.config) as f:
            text = f.read()
        self.assertIn('[account.alice]', text)
        self.assertIn('password_env = "MAIL_PW"', text)
        self.assertNotIn("user =", text)  # %EMAILADDRESS% is the default login
        # The file works.
        marker = unique()
        r = subprocess.run([binary(), "mail", "--account", self.config, "send", "--to",
                            "bob@example.test", "--subject", marker],
                           input="configured by setup\n", capture_output=True, text=True,
                           env=self.client.env, timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.server.read_one(self, "bob@example.test", marker)
        # A second account beside it, then the first replaced.
        r = self.setup("--address", "bob@example.test", "--password-command", "echo x",
                       "--submission", f"127.0.0.1:{self.server.submission}", "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        r = self.setup("--address", "alice@example.test", "--account-name", "alice",
                       "--submission", "smtp.example.test:465", "--imap", "imap.example.test",
                       "--yes")
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn('Replaced account "alice"', r.stdout)
        with open(self.config) as f:
            text = f.read()
        self.assertEqual(text.count("[account.alice]"), 1)
        self.assertIn("[account.bob]", text)
        self.assertIn('host = "smtp.example.test"\nport = 465\nsecurity = "tls"', text)
        self.assertIn('host = "imap.example.test"\nport = 993', text)

    def test_nothing_found_without_terminal(self):
        r = self.setup("--address", "alice@example.test", "--no-dns", "--autoconfig-url",
                       self.url.replace("/mail/", "/nothing/"), "--ca-file",
                       self.server.ca_path(), "--yes")
        self.assertEqual(r.returncode, 1)
        self.assertIn("HTTP: 404", r.stdout)
        self.assertIn("no submission server found; give --submission HOST:PORT", r.stderr)
        self.assertFalse(os.path.exists(self.config))
        for args, expect in (
                (["--address", "not-an-address"], "is not an address"),
                (["--address", "a@example.test", "--submission", "smtp.example.test/ssl"],
                 "security is tls, starttls or none"),
                (["--address", "a@example.test", "--submission", "smtp.example.test:0"],
                 "bad port"),
                (["--address", "a@example.test", "--submission", "smtp.example.test/none"],
                 "only allowed to localhost"),
                ([], "give --address")):
            r = self.setup(*args, "--no-dns", "--no-autoconfig", "--yes")
            self.assertEqual(r.returncode, 1, args)
            self.assertIn(expect, r.stderr)

    def test_srv_records(self):
        tmp = os.path.join(self.server.tmp, f"dns-{unique()}")
        os.makedirs(tmp)
        # Not under .test: unbound answers NXDOMAIN for the special-use names itself.
        z = "srv.example"
        records = [
            f"ready.{z}. 300 IN A 127.0.0.1",
            f"_submissions._tcp.{z}. 300 IN SRV 0 1 465 smtp.{z}.",
            f"_submission._tcp.{z}. 300 IN SRV 0 1 587 smtp.{z}.",
            f"_imaps._tcp.{z}. 300 IN SRV 0 1 0 .",
            f"_imap._tcp.{z}. 300 IN SRV 5 1 143 imap2.{z}.",
            f"_imap._tcp.{z}. 300 IN SRV 1 1 143 imap.{z}.",
            f"_pop3s._tcp.{z}. 300 IN SRV 0 1 995 pop.{z}.",
        ]
        dns = LocalDns(tmp, [z], records, f"ready.{z}")
        dns.start()
        try:
            r = self.setup("--address", f"carol@{z}", "--no-autoconfig",
                           "--dns-server", dns.forwarders(), "--yes")
        finally:
            dns.stop()
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("Found by DNS SRV records (RFC 6186)", r.stdout)
        self.assertIn(f"submission smtp.{z}:465 (tls)", r.stdout)
        self.assertIn(f"imap       imap.{z}:143 (starttls)", r.stdout)  # "." for imaps
        self.assertIn("pop3       none", r.stdout)

    def test_interactive_in_tmux(self):
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (scripts/deps.sh installs it)")
        sock = os.path.join(self.server.tmp, f"tmux-{unique()}.sock")

        def tmux(*a):
            return subprocess.run(["tmux", "-S", sock, *a], capture_output=True, text=True,
                                  timeout=10)

        def wait_for(text):
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                screen = tmux("capture-pane", "-p", "-t", "setup").stdout
                if text in screen:
                    return screen
                time.sleep(0.1)
            self.fail(f"{text!r} not on the terminal:\n{screen}")

        env = " ".join(f"{k}={v}" for k, v in self.client.env.items()
                       if k in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "PATH"))
        cmd = (f"env -i {env} {binary()} mail --account {self.config} setup --ca-file "
               f"{self.server.ca_path()} --autoconfig-url {self.url} --no-dns")
        try:
            r = tmux("new-session", "-d", "-s", "setup", "-x", "150", "-y", "50",
                     f"{cmd}; echo EXIT=$?; sleep 60")
            self.assertEqual(r.returncode, 0, r.stderr)
            wait_for("Email address:")
            tmux("send-keys", "-t", "setup", "alice@example.test", "Enter")
            wait_for("Your name")
            tmux("send-keys", "-t", "setup", "Alice Typed", "Enter")
            wait_for("[e]nvironment variable?")
            tmux("send-keys", "-t", "setup", "c", "Enter")
            wait_for("Command that prints the password:")
            tmux("send-keys", "-t", "setup", "pass show mail/alice", "Enter")
            wait_for("? [Y/n]")
            tmux("send-keys", "-t", "setup", "y", "Enter")
            screen = wait_for("EXIT=")
            self.assertIn("EXIT=0", screen)
        finally:
            tmux("kill-server")
        with open(self.config) as f:
            text = f.read()
        self.assertIn('name = "Alice Typed"', text)
        self.assertIn('password_command = "pass show mail/alice"', text)
        self.assertIn(f"port = {self.server.submission}", text)


if __name__ == "__main__":
    unittest.main()
