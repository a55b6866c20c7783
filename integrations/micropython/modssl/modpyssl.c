// _pyssl: MicroPython's binding of pyssl (include/pyssl.h). The `ssl` module
// (ssl.py, frozen beside it) builds CPython's API from it: exception classes,
// constants and create_default_context() live there, contexts and sockets
// here.
//
// Rules this file keeps:
// - pyssl's last error is per thread and overwritten by the next failing
//   call: last_exc() takes it (pyssl_error_take) before anything else runs
//   and builds the exception from that owned copy.
// - Nothing raises (nlr_raise) while a pyssl call is on the stack: every
//   raise comes after the call returned. The callbacks (the host hooks of
//   install_hooks, the stream callbacks) never raise.
// - A socket is pyssl_socket_new() over the MicroPython socket's fd
//   (fileno()); the socket object is kept to poll and close it. A stream
//   without fileno() (io.BytesIO, a Python io.IOBase) is
//   pyssl_socket_new_cbs() with callbacks over the stream's read/write
//   (stream_read_cb, stream_write_cb), which catch MicroPython's exceptions
//   (nlr_push) and keep them for op_exc() to raise after the call.

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "py/mperrno.h"
#include "py/objstr.h"
#include "py/parsenum.h"
#include "py/runtime.h"
#include "py/stream.h"

#include "pyssl.h"

MP_REGISTER_ROOT_POINTER(mp_obj_t pyssl_make_error);

static int default_compat = PYSSL_COMPAT_3_11;

/******************************************************************************/
// Values and errors.

// A pyssl value as the MicroPython object CPython would return; *failed set
// (and None returned) when an accessor failed, its error left as the
// thread's last error. Allocation failures raise MemoryError: no pyssl call
// is on the stack here.
static mp_obj_t value_to_obj(const pyssl_value *v, bool *failed) {
    if (*failed) {
        return mp_const_none;
    }
    int kind = pyssl_value_kind(v);
    switch (kind) {
        case PYSSL_VALUE_NONE:
            return mp_const_none;
        case PYSSL_VALUE_BOOL:
            return mp_obj_new_bool(pyssl_value_bool(v) == 1);
        case PYSSL_VALUE_INT: {
            int64_t i;
            if (pyssl_value_int(v, &i) == 0) {
                return mp_obj_new_int_from_ll(i);
            }
            char *text = pyssl_value_int_text(v);
            if (text == NULL) {
                *failed = true;
                return mp_const_none;
            }
            size_t n = strlen(text);
            vstr_t vs;
            vstr_init(&vs, n + 1);
            vstr_add_strn(&vs, text, n);
            pyssl_string_free(text);
            mp_obj_t r = mp_parse_num_integer(vs.buf, vs.len, 10, NULL);
            vstr_clear(&vs);
            return r;
        }
        case PYSSL_VALUE_STR: {
            size_t len = 0;
            const char *s = pyssl_value_str(v, &len);
            if (s == NULL) {
                *failed = true;
                return mp_const_none;
            }
            return mp_obj_new_str(s, len);
        }
        case PYSSL_VALUE_BYTES: {
            size_t len = 0;
            const unsigned char *b = pyssl_value_bytes(v, &len);
            if (b == NULL) {
                *failed = true;
                return mp_const_none;
            }
            return mp_obj_new_bytes(b, len);
        }
        case PYSSL_VALUE_TUPLE:
        case PYSSL_VALUE_LIST: {
            ssize_t n = pyssl_value_len(v);
            if (n < 0) {
                *failed = true;
                return mp_const_none;
            }
            mp_obj_t items = kind == PYSSL_VALUE_TUPLE ? mp_obj_new_tuple(n, NULL) : mp_obj_new_list(n, NULL);
            mp_obj_t *slots;
            size_t len;
            mp_obj_get_array(items, &len, &slots);
            for (size_t i = 0; i < (size_t)n; i++) {
                const pyssl_value *item = kind == PYSSL_VALUE_TUPLE ? pyssl_value_tuple_item(v, i) : pyssl_value_list_item(v, i);
                slots[i] = item ? value_to_obj(item, failed) : (*failed = true, mp_const_none);
            }
            return items;
        }
        case PYSSL_VALUE_DICT: {
            ssize_t n = pyssl_value_len(v);
            if (n < 0) {
                *failed = true;
                return mp_const_none;
            }
            // Insertion order, as CPython's dict (and its repr) keeps it: an
            // ordered map, printed as a plain dict.
            mp_obj_t d = mp_obj_new_dict(0);
            mp_obj_dict_t *dict = MP_OBJ_TO_PTR(d);
            dict->map.is_ordered = 1;
            for (size_t i = 0; i < (size_t)n; i++) {
                const pyssl_value *k = pyssl_value_dict_key(v, i);
                const pyssl_value *val = pyssl_value_dict_value(v, i);
                if (k == NULL || val == NULL) {
                    *failed = true;
                    return mp_const_none;
                }
                mp_obj_t ko = value_to_obj(k, failed);
                mp_obj_t vo = value_to_obj(val, failed);
                mp_obj_dict_store(d, ko, vo);
            }
            return d;
        }
        default:
            *failed = true;
            return mp_const_none;
    }
}

static mp_obj_t opt_str(const char *s) {
    return s ? mp_obj_new_str_from_cstr(s) : mp_const_none;
}

// The exception ssl.py's _make_error builds from (type, args, message,
// library, reason, verify_code, verify_message, status); an OSError with
// type and message before ssl.py has registered it.
static mp_obj_t make_error(mp_obj_t argv[8]) {
    mp_obj_t maker = MP_STATE_VM(pyssl_make_error);
    if (maker == MP_OBJ_NULL || maker == mp_const_none) {
        return mp_obj_new_exception_msg_varg(&mp_type_OSError, MP_ERROR_TEXT("%s: %s"),
            mp_obj_str_get_str(argv[0]), mp_obj_str_get_str(argv[2]));
    }
    return mp_call_function_n_kw(maker, 8, 0, argv);
}

static mp_obj_t last_exc(void);

// The value tree `v` as a MicroPython object, `v` freed (also when a
// MicroPython exception, MemoryError, interrupts the conversion). When an
// accessor fails: with `raise_failure`, pyssl's error is taken before `v`
// is freed and raised; else MP_OBJ_NULL.
static mp_obj_t take_value(pyssl_value *v, bool raise_failure) {
    bool failed = false;
    mp_obj_t r;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        r = value_to_obj(v, &failed);
        if (failed) {
            r = raise_failure ? last_exc() : MP_OBJ_NULL;
        }
        nlr_pop();
    } else {
        pyssl_value_free(v);
        nlr_jump(nlr.ret_val);
    }
    pyssl_value_free(v);
    if (failed && r != MP_OBJ_NULL) {
        nlr_raise(r);
    }
    return r;
}

// `exc.args` of the owned error `e` (empty when it cannot be read).
static mp_obj_t error_args(const pyssl_error *e) {
    pyssl_value *args = pyssl_error_get_args(e);
    mp_obj_t a = args ? take_value(args, false) : MP_OBJ_NULL;
    return a == MP_OBJ_NULL ? mp_const_empty_tuple : a;
}

