/*
 * pyssl benchmarks: shared declarations.
 *
 * One binary, two TLS implementations behind the same small interface
 * (struct impl): raw OpenSSL (the floor) and pyssl. Each test in tests.c
 * drives an implementation through this interface only, so both do exactly
 * the same work; the Python variant (pybench.py) mirrors the same tests.
 */
#ifndef PYSSL_BENCH_H
#define PYSSL_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Results of the I/O calls, shared by both implementations. */
enum {
    B_OK = 0,
    B_ERR = -1,
    B_WANT_READ = -2,
    B_WANT_WRITE = -3,
    B_CLOSED = -6,
};

/* What a context is configured for. */
typedef struct bench_cfg {
    const char *certdir; /* holds ca.pem, ec.pem/ec.key, rsa.pem/rsa.key */
    const char *key;     /* "ec" (ECDSA P-256) or "rsa" (RSA-2048) */
    int tls12;           /* cap both sides at TLS 1.2 */
} bench_cfg;

typedef struct impl {
    const char *name;
    /* Makes the client and server contexts (CPython defaults; client with
     * CERT_REQUIRED + check_hostname and ca.pem, server with the chain). */
    int (*setup)(const bench_cfg *cfg);
    void (*teardown)(void);
    /* A connection over the connected fd; nonblocking sets O_NONBLOCK.
     * Clients send SNI "localhost" and verify it. `session` (clients only,
     * may be NULL) is one from get_session to resume. */
    void *(*conn_new)(int fd, int server, int nonblocking, void *session);
    void (*conn_free)(void *c);
    /* A connection over a pair of memory BIOs (no fd), and moving what
     * `from` wrote into what `to` reads: bytes moved. */
    void *(*conn_new_mem)(int server);
    size_t (*mem_move)(void *from, void *to);
    /* Switches an established connection between blocking and not. */
    void (*set_blocking)(void *c, int fd, int blocking);
    /* B_OK when done, B_WANT_READ/B_WANT_WRITE (non-blocking), B_ERR. */
    int (*handshake)(void *c);
    /* Bytes (> 0), B_CLOSED for close_notify, B_WANT_*, B_ERR. */
    ssize_t (*read)(void *c, void *buf, size_t n);
    /* n, B_WANT_* (call again with the same buffer), B_ERR. */
    ssize_t (*write)(void *c, const void *buf, size_t n);
    /* CPython's unwrap(): close_notify sent and received. B_OK, B_WANT_*,
     * B_ERR. A connection freed without it makes its session unusable. */
    int (*shutdown)(void *c);
    /* Client: the session to resume later (free with session_free). */
    void *(*get_session)(void *c);
    void (*session_free)(void *s);
    int (*session_reused)(void *c);
    /* getpeercert(binary_form) including freeing the result: 0 or B_ERR. */
    int (*peercert)(void *c, int binary);
    const char *(*version)(void *c);
    const char *(*cipher)(void *c);
    /* Text of the last failure (for error reports). */
    const char *(*last_error)(void);
} impl;

extern const impl impl_raw;
extern const impl impl_pyssl;

/* ---- common.c ---- */
double now_s(void);
double cpu_s(void);        /* CPU time of this process (all threads), user + system */
double thread_cpu_s(void); /* CPU time of this thread */
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void set_nonblocking(int fd, int on);
/* A connected pair over AF_UNIX (kind "unix") or loopback TCP ("tcp"). */
void make_pair(const char *kind, int fds[2]);
int tcp_listener(int backlog, int *port);
int tcp_connect(int port, int nonblocking);
void tcp_nodelay(int fd);
void tcp_abort_on_close(int fd);
/* Bytes malloc has handed out and not got back (mallinfo2). */
size_t heap_in_use(void);
long rss_kib(void);      /* VmRSS */
long hwm_kib(void);      /* VmHWM: peak RSS */
int reset_hwm(void);     /* 1 if /proc/self/clear_refs reset VmHWM */
void write_full(int fd, const void *buf, size_t n);
void read_full(int fd, void *buf, size_t n);
int send_fds(int sock, const int *fds, int n);
int recv_fds(int sock, int *fds, int max);

/* JSON result line on stdout: {"key": value, ...}. */
void json_begin(void);
void json_num(const char *key, double v);
void json_str(const char *key, const char *v);
void json_end(void);

/* ---- raw_decode.c ---- */
struct x509_st;
struct ssl_st;
/* The raw-OpenSSL floor of getpeercert(): the same fields CPython's
 * _decode_certificate reads, as C strings, freed again. 0 or -1. */
int raw_decode_cert(struct x509_st *cert);

/* ---- impl_raw.c ---- */
struct ssl_ctx_st;
/* An SSL_CTX with the settings of pyssl's context (check_same_settings). */
struct ssl_ctx_st *raw_ctx_new(const bench_cfg *cfg, int server);
/* Selects which of three independent pairs of contexts impl_raw uses (0
 * by default); setup/teardown act on the selected pair. */
void raw_use_slot(int k);
/* The connection's SSL * (raw connections are SSL *). */
#define RAW_SSL(c) ((struct ssl_st *)(c))

/* ---- tests.c ---- */
typedef struct opts {
    const char *test;
    const char *transport; /* "unix" (socketpair) or "tcp" */
    const char *dir;       /* "c2s" or "s2c" */
    const char *server;    /* --paired: "same" (the lane's implementation) or "raw" */
    long long bytes;
    size_t chunk;
    long count;
    int window;
    int warmup;
    bench_cfg cfg;
} opts;

int run_test(const impl *im, const opts *o);
/* Helpers the paired runner shares with the tests. */
typedef struct pairs {
    const char *transport;
    int listener, port;
} pairs;
void pairs_init(pairs *p, const char *transport);
void pairs_make(pairs *p, int fds[2]);
void pairs_done(pairs *p);
void big_buffers(int fd);
/* Both ends in turn, client first; `ci` drives the client, `si` the server. */
void pump_handshake(const impl *ci, void *client, const impl *si, void *server);
void pump_shutdown(const impl *ci, void *client, const impl *si, void *server);
/* A non-blocking client of `ci` on fds[0] (resuming `session` if not NULL)
 * and server of `si` on fds[1], handshaken with each other; dies on failure. */
void connect_pair(const impl *ci, void **client, const impl *si, void **server, const int fds[2],
                  void *session);
void write_all(const impl *im, void *c, const char *buf, size_t chunk, long long total);
void read_exactly(const impl *im, void *c, char *buf, long long total);
/* A session of a client of `ci` that did a full handshake with a server of `si`. */
void *first_session(const impl *ci, const impl *si, pairs *pp);

/* ---- impl_pyssl.c ---- */
/* 0 when raw_ctx_new's contexts match pyssl's (options, versions, verify
 * mode); prints the differences otherwise. */
int check_same_settings(const bench_cfg *cfg);
/* What the CPython patch does for a socket's first getpeercert(): a new
 * pyssl socket over an existing SSL * (pyssl_socket_wrap_ssl + set_io),
 * getpeercert(), the value and the socket freed. 0 or B_ERR. */
int bench_fresh_peercert(struct ssl_st *ssl, int fd);
/* pyssl_decode_x509 of the certificate, the value freed. 0 or B_ERR. */
int bench_decode_only(struct x509_st *cert);

/* ---- paired.c ---- */
/* The paired runner: raw, pyssl and raw again in one process, in short
 * alternating segments; prints one JSON line. 0, or dies. */
int run_paired(const opts *o, int rounds, double segment_s, const char *profile, long profile_ops);

#endif
