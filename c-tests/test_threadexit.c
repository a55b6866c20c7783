/* A host may call pyssl from a thread's exit-time destructors: a pthread
 * key destructor (or a thread_local one) that closes the connections the
 * thread still holds. glibc runs those after pyssl's own thread-local
 * destructor. pyssl must still work there, record and report its errors,
 * and free what it recorded: this program runs under valgrind's leak check
 * and LeakSanitizer in CI. */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* What the destructor saw; read by the test after the join. */
struct late_job {
    int mode;
    pyssl_context *cctx, *sctx;
    int fds[2];
    long handshake;
    long served;
    long got;
    char data[8];
    int bad_ctx_null;
    long bad_status;
    char type[64];
    char message[256];
    int has_error_after_clear;
};

static pthread_key_t job_key;

static void *serve(void *arg) {
    struct late_job *j = arg;
    pyssl_socket *s = pyssl_socket_new(j->sctx, j->fds[1], 1, NULL);
    long rc = s ? pyssl_do_handshake(s) : -1;
    if (rc == 0)
        rc = pyssl_write(s, "ok", 2) == 2 ? 0 : -1;
    pyssl_socket_free(s);
    return (void *)rc;
}

static void copy_str(char *dst, size_t n, const char *src) {
    snprintf(dst, n, "%s", src ? src : "(null)");
}

/* The thread's exit-time destructor: a whole connection, then a failing
 * call whose error is read, then pyssl_error_clear(). */
static void late(void *arg) {
    struct late_job *j = arg;
    j->handshake = -100;
    pthread_t t;
    if (pthread_create(&t, NULL, serve, j) != 0)
        return;
    pyssl_socket *c = pyssl_socket_new(j->cctx, j->fds[0], 0, "localhost");
    if (c) {
        j->handshake = pyssl_do_handshake(c);
        if (j->handshake == 0)
            j->got = pyssl_read(c, j->data, sizeof j->data - 1);
    }
    void *srv;
    pthread_join(t, &srv);
    j->served = (long)srv;
    pyssl_socket_free(c);

    pyssl_context *bad = pyssl_context_new_compat(12345, PYSSL_COMPAT_3_14);
    j->bad_ctx_null = bad == NULL;
    pyssl_context_free(bad);
    j->bad_status = pyssl_error_status();
    copy_str(j->type, sizeof j->type, pyssl_error_type());
    copy_str(j->message, sizeof j->message, pyssl_error_message());
    pyssl_error_clear();
    j->has_error_after_clear = pyssl_error_type() != NULL;
}

static void *worker(void *arg) {
    /* An error recorded before the thread ends: pyssl's own destructor
     * frees it (the leak checkers would see it otherwise). */
    assert_null(pyssl_context_new(-1));
    pthread_setspecific(job_key, arg);
    return NULL;
}

static void test_calls_from_thread_exit_destructors(void **state) {
    int mode = TEST_MODE(state);
    /* The same failing call on a live thread, for comparison. */
    assert_null(pyssl_context_new_compat(12345, PYSSL_COMPAT_3_14));
    char want_type[64], want_message[256];
    long want_status = pyssl_error_status();
    assert_string_equal(pyssl_error_type(), "ValueError");
    copy_str(want_type, sizeof want_type, pyssl_error_type());
    copy_str(want_message, sizeof want_message, pyssl_error_message());
    pyssl_error_clear();

    struct late_job j = {.mode = mode};
    j.cctx = client_ctx(mode, "ca.pem", NULL);
    j.sctx = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(j.cctx);
    assert_non_null(j.sctx);
    assert_int_equal(connected_pair(0, j.fds), 0);
    assert_int_equal(pthread_key_create(&job_key, late), 0);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, worker, &j), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    pthread_key_delete(job_key);

    assert_int_equal(j.handshake, 0);
    assert_int_equal(j.served, 0);
    assert_int_equal(j.got, 2);
    assert_string_equal(j.data, "ok");
    assert_true(j.bad_ctx_null);
    assert_true(want_status < 0);
    assert_int_equal(j.bad_status, want_status);
    assert_string_equal(j.type, want_type);
    assert_string_equal(j.message, want_message);
    assert_false(j.has_error_after_clear);

    close(j.fds[0]);
    close(j.fds[1]);
    pyssl_context_free(j.cctx);
    pyssl_context_free(j.sctx);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_calls_from_thread_exit_destructors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
