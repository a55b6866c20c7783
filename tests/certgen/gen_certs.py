#!/usr/bin/env python3
"""Corpus and oracle for pyssl's differential certificate tests.

Run with the Python whose `_ssl` pyssl follows (Debian's CPython 3.11.2 on
OpenSSL 3.0, with `cryptography` installed):

    /usr/bin/python3.11 tests/certgen/gen_certs.py certs OUT_DIR \
        --count 500 --mutated 200 --seed 1
    /usr/bin/python3.11 tests/certgen/gen_certs.py strings OUT_DIR \
        --count 2000 --seed 1

`certs` writes certificates as PEM files into OUT_DIR: random and
adversarial ones built from raw DER (odd OIDs, multi-valued RDNs, every
subjectAltName kind, NULs, non-ASCII, BMPString/UniversalString, huge
serials, dates outside 1950-2049, ...), conventional ones built with
`cryptography`, byte-level mutations of those, broken PEM files, and a
missing path and a directory. Each is decoded with
`_ssl._test_decode_cert`.

`strings` draws random text and random byte strings; the oracle is
`repr()` of the text, of the bytes, and of the bytes decoded as UTF-8 (or
the UnicodeDecodeError).

Both write OUT_DIR/expected.txt: one record per case,

    NAME '\\n' LENGTH '\\n' OUTCOME '\\n'

where OUTCOME (LENGTH bytes of UTF-8) is `repr(result)`, or
`type(exc).__name__ + ': ' + str(exc)` with the trailing
` (_ssl.c:LINE)` removed. In `certs` mode NAME is the file's path relative
to OUT_DIR; in `strings` mode it is `s:HEX` (text, UTF-8), `y:HEX` (bytes
repr) or `b:HEX` (bytes decoded as UTF-8).
"""

import argparse
import base64
import ctypes
import datetime
import ipaddress
import os
import random
import re
import sys

import _ssl

LOCATION = re.compile(r" \(_ssl\.c:\d+\)$")

try:
    # The error queue is per thread and CPython does not always clear it;
    # start every decode from an empty queue, as the Rust side does.
    _clear_errors = ctypes.CDLL("libcrypto.so.3").ERR_clear_error
except OSError:  # pragma: no cover - only without OpenSSL 3
    def _clear_errors():
        pass


def outcome_of(fn):
    _clear_errors()
    try:
        value = fn()
    except Exception as exc:  # noqa: BLE001 - the class is the oracle
        return LOCATION.sub("", "%s: %s" % (type(exc).__name__, exc))
    return repr(value)


# ---------------------------------------------------------------------------
# DER building blocks

def der_len(n):
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def seq(*items):
    return tlv(0x30, b"".join(items))


def set_of(*items):
    return tlv(0x31, b"".join(items))


