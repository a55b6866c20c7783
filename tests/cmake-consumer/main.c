/* Creates and frees pyssl contexts through the installed header and
 * library; prints "ok" when the defaults and error reporting look right. */
#include <stdio.h>
#include <string.h>

#include <pyssl.h>

static int fail(const char *what)
{
    const char *type = pyssl_error_type();
    const char *msg = pyssl_error_message();
    fprintf(stderr, "%s: %s: %s\n", what, type ? type : "?", msg ? msg : "?");
    return 1;
}

int main(void)
{
    pyssl_context *client = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    pyssl_context *server = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    const char *type;
    int rc = 0;

    if (client == NULL || server == NULL)
        return fail("SSLContext()");
    /* CPython's defaults for PROTOCOL_TLS_CLIENT / _SERVER. */
    if (pyssl_context_get_verify_mode(client) != PYSSL_CERT_REQUIRED ||
        pyssl_context_get_check_hostname(client) != 1 ||
        pyssl_context_get_verify_mode(server) != PYSSL_CERT_NONE) {
        fprintf(stderr, "unexpected context defaults\n");
        rc = 1;
    }
    /* A missing CA file fails as FileNotFoundError, as in Python. */
    if (pyssl_context_load_verify_locations(client, "/nonexistent/ca.pem", NULL) >= 0) {
        fprintf(stderr, "load_verify_locations() accepted a missing file\n");
        rc = 1;
    }
    type = pyssl_error_type();
    if (type == NULL || strcmp(type, "FileNotFoundError") != 0) {
        fprintf(stderr, "expected FileNotFoundError, got %s\n", type ? type : "(none)");
        rc = 1;
    }
    pyssl_context_free(server);
    pyssl_context_free(client);
    pyssl_context_free(NULL); /* NULL is ignored */
    if (rc == 0)
        printf("ok\n");
    return rc;
}
