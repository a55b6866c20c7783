/*
 * The benchmark tests, written once against struct impl so that raw
 * OpenSSL and pyssl do exactly the same work. pybench.py mirrors each
 * test for Python's ssl module.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define READ_BUF 16384

static pid_t fork_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0)
        prctl(PR_SET_PDEATHSIG, SIGKILL);
    return pid;
}

static void reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        die("peer process failed (status %d)", st);
}

/* Calls cop on the client and sop on the server, in turn, client first,
 * until both returned B_OK (both ends non-blocking, in this thread). */
static void pump(const char *what, const impl *ci, int (*cop)(void *), void *client, const impl *si,
                 int (*sop)(void *), void *server)
{
    int cdone = 0, sdone = 0;
    for (int turns = 0; !cdone || !sdone; turns++) {
        if (turns > 64)
            die("%s/%s: %s makes no progress", ci->name, si->name, what);
        if (!cdone) {
            int r = cop(client);
            if (r == B_OK)
                cdone = 1;
            else if (r != B_WANT_READ && r != B_WANT_WRITE)
                die("%s: client %s: %s", ci->name, what, ci->last_error());
        }
        if (!sdone) {
            int r = sop(server);
            if (r == B_OK)
                sdone = 1;
            else if (r != B_WANT_READ && r != B_WANT_WRITE)
                die("%s: server %s: %s", si->name, what, si->last_error());
        }
    }
}

void pump_handshake(const impl *ci, void *client, const impl *si, void *server)
{
    pump("handshake", ci, ci->handshake, client, si, si->handshake, server);
}

/* CPython's unwrap() on both ends. */
void pump_shutdown(const impl *ci, void *client, const impl *si, void *server)
{
    pump("shutdown", ci, ci->shutdown, client, si, si->shutdown, server);
}

void connect_pair(const impl *ci, void **client, const impl *si, void **server, const int fds[2],
                  void *session)
{
    *client = ci->conn_new(fds[0], 0, 1, session);
    if (!*client)
        die("%s: conn_new: %s", ci->name, ci->last_error());
    *server = si->conn_new(fds[1], 1, 1, NULL);
    if (!*server)
        die("%s: conn_new: %s", si->name, si->last_error());
    pump_handshake(ci, *client, si, *server);
}

static void blocking_handshake(const impl *im, void *c, const char *who)
{
    if (im->handshake(c) != B_OK)
        die("%s: %s handshake: %s", im->name, who, im->last_error());
}

void write_all(const impl *im, void *c, const char *buf, size_t chunk, long long total)
{
    for (long long done = 0; done < total; done += (long long)chunk) {
        ssize_t r = im->write(c, buf, chunk);
        if (r != (ssize_t)chunk)
            die("%s: write returned %zd: %s", im->name, r, im->last_error());
    }
}

void read_exactly(const impl *im, void *c, char *buf, long long total)
{
    for (long long got = 0; got < total;) {
        long long want = total - got < READ_BUF ? total - got : READ_BUF;
        ssize_t r = im->read(c, buf, (size_t)want);
        if (r <= 0)
            die("%s: read returned %zd: %s", im->name, r, im->last_error());
        got += r;
    }
}

static void version_info(const impl *im, void *c)
{
    json_str("version", im->version(c));
    json_str("cipher", im->cipher(c));
}

/*
 * bulk2p / small2p: one side writes `bytes` in `chunk`-sized calls, the
 * other (a forked process, same implementation) reads them with 16 KiB
 * calls and answers one byte. Timed in the writer from its first write to
 * the answer, after an untimed warm-up of 1/16 of the bytes. A real
 * pipeline over both cores, so sensitive to other load on the machine.
 */