// The exception CPython raises for the owned error `e` (not raised yet;
// `e` stays the caller's). `e` does not change with later pyssl calls, so
// its fields may be read in any order.
static mp_obj_t error_exc(const pyssl_error *e) {
    if (pyssl_error_get_status(e) == PYSSL_ERROR_HOST_INTERRUPT) {
        // check_interrupt() stopped the call: MicroPython's pending
        // exception (KeyboardInterrupt from Ctrl-C) is the error.
        mp_obj_t pending = MP_STATE_MAIN_THREAD(mp_pending_exception);
        if (pending != MP_OBJ_NULL) {
            MP_STATE_MAIN_THREAD(mp_pending_exception) = MP_OBJ_NULL;
            return pending;
        }
    }
    const char *type = pyssl_error_get_type(e);
    const char *message = pyssl_error_get_message(e);
    mp_obj_t argv[8] = {
        mp_obj_new_str_from_cstr(type ? type : "SSLError"), error_args(e),
        mp_obj_new_str_from_cstr(message ? message : "unknown error"),
        opt_str(pyssl_error_get_library(e)), opt_str(pyssl_error_get_reason(e)),
        mp_obj_new_int(pyssl_error_get_verify_code(e)), opt_str(pyssl_error_get_verify_message(e)),
        mp_obj_new_int(pyssl_error_get_status(e)),
    };
    return make_error(argv);
}

// The exception CPython raises for the calling thread's last pyssl error
// (not raised yet): taken as an owned copy (pyssl_error_take) before
// anything else runs, freed once the exception is built.
static mp_obj_t last_exc(void) {
    pyssl_error *e = pyssl_error_take();
    if (e == NULL) {
        // No error recorded (not expected after a failed call).
        mp_obj_t argv[8] = {mp_obj_new_str_from_cstr("SSLError"), mp_const_empty_tuple,
                            mp_obj_new_str_from_cstr("unknown error"), mp_const_none, mp_const_none,
                            MP_OBJ_NEW_SMALL_INT(-1), mp_const_none, MP_OBJ_NEW_SMALL_INT(PYSSL_ERROR_SSL)};
        return make_error(argv);
    }
    mp_obj_t exc;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        exc = error_exc(e);
        nlr_pop();
    } else {
        pyssl_error_free(e);
        nlr_jump(nlr.ret_val);
    }
    pyssl_error_free(e);
    return exc;
}

// Raises the calling thread's last pyssl error.
static MP_NORETURN void raise_last(void) {
    nlr_raise(last_exc());
}

// Raises, through ssl.py's _make_error, an error that no pyssl call
// reported (a check of ssl.py's or of the socket module's).
static MP_NORETURN void raise_made(const char *type, mp_obj_t args, mp_obj_t message, int status) {
    mp_obj_t argv[8] = {mp_obj_new_str_from_cstr(type), args, message, mp_const_none, mp_const_none,
                        MP_OBJ_NEW_SMALL_INT(-1), mp_const_none, MP_OBJ_NEW_SMALL_INT(status)};
    nlr_raise(make_error(argv));
}

// An SSLError that CPython's ssl.py raises with a message only: args
// (message,), str() that of the args tuple, as CPython's SSLError shows it.
static MP_NORETURN void raise_ssl_message(const char *message) {
    mp_obj_t m = mp_obj_new_str_from_cstr(message);
    mp_obj_t args = mp_obj_new_tuple(1, &m);
    raise_made("SSLError", args, mp_call_function_1(MP_OBJ_FROM_PTR(&mp_type_str), args), PYSSL_ERROR_SSL);
}

static void check(int ret) {
    if (ret < 0) {
        raise_last();
    }
}

static mp_obj_t pyssl_set_error_maker(mp_obj_t f) {
    MP_STATE_VM(pyssl_make_error) = f;
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(pyssl_set_error_maker_obj, pyssl_set_error_maker);

static mp_obj_t pyssl_set_compat(mp_obj_t c) {
    default_compat = mp_obj_get_int(c);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(pyssl_set_compat_obj, pyssl_set_compat);

/******************************************************************************/
// Host hooks: MicroPython's GIL (when the port has one) is released around
// pyssl's blocking waits, and a pending exception (Ctrl-C's
// KeyboardInterrupt, set by the SIGINT handler) stops a blocking call, as
// CPython's PyErr_CheckSignals does. Neither hook raises.

static void *hook_release(void *userdata) {
    (void)userdata;
    MP_THREAD_GIL_EXIT();
    return NULL;
}

static void hook_reacquire(void *userdata, void *token) {
    (void)userdata;
    (void)token;
    MP_THREAD_GIL_ENTER();
}

static int hook_check_interrupt(void *userdata) {
    (void)userdata;
    return MP_STATE_MAIN_THREAD(mp_pending_exception) != MP_OBJ_NULL;
}

static void install_hooks(void) {
    static bool installed;
    if (!installed) {
        pyssl_host_hooks hooks = {
            .release = hook_release,
            .reacquire = hook_reacquire,
            .check_interrupt = hook_check_interrupt,
            .userdata = NULL,
        };
        pyssl_set_host_hooks(&hooks);
        installed = true;
    }
}

/******************************************************************************/
// Certificate and key files that MicroPython's own ssl reads where CPython
// reads PEM only; certificates and keys as bytes go to
// pyssl_context_load_cert_chain_data.

// The contents of `path` when it holds one DER structure (a SEQUENCE
// spanning the whole file), else MP_OBJ_NULL: MicroPython's own ssl loads
// DER files where CPython takes PEM only, so such a file is loaded as DER
// bytes; any other file goes to pyssl as a path (CPython's errors).
static mp_obj_t der_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return MP_OBJ_NULL;
    }
    uint8_t head[8];
    size_t n = fread(head, 1, sizeof(head), f);
    mp_obj_t result = MP_OBJ_NULL;
    if (n >= 2 && head[0] == 0x30 && fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        // The header's declared length against the file size.
        size_t hl = (head[1] & 0x80) ? 2 + (head[1] & 0x7f) : 2;
        size_t body = 0;
        if (hl <= n) {
            if (head[1] & 0x80) {
                for (size_t i = 2; i < hl; i++) {
                    body = (body << 8) | head[i];
                }
            } else {
                body = head[1];
            }
        }
        if (size > 0 && hl <= n && hl + body == (size_t)size && size < (1 << 20)) {
            vstr_t vs;
            vstr_init_len(&vs, size);
            if (fseek(f, 0, SEEK_SET) == 0 && fread(vs.buf, 1, size, f) == (size_t)size) {
                result = mp_obj_new_bytes_from_vstr(&vs);
            } else {
                vstr_clear(&vs);
            }
        }
    }
    fclose(f);
    return result;
}

// The whole contents of `path` as bytes (load_cert_chain with one side as
// bytes and the other a path); raises CPython's OSError when it cannot be
// read (no pyssl call is on the stack).
static mp_obj_t file_bytes(const char *path) {
    FILE *f = fopen(path, "rb");
    int e = errno;
    vstr_t vs;
    vstr_init(&vs, 4096);
    if (f != NULL) {
        char chunk[4096];
        size_t n;
        while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
            vstr_add_strn(&vs, chunk, n);
        }
        e = ferror(f) ? errno : 0;
        fclose(f);
    }
    if (f == NULL || e != 0) {
        vstr_clear(&vs);
        const char *type = e == ENOENT ? "FileNotFoundError" : e == EACCES ? "PermissionError"
            : e == EISDIR ? "IsADirectoryError" : "OSError";
        mp_obj_t a[2] = {MP_OBJ_NEW_SMALL_INT(e), mp_obj_new_str_from_cstr(strerror(e))};
        vstr_t msg;
        vstr_init(&msg, 64);
        vstr_printf(&msg, "[Errno %d] %s", e, strerror(e));
        raise_made(type, mp_obj_new_tuple(2, a), mp_obj_new_str_from_vstr(&msg), PYSSL_ERROR_OS);
    }
    return mp_obj_new_bytes_from_vstr(&vs);
}

