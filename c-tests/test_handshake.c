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
        MODE_TESTS(test_hs_tls12),
        MODE_TESTS(test_hs_no_shared_version),
        MODE_TESTS(test_hs_no_shared_cipher),
        MODE_TESTS(test_misc_implicit),
    };
    return cmocka_run_group_tests_name("handshake", tests, NULL, NULL);
}
