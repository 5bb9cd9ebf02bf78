# pop3_support: what the POP3 integration tests share: the listeners they run (SMTP for
# delivery, IMAP over TLS to fill and watch mailboxes, POP3 on STLS and implicit TLS), a fresh
# account per test (so tests in one class never see each other's mail), filling its INBOX
# over IMAP APPEND (the exact bytes, no headers added) or by dropping files into its Maildir
# (for bytes IMAP refuses: NUL), and reading the UIDL listing.
import imaplib
import os
import time

from estafeta_harness import DOMAIN, TIMEOUT, unique

POP3_LISTENERS = {"smtp": ("mx", None), "imaps": ("imaps", None), "pop3": ("pop3", None),
                  "pop3s": ("pop3s", None)}
PLAINTEXT_REFUSED = (b"-ERR [AUTH] Plaintext authentication disallowed on non-secure (SSL/TLS) "
                     b"connections.")


def message(subject, body="Body line one.\r\nBody line two.\r\n"):
    return (f"From: <sender@remote.test>\r\nTo: <someone@{DOMAIN}>\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 03:00:00 +0000\r\nMessage-ID: <{unique('id')}@t>\r\n"
            f"\r\n{body}").encode()


def new_user(server):
    """A fresh account (address, password) on `server` (which may be running)."""
    user = unique("pop").lower() + "@" + DOMAIN
    password = "Pw-" + unique("s")
    server.cli("user", "add", user, "--password-stdin", input=password + "\n")
    return user, password


def imap_session(server, user, password):
    c = imaplib.IMAP4_SSL("127.0.0.1", server.imaps_port, ssl_context=server.tls_context(),
                          timeout=TIMEOUT)
    c.login(user, password)
    return c


def fill(server, user, password, messages):
    """Appends `messages` (bytes, CRLF) to the user's INBOX over IMAP, in order."""
    c = imap_session(server, user, password)
    for m in messages:
        typ, data = c.append("INBOX", None, None, m)
        assert typ == "OK", (typ, data)
    c.logout()


def drop(server, user, password, data):
    """Puts a message file into the user's Maildir new/ as another program would (the store
    picks it up with a UID within about a second: callers poll)."""
    fill(server, user, password, [])  # the first IMAP login creates the Maildir
    root = server.maildir(user)
    name = f"{int(time.time())}.{unique('drop')}.elsewhere"
    with open(os.path.join(root, "tmp", name), "wb") as f:
        f.write(data)
    os.rename(os.path.join(root, "tmp", name), os.path.join(root, "new", name))


def uidl_map(client):
    """{number: uidl} from a poplib client's UIDL."""
    resp, lines, _ = client.uidl()
    assert resp.startswith(b"+OK"), resp
    out = {}
    for line in lines:
        n, u = line.split(b" ", 1)
        out[int(n)] = u
    return out