/******************************************************************************/
// SSLContext.

typedef struct {
    mp_obj_base_t base;
    pyssl_context *ctx;
    int protocol;
} ctx_obj_t;

static const mp_obj_type_t ctx_type;
static const mp_obj_type_t sock_type;

static ctx_obj_t *get_ctx(mp_obj_t o) {
    ctx_obj_t *self = MP_OBJ_TO_PTR(mp_obj_cast_to_native_base(o, MP_OBJ_FROM_PTR(&ctx_type)));
    if (self == NULL || self->ctx == NULL) {
        mp_raise_ValueError(MP_ERROR_TEXT("SSLContext not initialised"));
    }
    return self;
}

static mp_obj_t ctx_make_new(const mp_obj_type_t *type, size_t n_args, size_t n_kw, const mp_obj_t *args) {
    mp_arg_check_num(n_args, n_kw, 1, 1, false);
    int protocol = mp_obj_get_int(args[0]);
    install_hooks();  // before any socket exists, as pyssl asks
    pyssl_context *c = pyssl_context_new_compat(protocol, default_compat);
    if (c == NULL) {
        raise_last();
    }
    ctx_obj_t *self = mp_obj_malloc_with_finaliser(ctx_obj_t, type);
    self->ctx = c;
    self->protocol = protocol;
    return MP_OBJ_FROM_PTR(self);
}

static mp_obj_t ctx_del(mp_obj_t o) {
    ctx_obj_t *self = MP_OBJ_TO_PTR(mp_obj_cast_to_native_base(o, MP_OBJ_FROM_PTR(&ctx_type)));
    if (self && self->ctx) {
        pyssl_context_free(self->ctx);
        self->ctx = NULL;
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(ctx_del_obj, ctx_del);

static const char *opt_cstr(mp_obj_t o) {
    return o == mp_const_none ? NULL : mp_obj_str_get_str(o);
}

// load_cert_chain(certfile, keyfile=None, password=None): paths (str), or
// the certificate chain and key as PEM or DER bytes.
static mp_obj_t ctx_load_cert_chain(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_certfile, ARG_keyfile, ARG_password };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_certfile, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_keyfile, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_password, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed), allowed, a);
    ctx_obj_t *self = get_ctx(pos_args[0]);
    mp_obj_t cert = a[ARG_certfile].u_obj, key = a[ARG_keyfile].u_obj;
    const char *password = opt_cstr(a[ARG_password].u_obj);
    if (mp_obj_is_str(cert)) {
        mp_obj_t der = der_file(mp_obj_str_get_str(cert));
        if (der != MP_OBJ_NULL) {
            cert = der;
        }
    }
    if (key != mp_const_none && mp_obj_is_str(key)) {
        mp_obj_t der = der_file(mp_obj_str_get_str(key));
        if (der != MP_OBJ_NULL) {
            key = der;
        }
    }
    bool cert_bytes = !mp_obj_is_str(cert);
    bool key_bytes = key != mp_const_none && !mp_obj_is_str(key);
    if (!cert_bytes && !key_bytes) {
        check(pyssl_context_load_cert_chain(self->ctx, mp_obj_str_get_str(cert), opt_cstr(key), password));
        return mp_const_none;
    }
    // Bytes on one side at least: both as bytes (a path read here).
    if (!cert_bytes) {
        cert = file_bytes(mp_obj_str_get_str(cert));
    }
    if (key != mp_const_none && !key_bytes) {
        key = file_bytes(mp_obj_str_get_str(key));
    }
    mp_buffer_info_t cb, kb = {0};
    mp_get_buffer_raise(cert, &cb, MP_BUFFER_READ);
    if (key != mp_const_none) {
        mp_get_buffer_raise(key, &kb, MP_BUFFER_READ);
    }
    check(pyssl_context_load_cert_chain_data(self->ctx, cb.buf, cb.len, kb.buf, kb.len, password));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ctx_load_cert_chain_obj, 2, ctx_load_cert_chain);

static mp_obj_t ctx_load_verify_locations(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_cafile, ARG_capath, ARG_cadata };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_cafile, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_capath, MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_cadata, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed), allowed, a);
    ctx_obj_t *self = get_ctx(pos_args[0]);
    mp_obj_t cafile = a[ARG_cafile].u_obj, capath = a[ARG_capath].u_obj, cadata = a[ARG_cadata].u_obj;
    if (cafile == mp_const_none && capath == mp_const_none && cadata == mp_const_none) {
        mp_raise_TypeError(MP_ERROR_TEXT("cafile, capath and cadata cannot be all omitted"));
    }
    if (cafile != mp_const_none && capath == mp_const_none) {
        mp_obj_t der = der_file(mp_obj_str_get_str(cafile));
        if (der != MP_OBJ_NULL) {
            mp_buffer_info_t bi;
            mp_get_buffer_raise(der, &bi, MP_BUFFER_READ);
            check(pyssl_context_load_verify_data(self->ctx, bi.buf, bi.len, 0));
            cafile = mp_const_none;
        }
    }
    if (cafile != mp_const_none || capath != mp_const_none) {
        check(pyssl_context_load_verify_locations(self->ctx, opt_cstr(cafile), opt_cstr(capath)));
    }
    if (cadata != mp_const_none) {
        mp_buffer_info_t bi;
        bool pem = mp_obj_is_str(cadata);
        mp_get_buffer_raise(cadata, &bi, MP_BUFFER_READ);
        check(pyssl_context_load_verify_data(self->ctx, bi.buf, bi.len, pem));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ctx_load_verify_locations_obj, 1, ctx_load_verify_locations);

