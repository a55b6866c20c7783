/*
 * pyssl from C: the same interface as impl_raw.c over pyssl's C API.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/ssl.h>

#include "pyssl.h"

static pyssl_context *pctx_client, *pctx_server;
static char errbuf[1024];

typedef struct pconn {
    pyssl_socket *s;
    pyssl_memory_bio *in, *out; /* memory-BIO connections only */
} pconn;

static const char *p_last_error(void)
{
    snprintf(errbuf, sizeof errbuf, "%s: %s", pyssl_error_type() ? pyssl_error_type() : "?",
             pyssl_error_message() ? pyssl_error_message() : "?");
    return errbuf;
}

static int p_setup(const bench_cfg *cfg)
{
    char ca[1024], cert[1024], key[1024];
    snprintf(ca, sizeof ca, "%s/ca.pem", cfg->certdir);
    snprintf(cert, sizeof cert, "%s/%s.pem", cfg->certdir, cfg->key);
    snprintf(key, sizeof key, "%s/%s.key", cfg->certdir, cfg->key);
    pctx_client = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    pctx_server = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    if (!pctx_client || !pctx_server)
        return -1;
    if (pyssl_context_load_verify_locations(pctx_client, ca, NULL) < 0 ||
        pyssl_context_load_cert_chain(pctx_server, cert, key, NULL) < 0)
        return -1;
    if (cfg->tls12 && (pyssl_context_set_maximum_version(pctx_client, PYSSL_TLS_VERSION_TLSV1_2) < 0 ||
                       pyssl_context_set_maximum_version(pctx_server, PYSSL_TLS_VERSION_TLSV1_2) < 0))
        return -1;
    return 0;
}

static void p_teardown(void)
{
    pyssl_context_free(pctx_client);
    pyssl_context_free(pctx_server);
    pctx_client = pctx_server = NULL;
}

static void *p_conn_new(int fd, int server, int nonblocking, void *session)
{
    pconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->s = pyssl_socket_new(server ? pctx_server : pctx_client, fd, server, server ? NULL : "localhost");
    if (!c->s)
        goto fail;
    if (nonblocking && pyssl_socket_set_timeout(c->s, 0.0) < 0)
        goto fail;
    if (session && pyssl_socket_set_session(c->s, session) < 0)
        goto fail;
    return c;
fail:
    pyssl_socket_free(c->s);
    free(c);
    return NULL;
}

static void p_conn_free(void *cv)
{
    pconn *c = cv;
    pyssl_socket_free(c->s);
    pyssl_memory_bio_free(c->in);
    pyssl_memory_bio_free(c->out);
    free(c);
}

static void *p_conn_new_mem(int server)
{
    pconn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->in = pyssl_memory_bio_new();
    c->out = pyssl_memory_bio_new();
    if (c->in && c->out)
        c->s = pyssl_socket_new_bio(server ? pctx_server : pctx_client, c->in, c->out, server,
                                    server ? NULL : "localhost");
    if (!c->s) {
        p_conn_free(c);
        return NULL;
    }
    return c;
}

static size_t p_mem_move(void *fromv, void *tov)
{
    pconn *from = fromv, *to = tov;
    char buf[4096];
    size_t moved = 0;
    ssize_t n;
    while ((n = pyssl_memory_bio_read(from->out, buf, sizeof buf)) > 0) {
        if (pyssl_memory_bio_write(to->in, buf, (size_t)n) != n)
            die("pyssl: pyssl_memory_bio_write failed");
        moved += (size_t)n;
    }
    return moved;
}

static void p_set_blocking(void *cv, int fd, int blocking)
{
    pconn *c = cv;
    (void)fd;
    if (pyssl_socket_set_timeout(c->s, blocking ? -1.0 : 0.0) < 0) {
        die("pyssl_socket_set_timeout: %s", p_last_error());
    }
}

static int map(ssize_t r)
{
    switch (r) {
    case PYSSL_ERROR_WANT_READ:
        return B_WANT_READ;
    case PYSSL_ERROR_WANT_WRITE:
        return B_WANT_WRITE;
    case PYSSL_ERROR_ZERO_RETURN:
        return B_CLOSED;
    default:
        return B_ERR;
    }
}

static int p_handshake(void *cv)
{
    int r = pyssl_do_handshake(((pconn *)cv)->s);
    return r == 0 ? B_OK : map(r);
}

static ssize_t p_read(void *cv, void *buf, size_t n)
{
    ssize_t r = pyssl_read(((pconn *)cv)->s, buf, n);
    if (r > 0)
        return r;
    return r == 0 ? B_CLOSED : map(r);
}

static ssize_t p_write(void *cv, const void *buf, size_t n)
{
    ssize_t r = pyssl_write(((pconn *)cv)->s, buf, n);
    return r >= 0 ? r : map(r);
}

static int p_shutdown(void *cv)
{
    int r = pyssl_shutdown(((pconn *)cv)->s);
    return r == 0 ? B_OK : map(r);
}

static void *p_get_session(void *cv)
{
    pyssl_session *sess = NULL;
    if (pyssl_socket_get_session(((pconn *)cv)->s, &sess) < 0)
        return NULL;
    return sess;
}

static void p_session_free(void *s) { pyssl_session_free(s); }

static int p_session_reused(void *cv) { return pyssl_socket_session_reused(((pconn *)cv)->s) == 1; }

static int p_peercert(void *cv, int binary)
{
    pyssl_value *v = NULL;
    if (pyssl_getpeercert(((pconn *)cv)->s, binary, &v) < 0)
        return B_ERR;
    if (!v)
        return B_ERR;
    pyssl_value_free(v);
    return 0;
}

