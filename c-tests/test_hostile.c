/* Hostile peers (oracle: hostile_*): a peer written here, with raw socket
 * writes or a raw OpenSSL SSL* over memory BIOs, misbehaves against pyssl
 * clients and servers; the oracle reproduces the same peer (the same bytes,
 * or the same libssl calls through ctypes) against CPython's ssl module.
 *
 * - garbage instead of TLS: an HTTP request or random bytes to a server,
 *   random bytes or an SSH banner to a client;
 * - truncated records: a header announcing more than follows, then close,
 *   in the handshake and in application data, at both sides;
 * - closes mid-handshake (after the ServerHello, after the ClientHello) and
 *   without close_notify after data;
 * - stalls on loopback TCP: timeouts in the handshake and in reads (also in
 *   the middle of a record), WANT_READ in non-blocking mode;
 * - a certificate message over OpenSSL's max_cert_list (100 KiB);
 * - TLS 1.2 renegotiation from either side, TLS 1.3 KeyUpdate from either
 *   side, and a flood of 1,000 KeyUpdates;
 * - data after close_notify: plaintext, or a valid application record.
 *
 * The peer's own observations are recorded as values too: "ok", the bytes
 * it read, "error N: reason" (SSL_get_error() and the reason of the last
 * queued OpenSSL error), "eof", or the TLS records it received. */
#define _GNU_SOURCE
#include "harness.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(int ms) { usleep((useconds_t)ms * 1000); }

/* ---- raw bytes ---- */

/* The same "random" bytes as lcg_bytes() in the oracle. */
static void lcg_bytes(unsigned char *out, size_t n) {
    uint32_t x = 42;
    for (size_t i = 0; i < n; i++) {
        x = (x * 1103515245u + 12345u) & 0x7fffffffu;
        out[i] = (unsigned char)((x >> 16) & 0xff);
    }
}

/* Appends one space-separated item to out. */
static void put_item(char *out, size_t cap, size_t *used, const char *fmt, ...) {
    if (*used && *used < cap)
        *used += (size_t)snprintf(out + *used, cap - *used, " ");
    va_list ap;
    va_start(ap, fmt);
    if (*used < cap)
        *used += (size_t)vsnprintf(out + *used, cap - *used, fmt, ap);
    va_end(ap);
}

/* TLS records in raw bytes, as the oracle's describe_records(). */
static void describe_records(const unsigned char *d, size_t len, char *out,
                             size_t cap) {
    size_t i = 0, used = 0;
    out[0] = 0;
    while (len - i >= 5) {
        unsigned t = d[i];
        size_t n = ((size_t)d[i + 3] << 8) | d[i + 4];
        if (len - i - 5 < n) {
            put_item(out, cap, &used, "partial(%u,%zu/%zu)", t, len - i - 5, n);
            i = len;
            break;
        }
        if (t == 21 && n == 2)
            put_item(out, cap, &used, "alert(%u,%u)", d[i + 5], d[i + 6]);
        else
            put_item(out, cap, &used, "rec(%u,%zu)", t, n);
        i += 5 + n;
    }
    if (i < len)
        put_item(out, cap, &used, "tail(%zu)", len - i);
    if (!used)
        snprintf(out, cap, "none");
}

static int send_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            wait_fd(fd, 2, LONG_TIMEOUT);
            continue;
        }
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One recv() after waiting up to LONG_TIMEOUT: > 0, 0 (EOF), -1. */
static ssize_t recv_some(int fd, void *buf, size_t cap) {
    struct pollfd pfd = {fd, POLLIN, 0};
    if (poll(&pfd, 1, (int)(LONG_TIMEOUT * 1000)) <= 0)
        return -1;
    ssize_t n = recv(fd, buf, cap, MSG_DONTWAIT);
    return n < 0 ? -1 : n;
}