static mp_obj_t ctx_load_default_certs(size_t n_args, const mp_obj_t *args) {
    check(pyssl_context_load_default_certs(get_ctx(args[0])->ctx));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(ctx_load_default_certs_obj, 1, 2, ctx_load_default_certs);

static mp_obj_t ctx_set_ciphers(mp_obj_t o, mp_obj_t ciphers) {
    check(pyssl_context_set_ciphers(get_ctx(o)->ctx, mp_obj_str_get_str(ciphers)));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(ctx_set_ciphers_obj, ctx_set_ciphers);

// set_alpn_protocols(["h2", "http/1.1"]): the wire format ssl.py builds.
static mp_obj_t ctx_set_alpn_protocols(mp_obj_t o, mp_obj_t protos) {
    ctx_obj_t *self = get_ctx(o);
    vstr_t wire;
    vstr_init(&wire, 32);
    mp_obj_t iter = mp_getiter(protos, NULL), item;
    while ((item = mp_iternext(iter)) != MP_OBJ_STOP_ITERATION) {
        size_t len;
        const char *p = mp_obj_str_get_data(item, &len);
        if (len == 0 || len > 255) {
            vstr_clear(&wire);
            raise_ssl_message("ALPN protocols must be 1 to 255 in length");
        }
        vstr_add_byte(&wire, (byte)len);
        vstr_add_strn(&wire, p, len);
    }
    int ret = pyssl_context_set_alpn_protocols(self->ctx, (const unsigned char *)wire.buf, wire.len);
    vstr_clear(&wire);
    check(ret);
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(ctx_set_alpn_protocols_obj, ctx_set_alpn_protocols);

static mp_obj_t sock_new(ctx_obj_t *ctx, mp_obj_t sock, bool server_side, mp_obj_t server_hostname,
    bool do_handshake_on_connect, bool suppress_ragged_eofs);

static mp_obj_t ctx_wrap_socket(size_t n_args, const mp_obj_t *pos_args, mp_map_t *kw_args) {
    enum { ARG_sock, ARG_server_side, ARG_do_handshake_on_connect, ARG_suppress_ragged_eofs, ARG_server_hostname };
    static const mp_arg_t allowed[] = {
        { MP_QSTR_sock, MP_ARG_REQUIRED | MP_ARG_OBJ, {.u_obj = mp_const_none} },
        { MP_QSTR_server_side, MP_ARG_BOOL, {.u_bool = false} },
        { MP_QSTR_do_handshake_on_connect, MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_suppress_ragged_eofs, MP_ARG_BOOL, {.u_bool = true} },
        { MP_QSTR_server_hostname, MP_ARG_OBJ, {.u_obj = mp_const_none} },
    };
    mp_arg_val_t a[MP_ARRAY_SIZE(allowed)];
    mp_arg_parse_all(n_args - 1, pos_args + 1, kw_args, MP_ARRAY_SIZE(allowed), allowed, a);
    return sock_new(get_ctx(pos_args[0]), a[ARG_sock].u_obj, a[ARG_server_side].u_bool,
        a[ARG_server_hostname].u_obj, a[ARG_do_handshake_on_connect].u_bool, a[ARG_suppress_ragged_eofs].u_bool);
}
static MP_DEFINE_CONST_FUN_OBJ_KW(ctx_wrap_socket_obj, 2, ctx_wrap_socket);

static void ctx_attr(mp_obj_t o, qstr attr, mp_obj_t *dest) {
    ctx_obj_t *self = MP_OBJ_TO_PTR(o);
    if (dest[0] == MP_OBJ_NULL) {
        // load
        switch (attr) {
            case MP_QSTR_verify_mode: {
                int m = pyssl_context_get_verify_mode(self->ctx);
                check(m);
                dest[0] = mp_obj_new_int(m);
                return;
            }
            case MP_QSTR_check_hostname: {
                int c = pyssl_context_get_check_hostname(self->ctx);
                check(c);
                dest[0] = mp_obj_new_bool(c);
                return;
            }
            case MP_QSTR_protocol:
                dest[0] = mp_obj_new_int(self->protocol);
                return;
            case MP_QSTR_minimum_version: {
                int v = pyssl_context_get_minimum_version(self->ctx);
                dest[0] = mp_obj_new_int(v);
                return;
            }
            case MP_QSTR_maximum_version: {
                int v = pyssl_context_get_maximum_version(self->ctx);
                dest[0] = mp_obj_new_int(v);
                return;
            }
            default:
                dest[1] = MP_OBJ_SENTINEL;  // methods
                return;
        }
    } else if (dest[1] != MP_OBJ_NULL) {
        // store
        switch (attr) {
            case MP_QSTR_verify_mode:
                check(pyssl_context_set_verify_mode(self->ctx, mp_obj_get_int(dest[1])));
                break;
            case MP_QSTR_check_hostname:
                check(pyssl_context_set_check_hostname(self->ctx, mp_obj_is_true(dest[1])));
                break;
            case MP_QSTR_minimum_version:
                check(pyssl_context_set_minimum_version(self->ctx, mp_obj_get_int(dest[1])));
                break;
            case MP_QSTR_maximum_version:
                check(pyssl_context_set_maximum_version(self->ctx, mp_obj_get_int(dest[1])));
                break;
            default:
                return;  // AttributeError
        }
        dest[0] = MP_OBJ_NULL;
    }
}

static const mp_rom_map_elem_t ctx_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&ctx_del_obj) },
    { MP_ROM_QSTR(MP_QSTR_load_cert_chain), MP_ROM_PTR(&ctx_load_cert_chain_obj) },
    { MP_ROM_QSTR(MP_QSTR_load_verify_locations), MP_ROM_PTR(&ctx_load_verify_locations_obj) },
    { MP_ROM_QSTR(MP_QSTR_load_default_certs), MP_ROM_PTR(&ctx_load_default_certs_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_default_verify_paths), MP_ROM_PTR(&ctx_load_default_certs_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_ciphers), MP_ROM_PTR(&ctx_set_ciphers_obj) },
    { MP_ROM_QSTR(MP_QSTR_set_alpn_protocols), MP_ROM_PTR(&ctx_set_alpn_protocols_obj) },
    { MP_ROM_QSTR(MP_QSTR_wrap_socket), MP_ROM_PTR(&ctx_wrap_socket_obj) },
};
static MP_DEFINE_CONST_DICT(ctx_locals, ctx_locals_table);

static MP_DEFINE_CONST_OBJ_TYPE(
    ctx_type,
    MP_QSTR_SSLContext,
    MP_TYPE_FLAG_NONE,
    make_new, ctx_make_new,
    attr, ctx_attr,
    locals_dict, &ctx_locals
    );

/******************************************************************************/
// SSLSocket.

typedef struct {
    mp_obj_base_t base;
    pyssl_socket *ssl;
    mp_obj_t sock;      // the MicroPython socket (MP_OBJ_NULL once closed)
    // Over a stream without fileno() (io.BytesIO, a Python IOBase...):
    // pyssl_socket_new_cbs() with stream_read_cb/stream_write_cb over the
    // stream; the TLS bytes of one write the stream did not take (held,
    // sent before anything else), and the exception a callback caught.
    bool stream;
    byte *obuf;
    size_t olen, ooff, ocap;
    mp_obj_t cb_exc;
    mp_obj_t context;
    mp_obj_t server_hostname;
    uintptr_t poll_mask;  // the direction the last want-read/write asked for
    bool server_side;
    bool suppress_ragged_eofs;
} sock_obj_t;

static MP_NORETURN void raise_ebadf(void) {
    // CPython's socket error on a closed socket, with its str() (MicroPython's
    // own OSError shows "[Errno 9] EBADF").
    mp_obj_t a[2] = {MP_OBJ_NEW_SMALL_INT(MP_EBADF), mp_obj_new_str_from_cstr("Bad file descriptor")};
    raise_made("OSError", mp_obj_new_tuple(2, a), mp_obj_new_str_from_cstr("[Errno 9] Bad file descriptor"),
        PYSSL_ERROR_OS);
}

static sock_obj_t *get_sock(mp_obj_t o) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    if (self->ssl == NULL) {
        // CPython: a closed SSLSocket is a closed socket (EBADF).
        raise_ebadf();
    }
    return self;
}

// After unwrap() the SSLSocket is the plain socket (CPython's unwrap()
// returns the SSLSocket itself, its _sslobj gone): the socket methods go to
// the MicroPython socket. NULL while TLS is on.
static mp_obj_t plain_call(size_t n_args, const mp_obj_t *args, qstr name) {
    sock_obj_t *self = MP_OBJ_TO_PTR(args[0]);
    if (self->ssl != NULL) {
        return MP_OBJ_NULL;
    }
    if (self->sock == MP_OBJ_NULL) {
        raise_ebadf();
    }
    mp_obj_t dest[2 + 3];
    mp_load_method(self->sock, name, dest);
    for (size_t i = 1; i < n_args && i < 4; i++) {
        dest[1 + i] = args[i];
    }
    return mp_call_method_n_kw(n_args - 1, 0, dest);
}

