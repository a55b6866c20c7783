/* Certificate decoding: _ssl._test_decode_cert and getpeercert() in dict
 * form, compared with CPython's repr() of the same certificates (oracle:
 * certdecode). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rec_decode(results *r, const char *id, const char *file) {
    pyssl_value *v = NULL;
    pyssl_error_clear();
    int ret = pyssl_test_decode_cert(cert_path(file), &v);
    if (ret < 0) {
        rec_error(r, id, ret);
        return;
    }
    char *text = v ? pyssl_value_repr(v) : NULL;
    rec_value(r, id, v ? (text ? text : "(repr failed)") : "None");
    pyssl_string_free(text);
    pyssl_value_free(v);
}

static void test_decode(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    const char *names[] = {"ca", "server", "client", "selfsigned", "expired", "wronghost"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char id[64], file[64];
        snprintf(id, sizeof id, "cert.decode.%s", names[i]);
        snprintf(file, sizeof file, "%s.pem", names[i]);
        rec_decode(&r, id, file);
    }
    rec_decode(&r, "cert.decode.missing", "missing.pem");
    rec_decode(&r, "cert.decode.bad", "bad.pem");
    check_steps(&r, "cert.decode.", NULL);
}

struct ctxs {
    pyssl_context *cctx, *sctx;
    const char *host;
    const char *prefix;
};

static void peer_server(pair *p, int *fd) {
    struct ctxs *c = p->arg;
    pyssl_socket *o = pyssl_socket_new(c->sctx, *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        rec_handshake(p->r, sid(c->prefix, "server.handshake"), o);
        rec_peercert(p->r, sid(c->prefix, "server.peercert"), o, 0);
    }
    pair_wait(p, 0);
    pyssl_socket_free(o);
}

static void peer_client(pair *p, int *fd) {
    struct ctxs *c = p->arg;
    pyssl_socket *o = pyssl_socket_new(c->cctx, *fd, 0, c->host);
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (strcmp(c->prefix, "cert.peer.") == 0)
            rec_peercert(p->r, sid(c->prefix, "client.peercert_before"), o, 0);
        rec_handshake(p->r, sid(c->prefix, "client.handshake"), o);
        rec_peercert(p->r, sid(c->prefix, "client.peercert"), o, 0);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_peer_dict(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct ctxs c = {client_ctx(r.mode, "ca.pem", "client"),
                     server_ctx(r.mode, "server", PYSSL_CERT_REQUIRED, "ca.pem"),
                     "localhost", "cert.peer."};
    assert_non_null(c.cctx);
    assert_non_null(c.sctx);
    run_pair(&r, 0, peer_client, peer_server, &c);
    pyssl_context_free(c.cctx);
    pyssl_context_free(c.sctx);
    check_steps(&r, "cert.peer.", NULL);
}

static void test_unverified_dict(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct ctxs c = {client_ctx(r.mode, NULL, NULL),
                     server_ctx(r.mode, "selfsigned", PYSSL_CERT_NONE, NULL), NULL,
                     "cert.unverified."};
    assert_non_null(c.cctx);
    assert_non_null(c.sctx);
    assert_int_equal(pyssl_context_set_check_hostname(c.cctx, 0), 0);
    assert_int_equal(pyssl_context_set_verify_mode(c.cctx, PYSSL_CERT_NONE), 0);
    run_pair(&r, 0, peer_client, peer_server, &c);
    pyssl_context_free(c.cctx);
    pyssl_context_free(c.sctx);
    check_steps(&r, "cert.unverified.", NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_decode),
        MODE_TESTS(test_peer_dict),
        MODE_TESTS(test_unverified_dict),
    };
    return cmocka_run_group_tests_name("certdecode", tests, NULL, NULL);
}
