# test_imap_commands: every command of RFC 9051 and RFC 3501 (and the extensions of issue 7)
# on the real server, through Python's imaplib where it has the command and through the raw
# line client (imap_client.ImapRaw) where exact bytes matter: CAPABILITY before and after TLS,
# NOOP, LOGOUT, STARTTLS (plaintext pipelined behind it discarded), AUTHENTICATE PLAIN with
# and without SASL-IR, LOGIN refused before TLS, ENABLE, SELECT/EXAMINE, CREATE/DELETE/RENAME
# (INBOX too), SUBSCRIBE/UNSUBSCRIBE/LIST/LSUB (special-use, LIST-EXTENDED, LIST-STATUS,
# CHILDREN), NAMESPACE, STATUS, APPEND (flags, date, APPENDUID, MULTIAPPEND, modified UTF-7
# and UTF-8 names), CHECK, CLOSE, UNSELECT, EXPUNGE, UID EXPUNGE, SEARCH (keys, CHARSET,
# ESEARCH, SEARCHRES), FETCH (every item, sections, partials, BINARY), STORE (CONDSTORE),
# COPY/MOVE (COPYUID) and UID forms, ID, IDLE. Each test works in mailboxes of its own.
import base64
import imaplib
import re
import time
import unittest
import zlib

from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
BOB = "bob@example.test"
CAROL = "carol@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}

# A multipart message whose every part is known to the octet (sections, BINARY, BODYSTRUCTURE).
PART1 = b"Hello, plain part.\r\nSecond line.\r\n"
PART2_DECODED = bytes(range(256)) * 2
PART2_B64 = base64.encodebytes(PART2_DECODED).replace(b"\n", b"\r\n")
# The CRLF before a boundary belongs to the boundary (RFC 2046 §5.1.1): part contents.
PART1_CONTENT = PART1[:-2]
PART2_CONTENT = PART2_B64[:-2]
MULTIPART = (
    b"From: Alice Example <alice@example.test>\r\n"
    b"To: Bob <bob@example.test>\r\n"
    b"Cc: carol@example.test\r\n"
    b"Subject: multipart test\r\n"
    b"Date: Mon, 05 Feb 2024 10:11:12 +0100\r\n"
    b"Message-ID: <multi@example.test>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n"
    b"\r\n"
    b"preamble\r\n"
    b"--BOUND\r\n"
    b"Content-Type: text/plain; charset=us-ascii\r\n"
    b"\r\n" + PART1 +
    b"--BOUND\r\n"
    b"Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
    b"Content-Transfer-Encoding: base64\r\n"
    b"\r\n" + PART2_B64 +
    b"--BOUND--\r\n")


def msg(subject, body="Body text.\r\n", frm="sender@remote.test", to=ALICE, date="Sat, 28 Nov 2026 03:00:00 +0000",
        extra=""):
    return (f"From: <{frm}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: {date}\r\n"
            f"Message-ID: <{unique('id')}@client.test>\r\n{extra}\r\n{body}").encode()


def status_items(line):
    """{'MESSAGES': 3, ...} from one '* STATUS name (...)' line."""
    m = re.match(rb"^\* STATUS .* \(([^()]*)\)$", line)
    assert m, line
    words = m.group(1).decode().split()
    return {words[i]: int(words[i + 1]) for i in range(0, len(words), 2)}


def astring(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapCase(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.open = []

    def tearDown(self):
        for c in self.open:
            try:
                if isinstance(c, ImapRaw):
                    c.close()
                else:
                    c.shutdown()
            except Exception:
                pass
        super().tearDown()

    # -- clients -------------------------------------------------------------------------------
    def raw(self, user=ALICE, tls=True, port=None):
        """A raw client on 993 (implicit TLS), or on 143 in plaintext (tls=False)."""
        if tls:
            c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        else:
            c = ImapRaw(self.server.imap_port)
        self.open.append(c)
        if user:
            c.login(user, PASSWORDS[user])
        return c

    def lib(self, user=ALICE):
        c = self.server.imaps(user)
        self.open.append(c)
        return c

    def mailbox(self, raw, messages=(), prefix="box"):
        """Creates a fresh mailbox holding `messages` (bytes, or (bytes, flags, date)); returns
        its name."""
        name = unique(prefix)
        raw.ok(f"CREATE {name}")
        for m in messages:
            data, flags, date = (m, "", "") if isinstance(m, bytes) else m
            extra = (f" ({flags})" if flags is not None else "") + (f' "{date}"' if date else "")
            raw.ok(f"APPEND {name}{extra} {{{len(data)}+}}\r\n".encode() + data)
        return name

    def take_recent(self, raw, name):
        """Selects `name` and leaves it: its messages go on being \\Recent for this session only
        (RFC 3501 §2.3.2), so a later SELECT sees none; for tests about other flags."""
        raw.ok(f"SELECT {name}")
        raw.ok("UNSELECT")

    def assertTagged(self, tagged, expected):
        self.assertEqual(tagged, expected)


class Greeting(ImapCase):
    def test_capability_before_tls_after_tls_and_after_login(self):
        c = self.raw(user=None, tls=False)
        self.assertTrue(c.greeting.startswith(b"* OK [CAPABILITY "), c.greeting)
        u, t = c.cmd("CAPABILITY")
        self.assertEqual(len(u), 1)
        caps = u[0].split()[2:]
        for cap in (b"IMAP4rev2", b"IMAP4rev1", b"STARTTLS", b"LOGINDISABLED"):
            self.assertIn(cap, caps)
        # RFC 9051 §6.2.3 / RFC 3501: no plaintext mechanism offered while LOGINDISABLED.
        self.assertNotIn(b"AUTH=PLAIN", caps)
        self.assertTrue(t.startswith(b"OK"), t)
        c.starttls(self.server.tls_context())
        u, t = c.cmd("CAPABILITY")
        caps = u[0].split()[2:]
        self.assertNotIn(b"STARTTLS", caps)
        self.assertNotIn(b"LOGINDISABLED", caps)
        for cap in (b"AUTH=PLAIN", b"SASL-IR", b"IMAP4rev2", b"IMAP4rev1", b"LITERAL+", b"ID", b"IDLE",
                    b"ENABLE", b"NAMESPACE", b"UNSELECT", b"UIDPLUS", b"MOVE", b"CHILDREN", b"SPECIAL-USE",
                    b"CREATE-SPECIAL-USE", b"LIST-EXTENDED", b"LIST-STATUS", b"ESEARCH", b"SEARCHRES",
                    b"CONDSTORE", b"QRESYNC", b"STATUS=SIZE", b"MULTIAPPEND", b"BINARY", b"UTF8=ACCEPT"):
            self.assertIn(cap, caps)
        self.assertTrue(any(x.startswith(b"APPENDLIMIT=") for x in caps), caps)
        u, t = c.login(ALICE, PASSWORDS[ALICE])
        # After login: a fresh CAPABILITY list in the tagged OK (RFC 9051 §6.2.3 SHOULD), no
        # AUTH= left.
        self.assertTrue(t.startswith(b"OK [CAPABILITY IMAP4rev2 "), t)
        self.assertNotIn(b"AUTH=", t)
        c.ok("LOGOUT")

    def test_imaplib_sees_starttls_and_logindisabled(self):
        c = self.server.imap(starttls=False)
        self.open.append(c)
        self.assertIn("STARTTLS", c.capabilities)
        self.assertIn("LOGINDISABLED", c.capabilities)
        c.starttls(self.server.tls_context())
        self.assertNotIn("LOGINDISABLED", c.capabilities)
        typ, _ = c.login(ALICE, PASSWORDS[ALICE])
        self.assertEqual(typ, "OK")
        typ, data = c.noop()
        self.assertEqual(typ, "OK")

    def test_pipelined_commands_answered_in_order(self):
        c = self.raw()
        c.send(b"".join(f"n{i} NOOP\r\n".encode() for i in range(300)) + b"s1 SELECT INBOX\r\nf1 FETCH 1:* FLAGS\r\n")
        got = [c.line() for _ in range(300)]
        self.assertEqual([g.split(b" ")[0] for g in got], [f"n{i}".encode() for i in range(300)])
        self.assertTrue(all(g.split(b" ")[1] == b"OK" for g in got))
        u, t = c.until_tagged("s1")
        self.assertTrue(t.startswith(b"s1 OK [READ-WRITE]"), t)
        u, t = c.until_tagged("f1")
        self.assertTrue(t.startswith(b"f1 OK") or t.startswith(b"f1 BAD Error in IMAP command FETCH: Invalid messageset"), t)

    def test_noop_and_logout(self):
        c = self.raw()
        u, t = c.cmd("NOOP")
        self.assertEqual((u, t), ([], b"OK NOOP completed."))
        u, t = c.cmd("LOGOUT")
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith(b"* BYE"), u)
        self.assertTrue(t.startswith(b"OK"), t)
        self.assertTrue(c.closed_within(5))
        lib = self.lib()
        typ, data = lib.logout()
        self.assertEqual(typ, "BYE")

    def test_login_refused_before_tls(self):
        c = self.raw(user=None, tls=False)
        u, t = c.cmd(f'LOGIN "{ALICE}" "{PASSWORDS[ALICE]}"')
        self.assertTrue(t.startswith(b"NO [PRIVACYREQUIRED] "), t)
        u, t = c.cmd("AUTHENTICATE PLAIN " + base64.b64encode(f"\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode())
        self.assertTrue(t.startswith(b"NO [PRIVACYREQUIRED] "), t)
        # Still not authenticated: a command of the authenticated state is refused.
        u, t = c.cmd("SELECT INBOX")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)
        self.assertNotIn(b"EXISTS", b"".join(u))

    def test_starttls_discards_pipelined_plaintext(self):
        c = self.raw(user=None, tls=False)
        # RFC 9051 §6.2.1 / RFC 2595 §3.1: commands after STARTTLS in the same packet are
        # injected plaintext; the server must not act on them once TLS is up.
        c.send("s1 STARTTLS\r\ns2 LOGIN alice@example.test alice-Secret-1\r\n")
        line = c.line()
        self.assertTrue(line.startswith(b"s1 OK"), line)
        self.assertEqual(c.buf, b"")
        c.sock = self.server.tls_context().wrap_socket(c.sock, server_hostname=None)
        u, t = c.cmd("NOOP")
        self.assertEqual(u, [], "the pipelined LOGIN was answered after TLS")
        self.assertTrue(t.startswith(b"OK"), t)
        # And not logged in by it.
        u, t = c.cmd("STATUS INBOX (MESSAGES)")
        self.assertFalse(t.startswith(b"OK"), t)

    def test_starttls_twice_and_after_implicit_tls(self):
        c = self.raw(user=None, tls=False)
        c.starttls(self.server.tls_context())
        u, t = c.cmd("STARTTLS")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)
        c2 = self.raw(user=None)
        u, t = c2.cmd("STARTTLS")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)


