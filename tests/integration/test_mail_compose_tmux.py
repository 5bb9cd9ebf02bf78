# The interactive path of `estafeta mail send` on a real terminal, driven through tmux
# (send-keys, capture-pane): with standard input a terminal and no body given, $EDITOR gets the
# template (the pane shows it) and the terminal; what is typed there becomes the message; the
# password is then asked on the terminal without echo (the typed password never appears in
# the pane). tmux runs on a private socket and is stopped by the test. Skipped without tmux.
import email
import email.policy
import os
import shlex
import shutil
import subprocess
import time
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, binary, unique
from mail_client_support import MailClient

WAIT = 20.0


class ComposeInTmuxTest(ServerTestCase):
    LISTENERS = {"smtp": ("mx", None), "submission": ("submission", None)}

    def setUp(self):
        super().setUp()
        if not shutil.which("tmux"):
            self.skipTest("tmux is not installed (scripts/deps.sh installs it)")
        self.sock = os.path.join(self.server.tmp, "tmux.sock")
        self.client = MailClient(self.server, self.server.tmp, imap=False)
        self.client.write(imap=False, password="")  # no password source: the prompt

    def tmux(self, *args):
        return subprocess.run(["tmux", "-S", self.sock, *args], capture_output=True, text=True,
                              timeout=10)

    def tearDown(self):
        self.tmux("kill-server")
        super().tearDown()

    def pane(self):
        return self.tmux("capture-pane", "-p", "-t", "mail").stdout

    def wait_for(self, text):
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            screen = self.pane()
            if text in screen:
                return screen
            time.sleep(0.1)
        self.fail(f"{text!r} did not appear on the terminal:\n{self.pane()}")

    def test_compose_in_editor_then_password_prompt(self):
        marker = unique()
        editor = os.path.join(self.server.tmp, "term-editor.sh")
        with open(editor, "w") as f:
            # An editor that shows the file and asks for a line on its terminal.
            f.write("#!/bin/sh\ncat \"$1\"\nprintf 'Body line: '\nread line\n"
                    f"sed -i 's/^Subject: .*/Subject: tmux {marker}/' \"$1\"\n"
                    "printf '%s\\n' \"$line\" >> \"$1\"\n")
        os.chmod(editor, 0o755)
        env = {k: v for k, v in self.client.env.items() if k in
               ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "PATH", "ASAN_OPTIONS",
                "UBSAN_OPTIONS", "LSAN_OPTIONS")}
        env.update(EDITOR=editor, TERM="xterm")
        cmd = " ".join(["env", "-i"] + [shlex.quote(f"{k}={v}") for k, v in env.items()] +
                       [shlex.quote(binary()), "mail", "--account",
                        shlex.quote(self.client.config), "send", "--to", "bob@example.test",
                        "--no-sent-copy"])
        r = self.tmux("new-session", "-d", "-s", "mail", "-x", "150", "-y", "50",
                      f"{cmd}; echo EXIT=$?; sleep 60")
        self.assertEqual(r.returncode, 0, r.stderr)
        screen = self.wait_for("Body line:")
        self.assertIn("From: Alice Example <alice@example.test>", screen)
        self.assertIn("To: bob@example.test", screen)
        self.assertIn("Bcc:", screen)
        self.tmux("send-keys", "-t", "mail", f"Typed on a terminal {marker}", "Enter")
        self.wait_for("Password for alice@example.test:")
        password = PASSWORDS["alice@example.test"]
        self.tmux("send-keys", "-t", "mail", password, "Enter")
        screen = self.wait_for("EXIT=")
        self.assertIn("EXIT=0", screen)
        self.assertIn("bob@example.test: sent (250", screen)
        self.assertNotIn(password, screen)  # no echo
        m = email.message_from_bytes(self.server.read_one(self, "bob@example.test", marker),
                                     policy=email.policy.default)
        self.assertEqual(m["Subject"], f"tmux {marker}")
        self.assertIn(f"Typed on a terminal {marker}", m.get_content())


if __name__ == "__main__":
    unittest.main()
