/* Context configuration and socket creation errors (oracle: ctx_errors,
 * ctx_sockets). */
#define _GNU_SOURCE
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define P "ctx."

static void rec_defaults(results *r, const char *id, int mode, int protocol) {
    pyssl_context *c = mode_ctx(mode, protocol);
    if (!c) {
        rec_error(r, id, -1);
        return;
    }
    char buf[128];
    snprintf(buf, sizeof buf, "verify_mode=%d check_hostname=%d max=%d",
             pyssl_context_get_verify_mode(c), pyssl_context_get_check_hostname(c),
             pyssl_context_get_maximum_version(c));
    rec_value(r, id, buf);
    /* Deliberate difference (docs/behaviour.md): TLS 1.2 stays the floor in
     * every mode, where Debian's builds report MINIMUM_SUPPORTED. */
    assert_int_equal(pyssl_context_get_minimum_version(c), PYSSL_TLS_VERSION_TLSV1_2);
    pyssl_context_free(c);
}

static void rec_more_defaults(results *r, const char *id, int mode, int protocol) {
    pyssl_context *c = mode_ctx(mode, protocol);
    uint64_t flags = 0;
    if (!c || pyssl_context_get_verify_flags(c, &flags) < 0) {
        rec_error(r, id, pyssl_error_status());
    } else {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "verify_flags=0x%llx hostname_checks_common_name=%d num_tickets=%zd "
                 "post_handshake_auth=%d security_level=%d",
                 (unsigned long long)flags, pyssl_context_get_hostname_checks_common_name(c),
                 pyssl_context_get_num_tickets(c), pyssl_context_get_post_handshake_auth(c),
                 pyssl_context_get_security_level(c));
        rec_value(r, id, buf);
    }
    pyssl_context_free(c);
}

static void rec_num_tickets(results *r, const char *id, int mode, int protocol,
                            int64_t n) {
    pyssl_context *c = mode_ctx(mode, protocol);
    pyssl_error_clear();
    rec_ret(r, id, pyssl_context_set_num_tickets(c, n), "ok");
    pyssl_context_free(c);
}

static void rec_options(results *r, const char *id, int mode, int protocol) {
    pyssl_context *c = mode_ctx(mode, protocol);
    uint64_t opts = 0;
    if (!c || pyssl_context_get_options(c, &opts) < 0) {
        rec_error(r, id, -1);
    } else {
        char buf[64];
        snprintf(buf, sizeof buf, "0x%llx", (unsigned long long)opts);
        rec_value(r, id, buf);
    }
    pyssl_context_free(c);
}

/* A version getter: -2 and -1 are the MINIMUM/MAXIMUM_SUPPORTED values,
 * statuses start at -10. */
