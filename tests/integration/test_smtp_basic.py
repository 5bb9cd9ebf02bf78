# test_smtp_basic: the ordinary SMTP dialogue against the real binary with Python's smtplib:
# plain mx delivery, STARTTLS (RFC 3207) on mx and submission, implicit TLS (RFC 8314), AUTH
# PLAIN/LOGIN (RFC 4954), 8BITMIME and SMTPUTF8 (RFC 6152, 6531) stored byte for byte, the EHLO
# keyword list, HELO, RSET/NOOP/HELP/VRFY/QUIT, and the trace headers a delivery adds
# (Return-Path, Delivered-To, Received with TLS version, RFC 5321 §4.4).
import re
import ssl
import unittest

from estafeta_harness import (CLIENT_NAME, HOSTNAME, PASSWORDS, RawClient, ServerTestCase,
                              enhanced, header_block, plain_auth, simple_message, unique)

ALICE = "alice@example.test"
BOB = "bob@example.test"

# EHLO keywords (RFC 5321 §4.1.1.1 and the extension RFCs the brief names). Before TLS:
# STARTTLS and no AUTH (AUTH only over TLS); after TLS: AUTH PLAIN LOGIN, no STARTTLS.
REQUIRED = {"PIPELINING", "8BITMIME", "SMTPUTF8", "ENHANCEDSTATUSCODES", "DSN", "CHUNKING"}
OPTIONAL = {"HELP"}  # BINARYMIME is not offered (test_smtp_extensions.test_binarymime_refused)


def keywords(lines):
    return {l.split()[0].upper(): l.upper().split()[1:] for l in lines}


