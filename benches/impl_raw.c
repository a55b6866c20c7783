/*
 * Raw OpenSSL: the floor for pyssl. Contexts and connections get exactly
 * the settings pyssl (following CPython's _ssl.c) applies, so the only
 * difference left is pyssl's own per-call work. main.c checks at start-up
 * that the options and protocol bounds match pyssl's contexts.
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

static SSL_CTX *slots[3][2];
static SSL_CTX *cctx, *sctx;
static int slot;

void raw_use_slot(int k)
{
    slots[slot][0] = cctx;
    slots[slot][1] = sctx;
    slot = k;
    cctx = slots[k][0];
    sctx = slots[k][1];
}
static char errbuf[512];

static const char *raw_last_error(void)
{
    unsigned long e = ERR_peek_last_error();
    if (!e)
        return "no OpenSSL error";
    ERR_error_string_n(e, errbuf, sizeof errbuf);
    return errbuf;
}

static int no_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                   const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl, (void)out, (void)outlen, (void)in, (void)inlen, (void)arg;
    return SSL_TLSEXT_ERR_NOACK;
}

SSL_CTX *raw_ctx_new(const bench_cfg *cfg, int server)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx)
        return NULL;
    /* PROTOCOL_TLS_CLIENT: CERT_REQUIRED (+ check_hostname, per socket);
     * PROTOCOL_TLS_SERVER: CERT_NONE. */
    SSL_CTX_set_verify(ctx, server ? SSL_VERIFY_NONE : SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       SSL_CTX_get_verify_callback(ctx));
    uint64_t options = (SSL_OP_ALL & ~SSL_OP_DONT_INSERT_EMPTY_FRAGMENTS) | SSL_OP_NO_SSLv3 |
                       SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_SINGLE_DH_USE |
                       SSL_OP_SINGLE_ECDH_USE;
    SSL_CTX_set_options(ctx, options);
    /* OpenSSL's default cipher list, as pyssl and Debian's CPython (built
     * with --with-ssl-default-suites=openssl) leave it: no cipher string.
     * check_same_settings compares the lists. */
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION))
        goto fail;
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"Python", sizeof "Python");
    X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_TRUSTED_FIRST);
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    SSL_CTX_set_post_handshake_auth(ctx, 0);
    SSL_CTX_set_alpn_select_cb(ctx, no_alpn, NULL);
    if (cfg->tls12 && !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION))
        goto fail;

    char path[1024];
    if (server) {
        char key[1024];
        snprintf(path, sizeof path, "%s/%s.pem", cfg->certdir, cfg->key);
        snprintf(key, sizeof key, "%s/%s.key", cfg->certdir, cfg->key);
        if (SSL_CTX_use_certificate_chain_file(ctx, path) != 1 ||
            SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1 || SSL_CTX_check_private_key(ctx) != 1)
            goto fail;
    } else {
        snprintf(path, sizeof path, "%s/ca.pem", cfg->certdir);
        if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1)
            goto fail;
    }
    return ctx;
fail:
    SSL_CTX_free(ctx);
    return NULL;
}

/* SSL_new + the per-socket settings pyssl's Socket::new applies. */
static SSL *raw_ssl_new(SSL_CTX *ctx, int fd, int server)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    if (fd >= 0 && SSL_set_fd(ssl, fd) != 1)
        goto fail;
    if (fd < 0) {
        /* memory BIOs: "no data yet" is a retry, not EOF */
        BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
        if (!in || !out) {
            BIO_free(in);
            BIO_free(out);
            goto fail;
        }
        BIO_set_mem_eof_return(in, -1);
        BIO_set_mem_eof_return(out, -1);
        SSL_set_bio(ssl, in, out);
    }
    SSL_set_mode(ssl, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_AUTO_RETRY);
    if (server) {
        SSL_set_accept_state(ssl);
    } else {
        /* server_hostname="localhost" with check_hostname: SNI + host check. */
        if (!SSL_set_tlsext_host_name(ssl, "localhost") ||
            !X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl), "localhost", 9))
            goto fail;
        SSL_set_connect_state(ssl);
    }
    return ssl;
fail:
    SSL_free(ssl);
    return NULL;
}

