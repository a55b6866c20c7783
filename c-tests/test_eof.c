/* EOF rules (oracle: eof_rules): close_notify reads as b'' (0); a TCP close
 * without close_notify is SSLEOFError in 3.14 mode and b'' in 3.11 mode; a
 * reset; EOF during the handshake; read with len 0. */
#define _GNU_SOURCE
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ---- eof.clean: the server sends close_notify ---- */

static void clean_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "eof.clean.server.handshake", o) >= 0)
        rec_shutdown(p->r, "eof.clean.server.shutdown", o);
    pyssl_socket_free(o);
}

static void clean_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "eof.clean.client.handshake", o) >= 0) {
        rec_read(p->r, "eof.clean.client.read", o, 10);
        rec_read(p->r, "eof.clean.client.read_again", o, 10);
        rec_read(p->r, "eof.clean.client.read_zero", o, 0);
        rec_shutdown(p->r, "eof.clean.client.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void test_eof_clean(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "eof.clean.", 0);
    run_pair(&r, 0, clean_client, clean_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "eof.clean.", NULL);
}

/* ---- ragged closes: the server drops the connection after the handshake */

enum closer { CLOSE, RESET, CLOSE_TLS12 };

static void ragged_server(pair *p, int *fd) {
    struct pair_ctxs *c = p->arg;
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o)
        rec_handshake(p->r, sid(c->prefix, "server.handshake"), o);
    if (c->variant == RESET)
        linger0_close(fd);
    else
        close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void ragged_client(pair *p, int *fd) {
    struct pair_ctxs *c = p->arg;
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(c->prefix, "client.handshake"), o) >= 0) {
        pair_wait(p, 0);
        usleep(50000);
        rec_read(p->r, sid(c->prefix, "client.read"), o, 10);
        rec_read(p->r, sid(c->prefix, "client.read_again"), o, 10);
        rec_write(p->r, sid(c->prefix, "client.write"), o, "x", 1);
        rec_shutdown(p->r, sid(c->prefix, "client.shutdown"), o);
    }
    pyssl_socket_free(o);
}

static void run_ragged(void **state, const char *prefix, int tcp, enum closer how) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, prefix, how);
    if (how == CLOSE_TLS12)
        assert_int_equal(
            pyssl_context_set_maximum_version(c.cctx, PYSSL_TLS_VERSION_TLSV1_2), 0);
    run_pair(&r, tcp, ragged_client, ragged_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, prefix, NULL);
}

static void test_eof_ragged(void **state) { run_ragged(state, "eof.ragged.", 0, CLOSE); }
static void test_eof_ragged_tls12(void **state) {
    run_ragged(state, "eof.ragged_tls12.", 0, CLOSE_TLS12);
}
static void test_eof_ragged_tcp(void **state) {
    run_ragged(state, "eof.ragged_tcp.", 1, CLOSE);
}
static void test_eof_reset(void **state) { run_ragged(state, "eof.reset.", 1, RESET); }

/* ---- the same ragged close on blocking sockets ---- */

static void blocking_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, -1);
    if (o)
        rec_handshake(p->r, "eof.ragged_blocking.server.handshake", o);
    close_fd(fd);
    pyssl_socket_free(o);
}

static void blocking_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, -1);
    if (o && rec_handshake(p->r, "eof.ragged_blocking.client.handshake", o) >= 0)
        rec_read(p->r, "eof.ragged_blocking.client.read", o, 10);
    pyssl_socket_free(o);
}

static void test_eof_ragged_blocking(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "eof.ragged_blocking.", 0);
    run_pair(&r, 0, blocking_client, blocking_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "eof.ragged_blocking.", NULL);
}

/* ---- read(0) before and after the handshake ---- */

static void zero_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o)
        rec_handshake(p->r, "eof.read_zero.server.handshake", o);
    pair_wait(p, 0);
    pyssl_socket_free(o);
}

