/*
 * The paired runner: raw OpenSSL, pyssl, and raw OpenSSL again (on its own
 * contexts) in one process, taking turns in short segments of the same
 * work. Each round runs one segment of each lane, the order rotating
 * through all six permutations; per round the ratios
 *
 *   pyssl / raw  = t(raw) / t(pyssl)     (above 1: pyssl is faster)
 *   floor        = t(raw) / t(raw again) (the same code against itself)
 *
 * are taken, and their median over the rounds is reported. Load from other
 * processes slows down the lanes of a round alike, so a paired ratio is far
 * steadier than a ratio of separate runs; the floor shows how steady.
 * Times are the thread's CPU time (CLOCK_THREAD_CPUTIME_ID); the wall-clock
 * ratios are reported too.
 *
 *   pyssl_bench --paired CASE --certs DIR [--rounds N] [--segment SECONDS]
 *
 * Cases: bulk (16 KiB writes), small (64 B writes; both: the writer sends
 * a batch, the reader reads it, as in tests.c), handshake, resume
 * (--tls12 for TLS 1.2; --key ec|rsa), peercert (getpeercert() dict on
 * one socket: pyssl's per-socket cache), peercert_fresh (pyssl: a new
 * socket over the same SSL * per call, as the CPython patch makes for
 * each SSLSocket; raw: the same OpenSSL calls as CPython), decode (the
 * decoder alone: pyssl_decode_x509 against raw_decode_cert), peercert_der.
 *
 * --server raw: the server end of every lane is raw OpenSSL, so that the
 * pyssl lane is a pyssl client against a raw server (the default, "same",
 * makes both ends of the pyssl lane pyssl, counting its cost twice over).
 * --dir s2c (bulk, small): the server writes and the client reads.
 */
#define _GNU_SOURCE
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/ssl.h>

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#endif
#endif
#ifndef CALLGRIND_ZERO_STATS
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(s) (void)(s)
#endif

#define MAX_ROUNDS 1000

/* State of one lane: a connection pair and what the case needs. */
typedef struct lane {
    const char *name;
    const impl *im; /* impl_raw or impl_pyssl: the client (and the server) */
    const impl *si; /* the server's: im, or impl_raw with --server raw */
    int slot;       /* impl_raw's context pair */
    int fds[2];
    void *c, *s;
    void *sess;
    pairs pp;
    double cpu[MAX_ROUNDS], wall[MAX_ROUNDS];
} lane;

static const opts *O;
static char *buf;

static void conn_pair(lane *l, const impl *ci, const impl *si)
{
    pairs_make(&l->pp, l->fds);
    connect_pair(ci, &l->c, si, &l->s, l->fds, NULL);
}

static void conn_pair_free(lane *l, const impl *ci, const impl *si)
{
    if (!l->c)
        return;
    ci->conn_free(l->c);
    si->conn_free(l->s);
    close(l->fds[0]);
    close(l->fds[1]);
    l->c = l->s = NULL;
}

/* The peercert_fresh and decode cases read a raw SSL * in every lane. */
static int raw_conns(void)
{
    return strcmp(O->test, "peercert_fresh") == 0 || strcmp(O->test, "decode") == 0;
}

static void lane_init(lane *l)
{
    pairs_init(&l->pp, O->transport);
    const char *t = O->test;
    if (!strcmp(t, "bulk") || !strcmp(t, "small")) {
        pairs_make(&l->pp, l->fds);
        big_buffers(l->fds[0]);
        big_buffers(l->fds[1]);
        connect_pair(l->im, &l->c, l->si, &l->s, l->fds, NULL);
        l->im->set_blocking(l->c, l->fds[0], 1);
        l->si->set_blocking(l->s, l->fds[1], 1);
    } else if (!strcmp(t, "resume")) {
        l->sess = first_session(l->im, l->si, &l->pp);
    } else if (!strcmp(t, "peercert") || !strcmp(t, "peercert_der")) {
        conn_pair(l, l->im, l->si);
    } else if (raw_conns()) {
        conn_pair(l, &impl_raw, &impl_raw);
    } else if (strcmp(t, "handshake") != 0) {
        die("--paired: unknown case %s", t);
    }
}

static void lane_fini(lane *l)
{
    if (raw_conns())
        conn_pair_free(l, &impl_raw, &impl_raw);
    else
        conn_pair_free(l, l->im, l->si);
    if (l->sess)
        l->im->session_free(l->sess);
    pairs_done(&l->pp);
}

/* One connection made, handshaken, closed both ways and freed. */
static void one_handshake(lane *l, int resume)
{
    const impl *im = l->im;
    int fds[2];
    pairs_make(&l->pp, fds);
    void *c, *s;
    connect_pair(im, &c, l->si, &s, fds, resume ? l->sess : NULL);
    if (resume && !im->session_reused(c))
        die("%s (%s): the session was NOT reused: the resumption case would measure full handshakes",
            l->name, O->cfg.tls12 ? "TLS 1.2" : "TLS 1.3");
    if (!resume && im->session_reused(c))
        die("%s: a full handshake reused a session", l->name);
    pump_shutdown(im, c, l->si, s);
    im->conn_free(c);
    l->si->conn_free(s);
    close(fds[0]);
    close(fds[1]);
}