static size_t recv_exact(int fd, unsigned char *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t k = recv_some(fd, buf + got, n - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* One whole TLS record (less if the connection ends first); buf holds
 * 5 + 65535 bytes. */
static size_t recv_record(int fd, unsigned char *buf) {
    size_t n = recv_exact(fd, buf, 5);
    if (n < 5)
        return n;
    return 5 + recv_exact(fd, buf + 5, ((size_t)buf[3] << 8) | buf[4]);
}

/* What has arrived already, without waiting. */
static size_t recv_available(int fd, unsigned char *buf, size_t cap) {
    size_t got = 0;
    while (got < cap) {
        ssize_t k = recv(fd, buf + got, cap - got, MSG_DONTWAIT);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

/* Everything until EOF (the other side closes when it is done). */
static size_t drain(int fd, unsigned char *buf, size_t cap) {
    size_t got = 0;
    while (got < cap) {
        ssize_t k = recv_some(fd, buf + got, cap - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    return got;
}

#define BUFSZ (256 * 1024)

static void note_records(results *r, const char *id, const unsigned char *d,
                         size_t len) {
    char desc[1024];
    describe_records(d, len, desc, sizeof desc);
    rec_value(r, id, desc);
}

static void note_drain(results *r, const char *id, int fd) {
    unsigned char *buf = malloc(BUFSZ);
    note_records(r, id, buf, drain(fd, buf, BUFSZ));
    free(buf);
}

/* ---- the raw OpenSSL peer (RawTLS in the oracle) ---- */

typedef struct raw {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio;
    int fd;
    char text[256];
} raw;

static void raw_init(raw *w, int fd, int server, const char *certname, int maxver) {
    memset(w, 0, sizeof *w);
    w->fd = fd;
    w->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (certname) {
        char c[64], k[64];
        snprintf(c, sizeof c, "%s.pem", certname);
        snprintf(k, sizeof k, "%s.key", certname);
        SSL_CTX_use_certificate_chain_file(w->ctx, cert_path(c));
        SSL_CTX_use_PrivateKey_file(w->ctx, cert_path(k), SSL_FILETYPE_PEM);
    }
    if (maxver)
        SSL_CTX_set_max_proto_version(w->ctx, maxver);
    w->ssl = SSL_new(w->ctx);
    w->rbio = BIO_new(BIO_s_mem());
    w->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(w->ssl, w->rbio, w->wbio);
    if (server)
        SSL_set_accept_state(w->ssl);
    else
        SSL_set_connect_state(w->ssl);
}

static void raw_free(raw *w) {
    SSL_free(w->ssl);
    SSL_CTX_free(w->ctx);
}

/* What OpenSSL wrote, without sending it (malloc'd). */
static unsigned char *raw_take(raw *w, size_t *len) {
    size_t cap = 65536, n = 0;
    unsigned char *out = malloc(cap);
    for (;;) {
        if (cap - n < 65536) {
            cap *= 2;
            out = realloc(out, cap);
        }
        int k = BIO_read(w->wbio, out + n, 65536);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    *len = n;
    return out;
}

static int raw_flush(raw *w) {
    size_t len;
    unsigned char *d = raw_take(w, &len);
    int rc = len ? send_all(w->fd, d, len) : 0;
    free(d);
    return rc;
}

static void raw_feed(raw *w, const void *d, size_t len) {
    if (len)
        BIO_write(w->rbio, d, (int)len);
}

static ssize_t raw_fill(raw *w) {
    unsigned char buf[65536];
    ssize_t n = recv_some(w->fd, buf, sizeof buf);
    if (n > 0)
        raw_feed(w, buf, (size_t)n);
    return n;
}

static int raw_failure(raw *w, int r) {
    int err = SSL_get_error(w->ssl, r);
    unsigned long code = ERR_peek_last_error();
    const char *reason = code ? ERR_reason_error_string(code) : NULL;
    snprintf(w->text, sizeof w->text, "error %d: %s", err, reason ? reason : "-");
    ERR_clear_error();
    return err;
}

enum raw_op { OP_HANDSHAKE, OP_READ };

/* The operation until it returns > 0; else w->text says why. */
static int raw_drive(raw *w, enum raw_op op, void *buf, int n) {
    for (;;) {
        int r = op == OP_HANDSHAKE ? SSL_do_handshake(w->ssl) : SSL_read(w->ssl, buf, n);
        if (r > 0) {
            raw_flush(w);
            return r;
        }
        int err = raw_failure(w, r);
        raw_flush(w);
        if (err != SSL_ERROR_WANT_READ)
            return -1;
        ssize_t k = raw_fill(w);
        if (k <= 0) {
            snprintf(w->text, sizeof w->text, "%s", k == 0 ? "eof" : "recv failed");
            return -1;
        }
    }
}

static const char *raw_handshake(raw *w) {
    if (raw_drive(w, OP_HANDSHAKE, NULL, 0) > 0)
        snprintf(w->text, sizeof w->text, "ok");
    return w->text;
}

static const char *raw_read(raw *w) {
    char buf[100];
    int r = raw_drive(w, OP_READ, buf, sizeof buf);
    if (r > 0) {
        char *v = py_bytes_repr(buf, (size_t)r);
        snprintf(w->text, sizeof w->text, "%s", v);
        free(v);
    }
    return w->text;
}

static const char *raw_write(raw *w, const char *data) {
    int r = SSL_write(w->ssl, data, (int)strlen(data));
    if (r > 0)
        snprintf(w->text, sizeof w->text, "ok");
    else
        raw_failure(w, r);
    raw_flush(w);
    return w->text;
}

/* One SSL_shutdown() call; its return value. */
static const char *raw_shutdown(raw *w) {
    int r = SSL_shutdown(w->ssl);
    ERR_clear_error();
    raw_flush(w);
    snprintf(w->text, sizeof w->text, "%d", r);
    return w->text;
}

static const char *int_text(raw *w, int v) {
    snprintf(w->text, sizeof w->text, "%d", v);
    return w->text;
}

/* Records a peer observation and returns whether it is "ok". */
static int note(results *r, const char *id, const char *text) {
    rec_value(r, id, text);
    return strcmp(text, "ok") == 0;
}

/* ---- the pyssl side ---- */

struct hs {
    const char *P;
    int variant;
    int maxver;
    double timeout;
    const unsigned char *data;
    size_t len;
    double elapsed[4];
};

static pyssl_socket *new_side(pair *p, const char *P, int fd, int server,
                              double timeout) {
    pyssl_context *ctx = server ? server_ctx(p->mode, "server", PYSSL_CERT_NONE, NULL)
                                : client_ctx(p->mode, "ca.pem", NULL);
    if (!ctx) {
        rec_value(p->r, sid(P, "harness.no_context"), "");
        return NULL;
    }
    pyssl_error_clear();
    pyssl_socket *o = pyssl_socket_new(ctx, fd, server, server ? NULL : "localhost");
    if (!o)
        rec_error(p->r, sid(P, server ? "server.new" : "client.new"), pyssl_error_status());
    else
        pyssl_socket_set_timeout(o, timeout);
    pyssl_context_free(ctx);
    return o;
}

/* After a failed handshake: read and shutdown, as simple_pair. */
static void fail_steps(pair *p, const char *P, const char *who, pyssl_socket *o) {
    char id[160];
    snprintf(id, sizeof id, "%s%s.read_after", P, who);
    rec_read(p->r, id, o, 10);
    snprintf(id, sizeof id, "%s%s.shutdown", P, who);
    rec_shutdown(p->r, id, o);
}

static void run(void **state, const char *P, int tcp, side_fn client, side_fn server,
                struct hs *h) {
    results r;
    results_init(&r, TEST_MODE(state));
    h->P = P;
    run_pair(&r, tcp, client, server, h);
    check_steps(&r, P, NULL);
}

/* ---- garbage instead of TLS ---- */

static void g2s_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    send_all(*fd, h->data, h->len);
    pair_wait(p, 0);
    note_drain(p->r, sid(h->P, "peer.received"), *fd);
}

static void g2s_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(h->P, "server.handshake"), o) < 0)
        fail_steps(p, h->P, "server", o);
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static const char HTTP_REQUEST[] =
    "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
static const char SSH_BANNER[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n";

static void test_http_to_server(void **state) {
    struct hs h = {.data = (const unsigned char *)HTTP_REQUEST, .len = strlen(HTTP_REQUEST)};
    run(state, "hostile.http_to_server.", 0, g2s_peer, g2s_side, &h);
}

static void test_garbage_to_server(void **state) {
    unsigned char g[256];
    lcg_bytes(g, sizeof g);
    struct hs h = {.data = g, .len = sizeof g};
    run(state, "hostile.garbage_to_server.", 0, g2s_peer, g2s_side, &h);
}

static void g2c_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    unsigned char *buf = malloc(BUFSZ);
    if (!h->variant) /* answer the hello (else: speak first) */
        note_records(p->r, sid(h->P, "peer.client_hello"), buf, recv_record(*fd, buf));
    send_all(*fd, h->data, h->len);
    pair_wait(p, 0);
    note_drain(p->r, sid(h->P, "peer.received"), *fd);
    free(buf);
}

static void g2c_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(h->P, "client.handshake"), o) < 0)
        fail_steps(p, h->P, "client", o);
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void test_garbage_to_client(void **state) {
    unsigned char g[256];
    lcg_bytes(g, sizeof g);
    struct hs h = {.data = g, .len = sizeof g};
    run(state, "hostile.garbage_to_client.", 0, g2c_side, g2c_peer, &h);
}

static void test_ssh_banner_to_client(void **state) {
    struct hs h = {.data = (const unsigned char *)SSH_BANNER, .len = strlen(SSH_BANNER),
                   .variant = 1};
    run(state, "hostile.ssh_banner_to_client.", 0, g2c_side, g2c_peer, &h);
}

/* ---- truncated records ---- */

static void send_truncated(int fd, const unsigned char hdr[5], size_t body) {
    unsigned char buf[5 + 100];
    memcpy(buf, hdr, 5);
    lcg_bytes(buf + 5, body);
    send_all(fd, buf, 5 + body);
}

static const unsigned char HS_13[5] = {0x16, 0x03, 0x03, 0x40, 0x00};
static const unsigned char HELLO_512[5] = {0x16, 0x03, 0x01, 0x02, 0x00};
static const unsigned char DATA_16K[5] = {0x17, 0x03, 0x03, 0x40, 0x00};
static const unsigned char DATA_64[5] = {0x17, 0x03, 0x03, 0x00, 0x40};

static void ths_client_peer(pair *p, int *fd) { /* the server role */
    (void)p;
    unsigned char *buf = malloc(BUFSZ);
    recv_record(*fd, buf);
    free(buf);
    send_truncated(*fd, HS_13, 100);
    close_fd(fd);
}

static void twice_side(pair *p, int *fd, int server) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, server, LONG_TIMEOUT);
    if (o) {
        rec_handshake(p->r, sid(h->P, server ? "server.handshake" : "client.handshake"), o);
        rec_handshake(p->r,
                      sid(h->P, server ? "server.handshake_again" : "client.handshake_again"),
                      o);
    }
    pyssl_socket_free(o);
}

