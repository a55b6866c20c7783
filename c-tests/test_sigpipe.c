/* pyssl must not kill a host that leaves SIGPIPE at its default action: a
 * write to a peer that went away fails with an error instead (CPython
 * ignores SIGPIPE; a C host may not). This program deliberately does not
 * call harness_init(), which would ignore the signal. */
#define _GNU_SOURCE
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg) {
    pyssl_socket *s = arg;
    long rc = pyssl_do_handshake(s);
    return (void *)rc;
}

static void test_write_to_vanished_peer(void **state) {
    int mode = TEST_MODE(state);
    struct sigaction sa;
    assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
    assert_true(sa.sa_handler == SIG_DFL);

    int fds[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    pyssl_context *cctx = client_ctx(mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    pyssl_socket *c = pyssl_socket_new(cctx, fds[0], 0, "localhost");
    pyssl_socket *s = pyssl_socket_new(sctx, fds[1], 1, NULL);
    assert_non_null(c);
    assert_non_null(s);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, serve, s), 0);
    assert_int_equal(pyssl_do_handshake(c), 0);
    void *src;
    pthread_join(t, &src);
    assert_int_equal((long)src, 0);

    /* The peer goes away entirely. */
    pyssl_socket_free(s);
    close(fds[1]);
    char buf[4096];
    memset(buf, 'x', sizeof buf);
    long rc = 0;
    for (int i = 0; i < 100 && rc >= 0; i++)
        rc = pyssl_write(c, buf, sizeof buf);
    /* Still alive: the write failed with an error CPython would raise. */
    assert_true(rc < 0);
    assert_non_null(pyssl_error_type());
    pyssl_socket_free(c);
    close(fds[0]);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_write_to_vanished_peer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