static void segment(lane *l, long n)
{
    const impl *im = l->im;
    const char *t = O->test;
    if (!strcmp(t, "bulk") || !strcmp(t, "small")) {
        size_t chunk = O->chunk;
        long batch = chunk >= 4096 ? (long)(32768 / chunk) : 32;
        if (batch < 1)
            batch = 1;
        /* c2s: the client writes, the server reads; s2c the reverse. */
        int s2c = !strcmp(O->dir, "s2c");
        const impl *wi = s2c ? l->si : im, *ri = s2c ? im : l->si;
        void *w = s2c ? l->s : l->c, *r = s2c ? l->c : l->s;
        for (long done = 0; done < n;) {
            long k = n - done < batch ? n - done : batch;
            write_all(wi, w, buf, chunk, (long long)k * (long long)chunk);
            read_exactly(ri, r, buf, (long long)k * (long long)chunk);
            done += k;
        }
    } else if (!strcmp(t, "handshake") || !strcmp(t, "resume")) {
        for (long i = 0; i < n; i++)
            one_handshake(l, !strcmp(t, "resume"));
    } else if (!strcmp(t, "peercert") || !strcmp(t, "peercert_der")) {
        int der = !strcmp(t, "peercert_der");
        for (long i = 0; i < n; i++)
            if (im->peercert(l->c, der) != 0)
                die("%s: getpeercert: %s", l->name, im->last_error());
    } else if (!strcmp(t, "peercert_fresh")) {
        SSL *ssl = RAW_SSL(l->c);
        for (long i = 0; i < n; i++) {
            int rc = im == &impl_pyssl ? bench_fresh_peercert(ssl, l->fds[0]) : impl_raw.peercert(l->c, 0);
            if (rc != 0)
                die("%s: fresh getpeercert: %s", l->name, im->last_error());
        }
    } else if (!strcmp(t, "decode")) {
        X509 *cert = SSL_get0_peer_certificate(RAW_SSL(l->c));
        for (long i = 0; i < n; i++) {
            int rc = im == &impl_pyssl ? bench_decode_only(cert) : raw_decode_cert(cert);
            if (rc != 0)
                die("%s: decode: %s", l->name, im->last_error());
        }
    }
}

static void timed(lane *l, long n, double *cpu, double *wall)
{
    raw_use_slot(l->slot);
    double w0 = now_s(), c0 = thread_cpu_s();
    segment(l, n);
    *cpu = thread_cpu_s() - c0;
    *wall = now_s() - w0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile (0..1) of v[0..n), by linear interpolation; sorts v. */
static double quantile(double *v, int n, double q)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    double pos = q * (n - 1);
    int i = (int)pos;
    if (i + 1 >= n)
        return v[n - 1];
    return v[i] + (v[i + 1] - v[i]) * (pos - i);
}

static void report_ratios(const char *key, const double *num, const double *den, int rounds)
{
    double r[MAX_ROUNDS];
    for (int i = 0; i < rounds; i++)
        r[i] = num[i] / den[i];
    char k[64];
    double med = quantile(r, rounds, 0.5);
    snprintf(k, sizeof k, "%s", key);
    json_num(k, med);
    snprintf(k, sizeof k, "%s_q1", key);
    json_num(k, quantile(r, rounds, 0.25));
    snprintf(k, sizeof k, "%s_q3", key);
    json_num(k, quantile(r, rounds, 0.75));
}

static double median_of(const double *v, int n)
{
    double c[MAX_ROUNDS];
    memcpy(c, v, sizeof *v * (size_t)n);
    return quantile(c, n, 0.5);
}

/* For callgrind: one lane only, `n` operations after a warm-up, with the
 * counters zeroed before and dumped after (valgrind --tool=callgrind
 * pyssl_bench --paired CASE --profile raw|pyssl --ops N ...). */
static int run_profile(lane *l, long n)
{
    raw_use_slot(l->slot);
    lane_init(l);
    segment(l, n / 10 > 2 ? n / 10 : 2);
    CALLGRIND_ZERO_STATS;
    segment(l, n);
    CALLGRIND_DUMP_STATS_AT(l->name);
    lane_fini(l);
    json_str("impl", l->name);
    json_str("test", O->test);
    json_num("profiled_ops", (double)n);
    return 0;
}

/* impl_raw's contexts of slot k (none for k < 0) freed. */
static void teardown_slot(int k)
{
    if (k < 0)
        return;
    raw_use_slot(k);
    impl_raw.teardown();
    raw_use_slot(0);
}

