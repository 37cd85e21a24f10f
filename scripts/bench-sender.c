/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bench-sender: the traffic source of scripts/bench --live.  Loads the
 * first COUNT packets of a capture into memory (looping over the file when
 * it holds fewer) and sends them, as they are, on a veth interface through
 * an AF_PACKET socket with PACKET_QDISC_BYPASS, in sendmmsg(2) batches of
 * up to 256, either as fast as it can or paced to PPS packets per second
 * (each batch leaves when the packets before it are due: bursts of at most
 * about 50 us of traffic, the average rate exact).  tcpreplay tops out at
 * about 450k packets/s on a veth here (one send(2) per packet); this one
 * goes further, so the sender is not what limits the measured rate.
 *
 * It refuses any interface whose driver is not "veth" (ETHTOOL_GDRVINFO):
 * the benchmark's traffic never leaves the machine.  Run it inside the
 * network namespace that holds one end of the pair.
 *
 * usage: bench-sender IFACE FILE COUNT [PPS]     (PPS 0 or absent: top speed)
 * prints "packets N bytes B seconds S failed F" on stdout (N sent, F refused
 * by the kernel, e.g. longer than the MTU, and skipped).
 * References: packet(7), sendmmsg(2), pcap_next_ex(3PCAP).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256

struct pkts {
	unsigned char *buf;
	size_t used, cap;
	size_t *off;
	uint32_t *len;
	size_t n;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_until(double t)
{
	struct timespec ts;

	ts.tv_sec = (time_t)t;
	ts.tv_nsec = (long)((t - (double)ts.tv_sec) * 1e9);
	if (ts.tv_nsec >= 1000000000L)
		ts.tv_nsec = 999999999L;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

/* Loads at most max packets (all when max is 0); exits on failure. */
static void load(struct pkts *p, const char *path, size_t max)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	size_t slots = 0;
	pcap_t *pc = pcap_open_offline(path, errbuf);

	if (pc == NULL) {
		fprintf(stderr, "bench-sender: %s\n", errbuf);
		exit(2);
	}
	memset(p, 0, sizeof(*p));
	while ((max == 0 || p->n < max) && pcap_next_ex(pc, &h, &data) == 1) {
		if (p->n == slots) {
			slots = slots ? slots * 2 : 65536;
			p->off = realloc(p->off, slots * sizeof(*p->off));
			p->len = realloc(p->len, slots * sizeof(*p->len));
		}
		if (p->used + h->caplen > p->cap) {
			p->cap = p->cap ? p->cap * 2 : (size_t)16 << 20;
			p->buf = realloc(p->buf, p->cap);
		}
		if (p->off == NULL || p->len == NULL || p->buf == NULL) {
			fprintf(stderr, "bench-sender: out of memory\n");
			exit(2);
		}
		memcpy(p->buf + p->used, data, h->caplen);
		p->off[p->n] = p->used;
		p->len[p->n] = h->caplen;
		p->used += h->caplen;
		p->n++;
	}
	pcap_close(pc);
	if (p->n == 0) {
		fprintf(stderr, "bench-sender: %s: no packets\n", path);
		exit(2);
	}
}

/* An AF_PACKET socket bound to iface, which must be a veth; exits otherwise. */
static int open_veth(const char *iface)
{
	struct ethtool_drvinfo di;
	struct sockaddr_ll sll;
	struct ifreq ifr;
	int one = 1, fd;

	fd = socket(AF_PACKET, SOCK_RAW, 0);   /* protocol 0: receives nothing */
	if (fd < 0) {
		perror("bench-sender: socket(AF_PACKET)");
		exit(2);
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", iface);
	memset(&di, 0, sizeof(di));
	di.cmd = ETHTOOL_GDRVINFO;
	ifr.ifr_data = (void *)&di;
	if (ioctl(fd, SIOCETHTOOL, &ifr) != 0 || strcmp(di.driver, "veth") != 0) {
		fprintf(stderr, "bench-sender: %s is not a veth interface (driver '%s'): "
		    "refusing to send\n", iface, di.driver);
		exit(2);
	}
	memset(&sll, 0, sizeof(sll));
	sll.sll_family = AF_PACKET;
	sll.sll_ifindex = (int)if_nametoindex(iface);
	if (sll.sll_ifindex == 0 || bind(fd, (struct sockaddr *)&sll, sizeof(sll)) != 0) {
		perror("bench-sender: bind");
		exit(2);
	}
	/* Straight to the driver: no qdisc, no copies to local taps. */
	if (setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one)) != 0)
		perror("bench-sender: PACKET_QDISC_BYPASS (going on without)");
	return fd;
}

int main(int argc, char **argv)
{
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct pkts p;
	uint64_t sent = 0, bytes = 0, failed = 0, count;
	double pps = 0, t0, t1, step;
	size_t next = 0;
	int fd, i, k, want;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: bench-sender IFACE FILE COUNT [PPS]\n");
		return 1;
	}
	count = strtoull(argv[3], NULL, 10);
	if (argc == 5)
		pps = strtod(argv[4], NULL);
	if (count == 0) {
		fprintf(stderr, "bench-sender: COUNT must be positive\n");
		return 1;
	}
	fd = open_veth(argv[1]);
	load(&p, argv[2], (size_t)count);
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	/* A batch leaves when its first packet is due; about 50 us of traffic. */
	step = pps > 0 ? 50e-6 * pps : BATCH;
	if (step < 1)
		step = 1;
	if (step > BATCH)
		step = BATCH;
	memset(msg, 0, sizeof(msg));
	t0 = now_s();
	while (sent < count) {
		want = BATCH;
		if (pps > 0) {
			double due = (now_s() - t0) * pps - (double)sent;

			if (due < step) {
				sleep_until(t0 + ((double)sent + step) / pps);
				due = step;
			}
			want = due > BATCH ? BATCH : (int)due;
		}
		if ((uint64_t)want > count - sent)
			want = (int)(count - sent);
		for (i = 0; i < want; i++) {
			size_t j = (next + (size_t)i) % p.n;

			iov[i].iov_base = p.buf + p.off[j];
			iov[i].iov_len = p.len[j];
			msg[i].msg_hdr.msg_iov = &iov[i];
			msg[i].msg_hdr.msg_iovlen = 1;
		}
		k = sendmmsg(fd, msg, (unsigned)want, 0);
		if (k < 0) {
			if (errno == EAGAIN || errno == ENOBUFS || errno == EINTR)
				continue;
			/* this packet cannot go (too long for the MTU...): skip it */
			failed++;
			k = 1;
		} else {
			for (i = 0; i < k; i++)
				bytes += iov[i].iov_len;
		}
		sent += (uint64_t)k;
		next = (next + (size_t)k) % p.n;
	}
	t1 = now_s();
	printf("packets %llu bytes %llu seconds %.6f failed %llu\n",
	    (unsigned long long)(sent - failed),
	    (unsigned long long)bytes, t1 - t0, (unsigned long long)failed);
	close(fd);
	return 0;
}