static void twice_client(pair *p, int *fd) { twice_side(p, fd, 0); }
static void twice_server(pair *p, int *fd) { twice_side(p, fd, 1); }

static void test_truncated_hs_to_client(void **state) {
    struct hs h = {0};
    run(state, "hostile.truncated_hs_to_client.", 0, twice_client, ths_client_peer, &h);
}

static void ths_server_peer(pair *p, int *fd) { /* the client role */
    (void)p;
    send_truncated(*fd, HELLO_512, 100);
    close_fd(fd);
}

static void test_truncated_hs_to_server(void **state) {
    struct hs h = {0};
    run(state, "hostile.truncated_hs_to_server.", 0, ths_server_peer, twice_server, &h);
}

static void td2c_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 1, "server", h->maxver);
    if (note(p->r, sid(h->P, "peer.handshake"), raw_handshake(&w))) {
        note(p->r, sid(h->P, "peer.write"), raw_write(&w, "hello"));
        send_truncated(*fd, DATA_16K, 100);
    }
    close_fd(fd);
    raw_free(&w);
}

/* handshake, read, a read that meets the truncated record / EOF, another
 * read, write, shutdown. */
static void data_client(pair *p, int *fd, const char *eof_step) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(h->P, "client.handshake"), o) >= 0) {
        rec_read(p->r, sid(h->P, "client.read"), o, 100);
        rec_read(p->r, sid(h->P, eof_step), o, 100);
        rec_read(p->r, sid(h->P, "client.read_again"), o, 100);
        rec_write(p->r, sid(h->P, "client.write"), o, "x", 1);
        rec_shutdown(p->r, sid(h->P, "client.shutdown"), o);
    }
    pyssl_socket_free(o);
}

