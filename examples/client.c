/*
 * A pyssl TLS client: connects, verifies the server like Python's
 * ssl.create_default_context() would, prints the negotiated version,
 * cipher and the peer certificate, sends a message, reads the echo and
 * closes the TLS session cleanly.
 *
 *   client HOST PORT CAFILE [SERVER_NAME] MESSAGE
 *
 * SERVER_NAME (SNI and the name checked against the certificate) defaults
 * to HOST. Every failure exits nonzero after printing the error the way
 * Python shows an exception: "Type: message".
 */
#define _POSIX_C_SOURCE 200809L

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "pyssl.h"

/* Seconds each socket operation may take before TimeoutError. */
#define IO_TIMEOUT 10.0

/* Prints the calling thread's last pyssl error as Python would show it. */
static void print_error(const char *what)
{
    const char *type = pyssl_error_type();
    const char *msg = pyssl_error_message();
    fprintf(stderr, "%s: %s: %s\n", what, type ? type : "Error",
            msg ? msg : "(no message)");
}

/* A plain TCP connection (what socket.create_connection() does). */
static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints, *res, *ai;
    int fd = -1, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "connect: socket.gaierror: %s\n", gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0)
            continue;
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0)
        perror("connect: OSError");
    return fd;
}

#ifdef PYSSL_EXAMPLE_HAVE_VALUE_API
/*
 * The number of bytes a Python bytes repr (b'...' or b"...") stands for:
 * every \xNN and every other backslash escape is one byte.
 */
static size_t bytes_repr_len(const char *repr)
{
    size_t n = 0;
    const char *p = repr;

    if (*p != 'b' || (p[1] != '\'' && p[1] != '"'))
        return 0;
    for (p += 2; p[0] != '\0' && p[1] != '\0'; p++) {
        if (*p == '\\')
            p += (p[1] == 'x') ? 3 : 1;
        n++;
    }
    return n;
}

/* getpeercert(): the dict, or (until it is available) the error and the
 * DER size from getpeercert(True). Returns 0, or -1 on a hard failure. */
static int print_peer_certificate(pyssl_socket *sock)
{
    pyssl_value *cert = NULL;
    char *repr;

    if (pyssl_getpeercert(sock, 0, &cert) == PYSSL_OK) {
        if (cert == NULL) { /* None: the server sent no certificate */
            printf("peercert: None\n");
            return 0;
        }
        repr = pyssl_value_repr(cert);
        if (repr == NULL) {
            print_error("repr(getpeercert())");
            pyssl_value_free(cert);
            return -1;
        }
        printf("peercert: %s\n", repr);
        pyssl_string_free(repr);
        pyssl_value_free(cert);
        return 0;
    }
    print_error("getpeercert()");
    if (pyssl_getpeercert(sock, 1, &cert) != PYSSL_OK) {
        print_error("getpeercert(True)");
        return -1;
    }
    if (cert == NULL) {
        printf("peercert (DER): None\n");
        return 0;
    }
    repr = pyssl_value_repr(cert);
    if (repr == NULL) {
        print_error("repr(getpeercert(True))");
        pyssl_value_free(cert);
        return -1;
    }
    printf("peercert (DER): %zu bytes\n", bytes_repr_len(repr));
    pyssl_string_free(repr);
    pyssl_value_free(cert);
    return 0;
}
#else
static int print_peer_certificate(pyssl_socket *sock)
{
    (void)sock;
    printf("peercert: (this pyssl.h has no pyssl_value functions yet)\n");
    return 0;
}
#endif

int main(int argc, char **argv)
{
    const char *host, *port, *cafile, *server_name, *message;
    pyssl_context *ctx = NULL;
    pyssl_socket *sock = NULL;
    const char *cipher = NULL, *proto = NULL, *version;
    size_t len, got = 0;
    char *echo = NULL;
    int bits = 0, fd = -1, status = 1;

    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: %s HOST PORT CAFILE [SERVER_NAME] MESSAGE\n", argv[0]);
        return 2;
    }
    host = argv[1];
    port = argv[2];
    cafile = argv[3];
    server_name = argc == 6 ? argv[4] : host;
    message = argv[argc - 1];
    len = strlen(message);

    /* ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT); CERT_REQUIRED and
     * check_hostname are the defaults, as in Python. */
    ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_CLIENT);
    if (ctx == NULL) {
        print_error("SSLContext()");
        goto out;
    }
    if (pyssl_context_load_verify_locations(ctx, cafile, NULL) < 0) {
        print_error("load_verify_locations()");
        goto out;
    }

    fd = tcp_connect(host, port);
    if (fd < 0)
        goto out;

    /* ctx.wrap_socket(sock, server_hostname=server_name) */
    sock = pyssl_socket_new(ctx, fd, 0, server_name);
    if (sock == NULL) {
        print_error("wrap_socket()");
        goto out;
    }
    if (pyssl_socket_set_timeout(sock, IO_TIMEOUT) < 0) {
        print_error("settimeout()");
        goto out;
    }
    if (pyssl_do_handshake(sock) < 0) {
        print_error("do_handshake()");
        goto out;
    }
    printf("connected to %s port %s as %s\n", host, port, server_name);

    version = pyssl_socket_version(sock);
    printf("version: %s\n", version ? version : "None");
    if (pyssl_socket_cipher(sock, &cipher, &proto, &bits) == 1)
        printf("cipher: ('%s', '%s', %d)\n", cipher, proto, bits);
    if (print_peer_certificate(sock) < 0)
        goto out;

    /* sock.sendall(message): pyssl_write writes all of it or fails. */
    if (pyssl_write(sock, message, len) < 0) {
        print_error("write()");
        goto out;
    }
    printf("sent: %zu bytes\n", len);

    /* Read until as many bytes came back as were sent. */
    echo = malloc(len + 1);
    if (echo == NULL) {
        fprintf(stderr, "MemoryError\n");
        goto out;
    }
    while (got < len) {
        ssize_t n = pyssl_read(sock, echo + got, len - got);
        if (n < 0) {
            print_error("read()");
            goto out;
        }
        if (n == 0) {
            fprintf(stderr, "read(): EOFError: the server closed after %zu of %zu bytes\n",
                    got, len);
            goto out;
        }
        got += (size_t)n;
    }
    echo[got] = '\0';
    printf("received: %s\n", echo);

    /* sock.unwrap(): close_notify both ways. */
    if (pyssl_shutdown(sock) < 0) {
        print_error("unwrap()");
        goto out;
    }
    printf("shutdown: clean\n");
    status = 0;

out:
    fflush(stdout);
    free(echo);
    pyssl_socket_free(sock);
    if (fd >= 0)
        close(fd);
    pyssl_context_free(ctx);
    return status;
}