class BasicSmtp(ServerTestCase):
    SMTP = {"auth_on_mx": True}  # test_auth_on_mx_after_starttls

    def send(self, s, rcpt, marker, **kw):
        msg = simple_message(marker, to=rcpt, **kw)
        refused = s.sendmail("sender@remote.test", [rcpt], msg)
        self.assertEqual(refused, {})
        return msg

    # -- transports ----------------------------------------------------------------------------
    def test_plain_mx_delivery(self):
        marker = unique("plain")
        with self.server.smtp() as s:
            msg = self.send(s, ALICE, marker)
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg), stored[-300:])

    def test_starttls_on_mx_records_tls_version(self):
        marker = unique("tls-mx")
        with self.server.smtp() as s:
            s.ehlo()
            self.assertTrue(s.has_extn("starttls"))
            s.starttls(context=self.server.tls_context())
            version = s.sock.version()
            s.ehlo()
            self.send(s, ALICE, marker)
        received = self.received(self.server.read_one(self, ALICE, marker))
        self.assertIn(version, received[0])

    def test_starttls_tls12_version_in_received(self):
        marker = unique("tls12")
        with self.server.smtp() as s:
            s.ehlo()
            s.starttls(context=self.server.tls_context(max_version=ssl.TLSVersion.TLSv1_2))
            self.assertEqual(s.sock.version(), "TLSv1.2")
            s.ehlo()
            self.send(s, ALICE, marker)
        received = self.received(self.server.read_one(self, ALICE, marker))
        self.assertIn("TLSv1.2", received[0])

    def test_starttls_on_submission_with_auth(self):
        marker = unique("tls-sub")
        with self.server.smtp("submission") as s:
            s.ehlo()
            s.starttls(context=self.server.tls_context())
            version = s.sock.version()
            s.ehlo()
            s.login(ALICE, PASSWORDS[ALICE])
            msg = simple_message(marker, sender=ALICE, to=BOB)
            self.assertEqual(s.sendmail(ALICE, [BOB], msg), {})
        stored = self.server.read_one(self, BOB, marker)
        self.assertIn(version, self.received(stored)[0])
        self.assertTrue(stored.endswith(msg))

    def test_implicit_tls_submissions(self):
        marker = unique("tls-465")
        with self.server.smtp_ssl() as s:
            self.assertIn(s.sock.version(), ("TLSv1.2", "TLSv1.3"))
            s.ehlo()
            self.assertFalse(s.has_extn("starttls"), "STARTTLS offered inside implicit TLS")
            s.login(BOB, PASSWORDS[BOB])
            version = s.sock.version()
            msg = simple_message(marker, sender=BOB, to=ALICE)
            self.assertEqual(s.sendmail(BOB, [ALICE], msg), {})
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg))
        self.assertIn(version, self.received(stored)[0])

    def test_tls_certificate_names_hostname(self):
        c = self.server.raw("mx")
        c.ehlo()
        ctx = self.server.tls_context(check_hostname=True)
        c.starttls(ctx, server_hostname=HOSTNAME)  # raises if chain or name is wrong
        cert = c.sock.getpeercert()
        names = [v for k, v in cert.get("subjectAltName", ()) if k == "DNS"]
        self.assertIn(HOSTNAME, names, cert)
        self.assertNotIn("STARTTLS", c.ehlo())
        c.close()

    def test_auth_plain_over_tls(self):
        with self.server.smtp_tls("submission") as s:
            self.assertIn("PLAIN", s.esmtp_features.get("auth", "").upper())
            s.user, s.password = ALICE, PASSWORDS[ALICE]
            code, text = s.auth("PLAIN", s.auth_plain, initial_response_ok=True)
            self.assertEqual(code, 235, text)
            self.assertTrue(text.startswith(b"2.7.0"), text)

    def test_auth_login_over_tls(self):
        with self.server.smtp_tls("submission") as s:
            self.assertIn("LOGIN", s.esmtp_features.get("auth", "").upper())
            s.user, s.password = BOB, PASSWORDS[BOB]
            code, text = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
            self.assertEqual(code, 235, text)

    def test_auth_on_mx_after_starttls(self):
        with self.server.smtp_tls("mx") as s:
            s.login(ALICE, PASSWORDS[ALICE])

    # -- 8-bit and UTF-8 -----------------------------------------------------------------------
    def test_8bitmime_stored_byte_for_byte(self):
        marker = unique("8bit")
        body = ("Grüße aus Köln — ½ € \xa0\r\n..leading dot line\r\n.\tdot tab\r\n"
                "bytes: \u00ff\u00fe\r\n").encode("utf-8")
        msg = simple_message(marker, extra_headers="Content-Type: text/plain; charset=utf-8\r\n"
                             "Content-Transfer-Encoding: 8bit\r\n").replace(b"Hello.\r\n", b"") + body
        with self.server.smtp() as s:
            s.ehlo()
            self.assertTrue(s.has_extn("8bitmime"))
            self.assertEqual(s.sendmail("sender@remote.test", [ALICE], msg, mail_options=["BODY=8BITMIME"]), {})
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg), stored[-400:])

    def test_smtputf8_address_and_headers(self):
        marker = unique("utf8")
        sender = "jörg.müller@absender.test"
        msg = (f"From: Jörg Müller <{sender}>\r\nTo: <{ALICE}>\r\nSubject: Grüße {marker}\r\n"
               f"Message-ID: <{marker}@client.test>\r\nMIME-Version: 1.0\r\n"
               "Content-Type: text/plain; charset=utf-8\r\n\r\nÜnïcödé body ✉\r\n").encode("utf-8")
        with self.server.smtp() as s:
            s.ehlo()
            self.assertTrue(s.has_extn("smtputf8"))
            self.assertEqual(s.sendmail(sender, [ALICE], msg,
                                        mail_options=["SMTPUTF8", "BODY=8BITMIME"]), {})
        stored = self.server.read_one(self, ALICE, marker)
        self.assertTrue(stored.endswith(msg), stored[-400:])
        self.assertIn(f"Return-Path: <{sender}>".encode("utf-8"), stored)

    def test_received_with_utf8smtp(self):
        marker = unique("utf8recv")  # RFC 6531 §3.7.3: "with UTF8SMTP" for SMTPUTF8 transactions
        with self.server.smtp() as s:
            s.ehlo()
            s.sendmail("jörg@absender.test", [ALICE], simple_message(marker), mail_options=["SMTPUTF8"])
        self.assertRegex(self.received(self.server.read_one(self, ALICE, marker))[0], r"\bwith UTF8SMTP\b")

    def test_smtputf8_recipient_via_alias(self):
        marker = unique("utf8rcpt")
        self.server.cli("alias", "add", "józsef@example.test", ALICE)
        with self.server.smtp() as s:
            s.ehlo()
            msg = simple_message(marker).replace(b"Hello.", "Szia józsef".encode())
            self.assertEqual(s.sendmail("a@remote.test", ["józsef@example.test"], msg,
                                        mail_options=["SMTPUTF8", "BODY=8BITMIME"]), {})
        self.assertTrue(self.server.read_one(self, ALICE, marker).endswith(msg))

    def test_utf8_mailbox_and_password(self):
        user, pw = "jürgen@example.test", "pässwörd-ÄÖÜ-1"
        self.server.cli("user", "add", user, "--password-stdin", input=pw + "\n")
        marker = unique("utf8user")
        with self.server.smtp_tls("submission") as s:
            code, text = s.docmd("AUTH", "PLAIN " + plain_auth(user, pw))  # UTF-8 (RFC 4616)
            self.assertEqual(code, 235, text)
            self.assertEqual(s.sendmail(user, [user], simple_message(marker, sender=user, to=user),
                                        mail_options=["SMTPUTF8"]), {})
        stored = self.server.read_one(self, user, marker)
        self.assertTrue(stored.startswith(f"Return-Path: <{user}>\r\n".encode()), stored[:60])
        c = self.server.raw()
        c.ehlo()
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.test>")[0], 250)
        # UTF-8 address without SMTPUTF8 in MAIL: RFC 6531 §3.4
        self.assertReply(c.cmd(f"RCPT TO:<{user}>"), 553, "5.6.7")
        c.close()

    def test_utf8_address_without_smtputf8_refused(self):
        c = self.server.raw()
        c.ehlo()
        self.assertReply(c.cmd("MAIL FROM:<jörg@absender.test>"), 553, "5.6.7")  # RFC 6531 §3.4
        c.close()

    # -- EHLO and simple commands --------------------------------------------------------------
    def test_ehlo_keywords_plain(self):
        c = self.server.raw("mx")
        code, lines = c.cmd("EHLO " + CLIENT_NAME)
        self.assertEqual(code, 250)
        self.assertTrue(lines[0].startswith(HOSTNAME), lines[0])
        kw = keywords(lines[1:])
        self.assertTrue(REQUIRED <= kw.keys(), f"missing {REQUIRED - kw.keys()}")
        self.assertIn("STARTTLS", kw)
        self.assertNotIn("AUTH", kw, "AUTH offered before TLS")
        self.assertEqual(kw.get("SIZE"), [str(52428800)])
        self.assertEqual(set(kw) - REQUIRED - OPTIONAL - {"STARTTLS", "SIZE"}, set())
        c.close()

    def test_ehlo_keywords_after_starttls(self):
        for kind in ("mx", "submission"):
            c = self.server.raw(kind)
            c.ehlo()
            c.starttls(self.server.tls_context())
            code, lines = c.cmd("EHLO " + CLIENT_NAME)
            kw = keywords(lines[1:])
            self.assertTrue(REQUIRED <= kw.keys(), f"{kind}: missing {REQUIRED - kw.keys()}")
            self.assertNotIn("STARTTLS", kw, kind)
            self.assertIn("AUTH", kw, kind)
            self.assertTrue({"PLAIN", "LOGIN"} <= set(kw["AUTH"]), kw["AUTH"])
            self.assertIn("REQUIRETLS", kw, kind)  # RFC 8689 §3: offered only under TLS
            self.assertEqual(set(kw) - REQUIRED - OPTIONAL - {"AUTH", "SIZE", "REQUIRETLS"}, set())
            if kind == "mx":
                code, lines = c.cmd("MAIL FROM:<sender@remote.example> REQUIRETLS")
                self.assertEqual(code, 250, lines)
                c.cmd("RSET")
            c.close()

    def test_helo_then_transaction(self):
        marker = unique("helo")
        c = self.server.raw()
        code, lines = c.cmd("HELO " + CLIENT_NAME)
        self.assertEqual(code, 250)
        self.assertEqual(c.cmd("MAIL FROM:<old@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"RCPT TO:<{ALICE}>")[0], 250)
        self.assertEqual(c.cmd("DATA")[0], 354)
        msg = simple_message(marker)
        c.send(msg + b".\r\n")
        self.assertEqual(c.reply()[0], 250)
        self.assertReply(c.cmd("QUIT"), 221)
        c.close()
        stored = self.server.read_one(self, ALICE, marker)
        self.assertRegex(self.received(stored)[0], r"\bwith SMTP\b")

    def test_simple_command_codes(self):
        c = self.server.raw()
        c.ehlo()
        self.assertReply(c.cmd("NOOP"), 250, "2.0.0")
        self.assertEqual(c.cmd("MAIL FROM:<x@remote.test>")[0], 250)
        self.assertReply(c.cmd("RSET"), 250, "2.0.0")
        self.assertReply(c.cmd(f"RCPT TO:<{ALICE}>"), 503, "5.5.1")  # RSET dropped the transaction
        self.assertReply(c.cmd("HELP"), 214, "2.0.0")
        code, lines = c.cmd(f"VRFY {ALICE}")
        self.assertEqual(code, 252, lines)  # RFC 5321 §3.5.3: neither confirm nor deny
        code, lines = c.cmd("VRFY nobody@example.test")
        self.assertEqual(code, 252, "VRFY must not reveal which users exist")
        self.assertEqual((enhanced(lines) or "")[:2], "2.")
        self.assertReply(c.cmd("QUIT"), 221, "2.0.0")
        self.assertTrue(c.closed_within(5))
        c.close()

    def test_commands_case_insensitive(self):
        c = self.server.raw()
        self.assertEqual(c.cmd("ehlo " + CLIENT_NAME)[0], 250)
        self.assertEqual(c.cmd("mail from:<x@remote.test>")[0], 250)
        self.assertEqual(c.cmd(f"rcpt to:<{ALICE.upper()}>")[0], 250)
        self.assertEqual(c.cmd("rset")[0], 250)
        c.close()

    def test_greeting_names_host(self):
        c = RawClient(self.server.mx)
        code, lines = c.reply()
        self.assertEqual(code, 220)
        self.assertTrue(lines[0].startswith(HOSTNAME + " "), lines)
        self.assertIn("ESMTP", lines[0])
        c.close()

    # -- trace headers -------------------------------------------------------------------------
    def received(self, stored):
        return [v for n, v in header_block(stored) if n == "received"]

    def test_return_path_and_delivered_to(self):
        marker = unique("trace")
        with self.server.smtp() as s:
            s.sendmail("bounce-me@remote.test", [ALICE], simple_message(marker))
        stored = self.server.read_one(self, ALICE, marker)
        heads = header_block(stored)
        self.assertEqual(heads[0], ("return-path", "<bounce-me@remote.test>"), heads[:3])
        self.assertTrue(stored.startswith(b"Return-Path: <bounce-me@remote.test>\r\n"))
        self.assertIn(("delivered-to", ALICE), heads)

    def test_null_sender_return_path(self):
        marker = unique("null")
        with self.server.smtp() as s:
            s.sendmail("", [ALICE], simple_message(marker))
        self.assertTrue(self.server.read_one(self, ALICE, marker).startswith(b"Return-Path: <>\r\n"))

    def test_received_header_contents(self):
        marker = unique("recv")
        with self.server.smtp() as s:
            s.sendmail("s@remote.test", [ALICE], simple_message(marker))
        stored = self.server.read_one(self, ALICE, marker)
        received = self.received(stored)
        self.assertEqual(len(received), 1, received)
        r = received[0]
        self.assertRegex(r, rf"^from {re.escape(CLIENT_NAME)} \(.*\[?127\.0\.0\.1\]?.*\)")
        self.assertRegex(r, rf"\bby {re.escape(HOSTNAME)}\b")
        self.assertRegex(r, r"\bwith ESMTP\b")
        self.assertRegex(r, r"\bid [A-Za-z0-9._-]+")
        self.assertRegex(r, rf"\bfor <{re.escape(ALICE)}>")
        self.assertRegex(r, r"; \w{3}, \d{1,2} \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
        # Received precedes the message's own headers, after Return-Path/Delivered-To.
        names = [n for n, _ in header_block(stored)]
        self.assertLess(names.index("received"), names.index("from"))

    def test_received_with_protocol_rfc3848(self):
        m1, m2 = unique("esmtps"), unique("esmtpsa")
        with self.server.smtp_tls("mx") as s:
            s.sendmail("s@remote.test", [ALICE], simple_message(m1))
        with self.server.smtp_tls("submission") as s:
            s.login(BOB, PASSWORDS[BOB])
            s.sendmail(BOB, [ALICE], simple_message(m2, sender=BOB))
        self.assertRegex(self.received(self.server.read_one(self, ALICE, m1))[0], r"\bwith ESMTPS\b")
        self.assertRegex(self.received(self.server.read_one(self, ALICE, m2))[0], r"\bwith ESMTPSA\b")


if __name__ == "__main__":
    unittest.main()