static void td2c_side(pair *p, int *fd) { data_client(p, fd, "client.read_truncated"); }

static void test_truncated_data_to_client(void **state) {
    struct hs h = {0};
    run(state, "hostile.truncated_data_to_client.", 0, td2c_side, td2c_peer, &h);
}

static void test_truncated_data_to_client_tls12(void **state) {
    struct hs h = {.maxver = TLS1_2_VERSION};
    run(state, "hostile.truncated_data_to_client_tls12.", 0, td2c_side, td2c_peer, &h);
}

/* The raw client: handshake; once the server is done, read its tickets (so
 * that the close is a clean EOF), write, then misbehave. */
static void td2s_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 0, NULL, 0);
    if (note(p->r, sid(h->P, "peer.handshake"), raw_handshake(&w))) {
        pair_wait(p, 1);
        unsigned char *buf = malloc(BUFSZ);
        note_records(p->r, sid(h->P, "peer.tickets"), buf,
                     recv_available(*fd, buf, BUFSZ));
        free(buf);
        note(p->r, sid(h->P, "peer.write"), raw_write(&w, h->variant ? "data" : "hello"));
        if (!h->variant)
            send_truncated(*fd, DATA_16K, 100);
    }
    close_fd(fd);
    raw_free(&w);
}

static void data_server(pair *p, int *fd, const char *eof_step) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(h->P, "server.handshake"), o) >= 0) {
        pair_set(p, 1);
        rec_read(p->r, sid(h->P, "server.read"), o, 100);
        rec_read(p->r, sid(h->P, eof_step), o, 100);
        rec_read(p->r, sid(h->P, "server.read_again"), o, 100);
        rec_shutdown(p->r, sid(h->P, "server.shutdown"), o);
    }
    pair_set(p, 1);
    pyssl_socket_free(o);
}

static void td2s_side(pair *p, int *fd) { data_server(p, fd, "server.read_truncated"); }

static void test_truncated_data_to_server(void **state) {
    struct hs h = {0};
    run(state, "hostile.truncated_data_to_server.", 0, td2s_peer, td2s_side, &h);
}

/* ---- closes mid-handshake and without close_notify ---- */

/* The server peer answers the hello with its first record only, closes. */
static void ash_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 1, "server", h->maxver);
    unsigned char *buf = malloc(BUFSZ);
    raw_feed(&w, buf, recv_record(*fd, buf));
    SSL_do_handshake(w.ssl);
    ERR_clear_error();
    size_t len;
    unsigned char *flight = raw_take(&w, &len);
    size_t first = len < 5 ? len : 5 + (((size_t)flight[3] << 8) | flight[4]);
    if (first > len)
        first = len;
    note_records(p->r, sid(h->P, "peer.sent"), flight, first);
    send_all(*fd, flight, first);
    close_fd(fd);
    free(flight);
    free(buf);
    raw_free(&w);
}

static void test_close_after_server_hello(void **state) {
    struct hs h = {0};
    run(state, "hostile.close_after_server_hello.", 0, twice_client, ash_peer, &h);
}

