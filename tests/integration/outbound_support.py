# outbound_support: what the tests of two Estafeta instances relaying to each other on port 25
# of fixed loopback addresses share (test_outbound_dns, test_outbound_dane, test_tls_report):
# the check that port 25 can be bound, making an instance with its domains and users, a
# submission, and bounded waits for a message in a mailbox or a line in a log. The DNS side
# is local_dns.py. Port 25 needs root (CI runs as root): `port_25_free` says why not, and the
# tests skip with that message. Every wait is bounded.
import smtplib
import socket
import ssl
import time

from estafeta_harness import TIMEOUT, Server


def port_25_free(address):
    """None when port 25 of `address` can be bound now, else why not."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, 25))
        except OSError as e:
            return f"cannot bind {address}:25 ({e.strerror}); run as root with port 25 free"
    return None


def make_instance(address, domains, users, secrets, sections, servers):
    """A server with an MX listener on port 25 of `address` and a submission listener on a
    free port of 127.0.0.1, its `domains` and `users` (passwords from `secrets`, else a fixed
    one), started; appended to `servers` before starting, so the caller's cleanup stops it."""
    s = Server(listeners={"smtp": ("mx", 25, address), "submission": ("submission", None)},
               sections=sections)
    servers.append(s)
    for d in domains:
        s.cli("domain", "add", d)
    for u in users:
        s.cli("user", "add", u, "--password-stdin", input=secrets.get(u, "x-Secret-9") + "\n")
    s.start()
    return s


def submit(test, server, sender, password, to, data, cafile=None):
    """Sends `data` from `sender` to `to` through `server`'s submission listener (STARTTLS, AUTH);
    the certificate is verified against `cafile` when given (a server with its own
    [tls] certificate), else against the server's local CA."""
    if cafile is None:
        client = server.smtp_tls("submission")
    else:
        client = smtplib.SMTP("127.0.0.1", server.submission, timeout=TIMEOUT)
        context = ssl.create_default_context(cafile=cafile)
        context.check_hostname = False  # the name is the MX host's, we connect to 127.0.0.1
        client.starttls(context=context)
    with client as s:
        s.login(sender, password)
        test.assertEqual(s.sendmail(sender, [to], data), {})


def wait_for_message(test, server, address, marker, timeout=20.0):
    """The bytes of the first message in `address`'s mailbox containing `marker`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = server.find(address, marker, wait=False)
        if found:
            with open(found[0], "rb") as f:
                return f.read()
        time.sleep(0.1)
    test.fail(f"{marker} did not reach {address}")


def wait_for_log(test, server, text, timeout=10.0):
    """Waits until `text` is in `server`'s log; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while text not in server.log_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    test.assertIn(text, server.log_text())


def stop_all(servers):
    for s in servers:
        try:
            s.stop()
        finally:
            s.cleanup()
