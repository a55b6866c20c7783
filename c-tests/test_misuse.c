/* Misuse of the C API (pyssl's own contract; CPython has no equivalent, so
 * these expectations are the header's): NULL handles and buffers give a
 * negative status and an error, never a crash; *_free(NULL) is fine;
 * handles of the wrong kind are caught; contexts and BIOs may be freed
 * before their sockets; a reader and a writer thread share a socket; the host
 * interrupt hook stops an operation. */
#define _GNU_SOURCE
#include "harness.h"

#include <openssl/ssl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void check_failed(const char *what, long ret, long want, int line) {
    if (ret >= 0)
        fail_msg("line %d: %s succeeded (%ld)", line, what, ret);
    if (!pyssl_error_type() || !pyssl_error_message())
        fail_msg("line %d: %s failed (%ld) without an error", line, what, ret);
    if (pyssl_error_status() != ret)
        fail_msg("line %d: %s returned %ld but pyssl_error_status() is %d", line, what,
                 ret, pyssl_error_status());
    if (want && ret != want)
        fail_msg("line %d: %s returned %ld (%s: %s), want %ld", line, what, ret,
                 pyssl_error_type(), pyssl_error_message(), want);
}

/* `expr` fails with status `want` (0: any negative status). */
#define FAILS(expr, want)                                                    \
    do {                                                                     \
        pyssl_error_clear();                                                 \
        long ret_ = (long)(expr);                                            \
        check_failed(#expr, ret_, (want), __LINE__);                         \
    } while (0)

/* `expr` returns NULL with an error recorded, of status `want`. */
#define FAILS_NULL(expr, want)                                               \
    do {                                                                     \
        pyssl_error_clear();                                                 \
        const void *p_ = (const void *)(expr);                               \
        if (p_ != NULL)                                                      \
            fail_msg("line %d: %s did not fail", __LINE__, #expr);           \
        check_failed(#expr, pyssl_error_status(), (want), __LINE__);         \
    } while (0)

#define BAD_ARG PYSSL_ERROR_BAD_ARGUMENT
#define BAD_HANDLE PYSSL_ERROR_BAD_HANDLE

static void test_free_null(void **state) {
    (void)state;
    pyssl_context_free(NULL);
    pyssl_socket_free(NULL);
    pyssl_memory_bio_free(NULL);
    pyssl_value_free(NULL);
    pyssl_string_free(NULL);
    pyssl_error_clear();
    assert_null(pyssl_error_type());
    assert_null(pyssl_error_message());
    assert_int_equal(pyssl_error_status(), PYSSL_OK);
    assert_int_equal(pyssl_error_verify_code(), -1);
    assert_null(pyssl_error_verify_message());
    assert_null(pyssl_error_library());
    assert_null(pyssl_error_reason());
    assert_int_equal(pyssl_set_host_hooks(NULL), 0);
}

static void test_null_handles(void **state) {
    (void)state;
    char buf[16];
    uint64_t opts;
    double t;
    pyssl_value *v = NULL;
    const char *ca = cert_path("ca.pem");

    FAILS(pyssl_context_load_verify_locations(NULL, ca, NULL), BAD_ARG);
    FAILS(pyssl_context_load_verify_data(NULL, (const unsigned char *)"x", 1, 1), BAD_ARG);
    FAILS(pyssl_context_load_default_certs(NULL), BAD_ARG);
    FAILS(pyssl_context_load_cert_chain(NULL, ca, NULL, NULL), BAD_ARG);
    FAILS(pyssl_context_set_verify_mode(NULL, PYSSL_CERT_NONE), BAD_ARG);
    FAILS(pyssl_context_get_verify_mode(NULL), BAD_ARG);
    FAILS(pyssl_context_set_check_hostname(NULL, 0), BAD_ARG);
    FAILS(pyssl_context_get_check_hostname(NULL), BAD_ARG);
    FAILS(pyssl_context_set_ciphers(NULL, "ALL"), BAD_ARG);
    FAILS(pyssl_context_set_alpn_protocols(NULL, (const unsigned char *)"\x02h2", 3), BAD_ARG);
    FAILS(pyssl_context_set_minimum_version(NULL, PYSSL_TLS_VERSION_TLSV1_2), BAD_ARG);
    FAILS(pyssl_context_set_maximum_version(NULL, PYSSL_TLS_VERSION_TLSV1_3), BAD_ARG);
    FAILS(pyssl_context_get_minimum_version(NULL), BAD_ARG);
    FAILS(pyssl_context_get_maximum_version(NULL), BAD_ARG);
    FAILS(pyssl_context_get_options(NULL, &opts), BAD_ARG);
    FAILS(pyssl_context_set_options(NULL, 0), BAD_ARG);
    FAILS(pyssl_context_get_compat(NULL), BAD_ARG);
    FAILS(pyssl_context_get_protocol(NULL), BAD_ARG);

    FAILS_NULL(pyssl_socket_new(NULL, 0, 0, "localhost"), BAD_ARG);
    FAILS(pyssl_socket_set_timeout(NULL, 1.0), BAD_ARG);
    FAILS(pyssl_socket_get_timeout(NULL, &t), BAD_ARG);
    FAILS(pyssl_socket_set_fd(NULL, 0), BAD_ARG);
    FAILS(pyssl_socket_get_fd(NULL), BAD_ARG);
    FAILS(pyssl_do_handshake(NULL), BAD_ARG);
    FAILS(pyssl_read(NULL, buf, sizeof buf), BAD_ARG);
    FAILS(pyssl_read(NULL, buf, 0), BAD_ARG);
    FAILS(pyssl_write(NULL, "x", 1), BAD_ARG);
    FAILS(pyssl_shutdown(NULL), BAD_ARG);
    FAILS(pyssl_getpeercert(NULL, 1, &v), BAD_ARG);
    FAILS(pyssl_socket_cipher(NULL, NULL, NULL, NULL), BAD_ARG);
    FAILS(pyssl_socket_selected_alpn_protocol(NULL, (unsigned char *)buf, sizeof buf), BAD_ARG);
    FAILS(pyssl_socket_pending(NULL), BAD_ARG);
    FAILS(pyssl_socket_server_side(NULL), BAD_ARG);
    assert_null(pyssl_socket_version(NULL));

    FAILS(pyssl_memory_bio_write(NULL, "x", 1), BAD_ARG);
    FAILS(pyssl_memory_bio_read(NULL, buf, sizeof buf), BAD_ARG);
    FAILS(pyssl_memory_bio_pending(NULL), BAD_ARG);
    FAILS(pyssl_memory_bio_eof(NULL), BAD_ARG);
    FAILS(pyssl_memory_bio_write_eof(NULL), BAD_ARG);

    assert_null(pyssl_value_repr(NULL));
    FAILS(pyssl_test_decode_cert(NULL, &v), BAD_ARG);
    FAILS(pyssl_test_decode_cert(ca, NULL), BAD_ARG);
}

static void test_null_arguments(void **state) {
    int mode = TEST_MODE(state);
    pyssl_context *c = client_ctx(mode, "ca.pem", NULL);
    assert_non_null(c);
    FAILS(pyssl_context_load_cert_chain(c, NULL, NULL, NULL), 0);
    FAILS(pyssl_context_set_ciphers(c, NULL), 0);
    FAILS(pyssl_context_load_verify_data(c, NULL, 5, 1), 0);
    FAILS(pyssl_context_get_options(c, NULL), 0);
    FAILS(pyssl_context_set_alpn_protocols(c, NULL, 3), 0);
    FAILS(pyssl_context_set_minimum_version(c, 12345), PYSSL_ERROR_VALUE);

    /* An fd that is not a socket's. */
    FAILS_NULL(pyssl_socket_new(c, -1, 0, "localhost"), 0);

    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_socket *s = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(s);
    assert_int_equal(pyssl_socket_server_side(s), 0);
    assert_int_equal(pyssl_socket_get_fd(s), fds[0]);
    double t = 0;
    assert_int_equal(pyssl_socket_get_timeout(s, &t), 0);
    assert_true(t < 0); /* blocking, as Python's default */
    assert_int_equal(pyssl_socket_set_timeout(s, SHORT_TIMEOUT), 0);
    assert_int_equal(pyssl_socket_get_timeout(s, &t), 0);
    assert_true(t > SHORT_TIMEOUT - 1e-9 && t < SHORT_TIMEOUT + 1e-6);
    FAILS(pyssl_socket_get_timeout(s, NULL), 0);
    FAILS(pyssl_read(s, NULL, 10), 0);
    FAILS(pyssl_write(s, NULL, 10), 0);
    FAILS(pyssl_getpeercert(s, 1, NULL), 0);
    /* NULL out-parameters of cipher() are simply not filled. */
    pyssl_error_clear();
    assert_true(pyssl_socket_cipher(s, NULL, NULL, NULL) >= 0);
    /* read(len 0) is b'' whatever the buffer. */
    assert_int_equal(pyssl_read(s, NULL, 0), 0);
    pyssl_socket_free(s);
    close(fds[0]);
    close(fds[1]);

    pyssl_memory_bio *b = pyssl_memory_bio_new();
    assert_non_null(b);
    FAILS(pyssl_memory_bio_write(b, NULL, 3), 0);
    FAILS(pyssl_memory_bio_read(b, NULL, 3), 0);
    FAILS_NULL(pyssl_socket_new_bio(c, NULL, b, 0, "localhost"), BAD_ARG);
    FAILS_NULL(pyssl_socket_new_bio(c, b, NULL, 0, "localhost"), BAD_ARG);
    pyssl_memory_bio_free(b);
    pyssl_context_free(c);
}

static void test_wrong_kind(void **state) {
    int mode = TEST_MODE(state);
    pyssl_context *c = client_ctx(mode, "ca.pem", NULL);
    pyssl_memory_bio *b = pyssl_memory_bio_new();
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_socket *s = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(s);
    char buf[8];
    FAILS(pyssl_context_set_verify_mode((pyssl_context *)s, PYSSL_CERT_NONE), BAD_HANDLE);
    FAILS(pyssl_context_get_protocol((pyssl_context *)b), BAD_HANDLE);
    FAILS(pyssl_do_handshake((pyssl_socket *)c), BAD_HANDLE);
    FAILS(pyssl_read((pyssl_socket *)b, buf, sizeof buf), BAD_HANDLE);
    FAILS(pyssl_memory_bio_write((pyssl_memory_bio *)s, "x", 1), BAD_HANDLE);
    FAILS_NULL(pyssl_socket_new((pyssl_context *)b, fds[0], 0, "localhost"), BAD_HANDLE);
    FAILS_NULL(pyssl_socket_new_bio(c, (pyssl_memory_bio *)s, b, 0, "localhost"),
               BAD_HANDLE);
    /* Certificates are handles like the others. */
    pyssl_value *v = NULL;
    FAILS(pyssl_certificate_der((const pyssl_certificate *)b, NULL, 0), BAD_HANDLE);
    FAILS(pyssl_certificate_der((const pyssl_certificate *)s, (uint8_t *)buf, sizeof buf),
          BAD_HANDLE);
    FAILS(pyssl_certificate_get_info((const pyssl_certificate *)c, &v), BAD_HANDLE);
    assert_null(v);
    FAILS_NULL(pyssl_certificate_pem((const pyssl_certificate *)b), BAD_HANDLE);
    FAILS(pyssl_cert_list_len((const pyssl_cert_list *)b), BAD_HANDLE);
    /* Freeing through the wrong kind is refused, not performed. */
    pyssl_context_free((pyssl_context *)s);
    assert_int_equal(pyssl_socket_server_side(s), 0);
    pyssl_socket_free(s);
    pyssl_memory_bio_free(b);
    pyssl_context_free(c);
    close(fds[0]);
    close(fds[1]);
}

/* Lengths no C object can have are refused before any memory is touched
 * (a debug build of the library checks them with debug assertions). */
static void test_impossible_lengths(void **state) {
    int mode = TEST_MODE(state);
    pyssl_context *c = client_ctx(mode, "ca.pem", NULL);
    pyssl_memory_bio *in = pyssl_memory_bio_new(), *out = pyssl_memory_bio_new();
    pyssl_socket *s = pyssl_socket_new_bio(c, in, out, 0, "localhost");
    assert_non_null(s);
    char buf[8] = "x";
    const size_t huge[] = {SIZE_MAX, (size_t)SSIZE_MAX + 1};
    for (size_t i = 0; i < sizeof huge / sizeof huge[0]; i++) {
        size_t n = huge[i];
        FAILS(pyssl_memory_bio_write(in, buf, n), BAD_ARG);
        FAILS(pyssl_memory_bio_read(out, buf, n), BAD_ARG);
        FAILS(pyssl_read(s, buf, n), BAD_ARG);
        FAILS(pyssl_write(s, buf, n), BAD_ARG);
        FAILS(pyssl_context_load_verify_data(c, (const unsigned char *)buf, n, 1), BAD_ARG);
        FAILS(pyssl_context_set_alpn_protocols(c, (const unsigned char *)buf, n), BAD_ARG);
    }
    /* Nothing reached the BIOs or the socket. */
    assert_int_equal(pyssl_memory_bio_pending(in), 0);
    assert_int_equal(pyssl_memory_bio_pending(out), 0);
    pyssl_socket_free(s);
    pyssl_memory_bio_free(in);
    pyssl_memory_bio_free(out);
    pyssl_context_free(c);
}

/* pyssl_socket_get_fd of a borrowed SSL*: -1 for "no fd", never a value
 * that reads as a status (PYSSL_FD_NONE and PYSSL_FD_CLOSED are -2 and -3,
 * the values of PYSSL_ERROR_WANT_READ/WRITE). */
static void test_get_fd_of_borrowed_ssl(void **state) {
    int mode = TEST_MODE(state);
    SSL_CTX *raw_ctx = SSL_CTX_new(TLS_client_method());
    SSL *ssl = SSL_new(raw_ctx);
    assert_non_null(ssl);
    pyssl_socket *s = pyssl_socket_wrap_ssl(ssl, 0, "localhost", mode);
    assert_non_null(s);
    assert_int_equal(pyssl_socket_set_io(s, 7, -1), 0);
    assert_int_equal(pyssl_socket_get_fd(s), 7);
    const int markers[] = {PYSSL_FD_NONE, PYSSL_FD_CLOSED, PYSSL_FD_GONE};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(pyssl_socket_set_io(s, markers[i], -1), 0);
        assert_int_equal(pyssl_socket_get_fd(s), -1);
    }
    FAILS(pyssl_socket_set_io(s, -4, -1), BAD_ARG);
    FAILS(pyssl_socket_get_fd((const pyssl_socket *)raw_ctx), BAD_HANDLE);
    pyssl_socket_free(s);
    SSL_free(ssl);
    SSL_CTX_free(raw_ctx);
}

/* Contexts freed right after creating their sockets: a full connection
 * still works (sockets keep their context alive). */
struct early {
    pyssl_socket *c, *s;
    long results[8];
};

static void early_server(pair *p, int *fd) {
    (void)fd;
    struct early *e = p->arg;
    char buf[8];
    e->results[0] = pyssl_do_handshake(e->s);
    e->results[1] = pyssl_read(e->s, buf, sizeof buf);
    e->results[2] = pyssl_read(e->s, buf, sizeof buf); /* close_notify */
    e->results[3] = pyssl_shutdown(e->s);
}

static void early_client(pair *p, int *fd) {
    (void)fd;
    struct early *e = p->arg;
    e->results[4] = pyssl_do_handshake(e->c);
    e->results[5] = pyssl_write(e->c, "hello", 5);
    e->results[6] = pyssl_shutdown(e->c);
}

static void test_free_context_first(void **state) {
    int mode = TEST_MODE(state);
    results r;
    results_init(&r, mode);
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cc = client_ctx(mode, "ca.pem", NULL);
    pyssl_context *sc = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cc);
    assert_non_null(sc);
    struct early e;
    memset(&e, 0, sizeof e);
    e.c = pyssl_socket_new(cc, fds[0], 0, "localhost");
    e.s = pyssl_socket_new(sc, fds[1], 1, NULL);
    assert_non_null(e.c);
    assert_non_null(e.s);
    pyssl_context_free(cc);
    pyssl_context_free(sc);
    pyssl_socket_set_timeout(e.c, LONG_TIMEOUT);
    pyssl_socket_set_timeout(e.s, LONG_TIMEOUT);
    /* run_pair's own fds are unused here: the sockets are already made. */
    run_pair(&r, 0, early_client, early_server, &e);
    assert_int_equal(e.results[0], 0);
    assert_int_equal(e.results[1], 5);
    assert_int_equal(e.results[2], 0);
    assert_int_equal(e.results[3], 0);
    assert_int_equal(e.results[4], 0);
    assert_int_equal(e.results[5], 5);
    assert_int_equal(e.results[6], 0);
    pyssl_socket_free(e.c);
    pyssl_socket_free(e.s);
    close(fds[0]);
    close(fds[1]);
    results_free(&r);
}

static void test_free_bios_first(void **state) {
    int mode = TEST_MODE(state);
    pyssl_context *c = client_ctx(mode, "ca.pem", NULL);
    pyssl_memory_bio *in = pyssl_memory_bio_new(), *out = pyssl_memory_bio_new();
    pyssl_socket *s = pyssl_socket_new_bio(c, in, out, 0, "localhost");
    assert_non_null(s);
    pyssl_memory_bio_free(in);
    pyssl_memory_bio_free(out);
    pyssl_context_free(c);
    assert_int_equal(pyssl_do_handshake(s), PYSSL_ERROR_WANT_READ);
    assert_true(pyssl_socket_pending(s) >= 0);
    pyssl_socket_free(s);
}

/* As in CPython, one thread may read from a socket while another writes to
 * it (a reader blocked in read() does not lock the writer out). */
struct rw {
    pyssl_socket *s;
    long ret;
    char buf[16];
};

static void *rw_handshake(void *arg) {
    struct rw *x = arg;
    x->ret = pyssl_do_handshake(x->s);
    return NULL;
}

static void *rw_reader(void *arg) {
    struct rw *x = arg;
    x->ret = pyssl_read(x->s, x->buf, sizeof x->buf);
    return NULL;
}

static void test_reader_and_writer_threads(void **state) {
    int mode = TEST_MODE(state);
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cc = client_ctx(mode, "ca.pem", NULL);
    pyssl_context *sc = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    struct rw client = {pyssl_socket_new(cc, fds[0], 0, "localhost"), 0, {0}};
    struct rw server = {pyssl_socket_new(sc, fds[1], 1, NULL), 0, {0}};
    assert_non_null(client.s);
    assert_non_null(server.s);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, rw_handshake, &server), 0);
    assert_int_equal(pyssl_do_handshake(client.s), 0);
    pthread_join(th, NULL);
    assert_int_equal(server.ret, 0);

    assert_int_equal(pthread_create(&th, NULL, rw_reader, &client), 0);
    usleep(50 * 1000); /* let the reader block in read() */
    assert_int_equal(pyssl_write(client.s, "ping", 4), 4);
    char buf[16];
    assert_int_equal(pyssl_read(server.s, buf, sizeof buf), 4);
    assert_memory_equal(buf, "ping", 4);
    assert_int_equal(pyssl_write(server.s, "pong", 4), 4);
    pthread_join(th, NULL);
    assert_int_equal(client.ret, 4);
    assert_memory_equal(client.buf, "pong", 4);
    pyssl_socket_free(client.s);
    pyssl_socket_free(server.s);
    pyssl_context_free(cc);
    pyssl_context_free(sc);
    close(fds[0]);
    close(fds[1]);
}