static void test_close_after_server_hello_tls12(void **state) {
    struct hs h = {.maxver = TLS1_2_VERSION};
    run(state, "hostile.close_after_server_hello_tls12.", 0, twice_client, ash_peer, &h);
}

/* The client peer sends its hello, reads the server's first record (the
 * rest of the flight stays unread), closes. */
static void ach_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 0, NULL, 0);
    SSL_do_handshake(w.ssl);
    ERR_clear_error();
    raw_flush(&w);
    unsigned char *buf = malloc(BUFSZ);
    note_records(p->r, sid(h->P, "peer.received"), buf, recv_record(*fd, buf));
    free(buf);
    close_fd(fd);
    raw_free(&w);
}

static void test_close_after_client_hello(void **state) {
    struct hs h = {0};
    run(state, "hostile.close_after_client_hello.", 0, ach_peer, twice_server, &h);
}

static void rad_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 1, "server", 0);
    if (note(p->r, sid(h->P, "peer.handshake"), raw_handshake(&w)))
        note(p->r, sid(h->P, "peer.write"), raw_write(&w, "data"));
    close_fd(fd);
    raw_free(&w);
}

static void rad_side(pair *p, int *fd) { data_client(p, fd, "client.read_eof"); }

static void test_ragged_after_data(void **state) {
    struct hs h = {0};
    run(state, "hostile.ragged_after_data.", 0, rad_side, rad_peer, &h);
}

static void rads_side(pair *p, int *fd) { data_server(p, fd, "server.read_eof"); }

static void test_ragged_after_data_server(void **state) {
    struct hs h = {.variant = 1};
    run(state, "hostile.ragged_after_data_server.", 0, td2s_peer, rads_side, &h);
}

/* ---- stalls (loopback TCP) ---- */

static void silent(pair *p, int *fd) {
    (void)fd;
    pair_wait(p, 0);
}

static void assert_timed(const char *what, double elapsed, double timeout) {
    if (timeout == 0) {
        if (elapsed > 0.1)
            fail_msg("%s: a non-blocking call took %.3f s", what, elapsed);
    } else if (elapsed < timeout * 0.9 || elapsed > timeout + 1.0) {
        fail_msg("%s took %.3f s with a %.1f s timeout", what, elapsed, timeout);
    }
}

static long timed_handshake(pair *p, const char *id, pyssl_socket *o, double *elapsed) {
    double t0 = now();
    long rc = rec_handshake(p->r, id, o);
    *elapsed = now() - t0;
    return rc;
}

static void shc_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 0, h->timeout);
    if (o) {
        timed_handshake(p, sid(h->P, "client.handshake"), o, &h->elapsed[0]);
        if (h->variant) {
            timed_handshake(p, sid(h->P, "client.handshake_again"), o, &h->elapsed[1]);
            double t0 = now();
            rec_read(p->r, sid(h->P, "client.read"), o, 10);
            h->elapsed[2] = now() - t0;
        }
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void run_timed(void **state, const char *P, side_fn client, side_fn server,
                      struct hs *h, int ntimed) {
    results r;
    results_init(&r, TEST_MODE(state));
    h->P = P;
    for (int i = 0; i < 4; i++)
        h->elapsed[i] = -1;
    run_pair(&r, 1, client, server, h);
    for (int i = 0; i < ntimed; i++) {
        if (h->elapsed[i] < 0)
            fail_msg("%s: timed step %d never ran", P, i);
        assert_timed(P, h->elapsed[i], h->timeout);
    }
    check_steps(&r, P, NULL);
}

static void test_stall_handshake_client(void **state) {
    struct hs h = {.timeout = SHORT_TIMEOUT};
    run_timed(state, "hostile.stall_handshake_client.", shc_side, silent, &h, 1);
}

static void test_stall_nb_handshake_client(void **state) {
    struct hs h = {.timeout = 0, .variant = 1};
    run_timed(state, "hostile.stall_nb_handshake_client.", shc_side, silent, &h, 3);
}

static void shs_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 1, h->timeout);
    if (o) {
        if (h->variant)
            pair_wait(p, 1);
        timed_handshake(p, sid(h->P, "server.handshake"), o, &h->elapsed[0]);
        timed_handshake(p, sid(h->P, "server.handshake_again"), o, &h->elapsed[1]);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void shs_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    if (h->variant) { /* half a ClientHello */
        send_truncated(*fd, HELLO_512, 20);
        sleep_ms(50);
        pair_set(p, 1);
    }
    pair_wait(p, 0);
}

static void test_stall_handshake_server(void **state) {
    struct hs h = {.timeout = SHORT_TIMEOUT};
    run_timed(state, "hostile.stall_handshake_server.", shs_peer, shs_side, &h, 2);
}

static void test_stall_partial_hello_server(void **state) {
    struct hs h = {.timeout = SHORT_TIMEOUT, .variant = 1};
    run_timed(state, "hostile.stall_partial_hello_server.", shs_peer, shs_side, &h, 2);
}

