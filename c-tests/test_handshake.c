/* Handshakes between a pyssl client and a pyssl server (oracle: hs_basic,
 * hs_variants, misc). */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* ---- hs.basic: blocking sockets, data both ways, client shuts down first */

static void basic_server(pair *p, int *fd) {
    pyssl_context *ctx = ((pyssl_context **)p->arg)[0];
    results *r = p->r;
    pyssl_socket *o = pyssl_socket_new(ctx, *fd, 1, NULL);
    if (!o) {
        rec_error(r, "hs.basic.server.new", pyssl_error_status());
        return;
    }
    if (rec_handshake(r, "hs.basic.server.handshake", o) >= 0) {
        rec_version(r, "hs.basic.server.version", o);
        rec_peercert(r, "hs.basic.server.peercert", o, 1);
        rec_read(r, "hs.basic.server.read", o, 4);
        rec_write(r, "hs.basic.server.write", o, "pong", 4);
        rec_read(r, "hs.basic.server.read_eof", o, 100);
        rec_shutdown(r, "hs.basic.server.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void basic_client(pair *p, int *fd) {
    pyssl_context *ctx = ((pyssl_context **)p->arg)[1];
    results *r = p->r;
    pyssl_socket *o = pyssl_socket_new(ctx, *fd, 0, "localhost");
    if (!o) {
        rec_error(r, "hs.basic.client.new", pyssl_error_status());
        return;
    }
    if (rec_handshake(r, "hs.basic.client.handshake", o) >= 0) {
        rec_version(r, "hs.basic.client.version", o);
        rec_cipher(r, "hs.basic.client.cipher", o);
        rec_peercert(r, "hs.basic.client.peercert", o, 1);
        char *v = py_str_repr(pyssl_socket_server_hostname(o));
        rec_value(r, "hs.basic.client.server_hostname", v);
        free(v);
        pyssl_error_clear();
        const char *comp = pyssl_socket_compression(o);
        if (!comp && pyssl_error_status() < 0) {
            rec_error(r, "hs.basic.client.compression", pyssl_error_status());
        } else {
            v = py_str_repr(comp);
            rec_value(r, "hs.basic.client.compression", v);
            free(v);
        }
        pyssl_error_clear();
        int reused = pyssl_socket_session_reused(o);
        if (reused < 0)
            rec_error(r, "hs.basic.client.session_reused", reused);
        else
            rec_value(r, "hs.basic.client.session_reused", reused ? "True" : "False");
        rec_write(r, "hs.basic.client.write", o, "ping", 4);
        rec_read(r, "hs.basic.client.read", o, 4);
        rec_shutdown(r, "hs.basic.client.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void test_hs_basic(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *ctxs[2] = {server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL),
                              client_ctx(r.mode, "ca.pem", NULL)};
    assert_non_null(ctxs[0]);
    assert_non_null(ctxs[1]);
    run_pair(&r, 0, basic_client, basic_server, ctxs);
    pyssl_context_free(ctxs[0]);
    pyssl_context_free(ctxs[1]);
    check_steps(&r, "hs.basic.", NULL);
}

/* ---- simple pairs ---- */

static void test_hs_ip(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.ip.", client_ctx(r.mode, "ca.pem", NULL),
                server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL), "127.0.0.1", 0,
                LONG_TIMEOUT);
    check_steps(&r, "hs.ip.", NULL);
}

static void test_hs_tcp(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.tcp.", client_ctx(r.mode, "ca.pem", NULL),
                server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL), "localhost", 1,
                LONG_TIMEOUT);
    check_steps(&r, "hs.tcp.", NULL);
}

static void test_hs_client_cert(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.client_cert.", client_ctx(r.mode, "ca.pem", "client"),
                server_ctx(r.mode, "server", PYSSL_CERT_REQUIRED, "ca.pem"), "localhost",
                0, LONG_TIMEOUT);
    check_steps(&r, "hs.client_cert.", NULL);
}

static void test_hs_client_cert_missing(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.client_cert_missing.", client_ctx(r.mode, "ca.pem", NULL),
                server_ctx(r.mode, "server", PYSSL_CERT_REQUIRED, "ca.pem"), "localhost",
                0, LONG_TIMEOUT);
    check_steps(&r, "hs.client_cert_missing.", NULL);
}

static void test_hs_client_cert_untrusted(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.client_cert_untrusted.", client_ctx(r.mode, "ca.pem", "selfsigned"),
                server_ctx(r.mode, "server", PYSSL_CERT_REQUIRED, "ca.pem"), "localhost",
                0, LONG_TIMEOUT);
    check_steps(&r, "hs.client_cert_untrusted.", NULL);
}

static void test_hs_client_cert_optional(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.client_cert_optional.", client_ctx(r.mode, "ca.pem", NULL),
                server_ctx(r.mode, "server", PYSSL_CERT_OPTIONAL, "ca.pem"), "localhost",
                0, LONG_TIMEOUT);
    check_steps(&r, "hs.client_cert_optional.", NULL);
}

