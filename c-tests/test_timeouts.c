/* Socket timeouts against a peer that never answers (oracle: timeouts):
 * TimeoutError with CPython's texts, after about the timeout. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The side that never says anything: waits until the other is done. */
static void silent(pair *p, int *fd) {
    (void)fd;
    pair_wait(p, 0);
}

struct timed {
    pyssl_context *ctx;
    double elapsed;
};

static void hs_client(pair *p, int *fd) {
    struct timed *t = p->arg;
    pyssl_socket *o = pyssl_socket_new(t->ctx, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, SHORT_TIMEOUT);
        double t0 = now();
        rec_handshake(p->r, "timeout.handshake.client.handshake", o);
        t->elapsed = now() - t0;
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void assert_elapsed(double elapsed) {
    /* One deadline of SHORT_TIMEOUT, not per retry and not forever. */
    if (elapsed < SHORT_TIMEOUT * 0.9 || elapsed > SHORT_TIMEOUT + 1.0)
        fail_msg("the operation took %.3f s with a %.1f s timeout", elapsed,
                 SHORT_TIMEOUT);
}

static void test_timeout_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct timed t = {client_ctx(r.mode, "ca.pem", NULL), 0};
    assert_non_null(t.ctx);
    run_pair(&r, 0, hs_client, silent, &t);
    pyssl_context_free(t.ctx);
    assert_elapsed(t.elapsed);
    check_steps(&r, "timeout.handshake.", NULL);
}

static void rd_client(pair *p, int *fd) {
    struct timed *t = p->arg;
    pyssl_socket *o = pyssl_socket_new(t->ctx, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, SHORT_TIMEOUT);
        double t0 = now();
        rec_read(p->r, "timeout.read_before_handshake.client.read", o, 10);
        t->elapsed = now() - t0;
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_timeout_read_before_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct timed t = {client_ctx(r.mode, "ca.pem", NULL), 0};
    assert_non_null(t.ctx);
    run_pair(&r, 0, rd_client, silent, &t);
    pyssl_context_free(t.ctx);
    assert_elapsed(t.elapsed);
    check_steps(&r, "timeout.read_before_handshake.", NULL);
}

static void hs_server(pair *p, int *fd) {
    struct timed *t = p->arg;
    pyssl_socket *o = pyssl_socket_new(t->ctx, *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, SHORT_TIMEOUT);
        double t0 = now();
        rec_handshake(p->r, "timeout.server_handshake.server.handshake", o);
        t->elapsed = now() - t0;
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_timeout_server_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct timed t = {server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL), 0};
    assert_non_null(t.ctx);
    run_pair(&r, 0, silent, hs_server, &t);
    pyssl_context_free(t.ctx);
    assert_elapsed(t.elapsed);
    check_steps(&r, "timeout.server_handshake.", NULL);
}

/* After a good handshake the server falls silent; the client then uses a
 * short timeout for one action. */
enum action { READ, WRITE, SHUTDOWN };

struct after {
    const char *prefix;
    enum action action;
    pyssl_context *cctx, *sctx;
    double elapsed;
};

static void after_server(pair *p, int *fd) {
    struct after *a = p->arg;
    pyssl_socket *o = pyssl_socket_new(a->sctx, *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        rec_handshake(p->r, sid(a->prefix, "server.handshake"), o);
    }
    pair_wait(p, 0);
    pyssl_socket_free(o);
}

static void after_client(pair *p, int *fd) {
    struct after *a = p->arg;
    pyssl_socket *o = pyssl_socket_new(a->cctx, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (rec_handshake(p->r, sid(a->prefix, "client.handshake"), o) >= 0) {
            pyssl_socket_set_timeout(o, SHORT_TIMEOUT);
            double t0 = now();
            if (a->action == READ) {
                rec_read(p->r, sid(a->prefix, "client.read"), o, 10);
            } else if (a->action == WRITE) {
                char *big = malloc(BIG_WRITE);
                memset(big, 'x', BIG_WRITE);
                rec_write(p->r, sid(a->prefix, "client.write"), o, big, BIG_WRITE);
                free(big);
            } else {
                rec_shutdown(p->r, sid(a->prefix, "client.shutdown"), o);
            }
            a->elapsed = now() - t0;
        }
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void run_after(void **state, const char *prefix, enum action action) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct after a = {prefix, action, client_ctx(r.mode, "ca.pem", NULL),
                      server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL), 0};
    assert_non_null(a.cctx);
    assert_non_null(a.sctx);
    run_pair(&r, 0, after_client, after_server, &a);
    pyssl_context_free(a.cctx);
    pyssl_context_free(a.sctx);
    assert_elapsed(a.elapsed);
    check_steps(&r, prefix, NULL);
}

static void test_timeout_read(void **state) { run_after(state, "timeout.read.", READ); }
static void test_timeout_write(void **state) { run_after(state, "timeout.write.", WRITE); }
static void test_timeout_shutdown(void **state) {
    run_after(state, "timeout.shutdown.", SHUTDOWN);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_timeout_handshake),
        MODE_TESTS(test_timeout_read_before_handshake),
        MODE_TESTS(test_timeout_server_handshake),
        MODE_TESTS(test_timeout_read),
        MODE_TESTS(test_timeout_write),
        MODE_TESTS(test_timeout_shutdown),
    };
    return cmocka_run_group_tests_name("timeouts", tests, NULL, NULL);
}