static void test_stall_nb_partial_hello_server(void **state) {
    struct hs h = {.timeout = 0, .variant = 1};
    run_timed(state, "hostile.stall_nb_partial_hello_server.", shs_peer, shs_side, &h, 2);
}

/* A raw server completes the handshake, then stalls (variant: after half
 * a record). */
static void sah_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 1, "server", 0);
    if (note(p->r, sid(h->P, "peer.handshake"), raw_handshake(&w)) && h->variant)
        send_truncated(*fd, DATA_64, 10);
    pair_set(p, 1);
    pair_wait(p, 0);
    raw_free(&w);
}

static void sah_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    pyssl_socket *o = new_side(p, h->P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(h->P, "client.handshake"), o) >= 0) {
        pair_wait(p, 1);
        sleep_ms(50);
        pyssl_socket_set_timeout(o, h->timeout);
        double t0 = now();
        rec_read(p->r, sid(h->P, "client.read"), o, 10);
        h->elapsed[0] = now() - t0;
        t0 = now();
        rec_read(p->r, sid(h->P, "client.read_again"), o, 10);
        h->elapsed[1] = now() - t0;
        rec_pending(p->r, sid(h->P, "client.pending"), o);
    }
    pyssl_socket_free(o);
    pair_set(p, 0);
}

static void test_stall_read_client(void **state) {
    struct hs h = {.timeout = SHORT_TIMEOUT};
    run_timed(state, "hostile.stall_read_client.", sah_side, sah_peer, &h, 2);
}

static void test_stall_mid_record_client(void **state) {
    struct hs h = {.timeout = SHORT_TIMEOUT, .variant = 1};
    run_timed(state, "hostile.stall_mid_record_client.", sah_side, sah_peer, &h, 2);
}

static void test_stall_nb_mid_record_client(void **state) {
    struct hs h = {.timeout = 0, .variant = 1};
    run_timed(state, "hostile.stall_nb_mid_record_client.", sah_side, sah_peer, &h, 2);
}

/* ---- a certificate message over max_cert_list ---- */

static void big_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    raw w;
    raw_init(&w, *fd, 1, "big", h->maxver);
    unsigned char *buf = malloc(BUFSZ);
    raw_feed(&w, buf, recv_record(*fd, buf));
    free(buf);
    SSL_do_handshake(w.ssl);
    ERR_clear_error();
    raw_flush(&w); /* fails once the client has given up and closed */
    pair_wait(p, 0);
    note_drain(p->r, sid(h->P, "peer.received"), *fd);
    raw_free(&w);
}

static void test_big_chain(void **state) {
    struct hs h = {0};
    run(state, "hostile.big_chain.", 0, g2c_side, big_peer, &h);
}

static void test_big_chain_tls12(void **state) {
    struct hs h = {.maxver = TLS1_2_VERSION};
    run(state, "hostile.big_chain_tls12.", 0, g2c_side, big_peer, &h);
}

/* ---- renegotiation and KeyUpdate ---- */

static void rbs_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, 1, "server", TLS1_2_VERSION);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        note(p->r, sid(P, "peer.write_before"), raw_write(&w, "before"));
        note(p->r, sid(P, "peer.renegotiate"), int_text(&w, SSL_renegotiate(w.ssl)));
        note(p->r, sid(P, "peer.hello_request"), raw_handshake(&w));
        note(p->r, sid(P, "peer.write_after"), raw_write(&w, "after"));
        note(p->r, sid(P, "peer.read"), raw_read(&w));
        note(p->r, sid(P, "peer.write_bye"), raw_write(&w, "bye"));
        note(p->r, sid(P, "peer.read_close"), raw_read(&w));
        note(p->r, sid(P, "peer.shutdown"), raw_shutdown(&w));
    }
    close_fd(fd);
    raw_free(&w);
}

static void rbs_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    pyssl_socket *o = new_side(p, P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(P, "client.handshake"), o) >= 0) {
        rec_read(p->r, sid(P, "client.read"), o, 100);
        rec_read(p->r, sid(P, "client.read_after"), o, 100);
        rec_write(p->r, sid(P, "client.write"), o, "done", 4);
        rec_read(p->r, sid(P, "client.read_bye"), o, 100);
        rec_version(p->r, sid(P, "client.version"), o);
        rec_shutdown(p->r, sid(P, "client.shutdown"), o);
    }
    pyssl_socket_free(o);
}

static void test_reneg_by_server(void **state) {
    struct hs h = {0};
    run(state, "hostile.reneg_by_server.", 0, rbs_side, rbs_peer, &h);
}

static void rbc_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, 0, NULL, TLS1_2_VERSION);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        note(p->r, sid(P, "peer.write_before"), raw_write(&w, "before"));
        note(p->r, sid(P, "peer.renegotiate"), int_text(&w, SSL_renegotiate(w.ssl)));
        note(p->r, sid(P, "peer.renegotiation"), raw_handshake(&w));
        note(p->r, sid(P, "peer.write_after"), raw_write(&w, "after"));
    }
    shutdown(*fd, SHUT_WR);
    pair_wait(p, 0);
    note_drain(p->r, sid(P, "peer.received"), *fd);
    raw_free(&w);
}