// OP_READ_RAGGED: read with suppress_ragged_eofs (an EOF without
// close_notify reads as 0); OP_SENDALL: ssl.py's sendall.
enum { OP_HANDSHAKE, OP_READ, OP_READ_RAGGED, OP_WRITE, OP_SENDALL, OP_SHUTDOWN };

static ssize_t op_once(pyssl_socket *s, int op, void *buf, size_t len) {
    switch (op) {
        case OP_HANDSHAKE:
            return pyssl_do_handshake(s);
        case OP_READ:
            return pyssl_read(s, buf, len);
        case OP_READ_RAGGED:
            return pyssl_read_ragged(s, buf, len);
        case OP_WRITE:
            return pyssl_write(s, buf, len);
        case OP_SENDALL:
            return pyssl_sendall(s, buf, len);
        default:
            return pyssl_shutdown(s);
    }
}

// Sends the held TLS bytes: 1 when none are left, 0 when the stream would
// block, -1 with *err on the stream's failure. May raise (a Python
// stream's write): callers catch it or have no pyssl call on the stack.
static int flush_held(sock_obj_t *self, int *err) {
    const mp_stream_p_t *sp = mp_get_stream(self->sock);
    while (self->ooff < self->olen) {
        mp_uint_t w = sp->write(self->sock, self->obuf + self->ooff, self->olen - self->ooff, err);
        if (w == MP_STREAM_ERROR) {
            return mp_is_nonblocking_error(*err) ? 0 : -1;
        }
        if (w == 0) {
            return 0;
        }
        self->ooff += w;
    }
    self->olen = self->ooff = 0;
    return 1;
}

// pyssl_socket_new_cbs()'s callbacks over the MicroPython stream. They run
// inside pyssl's call (with the GIL released by hook_release: taken again
// here) and must not raise through pyssl's frames: a MicroPython exception
// is caught, kept in cb_exc and reported as -1 (EIO); op_exc() raises it
// once the call has returned. A stream that would block (read/write None)
// is WANT_READ/WANT_WRITE, except that the first blocked write is held, as
// a socket's send buffer takes it, so that write() succeeds and the bytes
// go out on the next I/O or poll; a read of 0 bytes is EOF.
static ssize_t stream_read(sock_obj_t *self, void *buf, size_t len, int *err) {
    mp_uint_t n = mp_get_stream(self->sock)->read(self->sock, buf, len, err);
    if (n == MP_STREAM_ERROR) {
        return mp_is_nonblocking_error(*err) ? PYSSL_ERROR_WANT_READ : -1;
    }
    return n;
}

static ssize_t stream_write(sock_obj_t *self, const void *buf, size_t len, int *err) {
    int f = flush_held(self, err);
    if (f <= 0) {
        return f == 0 ? PYSSL_ERROR_WANT_WRITE : -1;
    }
    mp_uint_t w = mp_get_stream(self->sock)->write(self->sock, buf, len, err);
    if (w == MP_STREAM_ERROR && !mp_is_nonblocking_error(*err)) {
        return -1;
    }
    if (w == MP_STREAM_ERROR || w == 0) {
        // Would block: hold this write's bytes.
        if (len > self->ocap) {
            self->obuf = m_renew(byte, self->obuf, self->ocap, len);
            self->ocap = len;
        }
        memcpy(self->obuf, buf, len);
        self->olen = len;
        self->ooff = 0;
        return len;
    }
    return w;
}

static ssize_t stream_cb(sock_obj_t *self, bool write, void *buf, size_t len) {
    MP_THREAD_GIL_ENTER();
    ssize_t r;
    int err = 0;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        r = write ? stream_write(self, buf, len, &err) : stream_read(self, buf, len, &err);
        nlr_pop();
    } else {
        self->cb_exc = MP_OBJ_FROM_PTR(nlr.ret_val);
        err = EIO;
        r = -1;
    }
    MP_THREAD_GIL_EXIT();
    if (r == -1) {
        errno = err ? err : EIO;
    }
    return r;
}

static ssize_t stream_read_cb(void *user, void *buf, size_t len) {
    return stream_cb(user, false, buf, len);
}

static ssize_t stream_write_cb(void *user, const void *buf, size_t len) {
    return stream_cb(user, true, (void *)buf, len);
}

static ssize_t sock_op(sock_obj_t *self, int op, void *buf, size_t len) {
    if (self->stream) {
        self->cb_exc = MP_OBJ_NULL;
        int err = 0;
        if (flush_held(self, &err) < 0) {
            mp_raise_OSError(err);
        }
    }
    return op_once(self->ssl, op, buf, len);
}

// The exception of the failed sock_op() `ret`: the one a stream callback
// caught, unless pyssl reports a TLS error (e.g. a verification failure
// whose alert the stream failed to take: CPython raises the TLS error).
static mp_obj_t op_exc(sock_obj_t *self, ssize_t ret) {
    mp_obj_t exc = self->cb_exc;
    self->cb_exc = MP_OBJ_NULL;
    if (exc != MP_OBJ_NULL && ret != PYSSL_ERROR_SSL) {
        return exc;
    }
    return last_exc();
}

static MP_NORETURN void raise_op(sock_obj_t *self, ssize_t ret) {
    nlr_raise(op_exc(self, ret));
}

static void check_op(sock_obj_t *self, ssize_t ret) {
    if (ret < 0) {
        raise_op(self, ret);
    }
}

// The read of recv/read: a ragged EOF is b'' with suppress_ragged_eofs.
static int read_op(sock_obj_t *self) {
    return self->suppress_ragged_eofs ? OP_READ_RAGGED : OP_READ;
}

// The socket's fd, or -1 for a stream without fileno().
static int sock_fd(mp_obj_t sock) {
    mp_obj_t dest[2];
    mp_load_method_maybe(sock, MP_QSTR_fileno, dest);
    if (dest[0] == MP_OBJ_NULL) {
        return -1;
    }
    return mp_obj_get_int(mp_call_method_n_kw(0, 0, dest));
}

static void sock_close_raw(sock_obj_t *self);

