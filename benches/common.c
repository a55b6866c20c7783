/* pyssl benchmarks: clocks, sockets, memory readings, JSON output. */
#define _GNU_SOURCE
#include "bench.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double cpu_s(void) { return clock_s(CLOCK_PROCESS_CPUTIME_ID); }
double thread_cpu_s(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "pyssl_bench[%d]: ", (int)getpid());
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

void set_nonblocking(int fd, int on)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0)
        die("fcntl: %s", strerror(errno));
    fl = on ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK);
    if (fcntl(fd, F_SETFL, fl) < 0)
        die("fcntl: %s", strerror(errno));
}

void tcp_nodelay(int fd)
{
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

void tcp_abort_on_close(int fd)
{
    /* close() resets the connection: no TIME_WAIT left behind by the
     * thousands of short connections of the handshake tests. */
    struct linger l = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

int tcp_listener(int backlog, int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, backlog) < 0)
        die("bind/listen: %s", strerror(errno));
    socklen_t len = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &len);
    *port = ntohs(a.sin_port);
    return fd;
}

int tcp_connect(int port, int nonblocking)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0), 0);
    if (fd < 0)
        die("socket: %s", strerror(errno));
    tcp_nodelay(fd);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        die("connect: %s", strerror(errno));
    return fd;
}

void make_pair(const char *kind, int fds[2])
{
    if (strcmp(kind, "unix") == 0) {
        if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) < 0)
            die("socketpair: %s", strerror(errno));
        return;
    }
    if (strcmp(kind, "tcp") != 0)
        die("unknown transport %s", kind);
    int port;
    int l = tcp_listener(1, &port);
    fds[0] = tcp_connect(port, 0);
    fds[1] = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    if (fds[1] < 0)
        die("accept: %s", strerror(errno));
    tcp_nodelay(fds[1]);
    close(l);
}

size_t heap_in_use(void)
{
    struct mallinfo2 mi = mallinfo2();
    /* uordblks: in-use chunks of the arenas; hblkhd: mmap()ed chunks. */
    return mi.uordblks + mi.hblkhd;
}

static long status_kib(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, n) == 0 && line[n] == ':') {
            v = strtol(line + n + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

long rss_kib(void) { return status_kib("VmRSS"); }
long hwm_kib(void) { return status_kib("VmHWM"); }

int reset_hwm(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = write(fd, "5", 1) == 1;
    close(fd);
    return ok;
}

void write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("write: %s", strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

void read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            die("read: %s", r == 0 ? "EOF" : strerror(errno));
        p += r;
        n -= (size_t)r;
    }
}

int send_fds(int sock, const int *fds, int n)
{
    char byte = 'F';
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    size_t clen = CMSG_SPACE(sizeof(int) * (size_t)n);
    char *cbuf = calloc(1, clen);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = clen};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
    ssize_t r = sendmsg(sock, &m, 0);
    free(cbuf);
    return r == 1 ? 0 : -1;
}

int recv_fds(int sock, int *fds, int max)
{
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    size_t clen = CMSG_SPACE(sizeof(int) * (size_t)max);
    char *cbuf = calloc(1, clen);
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = clen};
    ssize_t r = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
    int n = -1;
    if (r == 1) {
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        if (c && c->cmsg_type == SCM_RIGHTS) {
            n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
        }
    }
    free(cbuf);
    return n;
}

static int json_first;

void json_begin(void)
{
    json_first = 1;
    fputc('{', stdout);
}

static void json_key(const char *key)
{
    printf("%s\"%s\": ", json_first ? "" : ", ", key);
    json_first = 0;
}

void json_num(const char *key, double v)
{
    json_key(key);
    printf("%.17g", v);
}

void json_str(const char *key, const char *v)
{
    json_key(key);
    if (!v) {
        fputs("null", stdout);
        return;
    }
    fputc('"', stdout);
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p < 0x20)
            printf("\\u%04x", *p);
        else
            fputc(*p, stdout);
    }
    fputc('"', stdout);
}

void json_end(void)
{
    fputs("}\n", stdout);
    fflush(stdout);
}