static void rbc_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    pyssl_socket *o = new_side(p, P, *fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(P, "server.handshake"), o) >= 0) {
        rec_read(p->r, sid(P, "server.read"), o, 100);
        rec_read(p->r, sid(P, "server.read_after"), o, 100);
        rec_read(p->r, sid(P, "server.read_again"), o, 100);
        rec_shutdown(p->r, sid(P, "server.shutdown"), o);
    }
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void test_reneg_by_client(void **state) {
    struct hs h = {0};
    run(state, "hostile.reneg_by_client.", 0, rbc_peer, rbc_side, &h);
}

/* KeyUpdate (update_requested) between two writes, from a raw server
 * (variant 0) or a raw client (variant 1). */
static void ku_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, !h->variant, h->variant ? NULL : "server", 0);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        note(p->r, sid(P, "peer.write_one"), raw_write(&w, "one"));
        note(p->r, sid(P, "peer.key_update"),
             int_text(&w, SSL_key_update(w.ssl, SSL_KEY_UPDATE_REQUESTED)));
        note(p->r, sid(P, "peer.write_two"), raw_write(&w, "two"));
        note(p->r, sid(P, "peer.read"), raw_read(&w));
        note(p->r, sid(P, "peer.write_three"), raw_write(&w, "three"));
        note(p->r, sid(P, "peer.read_close"), raw_read(&w));
        note(p->r, sid(P, "peer.shutdown"), raw_shutdown(&w));
    }
    close_fd(fd);
    raw_free(&w);
}

static void ku_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    int server = h->variant;
    const char *who = server ? "server." : "client.";
    char id[160];
#define ID(s) (snprintf(id, sizeof id, "%s%s%s", P, who, s), id)
    pyssl_socket *o = new_side(p, P, *fd, server, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, ID("handshake"), o) >= 0) {
        rec_read(p->r, ID("read_one"), o, 100);
        rec_read(p->r, ID("read_two"), o, 100);
        rec_write(p->r, ID("write"), o, "ack", 3);
        rec_read(p->r, ID("read_three"), o, 100);
        rec_shutdown(p->r, ID("shutdown"), o);
    }
#undef ID
    pyssl_socket_free(o);
}

static void test_key_update_by_server(void **state) {
    struct hs h = {0};
    run(state, "hostile.key_update_by_server.", 0, ku_side, ku_peer, &h);
}

static void test_key_update_by_client(void **state) {
    struct hs h = {.variant = 1};
    run(state, "hostile.key_update_by_client.", 0, ku_peer, ku_side, &h);
}

static void kuf_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, 1, "server", 0);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        int sent = 0;
        for (int i = 0; i < 1000; i++) {
            if (SSL_key_update(w.ssl, SSL_KEY_UPDATE_NOT_REQUESTED) != 1)
                break;
            if (SSL_do_handshake(w.ssl) != 1)
                break;
            sent++;
        }
        ERR_clear_error();
        raw_flush(&w);
        note(p->r, sid(P, "peer.key_updates"), int_text(&w, sent));
        note(p->r, sid(P, "peer.write"), raw_write(&w, "data"));
        note(p->r, sid(P, "peer.shutdown"), raw_shutdown(&w));
    }
    pair_wait(p, 0);
    note_drain(p->r, sid(P, "peer.received"), *fd);
    raw_free(&w);
}

static void kuf_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    pyssl_socket *o = new_side(p, P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(P, "client.handshake"), o) >= 0) {
        rec_read(p->r, sid(P, "client.read"), o, 100);
        rec_read(p->r, sid(P, "client.read_again"), o, 100);
        rec_shutdown(p->r, sid(P, "client.shutdown"), o);
    }
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void test_key_update_flood(void **state) {
    struct hs h = {0};
    run(state, "hostile.key_update_flood.", 0, kuf_side, kuf_peer, &h);
}

/* ---- data after close_notify ---- */

/* variant 0: plaintext after close_notify; 1: a valid application-data
 * record (SSL_set_shutdown(0) lets the raw peer write again). */
static void acn_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, 1, "server", 0);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        note(p->r, sid(P, "peer.write"), raw_write(&w, "hello"));
        note(p->r, sid(P, "peer.shutdown"), raw_shutdown(&w));
        if (h->variant) {
            SSL_set_shutdown(w.ssl, 0);
            note(p->r, sid(P, "peer.write_after"), raw_write(&w, "after"));
        } else {
            static const char plain[] = "plaintext after close_notify";
            send_all(*fd, plain, strlen(plain));
        }
    }
    pair_set(p, 1);
    pair_wait(p, 0);
    note_drain(p->r, sid(P, "peer.received"), *fd);
    raw_free(&w);
}

/* What is left on the socket after the unwrap: the bytes (plain) or the
 * records. */
