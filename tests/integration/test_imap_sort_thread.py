# test_imap_sort_thread: SORT (RFC 5256, RFC 5957 SORT=DISPLAY) and THREAD=REFERENCES /
# ORDEREDSUBJECT on the real server and its Maildir store (keys computed at delivery, read
# from the index), through Python's imaplib (sort(), thread(), uid()) and, for exact bytes,
# the raw line client: every sort criterion, REVERSE, search criteria, charsets, UID forms,
# threads of References / In-Reply-To chains and subjects, ESORT (RFC 5267) and PARTIAL
# (RFC 9394) with raw commands (imaplib has neither), and the errors.
import imaplib
import unittest

from estafeta_harness import PASSWORDS, ServerTestCase, unique
from imap_client import ImapRaw

ALICE = "alice@example.test"
IMAP_LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None), "imaps": ("imaps", None)}


def msg(subject, frm, to, date, extra="", body="Body.\r\n"):
    date_line = f"Date: {date}\r\n" if date else ""
    return (f"From: {frm}\r\nTo: {to}\r\nSubject: {subject}\r\n{date_line}{extra}\r\n"
            f"{body}").encode()


# (message, INTERNALDATE): arrival order 3, 1, 2, 4.
MESSAGES = [
    (msg("Re: beta", "Zed <zed@x.test>", "amy@x.test", "Tue, 01 Dec 2026 10:00:03 +0000",
         "Message-ID: <m1@x.test>\r\n"), "01-Dec-2026 09:00:10 +0000"),
    (msg("=?UTF-8?Q?=C3=A1lpha?=", "=?UTF-8?Q?=C3=81lvaro?= <alv@x.test>", "Bob <cat@x.test>",
         None, "Message-ID: <m2@x.test>\r\nIn-Reply-To: <m1@x.test>\r\n", "x" * 500),
     "01-Dec-2026 09:00:20 +0000"),
    (msg("[list] Beta", "bob@x.test", "zoe@x.test", "Tue, 01 Dec 2026 10:00:01 +0000",
         "Message-ID: <m3@x.test>\r\n", "y" * 300), "01-Dec-2026 09:00:05 +0000"),
    (msg("Fwd: Beta (fwd)", "ann@x.test", "amy@x.test", "Tue, 01 Dec 2026 08:00:00 +0000",
         "Message-ID: <m4@x.test>\r\nReferences: <m1@x.test> <m2@x.test>\r\n"),
     "01-Dec-2026 09:00:30 +0000"),
]