/* The host's interrupt check stops an operation. */
static int interrupt_calls, release_calls, reacquire_calls;
static void *hook_release(void *ud) {
    (void)ud;
    release_calls++;
    return &release_calls;
}
static void hook_reacquire(void *ud, void *token) {
    (void)ud;
    assert_ptr_equal(token, &release_calls);
    reacquire_calls++;
}
static int hook_interrupt(void *ud) {
    (void)ud;
    return ++interrupt_calls >= 1;
}

static void test_host_interrupt(void **state) {
    int mode = TEST_MODE(state);
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *c = client_ctx(mode, "ca.pem", NULL);
    pyssl_socket *s = pyssl_socket_new(c, fds[0], 0, "localhost");
    assert_non_null(s);
    pyssl_socket_set_timeout(s, LONG_TIMEOUT);
    pyssl_host_hooks hooks = {hook_release, hook_reacquire, hook_interrupt, NULL};
    interrupt_calls = release_calls = reacquire_calls = 0;
    assert_int_equal(pyssl_set_host_hooks(&hooks), 0);
    pyssl_error_clear();
    int ret = pyssl_do_handshake(s);
    assert_int_equal(pyssl_set_host_hooks(NULL), 0);
    assert_int_equal(ret, PYSSL_ERROR_HOST_INTERRUPT);
    assert_int_equal(pyssl_error_status(), PYSSL_ERROR_HOST_INTERRUPT);
    assert_int_equal(interrupt_calls, 1);
    assert_true(release_calls >= 1);
    assert_int_equal(release_calls, reacquire_calls);
    pyssl_socket_free(s);
    pyssl_context_free(c);
    close(fds[0]);
    close(fds[1]);
}

