# test_pop3_commands: the POP3 server end to end with Python's poplib and a raw line client:
# every RFC 1939 command (USER, PASS, STAT, LIST, RETR, DELE, NOOP, RSET, TOP, UIDL, QUIT) with
# CAPA (RFC 2449), STLS on the plain port (RFC 2595) and implicit TLS on the other (RFC 8314),
# AUTH PLAIN and LOGIN (RFC 5034), UTF8 (RFC 6856); USER/PASS/AUTH refused before TLS with the exact
# reply; pipelined commands in one write answered in order; sizes in STAT/LIST equal to the
# octets RETR sends; deletions only at QUIT; a second session on the account gets
# -ERR [IN-USE]; NUL bytes and a message without a blank line after its header get their
# defined answer; bad commands and failed logins counted to a close; one log line per failed
# login; max_listed_messages cuts the listing and logs the real count.
import poplib
import re
import time
import unittest

from estafeta_harness import ServerTestCase, b64
from pop3_client import Pop3Raw
from pop3_support import (PLAINTEXT_REFUSED, POP3_LISTENERS, drop, fill, imap_session, message,
                          new_user, uidl_map)

MAX_LISTED = 5
MAX_BAD = 4


class Pop3Commands(ServerTestCase):
    LISTENERS = POP3_LISTENERS
    SECTIONS = {"pop3": {"max_listed_messages": MAX_LISTED, "max_bad_commands": MAX_BAD}}

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            try:
                c.close()
            except Exception:
                pass
        super().tearDown()

    def raw(self, tls=False):
        ctx = self.server.tls_context() if tls else None
        port = self.server.pop3s_port if tls else self.server.pop3_port
        c = Pop3Raw(port, ctx=ctx)
        self.clients.append(c)
        return c

    def raw_tls(self, user=None, password=None):
        """A raw client on 110 after STLS, logged in when `user` is given."""
        c = self.raw()
        c.stls(self.server.tls_context())
        if user:
            c.login(user, password)
        return c

    def pop(self, user, password):
        c = self.server.pop3(user, password)
        self.clients.append(c)
        return c

    def account(self, messages=()):
        user, password = new_user(self.server)
        if messages:
            fill(self.server, user, password, messages)
        return user, password

    # -- greeting, CAPA, TLS -------------------------------------------------------------------
    def test_greeting_and_capa_before_and_after_stls(self):
        c = self.raw()
        self.assertTrue(c.greeting.startswith(b"+OK"), c.greeting)
        status, caps = c.long_cmd("CAPA")
        self.assertTrue(status.startswith(b"+OK"), status)
        for cap in (b"STLS", b"TOP", b"UIDL", b"RESP-CODES", b"AUTH-RESP-CODE", b"PIPELINING"):
            self.assertIn(cap, caps)
        names = [line.split(b" ")[0] for line in caps]
        for cap in (b"EXPIRE", b"LOGIN-DELAY", b"IMPLEMENTATION", b"UTF8"):
            self.assertIn(cap, names)
        self.assertNotIn(b"USER", caps)  # no plaintext login offered before TLS
        self.assertNotIn(b"SASL", names)
        c.stls(self.server.tls_context())
        status, caps = c.long_cmd("CAPA")
        self.assertIn(b"USER", caps)
        self.assertNotIn(b"STLS", caps)
        sasl = [line for line in caps if line.startswith(b"SASL")]
        self.assertEqual(len(sasl), 1, caps)
        self.assertIn(b"PLAIN", sasl[0].split())

    def test_login_refused_before_tls_with_the_exact_reply(self):
        user, password = self.account()
        c = self.raw()
        self.assertEqual(c.cmd(f"USER {user}"), PLAINTEXT_REFUSED)
        self.assertEqual(c.cmd(f"PASS {password}"), PLAINTEXT_REFUSED)
        self.assertEqual(c.cmd("AUTH PLAIN " + b64(f"\0{user}\0{password}")), PLAINTEXT_REFUSED)
        # poplib says the same through its error.
        p = poplib.POP3("127.0.0.1", self.server.pop3_port, timeout=10)
        self.clients.append(p)
        with self.assertRaises(poplib.error_proto) as e:
            p.user(user)
        self.assertEqual(e.exception.args[0], PLAINTEXT_REFUSED)
        # The session goes on: STLS, then the same login works.
        c.stls(self.server.tls_context())
        c.login(user, password)
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK"))

    def test_implicit_tls_port(self):
        user, password = self.account([message("over-995")])
        c = self.server.pop3s(user, password)
        self.clients.append(c)
        self.assertEqual(c.stat()[0], 1)
        resp, lines, octets = c.retr(1)
        self.assertIn(b"Subject: over-995", lines)
        capa = c.capa()
        self.assertNotIn("STLS", capa)
        self.assertTrue(c.quit().startswith(b"+OK"))

    def test_stls_drops_what_was_pipelined_behind_it(self):
        # RFC 2595 §4: commands sent after STLS before the handshake must not be obeyed.
        c = self.raw()
        c.send(b"STLS\r\nQUIT\r\n")  # one write: the server has read both lines
        self.assertTrue(c.line().startswith(b"+OK"))
        c.sock = self.server.tls_context().wrap_socket(c.sock, server_hostname=None)
        status, caps = c.long_cmd("CAPA")  # the QUIT was dropped: the session is open
        self.assertTrue(status.startswith(b"+OK"), status)
        self.assertIn(b"USER", caps)

    # -- every command with poplib --------------------------------------------------------------
    def test_every_command_with_poplib(self):
        msgs = [message(f"m{i}", body=f"Line {i}.\r\n.starts with a dot\r\nlast\r\n") for i in range(3)]
        user, password = self.account(msgs)
        c = self.pop(user, password)
        self.assertTrue(c.noop().startswith(b"+OK"))
        count, total = c.stat()
        self.assertEqual(count, 3)
        self.assertEqual(total, sum(len(m) for m in msgs))
        resp, lines, _ = c.list()
        self.assertEqual(resp, f"+OK 3 messages ({total} octets)".encode())
        self.assertEqual(lines, [f"{i + 1} {len(m)}".encode() for i, m in enumerate(msgs)])
        self.assertEqual(c.list(2), f"+OK 2 {len(msgs[1])}".encode())
        for i, m in enumerate(msgs):
            resp, lines, octets = c.retr(i + 1)
            self.assertTrue(resp.startswith(b"+OK"), resp)
            self.assertEqual(b"\r\n".join(lines) + b"\r\n", m)  # dot-unstuffed by poplib
            self.assertEqual(octets, len(m))  # LIST's size is what RETR sends
        resp, lines, _ = c.top(1, 1)
        header, body = msgs[0].split(b"\r\n\r\n", 1)
        self.assertEqual(lines, header.split(b"\r\n") + [b"", b"Line 0."])
        resp, lines, _ = c.top(1, 0)
        self.assertEqual(lines, header.split(b"\r\n") + [b""])
        uidls = uidl_map(c)
        self.assertEqual(sorted(uidls), [1, 2, 3])
        self.assertEqual(len(set(uidls.values())), 3)
        for u in uidls.values():
            self.assertRegex(u, rb"^[\x21-\x7e]{1,70}$")
        self.assertEqual(c.uidl(2), b"+OK 2 " + uidls[2])
        self.assertEqual(c.dele(2), b"+OK Marked to be deleted.")
        self.assertEqual(c.stat(), (2, len(msgs[0]) + len(msgs[2])))
        with self.assertRaises(poplib.error_proto) as e:
            c.retr(2)
        self.assertEqual(e.exception.args[0], b"-ERR Message is deleted.")
        with self.assertRaises(poplib.error_proto) as e:
            c.dele(2)
        self.assertEqual(e.exception.args[0], b"-ERR Message is already deleted.")
        self.assertTrue(c.rset().startswith(b"+OK"))
        self.assertEqual(c.stat()[0], 3)
        self.assertTrue(c.dele(3).startswith(b"+OK"))
        self.assertEqual(c.quit(), b"+OK Logging out, messages deleted.")
        # UPDATE: message 3 is gone, 1 and 2 stay with their UIDLs.
        c = self.pop(user, password)
        self.assertEqual(c.stat(), (2, len(msgs[0]) + len(msgs[1])))
        self.assertEqual(uidl_map(c), {1: uidls[1], 2: uidls[2]})
        c.quit()

    def test_raw_replies_of_numbered_commands(self):
        user, password = self.account([message("one")])
        c = self.raw_tls(user, password)
        for bad in ("RETR 0", "RETR 2", "LIST 99", "TOP 1", "TOP x 1", "DELE", "UIDL 0"):
            self.assertTrue(c.cmd(bad).startswith(b"-ERR"), bad)
        self.assertEqual(c.cmd("RETR 2"), b"-ERR No such message.")
        size = int(c.cmd("LIST 1").split()[2])
        self.assertEqual(c.cmd("RETR 1"), f"+OK {size} octets".encode())
        c.multiline()
        status, lines = c.long_cmd("UIDL")
        self.assertEqual(len(lines), 1)
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK"))
        self.assertTrue(c.closed_within(5))

    def test_auth_plain(self):
        user, password = self.account([message("sasl")])
        # Initial response on the command line (RFC 5034 §4).
        c = self.raw_tls()
        status = c.cmd("AUTH PLAIN " + b64(f"\0{user}\0{password}"))
        self.assertTrue(status.startswith(b"+OK"), status)
        self.assertEqual(c.cmd("STAT").split()[:2], [b"+OK", b"1"])
        c.cmd("QUIT")
        # Without one: an empty challenge "+ ", then the response line.
        c = self.raw_tls()
        self.assertEqual(c.cmd("AUTH PLAIN"), b"+ ")
        status = c.cmd(b64(f"\0{user}\0{password}"))
        self.assertTrue(status.startswith(b"+OK"), status)
        c.cmd("QUIT")
        # AUTH LOGIN: user name and password each asked for in base64 (RFC 5034 §4).
        c = self.raw_tls()
        self.assertEqual(c.cmd("AUTH LOGIN"), b"+ " + b64("Username:").encode())
        self.assertEqual(c.cmd(b64(user)), b"+ " + b64("Password:").encode())
        self.assertTrue(c.cmd(b64(password)).startswith(b"+OK"))
        c.cmd("QUIT")
        # A wrong password: -ERR [AUTH]; a cancelled exchange ("*"): -ERR.
        c = self.raw_tls()
        self.assertTrue(c.cmd("AUTH PLAIN " + b64(f"\0{user}\0wrong")).startswith(b"-ERR [AUTH]"))
        self.assertEqual(c.cmd("AUTH PLAIN"), b"+ ")
        self.assertTrue(c.cmd("*").startswith(b"-ERR"))
        # poplib's own AUTH-less path still works after that on a new session.
        p = self.server.pop3()
        self.clients.append(p)
        p.user(user)
        p.pass_(password)
        self.assertEqual(p.stat()[0], 1)
        p.quit()

    def test_utf8(self):
        user, password = self.account()
        c = self.raw_tls()
        self.assertTrue(c.cmd("UTF8").startswith(b"+OK"))
        c.login(user, password)
        c.cmd("QUIT")

    # -- pipelining -----------------------------------------------------------------------------
    def test_pipelined_commands_in_one_write(self):
        msgs = [message("pipe-1"), message("pipe-2")]
        user, password = self.account(msgs)
        c = self.raw_tls()
        c.send(f"USER {user}\r\nPASS {password}\r\nSTAT\r\nLIST\r\nUIDL\r\nRETR 2\r\nTOP 1 0\r\n"
               "NOOP\r\nDELE 1\r\nSTAT\r\nRSET\r\nQUIT\r\n")
        self.assertTrue(c.line().startswith(b"+OK"))  # USER
        self.assertTrue(c.line().startswith(b"+OK"))  # PASS
        self.assertEqual(c.line(), f"+OK 2 {len(msgs[0]) + len(msgs[1])}".encode())
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(c.multiline(), [f"1 {len(msgs[0])}".encode(), f"2 {len(msgs[1])}".encode()])
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(len(c.multiline()), 2)
        self.assertTrue(c.line().startswith(b"+OK"))
        self.assertEqual(b"\r\n".join(c.multiline()) + b"\r\n", msgs[1])
        self.assertTrue(c.line().startswith(b"+OK"))
        top = c.multiline()
        self.assertEqual(top[-1], b"")
        self.assertIn(b"Subject: pipe-1", top)
        self.assertTrue(c.line().startswith(b"+OK"))  # NOOP
        self.assertTrue(c.line().startswith(b"+OK"))  # DELE
        self.assertEqual(c.line(), f"+OK 1 {len(msgs[1])}".encode())
        self.assertTrue(c.line().startswith(b"+OK"))  # RSET
        self.assertTrue(c.line().startswith(b"+OK"))  # QUIT
        self.assertTrue(c.closed_within(5))
        p = self.pop(user, password)
        self.assertEqual(p.stat()[0], 2)  # RSET undid the DELE
        p.quit()

    # -- the maildrop lock ----------------------------------------------------------------------
    def test_second_session_gets_in_use(self):
        user, password = self.account([message("locked")])
        first = self.pop(user, password)
        second = self.raw_tls()
        self.assertTrue(second.cmd(f"USER {user}").startswith(b"+OK"))
        status = second.cmd(f"PASS {password}")
        self.assertEqual(status, b"-ERR [IN-USE] Mailbox is locked by another POP3 session.")
        self.assertRegex(self.server.log_text(), rf"{re.escape(user)} already has a POP3 session")
        # The lock also covers implicit TLS and AUTH.
        third = self.raw(tls=True)
        self.assertTrue(third.cmd("AUTH PLAIN " + b64(f"\0{user}\0{password}")).startswith(b"-ERR [IN-USE]"))
        self.assertTrue(first.quit().startswith(b"+OK"))
        again = self.pop(user, password)
        self.assertEqual(again.stat()[0], 1)
        again.quit()

    def test_lock_released_when_the_connection_drops(self):
        user, password = self.account([message("dropped")])
        c = self.raw_tls(user, password)
        c.close()  # no QUIT
        deadline = time.monotonic() + 5
        while True:
            d = self.raw_tls()
            d.cmd(f"USER {user}")
            status = d.cmd(f"PASS {password}")
            if status.startswith(b"+OK") or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertTrue(status.startswith(b"+OK"), status)

    # -- what Outlook and other downloaders rely on ---------------------------------------------
    def wait_count(self, user, password, n):
        deadline = time.monotonic() + 5
        while True:
            c = self.pop(user, password)
            count = c.stat()[0]
            if count == n or time.monotonic() > deadline:
                return c
            c.quit()
            time.sleep(0.2)

    def test_nul_bytes_are_sent_as_0x80(self):
        user, password = self.account()
        data = b"Subject: nul\r\nX-Nul: a\x00b\r\n\r\nbody\x00with nul\r\n"
        drop(self.server, user, password, data)
        c = self.wait_count(user, password, 1)
        self.assertEqual(c.list(1), f"+OK 1 {len(data)}".encode())  # same size: one octet each
        resp, lines, octets = c.retr(1)
        self.assertEqual(b"\r\n".join(lines) + b"\r\n", data.replace(b"\x00", b"\x80"))
        self.assertEqual(octets, len(data))
        resp, lines, _ = c.top(1, 0)
        self.assertEqual(lines, [b"Subject: nul", b"X-Nul: a\x80b", b""])
        c.quit()

    def test_message_without_blank_line_after_the_header(self):
        user, password = self.account()
        data = b"Subject: all header\r\nX-A: 1\r\nX-B: 2"  # no blank line, no final CRLF
        drop(self.server, user, password, data)
        c = self.wait_count(user, password, 1)
        count, size = c.stat()
        resp, lines, octets = c.retr(1)
        self.assertEqual(lines, [b"Subject: all header", b"X-A: 1", b"X-B: 2"])
        self.assertEqual(size, len(data) + 2)  # RETR adds the CRLF before "."
        self.assertEqual(octets, size)
        # TOP: the whole message is header, then the blank line RFC 1939 §7 promises.
        resp, lines, _ = c.top(1, 0)
        self.assertEqual(lines, [b"Subject: all header", b"X-A: 1", b"X-B: 2", b""])
        resp, lines, _ = c.top(1, 5)
        self.assertEqual(lines, [b"Subject: all header", b"X-A: 1", b"X-B: 2", b""])
        c.quit()

    def test_top_of_a_message_without_a_body(self):
        user, password = self.account([b"Subject: empty body\r\n\r\n"])
        c = self.pop(user, password)
        resp, lines, _ = c.top(1, 3)
        self.assertEqual(lines, [b"Subject: empty body", b""])
        c.quit()

    def test_a_big_message_is_streamed_whole(self):
        line = b"x" * 998 + b"\r\n"
        data = b"Subject: big\r\n\r\n" + line * 3000 + b".dot line\r\n"  # ~3 MB
        user, password = self.account([data])
        c = self.raw_tls(user, password)
        self.assertEqual(c.cmd("LIST 1"), f"+OK 1 {len(data)}".encode())
        status, lines = c.long_cmd("RETR 1")
        self.assertEqual(len(lines), 3003)
        self.assertEqual(lines[-1], b"..dot line")  # dot-stuffed on the wire
        self.assertEqual(c.cmd("NOOP")[:3], b"+OK")
        c.cmd("QUIT")

    # -- \Seen ----------------------------------------------------------------------------------
    def test_retr_sets_seen_at_quit_and_top_does_not(self):
        user, password = self.account([message("seen-1"), message("seen-2")])
        c = self.pop(user, password)
        c.retr(1)
        c.top(2, 0)
        c.quit()
        i = imap_session(self.server, user, password)
        i.select("INBOX", readonly=True)
        typ, data = i.fetch("1:2", "(FLAGS)")
        self.assertIn(b"\\Seen", data[0])
        self.assertNotIn(b"\\Seen", data[1])
        i.logout()

    # -- limits and failures --------------------------------------------------------------------
    def test_bad_commands_close_the_session(self):
        c = self.raw()
        for i in range(MAX_BAD - 1):
            self.assertTrue(c.cmd(f"BOGUS{i}").startswith(b"-ERR"))
        self.assertEqual(c.cmd("BOGUS"), b"-ERR Too many bad commands, closing.")
        self.assertTrue(c.closed_within(5))

    def test_overlong_command_is_refused_and_the_session_goes_on(self):
        c = self.raw()
        self.assertTrue(c.cmd("NOOP " + "x" * 300).startswith(b"-ERR"))
        self.assertTrue(c.cmd("CAPA").startswith(b"+OK"))
        c.multiline()
        c.send(b"X" * 100_000 + b"\r\n")  # far beyond every bound: still one -ERR
        self.assertTrue(c.line().startswith(b"-ERR"))
        self.assertTrue(c.cmd("CAPA").startswith(b"+OK"))

    def test_failed_login_logged_once_with_user_and_address(self):
        user, password = self.account()
        c = self.raw_tls()
        c.cmd(f"USER {user}")
        self.assertEqual(c.cmd("PASS wrong-password"), b"-ERR [AUTH] Authentication failed.")
        deadline = time.monotonic() + 5
        pattern = f'auth failed: user="{user}" address=127.0.0.1 protocol=pop3'
        while self.server.log_text().count(pattern) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.server.log_text().count(pattern), 1, self.server.log_tail())

    def test_max_listed_messages_cuts_the_listing_and_logs_the_count(self):
        msgs = [message(f"many-{i}") for i in range(MAX_LISTED + 2)]
        user, password = self.account(msgs)
        c = self.pop(user, password)
        count, size = c.stat()
        self.assertEqual(count, MAX_LISTED)
        self.assertEqual(size, sum(len(m) for m in msgs[:MAX_LISTED]))  # the oldest ones
        self.assertEqual(len(c.list()[1]), MAX_LISTED)
        with self.assertRaises(poplib.error_proto):
            c.retr(MAX_LISTED + 1)
        c.dele(1)
        c.quit()
        log = [l for l in self.server.log_text().splitlines() if "pop3" in l and user in l
               and str(MAX_LISTED + 2) in l and str(MAX_LISTED) in l]
        self.assertTrue(log, self.server.log_tail())
        c = self.pop(user, password)
        self.assertEqual(c.stat()[0], MAX_LISTED)  # the next session sees the rest
        c.quit()


if __name__ == "__main__":
    unittest.main()
