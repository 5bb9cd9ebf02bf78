# test_pop3_store: POP3 and IMAP on one store, and what survives what. An IMAP session selected
# on the INBOX sees a POP3 deletion as EXPUNGE once the POP3 session QUITs, and nothing before;
# a message IMAP expunges during a POP3 session answers "-ERR Message was removed by another
# session." and mail delivered during a session waits for the next; UIDLs are the same before
# and after a restart, `estafeta index rebuild USER` and a lost index; kill -9 between RETR and
# QUIT deletes nothing (and sets no \Seen), nor does a dropped connection or the idle timeout;
# SIGTERM closes an idle POP3 session without UPDATE; the login timeout and the idle timeout
# (shortened through the test-build environment variable) close silent sessions with the core's
# reply.
import os
import signal
import time
import unittest

from estafeta_harness import Server, ServerPerTest
from imap_client import ImapRaw
from pop3_client import Pop3Raw
from pop3_support import POP3_LISTENERS, fill, imap_session, message, new_user, uidl_map


class Pop3Store(ServerPerTest):
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

    def start(self, sections=None, env=None):
        if self.server is None:
            self.server = Server(listeners=POP3_LISTENERS, sections=sections)
        if env:
            self.server.env.update(env)
        self.server.start()

    def pop(self, user, password):
        c = self.server.pop3s(user, password)
        self.clients.append(c)
        return c

    def raw(self, user=None, password=None):
        c = Pop3Raw(self.server.pop3s_port, ctx=self.server.tls_context())
        self.clients.append(c)
        if user:
            c.login(user, password)
        return c

    def account(self, n):
        user, password = new_user(self.server)
        fill(self.server, user, password, [message(f"m{i}") for i in range(n)])
        return user, password

    def test_imap_session_sees_the_pop3_deletion_as_expunge(self):
        self.start()
        user, password = self.account(3)
        imap = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(imap)
        imap.login(user, password)
        u, _ = imap.ok("SELECT INBOX")
        self.assertIn(b"* 3 EXISTS", u)
        p = self.pop(user, password)
        p.dele(2)
        # Nothing happens before QUIT (RFC 1939 §6).
        u, _ = imap.ok("NOOP")
        self.assertFalse([l for l in u if l.endswith(b"EXPUNGE")], u)
        self.assertTrue(p.quit().startswith(b"+OK"))
        seen = []
        deadline = time.monotonic() + 5
        while not any(l.endswith(b" EXPUNGE") for l in seen) and time.monotonic() < deadline:
            u, _ = imap.ok("NOOP")
            seen += u
            time.sleep(0.05)
        self.assertIn(b"* 2 EXPUNGE", seen)
        u, _ = imap.ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        subjects = b" ".join(u)
        self.assertIn(b"Subject: m0", subjects)
        self.assertIn(b"Subject: m2", subjects)
        self.assertNotIn(b"Subject: m1", subjects)
        imap.close()
        self.server.stop_ok(self)

    def test_imap_expunge_during_a_pop3_session(self):
        self.start()
        user, password = self.account(3)
        c = self.raw(user, password)
        i = imap_session(self.server, user, password)
        i.select("INBOX")
        i.store("1", "+FLAGS", "\\Deleted")
        i.expunge()
        i.logout()
        # The POP3 view is the snapshot of login: message 1 is still listed, but gone.
        self.assertEqual(c.cmd("STAT").split()[1], b"3")
        self.assertEqual(c.cmd("RETR 1"), b"-ERR Message was removed by another session.")
        status, lines = c.long_cmd("RETR 2")
        self.assertIn(b"Subject: m1", lines)
        self.assertTrue(c.cmd("DELE 1").startswith(b"+OK"))
        self.assertTrue(c.cmd("DELE 3").startswith(b"+OK"))
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK"))
        p = self.pop(user, password)
        resp, lines, _ = p.retr(1)
        self.assertEqual(p.stat()[0], 1)
        self.assertIn(b"Subject: m1", lines)
        p.quit()
        self.server.stop_ok(self)

    def test_mail_delivered_during_a_session_waits_for_the_next(self):
        self.start()
        user, password = self.account(1)
        c = self.raw(user, password)
        fill(self.server, user, password, [message("late")])
        self.assertEqual(c.cmd("STAT").split()[1], b"1")  # RFC 1939 §8: the maildrop at login
        self.assertEqual(c.cmd("NOOP"), b"+OK")
        self.assertTrue(c.cmd("QUIT").startswith(b"+OK"))
        p = self.pop(user, password)
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.server.stop_ok(self)

    def test_idle_imap_session_is_told_at_once(self):
        self.start()
        user, password = self.account(2)
        imap = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(imap)
        imap.login(user, password)
        imap.ok("SELECT INBOX")
        imap.send(b"i1 IDLE\r\n")
        self.assertTrue(imap.line().startswith(b"+"))
        p = self.pop(user, password)
        p.dele(1)
        p.quit()
        self.assertEqual(imap.line(timeout=5), b"* 1 EXPUNGE")
        imap.send(b"DONE\r\n")
        imap.close()
        self.server.stop_ok(self)

    def test_uidl_stable_across_restart_index_rebuild_and_a_lost_index(self):
        self.start()
        user, password = self.account(4)
        p = self.pop(user, password)
        p.dele(2)
        p.quit()
        p = self.pop(user, password)
        before = uidl_map(p)
        p.quit()
        self.assertEqual(len(before), 3)
        # IMAP's EMAILID (RFC 8474) names the same messages.
        i = imap_session(self.server, user, password)
        i.select("INBOX", readonly=True)
        typ, data = i.fetch("1:*", "(EMAILID)")
        emailids = [d.decode() for d in data if isinstance(d, bytes)]
        i.logout()
        for n, u in before.items():
            self.assertIn(f"EMAILID ({u.decode()})", emailids[n - 1])
        self.server.stop_ok(self)
        self.start()
        p = self.pop(user, password)
        self.assertEqual(uidl_map(p), before, "after a restart")
        p.quit()
        self.server.stop_ok(self)
        r = self.server.cli("index", "rebuild", user)
        self.assertIn("rebuilt the index", r.stdout)
        self.start()
        p = self.pop(user, password)
        self.assertEqual(uidl_map(p), before, "after estafeta index rebuild")
        p.quit()
        self.server.stop_ok(self)
        os.remove(os.path.join(self.server.maildir(user), "estafeta-index.sqlite"))
        self.start()
        p = self.pop(user, password)
        self.assertEqual(uidl_map(p), before, "after losing the index")
        p.quit()
        self.server.stop_ok(self)

    def test_kill_9_between_retr_and_quit_deletes_nothing(self):
        self.start()
        user, password = self.account(3)
        c = self.raw(user, password)
        for n in (1, 2, 3):
            status, _ = c.long_cmd(f"RETR {n}")
            self.assertTrue(status.startswith(b"+OK"))
            self.assertTrue(c.cmd(f"DELE {n}").startswith(b"+OK"))
        self.server.kill()
        c.close()
        self.start()
        p = self.pop(user, password)
        self.assertEqual(p.stat()[0], 3)
        p.quit()
        i = imap_session(self.server, user, password)
        i.select("INBOX", readonly=True)
        typ, data = i.fetch("1:3", "(FLAGS)")
        for d in data:
            self.assertNotIn(b"\\Seen", d)  # RETR's \Seen waits for UPDATE too
        i.logout()
        self.server.stop_ok(self)

    def test_dropped_connection_deletes_nothing(self):
        self.start()
        user, password = self.account(2)
        c = self.raw(user, password)
        self.assertTrue(c.cmd("DELE 1").startswith(b"+OK"))
        c.close()
        deadline = time.monotonic() + 5
        while True:  # the lock is released once the server has seen the close
            d = self.raw()
            d.cmd(f"USER {user}")
            status = d.cmd(f"PASS {password}")
            if status.startswith(b"+OK") or time.monotonic() > deadline:
                break
            d.close()
            time.sleep(0.05)
        self.assertTrue(status.startswith(b"+OK"), status)
        self.assertEqual(d.cmd("STAT").split()[:2], [b"+OK", b"2"])
        d.cmd("QUIT")
        self.server.stop_ok(self)

    def test_sigterm_closes_an_idle_session_without_update(self):
        self.start()
        user, password = self.account(2)
        c = self.raw(user, password)
        self.assertTrue(c.cmd("DELE 1").startswith(b"+OK"))
        self.server.signal(signal.SIGTERM)
        self.assertEqual(c.line(), b"-ERR [SYS/TEMP] Server shutting down.")
        self.assertTrue(c.closed_within(10))
        self.assertEqual(self.server.wait(), 0)
        self.start()
        p = self.pop(user, password)
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        self.server.stop_ok(self)

    def test_login_timeout_and_idle_timeout(self):
        self.start(sections={"pop3": {"login_timeout": 5}},
                   env={"ESTAFETA_TEST_POP3_IDLE_TIMEOUT": "2"})
        user, password = self.account(2)
        # Logged in and silent: the (shortened) RFC 1939 §3 timer, nothing deleted.
        c = self.raw(user, password)
        self.assertTrue(c.cmd("DELE 1").startswith(b"+OK"))
        started = time.monotonic()
        self.assertEqual(c.line(timeout=15), b"-ERR Disconnected for inactivity.")
        self.assertTrue(c.closed_within(5))
        self.assertGreaterEqual(time.monotonic() - started, 1.5)
        p = self.pop(user, password)
        self.assertEqual(p.stat()[0], 2)
        p.quit()
        # Not logged in and silent: login_timeout (5 s, the least allowed).
        c = self.raw()
        self.assertEqual(c.line(timeout=15), b"-ERR Disconnected for inactivity.")
        self.assertTrue(c.closed_within(5))
        self.server.stop_ok(self)

    def test_retr_leaves_seen_alone_when_configured(self):
        self.start(sections={"pop3": {"retr_sets_seen": False}})
        user, password = self.account(1)
        p = self.pop(user, password)
        p.retr(1)
        p.quit()
        i = imap_session(self.server, user, password)
        i.select("INBOX", readonly=True)
        typ, data = i.fetch("1", "(FLAGS)")
        self.assertNotIn(b"\\Seen", data[0])
        i.logout()
        self.server.stop_ok(self)

    def test_connection_limits_refuse_with_sys_temp(self):
        self.start(sections={"pop3": {"max_connections_per_ip": 2}})
        held = []
        deadline = time.monotonic() + 5
        while len(held) < 2:  # the harness's probes of the port may still be counted
            c = Pop3Raw(self.server.pop3_port)
            self.clients.append(c)
            if c.greeting.startswith(b"+OK"):
                held.append(c)
            else:
                self.assertLess(time.monotonic(), deadline, c.greeting)
                time.sleep(0.05)
        refused = Pop3Raw(self.server.pop3_port, greet=False)
        self.clients.append(refused)
        self.assertEqual(refused.line(),
                         b"-ERR [SYS/TEMP] Too many connections from your address, try again later.")
        self.assertTrue(refused.closed_within(5))
        self.server.stop_ok(self)

    def test_idle_timeout_below_ten_minutes_is_refused_by_the_config(self):
        self.server = Server(listeners=POP3_LISTENERS, sections={"pop3": {"idle_timeout": 599}},
                             seed=False)
        r = self.server.cli("config", "check", check=False)
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("pop3.idle_timeout: expected a number of seconds 600-86400", r.stderr)

if __name__ == "__main__":
    unittest.main()