class Authenticate(ImapCase):
    def plain(self, user, password):
        return base64.b64encode(f"\0{user}\0{password}".encode()).decode()

    def test_authenticate_plain_with_sasl_ir(self):
        c = self.raw(user=None)
        u, t = c.cmd("AUTHENTICATE PLAIN " + self.plain(ALICE, PASSWORDS[ALICE]))
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(b"OK [CAPABILITY "), t)
        c.ok("SELECT INBOX")

    def test_authenticate_plain_without_sasl_ir(self):
        c = self.raw(user=None)
        c.send("a1 AUTHENTICATE PLAIN\r\n")
        self.assertEqual(c.line(), b"+ ")
        c.send(self.plain(BOB, PASSWORDS[BOB]) + "\r\n")
        t = c.line()
        self.assertTrue(t.startswith(b"a1 OK [CAPABILITY "), t)

    def test_authenticate_plain_empty_initial_response(self):
        # RFC 4959 §3: "=" is an empty initial response; PLAIN then fails as a bad message.
        c = self.raw(user=None)
        u, t = c.cmd("AUTHENTICATE PLAIN =")
        self.assertTrue(t.startswith(b"NO") or t.startswith(b"BAD"), t)

    def test_authenticate_plain_authzid(self):
        # RFC 4616: an authorization identity other than the authenticated one is refused
        # (RFC 5530 AUTHORIZATIONFAILED); the same identity is fine.
        c = self.raw(user=None)
        other = base64.b64encode(f"{BOB}\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode()
        u, t = c.cmd("AUTHENTICATE PLAIN " + other)
        self.assertTrue(t.startswith(b"NO [AUTHORIZATIONFAILED] "), t)
        same = base64.b64encode(f"{ALICE}\0{ALICE}\0{PASSWORDS[ALICE]}".encode()).decode()
        u, t = c.cmd("AUTHENTICATE PLAIN " + same)
        self.assertTrue(t.startswith(b"OK [CAPABILITY "), t)
        u, _ = c.ok('LIST "" "INBOX"')
        self.assertEqual(len(u), 1)

    def test_login_with_synchronizing_literals(self):
        c = self.raw(user=None)
        user, pw = ALICE.encode(), PASSWORDS[ALICE].encode()
        c.send(f"l1 LOGIN {{{len(user)}}}\r\n")
        self.assertTrue(c.line().startswith(b"+"))
        c.send(user + f" {{{len(pw)}}}\r\n".encode())
        self.assertTrue(c.line().startswith(b"+"))
        c.send(pw + b"\r\n")
        u, t = c.until_tagged("l1")
        self.assertTrue(t.startswith(b"l1 OK [CAPABILITY "), t)

    def test_authenticate_cancelled(self):
        c = self.raw(user=None)
        c.send("a1 AUTHENTICATE PLAIN\r\n")
        self.assertEqual(c.line(), b"+ ")
        c.send("*\r\n")
        t = c.line()
        # RFC 9051 §6.2.2: "If the client cancels ... the server MUST reject the AUTHENTICATE
        # command by sending a tagged BAD response."
        self.assertTrue(t.startswith(b"a1 BAD"), t)

    def test_authenticate_wrong_password_and_login_wrong_password(self):
        c = self.raw(user=None)
        u, t = c.cmd("AUTHENTICATE PLAIN " + self.plain(CAROL, "wrong"))
        self.assertTrue(t.startswith(b"NO [AUTHENTICATIONFAILED] "), t)
        u, t = c.cmd(f'LOGIN "{CAROL}" "wrong"')
        self.assertTrue(t.startswith(b"NO [AUTHENTICATIONFAILED] "), t)

    def test_authenticate_login_mechanism(self):
        c = self.raw(user=None)
        c.send("a1 AUTHENTICATE LOGIN\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        c.send(base64.b64encode(ALICE.encode()) + b"\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        c.send(base64.b64encode(PASSWORDS[ALICE].encode()) + b"\r\n")
        t = c.line()
        self.assertTrue(t.startswith(b"a1 OK"), t)

    def test_imaplib_authenticate_plain(self):
        c = self.server.imaps()
        self.open.append(c)
        typ, data = c.authenticate("PLAIN", lambda _: f"\0{ALICE}\0{PASSWORDS[ALICE]}".encode())
        self.assertEqual(typ, "OK")
        self.assertEqual(c.state, "AUTH")

    def test_enable(self):
        c = self.raw()
        u, t = c.cmd("ENABLE CONDSTORE")
        self.assertEqual(u, [b"* ENABLED CONDSTORE"])
        self.assertTrue(t.startswith(b"OK"), t)
        # RFC 5161 §3.1: unknown extensions are ignored; ENABLED lists only those enabled now.
        u, t = c.cmd("ENABLE X-NO-SUCH-THING")
        self.assertEqual(u, [b"* ENABLED"])
        self.assertTrue(t.startswith(b"OK"), t)
        u, t = c.cmd("ENABLE QRESYNC UTF8=ACCEPT")
        self.assertEqual(u, [b"* ENABLED QRESYNC UTF8=ACCEPT"])
        # Before authentication ENABLE is not valid (RFC 5161 §3.1).
        c2 = self.raw(user=None)
        u, t = c2.cmd("ENABLE CONDSTORE")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)
        self.assertEqual(u, [])

    def test_id(self):
        c = self.raw(user=None)
        u, t = c.cmd('ID ("name" "it-test" "version" "1")')
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith(b"* ID ("), u)
        self.assertTrue(t.startswith(b"OK"), t)
        u, t = c.cmd("ID NIL")
        self.assertTrue(u[0].startswith(b"* ID "), u)
        self.assertTrue(t.startswith(b"OK"), t)


class Select(ImapCase):
    def test_select_and_examine(self):
        c = self.raw()
        box = self.mailbox(c, [msg("one"), (msg("two"), "\\Seen", "")])
        u, t = c.cmd(f"SELECT {box} (CONDSTORE)")
        self.assertEqual(t, b"OK [READ-WRITE] Select completed.")
        self.assertIn(b"* 2 EXISTS", u)
        self.assertIn(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)", u)
        self.assertIn(b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)] Flags permitted.", u)
        self.assertIn(b"* OK [UIDNEXT 3] Predicted next UID", u)
        self.assertIn(b"* OK [UNSEEN 1] First unseen.", u)
        validity = [int(m.group(1)) for x in u for m in [re.match(rb"\* OK \[UIDVALIDITY (\d+)\]", x)] if m]
        self.assertEqual(len(validity), 1)
        self.assertGreater(validity[0], 0)
        modseq = [int(m.group(1)) for x in u for m in [re.match(rb"\* OK \[HIGHESTMODSEQ (\d+)\]", x)] if m]
        self.assertEqual(len(modseq), 1)
        u, t = c.cmd(f"EXAMINE {box}")
        # RFC 9051 §6.3.3: the tagged OK to EXAMINE begins with [READ-ONLY]; the previous
        # mailbox was closed first (RFC 7162 §3.2.11 [CLOSED] when QRESYNC-aware; plain here).
        self.assertTrue(t.startswith(b"OK [READ-ONLY]"), t)
        self.assertIn(b"* 2 EXISTS", u)
        u, t = c.cmd("STORE 1 +FLAGS (\\Flagged)")
        self.assertTrue(t.startswith(b"NO"), t)
        u, t = c.cmd("FETCH 1 BODY[]")  # no \Seen set in a read-only mailbox
        self.assertTrue(t.startswith(b"OK"), t)
        u, t = c.cmd("FETCH 1 FLAGS")
        self.assertRegex(u[0].decode(), r"^\* 1 FETCH \(FLAGS \(\)( MODSEQ \(\d+\))?\)$")
        self.assertEqual(len(u), 1)

    def test_select_inbox_any_case_and_missing_mailbox(self):
        lib = self.lib()
        for name in ("INBOX", "inbox", "InBoX"):
            typ, data = lib.select(name)
            self.assertEqual(typ, "OK", name)
        c = self.raw()
        u, t = c.cmd("SELECT no-such-box")
        self.assertEqual(t, b"NO [NONEXISTENT] Mailbox doesn't exist.")
        # A failed SELECT leaves no mailbox selected (RFC 9051 §6.3.2).
        u, t = c.cmd("FETCH 1 FLAGS")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)

    def test_selected_state_commands_refused_when_authenticated(self):
        c = self.raw()
        for cmd in ("FETCH 1 FLAGS", "STORE 1 +FLAGS (\\Seen)", "EXPUNGE", "SEARCH ALL", "CLOSE",
                    "UNSELECT", "COPY 1 INBOX", "MOVE 1 INBOX", "UID FETCH 1 FLAGS", "CHECK"):
            u, t = c.cmd(cmd)
            self.assertTrue(t.startswith(b"BAD"), (cmd, t))


