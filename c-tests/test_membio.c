/* Memory BIOs and SSLObjects over them (oracle: membio). */
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void rec_eof(results *r, const char *id, pyssl_memory_bio *b) {
    pyssl_error_clear();
    int e = pyssl_memory_bio_eof(b);
    if (e < 0)
        rec_error(r, id, e);
    else
        rec_value(r, id, e ? "True" : "False");
}

static void rec_bio_read(results *r, const char *id, pyssl_memory_bio *b, size_t n) {
    char buf[256];
    pyssl_error_clear();
    ssize_t got = pyssl_memory_bio_read(b, buf, n);
    if (got < 0) {
        rec_error(r, id, got);
    } else {
        char *v = py_bytes_repr(buf, (size_t)got);
        rec_value(r, id, v);
        free(v);
    }
}

static void test_bio_basics(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    pyssl_memory_bio *b = pyssl_memory_bio_new();
    assert_non_null(b);
    pyssl_error_clear();
    rec_ret(&r, "bio.basic.write", pyssl_memory_bio_write(b, "abc", 3), NULL);
    rec_ret(&r, "bio.basic.pending", pyssl_memory_bio_pending(b), NULL);
    rec_eof(&r, "bio.basic.eof_pending", b);
    rec_ret(&r, "bio.basic.write_eof", pyssl_memory_bio_write_eof(b), "ok");
    rec_eof(&r, "bio.basic.eof_still_pending", b);
    rec_bio_read(&r, "bio.basic.read", b, 10);
    rec_eof(&r, "bio.basic.eof_drained", b);
    pyssl_error_clear();
    rec_ret(&r, "bio.basic.write_after_eof", pyssl_memory_bio_write(b, "x", 1), NULL);
    pyssl_memory_bio_free(b);
    check_steps(&r, "bio.basic.", NULL);
}

struct objs {
    pyssl_context *cctx, *sctx;
    pyssl_memory_bio *ci, *co, *si, *so;
    pyssl_socket *c, *s;
};

/* A client and a server over fresh BIOs, on the given contexts. */
static void objs_on(struct objs *o, pyssl_context *cctx, pyssl_context *sctx) {
    o->cctx = cctx;
    o->sctx = sctx;
    o->ci = pyssl_memory_bio_new();
    o->co = pyssl_memory_bio_new();
    o->si = pyssl_memory_bio_new();
    o->so = pyssl_memory_bio_new();
    o->c = pyssl_socket_new_bio(o->cctx, o->ci, o->co, 0, "localhost");
    o->s = pyssl_socket_new_bio(o->sctx, o->si, o->so, 1, NULL);
    assert_non_null(o->c);
    assert_non_null(o->s);
}

static void objs_new(struct objs *o, int mode) {
    pyssl_context *cctx = client_ctx(mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    objs_on(o, cctx, sctx);
    /* The sockets hold their own references to everything. */
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}

static void objs_free(struct objs *o) {
    pyssl_socket_free(o->c);
    pyssl_socket_free(o->s);
    pyssl_memory_bio_free(o->ci);
    pyssl_memory_bio_free(o->co);
    pyssl_memory_bio_free(o->si);
    pyssl_memory_bio_free(o->so);
}

static size_t move(pyssl_memory_bio *from, pyssl_memory_bio *to) {
    char buf[65536];
    size_t moved = 0;
    ssize_t n;
    while ((n = pyssl_memory_bio_read(from, buf, sizeof buf)) > 0) {
        pyssl_memory_bio_write(to, buf, (size_t)n);
        moved += (size_t)n;
    }
    return moved;
}

static size_t pump(struct objs *o) {
    size_t a = move(o->co, o->si);
    return a + move(o->so, o->ci);
}

#define PP "bio.pair."

static void test_bio_pair(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct objs o;
    objs_new(&o, r.mode);
    rec_handshake(&r, PP "client.first", o.c);
    rec_value(&r, PP "client.outgoing_nonempty",
              pyssl_memory_bio_pending(o.co) > 0 ? "True" : "False");
    rec_handshake(&r, PP "server.before_input", o.s);
    int done[2] = {0, 0};
    pyssl_socket *socks[2] = {o.c, o.s};
    for (int iter = 0; iter < 20; iter++) {
        for (int i = 0; i < 2; i++)
            if (!done[i] && pyssl_do_handshake(socks[i]) == 0)
                done[i] = 1;
        if (!pump(&o) && done[0] && done[1])
            break;
    }
    char v[64];
    snprintf(v, sizeof v, "[%s, %s]", done[0] ? "True" : "False",
             done[1] ? "True" : "False");
    rec_value(&r, PP "handshakes", v);
    rec_version(&r, PP "client.version", o.c);
    rec_read(&r, PP "client.read_empty", o.c, 10);
    rec_write(&r, PP "client.write", o.c, "data", 4);
    pump(&o);
    rec_read(&r, PP "server.read", o.s, 10);
    rec_shutdown(&r, PP "client.shutdown1", o.c);
    pump(&o);
    rec_read(&r, PP "server.read_eof", o.s, 10);
    rec_shutdown(&r, PP "server.shutdown", o.s);
    pump(&o);
    rec_shutdown(&r, PP "client.shutdown2", o.c);
    objs_free(&o);
    check_steps(&r, PP, NULL);
}

static void test_bio_eof_in_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct objs o;
    objs_new(&o, r.mode);
    rec_handshake(&r, "bio.eof_in_handshake.client.first", o.c);
    assert_int_equal(pyssl_memory_bio_write_eof(o.ci), 0);
    rec_handshake(&r, "bio.eof_in_handshake.client.after_eof", o.c);
    objs_free(&o);
    check_steps(&r, "bio.eof_in_handshake.", NULL);
}