static mp_obj_t sock_new(ctx_obj_t *ctx, mp_obj_t sock, bool server_side, mp_obj_t server_hostname,
    bool do_handshake_on_connect, bool suppress_ragged_eofs) {
    int fd = sock_fd(sock);
    if (fd < 0) {
        mp_get_stream_raise(sock, MP_STREAM_OP_READ | MP_STREAM_OP_WRITE | MP_STREAM_OP_IOCTL);
    }
    // ssl.py's checks before _wrap_socket.
    if (server_side && server_hostname != mp_const_none) {
        mp_raise_ValueError(MP_ERROR_TEXT("server_hostname can only be specified in client mode"));
    }
    // MicroPython's sockets have no gettimeout(): the fd's O_NONBLOCK says
    // which of CPython's blocking (None) and non-blocking (0.0) it is.
    int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
    bool nonblocking = fl >= 0 && (fl & O_NONBLOCK);
    if (do_handshake_on_connect && nonblocking) {
        mp_raise_ValueError(MP_ERROR_TEXT("do_handshake_on_connect should not be specified for non-blocking sockets"));
    }
    const char *host = server_hostname == mp_const_none ? NULL : mp_obj_str_get_str(server_hostname);
    sock_obj_t *self = mp_obj_malloc_with_finaliser(sock_obj_t, &sock_type);
    self->ssl = NULL;
    self->sock = sock;
    self->stream = fd < 0;
    self->obuf = NULL;
    self->olen = self->ooff = self->ocap = 0;
    self->cb_exc = MP_OBJ_NULL;
    self->context = MP_OBJ_FROM_PTR(ctx);
    self->server_hostname = server_hostname;
    self->poll_mask = 0;
    self->server_side = server_side;
    self->suppress_ragged_eofs = suppress_ragged_eofs;
    if (fd >= 0) {
        self->ssl = pyssl_socket_new(ctx->ctx, fd, server_side, host);
        if (self->ssl == NULL) {
            raise_last();
        }
        if (pyssl_socket_set_timeout(self->ssl, nonblocking ? 0.0 : -1.0) < 0) {
            mp_obj_t exc = last_exc();
            sock_close_raw(self);
            nlr_raise(exc);
        }
    } else {
        self->ssl = pyssl_socket_new_cbs(ctx->ctx, stream_read_cb, stream_write_cb, self, server_side, host);
        if (self->ssl == NULL) {
            raise_last();
        }
    }
    if (do_handshake_on_connect) {
        ssize_t r = sock_op(self, OP_HANDSHAKE, NULL, 0);
        if (r < 0) {
            // CPython's SSLSocket closes itself when the handshake in its
            // constructor fails (the socket object stays the caller's).
            mp_obj_t exc = op_exc(self, r);
            sock_close_raw(self);
            nlr_raise(exc);
        }
    }
    return MP_OBJ_FROM_PTR(self);
}

// The stream protocol (read/readinto/readline/write and asyncio): would-block
// is MP_EAGAIN (None from read()/write(), as MicroPython's own sockets); any
// other failure raises CPython's exception.
static mp_uint_t sock_stream_read(mp_obj_t o, void *buf, mp_uint_t size, int *errcode) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    self->poll_mask = 0;
    if (self->ssl == NULL) {
        if (self->sock != MP_OBJ_NULL) {
            return mp_get_stream(self->sock)->read(self->sock, buf, size, errcode);
        }
        *errcode = MP_EBADF;
        return MP_STREAM_ERROR;
    }
    ssize_t n = sock_op(self, read_op(self), buf, size);
    if (n >= 0) {
        return n;
    }
    if (n == PYSSL_ERROR_WANT_READ || n == PYSSL_ERROR_WANT_WRITE) {
        self->poll_mask = n == PYSSL_ERROR_WANT_READ ? MP_STREAM_POLL_RD : MP_STREAM_POLL_WR;
        *errcode = MP_EAGAIN;
        return MP_STREAM_ERROR;
    }
    raise_op(self, n);
}

static mp_uint_t sock_stream_write(mp_obj_t o, const void *buf, mp_uint_t size, int *errcode) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    self->poll_mask = 0;
    if (self->ssl == NULL) {
        if (self->sock != MP_OBJ_NULL) {
            return mp_get_stream(self->sock)->write(self->sock, buf, size, errcode);
        }
        *errcode = MP_EBADF;
        return MP_STREAM_ERROR;
    }
    ssize_t n = sock_op(self, OP_WRITE, (void *)buf, size);
    if (n >= 0) {
        return n;
    }
    if (n == PYSSL_ERROR_WANT_READ || n == PYSSL_ERROR_WANT_WRITE) {
        self->poll_mask = n == PYSSL_ERROR_WANT_READ ? MP_STREAM_POLL_RD : MP_STREAM_POLL_WR;
        *errcode = MP_EAGAIN;
        return MP_STREAM_ERROR;
    }
    raise_op(self, n);
}

static void sock_close_raw(sock_obj_t *self) {
    if (self->ssl) {
        pyssl_socket_free(self->ssl);
        self->ssl = NULL;
    }
    self->olen = self->ooff = 0;
    self->cb_exc = MP_OBJ_NULL;
}

static mp_uint_t sock_ioctl(mp_obj_t o, mp_uint_t request, uintptr_t arg, int *errcode) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    mp_obj_t sock = self->sock;
    if (request == MP_STREAM_CLOSE) {
        sock_close_raw(self);
        if (sock == MP_OBJ_NULL) {
            return 0;
        }
        self->sock = MP_OBJ_NULL;
        return mp_get_stream(sock)->ioctl(sock, MP_STREAM_CLOSE, 0, errcode);
    }
    if (request != MP_STREAM_POLL) {
        *errcode = MP_EINVAL;
        return MP_STREAM_ERROR;
    }
    if (sock == MP_OBJ_NULL || self->ssl == NULL) {
        return MP_STREAM_POLL_NVAL;
    }
    // Decrypted bytes already buffered: readable without I/O.
    mp_uint_t ret = 0;
    if ((arg & MP_STREAM_POLL_RD) && pyssl_socket_pending(self->ssl) > 0) {
        ret |= MP_STREAM_POLL_RD;
        if (arg == MP_STREAM_POLL_RD) {
            return ret;
        }
    }
    // After a want-read/write, poll the direction TLS needs and report it
    // as the one asked for, so that the caller retries its operation.
    // Over a stream, TLS bytes the stream did not take yet go first: while
    // some are left, the stream must become writable, whatever was asked.
    uintptr_t need = self->poll_mask;
    if (self->stream) {
        int f = flush_held(self, errcode);
        if (f < 0) {
            return MP_STREAM_ERROR;
        }
        if (f == 0) {
            need = MP_STREAM_POLL_WR;
        }
    }
    uintptr_t rdwr = MP_STREAM_POLL_RD | MP_STREAM_POLL_WR;
    uintptr_t asked = arg & rdwr;
    uintptr_t q = arg;
    if (need && asked) {
        q = (arg & ~rdwr) | need;
    }
    mp_uint_t r = mp_get_stream(sock)->ioctl(sock, MP_STREAM_POLL, q, errcode);
    if (r == MP_STREAM_ERROR) {
        return r;
    }
    if (need && (r & need)) {
        r = (r & ~rdwr) | asked;
    }
    return ret | r;
}

// CPython's SSLSocket.recv/recv_into/send: want-read/write raise
// SSLWantReadError/SSLWantWriteError; a ragged EOF reads as b'' with
// suppress_ragged_eofs.
static ssize_t sock_read_raise(sock_obj_t *self, void *buf, size_t len) {
    ssize_t n = sock_op(self, read_op(self), buf, len);
    check_op(self, n);
    return n;
}

static mp_obj_t sock_recv(size_t n_args, const mp_obj_t *args) {
    mp_obj_t plain = plain_call(n_args, args, MP_QSTR_recv);
    if (plain != MP_OBJ_NULL) {
        return plain;
    }
    sock_obj_t *self = get_sock(args[0]);
    mp_int_t len = n_args > 1 ? mp_obj_get_int(args[1]) : 1024;
    if (len < 0) {
        mp_raise_ValueError(MP_ERROR_TEXT("negative buffersize in recv"));
    }
    vstr_t vs;
    vstr_init_len(&vs, len);
    ssize_t n;
    nlr_buf_t nlr;
    if (nlr_push(&nlr) == 0) {
        n = sock_read_raise(self, vs.buf, len);
        nlr_pop();
    } else {
        vstr_clear(&vs);
        nlr_jump(nlr.ret_val);
    }
    vs.len = n;
    return mp_obj_new_bytes_from_vstr(&vs);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_recv_obj, 1, 3, sock_recv);