static const char *p_version(void *cv) { return pyssl_socket_version(((pconn *)cv)->s); }

static const char *p_cipher(void *cv)
{
    const char *name = NULL;
    if (pyssl_socket_cipher(((pconn *)cv)->s, &name, NULL, NULL) != 1)
        return NULL;
    return name;
}

int bench_fresh_peercert(struct ssl_st *ssl, int fd)
{
    pyssl_socket *s = pyssl_socket_wrap_ssl(ssl, 0, "localhost", PYSSL_COMPAT_3_11);
    if (!s)
        return B_ERR;
    pyssl_value *v = NULL;
    int rc = B_ERR;
    if (pyssl_socket_set_io(s, fd, 0) == 0 && pyssl_getpeercert(s, 0, &v) == 0 && v)
        rc = 0;
    pyssl_value_free(v);
    pyssl_socket_free(s);
    return rc;
}

int bench_decode_only(struct x509_st *cert)
{
    pyssl_value *v = NULL;
    if (pyssl_decode_x509(cert, &v) < 0 || !v)
        return B_ERR;
    pyssl_value_free(v);
    return 0;
}

const impl impl_pyssl = {
    .name = "pyssl",
    .setup = p_setup,
    .teardown = p_teardown,
    .conn_new = p_conn_new,
    .conn_free = p_conn_free,
    .conn_new_mem = p_conn_new_mem,
    .mem_move = p_mem_move,
    .set_blocking = p_set_blocking,
    .handshake = p_handshake,
    .read = p_read,
    .write = p_write,
    .shutdown = p_shutdown,
    .get_session = p_get_session,
    .session_free = p_session_free,
    .session_reused = p_session_reused,
    .peercert = p_peercert,
    .version = p_version,
    .cipher = p_cipher,
    .last_error = p_last_error,
};

/* Whether raw_ctx_new matches pyssl's contexts: options and protocol
 * bounds, read back from both. Prints what differs; 0 when equal. */
int check_same_settings(const bench_cfg *cfg)
{
    int bad = 0;
    for (int server = 0; server <= 1; server++) {
        pyssl_context *p = pyssl_context_new(server ? PYSSL_PROTOCOL_TLS_SERVER : PYSSL_PROTOCOL_TLS_CLIENT);
        SSL_CTX *r = raw_ctx_new(cfg, server);
        if (!p || !r)
            die("check_same_settings: cannot create contexts");
        if (cfg->tls12)
            pyssl_context_set_maximum_version(p, PYSSL_TLS_VERSION_TLSV1_2);
        uint64_t popts = 0;
        pyssl_context_get_options(p, &popts);
        uint64_t ropts = SSL_CTX_get_options(r);
        if (popts != ropts) {
            fprintf(stderr, "settings differ (%s): pyssl options %#llx, raw %#llx\n", server ? "server" : "client",
                    (unsigned long long)popts, (unsigned long long)ropts);
            bad = 1;
        }
        if (pyssl_context_get_minimum_version(p) != (int)SSL_CTX_get_min_proto_version(r)) {
            fprintf(stderr, "settings differ: minimum_version\n");
            bad = 1;
        }
        int pmax = pyssl_context_get_maximum_version(p);
        int rmax = (int)SSL_CTX_get_max_proto_version(r);
        if (!(pmax == rmax || (pmax == PYSSL_TLS_VERSION_MAXIMUM_SUPPORTED && rmax == 0))) {
            fprintf(stderr, "settings differ: maximum_version %d vs %d\n", pmax, rmax);
            bad = 1;
        }
        /* The cipher lists: their lengths, then every name in order. */
        pyssl_value *ciphers = NULL;
        STACK_OF(SSL_CIPHER) *rc = SSL_CTX_get_ciphers(r);
        if (pyssl_context_get_ciphers(p, &ciphers) < 0 || pyssl_value_len(ciphers) != sk_SSL_CIPHER_num(rc)) {
            fprintf(stderr, "settings differ (%s): pyssl has %zd ciphers, raw %d\n", server ? "server" : "client",
                    ciphers ? pyssl_value_len(ciphers) : -1, sk_SSL_CIPHER_num(rc));
            bad = 1;
        } else {
            for (int i = 0; i < sk_SSL_CIPHER_num(rc); i++) {
                const pyssl_value *name = pyssl_value_dict_get(pyssl_value_list_item(ciphers, (size_t)i), "name");
                const char *pn = name ? pyssl_value_str(name, NULL) : NULL;
                const char *rn = SSL_CIPHER_get_name(sk_SSL_CIPHER_value(rc, i));
                if (!pn || strcmp(pn, rn) != 0) {
                    fprintf(stderr, "settings differ: cipher %d is %s in pyssl, %s in raw\n", i, pn ? pn : "?", rn);
                    bad = 1;
                    break;
                }
            }
        }
        pyssl_value_free(ciphers);
        int pmode = pyssl_context_get_verify_mode(p);
        int rmode = SSL_CTX_get_verify_mode(r);
        int rmode_py = rmode == SSL_VERIFY_NONE ? PYSSL_CERT_NONE
                       : rmode == SSL_VERIFY_PEER ? PYSSL_CERT_OPTIONAL
                                                  : PYSSL_CERT_REQUIRED;
        if (pmode != rmode_py) {
            fprintf(stderr, "settings differ: verify_mode %d vs %d\n", pmode, rmode_py);
            bad = 1;
        }
        pyssl_context_free(p);
        SSL_CTX_free(r);
    }
    return bad;
}
