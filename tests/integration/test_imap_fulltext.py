# test_imap_fulltext: SEARCH with the full-text index on the real server, with imaplib. Mail
# delivered over SMTP and APPENDed is searched at once (the background indexer may or may not
# have caught up), again after `estafeta index fulltext` (indexed), after `estafeta index
# rebuild` and after the index file is damaged: every answer is the same, and is what the
# scan gives (charset-encoded bodies, base64 attachments, RFC 2047 subjects, non-ASCII,
# strings of 1 and 2 characters, strings across line breaks). EXPUNGE is reflected at once.
# SEARCH=FUZZY (RFC 6203): typos found, RELEVANCY scores, RELEVANCY without FUZZY refused.
import imaplib
import os
import re
import unittest

from estafeta_harness import ServerTestCase, unique

ALICE = "alice@example.test"
LISTENERS = {"smtp": ("mx", None), "imap": ("imap", None)}


def mail(marker, subject, body, headers=""):
    return (f"From: Carol Sender <carol@remote.test>\r\nTo: {ALICE}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{marker}@remote.test>\r\n{headers}\r\n{body}")


def corpus(marker):
    out = []
    for i in range(12):
        out.append(mail(f"{marker}-p{i}", f"{marker} plain {i}",
                        f"Budget line {i}\r\nwe receive the receipts on day {i}\r\n"))
    out.append(mail(f"{marker}-qp", f"=?ISO-8859-1?Q?{marker}_R=E9sum=E9?=",
                    "Caf=E9 cr=E8me at noon, bring the =\r\nreceipts.\r\n",
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=iso-8859-1\r\n"
                    "Content-Transfer-Encoding: quoted-printable\r\n"))
    out.append(mail(f"{marker}-b64", f"{marker} attachment",
                    "--zz\r\nContent-Type: text/plain\r\n\r\nSee the table.\r\n--zz\r\n"
                    "Content-Type: text/csv\r\nContent-Transfer-Encoding: base64\r\n\r\n"
                    "UXVhcnRlcmx5IHJldmVudWUsMTIzNDUK\r\n--zz\r\nContent-Type: application/pdf\r\n"
                    "Content-Transfer-Encoding: base64\r\n\r\nSGlkZGVuIHBkZiB0ZXh0Cg==\r\n--zz--\r\n",
                    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=zz\r\n"))
    out.append(mail(f"{marker}-ru", f"{marker} =?UTF-8?B?0J/RgNC40LLQtdGC?=",
                    "0JfQtNGA0LDQstGB0YLQstGD0LnRgtC1INC80LjRgA==\r\n",
                    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
                    "Content-Transfer-Encoding: base64\r\n"))
    return out


# (key, literal or None): the string keys asked, ASCII ones inline, UTF-8 ones as literals.
KEYS = [
    ("BODY budget", None), ("TEXT receipts", None), ("BODY \"receipts.\r\n\"", None),
    ("TEXT \"the =\"", None), ("BODY quarterly", None), ("BODY \"revenue,123\"", None),
    ("BODY hidden", None), ("SUBJECT attachment", None), ("FROM carol", None),
    ("FROM \"Carol Sender <carol\"", None), ("TO alice", None), ("CC nobody", None),
    ("TEXT e", None), ("TEXT 11", None), ("BODY \"day 1\"", None), ("TEXT recieve", None),
    ("NOT BODY budget", None), ("OR SUBJECT plain BODY quarterly", None),
    ("UNSEEN TEXT receipts", None), ("BODY", "caf\u00e9 cr\u00e8me"),
    ("SUBJECT", "r\u00e9sum\u00e9"), ("SUBJECT", "\u043f\u0440\u0438\u0432\u0435\u0442"),
    ("BODY", "\u0417\u0434\u0440\u0430\u0432"), ("TEXT", "\u00e9"),
]


class ImapFulltext(ServerTestCase):
    LISTENERS = LISTENERS

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.marker = unique("fts")
        msgs = corpus(cls.marker)
        with cls.server.smtp() as s:
            for m in msgs[:-3]:
                s.sendmail("carol@remote.test", [ALICE], m)
        cls.server.find(ALICE, f"{cls.marker}-p11")
        c = cls.server.imap(ALICE)
        for m in msgs[-3:]:
            typ, _ = c.append("INBOX", None, None, m.encode())
            assert typ == "OK"
        c.logout()

    def searches(self):
        c = self.server.imap(ALICE)
        c.select("INBOX")
        out = {}
        for key, lit in KEYS:
            k = key
            if lit is None:
                if "\r\n" in k:  # a string with a line break goes as a literal
                    m = re.match(r'^(.*?)"(.*)"$', k, re.S)
                    c.literal = m.group(2).encode()
                    typ, data = c.uid("SEARCH", m.group(1).strip())
                else:
                    typ, data = c.uid("SEARCH", k)
            else:
                c.literal = lit.encode()
                typ, data = c.uid("SEARCH", "CHARSET", "UTF-8", key)
            self.assertEqual(typ, "OK", key)
            out[(key, lit)] = data[0].decode().split()
        c.logout()
        return out

    def test_fuzzy_search_and_relevancy(self):
        self.server.cli("index", "fulltext", ALICE)
        c = self.server.imap(ALICE)
        typ, data = c.capability()
        self.assertIn(b"SEARCH=FUZZY", data[0])
        c.select("INBOX")
        typ, data = c.uid("SEARCH", "TEXT", "recieve")
        self.assertEqual(data[0], b"")  # as written, nowhere
        typ, data = c.uid("SEARCH", "FUZZY", "TEXT", "recieve")
        self.assertEqual(len(data[0].split()), 12)  # "receive" in the 12 plain ones
        typ, data = c.uid("SEARCH", "RETURN", "(ALL RELEVANCY)", "FUZZY", "BODY",
                          "\"recieve the reciepts\"")
        self.assertEqual(typ, "OK")
        typ, data = c.response("ESEARCH")
        m = re.search(rb"UID ALL (\S+) RELEVANCY \(([\d ]*)\)", data[-1])
        self.assertIsNotNone(m, data)
        scores = [int(x) for x in m.group(2).split()]
        self.assertEqual(len(scores), 12)
        self.assertTrue(all(1 <= x <= 100 for x in scores), scores)
        # Exact words score higher than typos.
        c.uid("SEARCH", "RETURN", "(ALL RELEVANCY)", "FUZZY", "BODY", "budget")
        typ, data = c.response("ESEARCH")
        self.assertIn(b"RELEVANCY (100 100", data[-1])
        with self.assertRaises(imaplib.IMAP4.error):
            c.uid("SEARCH", "RETURN", "(RELEVANCY)", "BODY", "budget")
        c.logout()

    def test_same_answers_in_every_index_state(self):
        first = self.searches()  # the indexer may be anywhere
        # Known answers (the scan's): 15 messages, 12 plain ones first.
        self.assertEqual(len(first[("BODY budget", None)]), 12)
        self.assertEqual(len(first[("TEXT receipts", None)]), 13)
        self.assertEqual(len(first[("BODY quarterly", None)]), 1)  # base64 text attachment
        self.assertEqual(first[("BODY hidden", None)], [])  # not a text part
        self.assertEqual(first[("TEXT recieve", None)], [])
        self.assertEqual(len(first[("BODY", "caf\u00e9 cr\u00e8me")]), 1)
        self.assertEqual(len(first[("SUBJECT", "\u043f\u0440\u0438\u0432\u0435\u0442")]), 1)
        self.assertEqual(len(first[("TEXT e", None)]), 15)
        r = self.server.cli("index", "fulltext", ALICE)
        m = re.search(r"fulltext index of \S+: (\d+) of (\d+) messages, (\d+) bytes", r.stdout)
        self.assertIsNotNone(m, r.stdout)
        self.assertEqual(m.group(1), m.group(2))
        self.assertGreater(int(m.group(3)), 0)
        self.assertEqual(self.searches(), first)
        r = self.server.cli("index", "rebuild", ALICE)
        self.assertIn("fulltext index of", r.stdout)
        self.assertEqual(self.searches(), first)
        # A damaged file: scanned, rebuilt in the background, never an error.
        path = os.path.join(self.server.maildir(ALICE), "estafeta-fulltext.sqlite")
        with open(path, "r+b") as f:
            f.seek(0)
            f.write(b"garbage!" * 16)
        self.assertEqual(self.searches(), first)
        self.server.cli("index", "fulltext", ALICE)
        self.assertEqual(self.searches(), first)
        # EXPUNGE: the message leaves the results at once (its index rows go lazily).
        c = self.server.imap(ALICE)
        c.select("INBOX")
        typ, data = c.uid("SEARCH", "BODY", "quarterly")
        uids = data[0].split()
        self.assertEqual(len(uids), 1)
        c.uid("STORE", uids[0], "+FLAGS", "(\\Deleted)")
        c.expunge()
        typ, data = c.uid("SEARCH", "BODY", "quarterly")
        self.assertEqual(data[0], b"")
        c.logout()


if __name__ == "__main__":
    unittest.main()