static void rec_get(results *r, const char *id, int v) {
    if (v <= PYSSL_ERROR_INVALID_ERROR_CODE) {
        rec_error(r, id, v);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%d", v);
        rec_value(r, id, buf);
    }
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = malloc(1 << 16);
    *len = fread(buf, 1, (1 << 16) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

/* Base64 body of a PEM certificate to DER (ssl.PEM_cert_to_DER_cert). */
static unsigned char *pem_to_der(const char *pem, size_t *outlen) {
    const char *b = strstr(pem, "-----BEGIN CERTIFICATE-----");
    const char *e = strstr(pem, "-----END CERTIFICATE-----");
    if (!b || !e)
        return NULL;
    b += strlen("-----BEGIN CERTIFICATE-----");
    unsigned char *out = malloc((size_t)(e - b));
    size_t n = 0;
    unsigned acc = 0;
    int bits = 0;
    for (const char *p = b; p < e; p++) {
        const char *tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *q = *p ? strchr(tbl, *p) : NULL;
        if (!q)
            continue; /* newlines, '=' padding */
        acc = (acc << 6) | (unsigned)(q - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[n++] = (unsigned char)(acc >> bits);
        }
    }
    *outlen = n;
    return out;
}

static void test_context_errors(void **state) {
    int mode = TEST_MODE(state);
    results r;
    results_init(&r, mode);

    pyssl_error_clear();
    pyssl_context *bad = mode_ctx(mode, 99);
    if (bad) {
        rec_value(&r, P "protocol_invalid", "ok");
        pyssl_context_free(bad);
    } else {
        rec_error(&r, P "protocol_invalid", pyssl_error_status());
    }
    rec_defaults(&r, P "defaults.client", mode, PYSSL_PROTOCOL_TLS_CLIENT);
    rec_defaults(&r, P "defaults.server", mode, PYSSL_PROTOCOL_TLS_SERVER);
    rec_more_defaults(&r, P "more_defaults.client", mode, PYSSL_PROTOCOL_TLS_CLIENT);
    rec_more_defaults(&r, P "more_defaults.server", mode, PYSSL_PROTOCOL_TLS_SERVER);
    rec_num_tickets(&r, P "num_tickets.on_client", mode, PYSSL_PROTOCOL_TLS_CLIENT, 3);
    rec_num_tickets(&r, P "num_tickets.negative", mode, PYSSL_PROTOCOL_TLS_SERVER, -1);
    rec_options(&r, P "options.client", mode, PYSSL_PROTOCOL_TLS_CLIENT);
    rec_options(&r, P "options.server", mode, PYSSL_PROTOCOL_TLS_SERVER);

    pyssl_context *c = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    assert_non_null(c);
    rec_ret(&r, P "load_verify.missing_file",
            pyssl_context_load_verify_locations(c, cert_path("missing.pem"), NULL), "ok");
    rec_ret(&r, P "load_verify.missing_capath",
            pyssl_context_load_verify_locations(c, NULL, cert_path("missing-dir")), "ok");
    rec_ret(&r, P "load_verify.none", pyssl_context_load_verify_locations(c, NULL, NULL),
            "ok");
    rec_ret(&r, P "load_verify.bad_pem",
            pyssl_context_load_verify_locations(c, cert_path("bad.pem"), NULL), "ok");
    rec_ret(&r, P "load_verify.key_file",
            pyssl_context_load_verify_locations(c, cert_path("server.key"), NULL), "ok");
    rec_ret(&r, P "load_verify.ok",
            pyssl_context_load_verify_locations(c, cert_path("ca.pem"), NULL), "ok");
    rec_ret(&r, P "load_verify.default_certs", pyssl_context_load_default_certs(c), "ok");
    const char *garbage = "this is not a certificate";
    rec_ret(&r, P "load_verify.cadata_pem_bad",
            pyssl_context_load_verify_data(c, (const unsigned char *)garbage,
                                           strlen(garbage), 1),
            "ok");
    rec_ret(&r, P "load_verify.cadata_der_bad",
            pyssl_context_load_verify_data(c, (const unsigned char *)garbage,
                                           strlen(garbage), 0),
            "ok");
    size_t pemlen = 0, derlen = 0;
    char *pem = read_file(cert_path("ca.pem"), &pemlen);
    assert_non_null(pem);
    unsigned char *der = pem_to_der(pem, &derlen);
    assert_non_null(der);
    rec_ret(&r, P "load_verify.cadata_pem_ok",
            pyssl_context_load_verify_data(c, (const unsigned char *)pem, pemlen, 1), "ok");
    rec_ret(&r, P "load_verify.cadata_der_ok",
            pyssl_context_load_verify_data(c, der, derlen, 0), "ok");
    free(pem);
    free(der);
    pyssl_context_free(c);

    pyssl_context *s = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
    assert_non_null(s);
    rec_ret(&r, P "load_cert_chain.missing_cert",
            pyssl_context_load_cert_chain(s, cert_path("missing.pem"),
                                          cert_path("server.key"), NULL),
            "ok");
    rec_ret(&r, P "load_cert_chain.missing_key",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"),
                                          cert_path("missing.key"), NULL),
            "ok");
    rec_ret(&r, P "load_cert_chain.bad_cert",
            pyssl_context_load_cert_chain(s, cert_path("bad.pem"), cert_path("server.key"),
                                          NULL),
            "ok");
    rec_ret(&r, P "load_cert_chain.bad_key",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"), cert_path("bad.pem"),
                                          NULL),
            "ok");
    rec_ret(&r, P "load_cert_chain.key_mismatch",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"),
                                          cert_path("client.key"), NULL),
            "ok");
    rec_ret(&r, P "load_cert_chain.no_key",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"), NULL, NULL), "ok");
    rec_ret(&r, P "load_cert_chain.wrong_password",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"),
                                          cert_path("server_enc.key"), "wrong"),
            "ok");
    rec_ret(&r, P "load_cert_chain.good_password",
            pyssl_context_load_cert_chain(s, cert_path("server.pem"),
                                          cert_path("server_enc.key"), "secret"),
            "ok");
    rec_ret(&r, P "load_cert_chain.combined",
            pyssl_context_load_cert_chain(s, cert_path("server_combined.pem"), NULL, NULL),
            "ok");
    char raw[1024];
    const char *certs = cert_path("");
    snprintf(raw, sizeof raw, "%s\xff" "missing.pem", certs);
    rec_ret(&r, P "load_dh_params.non_utf8_missing", pyssl_context_load_dh_params(s, raw),
            "ok");
    snprintf(raw, sizeof raw, "%s\xff" "missing-dir/key.log", certs);
    rec_ret(&r, P "keylog.non_utf8_missing", pyssl_context_set_keylog_filename(s, raw), "ok");
    snprintf(raw, sizeof raw, "%s\xff" "key.log", certs);
    int rc = pyssl_context_set_keylog_filename(s, raw);
    if (rc == 0)
        rc = pyssl_context_set_keylog_filename(s, NULL);
    rec_ret(&r, P "keylog.non_utf8_ok", rc, "ok");
    rec_ret(&r, P "keylog.unseekable", pyssl_context_set_keylog_filename(s, "/proc/version"),
            "ok");
    rec_ret(&r, P "load_dh_params.unicode15_missing",
            pyssl_context_load_dh_params(s, cert_path("missing-\xf0\x9f\x9b\x9c.pem")), "ok");
    rec_ret(&r, P "ecdh_curve.unicode15", pyssl_context_set_ecdh_curve(s, "\xf0\x9f\x9b\x9c"),
            "ok");
    rec_ret(&r, P "ecdh_curve.unknown", pyssl_context_set_ecdh_curve(s, "no-such-curve"), "ok");
    rec_ret(&r, P "ecdh_curve.not_utf8", pyssl_context_set_ecdh_curve(s, "c\xff"), "ok");
    static const char *const curves[] = {"X25519", "ffdhe2048", "secp112r1", "rsaEncryption",
                                         "prime256v1"};
    for (size_t i = 0; i < sizeof curves / sizeof *curves; i++) {
        pyssl_context *fresh = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
        assert_non_null(fresh);
        char id[64];
        snprintf(id, sizeof id, P "ecdh_curve.%s", curves[i]);
        rec_ret(&r, id, pyssl_context_set_ecdh_curve(fresh, curves[i]), "ok");
        pyssl_context_free(fresh);
    }
    pyssl_context_free(s);

    c = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    assert_non_null(c);
    rec_ret(&r, P "verify_mode.none_with_check_hostname",
            pyssl_context_set_verify_mode(c, PYSSL_CERT_NONE), "ok");
    rec_ret(&r, P "verify_mode.invalid", pyssl_context_set_verify_mode(c, 7), "ok");
    rec_ret(&r, P "check_hostname.off", pyssl_context_set_check_hostname(c, 0), "ok");
    rec_ret(&r, P "verify_mode.none_after_off",
            pyssl_context_set_verify_mode(c, PYSSL_CERT_NONE), "ok");
    pyssl_context_free(c);

    s = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
    assert_non_null(s);
    if (pyssl_context_set_check_hostname(s, 1) < 0) {
        rec_error(&r, P "check_hostname.enable_on_cert_none", pyssl_error_status());
    } else {
        char buf[64];
        snprintf(buf, sizeof buf, "verify_mode=%d", pyssl_context_get_verify_mode(s));
        rec_value(&r, P "check_hostname.enable_on_cert_none", buf);
    }
    pyssl_context_free(s);

    c = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    assert_non_null(c);
    rec_ret(&r, P "set_ciphers.nonsense", pyssl_context_set_ciphers(c, "nonsense"), "ok");
    rec_ret(&r, P "set_ciphers.ok", pyssl_context_set_ciphers(c, "ECDHE+AESGCM"), "ok");
    pyssl_context_free(c);

    c = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    assert_non_null(c);
    rec_ret(&r, P "version.min_invalid", pyssl_context_set_minimum_version(c, 0x999), "ok");
    rec_ret(&r, P "version.max_invalid", pyssl_context_set_maximum_version(c, 0x999), "ok");
    rec_ret(&r, P "version.min_tls13",
            pyssl_context_set_minimum_version(c, PYSSL_TLS_VERSION_TLSV1_3), "ok");
    rec_get(&r, P "version.get_min", pyssl_context_get_minimum_version(c));
    rec_ret(&r, P "version.max_tls12",
            pyssl_context_set_maximum_version(c, PYSSL_TLS_VERSION_TLSV1_2), "ok");
    rec_get(&r, P "version.get_max", pyssl_context_get_maximum_version(c));
    rec_ret(&r, P "version.max_minimum_supported",
            pyssl_context_set_maximum_version(c, PYSSL_TLS_VERSION_MINIMUM_SUPPORTED), "ok");
    rec_get(&r, P "version.get_max2", pyssl_context_get_maximum_version(c));
    rec_ret(&r, P "version.min_minimum_supported",
            pyssl_context_set_minimum_version(c, PYSSL_TLS_VERSION_MINIMUM_SUPPORTED), "ok");
    rec_get(&r, P "version.get_min2", pyssl_context_get_minimum_version(c));
    rec_ret(&r, P "version.max_maximum_supported",
            pyssl_context_set_maximum_version(c, PYSSL_TLS_VERSION_MAXIMUM_SUPPORTED), "ok");
    rec_get(&r, P "version.get_max3", pyssl_context_get_maximum_version(c));
    pyssl_context_free(c);

    check_steps(&r, P "protocol_invalid", P "defaults.", P "more_defaults.", P "num_tickets.",
                P "options.", P "load_verify.",
                P "load_cert_chain.", P "load_dh_params.", P "keylog.", P "ecdh_curve.",
                P "verify_mode.",
                P "check_hostname.", P "set_ciphers.", P "version.", NULL);
}