static int test_stream_2p(const impl *im, const opts *o)
{
    size_t chunk = o->chunk;
    long long total = o->bytes / (long long)chunk * (long long)chunk;
    long long warm = total / 16 / (long long)chunk * (long long)chunk;
    if (warm < (long long)chunk)
        warm = (long long)chunk;
    int writer_is_client = strcmp(o->dir, "c2s") == 0;
    int fds[2]; /* [0] client end, [1] server end */
    make_pair(o->transport, fds);
    char *buf = malloc(chunk > READ_BUF ? chunk : READ_BUF);
    memset(buf, 'x', chunk > READ_BUF ? chunk : READ_BUF);
    char ack = 'K';
    int cpu_pipe[2]; /* the reader's CPU seconds, for the writer's report */
    if (pipe(cpu_pipe) < 0)
        die("pipe: %s", strerror(errno));

    pid_t pid = fork_child();
    if (pid == 0) {
        close(cpu_pipe[0]);
        int reader_is_server = writer_is_client;
        int fd = fds[reader_is_server];
        close(fds[!reader_is_server]);
        void *c = im->conn_new(fd, reader_is_server, 0, NULL);
        if (!c)
            die("%s: conn_new: %s", im->name, im->last_error());
        blocking_handshake(im, c, "reader");
        read_exactly(im, c, buf, warm);
        if (im->write(c, &ack, 1) != 1)
            die("%s: ack: %s", im->name, im->last_error());
        double c0 = cpu_s();
        read_exactly(im, c, buf, total);
        double used = cpu_s() - c0;
        write_full(cpu_pipe[1], &used, sizeof used);
        if (im->write(c, &ack, 1) != 1)
            die("%s: ack: %s", im->name, im->last_error());
        /* Wait for the writer to go away before tearing down. */
        (void)im->read(c, buf, 1);
        im->conn_free(c);
        _exit(0);
    }
    close(cpu_pipe[1]);
    int fd = fds[!writer_is_client];
    close(fds[writer_is_client]);
    void *c = im->conn_new(fd, !writer_is_client, 0, NULL);
    if (!c)
        die("%s: conn_new: %s", im->name, im->last_error());
    blocking_handshake(im, c, "writer");
    write_all(im, c, buf, chunk, warm);
    if (im->read(c, &ack, 1) != 1)
        die("%s: warm-up ack: %s", im->name, im->last_error());
    double c0 = cpu_s(), t0 = now_s();
    write_all(im, c, buf, chunk, total);
    if (im->read(c, &ack, 1) != 1)
        die("%s: ack: %s", im->name, im->last_error());
    double t1 = now_s(), c1 = cpu_s();
    double reader_cpu;
    read_full(cpu_pipe[0], &reader_cpu, sizeof reader_cpu);
    close(cpu_pipe[0]);
    json_num("seconds", t1 - t0);
    json_num("bytes", (double)total);
    json_num("calls", (double)(total / (long long)chunk));
    json_num("writer_cpu_seconds", c1 - c0);
    json_num("reader_cpu_seconds", reader_cpu);
    json_num("cpu_seconds", c1 - c0 + reader_cpu);
    version_info(im, c);
    im->conn_free(c);
    close(fd);
    reap(pid);
    free(buf);
    return 0;
}

