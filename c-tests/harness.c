/* See harness.h. */
#define _GNU_SOURCE
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int harness_mode_311 = PYSSL_COMPAT_3_11;
int harness_mode_314 = PYSSL_COMPAT_3_14;

void harness_init(void) {
    /* CPython ignores SIGPIPE; OpenSSL writes with send(), which raises it. */
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The default tests follow the oracle's version (as the Rust tests do):
     * 3.14 rules against sid's 3.14 (integrations/debian sets 314), 3.13
     * rules against a 3.13 (the host's pyenv 3.13, trixie's 3.13.5). */
    const char *c = getenv("PYSSL_ORACLE_COMPAT");
    harness_mode_314 = c && strcmp(c, "314") == 0 ? PYSSL_COMPAT_3_14 : PYSSL_COMPAT_3_13;
}

static const char *data_dir(void) {
    const char *d = getenv("PYSSL_TEST_DATA");
    return d && *d ? d : ".";
}

const char *cert_path(const char *name) {
    static char ring[16][1024];
    static int next;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    char *buf = ring[next++ % 16];
    pthread_mutex_unlock(&lock);
    snprintf(buf, 1024, "%s/certs/%s", data_dir(), name);
    return buf;
}

/* ---- contexts ---- */

static void print_last_error(const char *what) {
    fprintf(stderr, "harness: %s failed: %s: %s\n", what,
            pyssl_error_type() ? pyssl_error_type() : "(none)",
            pyssl_error_message() ? pyssl_error_message() : "");
}

pyssl_context *mode_ctx(int mode, int protocol) {
    if (mode == PYSSL_COMPAT_3_14) /* the default */
        return pyssl_context_new(protocol);
    return pyssl_context_new_compat(protocol, mode);
}

pyssl_context *client_ctx(int mode, const char *ca, const char *certname) {
    pyssl_context *ctx = mode_ctx(mode, PYSSL_PROTOCOL_TLS_CLIENT);
    if (!ctx) {
        print_last_error("client context");
        return NULL;
    }
    if (ca && pyssl_context_load_verify_locations(ctx, cert_path(ca), NULL) < 0) {
        print_last_error("load_verify_locations");
        pyssl_context_free(ctx);
        return NULL;
    }
    if (certname) {
        char c[64], k[64];
        snprintf(c, sizeof c, "%s.pem", certname);
        snprintf(k, sizeof k, "%s.key", certname);
        if (pyssl_context_load_cert_chain(ctx, cert_path(c), cert_path(k), NULL) < 0) {
            print_last_error("load_cert_chain");
            pyssl_context_free(ctx);
            return NULL;
        }
    }
    return ctx;
}

pyssl_context *server_ctx(int mode, const char *certname, int verify_mode,
                          const char *ca) {
    pyssl_context *ctx = mode_ctx(mode, PYSSL_PROTOCOL_TLS_SERVER);
    if (!ctx) {
        print_last_error("server context");
        return NULL;
    }
    char c[64], k[64];
    snprintf(c, sizeof c, "%s.pem", certname);
    snprintf(k, sizeof k, "%s.key", certname);
    if (pyssl_context_load_cert_chain(ctx, cert_path(c), cert_path(k), NULL) < 0) {
        print_last_error("load_cert_chain");
        goto fail;
    }
    if (ca && pyssl_context_load_verify_locations(ctx, cert_path(ca), NULL) < 0) {
        print_last_error("load_verify_locations");
        goto fail;
    }
    if (pyssl_context_set_verify_mode(ctx, verify_mode) < 0) {
        print_last_error("set_verify_mode");
        goto fail;
    }
    return ctx;
fail:
    pyssl_context_free(ctx);
    return NULL;
}

/* ---- Python reprs ---- */