/* Without a password pyssl never prompts (CPython lets OpenSSL ask on the
 * terminal, so its outcome depends on the environment): loading an
 * encrypted key then fails with an SSLError from OpenSSL's PEM code. */
static void test_context_no_password(void **state) {
    pyssl_context *s = mode_ctx(TEST_MODE(state), PYSSL_PROTOCOL_TLS_SERVER);
    assert_non_null(s);
    int rc = pyssl_context_load_cert_chain(s, cert_path("server.pem"),
                                           cert_path("server_enc.key"), NULL);
    assert_int_equal(rc, PYSSL_ERROR_SSL);
    assert_string_equal(pyssl_error_type(), "SSLError");
    assert_non_null(pyssl_error_library());
    pyssl_context_free(s);
}

/* Records a socket creation's outcome ("ok" or the error) and frees it. */
static void rec_made(results *r, const char *id, pyssl_socket *s) {
    if (s) {
        rec_value(r, id, "ok");
        pyssl_socket_free(s);
    } else {
        rec_error(r, id, pyssl_error_status());
    }
}

static void rec_new(results *r, const char *id, pyssl_context *ctx, int fd, int server,
                    const char *host) {
    pyssl_error_clear();
    rec_made(r, id, pyssl_socket_new(ctx, fd, server, host));
}