/* Socket buffers as large as the system allows without privileges. */
void big_buffers(int fd)
{
    int size = 1 << 20;
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

/* Pairs for the one-process tests: socketpairs, or loopback TCP through
 * one listener kept for the whole test. */
void pairs_init(pairs *p, const char *transport)
{
    p->transport = transport;
    p->listener = -1;
    if (strcmp(transport, "tcp") == 0)
        p->listener = tcp_listener(128, &p->port);
}

void pairs_make(pairs *p, int fds[2])
{
    if (p->listener < 0) {
        make_pair(p->transport, fds);
        return;
    }
    fds[0] = tcp_connect(p->port, 0);
    tcp_abort_on_close(fds[0]);
    fds[1] = accept4(p->listener, NULL, NULL, SOCK_CLOEXEC);
    if (fds[1] < 0)
        die("accept: %s", strerror(errno));
    tcp_nodelay(fds[1]);
}

void pairs_done(pairs *p)
{
    if (p->listener >= 0)
        close(p->listener);
}

/*
 * bulk / small: both ends in this thread over blocking sockets. The
 * writer sends a batch (32 KiB in 16 KiB calls, or 32 small calls), then
 * the reader reads it all with 16 KiB calls, and so on until `bytes` went
 * across; timed after an untimed warm-up of 1/16 of the bytes. One core,
 * no waiting on another process: what is measured is the CPU cost of
 * writing and reading, both ends.
 *
 * The batches stay far below the point where poll() stops calling the
 * socket writable (a quarter of the send buffer for AF_UNIX), which
 * matters: pyssl polls before every write even in blocking mode, and
 * would wait forever there, although write() would take the data.
 */
static int test_stream(const impl *im, const opts *o)
{
    size_t chunk = o->chunk;
    long long total = o->bytes / (long long)chunk * (long long)chunk;
    long long warm = total / 16 / (long long)chunk * (long long)chunk;
    if (warm < (long long)chunk)
        warm = (long long)chunk;
    long batch = chunk >= 4096 ? (long)(32768 / chunk) : 32;
    if (batch < 1)
        batch = 1;
    pairs pp;
    pairs_init(&pp, o->transport);
    int fds[2];
    pairs_make(&pp, fds);
    for (int i = 0; i < 2; i++)
        big_buffers(fds[i]);
    void *c, *s;
    connect_pair(im, &c, im, &s, fds, NULL);
    im->set_blocking(c, fds[0], 1);
    im->set_blocking(s, fds[1], 1);
    int c2s = strcmp(o->dir, "c2s") == 0;
    void *w = c2s ? c : s, *r = c2s ? s : c;
    char *buf = malloc(chunk > READ_BUF ? chunk : READ_BUF);
    memset(buf, 'x', chunk > READ_BUF ? chunk : READ_BUF);
    double t0 = 0, c0 = 0;
    for (int phase = 0; phase < 2; phase++) {
        long long n = phase ? total : warm;
        if (phase) {
            t0 = now_s();
            c0 = cpu_s();
        }
        for (long long done = 0; done < n;) {
            long long k = (n - done) / (long long)chunk;
            if (k > batch)
                k = batch;
            write_all(im, w, buf, chunk, k * (long long)chunk);
            read_exactly(im, r, buf, k * (long long)chunk);
            done += k * (long long)chunk;
        }
    }
    double t1 = now_s(), c1 = cpu_s();
    json_num("seconds", t1 - t0);
    json_num("cpu_seconds", c1 - c0);
    json_num("bytes", (double)total);
    json_num("calls", (double)(total / (long long)chunk));
    version_info(im, c);
    im->conn_free(c);
    im->conn_free(s);
    close(fds[0]);
    close(fds[1]);
    pairs_done(&pp);
    free(buf);
    return 0;
}

/* Client side of a resumable session: one full handshake, then one byte
 * from the server so that the client takes in TLS 1.3 session tickets. */
void *first_session(const impl *ci, const impl *si, pairs *pp)
{
    int fds[2];
    pairs_make(pp, fds);
    void *c, *s;
    connect_pair(ci, &c, si, &s, fds, NULL);
    char b = 'T';
    if (si->write(s, &b, 1) != 1)
        die("%s: write: %s", si->name, si->last_error());
    for (int i = 0; i < 100; i++) {
        ssize_t r = ci->read(c, &b, 1);
        if (r == 1)
            break;
        if (r != B_WANT_READ)
            die("%s: read: %s", ci->name, ci->last_error());
    }
    void *sess = ci->get_session(c);
    if (!sess)
        die("%s: no session to resume", ci->name);
    pump_shutdown(ci, c, si, s);
    ci->conn_free(c);
    si->conn_free(s);
    close(fds[0]);
    close(fds[1]);
    return sess;
}

/*
 * handshake / resume: `count` connections, each made, handshaken (client
 * and server in this thread, non-blocking, in turn), closed with
 * close_notify both ways (unwrap(): without it OpenSSL marks the session
 * not resumable) and freed. Everything a connection costs is timed: the
 * socket pair too, the same for all.
 */
static int test_handshake(const impl *im, const opts *o, int resume)
{
    pairs pp;
    pairs_init(&pp, o->transport);
    void *sess = NULL;
    if (resume)
        sess = first_session(im, im, &pp);
    long n = o->count, warm = o->warmup;
    double t0 = 0, c0 = 0;
    for (long i = 0; i < n + warm; i++) {
        if (i == warm) {
            t0 = now_s();
            c0 = cpu_s();
        }
        int fds[2];
        pairs_make(&pp, fds);
        void *c, *s;
        connect_pair(im, &c, im, &s, fds, sess);
        if (resume && !im->session_reused(c))
            die("%s: session was not reused", im->name);
        if (i == 0) {
            version_info(im, c);
            json_num("reused", resume ? im->session_reused(c) : 0);
        }
        pump_shutdown(im, c, im, s);
        im->conn_free(c);
        im->conn_free(s);
        close(fds[0]);
        close(fds[1]);
    }
    double t1 = now_s(), c1 = cpu_s();
    json_num("seconds", t1 - t0);
    json_num("cpu_seconds", c1 - c0);
    json_num("calls", (double)n);
    if (sess)
        im->session_free(sess);
    pairs_done(&pp);
    return 0;
}

/* getpeercert: `count` calls on one client after its handshake. */
static int test_peercert(const impl *im, const opts *o, int binary)
{
    pairs pp;
    pairs_init(&pp, o->transport);
    int fds[2];
    pairs_make(&pp, fds);
    void *c, *s;
    connect_pair(im, &c, im, &s, fds, NULL);
    version_info(im, c);
    if (im->peercert(c, binary) != 0) {
        /* Not available in this build: say so instead of a number. */
        json_str("unavailable", im->last_error());
        goto out;
    }
    long n = o->count;
    for (long i = 0; i < o->warmup; i++)
        im->peercert(c, binary);
    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n; i++)
        if (im->peercert(c, binary) != 0)
            die("%s: getpeercert: %s", im->name, im->last_error());
    double t1 = now_s(), c1 = cpu_s();
    json_num("seconds", t1 - t0);
    json_num("cpu_seconds", c1 - c0);
    json_num("calls", (double)n);
out:
    im->conn_free(c);
    im->conn_free(s);
    close(fds[0]);
    close(fds[1]);
    pairs_done(&pp);
    return 0;
}

