/*
 * pyssl_bench: one measurement per run, printed as one JSON line.
 *
 *   pyssl_bench --impl raw|pyssl --test TEST --certs DIR [options]
 *   pyssl_bench --check-settings --certs DIR
 *   pyssl_bench --paired CASE --certs DIR [--rounds N] [--segment S] [options]
 *   pyssl_bench --paired CASE --profile raw|pyssl --ops N --certs DIR (for callgrind)
 *
 * Tests: bulk, small (--transport unix|tcp --dir c2s|s2c --bytes N
 * --chunk N), handshake, resume (--key ec|rsa [--tls12] --count N),
 * peercert, peercert_der (--count N), memory (--count N), c10k (--count N
 * --window N). benches/bench.py runs them all, interleaved with the
 * Python variant, and prints the table. --paired runs raw, pyssl and raw
 * again in one process in alternating segments (paired.c).
 */
#include "bench.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: pyssl_bench --impl raw|pyssl --test TEST --certs DIR [--transport unix|tcp]\n"
                    "       [--dir c2s|s2c] [--bytes N] [--chunk N] [--count N] [--warmup N]\n"
                    "       [--window N] [--key ec|rsa] [--tls12]\n"
                    "       pyssl_bench --check-settings --certs DIR\n"
                    "       pyssl_bench --paired CASE --certs DIR [--rounds N] [--segment SECONDS]\n"
                    "           [--server same|raw] [options]\n"
                    "       pyssl_bench --paired CASE --profile raw|pyssl --ops N --certs DIR\n");
    exit(2);
}

int main(int argc, char **argv)
{
    opts o = {
        .test = NULL,
        .transport = "unix",
        .dir = "c2s",
        .server = "same",
        .bytes = 16 << 20,
        .chunk = 16384,
        .count = 1000,
        .window = 1000,
        .warmup = -1,
        .cfg = {.certdir = NULL, .key = "ec", .tls12 = 0},
    };
    const char *impl_name = NULL;
    const char *paired = NULL;
    int rounds = 31;
    double segment_s = 0.02;
    const char *profile = NULL;
    long profile_ops = 1000;
    int check = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (strcmp(a, name) == 0 && v && (i++, 1))
        if (ARG("--impl"))
            impl_name = v;
        else if (ARG("--paired"))
            paired = v;
        else if (ARG("--rounds"))
            rounds = atoi(v);
        else if (ARG("--segment"))
            segment_s = atof(v);
        else if (ARG("--profile"))
            profile = v;
        else if (ARG("--ops"))
            profile_ops = atol(v);
        else if (ARG("--test"))
            o.test = v;
        else if (ARG("--certs"))
            o.cfg.certdir = v;
        else if (ARG("--transport"))
            o.transport = v;
        else if (ARG("--dir"))
            o.dir = v;
        else if (ARG("--server"))
            o.server = v;
        else if (ARG("--bytes"))
            o.bytes = atoll(v);
        else if (ARG("--chunk"))
            o.chunk = (size_t)atol(v);
        else if (ARG("--count"))
            o.count = atol(v);
        else if (ARG("--warmup"))
            o.warmup = atoi(v);
        else if (ARG("--window"))
            o.window = atoi(v);
        else if (ARG("--key"))
            o.cfg.key = v;
        else if (strcmp(a, "--tls12") == 0)
            o.cfg.tls12 = 1;
        else if (strcmp(a, "--check-settings") == 0)
            check = 1;
        else
            usage();
#undef ARG
    }
    if (!o.cfg.certdir)
        usage();
    /* Writes to a peer that died must fail, not kill us. */
    signal(SIGPIPE, SIG_IGN);
    if (check) {
        int bad = 0;
        for (int tls12 = 0; tls12 <= 1; tls12++) {
            bench_cfg c = o.cfg;
            c.tls12 = tls12;
            bad |= check_same_settings(&c);
        }
        printf("{\"settings_match\": %s}\n", bad ? "false" : "true");
        return bad;
    }
    if (paired) {
        o.test = paired;
        alarm(600);
        if (impl_raw.setup(&o.cfg) != 0)
            die("raw: setup: %s", impl_raw.last_error());
        if (impl_pyssl.setup(&o.cfg) != 0)
            die("pyssl: setup: %s", impl_pyssl.last_error());
        json_begin();
        int rc = run_paired(&o, rounds, segment_s, profile, profile_ops);
        json_end();
        impl_pyssl.teardown();
        impl_raw.teardown();
        return rc;
    }
    if (!impl_name || !o.test || o.chunk == 0 || o.count <= 0)
        usage();
    const impl *im = strcmp(impl_name, "raw") == 0 ? &impl_raw : strcmp(impl_name, "pyssl") == 0 ? &impl_pyssl : NULL;
    if (!im)
        usage();
    if (o.warmup < 0)
        o.warmup = (int)(o.count / 20 > 2 ? o.count / 20 : 2);
    alarm(600); /* never hang a benchmark run */
    if (im->setup(&o.cfg) != 0)
        die("%s: setup: %s", im->name, im->last_error());
    json_begin();
    int rc = run_test(im, &o);
    json_end();
    im->teardown();
    return rc;
}