class Mailboxes(ImapCase):
    def test_create_delete_rename_with_children(self):
        c = self.raw()
        top = unique("top")
        c.ok(f"CREATE {top}/child")  # the parent is created too (RFC 9051 §6.3.4)
        u, t = c.cmd(f'LIST "" "{top}*"')
        self.assertEqual(u, [f'* LIST (\\HasChildren) "/" {top}'.encode(),
                             f'* LIST (\\HasNoChildren) "/" {top}/child'.encode()])
        u, t = c.cmd(f"CREATE {top}")
        self.assertEqual(t, b"NO [ALREADYEXISTS] Mailbox already exists.")
        u, t = c.cmd(f"CREATE {top}/")  # trailing separator: the same name
        self.assertEqual(t, b"NO [ALREADYEXISTS] Mailbox already exists.")
        new = unique("renamed")
        c.ok(f"RENAME {top} {new}")
        u, t = c.cmd(f'LIST "" "{top}*"')
        self.assertEqual(u, [])
        u, t = c.cmd(f'LIST "" "{new}*"')
        self.assertEqual(u, [f'* LIST (\\HasChildren) "/" {new}'.encode(),
                             f'* LIST (\\HasNoChildren) "/" {new}/child'.encode()])
        u, t = c.cmd(f"RENAME no-such-{new} x{new}")
        self.assertEqual(t, b"NO [NONEXISTENT] Mailbox doesn't exist.")
        u, t = c.cmd(f"RENAME {new}/child {new}")
        self.assertEqual(t, b"NO [ALREADYEXISTS] Mailbox already exists.")
        c.ok(f"DELETE {new}/child")
        c.ok(f"DELETE {new}")
        u, t = c.cmd(f"DELETE {new}")
        self.assertEqual(t, b"NO [NONEXISTENT] Mailbox doesn't exist.")
        u, t = c.cmd("DELETE INBOX")
        self.assertTrue(t.startswith(b"NO"), t)
        u, t = c.cmd("CREATE inbox")
        self.assertTrue(t.startswith(b"NO"), t)

    def test_delete_with_children_keeps_noselect_parent(self):
        # RFC 9051 §6.3.5: deleting a mailbox with inferiors removes its messages; the name
        # stays with \Noselect (or the server refuses). Either way the child stays.
        c = self.raw()
        top = unique("parent")
        c.ok(f"CREATE {top}/kid")
        u, t = c.cmd(f"DELETE {top}")
        u, _ = c.cmd(f'LIST "" "{top}/kid"')
        self.assertEqual(u, [f'* LIST (\\HasNoChildren) "/" {top}/kid'.encode()])

    def test_rename_inbox_moves_messages_and_leaves_inbox_empty(self):
        c = self.raw(CAROL)
        for i in range(2):
            data = msg(f"inbox-{i}")
            c.ok(f"APPEND INBOX {{{len(data)}+}}\r\n".encode() + data)
        u, _ = c.cmd("STATUS INBOX (MESSAGES UIDNEXT)")
        new = unique("old-inbox")
        c.ok(f"RENAME INBOX {new}")
        u, _ = c.cmd(f"STATUS {new} (MESSAGES)")
        self.assertEqual(u, [f"* STATUS {new} (MESSAGES 2)".encode()])
        u, _ = c.cmd("STATUS INBOX (MESSAGES)")
        self.assertEqual(u, [b"* STATUS INBOX (MESSAGES 0)"])
        u, _ = c.cmd(f'LIST "" "*"')
        self.assertIn(b'* LIST (\\HasNoChildren) "/" INBOX', u)

    def test_subscribe_lsub_and_special_use_flags(self):
        c = self.raw(BOB)
        box = unique("sub")
        c.ok(f"CREATE {box}")
        c.ok(f"SUBSCRIBE {box}")
        c.ok("SUBSCRIBE Sent")
        c.ok("SUBSCRIBE Trash")
        u, t = c.cmd('LSUB "" "*"')
        self.assertEqual(t, b"OK Lsub completed.")
        names = {x.rsplit(b" ", 1)[1]: x for x in u}
        self.assertIn(box.encode(), names)
        # Special-use attributes on plain LSUB too (Apple Mail and iOS never ask for them).
        self.assertIn(b"\\Sent", names[b"Sent"])
        self.assertIn(b"\\Trash", names[b"Trash"])
        u, t = c.cmd('LIST (SUBSCRIBED) "" "*"')
        subscribed = [x for x in u if x.startswith(b"* LIST")]
        self.assertEqual(len(subscribed), 3, u)
        self.assertTrue(all(b"\\Subscribed" in x for x in subscribed), u)
        c.ok(f"UNSUBSCRIBE {box}")
        u, t = c.cmd('LSUB "" "*"')
        self.assertNotIn(box.encode(), b" ".join(u))
        # Unsubscribing a name not subscribed: RFC 9051 §6.3.11 leaves it to the server; it must
        # not crash the session.
        u, t = c.cmd(f"UNSUBSCRIBE never-{box}")
        self.assertTrue(t.startswith(b"OK") or t.startswith(b"NO"), t)

    def test_plain_list_special_use_and_children(self):
        c = self.raw(BOB)
        u, t = c.cmd('LIST "" "%"')
        self.assertEqual(t, b"OK List completed.")
        flags = {x.rsplit(b" ", 1)[1]: x for x in u}
        for name, attr in ((b"Sent", b"\\Sent"), (b"Drafts", b"\\Drafts"), (b"Trash", b"\\Trash"),
                           (b"Junk", b"\\Junk"), (b"Archive", b"\\Archive")):
            self.assertIn(attr, flags[name], name)
        self.assertIn(b"INBOX", flags)
        # RFC 9051 §6.3.9: LIST "" "" gives the hierarchy delimiter and the root.
        u, t = c.cmd('LIST "" ""')
        self.assertEqual(u, [b'* LIST (\\Noselect) "/" ""'])
        u, t = c.cmd('LIST (SPECIAL-USE) "" "*"')
        self.assertEqual(sorted(x.rsplit(b" ", 1)[1] for x in u),
                         [b"Archive", b"Drafts", b"Junk", b"Sent", b"Trash"])

    def test_list_extended_return_special_use_and_status(self):
        c = self.raw()
        box = self.mailbox(c, [msg("s1"), (msg("s2"), "\\Deleted", "")])
        sizes = len(msg("s1")) + len(msg("s2"))  # unique() ids have the same length
        u, t = c.cmd(f'LIST "" ({box} Sent) RETURN (SPECIAL-USE STATUS (MESSAGES UIDNEXT SIZE DELETED))')
        self.assertEqual(t, b"OK List completed.")
        self.assertIn(f'* LIST (\\HasNoChildren) "/" {box}'.encode(), u)
        st = [x for x in u if x.startswith(f"* STATUS {box} ".encode())]
        self.assertEqual(len(st), 1, u)
        self.assertEqual(status_items(st[0]), {"MESSAGES": 2, "UIDNEXT": 3, "SIZE": sizes, "DELETED": 1})
        self.assertIn(b'* LIST (\\HasNoChildren \\Sent) "/" Sent', u)
        # RFC 5819: each STATUS right after its LIST.
        i = u.index(f'* LIST (\\HasNoChildren) "/" {box}'.encode())
        self.assertTrue(u[i + 1].startswith(f"* STATUS {box} ".encode()), u)

    def test_list_return_children(self):
        c = self.raw()
        top = unique("kids")
        c.ok(f"CREATE {top}/a")
        u, t = c.cmd(f'LIST "" "{top}" RETURN (CHILDREN)')
        self.assertEqual(u, [f'* LIST (\\HasChildren) "/" {top}'.encode()])

    def test_create_special_use(self):
        c = self.raw(CAROL)
        box = unique("mysent")
        u, t = c.cmd(f"CREATE {box} (USE (\\Sent))")
        self.assertTrue(t.startswith(b"OK") or t.startswith(b"NO [USEATTR]"), t)
        if t.startswith(b"OK"):
            u, _ = c.cmd(f'LIST "" {box}')
            self.assertIn(b"\\Sent", u[0])
        u, t = c.cmd(f"CREATE x{box} (USE (\\NoSuchUse))")
        self.assertTrue(t.startswith(b"NO [USEATTR]"), t)

    def test_namespace(self):
        c = self.raw()
        u, t = c.cmd("NAMESPACE")
        self.assertEqual(u, [b'* NAMESPACE (("" "/")) (("Shared/" "/")) NIL'])
        self.assertEqual(t, b"OK Namespace completed.")

    def test_status(self):
        c = self.raw()
        m1, m2, m3 = msg("st1"), msg("st2", body="x" * 100 + "\r\n"), msg("st3")
        box = self.mailbox(c, [(m1, "\\Seen", ""), (m2, "\\Deleted", ""), m3])
        u, t = c.cmd(f"STATUS {box} (MESSAGES RECENT UIDNEXT UNSEEN SIZE DELETED)")
        self.assertEqual(t, b"OK Status completed.")
        size = len(m1) + len(m2) + len(m3)
        self.assertEqual(len(u), 1, u)
        self.assertTrue(u[0].startswith(f"* STATUS {box} (".encode()), u)
        # Appended while no session had it selected: all three \\Recent (RFC 3501 §6.3.10).
        self.assertEqual(status_items(u[0]), {"MESSAGES": 3, "RECENT": 3, "UIDNEXT": 4, "UNSEEN": 2, "SIZE": size,
                                              "DELETED": 1})
        u, t = c.cmd(f"STATUS {box} (UIDVALIDITY HIGHESTMODSEQ)")
        self.assertRegex(u[0].decode(), rf"^\* STATUS {box} \(UIDVALIDITY \d+ HIGHESTMODSEQ \d+\)$")
        u, t = c.cmd(f"STATUS no-{box} (MESSAGES)")
        self.assertEqual(t, b"NO [NONEXISTENT] Mailbox doesn't exist.")
        u, t = c.cmd(f"STATUS {box} (NOSUCHITEM)")
        self.assertTrue(t.startswith(b"BAD"), t)

    def test_utf7_and_utf8_mailbox_names(self):
        c = self.raw(CAROL)
        c.ok('CREATE "Entw&APw-rfe"')  # Entwürfe in modified UTF-7 (RFC 3501 §5.1.3)
        u, t = c.cmd('LIST "" "Entw*"')
        self.assertIn(u, ([b'* LIST (\\HasNoChildren) "/" "Entw&APw-rfe"'],
                          [b'* LIST (\\HasNoChildren) "/" Entw&APw-rfe']))
        data = msg("umlaut")
        c.ok(f"APPEND Entw&APw-rfe {{{len(data)}+}}\r\n".encode() + data)
        # An invalid modified UTF-7 name is refused.
        u, t = c.cmd('CREATE "bad&name"')
        self.assertTrue(t.startswith(b"NO") or t.startswith(b"BAD"), t)
        # After ENABLE UTF8=ACCEPT names are UTF-8 both ways (RFC 6855 §3).
        c.ok("ENABLE UTF8=ACCEPT")
        u, t = c.cmd('LIST "" "Entw*"')
        self.assertEqual(len(u), 1)
        self.assertIn("Entwürfe".encode(), u[0])
        self.assertNotIn(b"&APw-", u[0])
        name = "Пошта-" + unique("u")
        c.ok(f'CREATE "{name}"'.encode())
        data = msg("utf8 box")
        c.ok(f'APPEND "{name}" {{{len(data)}+}}\r\n'.encode() + data)
        u, t = c.cmd(f'STATUS "{name}" (MESSAGES)'.encode())
        self.assertEqual(u, [f'* STATUS "{name}" (MESSAGES 1)'.encode()])
        # A client without UTF8=ACCEPT sees it in modified UTF-7.
        c2 = self.raw(CAROL)
        u, t = c2.cmd('LIST "" "*"')
        self.assertTrue(any(b"&BB8EPgRIBEIEMA-" in x for x in u), u)
        self.assertFalse(any(name.encode() in x for x in u), u)

    # A name whose Maildir++ folder would pass the file system's 255-octet limit on a name
    # is refused precisely ("NO [CANNOT] Invalid mailbox name."), never an internal error.
    def test_long_names_refused_precisely_or_usable(self):
        c = self.raw(BOB)
        c.ok("ENABLE UTF8=ACCEPT")
        for name in ["x" * 254, "y" * 255, "z" * 600, "/".join(["a"] * 200), "é" * 100]:
            u, t = c.cmd(f'CREATE "{name}"'.encode())
            self.assertNotIn(b"SERVERBUG", t, f"CREATE of a {len(name.encode())}-octet name")
            u, _ = c.ok(f'LIST "" "{name}"'.encode())
            if t.startswith(b"OK"):
                self.assertEqual(len(u), 1, name)
                data = msg("long name")
                c.ok(f'APPEND "{name}" {{{len(data)}+}}\r\n'.encode() + data)
            else:
                self.assertTrue(t.startswith(b"NO [CANNOT] ") or t.startswith(b"NO [LIMIT] "), t)
                self.assertEqual(u, [], name)

    def test_refused_names(self):
        c = self.raw()
        for name in (b'"a/../b"', b'"/lead"', b'"x' + b"y" * 1000 + b'"', b"{3+}\r\na\x01b", b"{3+}\r\na\tb"):
            u, t = c.cmd(b"CREATE " + name)
            self.assertFalse(t.startswith(b"OK"), (name, t))


