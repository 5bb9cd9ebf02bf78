# client_tools: what the tests that drive real mail clients (test_imap_clients.py,
# test_pop3_clients.py) share: skipping a test with its reason when a client program is not
# installed (scripts/deps.sh installs them), a run of a client bounded by RUN_TIMEOUT seconds,
# and one fetchmail run against the test server (its rc file and HOME in the test's temporary
# directory, the mail it fetched read back from a BSMTP file). Runs on loopback only.
import os
import shutil
import subprocess
import unittest

from estafeta_harness import HOSTNAME

RUN_TIMEOUT = 60


def need(program):
    path = shutil.which(program)
    if not path:
        raise unittest.SkipTest(f"{program} is not installed (scripts/deps.sh installs it)")
    return path


def run_tool(args, **kw):
    return subprocess.run(args, capture_output=True, timeout=RUN_TIMEOUT, **kw)


def run_fetchmail(tmp, server, *, port, tls, proto, user, password, keep, folder=None,
                  extra_options="", extra_args=()):
    """One fetchmail run against `server` on `port`: implicit TLS when `tls` is "ssl", else
    STARTTLS/STLS (fetchmail's sslproto), the certificate checked against the test CA. `proto`
    follows "proto" on the poll line ("POP3 uidl", "IMAP"); `folder` and `extra_options`
    ("fetchall") go on the user's line. Returns (the completed process, the BSMTP output)."""
    need("fetchmail")
    rc = os.path.join(tmp, "fetchmailrc")
    out = os.path.join(tmp, "out.bsmtp")
    tls_opts = ("ssl" if tls == "ssl" else "sslproto 'TLS1.2+'") + \
        f" sslcertck sslcertfile '{server.ca_path()}' sslcommonname '{HOSTNAME}'"
    where = f"folder '{folder}' " if folder is not None else ""
    with open(rc, "w") as f:
        f.write(f"set no syslog\nset no bouncemail\n"
                f"poll 127.0.0.1 service {port} proto {proto} auth password\n"
                f"  user '{user}' there with password '{password}' is root here\n"
                f"  {where}{tls_opts} {'keep' if keep else 'nokeep'}{extra_options}\n")
    os.chmod(rc, 0o600)
    env = {**os.environ, "HOME": tmp, "FETCHMAILHOME": tmp}
    r = run_tool(["fetchmail", "-f", rc, "--bsmtp", out, "--nodetach", "--pidfile",
                  os.path.join(tmp, "pid"), *extra_args], env=env)
    data = b""
    if os.path.exists(out):
        with open(out, "rb") as f:
            data = f.read()
        os.unlink(out)
    return r, data
