# test_imap_sessions: what several IMAP sessions and the store's change feed promise on the real
# server: two sessions on one mailbox see each other's appends, expunges and flag changes
# (EXISTS, EXPUNGE, FETCH FLAGS; VANISHED under QRESYNC) at the moments RFC 9051 §7 allows;
# IDLE woken by a delivery over SMTP within one second; a delivered message has its UID at
# delivery (STATUS UIDNEXT moves before any SELECT); UIDVALIDITY distinct per mailbox and
# stable across restarts; UIDs and flags kept across SIGTERM and kill -9 (also in the middle of
# an APPEND literal and right after an EXPUNGE), no UID ever reused.
import os
import re
import signal
import threading
import time
import unittest

from estafeta_harness import PASSWORDS, Server, ServerPerTest, ServerTestCase, simple_message, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
BOB = "bob@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject, body="Body.\r\n"):
    return (f"From: <sender@remote.test>\r\nTo: <{ALICE}>\r\nSubject: {subject}\r\n"
            f"Date: Sat, 28 Nov 2026 03:00:00 +0000\r\nMessage-ID: <{unique('id')}@t>\r\n\r\n{body}").encode()


def append(c, box, data, flags=""):
    return c.ok(f"APPEND {box} ({flags}) {{{len(data)}+}}\r\n".encode() + data)


def status(c, box, items="MESSAGES UIDNEXT UIDVALIDITY"):
    u, _ = c.ok(f"STATUS {box} ({items})")
    m = re.match(rb"^\* STATUS .* \(([^()]*)\)$", u[0])
    w = m.group(1).decode().split()
    return {w[i]: int(w[i + 1]) for i in range(0, len(w), 2)}


def uid_flags(c, box):
    """{uid: sorted flags} of every message in `box` (EXAMINE, so nothing changes), without
    \\Recent: that is session state, which EXAMINE shows but nothing keeps across restarts."""
    c.ok(f"EXAMINE {box}")
    u, _ = c.ok("UID FETCH 1:* (FLAGS)")  # "1:*" by sequence is BAD in an empty mailbox
    out = {}
    for line in u:
        m = re.match(rb"^\* \d+ FETCH \((?=.*UID (\d+))(?=.*FLAGS \(([^)]*)\)).*\)$", line)
        if m:
            out[int(m.group(1))] = sorted(f for f in m.group(2).decode().split() if f != "\\Recent")
    c.ok("UNSELECT")
    return out