static void rec_new_bio(results *r, const char *id, pyssl_context *ctx, int server,
                        const char *host) {
    pyssl_memory_bio *in = pyssl_memory_bio_new(), *out = pyssl_memory_bio_new();
    assert_non_null(in);
    assert_non_null(out);
    pyssl_error_clear();
    rec_made(r, id, pyssl_socket_new_bio(ctx, in, out, server, host));
    pyssl_memory_bio_free(in);
    pyssl_memory_bio_free(out);
}

/* Which check speaks first when a socket or an SSLObject is made (oracle:
 * ctx_create): ssl.py's, per version for wrap_bio, then _ssl's side check,
 * then its name check. */
static void test_context_create(void **state) {
    int mode = TEST_MODE(state);
    results r;
    results_init(&r, mode);
    static const struct {
        const char *name;
        int protocol;
    } protos[] = {{"client", PYSSL_PROTOCOL_TLS_CLIENT}, {"server", PYSSL_PROTOCOL_TLS_SERVER}};
    static const struct {
        const char *name, *host;
    } hosts[] = {{"none", NULL}, {"empty", ""}, {"dot", ".x"}, {"name", "localhost"}};
    char id[128];
    for (size_t p = 0; p < 2; p++)
        for (int chk = 0; chk < 2; chk++)
            for (int side = 0; side < 2; side++)
                for (size_t h = 0; h < 4; h++) {
                    pyssl_context *ctx = mode_ctx(mode, protos[p].protocol);
                    assert_non_null(ctx);
                    assert_int_equal(pyssl_context_set_check_hostname(ctx, chk), 0);
                    int fds[2];
                    assert_int_equal(connected_pair(0, fds), 0);
                    snprintf(id, sizeof id, P "create.%s.chk%d.side%d.%s.socket",
                             protos[p].name, chk, side, hosts[h].name);
                    rec_new(&r, id, ctx, fds[0], side, hosts[h].host);
                    close(fds[0]);
                    close(fds[1]);
                    snprintf(id, sizeof id, P "create.%s.chk%d.side%d.%s.bio", protos[p].name,
                             chk, side, hosts[h].name);
                    rec_new_bio(&r, id, ctx, side, hosts[h].host);
                    pyssl_context_free(ctx);
                }
    check_steps(&r, P "create.", NULL);
}