static char *repr_quoted(const unsigned char *p, size_t len, const char *prefix) {
    int has_single = memchr(p, '\'', len) != NULL;
    int has_double = memchr(p, '"', len) != NULL;
    char quote = has_single && !has_double ? '"' : '\'';
    char *out = malloc(strlen(prefix) + len * 4 + 3);
    char *o = out;
    o += sprintf(o, "%s%c", prefix, quote);
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = p[i];
        if (ch == quote || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch == '\t') {
            o += sprintf(o, "\\t");
        } else if (ch == '\n') {
            o += sprintf(o, "\\n");
        } else if (ch == '\r') {
            o += sprintf(o, "\\r");
        } else if (ch < 0x20 || ch >= 0x7f) {
            o += sprintf(o, "\\x%02x", ch);
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = quote;
    *o = 0;
    return out;
}

char *py_bytes_repr(const void *buf, size_t len) {
    return repr_quoted(buf, len, "b");
}

char *py_str_repr(const char *s) {
    if (!s)
        return strdup("None");
    return repr_quoted((const unsigned char *)s, strlen(s), "");
}

/* ---- recorded steps ---- */

void results_init(results *r, int mode) {
    memset(r, 0, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    r->mode = mode;
}

void results_free(results *r) {
    for (int i = 0; i < r->n; i++) {
        step *s = &r->steps[i];
        free(s->value);
        free(s->type);
        free(s->message);
        free(s->library);
        free(s->reason);
        free(s->verify_message);
    }
    r->n = 0;
    pthread_mutex_destroy(&r->lock);
}

static char *dup_or_null(const char *s) { return s ? strdup(s) : NULL; }

static step *new_step(results *r, const char *id) {
    pthread_mutex_lock(&r->lock);
    step *s = NULL;
    if (r->n < (int)(sizeof r->steps / sizeof r->steps[0])) {
        s = &r->steps[r->n++];
        memset(s, 0, sizeof *s);
        snprintf(s->id, sizeof s->id, "%s", id);
    } else {
        fprintf(stderr, "harness: too many steps (%s)\n", id);
    }
    pthread_mutex_unlock(&r->lock);
    return s;
}

void rec_value(results *r, const char *id, const char *value) {
    step *s = new_step(r, id);
    if (!s)
        return;
    s->ok = 1;
    s->value = strdup(value);
}

void rec_error(results *r, const char *id, long status) {
    /* Read everything first: the strings live until the next pyssl call. */
    char *type = dup_or_null(pyssl_error_type());
    char *message = dup_or_null(pyssl_error_message());
    char *library = dup_or_null(pyssl_error_library());
    char *reason = dup_or_null(pyssl_error_reason());
    char *vmsg = dup_or_null(pyssl_error_verify_message());
    int has_errno = pyssl_error_has_errno();
    int err_no = pyssl_error_errno();
    long vcode = pyssl_error_verify_code();
    int last_status = pyssl_error_status();
    step *s = new_step(r, id);
    if (!s) {
        free(type), free(message), free(library), free(reason), free(vmsg);
        return;
    }
    s->ok = 0;
    s->status = status;
    s->type = type ? type : strdup("(no error recorded)");
    s->message = message ? message : strdup("");
    s->library = library;
    s->reason = reason;
    s->verify_message = vmsg;
    s->has_errno = has_errno;
    s->err_no = err_no;
    s->verify_code = vcode;
    s->last_status = last_status;
}

long rec_ret(results *r, const char *id, long ret, const char *okvalue) {
    if (ret < 0) {
        rec_error(r, id, ret);
    } else if (okvalue) {
        rec_value(r, id, okvalue);
    } else {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld", ret);
        rec_value(r, id, buf);
    }
    return ret;
}

long rec_handshake(results *r, const char *id, pyssl_socket *s) {
    pyssl_error_clear();
    return rec_ret(r, id, pyssl_do_handshake(s), "ok");
}

long rec_shutdown(results *r, const char *id, pyssl_socket *s) {
    pyssl_error_clear();
    return rec_ret(r, id, pyssl_shutdown(s), "ok");
}

long rec_read(results *r, const char *id, pyssl_socket *s, size_t n) {
    char buf[4096];
    pyssl_error_clear();
    ssize_t got = pyssl_read(s, buf, n);
    if (got < 0) {
        rec_error(r, id, got);
    } else {
        char *v = py_bytes_repr(buf, (size_t)got);
        rec_value(r, id, v);
        free(v);
    }
    return got;
}

long rec_write(results *r, const char *id, pyssl_socket *s, const void *buf,
               size_t len) {
    pyssl_error_clear();
    return rec_ret(r, id, pyssl_write(s, buf, len), NULL);
}

void rec_version(results *r, const char *id, pyssl_socket *s) {
    char *v = py_str_repr(pyssl_socket_version(s));
    rec_value(r, id, v);
    free(v);
}

void rec_cipher(results *r, const char *id, pyssl_socket *s) {
    const char *name = NULL, *proto = NULL;
    int bits = 0;
    pyssl_error_clear();
    int ret = pyssl_socket_cipher(s, &name, &proto, &bits);
    if (ret < 0) {
        rec_error(r, id, ret);
    } else if (ret == 0) {
        rec_value(r, id, "None");
    } else {
        char *n = py_str_repr(name), *p = py_str_repr(proto);
        char buf[256];
        snprintf(buf, sizeof buf, "(%s, %s, %d)", n, p, bits);
        rec_value(r, id, buf);
        free(n);
        free(p);
    }
}

void rec_pending(results *r, const char *id, pyssl_socket *s) {
    pyssl_error_clear();
    rec_ret(r, id, pyssl_socket_pending(s), NULL);
}

void rec_peercert(results *r, const char *id, pyssl_socket *s, int binary) {
    pyssl_value *v = NULL;
    pyssl_error_clear();
    int ret = pyssl_getpeercert(s, binary, &v);
    if (ret < 0) {
        rec_error(r, id, ret);
        return;
    }
    if (!v) {
        rec_value(r, id, "None");
        return;
    }
    char *text = pyssl_value_repr(v);
    rec_value(r, id, text ? text : "(repr failed)");
    pyssl_string_free(text);
    pyssl_value_free(v);
}

/* ---- the oracle ---- */

typedef struct oline {
    char *f[8]; /* id, class, message, errno, library, reason, vcode, vmsg */
} oline;

typedef struct oracle {
    int loaded;
    int available;
    char why[1200];
    char header[256];
    int n;
    oline *lines;
} oracle;

static oracle oracles[2];
static pthread_mutex_t oracle_lock = PTHREAD_MUTEX_INITIALIZER;

/* Splits at unescaped '|' and undoes \\, \p and \n. */
static int parse_line(char *line, oline *out) {
    int nf = 0;
    char *w = line, *start = line;
    for (char *p = line;; p++) {
        if (*p == '\\' && p[1]) {
            p++;
            *w++ = *p == 'p' ? '|' : *p == 'n' ? '\n' : *p;
            continue;
        }
        if (*p == '|' || *p == 0 || *p == '\n') {
            int end = *p != '|';
            *w = 0;
            if (nf < 8)
                out->f[nf] = strdup(start);
            nf++;
            if (end)
                break;
            start = w = p + 1;
            continue;
        }
        *w++ = *p;
    }
    return nf == 8;
}

static oracle *get_oracle(int mode) {
    oracle *o = &oracles[mode == PYSSL_COMPAT_3_11 ? 0 : 1];
    pthread_mutex_lock(&oracle_lock);
    if (o->loaded)
        goto out;
    o->loaded = 1;
    char path[1024];
    snprintf(path, sizeof path, "%s/oracle-%d.txt", data_dir(),
             mode == PYSSL_COMPAT_3_11 ? 311 : 314);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(o->why, sizeof o->why, "%s: %s (run the oracle fixture)", path,
                 strerror(errno));
        goto out;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int cap_lines = 0;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[0] == '#') {
            if (strncmp(line, "# UNAVAILABLE", 13) == 0) {
                snprintf(o->why, sizeof o->why, "%s", line + 2);
                o->why[strcspn(o->why, "\n")] = 0;
                fclose(f);
                free(line);
                goto out;
            }
            if (!o->header[0]) {
                snprintf(o->header, sizeof o->header, "%s", line + 2);
                o->header[strcspn(o->header, "\n")] = 0;
            }
            continue;
        }
        if (o->n == cap_lines) {
            cap_lines = cap_lines ? cap_lines * 2 : 256;
            o->lines = realloc(o->lines, sizeof(oline) * (size_t)cap_lines);
        }
        oline ol;
        memset(&ol, 0, sizeof ol);
        if (parse_line(line, &ol))
            o->lines[o->n++] = ol;
        else
            fprintf(stderr, "harness: bad oracle line in %s: %s", path, line);
    }
    free(line);
    fclose(f);
    o->available = 1;
out:
    pthread_mutex_unlock(&oracle_lock);
    return o;
}