class Concurrent(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.clients = []

    def tearDown(self):
        for c in self.clients:
            c.close()
        super().tearDown()

    def raw(self, user=ALICE):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(c)
        c.login(user, PASSWORDS[user])
        return c

    def fresh_box(self, c, n):
        box = unique("shared")
        c.ok(f"CREATE {box}")
        for i in range(n):
            append(c, box, msg(f"m{i}"))
        return box

    def test_two_sessions_see_exists_expunge_and_flags(self):
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 3)
        a.ok(f"SELECT {box}")
        b.ok(f"SELECT {box}")
        # b appends: a learns of it at its next command (NOOP), with EXISTS.
        append(b, box, msg("from b"))
        u, _ = a.ok("NOOP")
        self.assertIn(b"* 4 EXISTS", u)
        # a sets a flag: b sees FETCH FLAGS at NOOP.
        a.ok("STORE 2 +FLAGS.SILENT (\\Flagged)")
        u, _ = b.ok("NOOP")
        self.assertIn(b"* 2 FETCH (FLAGS (\\Flagged))", u)
        # a expunges message 1: b gets "* 1 EXPUNGE" at NOOP, never during FETCH/STORE/SEARCH
        # (RFC 9051 §7.5.1: no EXPUNGE while a command using sequence numbers runs).
        a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        u, _ = a.ok("EXPUNGE")
        # a selected first: the messages are \Recent for it, and RECENT follows the expunge.
        self.assertEqual(u, [b"* 1 EXPUNGE", b"* 2 RECENT"])
        u, _ = b.ok("FETCH 2 UID")
        self.assertFalse(any(x.endswith(b"EXPUNGE") for x in u), u)
        self.assertEqual(u, [b"* 2 FETCH (UID 2)"])  # sequence numbers still the old ones
        u, _ = b.ok("NOOP")
        self.assertIn(b"* 1 EXPUNGE", u)
        u, _ = b.ok("FETCH 1:* UID")
        self.assertEqual(u, [b"* 1 FETCH (UID 2)", b"* 2 FETCH (UID 3)", b"* 3 FETCH (UID 4)"])

    def test_uid_commands_may_see_expunge(self):
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 2)
        a.ok(f"SELECT {box}")
        b.ok(f"SELECT {box}")
        a.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        # UID FETCH may carry the EXPUNGE (RFC 9051 §7.5.1 allows it for UID commands); either
        # way the UID answered is right and b ends with one message.
        u, _ = b.ok("UID FETCH 2 UID")
        self.assertTrue(any(re.match(rb"^\* \d FETCH \(UID 2\)$", x) for x in u), u)
        u2, _ = b.ok("NOOP")
        self.assertEqual((u + u2).count(b"* 1 EXPUNGE"), 1, u + u2)

    # STORE on a message another session expunged (this session not yet told): no FETCH
    # invents flags for it (RFC 2180 §4.2.1: left out, OK; NO [EXPUNGEISSUED] would do too).
    def test_store_on_message_expunged_elsewhere(self):
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 3)
        a.ok(f"SELECT {box}")
        b.ok(f"SELECT {box}")
        b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
        b.ok("EXPUNGE")
        u, t = a.cmd("STORE 2 +FLAGS (\\Flagged)")
        self.assertTrue(t.startswith(b"OK") or t.startswith(b"NO [EXPUNGEISSUED] "), t)
        self.assertNotIn(b"* 2 FETCH (FLAGS ())", u)
        self.assertFalse(any(x.startswith(b"* 2 FETCH") and b"\\Flagged" not in x for x in u), u)

    def test_vanished_under_qresync(self):
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 4)
        b.ok("ENABLE QRESYNC")
        a.ok(f"SELECT {box}")
        b.ok(f"SELECT {box}")
        a.ok("STORE 2:3 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        u, _ = b.ok("NOOP")
        # RFC 7162 §3.2.10: VANISHED instead of EXPUNGE once QRESYNC is enabled.
        self.assertIn(b"* VANISHED 2:3", u)
        self.assertFalse(any(x.endswith(b"EXPUNGE") for x in u), u)
        # Flag changes carry UID and MODSEQ under QRESYNC.
        a.ok("STORE 1 +FLAGS.SILENT (\\Seen)")
        u, _ = b.ok("NOOP")
        self.assertTrue(any(re.match(rb"^\* 1 FETCH \(.*UID 1.*\)$", x) and b"\\Seen" in x and b"MODSEQ" in x
                            for x in u), u)
        # A new session resyncs: SELECT (QRESYNC (validity modseq)) reports what vanished.
        c = self.raw()
        c.ok("ENABLE QRESYNC")
        st = status(c, box, "UIDVALIDITY HIGHESTMODSEQ")
        a.ok("UID STORE 4 +FLAGS.SILENT (\\Deleted)")
        a.ok("EXPUNGE")
        u, _ = c.ok(f"SELECT {box} (QRESYNC ({st['UIDVALIDITY']} {st['HIGHESTMODSEQ']}))")
        self.assertIn(b"* VANISHED (EARLIER) 4", u)

    def test_idle_sees_other_sessions_changes(self):
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 2)
        a.ok(f"SELECT {box}")
        b.ok(f"SELECT {box}")
        a.send("i1 IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+ "))
        b.ok("STORE 1 +FLAGS.SILENT (\\Answered)")
        # a selected first: the messages are \Recent for it (RFC 3501 §2.3.2).
        self.assertEqual(a.response(timeout=5), b"* 1 FETCH (FLAGS (\\Answered \\Recent))")
        b.ok("STORE 2 +FLAGS.SILENT (\\Deleted)")
        b.ok("EXPUNGE")
        # RFC 2177 / RFC 9051 §6.3.13: EXPUNGE may be sent during IDLE.
        got = [a.response(timeout=5) for _ in range(2)]
        self.assertIn(b"* 2 EXPUNGE", got)
        a.send("DONE\r\n")
        u, t = a.until_tagged("i1")
        self.assertTrue(t.startswith(b"i1 OK"), t)

    def test_idle_woken_by_smtp_delivery_within_one_second(self):
        a = self.raw(BOB)
        a.ok("SELECT INBOX")
        a.send("i1 IDLE\r\n")
        self.assertTrue(a.line().startswith(b"+ "))
        exists_before = status(self.raw(BOB), "INBOX", "MESSAGES")["MESSAGES"]
        marker = unique("idle-smtp")
        with self.server.smtp() as s:
            s.sendmail("someone@remote.test", [BOB], simple_message(marker, to=BOB))
        # The 250 is in: the delivery from the spool and the change feed must reach the IDLE
        # session within one second (issue 7).
        start = time.monotonic()
        got = []
        while time.monotonic() - start < 1.0:
            try:
                got.append(a.response(timeout=max(0.05, 1.0 - (time.monotonic() - start))))
            except TimeoutError:
                break
            if re.match(rb"^\* \d+ EXISTS$", got[-1]):
                break
        self.assertTrue(got and got[-1] == f"* {exists_before + 1} EXISTS".encode(),
                        f"no EXISTS within 1 s of the 250; got {got}")
        a.send("DONE\r\n")
        u, t = a.until_tagged("i1")
        u, _ = a.ok(f"UID SEARCH SUBJECT {marker}")
        self.assertEqual(len(u[0].split()), 3, u)

    def test_delivered_message_has_its_uid_at_delivery(self):
        c = self.raw(BOB)
        box = "INBOX"
        before = status(c, box)
        marker = unique("uid-at-delivery")
        with self.server.smtp() as s:
            s.sendmail("someone@remote.test", [BOB], simple_message(marker, to=BOB))
        self.server.wait_spool()
        # No SELECT, no rescan: the store assigned the UID when it delivered.
        after = status(c, box)
        self.assertEqual(after["MESSAGES"], before["MESSAGES"] + 1)
        self.assertEqual(after["UIDNEXT"], before["UIDNEXT"] + 1)
        self.assertEqual(after["UIDVALIDITY"], before["UIDVALIDITY"])
        c.ok("EXAMINE INBOX")
        u, _ = c.ok(f"UID FETCH {before['UIDNEXT']} (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(marker.encode(), u[0])

    def test_deliveries_while_another_session_expunges(self):
        # Issue 7: a delivery while a client expunges in another session never loses or
        # duplicates a message and never reuses a UID.
        carol = "carol@example.test"
        a = self.raw(carol)
        a.ok("SELECT INBOX")
        markers = [unique(f"race{i}") for i in range(24)]
        errors = []

        def send():
            try:
                with self.server.smtp() as s:
                    for m in markers:
                        s.sendmail("someone@remote.test", [carol], simple_message(m, to=carol))
            except Exception as e:  # reported by the main thread
                errors.append(e)

        t = threading.Thread(target=send)
        t.start()
        subject_of = {}  # uid -> subject, for every UID ever seen
        expunged = []
        deadline = time.monotonic() + 60
        rounds = 0
        while (t.is_alive() or rounds < 2) and time.monotonic() < deadline:
            if not t.is_alive():
                self.server.wait_spool()
                rounds += 1
            u, _ = a.ok("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
            for line in u:
                m = re.search(rb"UID (\d+)", line)
                sub = re.search(rb"Subject: ([^\r\n]*)", line)
                if not (m and sub):
                    continue
                uid, subject = int(m.group(1)), sub.group(1).decode()
                self.assertEqual(subject_of.setdefault(uid, subject), subject, f"UID {uid} reused")
            victims = [uid for uid, subj in subject_of.items() if uid % 2 == 0 and subj not in expunged]
            if victims:
                uids = ",".join(map(str, victims))
                a.ok(f"UID STORE {uids} +FLAGS.SILENT (\\Deleted)")
                a.ok(f"UID EXPUNGE {uids}")
                expunged += [subject_of[v] for v in victims]
        t.join(timeout=30)
        self.assertEqual(errors, [])
        u, _ = a.ok("UID FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        present = [re.search(rb"Subject: ([^\r\n]*)", x).group(1).decode() for x in u if b"Subject:" in x]
        self.assertEqual(len(present), len(set(present)), "a message is there twice")
        self.assertEqual(set(present) & set(expunged), set())
        self.assertEqual(sorted(set(present) | set(expunged)), sorted(markers))
        self.assertEqual(len(set(subject_of.values())), len(subject_of), "one message under two UIDs")

    def test_message_dropped_into_maildir_gets_a_uid(self):
        # A file another program puts into the Maildir is picked up with a new UID (issue 7):
        # a SELECT after the drop shows it.
        a = self.raw()
        box = self.fresh_box(a, 1)
        path = os.path.join(self.server.maildir(ALICE, box), "new", f"{int(time.time())}.dropped1.host")
        with open(path, "wb") as f:
            f.write(msg("dropped-select"))
        u, _ = a.ok(f"SELECT {box}")
        self.assertIn(b"* 2 EXISTS", u)
        u, _ = a.ok("UID FETCH 2 (BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        self.assertIn(b"Subject: dropped-select", u[0])

    def test_message_dropped_into_maildir_seen_by_status_and_noop(self):
        # STATUS and NOOP rescan too (docs/STORE.md: a directory changed within the last two
        # seconds is scanned at most once a second, so poll for up to 3 s).
        a, b = self.raw(), self.raw()
        box = self.fresh_box(a, 1)
        b.ok(f"SELECT {box}")
        path = os.path.join(self.server.maildir(ALICE, box), "new", f"{int(time.time())}.dropped2.host")
        with open(path, "wb") as f:
            f.write(msg("dropped-status"))
        deadline = time.monotonic() + 3
        while status(a, box, "MESSAGES")["MESSAGES"] != 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        self.assertEqual(status(a, box, "MESSAGES")["MESSAGES"], 2)
        seen = []
        while b"* 2 EXISTS" not in seen and time.monotonic() < deadline + 3:
            seen += b.ok("NOOP")[0]
            time.sleep(0.2)
        self.assertIn(b"* 2 EXISTS", seen)

    def test_uidvalidity_distinct_per_mailbox(self):
        c = self.raw()
        names = [unique("v") for _ in range(3)]
        for n in names:
            c.ok(f"CREATE {n}")
        u, _ = c.ok('LIST "" "*"')
        all_names = [x.rsplit(b" ", 1)[1].decode().strip('"') for x in u]
        vals = [status(c, n, "UIDVALIDITY")["UIDVALIDITY"] for n in all_names]
        self.assertEqual(len(set(vals)), len(vals), dict(zip(all_names, vals)))
        # A mailbox deleted and created again under the same name gets a new UIDVALIDITY
        # (RFC 9051 §2.3.1.1), since its UIDs start again.
        old = status(c, names[0], "UIDVALIDITY")["UIDVALIDITY"]
        append(c, names[0], msg("x"))
        c.ok(f"DELETE {names[0]}")
        c.ok(f"CREATE {names[0]}")
        st = status(c, names[0])
        self.assertNotEqual(st["UIDVALIDITY"], old)
        self.assertEqual(st["MESSAGES"], 0)


class Submission(ServerTestCase):
    LISTENERS = {**IMAP_LISTENERS, "submission": ("submission", None)}

    def test_submitted_mail_is_not_filed_into_sent(self):
        # Clients APPEND their own copy to Sent (issue 7, CLIENTS.md): the server must not
        # file one too, or every sent message shows up twice.
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(c.close)
        c.login(ALICE, PASSWORDS[ALICE])
        before = status(c, "Sent", "MESSAGES")["MESSAGES"]
        marker = unique("submitted")
        s = self.server.smtp_tls("submission")
        try:
            s.login(ALICE, PASSWORDS[ALICE])
            s.sendmail(ALICE, [BOB], simple_message(marker, sender=ALICE, to=BOB))
        finally:
            s.quit()
        self.server.wait_spool()
        b = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.addCleanup(b.close)
        b.login(BOB, PASSWORDS[BOB])
        b.ok("EXAMINE INBOX")
        u, _ = b.ok(f"SEARCH SUBJECT {marker}")
        self.assertEqual(len(u[0].split()), 3, u)
        self.assertEqual(status(c, "Sent", "MESSAGES")["MESSAGES"], before)


class Restart(ServerPerTest):
    """Each test restarts its own server (SIGTERM and kill -9)."""

    def start(self):
        self.server = Server(listeners=IMAP_LISTENERS)
        self.server.start()
        self.clients = []

    def tearDown(self):
        for c in getattr(self, "clients", []):
            c.close()
        super().tearDown()

    def raw(self, user=ALICE):
        c = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.clients.append(c)
        c.login(user, PASSWORDS[user])
        return c

    def populate(self, c):
        box = unique("keep")
        c.ok(f"CREATE {box}")
        append(c, box, msg("r1"), "\\Seen")
        append(c, box, msg("r2"), "\\Flagged $Label")
        append(c, box, msg("r3"), "")
        append(c, box, msg("r4"), "\\Answered")
        c.ok(f"SELECT {box}")
        c.ok("STORE 3 +FLAGS.SILENT (\\Deleted)")
        c.ok("EXPUNGE")  # UID 3 gone for good
        c.ok("STORE 1 +FLAGS.SILENT (\\Draft)")
        c.ok("UNSELECT")
        return box

    def state(self, boxes):
        c = self.raw()
        out = {}
        for b in boxes:
            out[b] = (status(c, b), uid_flags(c, b))
        inbox = status(c, "INBOX")
        c.close()
        return out, inbox

    def check_after(self, boxes, before):
        after, _ = self.state(boxes)
        for b in boxes:
            self.assertEqual(after[b][0]["UIDVALIDITY"], before[b][0]["UIDVALIDITY"], b)
            self.assertEqual(after[b][1], before[b][1], b)
            # UIDNEXT never goes back: a UID is never reused.
            self.assertGreaterEqual(after[b][0]["UIDNEXT"], before[b][0]["UIDNEXT"], b)
        # And the next append gets a UID above every old one.
        c = self.raw()
        b = boxes[0]
        _, t = append(c, b, msg("after restart"))
        uid = int(re.search(rb"\[APPENDUID \d+ (\d+)\]", t).group(1))
        self.assertGreaterEqual(uid, before[b][0]["UIDNEXT"])
        self.assertNotIn(uid, before[b][1])

    def test_uids_flags_and_uidvalidity_survive_sigterm(self):
        self.start()
        c = self.raw()
        boxes = [self.populate(c), "INBOX"]
        before, _ = self.state(boxes)
        self.assertEqual(sorted(before[boxes[0]][1]), [1, 2, 4])
        self.assertEqual(before[boxes[0]][1][2], ["$Label", "\\Flagged"])
        self.assertEqual(before[boxes[0]][1][1], ["\\Draft", "\\Seen"])
        self.server.stop_ok(self)
        self.server.start()
        self.check_after(boxes, before)

    def test_uids_and_flags_survive_kill_9(self):
        self.start()
        c = self.raw()
        boxes = [self.populate(c)]
        before, _ = self.state(boxes)
        self.server.kill()
        self.server.start()
        self.check_after(boxes, before)

    def test_kill_9_during_append_literal(self):
        self.start()
        c = self.raw()
        box = self.populate(c)
        before, _ = self.state([box])
        data = msg("half", body="x" * 200000 + "\r\n")
        c.send(f"a1 APPEND {box} {{{len(data)}+}}\r\n".encode() + data[:100000])
        time.sleep(0.2)  # let the server take the first half
        self.server.kill()
        self.server.start()
        after, _ = self.state([box])
        self.assertEqual(after[box][1], before[box][1], "a half APPEND left a message or lost one")
        self.check_after([box], before)

    def test_kill_9_right_after_expunge(self):
        self.start()
        c = self.raw()
        box = self.populate(c)
        c.ok(f"SELECT {box}")
        c.ok("STORE 1 +FLAGS.SILENT (\\Deleted)")
        before, _ = self.state([box])
        c.send("x1 EXPUNGE\r\n")
        self.server.kill()
        self.server.start()
        after, _ = self.state([box])
        flags = after[box][1]
        # Either expunged or still there with \Deleted; nothing else changed.
        expected_gone = {u: f for u, f in before[box][1].items() if u != 1}
        self.assertIn(flags, (before[box][1], expected_gone))
        self.assertGreaterEqual(after[box][0]["UIDNEXT"], before[box][0]["UIDNEXT"])

    def test_sigterm_says_bye_to_idle_sessions(self):
        self.start()
        c = self.raw()
        c.ok("SELECT INBOX")
        c.send("i1 IDLE\r\n")
        self.assertTrue(c.line().startswith(b"+ "))
        self.server.signal(signal.SIGTERM)
        self.assertEqual(c.response(timeout=15), b"* BYE [UNAVAILABLE] Server shutting down")
        self.assertTrue(c.closed_within(10))
        self.assertEqual(self.server.wait(), 0)

    def test_sigterm_lets_an_append_in_progress_finish(self):
        # A drain while an APPEND literal is half sent: the message is stored and answered,
        # then the session gets its BYE (nothing accepted is lost, nothing cut mid-command).
        self.start()
        c = self.raw()
        data = msg("drain") + b"x" * 20000 + b"\r\n"
        c.send(f"a1 APPEND INBOX {{{len(data)}}}\r\n".encode())
        self.assertTrue(c.line().startswith(b"+ "))
        c.send(data[:5000])
        time.sleep(0.3)  # the half is read before the signal
        self.server.signal(signal.SIGTERM)
        time.sleep(0.3)
        c.send(data[5000:] + b"\r\n")
        untagged, tagged = c.until_tagged("a1", timeout=15)
        self.assertTrue(tagged.startswith(b"a1 OK [APPENDUID "), tagged)
        self.assertEqual(c.response(timeout=15), b"* BYE [UNAVAILABLE] Server shutting down")
        self.assertTrue(c.closed_within(10))
        self.assertEqual(self.server.wait(), 0)
        self.assertEqual(len(self.server.find(ALICE, "drain", wait=False)), 1)

    def test_lost_index_rebuilt_with_same_uids_and_flags(self):
        # A lost index is rebuilt from the Maildir (UIDs and flags from the file names): the
        # same UIDVALIDITY, UIDs and flags, so clients keep their caches.
        self.start()
        c = self.raw()
        boxes = [self.populate(c)]
        before, _ = self.state(boxes)
        self.server.stop_ok(self)
        index = os.path.join(self.server.maildir(ALICE), "estafeta-index.sqlite")
        self.assertTrue(os.path.exists(index), os.listdir(self.server.maildir(ALICE)))
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(index + suffix):
                os.unlink(index + suffix)
        self.server.start()
        self.check_after(boxes, before)

    def test_corrupt_index_rebuilt_with_same_uids_and_flags(self):
        self.start()
        c = self.raw()
        boxes = [self.populate(c)]
        before, _ = self.state(boxes)
        self.server.stop_ok(self)
        index = os.path.join(self.server.maildir(ALICE), "estafeta-index.sqlite")
        with open(index, "r+b") as f:
            f.write(b"not a database " * 300)
        self.server.start()
        self.check_after(boxes, before)

    def test_kill_9_after_move(self):
        self.start()
        c = self.raw()
        src = self.populate(c)
        dst = unique("dst")
        c.ok(f"CREATE {dst}")
        before, _ = self.state([src, dst])
        c.ok(f"SELECT {src}")
        c.send(f"m1 UID MOVE 2 {dst}\r\n")
        self.server.kill()
        self.server.start()
        after, _ = self.state([src, dst])
        # The message is in exactly one of the two mailboxes, with its flags.
        in_src = 2 in after[src][1]
        in_dst = list(after[dst][1].values())
        if in_src:
            self.assertEqual(after[src][1], before[src][1])
            self.assertEqual(in_dst, [])
        else:
            self.assertEqual(in_dst, [before[src][1][2]])
            self.assertEqual(after[src][1], {u: f for u, f in before[src][1].items() if u != 2})

    def test_delivered_uid_survives_kill_9(self):
        self.start()
        marker = unique("delivered")
        with self.server.smtp() as s:
            s.sendmail("someone@remote.test", [ALICE], simple_message(marker))
        self.server.wait_spool()
        c = self.raw()
        c.ok("SELECT INBOX")
        u, _ = c.ok(f"UID SEARCH SUBJECT {marker}")
        uid = int(u[0].split()[2])
        c.ok(f"UID STORE {uid} +FLAGS.SILENT (\\Flagged)")
        st = status(c, "INBOX", "UIDVALIDITY")
        self.server.kill()
        self.server.start()
        c = self.raw()
        self.assertEqual(status(c, "INBOX", "UIDVALIDITY"), st)
        c.ok("SELECT INBOX")
        u, _ = c.ok(f"UID SEARCH SUBJECT {marker}")
        self.assertEqual(u, [f"* SEARCH {uid}".encode()])
        u, _ = c.ok(f"UID FETCH {uid} FLAGS")
        self.assertIn(b"\\Flagged", u[0])


if __name__ == "__main__":
    unittest.main()