static long fd_budget(void)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    return (long)rl.rlim_cur;
}

/* With n idle pairs open (the heap was m0 before them): frees the
 * servers, then the clients, and reports the heap bytes each took. */
static void free_pairs_report(const impl *im, void **cs, void **ss, long n, size_t m0)
{
    size_t m1 = heap_in_use();
    version_info(im, cs[0]);
    for (long i = 0; i < n; i++)
        im->conn_free(ss[i]);
    size_t m2 = heap_in_use();
    for (long i = 0; i < n; i++)
        im->conn_free(cs[i]);
    size_t m3 = heap_in_use();
    json_num("connections", (double)n);
    json_num("client_bytes", ((double)m2 - (double)m3) / (double)n);
    json_num("server_bytes", ((double)m1 - (double)m2) / (double)n);
    json_num("retained_bytes", ((double)m3 - (double)m0) / (double)n);
}

/*
 * memory: `count` connection pairs handshaken and left idle; the heap in
 * use (mallinfo2) before, with all of them, after freeing the servers and
 * after freeing the clients gives bytes per idle client and server.
 */
static int test_memory(const impl *im, const opts *o)
{
    long n = o->count;
    long budget = (fd_budget() - 64) / 2;
    if (n > budget) {
        fprintf(stderr, "pyssl_bench: notice: fd limit allows only %ld idle pairs (asked %ld)\n", budget, n);
        n = budget;
    }
    /* Warm up OpenSSL's lazily built tables and pyssl's per-thread state. */
    pairs pp;
    pairs_init(&pp, "unix");
    for (int i = 0; i < 8; i++) {
        int fds[2];
        pairs_make(&pp, fds);
        void *c, *s;
        connect_pair(im, &c, im, &s, fds, NULL);
        im->conn_free(c);
        im->conn_free(s);
        close(fds[0]);
        close(fds[1]);
    }
    int *fds = malloc(sizeof(int) * 2 * (size_t)n);
    void **cs = malloc(sizeof(void *) * (size_t)n), **ss = malloc(sizeof(void *) * (size_t)n);
    for (long i = 0; i < n; i++)
        pairs_make(&pp, fds + 2 * i);
    size_t m0 = heap_in_use();
    long r0 = rss_kib();
    for (long i = 0; i < n; i++) {
        connect_pair(im, &cs[i], im, &ss[i], fds + 2 * i, NULL);
    }
    long r1 = rss_kib();
    free_pairs_report(im, cs, ss, n, m0);
    json_num("rss_bytes_per_pair", ((double)r1 - (double)r0) * 1024.0 / (double)n);
    for (long i = 0; i < 2 * n; i++)
        close(fds[i]);
    free(fds);
    free(cs);
    free(ss);
    pairs_done(&pp);
    return 0;
}

