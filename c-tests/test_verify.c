/* Certificate verification failures and their absence (oracle:
 * verify_failures). The client fails with SSLCertVerificationError
 * (PYSSL_ERROR_SSL, verify_code/verify_message, library SSL, reason
 * CERTIFICATE_VERIFY_FAILED); the server sees the alert. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

#define VERIFY_TEST(name, prefix, ca, server_cert, host)                       \
    static void name(void **state) {                                           \
        results r;                                                             \
        results_init(&r, TEST_MODE(state));                                    \
        simple_pair(&r, prefix, client_ctx(r.mode, ca, NULL),                  \
                    server_ctx(r.mode, server_cert, PYSSL_CERT_NONE, NULL), host, \
                    0, LONG_TIMEOUT);                                          \
        check_steps(&r, prefix, NULL);                                         \
    }

VERIFY_TEST(test_verify_unknown_ca, "verify.unknown_ca.", "selfsigned.pem", "server",
            "localhost")
VERIFY_TEST(test_verify_no_ca, "verify.no_ca.", NULL, "server", "localhost")
VERIFY_TEST(test_verify_self_signed, "verify.self_signed.", "ca.pem", "selfsigned",
            "localhost")
VERIFY_TEST(test_verify_expired, "verify.expired.", "ca.pem", "expired", "localhost")
VERIFY_TEST(test_verify_hostname_mismatch, "verify.hostname_mismatch.", "ca.pem",
            "wronghost", "localhost")
VERIFY_TEST(test_verify_hostname_mismatch_name, "verify.hostname_mismatch_name.",
            "ca.pem", "server", "example.org")
VERIFY_TEST(test_verify_ip_mismatch, "verify.ip_mismatch.", "ca.pem", "server",
            "127.0.0.2")
VERIFY_TEST(test_verify_ipv6_mismatch, "verify.ipv6_mismatch.", "ca.pem", "server", "::1")
VERIFY_TEST(test_verify_hostname_trailing_dot, "verify.hostname_trailing_dot.", "ca.pem",
            "server", "localhost.")

static void test_verify_check_hostname_off(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    assert_int_equal(pyssl_context_set_check_hostname(c, 0), 0);
    simple_pair(&r, "verify.check_hostname_off.", c,
                server_ctx(r.mode, "wronghost", PYSSL_CERT_NONE, NULL), "localhost", 0,
                LONG_TIMEOUT);
    check_steps(&r, "verify.check_hostname_off.", NULL);
}

static void test_verify_cert_none(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(pyssl_context_set_check_hostname(c, 0), 0);
    assert_int_equal(pyssl_context_set_verify_mode(c, PYSSL_CERT_NONE), 0);
    simple_pair(&r, "verify.cert_none.", c,
                server_ctx(r.mode, "selfsigned", PYSSL_CERT_NONE, NULL), NULL, 0,
                LONG_TIMEOUT);
    check_steps(&r, "verify.cert_none.", NULL);
}

/* The C-only accessors of one failure, which the oracle has no column for:
 * the status, the OpenSSL numbers behind library/reason, and strerror. */
struct accessors {
    pyssl_context *ctx;
    int ret, status, lib_code, reason_code;
    long verify_code;
    char *strerror, *message;
};

static void accessors_client(pair *p, int *fd) {
    struct accessors *a = p->arg;
    pyssl_socket *o = pyssl_socket_new(a->ctx, *fd, 0, "localhost");
    if (!o)
        return;
    pyssl_socket_set_timeout(o, LONG_TIMEOUT);
    a->ret = pyssl_do_handshake(o);
    a->status = pyssl_error_status();
    a->lib_code = pyssl_error_lib_code();
    a->reason_code = pyssl_error_reason_code();
    a->verify_code = pyssl_error_verify_code();
    a->strerror = pyssl_error_strerror() ? strdup(pyssl_error_strerror()) : NULL;
    a->message = pyssl_error_message() ? strdup(pyssl_error_message()) : NULL;
    pyssl_socket_free(o);
}

static void accessors_server(pair *p, int *fd) {
    pyssl_context *ctx = server_ctx(p->mode, "selfsigned", PYSSL_CERT_NONE, NULL);
    pyssl_socket *o = ctx ? pyssl_socket_new(ctx, *fd, 1, NULL) : NULL;
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        pyssl_do_handshake(o);
    }
    pyssl_socket_free(o);
    pyssl_context_free(ctx);
}

static void test_verify_accessors(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct accessors a;
    memset(&a, 0, sizeof a);
    a.ctx = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(a.ctx);
    run_pair(&r, 0, accessors_client, accessors_server, &a);
    pyssl_context_free(a.ctx);
    results_free(&r);
    assert_int_equal(a.ret, PYSSL_ERROR_SSL);
    assert_int_equal(a.status, PYSSL_ERROR_SSL);
    assert_int_equal(a.lib_code, 20);      /* ERR_LIB_SSL */
    assert_int_equal(a.reason_code, 134);  /* SSL_R_CERTIFICATE_VERIFY_FAILED */
    assert_int_equal(a.verify_code, 18);   /* X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT */
    assert_non_null(a.message);
    assert_non_null(a.strerror);
    /* SSLError's strerror is the whole message (CPython's str(exc)). */
    assert_string_equal(a.strerror, a.message);
    free(a.strerror);
    free(a.message);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_verify_unknown_ca),
        MODE_TESTS(test_verify_no_ca),
        MODE_TESTS(test_verify_self_signed),
        MODE_TESTS(test_verify_expired),
        MODE_TESTS(test_verify_hostname_mismatch),
        MODE_TESTS(test_verify_hostname_mismatch_name),
        MODE_TESTS(test_verify_ip_mismatch),
        MODE_TESTS(test_verify_ipv6_mismatch),
        MODE_TESTS(test_verify_hostname_trailing_dot),
        MODE_TESTS(test_verify_check_hostname_off),
        MODE_TESTS(test_verify_cert_none),
        MODE_TESTS(test_verify_accessors),
    };
    return cmocka_run_group_tests_name("verify", tests, NULL, NULL);
}
