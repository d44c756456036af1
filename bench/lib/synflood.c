/*
 * synflood: sends TCP SYNs with forged sources (addresses inside a benchmark network, random ports) to one
 * address and port through a raw socket, as fast as it can, until COUNT have gone or SECONDS have passed; prints
 * "sent N in S s (R/s)". For Ferry's SYN-flood test and bench/director, inside a lab namespace only.
 *   synflood DST_IP DST_PORT COUNT SECONDS [SRC_NET]   (SRC_NET default 198.18.0.0, a /15 of forged sources)
 * Needs CAP_NET_RAW. Built by the test or the bench with: gcc -O2 -o synflood synflood.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint32_t rng = 2463534242u;

static uint32_t next_random(void) {
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static uint16_t fold(uint32_t sum) {
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

static uint32_t add_words(const uint8_t *p, size_t n, uint32_t sum) {
    for (size_t i = 0; i + 1 < n; i += 2) {
        sum += (uint32_t) p[i] << 8 | p[i + 1];
    }
    return sum;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: synflood DST_IP DST_PORT COUNT SECONDS [SRC_NET]\n");
        return 2;
    }
    struct in_addr dst, net;
    if (inet_pton(AF_INET, argv[1], &dst) != 1 || inet_pton(AF_INET, argc > 5 ? argv[5] : "198.18.0.0", &net) != 1) {
        fprintf(stderr, "synflood: bad address\n");
        return 2;
    }
    int port = atoi(argv[2]);
    long count = atol(argv[3]);
    double seconds = atof(argv[4]);
    int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
    if (fd < 0) {
        perror("synflood: socket (needs CAP_NET_RAW)");
        return 2;
    }
    rng ^= (uint32_t) time(NULL);
    uint8_t pkt[40];
    struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr = dst};
    uint32_t base = ntohl(net.s_addr);
    double start = now_seconds(), deadline = start + seconds;
    long sent = 0;
    while (sent < count) {
        if ((sent & 1023) == 0 && now_seconds() > deadline) {
            break;
        }
        uint32_t src = base + (next_random() & 0x1ffff);
        uint16_t sport = (uint16_t) (1024 + next_random() % 64000);
        uint32_t seq = next_random();
        memset(pkt, 0, sizeof pkt);
        pkt[0] = 0x45;
        pkt[3] = 40;
        pkt[6] = 0x40; /* DF */
        pkt[8] = 64;
        pkt[9] = IPPROTO_TCP;
        uint32_t s = htonl(src);
        memcpy(pkt + 12, &s, 4);
        memcpy(pkt + 16, &dst.s_addr, 4);
        uint8_t *t = pkt + 20;
        t[0] = sport >> 8; t[1] = sport & 0xff;
        t[2] = port >> 8; t[3] = port & 0xff;
        t[4] = seq >> 24; t[5] = seq >> 16; t[6] = seq >> 8; t[7] = seq;
        t[12] = 0x50;
        t[13] = 0x02; /* SYN */
        t[14] = 0xfa; t[15] = 0xf0;
        uint32_t sum = add_words(pkt + 12, 8, 0) + IPPROTO_TCP + 20;
        uint16_t c = fold(add_words(t, 20, sum));
        t[16] = c >> 8; t[17] = c & 0xff;
        uint16_t ic = fold(add_words(pkt, 20, 0));
        pkt[10] = ic >> 8; pkt[11] = ic & 0xff;
        if (sendto(fd, pkt, sizeof pkt, 0, (struct sockaddr *) &to, sizeof to) == 40) {
            sent++;
        }
    }
    double took = now_seconds() - start;
    printf("sent %ld in %.2f s (%.0f/s)\n", sent, took, sent / (took > 0 ? took : 1));
    return 0;
}
