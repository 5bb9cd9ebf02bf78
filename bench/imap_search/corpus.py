"""A deterministic corpus of realistic messages for the IMAP search/sort/thread benchmark.

generate(out_dir, count, seed) writes `count` RFC 5322 messages (CRLF line ends) as Maildir
files `cur/<arrival>.M<n>P1.bench:2,<flags>` (file mtime = arrival time, so both servers see
the same INTERNALDATE and assign UIDs in file-name order) and `corpus.json` with the words the
benchmark searches for. Every message carries `X-Bench-Seq: <n>` so that the runner can map
each server's UIDs back to the message and compare SEARCH/SORT/THREAD results between servers.

What is in it (fractions approximate): subjects of 2-9 words with Re:/RE:/Fwd:/Fw:/Aw:
prefixes on replies, 8 % with an RFC 2047 encoded word; From/To/Cc from a pool of 3,000
people with plain, quoted, encoded or no display names; Date headers near the arrival time in
several zones, 1 % missing and 2 % odd (two-digit years, obsolete zones, no weekday, garbage);
threads: 45 % new threads, 38 % replies with In-Reply-To and References (10 % of them with
References dropped, 5 % citing a parent that is not in the mailbox, a few truncated), 8 %
subject-only replies, 4 % forwards, 1 % without Message-ID, 0.1 % duplicate Message-IDs;
bodies of words from a 30,000-word vocabulary with a Zipf-like distribution (English function
and common words first, then generated word-like tokens), built from a pool of sentences so
that generation stays fast; 62 % text/plain 7bit/8bit, 8 % ISO-8859-1 quoted-printable, 5 %
base64, 18 % multipart/alternative with a quoted-printable HTML part, 5 % multipart/mixed with
a text attachment (plain or base64), 2 % multipart/mixed with alternative inside.

Trust: writes only below out_dir. Python 3 standard library only; 100,000 messages take about
30-40 s on one core.
"""

import base64
import bisect
import itertools
import json
import os
import quopri
import random
import time

COMMON = """the of and to a in is that for it was on with he as you at be this have from or
one had by but not what all were we when your can said there use an each which she do how
their if will up other about out many then them these so some her would make like him into
time has look two more write go see number no way could people my than first been call who
its now find long down day did get come made may part please thanks regards meeting project
report update review team week today tomorrow question issue release build server client
account mail message attached file document draft budget schedule call agenda note list
customer order invoice payment contract office plan status change test support price data
system network version problem error fix patch deadline monday friday summer quarter
proposal design feedback details information travel hotel flight ticket dinner lunch room
board minutes notes slides presentation demo launch product market sales numbers figures
""".split()
ACCENTED = ["café", "naïve", "Müller", "Zürich", "façade", "déjà", "señor", "résumé",
            "Straße", "Ångström", "crème", "brûlée", "garçon", "mañana", "über", "Göteborg"]