class Append(ImapCase):
    def test_append_flags_date_appenduid(self):
        lib = self.lib()
        c = self.raw()
        box = self.mailbox(c)
        data = msg("appended")
        typ, resp = lib.append(box, "(\\Seen \\Flagged $Label1)", '"05-Jan-2024 10:11:12 +0100"', data)
        self.assertEqual(typ, "OK")
        m = re.match(rb"\[APPENDUID (\d+) 1\] ", resp[0])
        self.assertTrue(m, resp)
        u, _ = c.cmd(f"STATUS {box} (UIDVALIDITY)")
        self.assertEqual(u, [f"* STATUS {box} (UIDVALIDITY {m.group(1).decode()})".encode()])
        c.ok(f"SELECT {box}")
        u, _ = c.cmd("UID FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[])")
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith(b"* 1 FETCH (UID 1 FLAGS (\\Seen \\Flagged \\Recent $Label1) "
                                        b'INTERNALDATE "05-Jan-2024 10:11:12 +0100" '
                                        + f"RFC822.SIZE {len(data)} BODY[] {{{len(data)}}}\r\n".encode() + data), u[0])

    def test_append_dates_kept_exactly(self):
        c = self.raw()
        box = self.mailbox(c)
        c.ok(f"SELECT {box}")
        for date in ("31-Dec-1999 23:59:59 -0800", "01-Jan-2100 00:00:00 +0000", "29-Feb-2024 12:00:00 +1345"):
            data = msg("dated")
            u, t = c.ok(f'APPEND {box} "{date}" {{{len(data)}+}}\r\n'.encode() + data)
            uid = int(re.search(rb"\[APPENDUID \d+ (\d+)\]", t).group(1))
            u, _ = c.ok(f"UID FETCH {uid} INTERNALDATE")
            self.assertIn(f'INTERNALDATE "{date}"'.encode(), u[-1], date)

    # RFC 9051 §6.3.12: the internal date given is kept, 1900 too.
    def test_append_date_before_1970(self):
        c = self.raw()
        box = self.mailbox(c)
        data = msg("old")
        u, t = c.cmd(f'APPEND {box} "01-Jan-1900 00:00:00 +0000" {{{len(data)}+}}\r\n'.encode() + data)
        if t.startswith(b"OK"):
            c.ok(f"SELECT {box}")
            u, _ = c.ok("FETCH 1 INTERNALDATE")
            self.assertEqual(u, [b'* 1 FETCH (INTERNALDATE "01-Jan-1900 00:00:00 +0000")'])
        else:
            self.assertTrue(t.startswith(b"NO"), t)

    def test_append_to_missing_mailbox_says_trycreate(self):
        c = self.raw()
        data = msg("nowhere")
        u, t = c.cmd(f"APPEND no-such-{unique()} {{{len(data)}+}}\r\n".encode() + data)
        self.assertTrue(t.startswith(b"NO [TRYCREATE] "), t)

    def test_append_synchronizing_literal(self):
        c = self.raw()
        box = self.mailbox(c)
        data = msg("sync literal")
        c.send(f"a1 APPEND {box} {{{len(data)}}}\r\n")
        self.assertTrue(c.line().startswith(b"+"))
        c.send(data + b"\r\n")
        t = c.line()
        self.assertTrue(t.startswith(b"a1 OK [APPENDUID "), t)

    def test_multiappend(self):
        c = self.raw()
        box = self.mailbox(c)
        m1, m2, m3 = msg("multi1"), msg("multi2"), msg("multi3")
        u, t = c.ok(f"APPEND {box} {{{len(m1)}+}}\r\n".encode() + m1 +
                    f" (\\Seen) {{{len(m2)}+}}\r\n".encode() + m2 +
                    f' () "01-Feb-2024 00:00:00 +0000" {{{len(m3)}+}}\r\n'.encode() + m3)
        self.assertRegex(t.decode(), r"^OK \[APPENDUID \d+ 1:3\] ")
        c.ok(f"SELECT {box}")
        u, _ = c.cmd("FETCH 1:3 (UID FLAGS)")
        self.assertEqual(u, [b"* 1 FETCH (UID 1 FLAGS (\\Recent))", b"* 2 FETCH (UID 2 FLAGS (\\Seen \\Recent))",
                             b"* 3 FETCH (UID 3 FLAGS (\\Recent))"])
        # A failing MULTIAPPEND stores none of its messages (RFC 3502 §6.3.11).
        u, t = c.cmd(f"APPEND {box} {{{len(m1)}+}}\r\n".encode() + m1 +
                     f" (\\NoSuchSystemFlag) {{{len(m2)}+}}\r\n".encode() + m2)
        self.assertFalse(t.startswith(b"OK"), t)
        u, _ = c.cmd(f"STATUS {box} (MESSAGES)")
        self.assertEqual(u, [f"* STATUS {box} (MESSAGES 3)".encode()])

    def test_append_to_selected_mailbox_announces_exists(self):
        c = self.raw()
        box = self.mailbox(c, [msg("first")])
        c.ok(f"SELECT {box}")
        data = msg("second")
        u, t = c.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        self.assertIn(b"* 2 EXISTS", u)


class Selected(ImapCase):
    def test_check_close_unselect(self):
        c = self.raw()
        box = self.mailbox(c, [msg("c1"), msg("c2"), msg("c3")])
        c.ok(f"SELECT {box}")
        u, t = c.cmd("CHECK")
        self.assertTrue(t.startswith(b"OK"), t)
        c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        u, t = c.cmd("UNSELECT")  # RFC 3691: no expunge
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(b"OK"), t)
        u, _ = c.cmd(f"STATUS {box} (MESSAGES DELETED)")
        self.assertEqual(u, [f"* STATUS {box} (MESSAGES 3 DELETED 1)".encode()])
        c.ok(f"SELECT {box}")
        u, t = c.cmd("CLOSE")  # RFC 9051 §6.4.1: expunges silently
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(b"OK"), t)
        u, _ = c.cmd(f"STATUS {box} (MESSAGES DELETED)")
        self.assertEqual(u, [f"* STATUS {box} (MESSAGES 2 DELETED 0)".encode()])
        # CLOSE after EXAMINE expunges nothing.
        c.ok(f"EXAMINE {box}")
        c2 = self.raw()
        c2.ok(f"SELECT {box}")
        c2.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        c.ok("CLOSE")
        u, _ = c.cmd(f"STATUS {box} (MESSAGES)")
        self.assertEqual(u, [f"* STATUS {box} (MESSAGES 2)".encode()])

    def test_expunge_and_uid_expunge(self):
        c = self.raw()
        box = self.mailbox(c, [msg(f"e{i}") for i in range(5)])
        self.take_recent(c, box)
        c.ok(f"SELECT {box}")
        c.ok("STORE 2,4 +FLAGS.SILENT (\\Deleted)")
        u, t = c.cmd("EXPUNGE")
        self.assertTrue(t.startswith(b"OK"), t)
        # Sequence numbers shift after each EXPUNGE: 2 then 3 (old 4), or 4 then 2.
        self.assertIn(u, ([b"* 2 EXPUNGE", b"* 3 EXPUNGE"], [b"* 4 EXPUNGE", b"* 2 EXPUNGE"]))
        u, _ = c.cmd("FETCH 1:* UID")
        self.assertEqual(u, [b"* 1 FETCH (UID 1)", b"* 2 FETCH (UID 3)", b"* 3 FETCH (UID 5)"])
        c.ok("STORE 1:3 +FLAGS.SILENT (\\Deleted)")
        u, t = c.cmd("UID EXPUNGE 3")  # RFC 4315 §2.1: only those UIDs
        self.assertEqual(u, [b"* 2 EXPUNGE"])
        self.assertTrue(t.startswith(b"OK"), t)
        u, _ = c.cmd("FETCH 1:* (UID FLAGS)")
        self.assertEqual(u, [b"* 1 FETCH (UID 1 FLAGS (\\Deleted))", b"* 2 FETCH (UID 5 FLAGS (\\Deleted))"])
        u, t = c.cmd("EXPUNGE")
        self.assertIn(u, ([b"* 1 EXPUNGE", b"* 1 EXPUNGE"], [b"* 2 EXPUNGE", b"* 1 EXPUNGE"]))
        u, _ = c.cmd(f"STATUS {box} (MESSAGES UIDNEXT)")
        self.assertEqual(u, [f"* STATUS {box} (MESSAGES 0 UIDNEXT 6)".encode()])

    def test_imaplib_expunge_close(self):
        lib = self.lib()
        c = self.raw()
        box = self.mailbox(c, [msg("lib1"), msg("lib2")])
        self.assertEqual(lib.select(box)[0], "OK")
        typ, data = lib.store("1", "+FLAGS", "(\\Deleted)")
        self.assertEqual(typ, "OK")
        typ, data = lib.expunge()
        self.assertEqual((typ, data), ("OK", [b"1"]))
        self.assertEqual(lib.check()[0], "OK")
        self.assertEqual(lib.close()[0], "OK")
        self.assertEqual(lib.state, "AUTH")