static int raw_setup(const bench_cfg *cfg)
{
    cctx = raw_ctx_new(cfg, 0);
    sctx = raw_ctx_new(cfg, 1);
    return cctx && sctx ? 0 : -1;
}

static void raw_teardown(void)
{
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
    cctx = sctx = NULL;
}

static void *raw_conn_new(int fd, int server, int nonblocking, void *session)
{
    if (nonblocking)
        set_nonblocking(fd, 1);
    SSL *ssl = raw_ssl_new(server ? sctx : cctx, fd, server);
    if (ssl && session && SSL_set_session(ssl, session) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

static void raw_conn_free(void *c) { SSL_free(c); }

static void *raw_conn_new_mem(int server) { return raw_ssl_new(server ? sctx : cctx, -1, server); }

static size_t raw_mem_move(void *from, void *to)
{
    char buf[4096];
    size_t moved = 0;
    int n;
    while ((n = BIO_read(SSL_get_wbio(from), buf, sizeof buf)) > 0) {
        if (BIO_write(SSL_get_rbio(to), buf, n) != n)
            die("raw: BIO_write to a memory BIO failed");
        moved += (size_t)n;
    }
    return moved;
}

static void raw_set_blocking(void *c, int fd, int blocking)
{
    (void)c;
    set_nonblocking(fd, !blocking);
}

static int status(SSL *ssl, int ret)
{
    switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
        return B_WANT_READ;
    case SSL_ERROR_WANT_WRITE:
        return B_WANT_WRITE;
    case SSL_ERROR_ZERO_RETURN:
        return B_CLOSED;
    default:
        return B_ERR;
    }
}

static int raw_handshake(void *c)
{
    int r = SSL_do_handshake(c);
    return r == 1 ? B_OK : status(c, r);
}

static ssize_t raw_read(void *c, void *buf, size_t n)
{
    size_t got;
    if (SSL_read_ex(c, buf, n, &got) == 1)
        return (ssize_t)got;
    return status(c, 0);
}

static ssize_t raw_write(void *c, const void *buf, size_t n)
{
    size_t put;
    if (SSL_write_ex(c, buf, n, &put) == 1)
        return (ssize_t)put;
    return status(c, 0);
}

static int raw_shutdown(void *c)
{
    /* As CPython: a 0 (close_notify sent) is followed by a second call,
     * which waits for the peer's. */
    int r = SSL_shutdown(c);
    if (r == 0)
        r = SSL_shutdown(c);
    if (r == 1)
        return B_OK;
    return r == 0 ? B_WANT_READ : status(c, r);
}

static void *raw_get_session(void *c) { return SSL_get1_session(c); }
static void raw_session_free(void *s) { SSL_SESSION_free(s); }
static int raw_session_reused(void *c) { return SSL_session_reused(c); }

static int raw_peercert(void *c, int binary)
{
    X509 *cert = SSL_get1_peer_certificate(c);
    if (!cert)
        return B_ERR;
    int rc = 0;
    if (binary) {
        unsigned char *der = NULL;
        int len = i2d_X509(cert, &der);
        if (len <= 0)
            rc = B_ERR;
        OPENSSL_free(der);
    } else {
        rc = raw_decode_cert(cert) == 0 ? 0 : B_ERR;
    }
    X509_free(cert);
    return rc;
}

static const char *raw_version(void *c) { return SSL_get_version(c); }
static const char *raw_cipher(void *c) { return SSL_CIPHER_get_name(SSL_get_current_cipher(c)); }

const impl impl_raw = {
    .name = "raw",
    .setup = raw_setup,
    .teardown = raw_teardown,
    .conn_new = raw_conn_new,
    .conn_free = raw_conn_free,
    .conn_new_mem = raw_conn_new_mem,
    .mem_move = raw_mem_move,
    .set_blocking = raw_set_blocking,
    .handshake = raw_handshake,
    .read = raw_read,
    .write = raw_write,
    .shutdown = raw_shutdown,
    .get_session = raw_get_session,
    .session_free = raw_session_free,
    .session_reused = raw_session_reused,
    .peercert = raw_peercert,
    .version = raw_version,
    .cipher = raw_cipher,
    .last_error = raw_last_error,
};