/* Drops CPython's / pyssl's source locations: a trailing " (file:NNN)" and
 * a leading "file:NNN: " (CPython's ERRSTR prefix of timeout messages). */
static char *normalize(const char *msg) {
    char *s = strdup(msg ? msg : "");
    size_t n = strlen(s);
    if (n > 3 && s[n - 1] == ')') {
        char *open = strrchr(s, '(');
        if (open && open > s && open[-1] == ' ') {
            char *colon = strrchr(open, ':');
            int ok = colon != NULL && colon[1] != ')';
            for (char *p = colon ? colon + 1 : NULL; ok && p < s + n - 1; p++)
                ok = *p >= '0' && *p <= '9';
            for (char *p = open + 1; ok && p < colon; p++)
                ok = *p != ' ';
            if (ok)
                open[-1] = 0;
        }
    }
    char *colon = strchr(s, ':');
    if (colon && colon != s) {
        int ok = 1;
        for (char *p = s; ok && p < colon; p++)
            ok = *p != ' ';
        char *q = colon + 1;
        if (ok && !(*q >= '0' && *q <= '9'))
            ok = 0;
        while (ok && *q >= '0' && *q <= '9')
            q++;
        if (ok && q[0] == ':' && q[1] == ' ')
            memmove(s, q + 2, strlen(q + 2) + 1);
    }
    return s;
}

