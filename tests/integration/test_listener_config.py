# test_listener_config: [listener.NAME] tables against the real binary. An `imap` or `pop3`
# table with only an address and port serves that protocol with STARTTLS/STLS; the older
# `kind` spelling still configures working listeners; a table named `submissions` with only a
# port is implicit TLS.
import socket
import unittest

from estafeta_harness import TIMEOUT, Server, ServerPerTest, free_port


class ListenerConfig(ServerPerTest):

    def rewrite_listeners(self, text):
        """Replaces the harness's listener tables with `text`."""
        with open(self.server.config_path) as f:
            config = f.read()
        head = config[:config.index("[listener.")]
        with open(self.server.config_path, "w") as f:
            f.write(head + text)

    def test_pop3_table_name_implies_the_protocol(self):
        self.server = Server()
        mx, pop3 = free_port(), free_port()
        self.server.listeners = {"smtp": ("mx", mx), "pop3": ("pop3", pop3)}
        self.server.addresses = {"smtp": "127.0.0.1", "pop3": "127.0.0.1"}
        self.rewrite_listeners(f'[listener.smtp]\naddress = "127.0.0.1"\nport = {mx}\n\n'
                               f'[listener.pop3]\naddress = "127.0.0.1"\nport = {pop3}\n')
        self.server.start(attempts=1)
        with socket.create_connection(("127.0.0.1", pop3), timeout=TIMEOUT) as s:
            greeting = s.recv(512)
        self.assertTrue(greeting.startswith(b"+OK "), greeting)
        self.assertIn("listening: pop3 127.0.0.1:%d (pop3 starttls)" % pop3, self.server.log_text())
        self.server.stop_ok(self)

    def test_imap_table_name_implies_the_protocol(self):
        self.server = Server()
        mx, imap = free_port(), free_port()
        self.server.listeners = {"smtp": ("mx", mx), "imap": ("imap", imap)}
        self.server.addresses = {"smtp": "127.0.0.1", "imap": "127.0.0.1"}
        self.rewrite_listeners(f'[listener.smtp]\naddress = "127.0.0.1"\nport = {mx}\n\n'
                               f'[listener.imap]\naddress = "127.0.0.1"\nport = {imap}\n')
        self.server.start(attempts=1)
        with socket.create_connection(("127.0.0.1", imap), timeout=TIMEOUT) as s:
            greeting = s.recv(512)
        self.assertTrue(greeting.startswith(b"* OK [CAPABILITY IMAP4rev2 "), greeting)
        self.assertIn(b" STARTTLS ", greeting)
        self.assertIn("listening: imap 127.0.0.1:%d (imap starttls)" % imap, self.server.log_text())
        self.server.stop_ok(self)

    def test_older_kind_spelling_still_serves(self):
        self.server = Server()
        mx, subs = free_port(), free_port()
        self.server.listeners = {"smtp": ("mx", mx), "submissions": ("submissions", subs)}
        self.server.addresses = {"smtp": "127.0.0.1", "submissions": "127.0.0.1"}
        self.rewrite_listeners(f'[listener.inbound]\nkind = "mx"\naddress = "127.0.0.1"\nport = {mx}\n\n'
                               f'[listener.submissions]\naddress = "127.0.0.1"\nport = {subs}\n')
        self.server.start(attempts=1)
        c = self.server.raw("mx")
        self.assertEqual(c.cmd("EHLO client.test")[0], 250)
        c.close()
        ctx = self.server.tls_context()
        with socket.create_connection(("127.0.0.1", subs), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw) as s:  # implicit TLS from the table name
                self.assertTrue(s.recv(512).startswith(b"220 "))
        self.assertIn("listening: inbound 127.0.0.1:%d (smtp mx starttls)" % mx, self.server.log_text())
        self.assertIn("(smtp submission implicit)", self.server.log_text())
        self.server.stop_ok(self)


if __name__ == "__main__":
    unittest.main()
