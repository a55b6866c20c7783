/*
 * A pyssl TLS echo server on 127.0.0.1, one client at a time, blocking.
 *
 *   echo_server PORT CERTFILE KEYFILE [--once]
 *
 * PORT 0 picks a free port. The server prints "listening on 127.0.0.1 port
 * N" once it accepts connections. Each client gets back every byte it
 * sends until it closes the TLS session (close_notify), then the server
 * answers with its own close_notify. With --once the server exits after
 * the first client: 0 if that session ended cleanly, 1 otherwise.
 * Errors are printed the way Python shows exceptions: "Type: message".
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

#include "pyssl.h"

/* A client that stalls longer than this gets TimeoutError. */
#define IO_TIMEOUT 30.0

static void print_error(const char *who, const char *what)
{
    const char *type = pyssl_error_type();
    const char *msg = pyssl_error_message();
    fprintf(stderr, "%s: %s: %s: %s\n", who, what, type ? type : "Error",
            msg ? msg : "(no message)");
}

static int listen_loopback(int port)
{
    struct sockaddr_in addr;
    socklen_t addrlen = sizeof addr;
    int one = 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    if (fd < 0) {
        perror("socket");
        return -1;
    }
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons((unsigned short)port);
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0 || listen(fd, 16) < 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &addrlen) < 0) {
        perror("bind/listen");
        close(fd);
        return -1;
    }
    printf("listening on 127.0.0.1 port %d\n", ntohs(addr.sin_port));
    fflush(stdout);
    return fd;
}

/* Serves one connected client; 0 when the session ended cleanly. */
static int serve(pyssl_context *ctx, int fd, const char *who)
{
    pyssl_socket *sock;
    const char *cipher = NULL, *version;
    char buf[16384];
    size_t total = 0;
    int status = -1;

    /* ctx.wrap_socket(conn, server_side=True) */
    sock = pyssl_socket_new(ctx, fd, 1, NULL);
    if (sock == NULL) {
        print_error(who, "wrap_socket()");
        return -1;
    }
    if (pyssl_socket_set_timeout(sock, IO_TIMEOUT) < 0) {
        print_error(who, "settimeout()");
        goto out;
    }
    if (pyssl_do_handshake(sock) < 0) {
        print_error(who, "do_handshake()");
        goto out;
    }
    version = pyssl_socket_version(sock);
    pyssl_socket_cipher(sock, &cipher, NULL, NULL);
    printf("%s: %s %s\n", who, version ? version : "?", cipher ? cipher : "?");
    fflush(stdout);

    for (;;) {
        ssize_t n = pyssl_read(sock, buf, sizeof buf);
        if (n == 0) /* b'': the client sent close_notify */
            break;
        if (n < 0) {
            print_error(who, "read()");
            goto out;
        }
        if (pyssl_write(sock, buf, (size_t)n) < 0) {
            print_error(who, "write()");
            goto out;
        }
        total += (size_t)n;
    }
    /* conn.unwrap(): answer the client's close_notify. */
    if (pyssl_shutdown(sock) < 0) {
        print_error(who, "unwrap()");
        goto out;
    }
    printf("%s: echoed %zu bytes, closed cleanly\n", who, total);
    fflush(stdout);
    status = 0;
out:
    pyssl_socket_free(sock);
    return status;
}

int main(int argc, char **argv)
{
    pyssl_context *ctx;
    int lfd, once, status = 0;
    char *end;
    long port;

    once = argc == 5 && strcmp(argv[4], "--once") == 0;
    if (argc != 4 && !once) {
        fprintf(stderr, "usage: %s PORT CERTFILE KEYFILE [--once]\n", argv[0]);
        return 2;
    }
    port = strtol(argv[1], &end, 10);
    if (*argv[1] == '\0' || *end != '\0' || port < 0 || port > 65535) {
        fprintf(stderr, "bad port: %s\n", argv[1]);
        return 2;
    }
    /* Python ignores SIGPIPE; a client vanishing mid-write is an error
     * return (BrokenPipeError), not the end of the server. */
    signal(SIGPIPE, SIG_IGN);

    /* ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain() */
    ctx = pyssl_context_new(PYSSL_PROTOCOL_TLS_SERVER);
    if (ctx == NULL) {
        print_error("server", "SSLContext()");
        return 1;
    }
    if (pyssl_context_load_cert_chain(ctx, argv[2], argv[3], NULL) < 0) {
        print_error("server", "load_cert_chain()");
        pyssl_context_free(ctx);
        return 1;
    }

    lfd = listen_loopback((int)port);
    if (lfd < 0) {
        pyssl_context_free(ctx);
        return 1;
    }
    for (;;) {
        struct sockaddr_in peer;
        socklen_t peerlen = sizeof peer;
        char who[64];
        int cfd = accept(lfd, (struct sockaddr *)&peer, &peerlen);

        if (cfd < 0) {
            if (errno == EINTR)
                continue;
            perror("accept");
            status = 1;
            break;
        }
        snprintf(who, sizeof who, "%s:%d", inet_ntoa(peer.sin_addr), ntohs(peer.sin_port));
        status = serve(ctx, cfd, who) == 0 ? 0 : 1;
        close(cfd); /* pyssl never closes the fd: it is ours */
        if (once)
            break;
    }
    close(lfd);
    pyssl_context_free(ctx);
    return status;
}