static void test_hs_hostname_case(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    simple_pair(&r, "hs.hostname_case.", client_ctx(r.mode, "ca.pem", NULL),
                server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL), "LOCALHOST", 0,
                LONG_TIMEOUT);
    check_steps(&r, "hs.hostname_case.", NULL);
}

/* ---- ALPN (protocols in ssl.py's wire format) ---- */

struct alpn {
    const char *prefix;
    pyssl_context *cctx, *sctx;
};

static void rec_alpn(results *r, const char *id, pyssl_socket *s) {
    unsigned char buf[256];
    pyssl_error_clear();
    ssize_t n = pyssl_socket_selected_alpn_protocol(s, buf, sizeof buf);
    if (n < 0) {
        rec_error(r, id, n);
    } else if (n == 0) {
        rec_value(r, id, "None");
    } else {
        buf[n] = 0;
        char *v = py_str_repr((const char *)buf);
        rec_value(r, id, v);
        free(v);
    }
}

static void alpn_server(pair *p, int *fd) {
    struct alpn *a = p->arg;
    pyssl_socket *o = pyssl_socket_new(a->sctx, *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        rec_alpn(p->r, sid(a->prefix, "server.alpn_before"), o);
        if (rec_handshake(p->r, sid(a->prefix, "server.handshake"), o) >= 0)
            rec_alpn(p->r, sid(a->prefix, "server.alpn"), o);
    }
    pair_wait(p, 0);
    pyssl_socket_free(o);
}

static void alpn_client(pair *p, int *fd) {
    struct alpn *a = p->arg;
    pyssl_socket *o = pyssl_socket_new(a->cctx, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (rec_handshake(p->r, sid(a->prefix, "client.handshake"), o) >= 0)
            rec_alpn(p->r, sid(a->prefix, "client.alpn"), o);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void run_alpn(void **state, const char *prefix, const char *client_wire,
                     const char *server_wire) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct alpn a = {prefix, client_ctx(r.mode, "ca.pem", NULL),
                     server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL)};
    assert_non_null(a.cctx);
    assert_non_null(a.sctx);
    assert_int_equal(pyssl_context_set_alpn_protocols(
                         a.cctx, (const unsigned char *)client_wire, strlen(client_wire)),
                     0);
    assert_int_equal(pyssl_context_set_alpn_protocols(
                         a.sctx, (const unsigned char *)server_wire, strlen(server_wire)),
                     0);
    run_pair(&r, 0, alpn_client, alpn_server, &a);
    pyssl_context_free(a.cctx);
    pyssl_context_free(a.sctx);
    check_steps(&r, prefix, NULL);
}

static void test_hs_alpn(void **state) {
    run_alpn(state, "hs.alpn.", "\x02h2\x08http/1.1", "\x08http/1.1\x02h2");
}

static void test_hs_alpn_none(void **state) {
    run_alpn(state, "hs.alpn_none.", "\x02h2", "\x08http/1.1");
}

/* ---- record-sized reads, pending(), zero-length writes ---- */

#define PR "hs.records."
#define RECORDS_TOTAL 100000

static void records_server(pair *p, int *fd) {
    pyssl_context **ctxs = p->arg;
    pyssl_socket *o = pyssl_socket_new(ctxs[0], *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (rec_handshake(p->r, PR "server.handshake", o) >= 0) {
            char *data = malloc(RECORDS_TOTAL);
            memset(data, 'r', RECORDS_TOTAL);
            rec_write(p->r, PR "server.write", o, data, RECORDS_TOTAL);
            rec_write(p->r, PR "server.write_zero", o, "", 0);
            free(data);
            pair_wait(p, 0);
        }
    }
    pyssl_socket_free(o);
}

static void records_client(pair *p, int *fd) {
    pyssl_context **ctxs = p->arg;
    results *r = p->r;
    pyssl_socket *o = pyssl_socket_new(ctxs[1], *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (rec_handshake(r, PR "client.handshake", o) >= 0) {
            static char buf[65536];
            pyssl_error_clear();
            rec_ret(r, PR "client.read_len", pyssl_read(o, buf, sizeof buf), NULL);
            rec_pending(r, PR "client.pending", o);
            rec_read(r, PR "client.read_small", o, 10);
            rec_pending(r, PR "client.pending_after", o);
            long want = RECORDS_TOTAL - 16384 - 10, got = 0;
            ssize_t n = 1;
            while (got < want && n > 0) {
                size_t ask = (size_t)(want - got) < sizeof buf ? (size_t)(want - got)
                                                                : sizeof buf;
                pyssl_error_clear();
                n = pyssl_read(o, buf, ask);
                if (n > 0)
                    got += n;
            }
            if (n < 0)
                rec_error(r, PR "client.rest", n);
            else
                rec_ret(r, PR "client.rest", got, NULL);
            rec_write(r, PR "client.write_zero", o, "", 0);
        }
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_hs_records(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *ctxs[2] = {server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL),
                              client_ctx(r.mode, "ca.pem", NULL)};
    assert_non_null(ctxs[0]);
    assert_non_null(ctxs[1]);
    run_pair(&r, 0, records_client, records_server, ctxs);
    pyssl_context_free(ctxs[0]);
    pyssl_context_free(ctxs[1]);
    check_steps(&r, PR, NULL);
}

static void test_hs_tls12(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    assert_int_equal(pyssl_context_set_maximum_version(c, PYSSL_TLS_VERSION_TLSV1_2), 0);
    simple_pair(&r, "hs.tls12.", c, server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL),
                "localhost", 0, LONG_TIMEOUT);
    check_steps(&r, "hs.tls12.", NULL);
}