/*
 * membio: `count` client/server pairs over memory BIOs, all in this
 * process and all open at once (no descriptors, so no fd limit), each
 * handshaken by moving the bytes between the pair, then left idle. Heap
 * (mallinfo2) and RSS before, with all of them, after freeing the servers
 * and after freeing the clients.
 */
/* A client/server pair over memory BIOs, handshaken by moving the bytes. */
static void membio_pair(const impl *im, void **cp, void **sp)
{
    void *c = im->conn_new_mem(0), *s = im->conn_new_mem(1);
    if (!c || !s)
        die("%s: conn_new_mem: %s", im->name, im->last_error());
    int cdone = 0, sdone = 0;
    for (int turns = 0; !cdone || !sdone; turns++) {
        if (turns > 64)
            die("%s: memory-BIO handshake makes no progress", im->name);
        int r = cdone ? B_OK : im->handshake(c);
        if (r != B_OK && r != B_WANT_READ && r != B_WANT_WRITE)
            die("%s: client handshake: %s", im->name, im->last_error());
        cdone = r == B_OK;
        im->mem_move(c, s);
        r = sdone ? B_OK : im->handshake(s);
        if (r != B_OK && r != B_WANT_READ && r != B_WANT_WRITE)
            die("%s: server handshake: %s", im->name, im->last_error());
        sdone = r == B_OK;
        im->mem_move(s, c);
    }
    *cp = c;
    *sp = s;
}

static int test_membio(const impl *im, const opts *o)
{
    long n = o->count;
    void **cs = malloc(sizeof(void *) * (size_t)n), **ss = malloc(sizeof(void *) * (size_t)n);
    for (int i = 0; i < 8; i++) { /* lazily built tables, per-thread state */
        void *c, *s;
        membio_pair(im, &c, &s);
        im->conn_free(c);
        im->conn_free(s);
    }
    size_t m0 = heap_in_use();
    long r0 = rss_kib();
    double t0 = now_s(), c0 = cpu_s();
    for (long i = 0; i < n; i++)
        membio_pair(im, &cs[i], &ss[i]);
    double t1 = now_s(), c1 = cpu_s();
    long r1 = rss_kib();
    json_num("seconds", t1 - t0);
    json_num("cpu_seconds", c1 - c0);
    free_pairs_report(im, cs, ss, n, m0);
    /* RSS growth per connection (a pair is two), allocator slack included */
    json_num("rss_bytes_per_conn", ((double)r1 - (double)r0) * 1024.0 / (2.0 * (double)n));
    free(cs);
    free(ss);
    return 0;
}