static int starts_with(const char *s, const char *prefix) {
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The status pyssl must return for the exception the oracle raised. */
static long expected_status(const oline *o, const char *norm_msg) {
    const char *cls = o->f[1];
    const char *err = o->f[3];
    if (strcmp(cls, "TimeoutError") == 0 && strcmp(err, "None") == 0)
        return PYSSL_ERROR_TIMEOUT;
    if (strcmp(cls, "ValueError") == 0 || strcmp(cls, "TypeError") == 0 ||
        strcmp(cls, "OverflowError") == 0 || starts_with(cls, "Unicode"))
        return PYSSL_ERROR_VALUE;
    if (starts_with(cls, "SSL")) {
        if (starts_with(norm_msg, "Underlying socket connection gone"))
            return PYSSL_ERROR_NO_SOCKET;
        long e = strcmp(err, "None") == 0 ? 0 : atol(err);
        return e >= 1 && e <= 10 ? -e : PYSSL_ERROR_SSL;
    }
    if (strcmp(cls, "MemoryError") == 0)
        return PYSSL_ERROR_MEMORY;
    return PYSSL_ERROR_OS; /* OSError and its subclasses */
}

static int same(const char *a, const char *b) {
    return strcmp(a ? a : "None", b ? b : "None") == 0;
}

static void describe_step(const step *s, char *buf, size_t len) {
    if (s->ok) {
        snprintf(buf, len, "OK|%s", s->value);
        return;
    }
    char e[32], vc[32];
    if (s->has_errno)
        snprintf(e, sizeof e, "%d", s->err_no);
    else
        snprintf(e, sizeof e, "None");
    if (s->verify_code == -1)
        snprintf(vc, sizeof vc, "None");
    else
        snprintf(vc, sizeof vc, "%ld", s->verify_code);
    snprintf(buf, len, "%s|%s|%s|%s|%s|%s|%s  [status %ld]", s->type, s->message,
             e, s->library ? s->library : "None", s->reason ? s->reason : "None",
             vc, s->verify_message ? s->verify_message : "None", s->status);
}

static void describe_oline(const oline *o, char *buf, size_t len) {
    if (strcmp(o->f[1], "OK") == 0)
        snprintf(buf, len, "OK|%s", o->f[2]);
    else
        snprintf(buf, len, "%s|%s|%s|%s|%s|%s|%s", o->f[1], o->f[2], o->f[3],
                 o->f[4], o->f[5], o->f[6], o->f[7]);
}

/* Which fields differ, or "" when none. */
static void diff_step(const step *s, const oline *o, char *why, size_t len) {
    why[0] = 0;
    size_t used = 0;
#define WHY(...) used += (size_t)snprintf(why + used, used < len ? len - used : 0, __VA_ARGS__)
    int o_ok = strcmp(o->f[1], "OK") == 0;
    if (o_ok || s->ok) {
        if (o_ok != s->ok)
            WHY("outcome; ");
        else if (strcmp(s->value, o->f[2]) != 0)
            WHY("value; ");
        return;
    }
    if (strcmp(s->type, o->f[1]) != 0)
        WHY("class; ");
    char *a = normalize(s->message), *b = normalize(o->f[2]);
    if (strcmp(a, b) != 0)
        WHY("message; ");
    char e[32];
    if (s->has_errno)
        snprintf(e, sizeof e, "%d", s->err_no);
    else
        snprintf(e, sizeof e, "None");
    if (strcmp(e, o->f[3]) != 0)
        WHY("errno; ");
    /* library/reason are the OpenSSL attributes of SSLError; other classes
     * have none (UnicodeError's `reason` is an unrelated text, not compared). */
    if (!same(s->library, o->f[4]))
        WHY("library; ");
    if (!starts_with(o->f[1], "Unicode") && !same(s->reason, o->f[5]))
        WHY("reason; ");
    char vc[32];
    if (s->verify_code == -1)
        snprintf(vc, sizeof vc, "None");
    else
        snprintf(vc, sizeof vc, "%ld", s->verify_code);
    if (strcmp(vc, o->f[6]) != 0)
        WHY("verify_code; ");
    if (!same(s->verify_message, o->f[7]))
        WHY("verify_message; ");
    long want = expected_status(o, b);
    if (s->status != want)
        WHY("status (want %ld); ", want);
    if (s->last_status != s->status)
        WHY("pyssl_error_status() is %ld; ", s->last_status);
    free(a);
    free(b);
#undef WHY
}

/* The oracle's previous step on the same side as `ol` (ids share all but
 * their last dotted part), or NULL. */
static const oline *previous_on_side(const oracle *o, int i) {
    const char *id = o->lines[i].f[0];
    const char *dot = strrchr(id, '.');
    size_t side = dot ? (size_t)(dot - id) : 0;
    for (int k = i - 1; k >= 0; k--) {
        const char *other = o->lines[k].f[0];
        if (side && strncmp(other, id, side) == 0 && other[side] == '.')
            return &o->lines[k];
    }
    return NULL;
}

/* CPython 3.13+ raises OSError for an ERR_LIB_SYS error without clearing
 * OpenSSL's error queue, so its next failing call on the thread reports
 * that stale error again; pyssl never leaves errors behind and reports the
 * connection's own state, SSLEOFError (docs/behaviour.md, "Where pyssl
 * differs"). True when `ol` is such a repeat and pyssl said SSLEOFError. */
static int stale_os_error_repeat(const oracle *o, int i, const step *s) {
    const oline *ol = &o->lines[i], *prev = previous_on_side(o, i);
    if (!prev || s->ok || strcmp(s->type, "SSLEOFError") != 0)
        return 0;
    if (strcmp(prev->f[1], "OK") == 0 || starts_with(prev->f[1], "SSL"))
        return 0;
    return strcmp(prev->f[1], ol->f[1]) == 0 && strcmp(prev->f[2], ol->f[2]) == 0 &&
           strcmp(prev->f[3], ol->f[3]) == 0;
}

/* Whether `id`'s side (all but its last dotted part) is `side`. */
static int on_side(const char *id, const char *side) {
    size_t n = strlen(side);
    return n && strncmp(id, side, n) == 0 && id[n] == '.' && !strchr(id + n + 1, '.');
}

/* CPython 3.14 remembers an SSLEOFError and raises it again on read, write
 * and do_handshake without calling OpenSSL (src/ssl_error.rs,
 * remembers_eof). After a stale_os_error_repeat step, where pyssl raised
 * SSLEOFError and CPython the repeated OSError, only pyssl's socket
 * remembers: true when `s` is that remembered error. */
static int remembered_after_stale_repeat(const results *r, const step *s, const char *side) {
    return r->mode == PYSSL_COMPAT_3_14 && side[0] && !s->ok &&
           strcmp(s->type, "SSLEOFError") == 0 && (!s->library || !s->library[0]) &&
           starts_with(s->message, "EOF occurred in violation of protocol (");
}

const char *oracle_interpreter(int mode) {
    oracle *o = get_oracle(mode);
    return o->available ? o->header : "";
}

int compare_steps(results *r, const char *prefix) {
    oracle *o = get_oracle(r->mode);
    const char *mode = r->mode == PYSSL_COMPAT_3_11   ? "3.11"
                       : r->mode == PYSSL_COMPAT_3_13 ? "3.13"
                                                      : "3.14";
    if (!o->available) {
        print_message("NOTICE: oracle for %s mode unavailable (%s): "
                      "comparisons for %s skipped\n",
                      mode, o->why, prefix);
        return -1;
    }
    int bad = 0;
    char line1[8192], line2[8192], why[512];
    char stale_side[128] = ""; /* the side of the last stale_os_error_repeat */
    for (int i = 0; i < o->n; i++) {
        const oline *ol = &o->lines[i];
        if (!starts_with(ol->f[0], prefix))
            continue;
        const step *s = NULL;
        for (int j = 0; j < r->n && !s; j++)
            if (strcmp(r->steps[j].id, ol->f[0]) == 0)
                s = &r->steps[j];
        describe_oline(ol, line1, sizeof line1);
        if (!s) {
            print_message("MISMATCH [%s] %s: pyssl never got to this step\n"
                          "    python: %s\n",
                          mode, ol->f[0], line1);
            bad++;
            continue;
        }
        diff_step(s, ol, why, sizeof why);
        if (!why[0] && getenv("PYSSL_TEST_VERBOSE")) {
            describe_step(s, line2, sizeof line2);
            print_message("same     [%s] %s\n    python: %s\n    pyssl : %s\n", mode,
                          ol->f[0], line1, line2);
        }
        if (why[0] && stale_os_error_repeat(o, i, s)) {
            describe_step(s, line2, sizeof line2);
            print_message("KNOWN    [%s] %s: CPython repeats the OSError its last call left on "
                          "OpenSSL's error queue\n    python: %s\n    pyssl : %s\n",
                          mode, ol->f[0], line1, line2);
            const char *dot = strrchr(ol->f[0], '.');
            if (dot)
                snprintf(stale_side, sizeof stale_side, "%.*s", (int)(dot - ol->f[0]), ol->f[0]);
        } else if (why[0] && on_side(ol->f[0], stale_side) &&
                   remembered_after_stale_repeat(r, s, stale_side)) {
            describe_step(s, line2, sizeof line2);
            print_message("KNOWN    [%s] %s: 3.14 remembers the SSLEOFError pyssl raised at the "
                          "KNOWN step before, where CPython repeated an OSError\n"
                          "    python: %s\n    pyssl : %s\n",
                          mode, ol->f[0], line1, line2);
        } else if (why[0]) {
            describe_step(s, line2, sizeof line2);
            print_message("MISMATCH [%s] %s: %s\n    python: %s\n    pyssl : %s\n",
                          mode, ol->f[0], why, line1, line2);
            bad++;
        }
    }
    for (int j = 0; j < r->n; j++) {
        const step *s = &r->steps[j];
        if (!starts_with(s->id, prefix))
            continue;
        int found = 0;
        for (int i = 0; i < o->n && !found; i++)
            found = strcmp(o->lines[i].f[0], s->id) == 0;
        if (!found) {
            describe_step(s, line2, sizeof line2);
            print_message("MISMATCH [%s] %s: python has no such step\n"
                          "    pyssl : %s\n",
                          mode, s->id, line2);
            bad++;
        }
    }
    return bad;
}

void check_steps(results *r, ...) {
    va_list ap;
    va_start(ap, r);
    int bad = 0, skipped = 0;
    const char *prefix;
    while ((prefix = va_arg(ap, const char *)) != NULL) {
        int n = compare_steps(r, prefix);
        if (n < 0)
            skipped = 1;
        else
            bad += n;
    }
    va_end(ap);
    results_free(r);
    if (skipped && !bad)
        skip();
    if (bad)
        fail_msg("%d step(s) differ from CPython's ssl module", bad);
}

/* ---- a host that frees a handle while its lock is released ---- */

static void (*pending_free)(void *);
static void *pending_handle;
static int free_hooks_installed;

static void *freeing_release(void *ud) {
    (void)ud;
    if (pending_free) {
        void (*fn)(void *) = pending_free;
        pending_free = NULL;
        fn(pending_handle);
        pending_handle = NULL;
    }
    return NULL;
}

static void noop_reacquire(void *ud, void *token) {
    (void)ud;
    (void)token;
}

void free_on_release(void (*free_fn)(void *handle), void *handle) {
    pending_free = free_fn;
    pending_handle = handle;
    if (!free_hooks_installed) {
        pyssl_host_hooks hooks = {freeing_release, noop_reacquire, NULL, NULL};
        assert_int_equal(pyssl_set_host_hooks(&hooks), 0);
        free_hooks_installed = 1;
    }
}

int free_on_release_done(void) {
    return pending_free == NULL;
}

void free_on_release_stop(void) {
    pending_free = NULL;
    pending_handle = NULL;
    assert_int_equal(pyssl_set_host_hooks(NULL), 0);
    free_hooks_installed = 0;
}

/* ---- pairs ---- */

int connected_pair(int tcp, int fds[2]) {
    if (!tcp)
        return socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
    int lst = socket(AF_INET, SOCK_STREAM, 0);
    if (lst < 0)
        return -1;
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    if (bind(lst, (struct sockaddr *)&a, sizeof a) < 0 || listen(lst, 1) < 0 ||
        getsockname(lst, (struct sockaddr *)&a, &alen) < 0) {
        close(lst);
        return -1;
    }
    fds[0] = socket(AF_INET, SOCK_STREAM, 0);
    if (fds[0] < 0 || connect(fds[0], (struct sockaddr *)&a, sizeof a) < 0) {
        close(lst);
        return -1;
    }
    fds[1] = accept(lst, NULL, NULL);
    close(lst);
    return fds[1] < 0 ? -1 : 0;
}

void close_fd(int *fd) {
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

void linger0_close(int *fd) {
    struct linger l = {1, 0};
    setsockopt(*fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
    close_fd(fd);
}

void pair_set(pair *p, int k) {
    pthread_mutex_lock(&p->lock);
    p->events[k] = 1;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
}

int pair_wait(pair *p, int k) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 15;
    pthread_mutex_lock(&p->lock);
    while (!p->events[k]) {
        if (pthread_cond_timedwait(&p->cond, &p->lock, &until) == ETIMEDOUT)
            break;
    }
    int got = p->events[k];
    pthread_mutex_unlock(&p->lock);
    if (!got)
        fprintf(stderr, "harness: peer event %d never came\n", k);
    return got;
}

struct server_thread {
    pair *p;
    side_fn fn;
    int *fd;
};

static void *server_main(void *arg) {
    struct server_thread *t = arg;
    t->fn(t->p, t->fd);
    return NULL;
}

void run_pair(results *r, int tcp, side_fn client, side_fn server, void *arg) {
    pair p;
    memset(&p, 0, sizeof p);
    p.r = r;
    p.mode = r->mode;
    p.arg = arg;
    pthread_mutex_init(&p.lock, NULL);
    pthread_cond_init(&p.cond, NULL);
    int fds[2];
    if (connected_pair(tcp, fds) < 0) {
        rec_value(r, "harness.connected_pair_failed", strerror(errno));
        return;
    }
    struct server_thread t = {&p, server, &fds[1]};
    pthread_t th;
    if (pthread_create(&th, NULL, server_main, &t) != 0) {
        rec_value(r, "harness.pthread_create_failed", "");
        close_fd(&fds[0]);
        close_fd(&fds[1]);
        return;
    }
    client(&p, &fds[0]);
    pthread_join(th, NULL);
    close_fd(&fds[0]);
    close_fd(&fds[1]);
    pthread_cond_destroy(&p.cond);
    pthread_mutex_destroy(&p.lock);
}

void wait_fd(int fd, int events, double seconds) {
    struct pollfd pfd = {fd, (short)((events & 1 ? POLLIN : 0) | (events & 2 ? POLLOUT : 0)), 0};
    poll(&pfd, 1, (int)(seconds * 1000));
}

const char *sid(const char *prefix, const char *suffix) {
    static __thread char ring[8][160];
    static __thread int next;
    char *buf = ring[next++ % 8];
    snprintf(buf, sizeof ring[0], "%s%s", prefix, suffix);
    return buf;
}

struct simple_args {
    const char *prefix;
    pyssl_context *cctx, *sctx;
    const char *hostname;
    double timeout;
};

static pyssl_socket *new_socket(results *r, const char *id, pyssl_context *ctx,
                                int fd, int server, const char *host) {
    pyssl_error_clear();
    pyssl_socket *s = pyssl_socket_new(ctx, fd, server, host);
    if (!s)
        rec_error(r, id, pyssl_error_status());
    return s;
}

static void simple_server(pair *p, int *fd) {
    struct simple_args *a = p->arg;
    const char *P = a->prefix;
    pyssl_socket *o = new_socket(p->r, sid(P, "server.new"), a->sctx, *fd, 1, NULL);
    if (!o)
        return;
    pyssl_socket_set_timeout(o, a->timeout);
    if (rec_handshake(p->r, sid(P, "server.handshake"), o) < 0) {
        rec_shutdown(p->r, sid(P, "server.shutdown"), o);
    } else {
        rec_peercert(p->r, sid(P, "server.peercert"), o, 1);
        rec_write(p->r, sid(P, "server.write"), o, "ok", 2);
    }
    pyssl_socket_free(o);
}

static void simple_client(pair *p, int *fd) {
    struct simple_args *a = p->arg;
    const char *P = a->prefix;
    pyssl_socket *o =
        new_socket(p->r, sid(P, "client.new"), a->cctx, *fd, 0, a->hostname);
    if (!o)
        return;
    pyssl_socket_set_timeout(o, a->timeout);
    if (rec_handshake(p->r, sid(P, "client.handshake"), o) < 0) {
        rec_read(p->r, sid(P, "client.read_after"), o, 10);
        rec_shutdown(p->r, sid(P, "client.shutdown"), o);
    } else {
        rec_version(p->r, sid(P, "client.version"), o);
        rec_read(p->r, sid(P, "client.read"), o, 10);
    }
    pyssl_socket_free(o);
}

void simple_pair(results *r, const char *prefix, pyssl_context *cctx,
                 pyssl_context *sctx, const char *hostname, int tcp,
                 double timeout) {
    struct simple_args a = {prefix, cctx, sctx, hostname, timeout};
    if (!cctx || !sctx) {
        rec_value(r, sid(prefix, "harness.no_context"), "");
    } else {
        run_pair(r, tcp, simple_client, simple_server, &a);
    }
    pyssl_context_free(cctx);
    pyssl_context_free(sctx);
}

void pair_ctxs_init(struct pair_ctxs *c, int mode, const char *prefix, int variant) {
    c->prefix = prefix;
    c->cctx = client_ctx(mode, "ca.pem", NULL);
    c->sctx = server_ctx(mode, "server", PYSSL_CERT_NONE, NULL);
    c->variant = variant;
    assert_non_null(c->cctx);
    assert_non_null(c->sctx);
}

void pair_ctxs_free(struct pair_ctxs *c) {
    pyssl_context_free(c->cctx);
    pyssl_context_free(c->sctx);
}

pyssl_socket *pair_side(pair *p, int *fd, int server, double timeout) {
    struct pair_ctxs *c = p->arg;
    pyssl_socket *o = pyssl_socket_new(server ? c->sctx : c->cctx, *fd, server,
                                       server ? NULL : "localhost");
    if (!o) {
        rec_error(p->r, sid(c->prefix, server ? "server.new" : "client.new"),
                  pyssl_error_status());
        return NULL;
    }
    if (timeout >= 0)
        pyssl_socket_set_timeout(o, timeout);
    return o;
}
