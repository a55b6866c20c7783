/*
 * Shared harness of pyssl's C tests: certificates, contexts, connected
 * socket pairs with a peer thread, step recording, and the comparison of
 * recorded steps against the Python oracle (oracle/ssl_oracle.py).
 *
 * A scenario records every step it performs with rec_*() (from any thread);
 * the test then calls check_steps() in the main thread, which compares the
 * steps under a prefix with what CPython's ssl module did in the same
 * scenario (class, message without the location, errno, library, reason,
 * verify_code, verify_message), and checks that the pyssl status matches
 * the exception class. Mismatches are printed and fail the test.
 */
#ifndef PYSSL_C_TESTS_HARNESS_H
#define PYSSL_C_TESTS_HARNESS_H

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cmocka.h>

#include "pyssl.h"

#define SHORT_TIMEOUT 0.2 /* timeouts meant to expire */
#define LONG_TIMEOUT 5.0  /* timeouts that keep a broken peer from hanging */
#define BIG_WRITE (8 * 1024 * 1024)

/* The two behaviours under test: pyssl's 3.11 mode against Debian's
 * python3.11, and pyssl's 3.13 or 3.14 mode (harness_init() picks it from
 * PYSSL_ORACLE_COMPAT: 314, else 313) against that CPython (tests named
 * "[3.14]", the oracle file oracle-314.txt, either way). */
extern int harness_mode_311;
extern int harness_mode_314;
#define MODE_TESTS(f)                                                  \
    {#f " [3.11]", f, NULL, NULL, &harness_mode_311},                  \
    {                                                                  \
        #f " [3.14]", f, NULL, NULL, &harness_mode_314                 \
    }
#define TEST_MODE(state) (*(int *)*(state))

/* Ignores SIGPIPE as CPython does; call first in main(). */
void harness_init(void);

/* Path of a generated certificate file (in a small ring of buffers). */
const char *cert_path(const char *name);

/* Contexts in a mode; NULL (with a message printed) on failure. */
pyssl_context *mode_ctx(int mode, int protocol);
pyssl_context *client_ctx(int mode, const char *ca, const char *certname);
pyssl_context *server_ctx(int mode, const char *certname, int verify_mode,
                          const char *ca);

/* ---- recorded steps ---- */

typedef struct step {
    char id[128];
    int ok;        /* 1: succeeded with `value`; 0: failed */
    char *value;   /* OK: the Python repr / fixed word */
    long status;   /* the returned status (failures) */
    long last_status; /* pyssl_error_status() right after the call */
    char *type;    /* pyssl_error_type() */
    char *message; /* pyssl_error_message() */
    int has_errno;
    int err_no;
    char *library;
    char *reason;
    long verify_code;
    char *verify_message;
} step;

typedef struct results {
    pthread_mutex_t lock;
    int mode;
    int n;
    step steps[512];
} results;

void results_init(results *r, int mode);
void results_free(results *r);

/* A step that succeeded, with its value as Python's repr() shows it. */
void rec_value(results *r, const char *id, const char *value);
/* A failed step: captures the calling thread's last pyssl error. */
void rec_error(results *r, const char *id, long status);
/* ret >= 0: rec_value(okvalue) (or the number when okvalue is NULL);
 * ret < 0: rec_error. Returns ret. */
long rec_ret(results *r, const char *id, long ret, const char *okvalue);

/* The common calls, recorded as the oracle prints them. */
long rec_handshake(results *r, const char *id, pyssl_socket *s);
long rec_shutdown(results *r, const char *id, pyssl_socket *s);
long rec_read(results *r, const char *id, pyssl_socket *s, size_t n);
long rec_write(results *r, const char *id, pyssl_socket *s, const void *buf,
               size_t len);
void rec_version(results *r, const char *id, pyssl_socket *s);
void rec_cipher(results *r, const char *id, pyssl_socket *s);
void rec_pending(results *r, const char *id, pyssl_socket *s);
void rec_peercert(results *r, const char *id, pyssl_socket *s, int binary);

/* Compares every recorded step and every oracle step whose id starts with
 * `prefix`; prints and counts mismatches. Returns the count, or -1 when the
 * oracle for this mode is unavailable (a notice is printed). */
int compare_steps(results *r, const char *prefix);
/* The interpreter behind a mode's oracle, from its file's first comment
 * ("python 3.13.0, OpenSSL ..."); "" when unavailable. */
const char *oracle_interpreter(int mode);
/* compare_steps() for each prefix, then fails the test on any mismatch or
 * skips it when the oracle is unavailable. Ends with a NULL. */
void check_steps(results *r, ...);

/* ---- Python reprs ---- */
char *py_bytes_repr(const void *buf, size_t len); /* malloc'd */
char *py_str_repr(const char *s);                  /* malloc'd; NULL -> None */

/* ---- a host that frees a handle while its lock is released ---- */

/* Installs host hooks (once) whose next `release` calls free_fn(handle),
 * as a host does when another of its threads drops the last reference
 * while pyssl runs without the host's lock; `reacquire` does nothing.
 * free_on_release_done() tells whether that free happened;
 * free_on_release_stop() removes the hooks. */
void free_on_release(void (*free_fn)(void *handle), void *handle);
int free_on_release_done(void);
void free_on_release_stop(void);

/* ---- connected pairs with a peer thread ---- */

typedef struct pair pair;
typedef void (*side_fn)(pair *p, int *fd);

struct pair {
    results *r;
    int mode;
    void *arg;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int events[8];
};

/* Runs server(p, &fd) in a new thread and client(p, &fd) in this one over
 * a socketpair (tcp 0) or a loopback TCP connection (tcp 1). A side may
 * close its fd and set it to -1; the rest are closed after both return. */
void run_pair(results *r, int tcp, side_fn client, side_fn server, void *arg);
void pair_set(pair *p, int k);
/* Waits for event k (15 s at most; returns 0 on timeout). */
int pair_wait(pair *p, int k);
/* Connected fds: socketpair (tcp 0) or loopback TCP (tcp 1). */
int connected_pair(int tcp, int fds[2]);
/* Closes with SO_LINGER 0 (a TCP reset). */
void linger0_close(int *fd);
void close_fd(int *fd);

/* The oracle's simple_pair(): both sides handshake with `timeout`; the
 * server then sends b"ok" and the client reads it. After a failed
 * handshake the client tries read(10) and shutdown, the server shutdown.
 * Steps: PREFIX{client,server}.{handshake,version,peercert,write,read,...}.
 * Frees both contexts. */
void simple_pair(results *r, const char *prefix, pyssl_context *cctx,
                 pyssl_context *sctx, const char *hostname, int tcp,
                 double timeout);

/* Builds "PREFIXsuffix" in a small ring of buffers. */
const char *sid(const char *prefix, const char *suffix);

/* A default client context (trusting ca.pem) and server context (server
 * certificate, CERT_NONE) for a pair, with the step-id prefix and a
 * scenario variant; pair->arg points at it for pair_side(). */
struct pair_ctxs {
    const char *prefix;
    pyssl_context *cctx, *sctx;
    int variant;
};
void pair_ctxs_init(struct pair_ctxs *c, int mode, const char *prefix, int variant);
void pair_ctxs_free(struct pair_ctxs *c);
/* One end of the pair as a pyssl socket (client for "localhost"); a
 * failure is recorded as "<prefix>client.new"/"server.new". `timeout` < 0
 * keeps the socket blocking. */
pyssl_socket *pair_side(pair *p, int *fd, int server, double timeout);

/* Waits until fd is readable (1) or writable (2) or the timeout. */
void wait_fd(int fd, int events, double seconds);

#endif