FIRST = """James Mary John Patricia Robert Jennifer Michael Linda William Elizabeth David Barbara
Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa Anthony
Betty Mark Margaret Paul Sandra Steven Ashley Andrew Kimberly Kenneth Emily Joshua Donna
Kevin Michelle Brian Carol George Amanda Timothy Melissa Ronald Deborah Jason Stephanie
Olaf Ingrid Pierre Amélie Jürgen Søren José Chloé François Zoë Björn Inés Łukasz Renée""".split()
LAST = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez
Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White
Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott Torres
Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell Carter Roberts
Müller Schäfer Dubois Lefèvre Østergaard Álvarez Núñez Kowalski Öberg Håkansson""".split()
DOMAINS = ["example.com", "example.org", "example.net", "mail.example.com", "corp.example",
           "lists.example.org", "uni.example.edu", "shop.example", "dev.example.io",
           "news.example.co.uk", "post.example.de", "courrier.example.fr"]
ZONES = ["+0000", "-0500", "-0800", "+0100", "+0200", "+0530", "+0900", "-0300", "-0700", "+1000"]
DAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
START = 1735689600      # 2025-01-01T00:00:00Z, arrival of the first message
GAP = 300               # mean seconds between arrivals (100,000 messages ≈ a year)


def _vocabulary(rng, n):
    """COMMON words, then generated word-like tokens (consonant-vowel syllables) up to n."""
    words, seen = list(COMMON), set(COMMON)
    onsets = ["b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v",
              "w", "z", "br", "cr", "dr", "fl", "gr", "pl", "pr", "st", "tr", "sh", "ch", "th"]
    vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"]
    codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng"]
    while len(words) < n:
        w = "".join(rng.choice(onsets) + rng.choice(vowels) for _ in range(rng.choice((1, 2, 2, 3, 3, 4))))
        w += rng.choice(codas)
        if 3 <= len(w) <= 14 and w not in seen:
            seen.add(w)
            words.append(w)
    # Accented words, for charsets and encoded words, somewhere in the middle of the ranks.
    for i, w in enumerate(ACCENTED):
        words.insert(200 + 37 * i, w)
    return words


class _Writer:
    def __init__(self, seed, count):
        self.rng = random.Random(seed)
        rng = self.rng
        self.count = count
        self.vocab = _vocabulary(rng, 30000)
        # Zipf-like weights: 1 / (rank + 2.7).
        self.cum = list(itertools.accumulate(1.0 / (r + 2.7) for r in range(len(self.vocab))))
        # A pool of sentences (word indexes), reused by bodies: generation stays fast, and each
        # tail word still occurs in only a handful of messages.
        self.sentences = []
        for _ in range(60000):
            k = rng.randint(5, 16)
            self.sentences.append(rng.choices(range(len(self.vocab)), cum_weights=self.cum, k=k))
        self.sentence_text = []
        for s in self.sentences:
            t = " ".join(self.vocab[i] for i in s)
            self.sentence_text.append(t[0].upper() + t[1:] + rng.choice((".", ".", ".", "?", "!")))
        self.people = []
        for i in range(3000):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            local = (first + "." + last).lower()
            local = local.encode("ascii", "ignore").decode() or f"user{i}"
            self.people.append((f"{first} {last}", f"{local}{i % 7 or ''}@{rng.choice(DOMAINS)}",
                                first, last))
        self.msgs = []          # (message id or None, references list, base subject)
        self.used_sentences = []  # per message: sentence indexes in its body

    # ---------------------------------------------------------------------------------------
    def words(self, k):
        return [self.vocab[i] for i in self.rng.choices(range(len(self.vocab)), cum_weights=self.cum, k=k)]

    def address(self, person, style=None):
        rng = self.rng
        name, addr, first, last = person
        style = style if style is not None else rng.random()
        if style < 0.6:
            if any(ord(c) > 127 for c in name):
                return f"{_encoded_word(name, rng)} <{addr}>"
            return f"{name} <{addr}>"
        if style < 0.75:
            return f'"{_ascii(last)}, {_ascii(first)}" <{addr}>'
        if style < 0.85:
            return f"{_encoded_word(name, rng)} <{addr}>"
        return addr

    def date_header(self, t):
        rng = self.rng
        x = rng.random()
        zone = rng.choice(ZONES)
        off = (1 if zone[0] == "+" else -1) * (int(zone[1:3]) * 3600 + int(zone[3:]) * 60)
        sent = t - rng.randint(0, 3600) + off
        tm = time.gmtime(sent)
        d, mon, y = tm.tm_mday, MONTHS[tm.tm_mon - 1], tm.tm_year
        hms = f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d}"
        if x < 0.01:
            return None
        if x < 0.015:
            return f"{d} {mon} {y % 100:02d} {hms} {rng.choice(['EST', 'PDT', 'GMT', 'UT', 'CET'])}"
        if x < 0.025:
            return f"{d} {mon} {y} {hms} {zone}"                      # no weekday
        if x < 0.03:
            return f"{DAYS[tm.tm_wday]}, {d} {mon.lower()} {y} {hms[:5]} {zone}"   # no seconds
        if x < 0.033:
            return rng.choice(["sometime last week", "Tue, 32 Foo 2025 25:61:00 +0000", "0"])
        return f"{DAYS[tm.tm_wday]}, {d} {mon} {y} {hms} {zone}"

    def subject_and_threading(self, n):
        """(subject, message id, in-reply-to, references)."""
        rng = self.rng
        mid = f"<{n:x}.{rng.getrandbits(40):x}@{rng.choice(DOMAINS)}>"
        if rng.random() < 0.01:
            mid = None
        elif rng.random() < 0.001 and self.msgs and self.msgs[-1][0]:
            mid = self.msgs[rng.randrange(max(0, len(self.msgs) - 500), len(self.msgs))][0]
        x = rng.random()
        irt, refs = None, []
        window = self.msgs[max(0, len(self.msgs) - 3000):]
        if not window or x < 0.45:
            base = " ".join(self.words(rng.randint(2, 9)))
            base = base[0].upper() + base[1:]
            if rng.random() < 0.05:
                base = "[" + rng.choice(("dev", "announce", "users", "ops")) + "] " + base
            subject = base
        else:
            parent = rng.choice(window)
            pid, prefs, base = parent
            if x < 0.83:
                subject = rng.choice(("Re: ", "Re: ", "Re: ", "RE: ", "Re: Re: ", "Aw: ", "re: ")) + base
                if pid is None:
                    pass
                elif rng.random() < 0.05:
                    # The parent never arrived: cite a message that is not in the mailbox.
                    ghost = f"<{rng.getrandbits(48):x}@{rng.choice(DOMAINS)}>"
                    refs, irt = prefs + [ghost], ghost
                else:
                    irt = pid
                    refs = prefs + [pid]
                    y = rng.random()
                    if y < 0.10:
                        refs = []                                  # In-Reply-To only
                    elif y < 0.13:
                        refs = refs[-1:]                           # truncated chain
                    refs = refs[-12:]
            elif x < 0.91:
                subject = "Re: " + base                             # subject-only thread
            else:
                subject = rng.choice(("Fwd: ", "Fw: ", "FWD: ", "[Fwd: ")) + base
                if subject.startswith("[Fwd: "):
                    subject += "]"
        self.msgs.append((mid, refs, base))
        return subject, mid, irt, refs

    def body_text(self, n):
        rng = self.rng
        k = rng.choice((2, 3, 4, 6, 8, 10, 14, 20, 30, 45))
        picks = [rng.randrange(len(self.sentences)) for _ in range(k)]
        self.used_sentences.append(picks)
        paras, cur = [], []
        for i, s in enumerate(picks):
            cur.append(self.sentence_text[s])
            if len(cur) >= rng.randint(2, 5) or i == k - 1:
                paras.append(_wrap(" ".join(cur)))
                cur = []
        greeting = rng.choice(("Hi,", "Hello all,", "Dear colleagues,", "Hi there,", ""))
        closing = rng.choice(("Thanks,", "Best regards,", "Cheers,", "--", ""))
        text = "\r\n\r\n".join(p for p in [greeting] + paras + [closing] if p)
        if rng.random() < 0.3:
            quoted = self.sentence_text[rng.randrange(len(self.sentences))]
            text += "\r\n\r\nOn an earlier day someone wrote:\r\n> " + _wrap(quoted).replace("\r\n", "\r\n> ")
        return text + "\r\n"

    # ---------------------------------------------------------------------------------------
    def message(self, n, t):
        rng = self.rng
        subject, mid, irt, refs = self.subject_and_threading(n)
        sender = rng.choice(self.people)
        to = [rng.choice(self.people) for _ in range(rng.choice((1, 1, 1, 2, 3)))]
        cc = [rng.choice(self.people) for _ in range(rng.randint(1, 3))] if rng.random() < 0.3 else []
        h = [f"Return-Path: <{sender[1]}>",
             f"Received: from mx{n % 7}.{sender[1].split('@')[1]} (mx.example [192.0.2.{n % 250 + 1}])\r\n"
             f"\tby mail.bench.test with ESMTPS id {n:08x}; {_rfc5322(t)}"]
        date = self.date_header(t)
        if date is not None:
            h.append(f"Date: {date}")
        h.append(f"From: {self.address(sender)}")
        h.append("To: " + ",\r\n ".join(self.address(p) for p in to))
        if cc:
            h.append("Cc: " + ",\r\n ".join(self.address(p) for p in cc))
        h.append("Subject: " + _subject_field(subject, rng))
        if mid:
            h.append(f"Message-ID: {mid}")
        if irt:
            h.append(f"In-Reply-To: {irt}")
        if refs:
            h.append("References: " + "\r\n ".join(refs))
        if rng.random() < 0.4:
            h.append("X-Mailer: " + rng.choice(("Thunderbird 128.3", "Apple Mail (2.3776)",
                                                "Microsoft Outlook 16.0", "mutt 2.2.12", "K-9 Mail")))
        h.append(f"X-Bench-Seq: {n}")
        h.append("MIME-Version: 1.0")
        text = self.body_text(n)
        x = rng.random()
        if x < 0.62:
            if any(ord(c) > 127 for c in text):
                h += ["Content-Type: text/plain; charset=utf-8; format=flowed",
                      "Content-Transfer-Encoding: 8bit"]
            else:
                h += ["Content-Type: text/plain; charset=us-ascii", "Content-Transfer-Encoding: 7bit"]
            body = text.encode()
        elif x < 0.70:
            h += ["Content-Type: text/plain; charset=ISO-8859-1", "Content-Transfer-Encoding: quoted-printable"]
            body = _qp(text.encode("latin-1", "replace"))
        elif x < 0.75:
            h += ["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64"]
            body = _b64(text.encode())
        elif x < 0.93:
            b = f"=_alt_{n:x}"
            h.append(f'Content-Type: multipart/alternative; boundary="{b}"')
            body = _multipart(b, [
                (["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                 _qp(text.encode())),
                (["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                 _qp(_html(text).encode()))])
        else:
            b = f"=_mix_{n:x}"
            h.append(f'Content-Type: multipart/mixed; boundary="{b}"')
            att = self.body_text(n) + "\r\n".join(" ; ".join(self.words(4)) for _ in range(rng.randint(3, 30))) + "\r\n"
            self.used_sentences[-2].extend(self.used_sentences.pop())
            name = rng.choice(("notes.txt", "minutes.txt", "data.csv", "log.txt", "résumé.txt"))
            ctype = "text/csv" if name.endswith(".csv") else "text/plain"
            disp = (f'attachment; filename="{name}"' if name.isascii()
                    else "attachment; filename*=UTF-8''" + "".join(
                        c if c.isascii() and c.isalnum() or c == "." else "".join(f"%{b:02X}" for b in c.encode())
                        for c in name))
            if rng.random() < 0.5:
                att_part = ([f"Content-Type: {ctype}; charset=UTF-8", f"Content-Disposition: {disp}",
                             "Content-Transfer-Encoding: base64"], _b64(att.encode()))
            else:
                att_part = ([f"Content-Type: {ctype}; charset=UTF-8", f"Content-Disposition: {disp}",
                             "Content-Transfer-Encoding: 8bit"], att.encode())
            first = (["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"], text.encode())
            if x > 0.98:
                b2 = f"=_alt2_{n:x}"
                first = ([f'Content-Type: multipart/alternative; boundary="{b2}"'], _multipart(b2, [
                    first, (["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"],
                            _qp(_html(text).encode()))]))
            body = _multipart(b, [first, att_part])
        return ("\r\n".join(h) + "\r\n\r\n").encode() + body


# -------------------------------------------------------------------------------------------
# Encoding helpers

def _ascii(s):
    return s.encode("ascii", "ignore").decode()


def _encoded_word(s, rng):
    if rng.random() < 0.5:
        return "=?UTF-8?B?" + base64.b64encode(s.encode()).decode() + "?="
    try:
        raw, cs = s.encode("latin-1"), "ISO-8859-1"
    except UnicodeEncodeError:
        raw, cs = s.encode(), "UTF-8"
    q = "".join(chr(b) if (48 <= b <= 57 or 65 <= b <= 90 or 97 <= b <= 122) else
                "_" if b == 32 else f"={b:02X}" for b in raw)
    return f"=?{cs}?Q?{q}?="


def _subject_field(subject, rng):
    if any(ord(c) > 127 for c in subject) or rng.random() < 0.03:
        # Prefixes stay plain, the rest is one encoded word (as most clients write it).
        i = 0
        for p in ("Re: Re: ", "Re: ", "RE: ", "re: ", "Aw: ", "Fwd: ", "Fw: ", "FWD: "):
            if subject.startswith(p):
                i = len(p)
                break
        return subject[:i] + _encoded_word(subject[i:], rng)
    return subject


def _wrap(text, width=72):
    out, line = [], 0
    for w in text.split(" "):
        if line and line + 1 + len(w) > width:
            out.append("\r\n")
            line = 0
        elif line:
            out.append(" ")
            line += 1
        out.append(w)
        line += len(w)
    return "".join(out)


def _qp(data):
    return quopri.encodestring(data.replace(b"\r\n", b"\n")).replace(b"\n", b"\r\n")


def _b64(data):
    s = base64.encodebytes(data).replace(b"\n", b"\r\n")
    return s


def _html(text):
    paras = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").split("\r\n\r\n")
    return ("<html><head><meta charset=\"utf-8\"></head><body>\r\n" +
            "\r\n".join(f"<p>{p.replace(chr(13) + chr(10), ' ')}</p>" for p in paras) +
            "\r\n</body></html>\r\n")


def _multipart(boundary, parts):
    out = [b"This is a multi-part message in MIME format.\r\n"]
    for headers, body in parts:
        out.append(f"\r\n--{boundary}\r\n".encode() + ("\r\n".join(headers) + "\r\n\r\n").encode() + body)
    out.append(f"\r\n--{boundary}--\r\n".encode())
    return b"".join(out)


def _rfc5322(t):
    tm = time.gmtime(t)
    return (f"{DAYS[tm.tm_wday]}, {tm.tm_mday} {MONTHS[tm.tm_mon - 1]} {tm.tm_year} "
            f"{tm.tm_hour:02d}:{tm.tm_min:02d}:{tm.tm_sec:02d} +0000")


# -------------------------------------------------------------------------------------------

class _Frequencies:
    """Document frequencies of vocabulary words in the bodies (sentences only; subjects and
    attachments' word lists not counted: an estimate to pick the words searched for)."""

    def __init__(self, w):
        self.word_sentences = {}
        for i, s in enumerate(w.sentences):
            for x in s:
                self.word_sentences.setdefault(x, set()).add(i)
        self.sentence_messages = [[] for _ in w.sentences]
        for m, picks in enumerate(w.used_sentences):
            for s in picks:
                self.sentence_messages[s].append(m)

    def df(self, word):
        out = set()
        for s in self.word_sentences.get(word, ()):
            out.update(self.sentence_messages[s])
        return len(out)


def _other_text(w):
    """Lower-cased text of the corpus that is not vocabulary words (names, addresses, header
    values), one item a line, with every vocabulary word too: a word that occurs in it once
    is found by IMAP's substring SEARCH only where it was used as a word."""
    items = [p[0] for p in w.people] + [p[1] for p in w.people] + DOMAINS + ACCENTED + [
        "thunderbird apple mail microsoft outlook mutt k-9 return-path received from by with esmtps",
        "attachment notes minutes data log résumé text plain html multipart alternative mixed",
        "this is a multi-part message in mime format on an earlier day someone wrote",
        "dev announce users ops hi hello all dear colleagues there thanks best regards cheers"]
    return "\n".join([x.lower() for x in items] + w.vocab)


def _pick(w, freq, lo, hi, start, end):
    """The first vocabulary index in [start, end) whose document frequency is within [lo, hi],
    or else the one closest to that range; only words that are no part of another word or of
    the header text, so that what IMAP's substring match finds is the word."""
    best, best_off = None, None
    if not hasattr(w, "other_text"):
        w.other_text = _other_text(w)
    for i in range(start, min(end, len(w.vocab))):
        if not (w.vocab[i].isascii() and len(w.vocab[i]) >= 5 and w.vocab[i] not in COMMON[:60]):
            continue
        if w.other_text.count(w.vocab[i]) != 1:
            continue
        df = freq.df(i)
        if lo <= df <= hi:
            return w.vocab[i], df
        off = lo / max(df, 1) if df < lo else df / hi
        if best_off is None or off < best_off:
            best, best_off = (w.vocab[i], df), off
    if best is None:
        raise RuntimeError("no word to pick")
    return best


def _typo(word, rng):
    """`word` with one letter replaced (not the first: typos there are rarer and most fuzzy
    matchers anchor on a prefix)."""
    i = rng.randrange(2, len(word) - 1)
    c = "e" if word[i] != "e" else "a"
    return word[:i] + c + word[i + 1:]


def generate(out_dir, count, seed, write=True):
    """Writes the corpus into out_dir (cur/ and corpus.json); returns the corpus.json data.
    write=False only picks the words again (corpus.json) for a corpus already written."""
    t0 = time.monotonic()
    w = _Writer(seed, count)
    cur = os.path.join(out_dir, "cur")
    os.makedirs(cur, exist_ok=True)
    for d in ("new", "tmp"):
        os.makedirs(os.path.join(out_dir, d), exist_ok=True)
    rng_t = random.Random(seed + 1)
    t = START
    total = 0
    for n in range(count):
        t += rng_t.randint(1, 2 * GAP)
        data = w.message(n, t)
        flags = "S" if rng_t.random() < 0.7 else ""
        if rng_t.random() < 0.04:
            flags = "F" + flags
        path = os.path.join(cur, f"{t}.M{n:06d}P1.bench:2,{flags}")
        if write and not (os.path.exists(path) and os.path.getsize(path) == len(data)):  # (an interrupted run's)
            with open(path, "wb") as f:
                f.write(data)
        if write:
            os.utime(path, (t, t))
        total += len(data)
    rng = random.Random(seed + 2)
    freq = _Frequencies(w)
    rare, rare_df = _pick(w, freq, 3, max(10, count // 2500), 6000, 30000)
    common, common_df = _pick(w, freq, count // 5, count // 2, 30, 400)
    body, body_df = _pick(w, freq, count // 200, count // 20, 600, 6000)
    fuzzy_base, fuzzy_df = _pick(w, freq, count // 500, count // 50, 1500, 10000)
    subject_word = w.vocab[rng.randrange(150, 400)]
    while w.other_text.count(subject_word) != 1 or len(subject_word) < 5:
        subject_word = w.vocab[rng.randrange(150, 400)]
    meta = {
        "count": count, "seed": seed, "bytes": total, "version": VERSION,
        "rare": rare, "rare_body_df": rare_df, "common": common, "common_body_df": common_df,
        "body": body, "body_body_df": body_df, "subject": subject_word,
        "fuzzy": _typo(fuzzy_base, rng), "fuzzy_of": fuzzy_base, "fuzzy_body_df": fuzzy_df,
        "seconds": round(time.monotonic() - t0, 1), "picks": PICKS,
    }
    with open(os.path.join(out_dir, "corpus.json"), "w") as f:
        json.dump(meta, f, indent=1)
    return meta


VERSION = 1     # bump when the generator's messages change (the cache is keyed on it)
PICKS = 2       # bump when the choice of searched words changes (corpus.json is redone)


if __name__ == "__main__":
    import sys
    out = sys.argv[1]
    m = generate(out, int(sys.argv[2]) if len(sys.argv) > 2 else 1000, 1)
    print(json.dumps(m, indent=1))