static void recv_rest(pair *p, const char *id, int fd, int records) {
    unsigned char buf[4096];
    wait_fd(fd, 1, SHORT_TIMEOUT);
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0) {
        rec_value(p->r, id, "recv failed");
        return;
    }
    if (records) {
        note_records(p->r, id, buf, (size_t)n);
    } else {
        char *v = py_bytes_repr(buf, (size_t)n);
        rec_value(p->r, id, v);
        free(v);
    }
}

static void acn_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    pyssl_socket *o = new_side(p, P, *fd, 0, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(P, "client.handshake"), o) >= 0) {
        pair_wait(p, 1);
        rec_read(p->r, sid(P, "client.read"), o, 100);
        rec_read(p->r, sid(P, "client.read_eof"), o, 100);
        rec_read(p->r, sid(P, "client.read_again"), o, 100);
        rec_shutdown(p->r, sid(P, "client.shutdown"), o);
        recv_rest(p, sid(P, "client.recv_rest"), *fd, h->variant);
    }
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void test_after_close_notify_plain(void **state) {
    struct hs h = {0};
    run(state, "hostile.after_close_notify_plain.", 0, acn_side, acn_peer, &h);
}

static void test_after_close_notify_record(void **state) {
    struct hs h = {.variant = 1};
    run(state, "hostile.after_close_notify_record.", 0, acn_side, acn_peer, &h);
}

static void acns_peer(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    raw w;
    raw_init(&w, *fd, 0, NULL, 0);
    if (note(p->r, sid(P, "peer.handshake"), raw_handshake(&w))) {
        pair_wait(p, 1);
        note(p->r, sid(P, "peer.write"), raw_write(&w, "hello"));
        note(p->r, sid(P, "peer.shutdown"), raw_shutdown(&w));
        SSL_set_shutdown(w.ssl, 0);
        note(p->r, sid(P, "peer.write_after"), raw_write(&w, "after"));
    }
    pair_set(p, 2);
    pair_wait(p, 0);
    note_drain(p->r, sid(P, "peer.received"), *fd);
    raw_free(&w);
}

static void acns_side(pair *p, int *fd) {
    struct hs *h = p->arg;
    const char *P = h->P;
    pyssl_socket *o = new_side(p, P, *fd, 1, LONG_TIMEOUT);
    if (o && rec_handshake(p->r, sid(P, "server.handshake"), o) >= 0) {
        pair_set(p, 1);
        pair_wait(p, 2);
        rec_read(p->r, sid(P, "server.read"), o, 100);
        rec_read(p->r, sid(P, "server.read_eof"), o, 100);
        rec_read(p->r, sid(P, "server.read_again"), o, 100);
        rec_shutdown(p->r, sid(P, "server.shutdown"), o);
        recv_rest(p, sid(P, "server.recv_rest"), *fd, 1);
    }
    pair_set(p, 1);
    close_fd(fd);
    pair_set(p, 0);
    pyssl_socket_free(o);
}

static void test_after_close_notify_server(void **state) {
    struct hs h = {0};
    run(state, "hostile.after_close_notify_server.", 0, acns_peer, acns_side, &h);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_http_to_server),
        MODE_TESTS(test_garbage_to_server),
        MODE_TESTS(test_garbage_to_client),
        MODE_TESTS(test_ssh_banner_to_client),
        MODE_TESTS(test_truncated_hs_to_client),
        MODE_TESTS(test_truncated_hs_to_server),
        MODE_TESTS(test_truncated_data_to_client),
        MODE_TESTS(test_truncated_data_to_client_tls12),
        MODE_TESTS(test_truncated_data_to_server),
        MODE_TESTS(test_close_after_server_hello),
        MODE_TESTS(test_close_after_server_hello_tls12),
        MODE_TESTS(test_close_after_client_hello),
        MODE_TESTS(test_ragged_after_data),
        MODE_TESTS(test_ragged_after_data_server),
        MODE_TESTS(test_stall_handshake_client),
        MODE_TESTS(test_stall_nb_handshake_client),
        MODE_TESTS(test_stall_handshake_server),
        MODE_TESTS(test_stall_partial_hello_server),
        MODE_TESTS(test_stall_nb_partial_hello_server),
        MODE_TESTS(test_stall_read_client),
        MODE_TESTS(test_stall_mid_record_client),
        MODE_TESTS(test_stall_nb_mid_record_client),
        MODE_TESTS(test_big_chain),
        MODE_TESTS(test_big_chain_tls12),
        MODE_TESTS(test_reneg_by_server),
        MODE_TESTS(test_reneg_by_client),
        MODE_TESTS(test_key_update_by_server),
        MODE_TESTS(test_key_update_by_client),
        MODE_TESTS(test_key_update_flood),
        MODE_TESTS(test_after_close_notify_plain),
        MODE_TESTS(test_after_close_notify_record),
        MODE_TESTS(test_after_close_notify_server),
    };
    return cmocka_run_group_tests_name("hostile", tests, NULL, NULL);
}