static mp_obj_t sock_recv_into(size_t n_args, const mp_obj_t *args) {
    mp_obj_t plain = plain_call(n_args, args, MP_QSTR_recv_into);
    if (plain != MP_OBJ_NULL) {
        return plain;
    }
    sock_obj_t *self = get_sock(args[0]);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[1], &bi, MP_BUFFER_WRITE);
    size_t len = bi.len;
    if (n_args > 2 && mp_obj_get_int(args[2]) > 0 && (size_t)mp_obj_get_int(args[2]) < len) {
        len = mp_obj_get_int(args[2]);
    }
    return mp_obj_new_int(sock_read_raise(self, bi.buf, len));
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_recv_into_obj, 2, 4, sock_recv_into);

static mp_obj_t sock_send(size_t n_args, const mp_obj_t *args) {
    mp_obj_t plain = plain_call(n_args, args, MP_QSTR_send);
    if (plain != MP_OBJ_NULL) {
        return plain;
    }
    sock_obj_t *self = get_sock(args[0]);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[1], &bi, MP_BUFFER_READ);
    ssize_t n = sock_op(self, OP_WRITE, bi.buf, bi.len);
    check_op(self, n);
    return mp_obj_new_int(n);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_send_obj, 2, 3, sock_send);

static mp_obj_t sock_sendall(size_t n_args, const mp_obj_t *args) {
    mp_obj_t plain = plain_call(n_args, args, MP_QSTR_sendall);
    if (plain != MP_OBJ_NULL) {
        return plain;
    }
    sock_obj_t *self = get_sock(args[0]);
    mp_buffer_info_t bi;
    mp_get_buffer_raise(args[1], &bi, MP_BUFFER_READ);
    check_op(self, sock_op(self, OP_SENDALL, bi.buf, bi.len));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_sendall_obj, 2, 3, sock_sendall);

static mp_obj_t sock_do_handshake(mp_obj_t o) {
    sock_obj_t *self = get_sock(o);
    self->poll_mask = 0;
    check_op(self, sock_op(self, OP_HANDSHAKE, NULL, 0));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_do_handshake_obj, sock_do_handshake);

// unwrap(): close_notify both ways; the SSLSocket is a plain socket from
// then on (plain_call), as in CPython.
static mp_obj_t sock_unwrap(mp_obj_t o) {
    sock_obj_t *self = get_sock(o);
    check_op(self, sock_op(self, OP_SHUTDOWN, NULL, 0));
    sock_close_raw(self);
    return o;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_unwrap_obj, sock_unwrap);

static mp_obj_t sock_getpeercert(size_t n_args, const mp_obj_t *args) {
    sock_obj_t *self = get_sock(args[0]);
    int binary = n_args > 1 && mp_obj_is_true(args[1]);
    pyssl_value *v = NULL;
    check(pyssl_getpeercert(self->ssl, binary, &v));
    if (v == NULL) {
        return mp_const_none;
    }
    return take_value(v, true);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_getpeercert_obj, 1, 2, sock_getpeercert);

static mp_obj_t sock_cipher(mp_obj_t o) {
    if (((sock_obj_t *)MP_OBJ_TO_PTR(o))->ssl == NULL && ((sock_obj_t *)MP_OBJ_TO_PTR(o))->sock != MP_OBJ_NULL) {
        return mp_const_none;  // unwrapped
    }
    sock_obj_t *self = get_sock(o);
    const char *name = NULL, *proto = NULL;
    int bits = 0;
    int r = pyssl_socket_cipher(self->ssl, &name, &proto, &bits);
    check(r);
    if (r == 0) {
        return mp_const_none;
    }
    mp_obj_t t[3] = {opt_str(name), opt_str(proto), mp_obj_new_int(bits)};
    return mp_obj_new_tuple(3, t);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_cipher_obj, sock_cipher);

static mp_obj_t sock_version(mp_obj_t o) {
    if (((sock_obj_t *)MP_OBJ_TO_PTR(o))->ssl == NULL && ((sock_obj_t *)MP_OBJ_TO_PTR(o))->sock != MP_OBJ_NULL) {
        return mp_const_none;  // unwrapped
    }
    sock_obj_t *self = get_sock(o);
    return opt_str(pyssl_socket_version(self->ssl));
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_version_obj, sock_version);

static mp_obj_t sock_selected_alpn_protocol(mp_obj_t o) {
    if (((sock_obj_t *)MP_OBJ_TO_PTR(o))->ssl == NULL && ((sock_obj_t *)MP_OBJ_TO_PTR(o))->sock != MP_OBJ_NULL) {
        return mp_const_none;  // unwrapped
    }
    sock_obj_t *self = get_sock(o);
    unsigned char buf[256];
    ssize_t n = pyssl_socket_selected_alpn_protocol(self->ssl, buf, sizeof(buf));
    check(n);
    if (n == 0) {
        return mp_const_none;
    }
    return mp_obj_new_str((const char *)buf, n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_selected_alpn_protocol_obj, sock_selected_alpn_protocol);

static mp_obj_t sock_pending(mp_obj_t o) {
    if (((sock_obj_t *)MP_OBJ_TO_PTR(o))->ssl == NULL && ((sock_obj_t *)MP_OBJ_TO_PTR(o))->sock != MP_OBJ_NULL) {
        return MP_OBJ_NEW_SMALL_INT(0);  // unwrapped
    }
    sock_obj_t *self = get_sock(o);
    ssize_t n = pyssl_socket_pending(self->ssl);
    check(n);
    return mp_obj_new_int(n);
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_pending_obj, sock_pending);

static mp_obj_t sock_settimeout(mp_obj_t o, mp_obj_t t) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    if (self->sock != MP_OBJ_NULL) {
        mp_obj_t dest[3];
        mp_load_method(self->sock, MP_QSTR_settimeout, dest);
        dest[2] = t;
        mp_call_method_n_kw(1, 0, dest);
    }
    if (self->ssl && !self->stream) {
        check(pyssl_socket_set_timeout(self->ssl, t == mp_const_none ? -1.0 : mp_obj_get_float(t)));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sock_settimeout_obj, sock_settimeout);

static mp_obj_t sock_setblocking(mp_obj_t o, mp_obj_t flag) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    if (self->sock != MP_OBJ_NULL) {
        mp_obj_t dest[3];
        mp_load_method(self->sock, MP_QSTR_setblocking, dest);
        dest[2] = flag;
        mp_call_method_n_kw(1, 0, dest);
    }
    if (self->ssl && !self->stream) {
        check(pyssl_socket_set_timeout(self->ssl, mp_obj_is_true(flag) ? -1.0 : 0.0));
    }
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_2(sock_setblocking_obj, sock_setblocking);

static mp_obj_t sock_fileno(mp_obj_t o) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    if (self->sock == MP_OBJ_NULL) {
        return MP_OBJ_NEW_SMALL_INT(-1);
    }
    return mp_obj_new_int(sock_fd(self->sock));
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_fileno_obj, sock_fileno);

static mp_obj_t sock_del(mp_obj_t o) {
    // The finaliser frees pyssl's socket only: the MicroPython socket has
    // its own finaliser.
    sock_close_raw(MP_OBJ_TO_PTR(o));
    return mp_const_none;
}
static MP_DEFINE_CONST_FUN_OBJ_1(sock_del_obj, sock_del);