/* The host frees a context handle from its release hook, while a call on
 * that context runs with the host's lock released (another host thread
 * dropping its last reference, say): the call holds the context until it
 * returns (valgrind and ASan watch for a use after free). */
static void free_context(void *c) {
    pyssl_context_free(c);
}

static void test_free_context_in_hook(void **state) {
    int mode = TEST_MODE(state);
    pyssl_context *c = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
    assert_non_null(c);
    free_on_release(free_context, c);
    int rc = pyssl_context_load_cert_chain(c, cert_path("server.pem"), cert_path("server.key"),
                                           NULL);
    int freed = free_on_release_done();
    pyssl_context *c2 = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    assert_non_null(c2);
    free_on_release(free_context, c2);
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_socket *s = pyssl_socket_new(c2, fds[0], 0, "localhost");
    int freed2 = free_on_release_done();
    free_on_release_stop();
    assert_int_equal(rc, 0);
    assert_true(freed);
    assert_non_null(s);
    assert_true(freed2);
    /* The socket keeps its context: it still works after the handle went. */
    assert_string_equal(pyssl_socket_server_hostname(s), "localhost");
    pyssl_socket_free(s);
    close(fds[0]);
    close(fds[1]);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_free_null),
        cmocka_unit_test(test_null_handles),
        MODE_TESTS(test_null_arguments),
        MODE_TESTS(test_wrong_kind),
        MODE_TESTS(test_impossible_lengths),
        MODE_TESTS(test_get_fd_of_borrowed_ssl),
        MODE_TESTS(test_free_context_first),
        MODE_TESTS(test_free_bios_first),
        MODE_TESTS(test_reader_and_writer_threads),
        MODE_TESTS(test_host_interrupt),
        MODE_TESTS(test_free_context_in_hook),
    };
    return cmocka_run_group_tests_name("misuse", tests, NULL, NULL);
}