static void zero_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o) {
        rec_read(p->r, "eof.read_zero.client.read_zero_before", o, 0);
        rec_handshake(p->r, "eof.read_zero.client.handshake", o);
        rec_read(p->r, "eof.read_zero.client.read_zero", o, 0);
        rec_pending(p->r, "eof.read_zero.client.pending", o);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_eof_read_zero(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "eof.read_zero.", 0);
    run_pair(&r, 0, zero_client, zero_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "eof.read_zero.", NULL);
}

/* ---- EOF while the client waits for the server's first flight ---- */

enum hs_peer { CLOSED_AFTER_HELLO, CLOSED_FIRST, RESET_AFTER_HELLO };

static void hs_eof_client(pair *p, int *fd) {
    struct pair_ctxs *c = p->arg;
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (!o)
        return;
    if (c->variant == CLOSED_FIRST)
        pair_wait(p, 0);
    rec_handshake(p->r, sid(c->prefix, "client.handshake"), o);
    rec_handshake(p->r, sid(c->prefix, "client.handshake_again"), o);
    pyssl_socket_free(o);
}

static void hs_eof_server(pair *p, int *fd) {
    struct pair_ctxs *c = p->arg;
    char buf[65536];
    if (c->variant == CLOSED_FIRST) {
        close_fd(fd);
        pair_set(p, 0);
        return;
    }
    if (recv(*fd, buf, sizeof buf, 0) < 0)
        rec_value(p->r, sid(c->prefix, "harness.recv_failed"), "");
    if (c->variant == RESET_AFTER_HELLO)
        linger0_close(fd);
    else
        close_fd(fd);
}

static void run_hs_eof(void **state, const char *prefix, enum hs_peer peer) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, prefix, peer);
    run_pair(&r, peer == RESET_AFTER_HELLO, hs_eof_client, hs_eof_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, prefix, NULL);
}

static void test_eof_handshake_after_hello(void **state) {
    run_hs_eof(state, "eof.handshake_after_hello.", CLOSED_AFTER_HELLO);
}
static void test_eof_handshake_peer_closed(void **state) {
    run_hs_eof(state, "eof.handshake_peer_closed.", CLOSED_FIRST);
}
static void test_eof_handshake_reset(void **state) {
    run_hs_eof(state, "eof.handshake_reset.", RESET_AFTER_HELLO);
}

/* ---- the same EOF met by a read that starts the handshake implicitly */

static void rd_eof_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o) {
        rec_read(p->r, "eof.read_before_handshake.client.read", o, 10);
        rec_read(p->r, "eof.read_before_handshake.client.read_again", o, 10);
    }
    pyssl_socket_free(o);
}

static void rd_eof_server(pair *p, int *fd) {
    char buf[65536];
    if (recv(*fd, buf, sizeof buf, 0) < 0)
        rec_value(p->r, "eof.read_before_handshake.harness.recv_failed", "");
    close_fd(fd);
}

static void test_eof_read_before_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "eof.read_before_handshake.", 0);
    run_pair(&r, 0, rd_eof_client, rd_eof_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "eof.read_before_handshake.", NULL);
}

/* ---- the server sees the client vanish before its hello ---- */

static void vanish_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    pair_wait(p, 0);
    if (o)
        rec_handshake(p->r, "eof.server_handshake.server.handshake", o);
    pyssl_socket_free(o);
}

static void vanish_client(pair *p, int *fd) {
    close_fd(fd);
    pair_set(p, 0);
}

static void test_eof_server_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "eof.server_handshake.", 0);
    run_pair(&r, 0, vanish_client, vanish_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "eof.server_handshake.", NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_eof_clean),
        MODE_TESTS(test_eof_ragged),
        MODE_TESTS(test_eof_ragged_tls12),
        MODE_TESTS(test_eof_ragged_tcp),
        MODE_TESTS(test_eof_reset),
        MODE_TESTS(test_eof_ragged_blocking),
        MODE_TESTS(test_eof_read_zero),
        MODE_TESTS(test_eof_handshake_after_hello),
        MODE_TESTS(test_eof_handshake_peer_closed),
        MODE_TESTS(test_eof_handshake_reset),
        MODE_TESTS(test_eof_read_before_handshake),
        MODE_TESTS(test_eof_server_handshake),
    };
    return cmocka_run_group_tests_name("eof", tests, NULL, NULL);
}