class Search(ImapCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = ImapRaw(cls.server.imaps_port, ctx=cls.server.tls_context())
        c.login(ALICE, PASSWORDS[ALICE])
        cls.box = unique("search")
        c.ok(f"CREATE {cls.box}")
        cls.msgs = [
            # 1: small, seen, from alice, old date
            (msg("Alpha report", body="the quick brown fox\r\n", frm="alice@example.test",
                 date="Mon, 01 Jan 2024 10:00:00 +0000", extra="Cc: carol@example.test\r\n"),
             "\\Seen", "01-Jan-2024 10:00:00 +0000"),
            # 2: flagged + answered, keyword
            (msg("Beta news", body="lazy dog sleeps\r\n", date="Fri, 15 Mar 2024 12:00:00 +0000",
                 extra="Bcc: hidden@example.test\r\nX-Custom: Special-Value\r\n"),
             "\\Flagged \\Answered $Work", "15-Mar-2024 12:00:00 +0000"),
            # 3: large, draft, deleted
            (msg("Gamma large", body=("padding line " * 20 + "\r\n") * 30, date="Wed, 01 May 2024 08:00:00 +0000"),
             "\\Draft \\Deleted", "01-May-2024 08:00:00 +0000"),
            # 4: UTF-8 subject in an encoded-word, QP body
            (msg("=?UTF-8?Q?Gr=C3=BC=C3=9Fe_aus_M=C3=BCnchen?=", body="Sch=C3=B6ne Gr=C3=BC=C3=9Fe\r\n",
                 date="Sat, 01 Jun 2024 09:00:00 +0000",
                 extra="MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                       "Content-Transfer-Encoding: quoted-printable\r\n"),
             "", "01-Jun-2024 09:00:00 +0000"),
            # 5: plain, unseen, recent date
            (msg("Delta", body="nothing special\r\n", to="bob@example.test",
                 date="Mon, 01 Jul 2024 09:00:00 +0000"),
             "", "01-Jul-2024 09:00:00 +0000"),
        ]
        for data, flags, date in cls.msgs:
            c.ok(f'APPEND {cls.box} ({flags}) "{date}" {{{len(data)}+}}\r\n'.encode() + data)
        c.close()

    def search(self, c, criteria, uid=False):
        u, t = c.cmd(("UID SEARCH " if uid else "SEARCH ") + criteria if isinstance(criteria, str)
                     else (b"UID SEARCH " if uid else b"SEARCH ") + criteria)
        self.assertTrue(t.startswith(b"OK"), (criteria, t))
        lines = [x for x in u if x.startswith(b"* SEARCH")]
        self.assertEqual(len(lines), 1, u)
        return [int(x) for x in lines[0].split()[2:]]

    def test_keys(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        cases = {
            "ALL": [1, 2, 3, 4, 5],
            "SEEN": [1], "UNSEEN": [2, 3, 4, 5],
            "FLAGGED": [2], "UNFLAGGED": [1, 3, 4, 5],
            "ANSWERED": [2], "UNANSWERED": [1, 3, 4, 5],
            "DELETED": [3], "UNDELETED": [1, 2, 4, 5],
            "DRAFT": [3], "UNDRAFT": [1, 2, 4, 5],
            "KEYWORD $Work": [2], "UNKEYWORD $Work": [1, 3, 4, 5],
            "NEW": [], "OLD": [1, 2, 3, 4, 5], "RECENT": [],
            "FROM alice": [1], "FROM remote.test": [2, 3, 4, 5],
            "TO bob@example.test": [5], "CC carol": [1], "BCC hidden": [2],
            "SUBJECT beta": [2], "SUBJECT \"alpha REPORT\"": [1],
            "BODY fox": [1], "BODY alpha": [], "TEXT alpha": [1], "TEXT lazy": [2],
            "HEADER X-Custom special-value": [2], "HEADER X-Custom \"\"": [2],
            "LARGER 1000": [3], "SMALLER 1000": [1, 2, 4, 5],
            "BEFORE 15-Mar-2024": [1], "ON 15-Mar-2024": [2], "SINCE 01-Jun-2024": [4, 5],
            "SENTBEFORE 15-Mar-2024": [1], "SENTON 01-May-2024": [3], "SENTSINCE 01-Jun-2024": [4, 5],
            "NOT SEEN": [2, 3, 4, 5], "OR SEEN FLAGGED": [1, 2], "(SEEN) (FROM alice)": [1],
            "NOT (OR SEEN (FLAGGED ANSWERED))": [3, 4, 5],
            "2:4": [2, 3, 4], "1,5": [1, 5], "*": [5], "UID 1:2": [1, 2], "UID 4:*": [4, 5],
        }
        for criteria, expected in cases.items():
            self.assertEqual(self.search(c, criteria.encode()), expected, criteria)
        self.assertEqual(self.search(c, "SEEN", uid=True), [1])
        # 8-bit text in a quoted string is not IMAP4rev1 syntax, but is after ENABLE UTF8=ACCEPT
        # (RFC 6855 §3); matching is case-insensitive on decoded headers and bodies.
        c.ok("ENABLE UTF8=ACCEPT")
        for criteria, expected in {'SUBJECT "münchen"': [4], 'BODY "SCHÖNE"': [4], 'SUBJECT "GRÜ"': [4],
                                   'TEXT "schöne"': [4], 'FROM "ü"': []}.items():
            self.assertEqual(self.search(c, criteria.encode()), expected, criteria)

    def test_charset_utf8_with_literal(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        word = "GRÜßE".encode()
        u, t = c.cmd(f"SEARCH CHARSET UTF-8 SUBJECT {{{len(word)}+}}\r\n".encode() + word)
        self.assertEqual(u, [b"* SEARCH 4"])
        u, t = c.cmd("SEARCH CHARSET X-UNKNOWN SUBJECT a")
        # RFC 9051 §6.4.4: an unsupported charset is a tagged NO with [BADCHARSET].
        self.assertTrue(t.startswith(b"NO [BADCHARSET"), t)
        lib = self.lib()
        lib.select(self.box, readonly=True)
        typ, data = lib.search("UTF-8", "SUBJECT", '"München"'.encode())
        self.assertEqual((typ, data), ("OK", [b"4"]))

    def test_esearch_and_searchres(self):
        c = self.raw()
        c.ok(f"SELECT {self.box}")
        tag = c.tag()
        c.send(f"{tag} SEARCH RETURN (MIN MAX COUNT ALL) UNSEEN\r\n")
        u, t = c.until_tagged(tag)
        # RFC 4731 §3.1 fixes no order for the return data: compare as pairs.
        self.assertEqual(len(u), 1, u)
        self.assertTrue(u[0].startswith(f'* ESEARCH (TAG "{tag}") '.encode()), u)
        words = u[0].split()[4:]
        self.assertEqual(dict(zip(words[::2], words[1::2])),
                         {b"MIN": b"2", b"MAX": b"5", b"COUNT": b"4", b"ALL": b"2:5"})
        tag = c.tag()
        c.send(f"{tag} UID SEARCH RETURN (COUNT) SEEN\r\n")
        u, t = c.until_tagged(tag)
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}") UID COUNT 1'.encode()])
        tag = c.tag()
        c.send(f"{tag} SEARCH RETURN (MIN) KEYWORD $Nothing\r\n")
        u, t = c.until_tagged(tag)
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}")'.encode()])
        # SEARCHRES (RFC 5182): SAVE into $, then use $ in FETCH and SEARCH.
        u, t = c.cmd("SEARCH RETURN (SAVE) OR FLAGGED DRAFT")
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(b"OK"), t)
        u, _ = c.cmd("FETCH $ (UID)")
        self.assertEqual(u, [b"* 2 FETCH (UID 2)", b"* 3 FETCH (UID 3)"])
        self.assertEqual(self.search(c, "$ FLAGGED"), [2])
        self.assertEqual(self.search(c, "UID $", uid=True), [2, 3])

    def test_modseq_search(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box} (CONDSTORE)")
        u, t = c.cmd("SEARCH MODSEQ 1")
        self.assertTrue(t.startswith(b"OK"), t)
        self.assertRegex(u[0].decode(), r"^\* SEARCH 1 2 3 4 5 \(MODSEQ \d+\)$")

    def test_bad_search(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        for bad in ("NOSUCHKEY", "BEFORE 32-Jan-2024", "LARGER x", "OR SEEN", "(SEEN", "UID"):
            u, t = c.cmd("SEARCH " + bad)
            self.assertTrue(t.startswith(b"BAD"), (bad, t))


class Fetch(ImapCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        c = ImapRaw(cls.server.imaps_port, ctx=cls.server.tls_context())
        c.login(ALICE, PASSWORDS[ALICE])
        cls.box = unique("fetch")
        c.ok(f"CREATE {cls.box}")
        c.ok(f'APPEND {cls.box} "05-Feb-2024 10:11:12 +0100" {{{len(MULTIPART)}+}}\r\n'.encode() + MULTIPART)
        c.close()

    def fetch1(self, c, items, seq="1"):
        u, t = c.cmd(f"FETCH {seq} {items}")
        self.assertEqual(t, b"OK Fetch completed.", (items, u))
        self.assertEqual(len(u), 1, u)
        return u[0]

    def test_simple_items(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        self.assertEqual(self.fetch1(c, "(UID FLAGS RFC822.SIZE INTERNALDATE)"),
                         f'* 1 FETCH (UID 1 FLAGS (\\Recent) RFC822.SIZE {len(MULTIPART)} '
                         f'INTERNALDATE "05-Feb-2024 10:11:12 +0100")'.encode())
        self.assertEqual(self.fetch1(c, "ENVELOPE"),
                         b'* 1 FETCH (ENVELOPE ("Mon, 05 Feb 2024 10:11:12 +0100" "multipart test" '
                         b'(("Alice Example" NIL "alice" "example.test")) '
                         b'(("Alice Example" NIL "alice" "example.test")) '
                         b'(("Alice Example" NIL "alice" "example.test")) '
                         b'(("Bob" NIL "bob" "example.test")) ((NIL NIL "carol" "example.test")) '
                         b'NIL NIL "<multi@example.test>"))')
        # Macros (RFC 3501 §6.4.5).
        r = self.fetch1(c, "FAST")
        self.assertEqual(r, f'* 1 FETCH (FLAGS (\\Recent) INTERNALDATE "05-Feb-2024 10:11:12 +0100" '
                            f'RFC822.SIZE {len(MULTIPART)})'.encode())
        r = self.fetch1(c, "ALL")
        self.assertIn(b"ENVELOPE (", r)
        r = self.fetch1(c, "FULL")
        self.assertIn(b"BODY ((", r)

    def test_envelope_groups_and_latin1_search(self):
        # RFC 9051 §7.5.2 ENVELOPE: display names kept, groups as (NIL NIL "name" NIL) ...
        # (NIL NIL NIL NIL), no Date: is NIL; SEARCH decodes a latin-1 quoted-printable body.
        m = (b'From: "Doe, John" <john.doe@x.test>\r\nTo: undisclosed-recipients:;\r\n'
             b'Cc: Team: a@x.test, "B b" <b@x.test>;, c@x.test\r\nSubject: env\r\nIn-Reply-To: <p@x>\r\n'
             b'Message-ID: <id@x>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n'
             b'Content-Transfer-Encoding: quoted-printable\r\n\r\nJ=F6rg sagt Gr=FC=DF Gott\r\n')
        c = self.raw()
        box = self.mailbox(c, [m])
        c.ok(f"EXAMINE {box}")
        self.assertEqual(self.fetch1(c, "ENVELOPE"),
                         b'* 1 FETCH (ENVELOPE (NIL "env" (("Doe, John" NIL "john.doe" "x.test")) '
                         b'(("Doe, John" NIL "john.doe" "x.test")) (("Doe, John" NIL "john.doe" "x.test")) '
                         b'((NIL NIL "undisclosed-recipients" NIL)(NIL NIL NIL NIL)) '
                         b'((NIL NIL "Team" NIL)(NIL NIL "a" "x.test")("B b" NIL "b" "x.test")(NIL NIL NIL NIL)'
                         b'(NIL NIL "c" "x.test")) NIL "<p@x>" "<id@x>"))')
        for key in ('BODY "jörg"', 'BODY "GRÜẞ"', 'TEXT "gott"', "CC team", 'FROM "doe, john"'):
            u, t = c.cmd(f"SEARCH CHARSET UTF-8 {key}".encode())
            self.assertEqual(u, [b"* SEARCH 1"], key)

    def test_bodystructure_and_body(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        r = self.fetch1(c, "BODY")
        self.assertEqual(
            r, b'* 1 FETCH (BODY (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" '
               + f'{len(PART1_CONTENT)} 1)'.encode()
               + b'("application" "octet-stream" ("name" "blob.bin") NIL NIL "base64" '
               + f'{len(PART2_CONTENT)})'.encode() + b' "mixed"))')
        r = self.fetch1(c, "BODYSTRUCTURE")
        self.assertTrue(r.startswith(
            b'* 1 FETCH (BODYSTRUCTURE (("text" "plain" ("charset" "us-ascii") NIL NIL "7bit" '
            + f'{len(PART1_CONTENT)} 1 NIL NIL NIL NIL)'.encode()
            + b'("application" "octet-stream" ("name" "blob.bin") NIL NIL "base64" '
            + f'{len(PART2_CONTENT)} NIL NIL NIL NIL)'.encode() + b' "mixed" ("boundary" "BOUND")'), r)

    def test_sections(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        head, text = MULTIPART.split(b"\r\n\r\n", 1)
        cases = {
            "BODY.PEEK[]": ("BODY[]", MULTIPART),
            "BODY.PEEK[HEADER]": ("BODY[HEADER]", head + b"\r\n\r\n"),
            "BODY.PEEK[TEXT]": ("BODY[TEXT]", text),
            "BODY.PEEK[1]": ("BODY[1]", PART1_CONTENT),
            "BODY.PEEK[1.MIME]": ("BODY[1.MIME]", b"Content-Type: text/plain; charset=us-ascii\r\n\r\n"),
            "BODY.PEEK[2]": ("BODY[2]", PART2_CONTENT),
            "BODY.PEEK[HEADER.FIELDS (Subject FROM)]":
                ("BODY[HEADER.FIELDS (Subject FROM)]",
                 b"From: Alice Example <alice@example.test>\r\nSubject: multipart test\r\n\r\n"),
            "BODY.PEEK[HEADER.FIELDS.NOT (From To Cc Subject Date Message-ID MIME-Version)]":
                ("BODY[HEADER.FIELDS.NOT (From To Cc Subject Date Message-ID MIME-Version)]",
                 b"Content-Type: multipart/mixed; boundary=\"BOUND\"\r\n\r\n"),
            "BODY.PEEK[HEADER.FIELDS (X-Not-There)]": ("BODY[HEADER.FIELDS (X-Not-There)]", b"\r\n"),
            "RFC822.HEADER": ("RFC822.HEADER", head + b"\r\n\r\n"),
            "BINARY.PEEK[2]": ("BINARY[2]", PART2_DECODED),
            "BINARY.PEEK[1]": ("BINARY[1]", PART1_CONTENT),
        }
        for item, (name, expected) in cases.items():
            r = self.fetch1(c, item)
            want = f"* 1 FETCH ({name} {{{len(expected)}}}\r\n".encode() + expected + b")"
            want_tilde = f"* 1 FETCH ({name} ~{{{len(expected)}}}\r\n".encode() + expected + b")"
            self.assertIn(r, (want, want_tilde), item)
        self.assertEqual(self.fetch1(c, "BINARY.SIZE[2]"), f"* 1 FETCH (BINARY.SIZE[2] {len(PART2_DECODED)})".encode())
        self.assertEqual(self.fetch1(c, "BINARY.SIZE[1]"), f"* 1 FETCH (BINARY.SIZE[1] {len(PART1_CONTENT)})".encode())
        # A section that does not exist: an empty string, as Dovecot does.
        self.assertEqual(self.fetch1(c, "BODY.PEEK[3]"), b'* 1 FETCH (BODY[3] "")')
        self.assertEqual(self.fetch1(c, "BODY.PEEK[1.5]"), b'* 1 FETCH (BODY[1.5] "")')
        # EXAMINE shows \\Recent without taking it (RFC 3501 §6.3.2).
        self.assertEqual(self.fetch1(c, "FLAGS"), b"* 1 FETCH (FLAGS (\\Recent))", "PEEK must not set \\Seen")

    def test_partial(self):
        c = self.raw()
        c.ok(f"EXAMINE {self.box}")
        n = len(MULTIPART)
        self.assertEqual(self.fetch1(c, "BODY.PEEK[]<0.10>"),
                         b"* 1 FETCH (BODY[]<0> {10}\r\n" + MULTIPART[:10] + b")")
        # Last chunk: exactly the rest.
        self.assertEqual(self.fetch1(c, f"BODY.PEEK[]<{n - 7}.100>"),
                         f"* 1 FETCH (BODY[]<{n - 7}> {{7}}\r\n".encode() + MULTIPART[-7:] + b")")
        # Offset at and past the end: an empty string (RFC 9051 §6.4.5).
        self.assertEqual(self.fetch1(c, f"BODY.PEEK[]<{n}.10>"), f'* 1 FETCH (BODY[]<{n}> "")'.encode())
        self.assertEqual(self.fetch1(c, f"BODY.PEEK[]<{n + 1000}.10>"), f'* 1 FETCH (BODY[]<{n + 1000}> "")'.encode())
        # Offsets at the top of the 32-bit range (and offset + length past it) are empty too.
        self.assertEqual(self.fetch1(c, "BODY.PEEK[]<4294967295.4294967295>"), b'* 1 FETCH (BODY[]<4294967295> "")')
        self.assertEqual(self.fetch1(c, "BINARY.PEEK[2]<9999.10>"), b'* 1 FETCH (BINARY[2]<9999> "")')
        u, t = c.cmd("FETCH 1 BODY.PEEK[]<4294967296.1>")
        self.assertEqual(t, b"BAD Invalid partial")
        u, t = c.cmd("FETCH 1 BODY.PEEK[]<0.0>")  # partial length is nz-number (RFC 9051 §9)
        self.assertEqual(t, b"BAD Invalid partial")
        self.assertEqual(self.fetch1(c, "BODY.PEEK[1]<5.8>"),
                         b"* 1 FETCH (BODY[1]<5> {8}\r\n" + PART1[5:13] + b")")
        r = self.fetch1(c, "BINARY.PEEK[2]<250.20>")
        self.assertIn(r, (b"* 1 FETCH (BINARY[2]<250> {20}\r\n" + PART2_DECODED[250:270] + b")",
                          b"* 1 FETCH (BINARY[2]<250> ~{20}\r\n" + PART2_DECODED[250:270] + b")"))
        # Chunked download as clients do it: the pieces add up to the message.
        got = b""
        for off in range(0, n + 100, 100):
            r = self.fetch1(c, f"BODY.PEEK[]<{off}.100>")
            m = re.match(rb"\* 1 FETCH \(BODY\[\]<\d+> (?:\{(\d+)\}\r\n|\"\")", r)
            self.assertTrue(m, r)
            if m.group(1):
                k = int(m.group(1))
                got += r[m.end():m.end() + k]
        self.assertEqual(got, MULTIPART)

    def test_rfc822_and_body_set_seen(self):
        c = self.raw()
        box = self.mailbox(c, [msg("seen-me"), msg("seen-too")])
        self.take_recent(c, box)
        c.ok(f"SELECT {box}")
        u, _ = c.cmd("FETCH 1 BODY[TEXT]")
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith(b"* 1 FETCH (") and b"FLAGS (\\Seen)" in u[0], u)
        u, _ = c.cmd("FETCH 2 RFC822")
        self.assertIn(b"RFC822 {", u[0])
        self.assertIn(b"FLAGS (\\Seen)", u[0])
        u, _ = c.cmd("FETCH 2 RFC822.TEXT")
        self.assertIn(b"RFC822.TEXT {", u[0])

    def test_imaplib_fetch(self):
        lib = self.lib()
        lib.select(self.box, readonly=True)
        typ, data = lib.fetch("1", "(BODY.PEEK[])")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0][1], MULTIPART)
        typ, data = lib.uid("FETCH", "1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertEqual(data[0][1], b"Subject: multipart test\r\n\r\n")

    def test_changedsince_and_vanished(self):
        c = self.raw()
        box = self.mailbox(c, [msg("cs1"), msg("cs2"), msg("cs3")])
        self.take_recent(c, box)
        c.ok("ENABLE QRESYNC")
        u, _ = c.ok(f"SELECT {box}")
        hms = int([re.match(rb"\* OK \[HIGHESTMODSEQ (\d+)\]", x) for x in u if b"HIGHESTMODSEQ" in x][0].group(1))
        u, _ = c.cmd("STORE 2 +FLAGS (\\Flagged)")
        self.assertRegex(u[0].decode(), r"^\* 2 FETCH \(FLAGS \(\\Flagged\) (UID 2 )?MODSEQ \(\d+\)\)$")
        u, _ = c.cmd(f"FETCH 1:* (FLAGS) (CHANGEDSINCE {hms})")
        self.assertEqual(len(u), 1)
        self.assertRegex(u[0].decode(), r"^\* 2 FETCH \(FLAGS \(\\Flagged\) (UID 2 )?MODSEQ \(\d+\)\)$")
        c.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        u, _ = c.cmd("EXPUNGE")
        self.assertEqual(u, [b"* VANISHED 3"])  # RFC 7162 §3.2.10: VANISHED instead of EXPUNGE
        u, _ = c.cmd(f"UID FETCH 1:* (FLAGS) (CHANGEDSINCE {hms} VANISHED)")
        self.assertEqual(u[0], b"* VANISHED (EARLIER) 3")
        self.assertRegex(u[1].decode(), r"^\* 2 FETCH \((UID 2 FLAGS \(\\Flagged\)|FLAGS \(\\Flagged\) UID 2) MODSEQ \(\d+\)\)$")


class Store(ImapCase):
    def test_store_forms(self):
        c = self.raw()
        box = self.mailbox(c, [msg("st1"), msg("st2")])
        self.take_recent(c, box)
        c.ok(f"SELECT {box}")
        u, _ = c.cmd("STORE 1 +FLAGS (\\Seen \\Flagged)")
        self.assertIn(u, ([b"* 1 FETCH (FLAGS (\\Flagged \\Seen))"], [b"* 1 FETCH (FLAGS (\\Seen \\Flagged))"]))
        u, _ = c.cmd("STORE 1 -FLAGS (\\Seen)")
        self.assertEqual(u, [b"* 1 FETCH (FLAGS (\\Flagged))"])
        u, _ = c.cmd("STORE 1 FLAGS ($Forwarded)")
        # A new keyword is announced in FLAGS before its first use (RFC 9051 §7.3.5).
        self.assertEqual(u[-1], b"* 1 FETCH (FLAGS ($Forwarded))")
        self.assertTrue(any(x.startswith(b"* FLAGS (") and b"$Forwarded" in x for x in u), u)
        u, t = c.cmd("STORE 1:2 +FLAGS.SILENT (\\Answered)")
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(b"OK"), t)
        u, _ = c.cmd("FETCH 1:2 FLAGS")
        self.assertIn(u[0], (b"* 1 FETCH (FLAGS (\\Answered $Forwarded))", b"* 1 FETCH (FLAGS ($Forwarded \\Answered))"))
        self.assertEqual(u[1:], [b"* 2 FETCH (FLAGS (\\Answered))"])
        u, t = c.cmd("UID STORE 2 FLAGS ()")
        self.assertIn(u, ([b"* 2 FETCH (UID 2 FLAGS ())"], [b"* 2 FETCH (FLAGS () UID 2)"]))
        u, t = c.cmd("STORE 1 +FLAGS (\\Recent)")
        self.assertFalse(t.startswith(b"OK") and u and b"\\Recent" in u[0], (u, t))
        u, t = c.cmd("STORE 1 +FLAGS (\\Bogus)")
        self.assertTrue(t.startswith(b"BAD") or t.startswith(b"NO"), t)

    def test_unchangedsince(self):
        c = self.raw()
        box = self.mailbox(c, [msg("u1"), msg("u2")])
        self.take_recent(c, box)
        c.ok(f"SELECT {box} (CONDSTORE)")
        u, _ = c.cmd("FETCH 1:2 (MODSEQ)")
        mods = [int(re.search(rb"MODSEQ \((\d+)\)", x).group(1)) for x in u]
        c.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
        # Message 1 changed after mods[0]; message 2 did not: RFC 7162 §3.1.3.
        u, t = c.cmd(f"STORE 1:2 (UNCHANGEDSINCE {max(mods)}) +FLAGS (\\Flagged)")
        self.assertTrue(t.startswith(b"OK [MODIFIED 1] "), t)
        self.assertEqual(len(u), 1)
        self.assertRegex(u[0].decode(), r"^\* 2 FETCH \(FLAGS \(\\Flagged\) MODSEQ \(\d+\)\)$")
        u, _ = c.cmd("FETCH 1 FLAGS")
        self.assertEqual(len(u), 1)
        self.assertRegex(u[0].decode(), r"^\* 1 FETCH \(FLAGS \(\\Seen\)( MODSEQ \(\d+\))?\)$")
        u, t = c.cmd("UID STORE 1 (UNCHANGEDSINCE 0) +FLAGS (\\Flagged)")
        self.assertTrue(t.startswith(b"OK [MODIFIED 1]"), t)

    def test_imaplib_store(self):
        lib = self.lib()
        c = self.raw()
        box = self.mailbox(c, [msg("lib-store")])
        self.take_recent(c, box)
        lib.select(box)
        typ, data = lib.store("1", "+FLAGS", "(\\Flagged)")
        self.assertEqual((typ, data), ("OK", [b"1 (FLAGS (\\Flagged))"]))
        typ, data = lib.uid("STORE", "1", "-FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        self.assertIn(data[0], (b"1 (FLAGS () UID 1)", b"1 (UID 1 FLAGS ())"))


class CopyMove(ImapCase):
    def test_copy_and_uid_copy(self):
        c = self.raw()
        src = self.mailbox(c, [msg("cp1"), (msg("cp2"), "\\Flagged", "")])
        dst = self.mailbox(c, [msg("already")])
        u, _ = c.cmd(f"STATUS {dst} (UIDVALIDITY)")
        validity = u[0].split()[-1].rstrip(b")").decode()
        c.ok(f"SELECT {src}")
        u, t = c.cmd(f"COPY 1:2 {dst}")
        self.assertEqual(u, [])
        self.assertTrue(t.startswith(f"OK [COPYUID {validity} 1:2 2:3] ".encode()), t)
        u, t = c.cmd(f"UID COPY 2 {dst}")
        self.assertTrue(t.startswith(f"OK [COPYUID {validity} 2 4] ".encode()), t)
        u, t = c.cmd(f"COPY 1 no-such-{dst}")
        self.assertTrue(t.startswith(b"NO [TRYCREATE] "), t)
        c.ok(f"EXAMINE {dst}")
        u, _ = c.cmd("FETCH 1:* (UID FLAGS)")
        # Copied in while no session had it selected: \\Recent, which EXAMINE shows.
        self.assertEqual(u, [b"* 1 FETCH (UID 1 FLAGS (\\Recent))", b"* 2 FETCH (UID 2 FLAGS (\\Recent))",
                             b"* 3 FETCH (UID 3 FLAGS (\\Flagged \\Recent))",
                             b"* 4 FETCH (UID 4 FLAGS (\\Flagged \\Recent))"])
        # COPY of a UID set that matches nothing is OK (RFC 9051 §6.4.9 UID form).
        c.ok(f"SELECT {src}")
        u, t = c.cmd(f"UID COPY 99 {dst}")
        self.assertTrue(t.startswith(b"OK"), t)

    def test_move_and_uid_move(self):
        c = self.raw()
        src = self.mailbox(c, [msg("mv1"), msg("mv2"), msg("mv3")])
        self.take_recent(c, src)
        dst = self.mailbox(c)
        u, _ = c.cmd(f"STATUS {dst} (UIDVALIDITY)")
        validity = u[0].split()[-1].rstrip(b")").decode()
        c.ok(f"SELECT {src}")
        u, t = c.cmd(f"MOVE 2 {dst}")
        # RFC 6851 §4.3: COPYUID in an untagged OK before the EXPUNGEs.
        self.assertEqual(len(u), 2, u)
        self.assertTrue(u[0].startswith(f"* OK [COPYUID {validity} 2 1] ".encode()), u)
        self.assertEqual(u[1:], [b"* 2 EXPUNGE"])
        self.assertTrue(t.startswith(b"OK"), t)
        u, t = c.cmd(f"UID MOVE 1:3 {dst}")
        self.assertTrue(u[0].startswith(f"* OK [COPYUID {validity} 1,3 2:3] ".encode()), u)
        # Two messages left (UIDs 1 and 3 at 1 and 2): expunged in either order.
        self.assertIn(u[1:], ([b"* 1 EXPUNGE", b"* 1 EXPUNGE"], [b"* 2 EXPUNGE", b"* 1 EXPUNGE"]))
        u, _ = c.cmd(f"STATUS {dst} (MESSAGES)")
        self.assertEqual(u, [f"* STATUS {dst} (MESSAGES 3)".encode()])
        u, _ = c.cmd(f"STATUS {src} (MESSAGES)")
        self.assertEqual(u, [f"* STATUS {src} (MESSAGES 0)".encode()])

    def test_move_under_qresync_says_vanished(self):
        c = self.raw()
        src = self.mailbox(c, [msg("q1"), msg("q2")])
        self.take_recent(c, src)
        dst = self.mailbox(c)
        c.ok("ENABLE QRESYNC")
        c.ok(f"SELECT {src}")
        u, _ = c.ok(f"UID MOVE 2 {dst}")
        self.assertEqual(u[1:], [b"* VANISHED 2"])


class Extensions(ImapCase):
    def test_inbox_case_insensitive_everywhere(self):
        c = self.raw(BOB)
        u, _ = c.ok("STATUS inBOX (MESSAGES)")
        self.assertTrue(u[0].startswith(b"* STATUS INBOX (MESSAGES "), u)
        n = status_items(u[0])["MESSAGES"]
        data = msg("inbox case")
        u, t = c.ok(f"APPEND iNbOx {{{len(data)}+}}\r\n".encode() + data)
        self.assertTrue(t.startswith(b"OK [APPENDUID "), t)
        u, _ = c.ok('LIST "" "inbox"')
        self.assertEqual(u, [b'* LIST (\\HasNoChildren) "/" INBOX'])
        c.ok("EXAMINE Inbox")
        c.ok("SELECT inbox")
        u, t = c.ok("COPY 1 InBoX")
        self.assertTrue(t.startswith(b"OK [COPYUID "), t)
        c.ok("SUBSCRIBE inbox")
        u, _ = c.ok('LSUB "" "INBOX"')
        self.assertEqual(len(u), 1, u)
        self.assertTrue(u[0].endswith(b' "/" INBOX'), u)
        u, _ = c.ok("STATUS INBOX (MESSAGES)")
        self.assertEqual(status_items(u[0])["MESSAGES"], n + 2)

    def test_enable_imap4rev2(self):
        c = self.raw()
        box = self.mailbox(c, [msg("r2-1"), msg("r2-2")])
        u, _ = c.ok("ENABLE IMAP4rev2")
        self.assertEqual(u, [b"* ENABLED IMAP4rev2"])
        u, t = c.ok(f"SELECT {box}")
        # RFC 9051 §7.4: no RECENT in IMAP4rev2; SEARCH answers ESEARCH (§6.4.4).
        self.assertFalse(any(x.endswith(b"RECENT") for x in u), u)
        self.assertIn(b"* 2 EXISTS", u)
        tag = c.tag()
        c.send(f"{tag} SEARCH ALL\r\n")
        u, t = c.until_tagged(tag)
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}") ALL 1:2'.encode()])
        tag = c.tag()
        c.send(f"{tag} UID SEARCH KEYWORD $None\r\n")
        u, t = c.until_tagged(tag)
        self.assertEqual(u, [f'* ESEARCH (TAG "{tag}") UID'.encode()])

    def test_compress_deflate(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        self.assertIn(b"COMPRESS=DEFLATE", u[0].split())
        u, t = c.cmd("COMPRESS DEFLATE")
        self.assertTrue(t.startswith(b"OK"), t)
        # RFC 4978 §4: raw deflate (no zlib header) both ways, each side flushing.
        comp = zlib.compressobj(wbits=-15)
        dec = zlib.decompressobj(wbits=-15)

        def exchange(line, tag):
            c.sock.sendall(comp.compress(line) + comp.flush(zlib.Z_SYNC_FLUSH))
            got = b""
            deadline = time.monotonic() + 10
            while b"\r\n" + tag + b" " not in b"\r\n" + got and time.monotonic() < deadline:
                chunk = c.sock.recv(65536)
                if not chunk:
                    break
                got += dec.decompress(chunk)
            return got

        self.assertTrue(exchange(b"z1 NOOP\r\n", b"z1").startswith(b"z1 OK"))
        got = exchange(b"z2 SELECT INBOX\r\n", b"z2")
        self.assertIn(b"\r\nz2 OK [READ-WRITE]", b"\r\n" + got)
        # Only once per connection (RFC 4978 §3): NO [COMPRESSIONACTIVE], still compressed.
        got = exchange(b"z3 COMPRESS DEFLATE\r\n", b"z3")
        self.assertTrue(got.startswith(b"z3 NO [COMPRESSIONACTIVE]"), got)


class Imaplib(ImapCase):
    """Every command once through Python's imaplib, as a library client drives them (its own
    quoting, literals and response parsing); _simple_command/xatom where it has no method."""

    def test_walkthrough(self):
        c = self.server.imap(starttls=False)
        self.open.append(c)
        self.assertIn("STARTTLS", c.capabilities)
        typ, _ = c.starttls(self.server.tls_context())
        self.assertEqual(typ, "OK")
        self.assertEqual(c.login(CAROL, PASSWORDS[CAROL])[0], "OK")
        self.assertEqual(c.noop()[0], "OK")
        typ, data = c.capability()
        self.assertEqual(typ, "OK")
        self.assertIn(b"IMAP4rev2", data[0].split())
        typ, data = c.enable("CONDSTORE")
        self.assertEqual(typ, "OK")
        typ, data = c.xatom("ID", '("name" "imaplib")')
        self.assertEqual(typ, "OK")
        self.assertTrue(c.untagged_responses.get("ID"), c.untagged_responses)
        typ, data = c.namespace()
        self.assertEqual((typ, data), ("OK", [b'(("" "/")) (("Shared/" "/")) NIL']))
        box = unique("lib")
        self.assertEqual(c.create(box)[0], "OK")
        self.assertEqual(c.create(box + "/kid")[0], "OK")
        typ, data = c.list('""', box + "*")
        self.assertEqual(data, [f'(\\HasChildren) "/" {box}'.encode(), f'(\\HasNoChildren) "/" {box}/kid'.encode()])
        self.assertEqual(c.subscribe(box)[0], "OK")
        typ, data = c.lsub('""', box)
        self.assertEqual(typ, "OK")
        self.assertEqual(len(data), 1, data)
        self.assertTrue(data[0].endswith(f'"/" {box}'.encode()), data)
        self.assertEqual(c.unsubscribe(box)[0], "OK")
        self.assertEqual(c.lsub('""', box), ("OK", [None]))
        m1, m2 = msg("lib one"), msg("lib two", body="needle here\r\n")
        typ, data = c.append(box, "(\\Seen)", imaplib.Time2Internaldate(1700000000), m1)
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0].startswith(b"[APPENDUID "), data)
        self.assertEqual(c.append(box, None, None, m2)[0], "OK")
        typ, data = c.status(box, "(MESSAGES UIDNEXT UNSEEN)")
        self.assertEqual(data, [f"{box} (MESSAGES 2 UIDNEXT 3 UNSEEN 1)".encode()])
        typ, data = c.select(box, readonly=True)
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertIn("READ-ONLY", c.untagged_responses)
        typ, data = c.select(box)
        self.assertEqual((typ, data), ("OK", [b"2"]))
        self.assertEqual(c.search(None, "BODY", "needle"), ("OK", [b"2"]))
        self.assertEqual(c.uid("SEARCH", None, "SEEN"), ("OK", [b"1"]))
        typ, data = c.fetch("1:2", "(UID FLAGS)")
        self.assertEqual(len(data), 2)
        # Appended while no session had it selected: \\Recent for this SELECT.
        self.assertRegex(data[0].decode(), r"^1 \(UID 1 FLAGS \(\\Seen \\Recent\)( MODSEQ \(\d+\))?\)$")
        typ, data = c.fetch("2", "(BODY.PEEK[TEXT])")
        self.assertEqual(data[0][1], b"needle here\r\n")
        typ, data = c.store("2", "+FLAGS", "(\\Flagged)")
        self.assertEqual(typ, "OK")
        typ, data = c.copy("1", box + "/kid")
        self.assertEqual(typ, "OK")
        self.assertTrue(data[0].startswith(b"[COPYUID "), data)
        typ, data = c._simple_command("MOVE", "2", box + "/kid")
        self.assertEqual(typ, "OK")
        typ, data = c._simple_command("UID", "EXPUNGE", "1")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.check()[0], "OK")
        typ, data = c._simple_command("UNSELECT")
        self.assertEqual(typ, "OK")
        self.assertEqual(c.select(box + "/kid")[1], [b"2"])
        self.assertEqual(c.store("1:2", "+FLAGS", "(\\Deleted)")[0], "OK")
        self.assertEqual(c.expunge()[0], "OK")
        self.assertEqual(c.close()[0], "OK")
        self.assertEqual(c.rename(box + "/kid", box + "/renamed")[0], "OK")
        self.assertEqual(c.delete(box + "/renamed")[0], "OK")
        self.assertEqual(c.delete(box)[0], "OK")
        typ, data = c.list('""', box + "*")
        self.assertEqual((typ, data), ("OK", [None]))
        self.assertEqual(c.logout()[0], "BYE")


class Idle(ImapCase):
    def test_idle_and_done(self):
        c = self.raw()
        box = self.mailbox(c, [msg("idle")])
        c.ok(f"SELECT {box}")
        c.send("i1 IDLE\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        c.send("DONE\r\n")
        self.assertTrue(c.line().startswith(b"i1 OK"))
        # A second IDLE sees an APPEND from another session.
        c.send("i2 IDLE\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        other = self.raw()
        data = msg("while idle")
        other.ok(f"APPEND {box} {{{len(data)}+}}\r\n".encode() + data)
        seen = []
        for _ in range(3):  # EXISTS, possibly RECENT (IMAP4rev1 sessions)
            seen.append(c.response(timeout=5))
            if seen[-1] == b"* 2 EXISTS":
                break
        self.assertEqual(seen[-1], b"* 2 EXISTS")
        c.send("DONE\r\n")
        u, t = c.until_tagged("i2")
        # The first message was \\Recent for this session already (appended before its SELECT).
        self.assertLessEqual(set(u + seen[:-1]), {b"* 2 RECENT"})
        self.assertTrue(t.startswith(b"i2 OK"), t)
        # Anything but DONE ends IDLE with BAD (RFC 2177 leaves it; Dovecot says BAD).
        c.send("i3 IDLE\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        c.send("NOTDONE\r\n")
        self.assertTrue(c.line().startswith(b"i3 BAD"))

    def test_imaplib_idle_if_available(self):
        lib = self.lib()
        lib.select("INBOX")
        if not hasattr(lib, "idle"):
            self.skipTest("imaplib has no idle() before Python 3.14")
        with lib.idle(duration=0.5) as idler:
            list(idler)
        self.assertEqual(lib.noop()[0], "OK")


if __name__ == "__main__":
    unittest.main()
