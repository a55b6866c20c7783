"""Makes the oracle interpreter create contexts as Debian's CPython builds
do, whose rules pyssl follows in every mode.

Debian builds CPython with --with-ssl-default-suites=openssl: a new context
keeps OpenSSL's default cipher list and leaves minimum_version at
MINIMUM_SUPPORTED. An interpreter built with CPython's own default suites
(pyenv's, python.org's) sets its cipher string and TLS 1.2 instead; on one
of those, every new SSLContext is given Debian's defaults, so that it can
stand in for Debian's build of the same version. On Debian's own
interpreters (the host's 3.11, the chroots' 3.13 and 3.14) this does nothing.
Imported by the oracle scripts before they make any context."""
import ssl

import _ssl

OPENSSL_DEFAULT_CIPHERS = "ALL:!COMPLEMENTOFDEFAULT:!eNULL"

if _ssl._DEFAULT_CIPHERS != OPENSSL_DEFAULT_CIPHERS:
    _new = ssl.SSLContext.__new__

    def _debian_new(cls, protocol=None, *args, **kwargs):
        ctx = _new(cls, protocol, *args, **kwargs)
        ctx.set_ciphers(OPENSSL_DEFAULT_CIPHERS)
        ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        return ctx

    ssl.SSLContext.__new__ = _debian_new