def int_content(v):
    n = max(1, (v.bit_length() + 8) // 8)
    return v.to_bytes(n, "big", signed=True)


def der_int(v):
    return tlv(0x02, int_content(v))


def base128(v):
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


def oid_content(arcs):
    first = arcs[0] * 40 + arcs[1]
    return base128(first) + b"".join(base128(a) for a in arcs[2:])


def oid(text_or_arcs):
    arcs = text_or_arcs
    if isinstance(arcs, str):
        arcs = [int(a) for a in arcs.split(".")]
    return tlv(0x06, oid_content(arcs))


def explicit(n, content):
    return tlv(0xA0 | n, content)


# ---------------------------------------------------------------------------
# Random text

SPECIAL = [
    "\x00", "\n", "\r", "\t", "\x7f", "'", '"', "\\", " ", "\x1b", "\x85",
    "\xa0", "\xad", "\u2028", "\u2029", "\u200b", "\ufeff", "\u3000",
    "\ue000", "\U000f0000", "\U0010ffff", "\U0001f600", "\u0378", "\ufffd",
    "\U000e0001", "\u061c", "\U0001f6dd", "\U0001f6dc", "\U00031350", ":",
    "=", ",", "/", "+",
]


def rand_char(r):
    k = r.random()
    if k < 0.5:
        return chr(r.randrange(0x20, 0x7F))
    if k < 0.6:
        return r.choice(SPECIAL)
    if k < 0.7:
        return chr(r.randrange(0, 0x100))
    if k < 0.85:
        while True:
            c = r.randrange(0x100, 0x10000)
            if not 0xD800 <= c < 0xE000:
                return chr(c)
    return chr(r.randrange(0x10000, 0x110000))


def rand_text(r, maxlen=16):
    n = r.choice([0, 1, 2, r.randrange(0, maxlen + 1), r.randrange(0, maxlen + 1)])
    if r.random() < 0.4:
        # Mostly plain ASCII.
        return "".join(chr(r.randrange(0x20, 0x7F)) for _ in range(n))
    return "".join(rand_char(r) for _ in range(n))


BAD_UTF8 = [
    b"\xff", b"\xfe", b"\x80", b"\xbf", b"\xc0\x80", b"\xc1\xbf", b"\xc3",
    b"\xc3(", b"\xe2\x82", b"\xe2\x82(", b"\xe2(\xa1", b"\xe0\x80\x80",
    b"\xe0\x9f\xbf", b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xed\xa0",
    b"\xf0\x9f\x98", b"\xf0\x9f", b"\xf0\x8f\xbf\xbf", b"\xf0\x9f(",
    b"\xf0\x9f\x98(", b"\xf4\x90\x80\x80", b"\xf4\x8f\xbf\xbf", b"\xf5\x80",
    b"\xf8\x88\x80\x80\x80", b"\xc2", b"\xe1\x80", b"\xf1\x80\x80",
]


def rand_bytes(r, maxlen=16):
    """Text-like bytes: valid UTF-8 with the odd invalid sequence."""
    k = r.random()
    if k < 0.5:
        out = rand_text(r, maxlen).encode("utf-8")
        if r.random() < 0.5:
            pos = r.randrange(0, len(out) + 1)
            out = out[:pos] + r.choice(BAD_UTF8) + out[pos:]
        return out
    if k < 0.7:
        return bytes(r.randrange(0, 256) for _ in range(r.randrange(0, maxlen)))
    parts = []
    for _ in range(r.randrange(0, 6)):
        parts.append(r.choice([r.choice(BAD_UTF8), rand_text(r, 4).encode()]))
    return b"".join(parts)


# ---------------------------------------------------------------------------
# Names

NAME_OIDS = [
    "2.5.4.3", "2.5.4.6", "2.5.4.10", "2.5.4.11", "2.5.4.7", "2.5.4.8",
    "2.5.4.9", "2.5.4.5", "2.5.4.12", "2.5.4.42", "2.5.4.4", "2.5.4.43",
    "2.5.4.15", "2.5.4.17", "2.5.4.65", "2.5.4.13", "2.5.4.46", "2.5.4.97",
    "1.2.840.113549.1.9.1", "1.2.840.113549.1.9.2",
    "0.9.2342.19200300.100.1.25", "0.9.2342.19200300.100.1.1",
    "1.3.6.1.4.1.311.60.2.1.3", "1.3.6.1.4.1.311.60.2.1.2",
]


def rand_oid_arcs(r):
    k = r.random()
    first = r.choice([0, 1, 2])
    second = r.randrange(0, 40) if first < 2 else r.choice([0, 5, 39, 40, 999, 2**40])
    arcs = [first, second]
    if k < 0.8:
        n = r.randrange(0, 8)
    elif k < 0.97:
        n = r.randrange(40, 120)  # text longer than 256 characters
    else:
        n = r.randrange(300, 700)  # text longer than 2048 characters
    for _ in range(n):
        arcs.append(r.choice([
            r.randrange(0, 128), r.randrange(0, 2**14), r.randrange(0, 2**32),
            r.randrange(0, 2**64), r.randrange(2**64, 2**100),
        ]))
    return arcs


def rand_attr_oid(r):
    if r.random() < 0.8:
        return oid(r.choice(NAME_OIDS))
    return oid(rand_oid_arcs(r))


# The types X509_NAME accepts for an attribute value (B_ASN1_PRINTABLE);
# any other type makes the whole certificate undecodable.
NAME_TAGS = [12, 12, 12, 19, 19, 22, 20, 18, 30, 28]


def rand_string_value(r, tag):
    """Content for an ASN.1 string of type `tag`: mostly what the type
    allows, sometimes arbitrary bytes."""
    text = rand_text(r)
    if tag == 30:
        # BMPString: OpenSSL rejects surrogates and odd lengths.
        text = "".join(c if ord(c) < 0xD800 or 0xE000 <= ord(c) < 0x10000 else "?" for c in text)
        return text.encode("utf-16-be")
    if tag == 28:
        return text.encode("utf-32-be")
    if tag == 12:
        if r.random() < 0.02:
            return rand_bytes(r)  # OpenSSL refuses most invalid UTF-8
        return text.encode("utf-8")
    if r.random() < 0.3:
        return rand_bytes(r)
    return text.encode("latin-1", "replace")


def rand_directory_string(r, bad=0.03):
    """A random attribute value: a string of some type, or something else.
    `bad` is the chance of a value OpenSSL refuses to decode."""
    k = r.random()
    if k < bad:
        return r.choice([
            tlv(30, b"\x00A\x00"), tlv(30, b"\xd8\x00"), tlv(28, b"\x00\x00\x00"),
            tlv(28, b"\x00\x11\x00\x00"), tlv(28, b"\x00\x00\xd8\x00"),
            tlv(12, b"\xff"), tlv(12, b"\xc0\x80"), tlv(26, b"visible"),
            tlv(27, b"general"), tlv(25, b"graphic"), tlv(21, b"videotex"),
            tlv(0x04, b"octets"), tlv(0x01, b"\xff"), tlv(0x05, b""), tlv(0x02, b"\x05"),
            tlv(0x17, b"200101000000Z"), tlv(0x06, oid_content([1, 2, 3])),
        ])
    if k < bad + 0.015:
        # Accepted by the decoder, refused by ASN1_STRING_to_UTF8.
        return r.choice([seq(der_int(5)), seq(), tlv(0x30, b"\x0c\x01x")])
    if k < 0.12:
        # BIT STRING: first byte is the unused-bit count; empty ones have
        # no data buffer at all.
        body = bytes(r.randrange(0, 256) for _ in range(r.choice([0, 0, 1, 3, 8])))
        return tlv(0x03, bytes([r.choice([0, 0, 0, 3, 7])]) + body)
    tag = r.choice(NAME_TAGS)
    return tlv(tag, rand_string_value(r, tag))


def rand_name(r, max_rdns=6):
    rdns = []
    n = r.choice([0, 1, 2, 3, r.randrange(0, max_rdns + 1)])
    for _ in range(n):
        m = 1 if r.random() < 0.8 else r.randrange(2, 4)
        atvs = [seq(rand_attr_oid(r), rand_directory_string(r)) for _ in range(m)]
        if r.random() < 0.5:
            atvs.sort()
        rdns.append(set_of(*atvs))
    return seq(*rdns)


# ---------------------------------------------------------------------------
# General names and extensions

OTHERNAME_OIDS = [
    "1.3.6.1.5.5.7.8.5",  # XmppAddr
    "1.3.6.1.5.5.7.8.7",  # SRVName
    "1.3.6.1.4.1.311.20.2.3",  # UPN
    "1.3.6.1.5.5.7.8.8",  # NAIRealm
    "1.3.6.1.5.5.7.8.9",  # SmtpUTF8Mailbox
    "1.2.3.4", "2.999",
]


def rand_ia5(r):
    if r.random() < 0.7:
        return "".join(chr(r.randrange(0x21, 0x7F)) for _ in range(r.randrange(0, 30))).encode()
    return rand_bytes(r, 30)


def rand_general_name(r, depth=0):
    k = r.randrange(0, 11)
    if k == 0:
        return tlv(0x81, rand_ia5(r))
    if k == 1 or k == 10:
        return tlv(0x82, rand_ia5(r))
    if k == 2:
        return tlv(0x86, rand_ia5(r))
    if k == 3:
        n = r.choice([4, 4, 16, 16, 0, 1, 5, 8, 17])
        return tlv(0x87, bytes(r.randrange(0, 256) for _ in range(n)))
    if k == 4:
        return tlv(0x88, oid_content(rand_oid_arcs(r) if r.random() < 0.5 else [1, 3, 6, 1, 5, 5, 7, 48, 1]))
    if k == 5 and depth == 0:
        return explicit(4, rand_name(r, 3))
    if k == 6:
        type_text = r.choice(OTHERNAME_OIDS)
        type_id = oid(type_text) if r.random() < 0.85 else oid(rand_oid_arcs(r))
        vk = r.random()
        if type_text == "1.3.6.1.5.5.7.8.7" and vk < 0.6:
            value = tlv(0x16, rand_bytes(r, 24))  # SRVName is an IA5String
        elif vk < 0.45:
            value = tlv(0x0C, rand_bytes(r, 24))
        elif vk < 0.75:
            value = tlv(0x16, rand_bytes(r, 24))
        else:
            value = rand_directory_string(r, bad=0.2)
        if r.random() < 0.15:
            value = tlv(0x0C, r.choice([b"a\nb", b"x\x00y", b"line1\nline2:z", b"\xff\xfe"]))
        return tlv(0xA0, type_id + explicit(0, value))
    if k == 7:
        return tlv(0xA3, seq(set_of(seq(oid("2.5.4.3"), tlv(0x13, b"x400")))))
    if k == 8:
        party = explicit(1, tlv(0x0C, rand_bytes(r, 8)))
        if r.random() < 0.5:
            party = explicit(0, tlv(0x0C, b"assigner")) + party
        return tlv(0xA5, party)
    return tlv(0x82, rand_ia5(r))


def general_names(r, max_names=6):
    return seq(*[rand_general_name(r) for _ in range(r.randrange(0, max_names + 1))])


OID_SAN = "2.5.29.17"
OID_AIA = "1.3.6.1.5.5.7.1.1"
OID_CRLDP = "2.5.29.31"
OID_OCSP = "1.3.6.1.5.5.7.48.1"
OID_CA_ISSUERS = "1.3.6.1.5.5.7.48.2"


def extension(ext_oid, value, critical=False):
    parts = [oid(ext_oid)]
    if critical:
        parts.append(tlv(0x01, b"\xff"))
    parts.append(tlv(0x04, value))
    return seq(*parts)


def rand_uri(r):
    if r.random() < 0.8:
        return ("http://%s.example/%s" % (
            "".join(r.choice("abcxyz0123") for _ in range(r.randrange(1, 8))),
            rand_text(r, 6).replace("\x00", ""))).encode("utf-8")[:80]
    return rand_bytes(r, 20)


def rand_aia(r):
    descs = []
    for _ in range(r.choice([0, 1, 2, 3, 5])):
        method = r.choice([OID_OCSP, OID_OCSP, OID_CA_ISSUERS, OID_CA_ISSUERS,
                           "1.3.6.1.5.5.7.48.5", "1.3.6.1.5.5.7.48.3", "1.2.3"])
        if r.random() < 0.8:
            loc = tlv(0x86, rand_uri(r))
        else:
            loc = rand_general_name(r)
        descs.append(seq(oid(method), loc))
    return seq(*descs)


def rand_crldp(r):
    points = []
    for _ in range(r.choice([0, 1, 1, 2, 3])):
        parts = []
        k = r.random()
        if k < 0.6:
            names = [tlv(0x86, rand_uri(r)) if r.random() < 0.75 else rand_general_name(r)
                     for _ in range(r.randrange(0, 4))]
            parts.append(explicit(0, tlv(0xA0, b"".join(names))))
        elif k < 0.8:
            atv = seq(oid("2.5.4.3"), tlv(0x0C, b"relative"))
            parts.append(explicit(0, tlv(0xA1, atv)))
        if r.random() < 0.2:
            parts.append(tlv(0x81, b"\x07\x80"))
        if r.random() < 0.2 or not parts:
            parts.append(tlv(0xA2, tlv(0x86, rand_uri(r))))
        points.append(seq(*parts))
    return seq(*points)


def rand_extensions(r):
    exts = []
    if r.random() < 0.7:
        exts.append(extension(OID_SAN, general_names(r), r.random() < 0.2))
    if r.random() < 0.4:
        exts.append(extension(OID_AIA, rand_aia(r)))
    if r.random() < 0.4:
        exts.append(extension(OID_CRLDP, rand_crldp(r)))
    if r.random() < 0.3:
        exts.append(extension("2.5.29.19", seq(tlv(0x01, b"\xff")), True))
    if r.random() < 0.1:
        exts.append(extension(oid_text(rand_oid_arcs(r)[:6]), rand_bytes(r)))
    if r.random() < 0.05 and exts:
        exts.append(r.choice(exts))  # a duplicate extension
    if r.random() < 0.05:
        # Undecodable contents.
        exts.append(extension(r.choice([OID_SAN, OID_AIA, OID_CRLDP]), rand_bytes(r)))
    r.shuffle(exts)
    return exts


def oid_text(arcs):
    return ".".join(str(a) for a in arcs)


# ---------------------------------------------------------------------------
# Certificates

def rand_time(r):
    k = r.random()
    if k < 0.45:
        y = r.randrange(1950, 2050)
        t = "%02d%02d%02d%02d%02d%02dZ" % (y % 100, r.randrange(1, 13), r.randrange(1, 29),
                                          r.randrange(0, 24), r.randrange(0, 60), r.randrange(0, 60))
        return tlv(0x17, t.encode())
    if k < 0.8:
        y = r.choice([r.randrange(1, 10000), r.randrange(1900, 1950), r.randrange(2050, 2200), 9999, 1, 1949, 2050])
        t = "%04d%02d%02d%02d%02d%02d" % (y, r.randrange(1, 13), r.randrange(1, 29),
                                         r.randrange(0, 24), r.randrange(0, 60), r.randrange(0, 60))
        if r.random() < 0.2:
            t += "." + str(r.randrange(0, 1000))
        t += "Z"
        return tlv(0x18, t.encode())
    odd = r.choice([
        b"200101000000+0100", b"2001010000Z", b"20010100000Z", b"200101000060Z",
        b"201301010000Z", b"", b"abcdefghijklm", b"991231235959Z", b"500101000000Z",
        b"490101000000Z", b"000229000000Z", b"200101000000-1230",
    ])
    tag = 0x17 if len(odd) < 15 and r.random() < 0.7 else 0x18
    if tag == 0x18 and r.random() < 0.5:
        odd = r.choice([b"19500101000000Z", b"00000101000000Z", b"20200101000000.Z",
                        b"20200101000000.999999Z", b"20200101000000+0000", b"2020010100Z",
                        b"20201231235960Z", b"99991231235959Z"])
    return tlv(tag, odd)


def rand_serial(r):
    k = r.random()
    if k < 0.5:
        return der_int(r.randrange(1, 2**159))
    if k < 0.6:
        return der_int(r.choice([0, 1, -1, 127, 128, 255, 256, -128, -129]))
    if k < 0.75:
        return der_int(-r.randrange(1, 2**200))
    if k < 0.98:
        nbytes = r.choice([20, 21, 34, 35, 36, 40, 70, 71, 100, 600, 1100])
        return der_int(r.randrange(2**(8 * nbytes - 9), 2**(8 * nbytes - 1)))
    return tlv(0x02, r.choice([b"\x00\x01", b"\xff\x80", b"\x00", b"\x00" * 3]))


ED25519_ALG = seq(oid("1.3.101.112"))


def build_raw_cert(r, spki):
    tbs = []
    v = r.random()
    if v < 0.75:
        tbs.append(explicit(0, der_int(2)))
    elif v < 0.85:
        pass
    elif v < 0.95:
        tbs.append(explicit(0, der_int(r.choice([0, 1, 3, -1, 255]))))
    else:
        tbs.append(explicit(0, der_int(r.choice([2**31 - 1, 2**63 - 1, 2**63, 2**70, -2**63]))))
    tbs.append(rand_serial(r))
    tbs.append(ED25519_ALG)
    tbs.append(rand_name(r))
    tbs.append(seq(rand_time(r), rand_time(r)))
    tbs.append(rand_name(r))
    tbs.append(spki)
    exts = rand_extensions(r)
    if exts or r.random() < 0.05:
        tbs.append(explicit(3, seq(*exts)))
    sig = tlv(0x03, b"\x00" + bytes(r.randrange(0, 256) for _ in range(64)))
    return seq(seq(*tbs), ED25519_ALG, sig)


def build_crypto_cert(r, key):
    """A conventional certificate from `cryptography`'s builder."""
    from cryptography import x509
    from cryptography.x509.name import _ASN1Type
    from cryptography.x509.oid import AuthorityInformationAccessOID, NameOID, ObjectIdentifier

    oids = [NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME, NameOID.ORGANIZATIONAL_UNIT_NAME,
            NameOID.LOCALITY_NAME, NameOID.STATE_OR_PROVINCE_NAME, NameOID.EMAIL_ADDRESS,
            NameOID.DOMAIN_COMPONENT, NameOID.USER_ID, NameOID.SERIAL_NUMBER,
            NameOID.GIVEN_NAME, NameOID.PSEUDONYM, ObjectIdentifier("1.2.3.4.5.6.7")]

    def text(maxlen=12):
        while True:
            t = "".join(rand_char(r) for _ in range(r.randrange(1, maxlen)))
            if "\x00" not in t or r.random() < 0.3:
                return t

    def name():
        rdns = []
        if r.random() < 0.7:
            rdns.append(x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COUNTRY_NAME, r.choice(["US", "DE", "JP", "ZZ"]))]))
        for _ in range(r.randrange(0, 5)):
            attrs = []
            for o in r.sample(oids, r.choice([1, 1, 1, 2, 3])):
                t = r.random()
                if t < 0.6:
                    attrs.append(x509.NameAttribute(o, text()))
                elif t < 0.8:
                    bmp = "".join(c for c in text() if ord(c) < 0xD800 or 0xE000 <= ord(c) < 0x10000)
                    attrs.append(x509.NameAttribute(o, bmp or "x", _type=_ASN1Type.BMPString))
                else:
                    attrs.append(x509.NameAttribute(o, text(), _type=_ASN1Type.UniversalString))
            rdns.append(x509.RelativeDistinguishedName(attrs))
        return x509.Name(rdns)

    def ascii_word(n=8):
        return "".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789-") for _ in range(r.randrange(1, n)))

    def gname():
        k = r.randrange(0, 8)
        if k == 0:
            return x509.DNSName("%s.%s" % (ascii_word(), r.choice(["com", "example", "xn--p1ai"])))
        if k == 1:
            return x509.RFC822Name("%s@%s.org" % (ascii_word(), ascii_word()))
        if k == 2:
            return x509.UniformResourceIdentifier("https://%s.test/%s" % (ascii_word(), ascii_word()))
        if k == 3:
            if r.random() < 0.5:
                return x509.IPAddress(ipaddress.IPv4Address(r.randrange(0, 2**32)))
            return x509.IPAddress(ipaddress.IPv6Address(r.choice([
                r.randrange(0, 2**128), 1, 0, 0xFFFF << 32 | 0x7F000001,
                0x20010DB8 << 96 | r.randrange(0, 2**16)])))
        if k == 4:
            return x509.RegisteredID(ObjectIdentifier(r.choice(["1.2.3.4", "1.3.6.1.5.5.7.48.1", "2.5.4.3"])))
        if k == 5:
            return x509.DirectoryName(name())
        if k == 6:
            value = tlv(0x0C, text().encode("utf-8", "surrogatepass"))
            return x509.OtherName(ObjectIdentifier(r.choice(OTHERNAME_OIDS)), value)
        return x509.DNSName("*.%s.net" % ascii_word())

    def when(years):
        return datetime.datetime(r.choice(years), r.randrange(1, 13), r.randrange(1, 29),
                                 r.randrange(0, 24), r.randrange(0, 60), r.randrange(0, 60))

    b = x509.CertificateBuilder()
    b = b.subject_name(name()).issuer_name(name())
    b = b.public_key(key.public_key()).serial_number(r.randrange(1, 2**159))
    # cryptography refuses dates before 1950; the raw builder covers those.
    start = when([r.randrange(1950, 2050), 1950, 2049, r.randrange(2050, 3000)])
    end = when([r.randrange(start.year, 2050 if start.year < 2050 else 9999), 9999, 2050, 2049]
               if start.year < 2049 else [start.year + 1, 9999])
    b = b.not_valid_before(start).not_valid_after(max(start, end))
    if r.random() < 0.8:
        b = b.add_extension(x509.SubjectAlternativeName([gname() for _ in range(r.randrange(1, 7))]),
                            critical=False)
    if r.random() < 0.5:
        descs = []
        for _ in range(r.randrange(1, 4)):
            method = r.choice([AuthorityInformationAccessOID.OCSP, AuthorityInformationAccessOID.CA_ISSUERS])
            loc = gname() if r.random() < 0.2 else x509.UniformResourceIdentifier(
                "http://%s.test/%s" % (ascii_word(), ascii_word()))
            descs.append(x509.AccessDescription(method, loc))
        b = b.add_extension(x509.AuthorityInformationAccess(descs), critical=False)
    if r.random() < 0.5:
        points = []
        for _ in range(r.randrange(1, 3)):
            if r.random() < 0.8:
                points.append(x509.DistributionPoint(
                    full_name=[x509.UniformResourceIdentifier("http://crl.%s.test/x.crl" % ascii_word())
                               if r.random() < 0.8 else gname() for _ in range(r.randrange(1, 3))],
                    relative_name=None, reasons=None, crl_issuer=None))
            else:
                points.append(x509.DistributionPoint(
                    full_name=None,
                    relative_name=x509.RelativeDistinguishedName(
                        [x509.NameAttribute(NameOID.COMMON_NAME, "crl")]),
                    reasons=None, crl_issuer=None))
        b = b.add_extension(x509.CRLDistributionPoints(points), critical=False)
    from cryptography.hazmat.primitives.serialization import Encoding
    return b.sign(key, None).public_bytes(Encoding.DER)