/* ---- c10k: many concurrent non-blocking connections under epoll ---- */

enum { ST_CONNECTING, ST_HANDSHAKE, ST_WRITE, ST_READ, ST_DONE };
#define MSG 64
#define ID_CTL 0xfffffffeu
#define ID_LISTEN 0xfffffffdu

typedef struct conn {
    void *tls;
    int fd;
    int state;
    int got;
    uint32_t events;
} conn;

static void ep_set(int ep, conn *c, uint32_t id, uint32_t events)
{
    if (c->events == events)
        return;
    struct epoll_event ev = {.events = events, .data.u32 = id};
    int op = c->events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
    if (epoll_ctl(ep, op, c->fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
    c->events = events;
}

static void ep_add_plain(int ep, int fd, uint32_t id)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = id};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0)
        die("epoll_ctl: %s", strerror(errno));
}

/* Advances one connection as far as it goes without blocking; returns 1
 * when it has just finished (client: echo received; server: echo sent). */
static int advance(const impl *im, int ep, conn *c, uint32_t id, int server)
{
    static char msg[MSG];
    char buf[MSG];
    for (;;) {
        ssize_t r;
        switch (c->state) {
        case ST_HANDSHAKE:
            r = im->handshake(c->tls);
            if (r == B_OK) {
                c->state = server ? ST_READ : ST_WRITE;
                continue;
            }
            break;
        case ST_WRITE:
            r = im->write(c->tls, msg, MSG);
            if (r == MSG) {
                if (server) {
                    c->state = ST_DONE;
                    ep_set(ep, c, id, 0);
                    return 1;
                }
                c->state = ST_READ;
                continue;
            }
            break;
        case ST_READ:
            r = im->read(c->tls, buf, (size_t)(MSG - c->got));
            if (r > 0) {
                c->got += (int)r;
                if (c->got < MSG)
                    continue;
                if (server) {
                    c->state = ST_WRITE;
                    continue;
                }
                c->state = ST_DONE;
                ep_set(ep, c, id, 0);
                return 1;
            }
            break;
        default:
            return 0;
        }
        if (r == B_WANT_READ)
            ep_set(ep, c, id, EPOLLIN);
        else if (r == B_WANT_WRITE)
            ep_set(ep, c, id, EPOLLOUT);
        else
            die("%s: %s connection %u: %s", im->name, server ? "server" : "client", id, im->last_error());
        return 0;
    }
}

