"""Writes seed inputs for the hostile_peer fuzz target: real TLS flights
from Python's ssl (client hellos for pyssl servers, server flights for pyssl
clients), each behind a flags byte (see fuzz_targets/hostile_peer.rs).
Run with python3 from fuzz/: python3 seeds/make_seeds.py"""
import os
import ssl

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "hostile_peer")


def flights(max_version):
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.load_cert_chain(os.path.join(HERE, "fuzz.pem"), os.path.join(HERE, "fuzz.key"))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.load_verify_locations(os.path.join(HERE, "fuzz.pem"))
    cctx.maximum_version = max_version
    ci, co, si, so = (ssl.MemoryBIO() for _ in range(4))
    c = cctx.wrap_bio(ci, co, server_hostname="localhost")
    s = sctx.wrap_bio(si, so, server_side=True)
    to_server, to_client = b"", b""
    for _ in range(6):
        for obj in (c, s):
            try:
                obj.do_handshake()
            except ssl.SSLWantReadError:
                pass
        a, b = co.read(), so.read()
        to_server += a
        to_client += b
        si.write(a)
        ci.write(b)
    c.write(b"hello")
    s.write(b"world")
    to_server += co.read()
    to_client += so.read()
    return to_server, to_client


os.makedirs(OUT, exist_ok=True)
for name, ver in (("tls13", ssl.TLSVersion.TLSv1_3), ("tls12", ssl.TLSVersion.TLSv1_2)):
    to_server, to_client = flights(ver)
    for flags, data, who in ((0x31, to_server, "server"), (0x30, to_client, "client")):
        for transport in (0, 1):
            f = flags | (transport << 1)
            with open(os.path.join(OUT, f"{name}-{who}-t{transport}"), "wb") as fh:
                fh.write(bytes([f]) + data)
