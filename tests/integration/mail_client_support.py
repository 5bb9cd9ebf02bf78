# mail_client_support: what the `estafeta mail` tests share: a client.toml for an account on
# a test Server (its CA, submission/IMAP/POP3 ports), and a bounded run of `estafeta mail`
# with a private HOME (so nothing of the user's is read or written) and the password in an
# environment variable.
import os
import subprocess

from estafeta_harness import PASSWORDS, binary

SANITIZER_MARKS = ("ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer")


class MailClient:
    """One user's client side: HOME, client.toml, outbox and Maildir under `root`."""

    def __init__(self, server, root, address="alice@example.test", name="Alice Example",
                 submission=None, imap=True, pop3=False, extra=""):
        self.server = server
        self.address = address
        self.home = os.path.join(root, "home-" + address.split("@")[0])
        os.makedirs(self.home, exist_ok=True)
        self.config = os.path.join(self.home, "client.toml")
        self.outbox = os.path.join(self.home, "outbox")
        self.maildir = os.path.join(self.home, "Maildir")
        self.env = dict(os.environ, HOME=self.home, MAIL_PW=PASSWORDS.get(address, ""),
                        XDG_CONFIG_HOME=os.path.join(self.home, ".config"),
                        XDG_DATA_HOME=os.path.join(self.home, ".local", "share"))
        self.env.pop("VISUAL", None)
        self.write(submission=submission, imap=imap, pop3=pop3, extra=extra, name=name)

    def write(self, submission=None, imap=True, pop3=False, extra="", name="Alice Example",
              password='password_env = "MAIL_PW"'):
        s = self.server
        port, security = submission or (s.submission, "starttls")
        text = (f'[account.main]\naddress = "{self.address}"\nname = "{name}"\n{password}\n'
                f'ca_file = "{s.ca_path()}"\noutbox = "{self.outbox}"\nmaildir = "{self.maildir}"\n'
                f'{extra}\n'
                f'[account.main.submission]\nhost = "127.0.0.1"\nport = {port}\n'
                f'security = "{security}"\n')
        if imap:
            text += f'[account.main.imap]\nhost = "127.0.0.1"\nport = {s.imap_port}\nsecurity = "starttls"\n'
        if pop3:
            text += f'[account.main.pop3]\nhost = "127.0.0.1"\nport = {s.pop3s_port}\nsecurity = "tls"\n'
        with open(self.config, "w") as f:
            f.write(text)
        os.chmod(self.config, 0o600)

    def run(self, *args, input="", env=None, timeout=60):
        """`estafeta mail --account CONFIG ARGS`; CompletedProcess (text). Fails the test on
        a sanitizer report."""
        e = dict(self.env)
        e.update(env or {})
        r = subprocess.run([binary(), "mail", "--account", self.config, *args], input=input,
                           capture_output=True, text=True, env=e, timeout=timeout)
        if any(m in r.stderr for m in SANITIZER_MARKS):
            raise AssertionError(f"sanitizer report from mail {' '.join(args)}:\n{r.stderr}")
        return r

    def outbox_entries(self):
        d = os.path.join(self.outbox, "new")
        try:
            return sorted(os.listdir(d))
        except FileNotFoundError:
            return []
