/* Shutdown (SSLSocket.unwrap's TLS part) from either side, and everything
 * around it (oracle: shutdowns): before the handshake, once the socket is
 * gone, after a complete unwrap, when the peer closes instead. */
#include "harness.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void test_shutdown_before_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    pyssl_socket *o = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(o);
    pyssl_socket_set_timeout(o, SHORT_TIMEOUT);
    rec_shutdown(&r, "shutdown.before_handshake.client.shutdown", o);
    pyssl_socket_free(o);
    pyssl_context_free(c);
    close(fds[0]);
    close(fds[1]);
    check_steps(&r, "shutdown.before_handshake.", NULL);
}

/* pyssl_socket_set_fd(sock, -1): CPython's socket object is gone. */
static void test_shutdown_gone(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    pyssl_socket *o = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(o);
    assert_int_equal(pyssl_socket_set_fd(o, -1), 0);
    assert_int_equal(pyssl_socket_get_fd(o), -1);
#define PG "shutdown.gone.client."
    rec_handshake(&r, PG "handshake", o);
    rec_read(&r, PG "read", o, 10);
    rec_read(&r, PG "read_zero", o, 0);
    rec_write(&r, PG "write", o, "x", 1);
    rec_shutdown(&r, PG "shutdown", o);
    rec_pending(&r, PG "pending", o);
    pyssl_socket_free(o);
    pyssl_context_free(c);
    close(fds[0]);
    close(fds[1]);
    check_steps(&r, "shutdown.gone.", NULL);
}

/* The fd was closed under the socket (CPython: sock_fd == -1). */
static void test_shutdown_closed_fd(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    pyssl_socket *o = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(o);
    close(fds[0]);
    rec_shutdown(&r, "shutdown.closed_fd.client.shutdown", o);
    pyssl_socket_free(o);
    pyssl_context_free(c);
    close(fds[1]);
    check_steps(&r, "shutdown.closed_fd.", NULL);
}

/* ---- a complete unwrap, then everything again ---- */

static void unwrap_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.after_unwrap.server.handshake", o) >= 0) {
        rec_read(p->r, "shutdown.after_unwrap.server.read_eof", o, 10);
        rec_shutdown(p->r, "shutdown.after_unwrap.server.shutdown", o);
        rec_write(p->r, "shutdown.after_unwrap.server.write", o, "x", 1);
        pair_set(p, 0);
    }
    pyssl_socket_free(o);
}

static void unwrap_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.after_unwrap.client.handshake", o) >= 0) {
        rec_shutdown(p->r, "shutdown.after_unwrap.client.shutdown", o);
        pair_wait(p, 0);
        rec_write(p->r, "shutdown.after_unwrap.client.write", o, "x", 1);
        rec_read(p->r, "shutdown.after_unwrap.client.read", o, 10);
        rec_shutdown(p->r, "shutdown.after_unwrap.client.shutdown_again", o);
        rec_handshake(p->r, "shutdown.after_unwrap.client.handshake_again", o);
    }
    pyssl_socket_free(o);
}

static void test_shutdown_after_unwrap(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "shutdown.after_unwrap.", 0);
    run_pair(&r, 0, unwrap_client, unwrap_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "shutdown.after_unwrap.", NULL);
}

/* ---- the peer answers our close_notify by closing the connection ---- */

static void closes_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.peer_closes.server.handshake", o) >= 0) {
        rec_read(p->r, "shutdown.peer_closes.server.read_eof", o, 10);
        close_fd(fd);
    }
    pyssl_socket_free(o);
}

static void closes_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.peer_closes.client.handshake", o) >= 0)
        rec_shutdown(p->r, "shutdown.peer_closes.client.shutdown", o);
    pyssl_socket_free(o);
}

static void test_shutdown_peer_closes(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "shutdown.peer_closes.", 0);
    run_pair(&r, 0, closes_client, closes_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "shutdown.peer_closes.", NULL);
}

/* ---- the peer closed the connection before we shut down ---- */

static void gone_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o)
        rec_handshake(p->r, "shutdown.peer_gone.server.handshake", o);
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void gone_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.peer_gone.client.handshake", o) >= 0) {
        pair_wait(p, 0);
        rec_shutdown(p->r, "shutdown.peer_gone.client.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void test_shutdown_peer_gone(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "shutdown.peer_gone.", 0);
    run_pair(&r, 0, gone_client, gone_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "shutdown.peer_gone.", NULL);
}

/* ---- unwrap: plaintext right after the peer's close_notify stays on the
 * socket for the application ---- */

static void plain_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.unwrap_plain.server.handshake", o) >= 0) {
        pyssl_socket_set_timeout(o, 0);
        rec_shutdown(p->r, "shutdown.unwrap_plain.server.shutdown", o);
        pyssl_socket_set_timeout(o, LONG_TIMEOUT);
        if (send(*fd, "plain", 5, 0) != 5)
            rec_value(p->r, "shutdown.unwrap_plain.harness.send_failed", "");
        pair_set(p, 0);
    }
    pyssl_socket_free(o);
}

static void plain_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, "shutdown.unwrap_plain.client.handshake", o) >= 0) {
        pair_wait(p, 0);
        rec_read(p->r, "shutdown.unwrap_plain.client.read_eof", o, 10);
        rec_shutdown(p->r, "shutdown.unwrap_plain.client.shutdown", o);
        wait_fd(*fd, 1, LONG_TIMEOUT);
        char buf[100];
        ssize_t n = recv(*fd, buf, sizeof buf, 0);
        char *v = py_bytes_repr(buf, n > 0 ? (size_t)n : 0);
        rec_value(p->r, "shutdown.unwrap_plain.client.recv_plain", v);
        free(v);
    }
    pyssl_socket_free(o);
}

static void test_shutdown_unwrap_plain(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "shutdown.unwrap_plain.", 0);
    run_pair(&r, 0, plain_client, plain_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "shutdown.unwrap_plain.", NULL);
}

/* ---- the server shuts down first, blocking ---- */

static void first_server(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 1, -1);
    if (o && rec_handshake(p->r, "shutdown.server_first.server.handshake", o) >= 0) {
        rec_write(p->r, "shutdown.server_first.server.write", o, "bye", 3);
        rec_shutdown(p->r, "shutdown.server_first.server.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void first_client(pair *p, int *fd) {
    pyssl_socket *o = pair_side(p, fd, 0, -1);
    if (o && rec_handshake(p->r, "shutdown.server_first.client.handshake", o) >= 0) {
        rec_read(p->r, "shutdown.server_first.client.read", o, 10);
        rec_read(p->r, "shutdown.server_first.client.read_eof", o, 10);
        rec_shutdown(p->r, "shutdown.server_first.client.shutdown", o);
    }
    pyssl_socket_free(o);
}

static void test_shutdown_server_first(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct pair_ctxs c;
    pair_ctxs_init(&c, r.mode, "shutdown.server_first.", 0);
    run_pair(&r, 0, first_client, first_server, &c);
    pair_ctxs_free(&c);
    check_steps(&r, "shutdown.server_first.", NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_shutdown_before_handshake),
        MODE_TESTS(test_shutdown_gone),
        MODE_TESTS(test_shutdown_closed_fd),
        MODE_TESTS(test_shutdown_after_unwrap),
        MODE_TESTS(test_shutdown_peer_closes),
        MODE_TESTS(test_shutdown_peer_gone),
        MODE_TESTS(test_shutdown_unwrap_plain),
        MODE_TESTS(test_shutdown_server_first),
    };
    return cmocka_run_group_tests_name("shutdown", tests, NULL, NULL);
}