/* Handshakes both ends, moving bytes until nothing moves. */
static void drive_handshake(struct objs *o) {
    for (int iter = 0; iter < 20; iter++) {
        pyssl_do_handshake(o->c);
        pyssl_do_handshake(o->s);
        if (!pump(o))
            break;
    }
}

static void test_bio_eof_after_handshake(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    struct objs o;
    objs_new(&o, r.mode);
    drive_handshake(&o);
    assert_int_equal(pyssl_memory_bio_write_eof(o.ci), 0);
    rec_read(&r, "bio.eof_after_handshake.client.read", o.c, 10);
    rec_write(&r, "bio.eof_after_handshake.client.write", o.c, "x", 1);
    objs_free(&o);
    check_steps(&r, "bio.eof_after_handshake.", NULL);
}

static void rec_has_session(results *r, const char *id, pyssl_socket *s) {
    pyssl_session *se = NULL;
    pyssl_error_clear();
    int rc = pyssl_socket_get_session(s, &se);
    rec_ret(r, id, rc, se ? "True" : "False");
    pyssl_session_free(se);
}

static void rec_chain(results *r, const char *id, pyssl_socket *s) {
    pyssl_cert_list *l = NULL;
    pyssl_error_clear();
    int rc = pyssl_socket_get_chain(s, 0, &l);
    char v[32] = "None";
    if (l)
        snprintf(v, sizeof v, "list(%zd)", pyssl_cert_list_len(l));
    rec_ret(r, id, rc, v);
    pyssl_cert_list_free(l);
}

static void session_handshake(struct objs *o) {
    drive_handshake(o);
    assert_int_equal(pyssl_write(o->s, "x", 1), 1);
    pump(o);
    char buf[10];
    assert_int_equal(pyssl_read(o->c, buf, sizeof buf), 1);
}

/* 3.11 hands out (and resumes) a copy of the session through its DER
 * encoding, which fails mid-handshake and carries no peer chain. */
static void test_bio_session(void **state) {
    results r;
    results_init(&r, TEST_MODE(state));
    /* pyssl's 3.13 mode follows Debian's 3.13.5; 3.13.1 stopped copying
     * sessions, so the host's stand-in 3.13.0 cannot judge this one (the
     * chroots' 3.13.5 and 3.14 do). */
    if (strncmp(oracle_interpreter(r.mode), "python 3.13.0,", 14) == 0) {
        print_message("NOTICE: 3.13.0 predates 3.13.1's session rules: skipped\n");
        skip();
    }
    pyssl_context *cctx = client_ctx(r.mode, "ca.pem", NULL);
    pyssl_context *sctx = server_ctx(r.mode, "server", PYSSL_CERT_NONE, NULL);
    assert_non_null(cctx);
    assert_non_null(sctx);
    struct objs o;
    objs_on(&o, cctx, sctx);
    rec_handshake(&r, "bio.session.client.first", o.c);
    rec_has_session(&r, "bio.session.client.mid_handshake", o.c);
    session_handshake(&o);
    rec_chain(&r, "bio.session.client.chain", o.c);
    pyssl_session *first = NULL;
    assert_int_equal(pyssl_socket_get_session(o.c, &first), 0);
    assert_non_null(first);
    struct objs o2;
    objs_on(&o2, cctx, sctx);
    assert_int_equal(pyssl_socket_set_session(o2.c, first), 0);
    session_handshake(&o2);
    rec_value(&r, "bio.session.resumed.reused",
              pyssl_socket_session_reused(o2.c) == 1 ? "True" : "False");
    rec_chain(&r, "bio.session.resumed.chain", o2.c);
    pyssl_session_free(first);
    objs_free(&o2);
    objs_free(&o);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    check_steps(&r, "bio.session.", NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_bio_basics),
        MODE_TESTS(test_bio_pair),
        MODE_TESTS(test_bio_eof_in_handshake),
        MODE_TESTS(test_bio_eof_after_handshake),
        MODE_TESTS(test_bio_session),
    };
    return cmocka_run_group_tests_name("membio", tests, NULL, NULL);
}