class SortThread(ServerTestCase):
    LISTENERS = IMAP_LISTENERS

    def setUp(self):
        super().setUp()
        self.raw = ImapRaw(self.server.imaps_port, ctx=self.server.tls_context())
        self.raw.login(ALICE, PASSWORDS[ALICE])
        self.box = unique("sort")
        self.raw.ok(f"CREATE {self.box}")
        for data, date in MESSAGES:
            self.raw.ok(f'APPEND {self.box} () "{date}" {{{len(data)}+}}\r\n'.encode() + data)
        self.lib = self.server.imaps(ALICE)
        typ, _ = self.lib.select(self.box)
        self.assertEqual(typ, "OK")

    def tearDown(self):
        for close in (self.raw.close, self.lib.shutdown):
            try:
                close()
            except Exception:
                pass
        super().tearDown()

    def sort(self, criteria, search="ALL", charset="UTF-8"):
        typ, data = self.lib.sort(criteria, charset, search)
        self.assertEqual(typ, "OK", data)
        return [int(n) for n in data[0].split()]

    def test_capabilities(self):
        caps = self.lib.capabilities
        for cap in ("SORT", "SORT=DISPLAY", "THREAD=REFERENCES", "THREAD=ORDEREDSUBJECT", "ESORT",
                    "PARTIAL"):
            self.assertIn(cap, caps)

    def test_every_criterion(self):
        self.assertEqual(self.sort("(ARRIVAL)"), [3, 1, 2, 4])
        self.assertEqual(self.sort("(REVERSE ARRIVAL)"), [4, 2, 1, 3])
        # DATE: 4 (08:00) < 2 (no Date: its INTERNALDATE 09:00:20) < 3 (10:00:01) < 1.
        self.assertEqual(self.sort("(DATE)"), [4, 2, 3, 1])
        self.assertEqual(self.sort("(SIZE)")[-2:], [3, 2])
        # SUBJECT: "álpha" (A + U+0301) < beta = beta = beta (ties by number).
        self.assertEqual(self.sort("(SUBJECT)"), [2, 1, 3, 4])
        self.assertEqual(self.sort("(REVERSE SUBJECT)"), [1, 3, 4, 2])
        self.assertEqual(self.sort("(FROM)"), [2, 4, 3, 1])  # alv ann bob zed
        self.assertEqual(self.sort("(TO)"), [1, 4, 2, 3])  # amy amy cat zoe
        self.assertEqual(self.sort("(CC)"), [1, 2, 3, 4])  # none: all equal
        # DISPLAYFROM: ann@ < Álvaro (A + U+0301 sorts after "AN") < bob@ < Zed.
        self.assertEqual(self.sort("(DISPLAYFROM)"), [4, 2, 3, 1])
        self.assertEqual(self.sort("(DISPLAYTO)"), [1, 4, 2, 3])  # amy@ amy@ Bob zoe@
        self.assertEqual(self.sort("(SUBJECT REVERSE DATE)"), [2, 1, 3, 4])

    def test_search_criteria_charset_and_uid(self):
        self.assertEqual(self.sort("(ARRIVAL)", "SUBJECT beta"), [3, 1, 4])
        self.assertEqual(self.sort("(ARRIVAL)", "NOT FROM zed", "US-ASCII"), [3, 2, 4])
        self.assertEqual(self.sort("(DATE)", "SUBJECT nothing"), [])
        typ, data = self.lib.uid("SORT", "(REVERSE ARRIVAL)", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        uids = [int(n) for n in data[0].split()]
        typ, fetched = self.lib.fetch("4", "(UID)")
        self.assertIn(f"UID {uids[0]}".encode(), fetched[0])
        typ, data = self.lib.sort("(DATE)", "KOI8-R", "ALL")  # a NO, not an exception
        self.assertEqual(typ, "NO")
        self.assertIn(b"BADCHARSET", data[0])
        with self.assertRaises(imaplib.IMAP4.error):
            self.lib.sort("(NAME)", "UTF-8", "ALL")

    def test_threads(self):
        # REFERENCES: 2 replies to 1; 4 references 1 then 2: 1 -> 2 -> 4. 3 ("[list] Beta")
        # shares the base subject BETA with 1 ("Re: beta"): 3 is not a reply and 1 is, so 3
        # takes the table and 1's thread goes under it (RFC 5256 §2.3 step 5).
        typ, data = self.lib.thread("REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK", data)
        self.assertEqual(data[0], b"(3 1 2 4)")
        # ORDEREDSUBJECT: ALPHA {2}; BETA {4 08:00, 3 10:00:01, 1 10:00:03}; by first date.
        typ, data = self.lib.thread("ORDEREDSUBJECT", "UTF-8", "ALL")
        self.assertEqual(data[0], b"(4 (3)(1))(2)")
        typ, data = self.lib.thread("REFERENCES", "UTF-8", "FROM alv")
        self.assertEqual(data[0], b"(2)")
        typ, data = self.lib.uid("THREAD", "REFERENCES", "UTF-8", "ALL")
        self.assertEqual(typ, "OK")
        self.assertEqual(data[0].count(b"("), 1)

    def test_raw_answers(self):
        self.raw.ok(f"SELECT {self.box}")
        u, t = self.raw.cmd("SORT (ARRIVAL) UTF-8 ALL")
        self.assertEqual(u, [b"* SORT 3 1 2 4"])
        self.assertTrue(t.startswith(b"OK"), t)
        u, t = self.raw.cmd("THREAD REFERENCES UTF-8 SUBJECT nothing")
        self.assertEqual(u, [b"* THREAD"])
        u, t = self.raw.cmd("SORT (ARRIVAL) UTF-8")
        self.assertTrue(t.startswith(b"BAD"), t)
        u, t = self.raw.cmd("THREAD XYZ UTF-8 ALL")
        self.assertTrue(t.startswith(b"BAD"), t)

    def test_esort_and_partial(self):
        self.raw.ok(f"SELECT {self.box}")
        # Arrival order 3, 1, 2, 4: MIN/MAX are the first and last in sort order.
        u, t = self.raw.cmd("SORT RETURN (MIN MAX COUNT) (ARRIVAL) UTF-8 ALL")
        self.assertTrue(t.startswith(b"OK"), t)
        self.assertEqual(len(u), 1)
        self.assertTrue(u[0].startswith(b'* ESEARCH (TAG "'), u[0])
        self.assertTrue(u[0].endswith(b" MIN 3 MAX 4 COUNT 4"), u[0])
        u, t = self.raw.cmd("SORT RETURN (ALL) (ARRIVAL) UTF-8 ALL")
        self.assertTrue(u[0].endswith(b" ALL 3,1:2,4"), u[0])
        u, t = self.raw.cmd("SORT RETURN (PARTIAL 2:3) (ARRIVAL) UTF-8 ALL")
        self.assertTrue(u[0].endswith(b" PARTIAL (2:3 1:2)"), u[0])
        u, t = self.raw.cmd("SEARCH RETURN (PARTIAL -1:-2) ALL")
        self.assertTrue(u[0].endswith(b" PARTIAL (-1:-2 3:4)"), u[0])
        u, t = self.raw.cmd("UID SEARCH RETURN (COUNT PARTIAL 9:10) ALL")
        self.assertTrue(u[0].endswith(b" UID COUNT 4 PARTIAL (9:10 NIL)"), u[0])
        for bad in ("SEARCH RETURN (PARTIAL 1) ALL", "SEARCH RETURN (PARTIAL 1:*) ALL",
                    "SORT RETURN (PARTIAL *:1) (ARRIVAL) UTF-8 ALL"):
            u, t = self.raw.cmd(bad)
            self.assertTrue(t.startswith(b"BAD"), (bad, t))


if __name__ == "__main__":
    unittest.main()