static mp_obj_t sock_exit(size_t n_args, const mp_obj_t *args) {
    (void)n_args;
    return mp_stream_close(args[0]);
}
static MP_DEFINE_CONST_FUN_OBJ_VAR_BETWEEN(sock_exit_obj, 4, 4, sock_exit);

static void sock_attr(mp_obj_t o, qstr attr, mp_obj_t *dest) {
    sock_obj_t *self = MP_OBJ_TO_PTR(o);
    if (dest[0] != MP_OBJ_NULL) {
        return;  // read-only
    }
    switch (attr) {
        case MP_QSTR_server_side:
            dest[0] = mp_obj_new_bool(self->server_side);
            return;
        case MP_QSTR_server_hostname:
            dest[0] = self->server_hostname;
            return;
        case MP_QSTR_context:
            dest[0] = self->context;
            return;
        case MP_QSTR_suppress_ragged_eofs:
            dest[0] = mp_obj_new_bool(self->suppress_ragged_eofs);
            return;
        default:
            dest[1] = MP_OBJ_SENTINEL;
    }
}

static void sock_print(const mp_print_t *print, mp_obj_t o, mp_print_kind_t kind) {
    (void)o;
    (void)kind;
    mp_printf(print, "<SSLSocket>");
}

static const mp_rom_map_elem_t sock_locals_table[] = {
    { MP_ROM_QSTR(MP_QSTR_read), MP_ROM_PTR(&mp_stream_read_obj) },
    { MP_ROM_QSTR(MP_QSTR_readinto), MP_ROM_PTR(&mp_stream_readinto_obj) },
    { MP_ROM_QSTR(MP_QSTR_readline), MP_ROM_PTR(&mp_stream_unbuffered_readline_obj) },
    { MP_ROM_QSTR(MP_QSTR_write), MP_ROM_PTR(&mp_stream_write_obj) },
    { MP_ROM_QSTR(MP_QSTR_recv), MP_ROM_PTR(&sock_recv_obj) },
    { MP_ROM_QSTR(MP_QSTR_recv_into), MP_ROM_PTR(&sock_recv_into_obj) },
    { MP_ROM_QSTR(MP_QSTR_send), MP_ROM_PTR(&sock_send_obj) },
    { MP_ROM_QSTR(MP_QSTR_sendall), MP_ROM_PTR(&sock_sendall_obj) },
    { MP_ROM_QSTR(MP_QSTR_do_handshake), MP_ROM_PTR(&sock_do_handshake_obj) },
    { MP_ROM_QSTR(MP_QSTR_unwrap), MP_ROM_PTR(&sock_unwrap_obj) },
    { MP_ROM_QSTR(MP_QSTR_getpeercert), MP_ROM_PTR(&sock_getpeercert_obj) },
    { MP_ROM_QSTR(MP_QSTR_cipher), MP_ROM_PTR(&sock_cipher_obj) },
    { MP_ROM_QSTR(MP_QSTR_version), MP_ROM_PTR(&sock_version_obj) },
    { MP_ROM_QSTR(MP_QSTR_selected_alpn_protocol), MP_ROM_PTR(&sock_selected_alpn_protocol_obj) },
    { MP_ROM_QSTR(MP_QSTR_pending), MP_ROM_PTR(&sock_pending_obj) },
    { MP_ROM_QSTR(MP_QSTR_settimeout), MP_ROM_PTR(&sock_settimeout_obj) },
    { MP_ROM_QSTR(MP_QSTR_setblocking), MP_ROM_PTR(&sock_setblocking_obj) },
    { MP_ROM_QSTR(MP_QSTR_fileno), MP_ROM_PTR(&sock_fileno_obj) },
    { MP_ROM_QSTR(MP_QSTR_close), MP_ROM_PTR(&mp_stream_close_obj) },
    { MP_ROM_QSTR(MP_QSTR___del__), MP_ROM_PTR(&sock_del_obj) },
    { MP_ROM_QSTR(MP_QSTR___enter__), MP_ROM_PTR(&mp_identity_obj) },
    { MP_ROM_QSTR(MP_QSTR___exit__), MP_ROM_PTR(&sock_exit_obj) },
};
static MP_DEFINE_CONST_DICT(sock_locals, sock_locals_table);

static const mp_stream_p_t sock_stream_p = {
    .read = sock_stream_read,
    .write = sock_stream_write,
    .ioctl = sock_ioctl,
};

static MP_DEFINE_CONST_OBJ_TYPE(
    sock_type,
    MP_QSTR_SSLSocket,
    MP_TYPE_FLAG_NONE,
    print, sock_print,
    attr, sock_attr,
    protocol, &sock_stream_p,
    locals_dict, &sock_locals
    );

/******************************************************************************/
// The module.

static mp_obj_t pyssl_versions(void) {
    mp_obj_t t[2] = {mp_obj_new_str_from_cstr(pyssl_version()), mp_obj_new_str_from_cstr(pyssl_openssl_version())};
    return mp_obj_new_tuple(2, t);
}
static MP_DEFINE_CONST_FUN_OBJ_0(pyssl_versions_obj, pyssl_versions);

static const mp_rom_map_elem_t pyssl_module_globals_table[] = {
    { MP_ROM_QSTR(MP_QSTR___name__), MP_ROM_QSTR(MP_QSTR__pyssl) },
    { MP_ROM_QSTR(MP_QSTR_SSLContext), MP_ROM_PTR(&ctx_type) },
    { MP_ROM_QSTR(MP_QSTR_SSLSocket), MP_ROM_PTR(&sock_type) },
    { MP_ROM_QSTR(MP_QSTR__set_error_maker), MP_ROM_PTR(&pyssl_set_error_maker_obj) },
    { MP_ROM_QSTR(MP_QSTR__set_compat), MP_ROM_PTR(&pyssl_set_compat_obj) },
    { MP_ROM_QSTR(MP_QSTR__versions), MP_ROM_PTR(&pyssl_versions_obj) },
    { MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_CLIENT), MP_ROM_INT(PYSSL_PROTOCOL_TLS_CLIENT) },
    { MP_ROM_QSTR(MP_QSTR_PROTOCOL_TLS_SERVER), MP_ROM_INT(PYSSL_PROTOCOL_TLS_SERVER) },
    { MP_ROM_QSTR(MP_QSTR_CERT_NONE), MP_ROM_INT(PYSSL_CERT_NONE) },
    { MP_ROM_QSTR(MP_QSTR_CERT_OPTIONAL), MP_ROM_INT(PYSSL_CERT_OPTIONAL) },
    { MP_ROM_QSTR(MP_QSTR_CERT_REQUIRED), MP_ROM_INT(PYSSL_CERT_REQUIRED) },
    { MP_ROM_QSTR(MP_QSTR_COMPAT_3_11), MP_ROM_INT(PYSSL_COMPAT_3_11) },
    { MP_ROM_QSTR(MP_QSTR_COMPAT_3_13), MP_ROM_INT(PYSSL_COMPAT_3_13) },
    { MP_ROM_QSTR(MP_QSTR_COMPAT_3_14), MP_ROM_INT(PYSSL_COMPAT_3_14) },
};
static MP_DEFINE_CONST_DICT(pyssl_module_globals, pyssl_module_globals_table);


const mp_obj_module_t pyssl_user_cmodule = {
    .base = { &mp_type_module },
    .globals = (mp_obj_dict_t *)&pyssl_module_globals,
};

MP_REGISTER_MODULE(MP_QSTR__pyssl, pyssl_user_cmodule);