int run_paired(const opts *o, int rounds, double segment_s, const char *profile, long profile_ops)
{
    static const int perms[6][3] = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {1, 0, 2}, {2, 1, 0}};
    if (rounds < 1 || rounds > MAX_ROUNDS)
        die("--rounds must be 1..%d", MAX_ROUNDS);
    static opts own;
    own = *o;
    if (!strcmp(o->test, "small"))
        own.chunk = 64;
    else if (!strcmp(o->test, "bulk"))
        own.chunk = 16384;
    o = &own;
    O = o;
    buf = malloc(o->chunk > 16384 ? o->chunk : 16384);
    memset(buf, 'x', o->chunk > 16384 ? o->chunk : 16384);
    if (strcmp(o->dir, "c2s") != 0 && strcmp(o->dir, "s2c") != 0)
        die("--dir c2s|s2c");
    int server_raw = !strcmp(o->server, "raw");
    if (!server_raw && strcmp(o->server, "same") != 0)
        die("--server same|raw");
    static lane lanes[3];
    lanes[0] = (lane){.name = "raw", .im = &impl_raw, .si = &impl_raw, .slot = 0};
    /* With --server raw, pyssl's client talks to a raw server on contexts
     * of its own (slot 2: its own server session cache). */
    lanes[1] = (lane){.name = "pyssl",
                      .im = &impl_pyssl,
                      .si = server_raw ? &impl_raw : &impl_pyssl,
                      .slot = server_raw ? 2 : 0};
    lanes[2] = (lane){.name = "raw again", .im = &impl_raw, .si = &impl_raw, .slot = 1};
    if (server_raw) {
        raw_use_slot(2);
        if (impl_raw.setup(&o->cfg) != 0)
            die("raw: setup (contexts of pyssl's server): %s", impl_raw.last_error());
        raw_use_slot(0);
    }
    if (profile) {
        int k = !strcmp(profile, "raw") ? 0 : !strcmp(profile, "pyssl") ? 1 : -1;
        if (k < 0)
            die("--profile raw|pyssl");
        int rc = run_profile(&lanes[k], profile_ops);
        teardown_slot(server_raw ? 2 : -1);
        free(buf);
        return rc;
    }
    raw_use_slot(1);
    if (impl_raw.setup(&o->cfg) != 0)
        die("raw: setup (second contexts): %s", impl_raw.last_error());
    raw_use_slot(0);
    for (int i = 0; i < 3; i++) {
        raw_use_slot(lanes[i].slot);
        lane_init(&lanes[i]);
    }
    /* Warm-up and calibration: segments of `n` operations take about
     * segment_s seconds of raw's CPU time. */
    long n = 1;
    for (;;) {
        double cpu, wall;
        timed(&lanes[0], n, &cpu, &wall);
        if (cpu >= segment_s / 4 || n >= (1L << 30))
            break;
        n *= 2;
    }
    {
        double cpu, wall;
        timed(&lanes[0], n, &cpu, &wall);
        long want = (long)((double)n * segment_s / (cpu > 1e-6 ? cpu : 1e-6));
        n = want < 1 ? 1 : want;
    }
    for (int i = 0; i < 3; i++) {
        double cpu, wall;
        timed(&lanes[i], n, &cpu, &wall); /* untimed warm-up of each lane */
    }
    for (int r = 0; r < rounds; r++)
        for (int j = 0; j < 3; j++) {
            lane *l = &lanes[perms[r % 6][j]];
            timed(l, n, &l->cpu[r], &l->wall[r]);
        }
    json_str("impl", "paired");
    json_str("test", o->test);
    json_num("rounds", rounds);
    json_num("ops_per_segment", (double)n);
    json_num("chunk", (double)o->chunk);
    for (int i = 0; i < 3; i++) {
        static const char *keys[3] = {"raw", "pyssl", "raw2"};
        char k[64];
        snprintf(k, sizeof k, "%s_ops_per_cpu_s", keys[i]);
        json_num(k, (double)n / median_of(lanes[i].cpu, rounds));
        snprintf(k, sizeof k, "%s_ops_per_s", keys[i]);
        json_num(k, (double)n / median_of(lanes[i].wall, rounds));
    }
    report_ratios("ratio", lanes[0].cpu, lanes[1].cpu, rounds);
    report_ratios("floor", lanes[0].cpu, lanes[2].cpu, rounds);
    report_ratios("ratio_wall", lanes[0].wall, lanes[1].wall, rounds);
    report_ratios("floor_wall", lanes[0].wall, lanes[2].wall, rounds);
    if (lanes[0].c) {
        json_str("version", impl_raw.version(lanes[0].c));
        json_str("cipher", impl_raw.cipher(lanes[0].c));
    }
    for (int i = 0; i < 3; i++) {
        raw_use_slot(lanes[i].slot);
        lane_fini(&lanes[i]);
    }
    teardown_slot(1);
    teardown_slot(server_raw ? 2 : -1);
    free(buf);
    return 0;
}