static void test_hs_no_shared_version(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *s = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(c);
    assert_non_null(s);
    assert_int_equal(pyssl_context_set_minimum_version(c, PYSSL_TLS_VERSION_TLSV1_3), 0);
    assert_int_equal(pyssl_context_set_maximum_version(s, PYSSL_TLS_VERSION_TLSV1_2), 0);
    simple_pair(&r, "hs.no_shared_version.", c, s, "localhost", 0, LONG_TIMEOUT);
    check_steps(&r, "hs.no_shared_version.", NULL);
}

static void test_hs_no_shared_cipher(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *s = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(c);
    assert_non_null(s);
    assert_int_equal(pyssl_context_set_ciphers(c, "ECDHE+AESGCM"), 0);
    assert_int_equal(pyssl_context_set_maximum_version(c, PYSSL_TLS_VERSION_TLSV1_2), 0);
    assert_int_equal(pyssl_context_set_ciphers(s, "ECDHE+CHACHA20"), 0);
    simple_pair(&r, "hs.no_shared_cipher.", c, s, "localhost", 0, LONG_TIMEOUT);
    check_steps(&r, "hs.no_shared_cipher.", NULL);
}

/* ---- misc.implicit: read/write before do_handshake handshake implicitly */

static void implicit_server(pair *p, int *fd) {
    pyssl_context *ctx = ((pyssl_context **)p->arg)[0];
    pyssl_socket *o = pyssl_socket_new(ctx, *fd, 1, NULL);
    if (!o) {
        rec_error(p->r, "misc.implicit.server.new", pyssl_error_status());
        return;
    }
    pyssl_socket_set_timeout(o, LONG_TIMEOUT);
    rec_read(p->r, "misc.implicit.server.read", o, 10);
    rec_write(p->r, "misc.implicit.server.write", o, "hi", 2);
    pyssl_socket_free(o);
}

static void implicit_client(pair *p, int *fd) {
    pyssl_context *ctx = ((pyssl_context **)p->arg)[1];
    results *r = p->r;
    pyssl_socket *o = pyssl_socket_new(ctx, *fd, 0, "localhost");
    if (!o) {
        rec_error(r, "misc.implicit.client.new", pyssl_error_status());
        return;
    }
    pyssl_socket_set_timeout(o, LONG_TIMEOUT);
    rec_version(r, "misc.implicit.client.version_before", o);
    rec_cipher(r, "misc.implicit.client.cipher_before", o);
    rec_peercert(r, "misc.implicit.client.peercert_before", o, 1);
    rec_pending(r, "misc.implicit.client.pending_before", o);
    rec_write(r, "misc.implicit.client.write", o, "hey", 3);
    rec_read(r, "misc.implicit.client.read", o, 10);
    rec_version(r, "misc.implicit.client.version", o);
    pyssl_socket_free(o);
}

static void test_misc_implicit(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *ctxs[2] = {server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL),
                              client_ctx(r.mode, "ca.pem", NULL)};
    assert_non_null(ctxs[0]);
    assert_non_null(ctxs[1]);
    run_pair(&r, 0, implicit_client, implicit_server, ctxs);
    pyssl_context_free(ctxs[0]);
    pyssl_context_free(ctxs[1]);
    check_steps(&r, "misc.implicit.", NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_hs_basic),
        MODE_TESTS(test_hs_ip),
        MODE_TESTS(test_hs_tcp),
        MODE_TESTS(test_hs_client_cert),
        MODE_TESTS(test_hs_client_cert_missing),
        MODE_TESTS(test_hs_client_cert_untrusted),
        MODE_TESTS(test_hs_client_cert_optional),
        MODE_TESTS(test_hs_hostname_case),
        MODE_TESTS(test_hs_alpn),
        MODE_TESTS(test_hs_alpn_none),
        MODE_TESTS(test_hs_records),
        MODE_TESTS(test_hs_tls12),
        MODE_TESTS(test_hs_no_shared_version),
        MODE_TESTS(test_hs_no_shared_cipher),
        MODE_TESTS(test_misc_implicit),
    };
    return cmocka_run_group_tests_name("handshake", tests, NULL, NULL);
}