static void test_context_sockets(void **state) {
    int mode = TEST_MODE(state);
    results r;
    results_init(&r, mode);
    int fds[2];
    assert_int_equal(connected_pair(0, fds), 0);
    pyssl_context *cctx = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    pyssl_context *sctx = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
    assert_non_null(cctx);
    assert_non_null(sctx);
#define PS P "socket."
    rec_new(&r, PS "server_on_client_ctx", cctx, fds[0], 1, NULL);
    rec_new(&r, PS "client_on_server_ctx", sctx, fds[0], 0, NULL);
    int lone = socket(AF_UNIX, SOCK_STREAM, 0);
    rec_new(&r, PS "check_hostname_requires_hostname", cctx, lone, 0, NULL);
    rec_new(&r, PS "hostname_on_server", sctx, lone, 1, "localhost");
    close(lone);
    rec_new(&r, PS "hostname_empty", cctx, fds[0], 0, "");
    rec_new(&r, PS "hostname_leading_dot", cctx, fds[0], 0, ".example");
    rec_new(&r, PS "hostname_non_ascii", cctx, fds[0], 0, "b\xc3\xbc" "cher.example");
    rec_new(&r, PS "hostname_ok", cctx, fds[0], 0, "localhost");
    rec_new(&r, PS "ip_ok", cctx, fds[0], 0, "127.0.0.1");
    pyssl_socket *s = pyssl_socket_new(cctx, fds[0], 0, "localhost");
    assert_non_null(s);
    pyssl_error_clear();
    rec_ret(&r, PS "timeout_nan", pyssl_socket_set_timeout(s, NAN), "ok");
    rec_ret(&r, PS "timeout_2p63ns", pyssl_socket_set_timeout(s, 9223372036.854775808), "ok");
    rec_ret(&r, PS "timeout_below_2p63ns", pyssl_socket_set_timeout(s, 9223372036.854774),
            "ok");
    rec_ret(&r, PS "timeout_inf", pyssl_socket_set_timeout(s, INFINITY), "ok");
    pyssl_socket_free(s);
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
    close(fds[0]);
    close(fds[1]);
    check_steps(&r, PS, NULL);
}

int main(void) {
    harness_init();
    const struct CMUnitTest tests[] = {
        MODE_TESTS(test_context_errors),
        MODE_TESTS(test_context_no_password),
        MODE_TESTS(test_context_sockets),
        MODE_TESTS(test_context_create),
    };
    return cmocka_run_group_tests_name("context", tests, NULL, NULL);
}