def pem(der, label="CERTIFICATE"):
    body = base64.encodebytes(der).decode().replace("\n", "")
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode()


def mutate(r, der):
    d = bytearray(der)
    for _ in range(r.choice([1, 1, 1, 2, 3, 5])):
        if not d:
            break
        k = r.random()
        i = r.randrange(0, len(d))
        if k < 0.4:
            d[i] = r.randrange(0, 256)
        elif k < 0.55:
            d[i] ^= 1 << r.randrange(0, 8)
        elif k < 0.65:
            del d[r.randrange(len(d) // 2, len(d)):]
        elif k < 0.75:
            d[i:i] = bytes(r.randrange(0, 256) for _ in range(r.randrange(1, 4)))
        elif k < 0.85:
            del d[i:i + r.randrange(1, 4)]
        else:
            d[i] = r.choice([0x00, 0x80, 0x81, 0x82, 0xFF, 0x7F, 0x30, 0x31, 0xA0, 0x0C, 0x1E, 0x1C])
    return bytes(d)


def simple_cert(spki, issuer=seq(), subject=seq(), exts=(), serial=der_int(1), times=None,
                version=2):
    """A certificate with the given parts and plain defaults (empty names,
    valid from 2020 to 2030)."""
    times = times or (tlv(0x17, b"200101000000Z"), tlv(0x17, b"300101000000Z"))
    tbs = [explicit(0, der_int(version)), serial, ED25519_ALG, issuer, seq(*times), subject, spki]
    if exts:
        tbs.append(explicit(3, seq(*exts)))
    return seq(seq(*tbs), ED25519_ALG, tlv(0x03, b"\x00" + b"x" * 64))


def edge_certs(spki):
    """Certificates at the boundaries of CPython's buffers and OpenSSL's
    limits."""
    def cert(**kw):
        return simple_cert(spki, **kw)

    out = []
    # OID texts around 255 characters (_asn1obj2py's first buffer), 2047
    # (i2t_ASN1_OBJECT's buffer) and OpenSSL's limit on OID length.
    for n in [62, 63, 64, 65, 509, 510, 511, 512, 585, 586]:
        arcs = [1, 3] + [127] * n
        out.append(cert(exts=[extension(OID_SAN, seq(tlv(0x88, oid_content(arcs))))]))
        out.append(cert(issuer=seq(set_of(seq(oid(arcs), tlv(0x0C, b"v"))))))
    # Serials around i2a_ASN1_INTEGER's 35-byte line length and beyond
    # BIO_gets' 2046 bytes.
    for nbytes in [1, 34, 35, 36, 70, 71, 1022, 1023, 1024, 1100]:
        out.append(cert(serial=tlv(0x02, b"\x7f" * nbytes)))
        out.append(cert(serial=tlv(0x02, b"\x80" + b"\x00" * (nbytes - 1))))
    # Versions at the edges of a C long.
    for v in [0, 1, 2, 3, -1, 2**63 - 1, -2**63, 2**63, 2**64]:
        out.append(cert(version=v))
    # Every othername flavour with awkward values.
    for type_id in OTHERNAME_OIDS:
        for value in [tlv(0x0C, b"a\nb"), tlv(0x0C, b"x\x00y"), tlv(0x0C, b"\xc3\xa9:\xff"),
                      tlv(0x16, b"srv\n"), tlv(0x16, b""), tlv(0x0C, b""), tlv(0x1E, b"\x00A"),
                      tlv(0x0C, b"x" * 3000)]:
            gn = tlv(0xA0, oid(type_id) + explicit(0, value))
            out.append(cert(exts=[extension(OID_SAN, seq(gn))]))
    # IP addresses of every length up to 17.
    out.append(cert(exts=[extension(OID_SAN, seq(*[tlv(0x87, bytes(range(1, n + 1))) for n in range(18)]))]))
    # Empty and odd name values.
    for v in [tlv(0x03, b"\x00"), tlv(0x03, b"\x07\x80"), tlv(0x0C, b""), tlv(0x13, b""),
              tlv(0x1E, b""), tlv(0x1C, b""), seq(), tlv(0x30, b"\x0c\x01x")]:
        out.append(cert(subject=seq(set_of(seq(oid("2.5.4.3"), v)))))
    # Times: odd formats and years far out.
    for a, b in [(b"19000101000000Z", b"99991231235959Z"), (b"00010101000000Z", b"20500101000000Z"),
                 (b"20200101000000.5Z", b"20200101000000.123456Z"), (b"2020010100Z", b"202001010000Z")]:
        out.append(cert(times=(tlv(0x18, a), tlv(0x18, b))))
    for a in [b"", b"Z", b"200101000000+0100", b"491231235959Z", b"500101000000Z", b"20010100000Z"]:
        out.append(cert(times=(tlv(0x17, a), tlv(0x17, a))))
    # Access descriptions and distribution points that CPython skips.
    aia = seq(seq(oid(OID_OCSP), tlv(0x82, b"dns.not.uri")),
              seq(oid("1.2.3"), tlv(0x86, b"http://other")),
              seq(oid(OID_CA_ISSUERS), tlv(0x86, b"http://ca")))
    crldp = seq(seq(tlv(0x81, b"\x07\x80")),
                seq(explicit(0, tlv(0xA1, seq(oid("2.5.4.3"), tlv(0x0C, b"rel"))))),
                seq(explicit(0, tlv(0xA0, tlv(0x82, b"dns") + tlv(0x86, b"http://crl")))),
                seq(tlv(0xA2, tlv(0x86, b"http://issuer"))))
    out.append(cert(exts=[extension(OID_AIA, aia), extension(OID_CRLDP, crldp)]))
    out.append(cert(exts=[extension(OID_AIA, seq()), extension(OID_CRLDP, seq())]))
    out.append(cert(exts=[extension(OID_AIA, seq(seq(oid("1.2.3"), tlv(0x86, b"x"))))]))
    out.append(cert(exts=[extension(OID_SAN, seq())]))
    return out


def fixed_cases(spki):
    """Files that are not (only) one good certificate."""
    r = random.Random(0)
    cn = seq(set_of(seq(oid("2.5.4.3"), tlv(0x0C, b"pyssl.test"))))
    good = pem(simple_cert(spki, issuer=cn, subject=cn, exts=[extension(OID_SAN, seq(tlv(0x82, b"pyssl.test")))]))
    return [
        ("empty.pem", b""),
        ("garbage.pem", b"this is not a certificate\n"),
        ("header-only.pem", b"-----BEGIN CERTIFICATE-----\n"),
        ("no-end.pem", good.replace(b"-----END CERTIFICATE-----\n", b"")),
        ("bad-base64.pem", good[:40] + b"!!!!" + good[44:]),
        ("key-label.pem", good.replace(b"CERTIFICATE", b"PRIVATE KEY")),
        ("old-label.pem", good.replace(b"CERTIFICATE", b"X509 CERTIFICATE")),
        ("trusted-label.pem", good.replace(b"CERTIFICATE", b"TRUSTED CERTIFICATE")),
        ("leading-text.pem", b"Bag Attributes\n    friendlyName: x\n" + good),
        ("two-certs.pem", good + pem(build_raw_cert(r, spki))),
        ("key-then-cert.pem", pem(b"\x30\x03\x02\x01\x00", "PRIVATE KEY") + good),
        ("crlf.pem", good.replace(b"\n", b"\r\n")),
        ("der.pem", base64.b64decode(b"".join(good.splitlines()[1:-1]))),
        ("empty-body.pem", b"-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"),
    ]


def write_record(out, name, text):
    data = text.encode("utf-8", "surrogatepass")
    out.write(name.encode() + b"\n" + str(len(data)).encode() + b"\n" + data + b"\n")


def certs_mode(args):
    from cryptography.hazmat.primitives.asymmetric import ed25519
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    r = random.Random(args.seed)
    key = ed25519.Ed25519PrivateKey.generate()
    spki = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    os.makedirs(args.out, exist_ok=True)
    cases = []
    ders = []
    for i in range(args.count):
        der = None
        if r.random() < 0.2:
            try:
                der = build_crypto_cert(r, key)
            except ValueError:
                # Newer cryptography (sid's) refuses some of the names it
                # is given (a PrintableString outside its alphabet); the
                # DER builder below writes them as they are.
                der = None
        if der is None:
            der = build_raw_cert(r, spki)
        ders.append(der)
        cases.append(("gen-%05d.pem" % i, pem(der)))
    for i in range(args.mutated):
        der = mutate(r, r.choice(ders)) if ders else b""
        cases.append(("mut-%05d.pem" % i, pem(der)))
    for i, der in enumerate(edge_certs(spki)):
        cases.append(("edge-%03d.pem" % i, pem(der)))
    cases.extend(fixed_cases(spki))
    with open(os.path.join(args.out, "expected.txt"), "wb") as out:
        for name, data in cases:
            path = os.path.join(args.out, name)
            with open(path, "wb") as f:
                f.write(data)
            write_record(out, name, outcome_of(lambda: _ssl._test_decode_cert(path)))
        os.makedirs(os.path.join(args.out, "a-directory"), exist_ok=True)
        for name in ["a-directory", "missing/none.pem"]:
            path = os.path.join(args.out, name)
            write_record(out, name, outcome_of(lambda: _ssl._test_decode_cert(path)))


def strings_mode(args):
    r = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "expected.txt"), "wb") as out:
        for _ in range(args.count):
            text = rand_text(r, 24)
            write_record(out, "s:" + text.encode("utf-8").hex(), repr(text))
            raw = rand_bytes(r, 24)
            write_record(out, "y:" + raw.hex(), repr(raw))
            write_record(out, "b:" + raw.hex(), outcome_of(lambda: raw.decode("utf-8")))
        # Every code point once, in chunks.
        for start in range(0, 0x110000, 0x1000):
            text = "".join(chr(c) for c in range(start, start + 0x1000) if not 0xD800 <= c < 0xE000)
            write_record(out, "s:" + text.encode("utf-8").hex(), repr(text))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("mode", choices=["certs", "strings"])
    p.add_argument("out")
    p.add_argument("--count", type=int, default=500)
    p.add_argument("--mutated", type=int, default=200)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    if args.mode == "certs":
        certs_mode(args)
    else:
        strings_mode(args)


if __name__ == "__main__":
    sys.exit(main())
