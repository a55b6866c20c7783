/* Non-blocking sockets (timeout 0): SSLWantReadError / SSLWantWriteError,
 * then driven to completion with poll() (oracle: nonblocking). */
#include "harness.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void silent(pair *p, int *fd) {
    (void)fd;
    pair_wait(p, 0);
}

static void hs_client(pair *p, int *fd) {
    pyssl_socket *o = pyssl_socket_new(p->arg, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, 0);
        rec_handshake(p->r, "nonblock.handshake.client.first", o);
        rec_handshake(p->r, "nonblock.handshake.client.second", o);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_nonblock_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    run_pair(&r, 0, hs_client, silent, c);
    pyssl_context_free(c);
    check_steps(&r, "nonblock.handshake.", NULL);
}

static void rd_client(pair *p, int *fd) {
    pyssl_socket *o = pyssl_socket_new(p->arg, *fd, 0, "localhost");
    if (o) {
        pyssl_socket_set_timeout(o, 0);
        rec_read(p->r, "nonblock.read_before_handshake.client.read", o, 10);
        rec_write(p->r, "nonblock.read_before_handshake.client.write", o, "x", 1);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_nonblock_read_before_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *c = client_ctx(r.mode, "ca.pem", NULL);
    assert_non_null(c);
    run_pair(&r, 0, rd_client, silent, c);
    pyssl_context_free(c);
    check_steps(&r, "nonblock.read_before_handshake.", NULL);
}

static void hs_server(pair *p, int *fd) {
    pyssl_socket *o = pyssl_socket_new(p->arg, *fd, 1, NULL);
    if (o) {
        pyssl_socket_set_timeout(o, 0);
        rec_handshake(p->r, "nonblock.server_handshake.server.first", o);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_nonblock_server_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_context *s = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(s);
    run_pair(&r, 0, silent, hs_server, s);
    pyssl_context_free(s);
    check_steps(&r, "nonblock.server_handshake.", NULL);
}

/* Calls do_handshake on both until both succeed, polling as they ask.
 * Returns 0, or the failing status (the error is the thread's last). */
static int drive(pyssl_socket *a, int fa, pyssl_socket *b, int fb) {
    pyssl_socket *socks[2] = {a, b};
    int fds[2] = {fa, fb};
    int done[2] = {0, 0};
    for (int iter = 0; iter < 200; iter++) {
        struct pollfd pfd[2];
        int n = 0;
        for (int i = 0; i < 2; i++) {
            if (done[i])
                continue;
            int ret = pyssl_do_handshake(socks[i]);
            if (ret == 0) {
                done[i] = 1;
            } else if (ret == PYSSL_ERROR_WANT_READ || ret == PYSSL_ERROR_WANT_WRITE) {
                pfd[n].fd = fds[i];
                pfd[n].events = ret == PYSSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
                pfd[n].revents = 0;
                n++;
            } else {
                return ret;
            }
        }
        if (n == 0)
            return 0;
        poll(pfd, (nfds_t)n, 1000);
    }
    return PYSSL_ERROR_INTERNAL;
}

#define PD "nonblock.drive."

static void test_nonblock_drive(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cctx = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    pyssl_socket *co = pyssl_socket_new(cctx, fds[0], 0, "localhost");
    pyssl_socket *so = pyssl_socket_new(sctx, fds[1], 1, NULL);
    assert_non_null(co);
    assert_non_null(so);
    assert_int_equal(pyssl_socket_set_timeout(co, 0), 0);
    assert_int_equal(pyssl_socket_set_timeout(so, 0), 0);
    rec_handshake(&r, PD "client.first", co);
    rec_handshake(&r, PD "server.first", so);
    rec_ret(&r, PD "handshakes", drive(co, fds[0], so, fds[1]), "ok");
    rec_read(&r, PD "client.read_empty", co, 10);
    rec_write(&r, PD "server.write", so, "hello", 5);
    wait_fd(fds[0], 1, LONG_TIMEOUT);
    rec_read(&r, PD "client.read", co, 10);
    rec_shutdown(&r, PD "client.shutdown1", co);
    rec_read(&r, PD "server.read_eof", so, 10);
    rec_shutdown(&r, PD "server.shutdown", so);
    wait_fd(fds[0], 1, LONG_TIMEOUT);
    rec_shutdown(&r, PD "client.shutdown2", co);
    pyssl_socket_free(co);
    pyssl_socket_free(so);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    close(fds[0]);
    close(fds[1]);
    check_steps(&r, PD, NULL);
}

/* Shutdown while a write is stuck in a full socket. */
static void test_nonblock_shutdown_full(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cctx = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    pyssl_socket *co = pyssl_socket_new(cctx, fds[0], 0, "localhost");
    pyssl_socket *so = pyssl_socket_new(sctx, fds[1], 1, NULL);
    assert_non_null(co);
    assert_non_null(so);
    pyssl_socket_set_timeout(co, 0);
    pyssl_socket_set_timeout(so, 0);
    assert_int_equal(drive(co, fds[0], so, fds[1]), 0);
    char *data = malloc(BIG_WRITE);
    memset(data, 'y', BIG_WRITE);
    rec_write(&r, "nonblock.shutdown_full.client.write", co, data, BIG_WRITE);
    rec_shutdown(&r, "nonblock.shutdown_full.client.shutdown", co);
    rec_shutdown(&r, "nonblock.shutdown_full.client.shutdown_again", co);
    free(data);
    pyssl_socket_free(co);
    pyssl_socket_free(so);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    close(fds[0]);
    close(fds[1]);
    check_steps(&r, "nonblock.shutdown_full.", NULL);
}

#define PW "nonblock.write_full."

/* A write that fills the socket, retried with the same buffer while the
 * peer drains it: all bytes arrive, in order, exactly once. */
static void test_nonblock_write_full(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cctx = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    pyssl_socket *co = pyssl_socket_new(cctx, fds[0], 0, "localhost");
    pyssl_socket *so = pyssl_socket_new(sctx, fds[1], 1, NULL);
    assert_non_null(co);
    assert_non_null(so);
    pyssl_socket_set_timeout(co, 0);
    pyssl_socket_set_timeout(so, 0);
    assert_int_equal(drive(co, fds[0], so, fds[1]), 0);
    unsigned char *data = malloc(BIG_WRITE);
    for (size_t i = 0; i < BIG_WRITE; i++)
        data[i] = (unsigned char)(i % 256);
    rec_write(&r, PW "client.write", co, data, BIG_WRITE);
    static unsigned char buf[65536];
    size_t received = 0;
    long written = -1;
    int corrupt = 0;
    long read_error = 0;
    for (int iter = 0; iter < 100000; iter++) {
        if (written < 0) {
            ssize_t w = pyssl_write(co, data, BIG_WRITE);
            if (w >= 0)
                written = (long)w;
            else if (w != PYSSL_ERROR_WANT_READ && w != PYSSL_ERROR_WANT_WRITE)
                break;
        }
        ssize_t n = pyssl_read(so, buf, sizeof buf);
        if (n > 0) {
            for (ssize_t i = 0; i < n; i++)
                corrupt |= buf[i] != (unsigned char)((received + (size_t)i) % 256);
            received += (size_t)n;
        }
        if (written >= 0 && received >= BIG_WRITE)
            break;
        if (n < 0 && n != PYSSL_ERROR_WANT_READ) {
            read_error = n;
            break;
        }
        if (n < 0)
            wait_fd(fds[1], 1, 0.05);
    }
    char v[32];
    if (written >= 0)
        snprintf(v, sizeof v, "%ld", written);
    else
        snprintf(v, sizeof v, "None");
    rec_value(&r, PW "client.retry", v);
    snprintf(v, sizeof v, "%zu", received);
    rec_value(&r, PW "server.received", v);
    free(data);
    pyssl_socket_free(co);
    pyssl_socket_free(so);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    close(fds[0]);
    close(fds[1]);
    assert_int_equal(read_error, 0);
    assert_false(corrupt);
    check_steps(&r, PW, NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_nonblock_handshake),
        MODE_TESTS(test_nonblock_read_before_handshake),
        MODE_TESTS(test_nonblock_server_handshake),
        MODE_TESTS(test_nonblock_drive),
        MODE_TESTS(test_nonblock_shutdown_full),
        MODE_TESTS(test_nonblock_write_full),
    };
    return cmocka_run_group_tests_name("nonblocking", tests, NULL, NULL);
}