static void c10k_server(const impl *im, int ctl, int listener, long n)
{
    conn *cs = calloc((size_t)n, sizeof *cs);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    long have = 0;
    if (listener < 0) {
        /* socketpair ends arrive over the control socket */
        while (have < n) {
            int got = recv_fds(ctl, (int *)&cs[have].fd, 1);
            if (got != 1)
                die("recv_fds");
            have++;
        }
        for (long i = 0; i < n; i++) {
            cs[i].state = ST_CONNECTING; /* no TLS object until data arrives */
            ep_set(ep, &cs[i], (uint32_t)i, EPOLLIN);
        }
    } else {
        ep_add_plain(ep, listener, ID_LISTEN);
    }
    ep_add_plain(ep, ctl, ID_CTL);
    reset_hwm();
    long rss0 = rss_kib();
    double c0 = cpu_s();
    write_full(ctl, "R", 1);
    struct epoll_event evs[256];
    for (;;) {
        int k = epoll_wait(ep, evs, 256, -1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            die("epoll_wait: %s", strerror(errno));
        for (int e = 0; e < k; e++) {
            uint32_t id = evs[e].data.u32;
            if (id == ID_CTL) {
                char b;
                read_full(ctl, &b, 1);
                char rep[96];
                int len = snprintf(rep, sizeof rep, "%ld %ld %.6f %ld\n", rss0, hwm_kib(), cpu_s() - c0,
                                   rss_kib());
                write_full(ctl, rep, (size_t)len);
                for (long i = 0; i < have; i++)
                    if (cs[i].tls)
                        im->conn_free(cs[i].tls);
                _exit(0);
            }
            if (id == ID_LISTEN) {
                for (;;) {
                    int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
                    if (fd < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                            break;
                        die("accept: %s", strerror(errno));
                    }
                    if (have >= n)
                        die("too many connections");
                    conn *c = &cs[have];
                    c->fd = fd;
                    tcp_nodelay(fd);
                    c->tls = im->conn_new(fd, 1, 1, NULL);
                    if (!c->tls)
                        die("%s: conn_new: %s", im->name, im->last_error());
                    c->state = ST_HANDSHAKE;
                    advance(im, ep, c, (uint32_t)have, 1);
                    have++;
                }
                continue;
            }
            conn *c = &cs[id];
            if (c->state == ST_CONNECTING) {
                c->tls = im->conn_new(c->fd, 1, 1, NULL);
                if (!c->tls)
                    die("%s: conn_new: %s", im->name, im->last_error());
                c->state = ST_HANDSHAKE;
            }
            advance(im, ep, c, id, 1);
        }
    }
}

static int test_c10k(const impl *im, const opts *o)
{
    long n = o->count;
    long budget = fd_budget() - 300;
    if (n > budget) {
        fprintf(stderr, "pyssl_bench: notice: fd limit allows only %ld concurrent connections (asked %ld)\n",
                budget, n);
        n = budget;
    }
    int tcp = strcmp(o->transport, "tcp") == 0;
    int ctlp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ctlp) < 0)
        die("socketpair: %s", strerror(errno));
    int listener = -1, port = 0;
    if (tcp) {
        listener = tcp_listener(4096, &port);
        set_nonblocking(listener, 1);
    }
    pid_t pid = fork_child();
    if (pid == 0) {
        close(ctlp[0]);
        c10k_server(im, ctlp[1], listener, n);
        _exit(1);
    }
    close(ctlp[1]);
    int ctl = ctlp[0];
    if (listener >= 0)
        close(listener);
    conn *cs = calloc((size_t)n, sizeof *cs);
    if (!tcp) {
        /* Make the pairs now (untimed) and hand the server ends over. */
        for (long i = 0; i < n; i++) {
            int fds[2];
            make_pair("unix", fds);
            cs[i].fd = fds[0];
            if (send_fds(ctl, &fds[1], 1) < 0)
                die("send_fds: %s", strerror(errno));
            close(fds[1]);
        }
    }
    char b;
    read_full(ctl, &b, 1);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    reset_hwm();
    long rss0 = rss_kib();
    double t0 = now_s(), c0 = cpu_s();
    long started = 0, finished = 0, window = o->window > 0 ? o->window : n;
    struct epoll_event evs[256];
    while (finished < n) {
        while (started < n && started - finished < window) {
            conn *c = &cs[started];
            uint32_t id = (uint32_t)started++;
            if (tcp) {
                c->fd = tcp_connect(port, 1);
                tcp_abort_on_close(c->fd);
                c->state = ST_CONNECTING;
                ep_set(ep, c, id, EPOLLOUT);
                continue;
            }
            c->tls = im->conn_new(c->fd, 0, 1, NULL);
            if (!c->tls)
                die("%s: conn_new: %s", im->name, im->last_error());
            c->state = ST_HANDSHAKE;
            finished += advance(im, ep, c, id, 0);
        }
        /* The last connections can finish inside the loop above when the
         * server answers between our write and our read; waiting then
         * would wait for nothing. */
        if (finished >= n)
            break;
        int k = epoll_wait(ep, evs, 256, 30000);
        if (k == 0)
            die("%s: c10k stalled (%ld of %ld done)", im->name, finished, n);
        if (k < 0 && errno != EINTR)
            die("epoll_wait: %s", strerror(errno));
        for (int e = 0; e < k; e++) {
            uint32_t id = evs[e].data.u32;
            conn *c = &cs[id];
            if (c->state == ST_CONNECTING) {
                int err = 0;
                socklen_t len = sizeof err;
                getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
                if (err)
                    die("connect: %s", strerror(err));
                c->tls = im->conn_new(c->fd, 0, 1, NULL);
                if (!c->tls)
                    die("%s: conn_new: %s", im->name, im->last_error());
                c->state = ST_HANDSHAKE;
            }
            finished += advance(im, ep, c, id, 0);
        }
    }
    double t1 = now_s(), c1 = cpu_s();
    long hwm = hwm_kib();
    /* All n connections are open and idle now (handshaken, 64 B echoed). */
    long rss_idle = rss_kib();
    write_full(ctl, "D", 1);
    char rep[96] = {0};
    size_t len = 0;
    while (len < sizeof rep - 1 && (len == 0 || rep[len - 1] != '\n')) {
        ssize_t r = read(ctl, rep + len, sizeof rep - 1 - len);
        if (r <= 0)
            die("server report: %s", r == 0 ? "EOF" : strerror(errno));
        len += (size_t)r;
    }
    long srss0 = 0, shwm = 0, srss_idle = 0;
    double scpu = 0;
    sscanf(rep, "%ld %ld %lf %ld", &srss0, &shwm, &scpu, &srss_idle);
    reap(pid);
    json_num("connections", (double)n);
    json_num("seconds", t1 - t0);
    json_num("client_cpu_seconds", c1 - c0);
    json_num("server_cpu_seconds", scpu);
    json_num("cpu_seconds", c1 - c0 + scpu);
    json_num("client_peak_growth_kib", (double)(hwm - rss0));
    json_num("server_peak_growth_kib", (double)(shwm - srss0));
    json_num("peak_growth_kib", (double)(hwm - rss0 + shwm - srss0));
    /* RSS growth with every connection idle, per connection: the memory an
     * idle connection costs (process RSS, so allocator slack included). */
    json_num("client_idle_rss_bytes_per_conn", (double)(rss_idle - rss0) * 1024.0 / (double)n);
    json_num("server_idle_rss_bytes_per_conn", (double)(srss_idle - srss0) * 1024.0 / (double)n);
    version_info(im, cs[0].tls);
    for (long i = 0; i < n; i++) {
        im->conn_free(cs[i].tls);
        close(cs[i].fd);
    }
    free(cs);
    close(ep);
    close(ctl);
    return 0;
}

int run_test(const impl *im, const opts *o)
{
    json_str("impl", im->name);
    json_str("test", o->test);
    if (!strcmp(o->test, "bulk") || !strcmp(o->test, "small"))
        return test_stream(im, o);
    if (!strcmp(o->test, "bulk2p") || !strcmp(o->test, "small2p"))
        return test_stream_2p(im, o);
    if (!strcmp(o->test, "handshake"))
        return test_handshake(im, o, 0);
    if (!strcmp(o->test, "resume"))
        return test_handshake(im, o, 1);
    if (!strcmp(o->test, "peercert"))
        return test_peercert(im, o, 0);
    if (!strcmp(o->test, "peercert_der"))
        return test_peercert(im, o, 1);
    if (!strcmp(o->test, "memory"))
        return test_memory(im, o);
    if (!strcmp(o->test, "c10k"))
        return test_c10k(im, o);
    if (!strcmp(o->test, "membio"))
        return test_membio(im, o);
    die("unknown test %s", o->test);
}
