# test_imap_savedate_within: SAVEDATE (RFC 8514) and WITHIN (RFC 5032) on the real server:
# both advertised, FETCH SAVEDATE is when the message entered its mailbox (an APPEND with an
# old INTERNALDATE, a COPY, a delivery), SEARCH SAVEDBEFORE/SAVEDON/SAVEDSINCE/
# SAVEDATESUPPORTED against it, and SEARCH OLDER/YOUNGER against the internal date and the
# server's clock. Raw commands (imaplib has no SAVEDATE item).
import imaplib
import re
import time
import unittest

from estafeta_harness import unique
from test_imap_commands import ALICE, ImapCase, msg


def imap_date(t):
    return time.strftime("%d-%b-%Y", time.gmtime(t))


def search_numbers(untagged):
    for line in untagged:
        if line.startswith(b"* SEARCH"):
            return [int(x) for x in line.split()[2:]]
    raise AssertionError(untagged)


class SaveDate(ImapCase):
    def test_advertised(self):
        c = self.raw()
        u, _ = c.ok("CAPABILITY")
        caps = u[0].split()
        self.assertIn(b"SAVEDATE", caps)
        self.assertIn(b"WITHIN", caps)

    def test_fetch_and_search_by_save_date(self):
        c = self.raw()
        old = (msg("old"), None, "01-Jan-2001 10:00:00 +0000")
        box = self.mailbox(c, [old, msg("now")])
        c.ok(f"SELECT {box}")
        u, _ = c.ok("FETCH 1:2 (SAVEDATE INTERNALDATE)")
        self.assertEqual(len(u), 2, u)
        self.assertIn(b'INTERNALDATE "01-Jan-2001 10:00:00 +0000"', u[0])
        saved = re.search(rb'SAVEDATE "([^"]+)"', u[0])
        self.assertTrue(saved, u[0])
        # The save date is now, not the internal date (RFC 8514 §1).
        self.assertNotIn(b"2001", saved.group(1))
        today = imap_date(time.time())
        yesterday = imap_date(time.time() - 86400)
        tomorrow = imap_date(time.time() + 86400)
        self.assertEqual(search_numbers(c.ok(f"SEARCH SAVEDSINCE {yesterday}")[0]), [1, 2])
        self.assertEqual(search_numbers(c.ok(f"SEARCH SAVEDBEFORE {yesterday}")[0]), [])
        self.assertEqual(search_numbers(c.ok(f"SEARCH SAVEDBEFORE {tomorrow}")[0]), [1, 2])
        self.assertEqual(search_numbers(c.ok("SEARCH SAVEDON 1-Jan-2001")[0]), [])
        self.assertEqual(search_numbers(c.ok("SEARCH ON 1-Jan-2001")[0]), [1])
        self.assertEqual(search_numbers(c.ok("SEARCH SAVEDATESUPPORTED")[0]), [1, 2])
        on_today = search_numbers(c.ok(f"SEARCH SAVEDON {today}")[0])
        self.assertTrue(on_today in ([1, 2], []), on_today)  # [] only across midnight
        _, t = c.cmd("SEARCH SAVEDSINCE 32-Jan-2001")
        self.assertTrue(t.startswith(b"BAD"), t)
        # A copy gets a save date of its own; its internal date stays.
        dest = self.mailbox(c, [])
        c.ok(f"COPY 1 {dest}")
        c.ok(f"SELECT {dest}")
        u, _ = c.ok("FETCH 1 (SAVEDATE INTERNALDATE)")
        self.assertIn(b'INTERNALDATE "01-Jan-2001 10:00:00 +0000"', u[0])
        self.assertNotIn(b'SAVEDATE "01-Jan-2001', u[0])

    def test_imaplib_fetch_savedate_of_delivered_mail(self):
        subject = unique("delivered-savedate")
        s = self.server.smtp()
        s.sendmail("sender@remote.test", [ALICE], msg(subject))
        s.quit()
        deadline = time.monotonic() + 15
        while not self.server.find(ALICE, subject):
            self.assertLess(time.monotonic(), deadline, "not delivered")
            time.sleep(0.05)
        c = self.lib()
        c.select("INBOX")
        typ, data = c.uid("SEARCH", None, "SUBJECT", subject)
        self.assertEqual(typ, "OK")
        uid = data[0].split()[-1].decode()
        typ, data = c.uid("FETCH", uid, "(SAVEDATE)")
        self.assertEqual(typ, "OK")
        self.assertRegex(data[0], rb'SAVEDATE "\d\d-[A-Z][a-z]{2}-\d{4} ')


class Within(ImapCase):
    def test_older_and_younger(self):
        c = self.raw()
        now = time.time()
        hour_ago = time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(now - 3600))
        year_ago = time.strftime("%d-%b-%Y %H:%M:%S +0000", time.gmtime(now - 366 * 86400))
        box = self.mailbox(c, [(msg("hour"), None, hour_ago), (msg("year"), None, year_ago),
                               msg("just now")])
        c.ok(f"SELECT {box}")
        self.assertEqual(search_numbers(c.ok("SEARCH YOUNGER 600")[0]), [3])
        self.assertEqual(search_numbers(c.ok("SEARCH YOUNGER 7200")[0]), [1, 3])
        self.assertEqual(search_numbers(c.ok("SEARCH OLDER 1800")[0]), [1, 2])
        self.assertEqual(search_numbers(c.ok(f"SEARCH OLDER {365 * 86400}")[0]), [2])
        self.assertEqual(search_numbers(c.ok("SEARCH OLDER 1800 YOUNGER 7200")[0]), [1])
        self.assertEqual(search_numbers(c.ok("SEARCH OR OLDER 86400 YOUNGER 600")[0]), [2, 3])
        u, _ = c.ok("UID SEARCH RETURN (COUNT) YOUNGER 7200")
        self.assertTrue(u[0].endswith(b"UID COUNT 2"), u)
        for bad in ("SEARCH OLDER 0", "SEARCH YOUNGER", "SEARCH YOUNGER x", "SEARCH OLDER -1"):
            _, t = c.cmd(bad)
            self.assertTrue(t.startswith(b"BAD"), (bad, t))

    def test_imaplib_search_younger(self):
        c = self.lib()
        c.create("within-lib")
        c.append("within-lib", None, None, msg("lib"))
        c.select("within-lib")
        typ, data = c.search(None, "YOUNGER", "3600")
        self.assertEqual((typ, data), ("OK", [b"1"]))
        typ, data = c.search(None, "OLDER", "3600")
        self.assertEqual((typ, data), ("OK", [b""]))


if __name__ == "__main__":
    unittest.main()
