/*
 * Small-UDP load for bench/director, compiled with gcc into the run's work directory.
 *   udpbench echo PORT...                       answers every datagram with itself (recvmmsg/sendmmsg, 64 a call)
 *   udpbench load HOST PORT SECONDS SOCKETS WINDOW SIZE
 *       SOCKETS connected sockets (one flow each through the balancer), each keeping WINDOW datagrams of SIZE bytes
 *       in flight: every reply lets the next one go; 200 ms without a reply on a socket counts what it had in
 *       flight as lost and refills its window. Prints one line:
 *       sent=N replies=N lost=N errors=N seconds=S rate=R   (rate: replies per second)
 * Plain C, no threads: one core of the load side is its limit, and it counts what it got, not what it sent.
 */
#define _GNU_SOURCE
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

#define BATCH 64
#define MAXSOCK 256

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void) s; stop = 1; }

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static int echo(int argc, char **argv) {
    int n = argc - 2;
    if (n < 1 || n > 16) { fprintf(stderr, "udpbench echo PORT... (1 to 16 ports)\n"); return 2; }
    struct pollfd pfd[16];
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[i + 2]))};
        int big = 4 << 20;
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
        if (fd < 0 || bind(fd, (struct sockaddr *) &a, sizeof a) < 0) {
            fprintf(stderr, "udpbench echo: bind port %s: %s\n", argv[i + 2], strerror(errno));
            return 1;
        }
        pfd[i].fd = fd;
        pfd[i].events = POLLIN;
    }
    static char buf[BATCH][2048];
    struct mmsghdr msg[BATCH];
    struct iovec iov[BATCH];
    struct sockaddr_in from[BATCH];
    while (!stop) {
        if (poll(pfd, n, 1000) <= 0) continue;
        for (int i = 0; i < n; i++) {
            if (!(pfd[i].revents & POLLIN)) continue;
            for (;;) {
                for (int k = 0; k < BATCH; k++) {
                    iov[k].iov_base = buf[k];
                    iov[k].iov_len = sizeof buf[k];
                    memset(&msg[k].msg_hdr, 0, sizeof msg[k].msg_hdr);
                    msg[k].msg_hdr.msg_iov = &iov[k];
                    msg[k].msg_hdr.msg_iovlen = 1;
                    msg[k].msg_hdr.msg_name = &from[k];
                    msg[k].msg_hdr.msg_namelen = sizeof from[k];
                }
                int got = recvmmsg(pfd[i].fd, msg, BATCH, MSG_DONTWAIT, NULL);
                if (got <= 0) break;
                for (int k = 0; k < got; k++) iov[k].iov_len = msg[k].msg_len;
                sendmmsg(pfd[i].fd, msg, got, MSG_DONTWAIT);
                if (got < BATCH) break;
            }
        }
    }
    return 0;
}

static int load(int argc, char **argv) {
    if (argc != 8) {
        fprintf(stderr, "udpbench load HOST PORT SECONDS SOCKETS WINDOW SIZE\n");
        return 2;
    }
    double seconds = atof(argv[4]);
    int socks = atoi(argv[5]), window = atoi(argv[6]), size = atoi(argv[7]);
    if (socks < 1 || socks > MAXSOCK || window < 1 || window > BATCH || size < 1 || size > 1400 || seconds <= 0) {
        fprintf(stderr, "udpbench load: 1-%d sockets, window 1-%d, size 1-1400, seconds > 0\n", MAXSOCK, BATCH);
        return 2;
    }
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[3]))};
    if (inet_pton(AF_INET, argv[2], &to.sin_addr) != 1) { fprintf(stderr, "udpbench: bad address %s\n", argv[2]); return 2; }
    struct pollfd pfd[MAXSOCK];
    int inflight[MAXSOCK];
    double last[MAXSOCK];
    long long sent = 0, replies = 0, lost = 0, errors = 0;
    static char payload[BATCH][1400];
    static char rbuf[BATCH][2048];
    struct mmsghdr smsg[BATCH], rmsg[BATCH];
    struct iovec siov[BATCH], riov[BATCH];
    for (int k = 0; k < BATCH; k++) {
        memset(payload[k], 'x', sizeof payload[k]);
        siov[k].iov_base = payload[k];
        siov[k].iov_len = size;
        memset(&smsg[k], 0, sizeof smsg[k]);
        smsg[k].msg_hdr.msg_iov = &siov[k];
        smsg[k].msg_hdr.msg_iovlen = 1;
        riov[k].iov_base = rbuf[k];
        riov[k].iov_len = sizeof rbuf[k];
        memset(&rmsg[k], 0, sizeof rmsg[k]);
        rmsg[k].msg_hdr.msg_iov = &riov[k];
        rmsg[k].msg_hdr.msg_iovlen = 1;
    }
    double t0 = now(), end = t0 + seconds;
    for (int i = 0; i < socks; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *) &to, sizeof to) < 0) {
            fprintf(stderr, "udpbench load: socket/connect: %s\n", strerror(errno));
            return 1;
        }
        pfd[i].fd = fd;
        pfd[i].events = POLLIN;
        int n = sendmmsg(fd, smsg, window, 0);
        inflight[i] = n > 0 ? n : 0;
        if (n > 0) sent += n;
        last[i] = t0;
    }
    while (!stop) {
        double t = now();
        if (t >= end) break;
        int ready = poll(pfd, socks, 5);
        t = now();
        for (int i = 0; i < socks; i++) {
            int got = 0;
            if (ready > 0 && (pfd[i].revents & (POLLIN | POLLERR))) {
                got = recvmmsg(pfd[i].fd, rmsg, BATCH, MSG_DONTWAIT, NULL);
                if (got < 0) {
                    if (errno != EAGAIN && errno != EWOULDBLOCK) errors++; /* ECONNREFUSED: an ICMP error came back */
                    got = 0;
                }
            }
            if (got > 0) {
                replies += got;
                inflight[i] -= got;
                if (inflight[i] < 0) inflight[i] = 0; /* late replies of a window already counted as lost */
                last[i] = t;
            } else if (t - last[i] > 0.2) {
                lost += inflight[i];
                inflight[i] = 0;
                last[i] = t;
            }
            int want = window - inflight[i];
            if (want > 0) {
                int n = sendmmsg(pfd[i].fd, smsg, want, MSG_DONTWAIT);
                if (n > 0) { sent += n; inflight[i] += n; }
            }
        }
    }
    double took = now() - t0;
    printf("sent=%lld replies=%lld lost=%lld errors=%lld seconds=%.3f rate=%.0f\n", sent, replies, lost, errors, took,
           replies / took);
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    if (argc >= 2 && strcmp(argv[1], "echo") == 0) return echo(argc, argv);
    if (argc >= 2 && strcmp(argv[1], "load") == 0) return load(argc, argv);
    fprintf(stderr, "usage: udpbench echo PORT... | udpbench load HOST PORT SECONDS SOCKETS WINDOW SIZE\n");
    return 2;
}
