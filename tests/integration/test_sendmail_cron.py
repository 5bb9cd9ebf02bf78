# test_sendmail_cron: `estafeta sendmail -t` called from a shell script the way cron mails a
# job's output: a minimal environment (env -i, PATH=/usr/bin:/bin), the message piped in with
# `-FCronDaemon -i -oem -t` (Debian cron's options, plus -t), To: a remote address that "a"
# routes to a second instance "b" (static route), Bcc: a local user of a. Both copies arrive;
# no copy shows the Bcc field or the Bcc address; a line "." in the output does not end the
# message (-i). Loopback only; every wait is bounded.
import os
import subprocess
import time
import unittest

from estafeta_harness import Server, binary, unique

FAR = "far.test"
BOB_FAR = f"bob@{FAR}"
CAROL = "carol@example.test"

SCRIPT = """#!/bin/sh
# A cron job whose output is mailed: what cron does with MAILTO, written out.
set -e
{
  printf 'From: root (Cron Daemon)\\n'
  printf 'To: %s\\n' "$MAILTO"
  printf 'Bcc: %s\\n' "$BCC"
  printf 'Subject: Cron <root@mail> %s\\n' "$MARKER"
  printf 'Content-Type: text/plain; charset=UTF-8\\n'
  printf 'Auto-Submitted: auto-generated\\n'
  printf '\\n'
  echo "backup finished: $MARKER"
  echo "."
  echo "after the dot"
} | "$ESTAFETA" -c "$CONFIG" sendmail -FCronDaemon -i -oem -t
"""


class SendmailCron(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.a = None
        cls.b = Server()
        try:
            cls.b.cli("domain", "add", FAR)
            cls.b.cli("user", "add", BOB_FAR, "--password-stdin", input="bob-Far-Secret-1\n")
            cls.b.start()
            cls.a = Server(sections={"routing": {"routes": f"{FAR} = [127.0.0.1]:{cls.b.mx}"}})
            cls.a.start()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        for s in (cls.a, cls.b):
            if s:
                try:
                    s.stop()
                finally:
                    s.cleanup()

    def tearDown(self):
        if any(t is self for t, _ in self._outcome.result.failures + self._outcome.result.errors):
            for name, s in (("a", self.a), ("b", self.b)):
                print(f"\n--- {name} ---\n{s.log_tail(30)}", flush=True)

    def wait_for(self, server, address, marker, timeout=20.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = server.find(address, marker, wait=False)
            if found:
                with open(found[0], "rb") as f:
                    return f.read()
            time.sleep(0.1)
        self.fail(f"{marker} did not reach {address}")

    def test_cron_job_output_to_remote_and_bcc_local(self):
        marker = unique("cron")
        script = os.path.join(self.a.tmp, "cronjob.sh")
        with open(script, "w") as f:
            f.write(SCRIPT)
        os.chmod(script, 0o755)
        env = {"PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "HOME": "/", "LOGNAME": "root",
               "MAILTO": BOB_FAR, "BCC": CAROL, "MARKER": marker, "ESTAFETA": binary(),
               "CONFIG": self.a.config_path}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        r = subprocess.run(["/bin/sh", script], env=env, stdin=subprocess.DEVNULL,
                           capture_output=True, timeout=30)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertEqual(r.stdout + r.stderr, b"")
        remote = self.wait_for(self.b, BOB_FAR, marker)
        local = self.wait_for(self.a, CAROL, marker)
        for got in (remote, local):
            headers = got.split(b"\r\n\r\n", 1)[0].lower()
            self.assertNotIn(b"\nbcc:", headers)
            self.assertIn(b"\r\n.\r\nafter the dot\r\n", got)
            self.assertIn(b"Auto-Submitted: auto-generated", got)
        self.assertNotIn(CAROL.encode(), remote)
        self.assertIn(b"with ESMTPS", remote)


if __name__ == "__main__":
    unittest.main()
