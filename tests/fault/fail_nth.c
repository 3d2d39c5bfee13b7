// SPDX-License-Identifier: GPL-2.0
/*
 * L1, L2, R5 under injected faults: every ioctl, read(2) and write(2) of
 * chan, run again and again with the kernel told to fail its N-th fault
 * point (an allocation, a page allocation or a user copy) for N = 1, 2, ...
 * until the call no longer reaches an N-th point
 * (Documentation/fault-injection/fault-injection.rst, "Systematic faults
 * using fail-nth").  After every injected fault:
 *   - the call failed with ENOMEM or EFAULT, or it succeeded because the
 *     kernel absorbed the fault (kvmalloc falls back to vmalloc; a short
 *     write(2) reports what it sent, P3);
 *   - a failed call changed nothing: CHAN_IOC_INFO is as before, and the
 *     elements come out of the channel in order, each exactly once (R5);
 *     a blocked peer is still blocked, or got its element exactly once;
 *   - no fd leaked (/proc/self/fd), and no budget either: the user's budget
 *     fits as many channels at the end as at the start (L1).
 * The harness's kmemleak scan after the run finds what memory leaked.
 *
 * The known limitation of the module is checked as what it is: a receive
 * that took an element from a select sender, or was handed one while
 * asleep, cannot hold the sender back, so when its copy-out faults the
 * element goes back at the head of the channel: neither lost nor doubled.
 *
 * Needs root (debugfs) and a kernel with fail-nth, failslab,
 * fail_page_alloc and fail_usercopy (the debug kernel); skips elsewhere.
 * Every user page is locked in memory (mlockall) so that no page fault of
 * the test itself consumes a fault point.
 *
 * FAIL_NTH_ONLY=TEXT runs only the cases whose name contains TEXT, and
 * FAIL_NTH_SKIP=TEXT leaves those out (to reproduce one case, or to look
 * past a known bug while it is being fixed; make check sets neither).
 */
#include "../user/check.h"

#include <dirent.h>

#define FAIL_NTH	"/proc/thread-self/fail-nth"
#define DEBUGFS		"/sys/kernel/debug/"
/* Blocking calls carry a deadline so that a bug cannot hang the test. */
#define BLOCK_NS	(10LL * 1000000000)
/* No call of the module has anywhere near this many fault points. */
#define MAX_POINTS	2000
#define BIG		65536
#define MAX_ELEMS	64
#define BUDGET_MAX	100000

/*
 * failslab and fail_page_alloc ignore sleeping allocations by default, and
 * fail_page_alloc ignores orders below min-order and highmem pages (which
 * vmalloc asks for): open them all to fail-nth.  Probability stays 0, so
 * only the fail-nth of this task injects anything.  verbose 2 logs each
 * injected fault with a stack trace (rate-limited), which the harness's
 * log check must not take for a splat.
 */
static struct knob {
	const char *path;
	const char *val;
	char old[32];
} knobs[] = {
	{ .path = DEBUGFS "failslab/ignore-gfp-wait", .val = "N" },
	{ .path = DEBUGFS "failslab/verbose", .val = "2" },
	{ .path = DEBUGFS "fail_page_alloc/ignore-gfp-wait", .val = "N" },
	{ .path = DEBUGFS "fail_page_alloc/ignore-gfp-highmem", .val = "N" },
	{ .path = DEBUGFS "fail_page_alloc/min-order", .val = "0" },
	{ .path = DEBUGFS "fail_page_alloc/verbose", .val = "2" },
	{ .path = DEBUGFS "fail_usercopy/verbose", .val = "2" },
};

static void knob_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		check_fail(__FILE__, __LINE__, "L1", "write %s to %s: %s", val,
			   path, strerrorname_np(errno));
	close(fd);
}

static void knobs_set(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
		int fd = open(knobs[i].path, O_RDONLY);
		ssize_t n;

		if (fd < 0)
			check_fail(__FILE__, __LINE__, "L1", "open %s: %s",
				   knobs[i].path, strerrorname_np(errno));
		n = read(fd, knobs[i].old, sizeof(knobs[i].old) - 1);
		close(fd);
		CHECK("L1", n > 0);
		knobs[i].old[n] = '\0';
		knob_write(knobs[i].path, knobs[i].val);
	}
}

static void knobs_restore(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(knobs); i++)
		knob_write(knobs[i].path, knobs[i].old);
}

/* The calling thread's fail-nth file: faults stay in this thread's calls. */
static int nth_fd = -1;

static void nth_arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, len, 0) != len)
		check_fail(__FILE__, __LINE__, "L1", "arm fail-nth %u: %s", n,
			   strerrorname_np(errno));
}

/*
 * Was the armed fault injected?  fail-nth reads 0 if so.  Reading and
 * disarming copy to and from user memory, which fail_usercopy counts too:
 * a read that fails with EFAULT consumed the last point itself (so the call
 * did not), and a disarm that fails did the same and is repeated.
 */
static bool nth_injected(void)
{
	char buf[16];
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	bool injected;
	int i;

	if (n < 0) {
		if (errno != EFAULT)
			check_fail(__FILE__, __LINE__, "L1", "read fail-nth: %s",
				   strerrorname_np(errno));
		injected = false;
	} else {
		buf[n] = '\0';
		injected = strtoul(buf, NULL, 10) == 0;
	}
	for (i = 0; i < 3; i++)
		if (pwrite(nth_fd, "0", 1, 0) == 1)
			break;
	CHECK("L1", i < 3);
	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	CHECK("L1", n > 0 && buf[0] == '0');
	return injected;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	CHECK("L1", d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* Element @tok: its token in the first 8 bytes, a pattern in the rest. */
static void elem_fill(void *p, size_t esz, uint64_t tok)
{
	uint8_t *b = p;

	for (size_t i = 8; i < esz; i++)
		b[i] = (uint8_t)(tok * 37 + i * 13 + 1);
	memcpy(b, &tok, 8);
}

static uint64_t elem_tok(const void *p, size_t esz)
{
	const uint8_t *b = p;
	uint64_t tok;

	memcpy(&tok, b, 8);
	for (size_t i = 8; i < esz; i++)
		if (b[i] != (uint8_t)(tok * 37 + i * 13 + 1))
			check_fail(__FILE__, __LINE__, "R5",
				   "element %" PRIu64 " corrupt at byte %zu",
				   tok, i);
	return tok;
}

static long sysret(long r)
{
	return r < 0 ? -errno : r;
}

static long xfer(int fd, unsigned long cmd, void *elem, bool block)
{
	struct chan_xfer x = { .elem = (uintptr_t)elem };

	if (block) {
		x.flags = CHAN_XFER_DEADLINE;
		x.deadline_ns = now_ns() + BLOCK_NS;
	} else {
		x.flags = CHAN_XFER_NONBLOCK;
	}
	return sysret(ioctl(fd, cmd, &x));
}

static int mkchan(size_t esz, unsigned int cap)
{
	return CHECK_OK("L1", chan_make(esz, cap, 0));
}

/* Put elements @first..@last into a buffered channel. */
static void put(int fd, size_t esz, uint64_t first, uint64_t last)
{
	uint8_t e[BIG];

	for (uint64_t t = first; t <= last; t++) {
		elem_fill(e, esz, t);
		CHECK_EQ("R1", xfer(fd, CHAN_IOC_SEND, e, false), 0);
	}
}

/* A peer blocked on a channel while the test thread makes its call. */
enum hop {
	H_SEND,		/* a blocking send of tok */
	H_RECV,		/* a blocking receive */
	H_SEL_SEND,	/* a select: send tok on fd, receive on fd2 */
	H_LATE_SEND,	/* send tok once a receiver waits on fd, unless stopped */
};

struct helper {
	pthread_t t;
	enum hop op;
	int fd, fd2;
	size_t esz;
	uint64_t tok;
	long ret;
	uint64_t got;
	bool sent;
	volatile bool stop, done;
};

static void *helper_main(void *arg)
{
	struct helper *h = arg;
	uint8_t e[BIG], r[BIG];
	struct chan_select_case sc[2] = {};
	struct chan_select s = {};
	struct chan_info info;

	elem_fill(e, h->esz, h->tok);
	switch (h->op) {
	case H_SEND:
		h->ret = xfer(h->fd, CHAN_IOC_SEND, e, true);
		h->sent = h->ret == 0;
		break;
	case H_RECV:
		h->ret = xfer(h->fd, CHAN_IOC_RECV, r, true);
		if (h->ret == 1)
			h->got = elem_tok(r, h->esz);
		break;
	case H_SEL_SEND:
		sc[0] = (struct chan_select_case){ h->fd, CHAN_SELECT_SEND,
						   (uintptr_t)e, 0 };
		sc[1] = (struct chan_select_case){ h->fd2, CHAN_SELECT_RECV,
						   (uintptr_t)r, 0 };
		s.cases = (uintptr_t)sc;
		s.ncases = 2;
		s.flags = CHAN_XFER_DEADLINE;
		s.deadline_ns = now_ns() + BLOCK_NS;
		h->ret = sysret(ioctl(h->fd, CHAN_IOC_SELECT, &s));
		h->sent = h->ret == 0 && s.ok == 1;
		break;
	case H_LATE_SEND:
		for (;;) {
			CHECK_SYS("R5", ioctl(h->fd, CHAN_IOC_INFO, &info));
			if (info.recv_waiters) {
				h->ret = xfer(h->fd, CHAN_IOC_SEND, e, true);
				h->sent = h->ret == 0;
				break;
			}
			if (h->stop) {
				h->ret = 0;
				break;
			}
			usleep(100);
		}
		break;
	}
	h->done = true;
	return NULL;
}

static void helper_start(struct helper *h, enum hop op, int fd, int fd2,
			 size_t esz, uint64_t tok)
{
	pthread_attr_t attr;

	h->op = op;
	h->fd = fd;
	h->fd2 = fd2;
	h->esz = esz;
	h->tok = tok;
	/*
	 * A small stack: under mlockall every page of it is made present
	 * when the thread starts, and the default is 8 MiB.
	 */
	CHECK_EQ("R5", pthread_attr_init(&attr), 0);
	CHECK_EQ("R5", pthread_attr_setstacksize(&attr, 4 * BIG), 0);
	CHECK_EQ("R5", pthread_create(&h->t, &attr, helper_main, h), 0);
	pthread_attr_destroy(&attr);
	/* Blocked before the call starts, but for the late sender. */
	if (op == H_SEND || op == H_SEL_SEND)
		wait_waiters(fd, 1, 0);
	else if (op == H_RECV)
		wait_waiters(fd, 0, 1);
}

/* The state of one test call: its channels, its peer, what it returned. */
struct fx {
	size_t esz;
	int dev, ch, ch2, ch3;
	bool helper_on;
	struct helper h;
	struct chan_info before;
	uint8_t *buf;
	uint64_t arg[4];	/* a case's own numbers */
};

static uint8_t iobuf[MAX_ELEMS * BIG] __attribute__((aligned(4096)));

/* Receive what @fd holds without blocking; returns the count. */
static int drain(int fd, size_t esz, uint64_t *toks, int max)
{
	uint8_t e[BIG];
	int n = 0;
	long r;

	while ((r = xfer(fd, CHAN_IOC_RECV, e, false)) == 1) {
		CHECK("R5", n < max);
		toks[n++] = elem_tok(e, esz);
	}
	CHECK("R5", r == -EAGAIN || r == 0);
	return n;
}

static void expect_seq(const char *what, const uint64_t *got, int n,
		       const uint64_t *want, int nwant)
{
	if (n == nwant && !memcmp(got, want, n * sizeof(*got)))
		return;
	fprintf(stderr, "%s: got", what);
	for (int i = 0; i < n; i++)
		fprintf(stderr, " %" PRIu64, got[i]);
	fprintf(stderr, ", want");
	for (int i = 0; i < nwant; i++)
		fprintf(stderr, " %" PRIu64, want[i]);
	fputc('\n', stderr);
	check_fail(__FILE__, __LINE__, "R5", "%s: elements lost, doubled or out of order",
		   what);
}

/* The channel holds exactly @first..@last (none if first > last). */
static void expect_range(int fd, size_t esz, uint64_t first, uint64_t last)
{
	uint64_t got[MAX_ELEMS + 2], want[MAX_ELEMS + 2];
	int n = drain(fd, esz, got, MAX_ELEMS + 2), nw = 0;

	for (uint64_t t = first; t <= last; t++)
		want[nw++] = t;
	expect_seq("channel contents", got, n, want, nw);
}

/*
 * With a sending peer: drain @fd until the peer is done and once more;
 * what the call received (@have, @nhave) and what was drained must be
 * exactly @first..@last, in order.  The peer's send must have succeeded
 * if its element is among them.
 */
static void collect(struct fx *f, const uint64_t *have, int nhave,
		    uint64_t first, uint64_t last)
{
	uint64_t got[MAX_ELEMS + 4], want[MAX_ELEMS + 4];
	int n = 0, nw = 0;
	uint8_t e[BIG];

	memcpy(got, have, nhave * sizeof(*got));
	n = nhave;
	for (;;) {
		bool done = f->h.done;
		long r = xfer(f->h.fd, CHAN_IOC_RECV, e, false);

		if (r == 1) {
			CHECK("R5", n < MAX_ELEMS + 4);
			got[n++] = elem_tok(e, f->esz);
			continue;
		}
		CHECK("R5", r == -EAGAIN);
		if (done)
			break;
		usleep(100);
	}
	join(f->h.t);
	f->helper_on = false;
	for (uint64_t t = first; t <= last; t++)
		want[nw++] = t;
	expect_seq("peer's and buffered elements", got, n, want, nw);
	if (f->h.op != H_LATE_SEND || f->h.sent)
		CHECK_EQ("R5", f->h.ret, 0);
	if (f->h.op == H_LATE_SEND)
		CHECK_EQ("R5", f->h.sent, n > 0 && got[n - 1] == f->h.tok);
}

/* A receiving peer that the call did not serve gets a sentinel instead. */
#define SENTINEL	999999

static void release_receiver(struct fx *f, bool served, uint64_t tok)
{
	uint8_t e[BIG];

	if (!served) {
		elem_fill(e, f->esz, SENTINEL);
		CHECK_EQ("R5", xfer(f->h.fd, CHAN_IOC_SEND, e, true), 0);
	}
	join(f->h.t);
	f->helper_on = false;
	CHECK_EQ("R5", f->h.ret, 1);
	CHECK_EQ("R5", f->h.got, served ? tok : SENTINEL);
}

static void expect_info_unchanged(int fd, const struct chan_info *before)
{
	struct chan_info now = chan_info_of(fd);

	CHECK_EQ("L1", now.len, before->len);
	CHECK_EQ("L1", now.closed, before->closed);
	CHECK_EQ("L1", now.send_waiters, before->send_waiters);
	CHECK_EQ("L1", now.recv_waiters, before->recv_waiters);
	CHECK_EQ("L1", now.cap, before->cap);
	CHECK_EQ("L1", now.elem_size, before->elem_size);
	CHECK_EQ("L1", now.id, before->id);
}

/* ---- The cases: setup, the call (the only code under fail-nth), check. */

/* QUERY on /dev/chan. */
static void s_dev(struct fx *f)
{
	f->dev = chan_dev_open();
}

static long c_query(struct fx *f)
{
	return sysret(ioctl(f->dev, CHAN_IOC_QUERY, f->buf));
}

static void k_query(struct fx *f, long ret)
{
	struct chan_query *q = (void *)f->buf;

	if (ret == 0) {
		CHECK_EQ("L1", q->version, CHAN_API_VERSION);
		CHECK_EQ("L1", q->max_elem_size, CHAN_MAX_ELEM_SIZE);
	} else {
		CHECK_EQ("L2", ret, -EFAULT);
	}
}

/* CREATE: arg[0] x arg[1] elements. */
static long c_create(struct fx *f)
{
	struct chan_create *c = (void *)f->buf;

	memset(c, 0, sizeof(*c));
	c->elem_size = f->arg[0];
	c->cap = f->arg[1];
	c->flags = f->arg[2];
	return sysret(ioctl(f->dev, CHAN_IOC_CREATE, c));
}

static void k_create(struct fx *f, long ret)
{
	struct chan_create *c = (void *)f->buf;
	struct chan_info info;

	if (ret < 0)
		return;	/* the runner checks that no fd was left behind */
	CHECK_EQ("L1", c->fd, ret);
	info = chan_info_of(ret);
	CHECK_EQ("C1", info.elem_size, f->arg[0]);
	CHECK_EQ("C1", info.cap, f->arg[1]);
	CHECK_EQ("C1", info.len, 0);
	f->ch3 = ret;
}

/* DUP a receive-only fd. */
static void s_one(struct fx *f)
{
	f->ch = mkchan(f->esz, 4);
	put(f->ch, f->esz, 1, 1);
}

static long c_dup(struct fx *f)
{
	struct chan_dup *d = (void *)f->buf;

	memset(d, 0, sizeof(*d));
	d->mode = CHAN_MODE_RECV;
	return sysret(ioctl(f->ch, CHAN_IOC_DUP, d));
}

static void k_dup(struct fx *f, long ret)
{
	struct chan_info info;

	if (ret >= 0) {
		info = chan_info_of(ret);
		CHECK_EQ("C3", info.mode, CHAN_MODE_RECV);
		CHECK_EQ("C3", info.id, f->before.id);
		f->ch3 = ret;
	}
	expect_info_unchanged(f->ch, &f->before);
	expect_range(f->ch, f->esz, 1, 1);
}

/* CLOSE a channel holding one element. */
static long c_close(struct fx *f)
{
	return sysret(ioctl(f->ch, CHAN_IOC_CLOSE));
}

static void k_close(struct fx *f, long ret)
{
	if (ret < 0)
		expect_info_unchanged(f->ch, &f->before);
	else
		CHECK_EQ("K1", chan_info_of(f->ch).closed, 1);
	expect_range(f->ch, f->esz, 1, 1);
}

/* INFO. */
static long c_info(struct fx *f)
{
	return sysret(ioctl(f->ch, CHAN_IOC_INFO, f->buf));
}

static void k_info(struct fx *f, long ret)
{
	struct chan_info *i = (void *)f->buf;

	if (ret < 0) {
		CHECK_EQ("L2", ret, -EFAULT);
	} else {
		CHECK_EQ("P4", i->id, f->before.id);
		CHECK_EQ("P4", i->len, 1);
	}
	expect_info_unchanged(f->ch, &f->before);
	expect_range(f->ch, f->esz, 1, 1);
}

/* SEND without blocking into a buffer that holds element 1. */
static long c_send_nb(struct fx *f)
{
	return xfer(f->ch, CHAN_IOC_SEND, f->buf, false);
}

static void s_send_nb(struct fx *f)
{
	s_one(f);
	elem_fill(f->buf, f->esz, 2);
}

static void k_send_nb(struct fx *f, long ret)
{
	if (ret < 0)
		expect_info_unchanged(f->ch, &f->before);
	expect_range(f->ch, f->esz, 1, ret == 0 ? 2 : 1);
}

/* SEND, blocking, to a receiver blocked on an unbuffered channel. */
static void s_send_waiting(struct fx *f)
{
	f->ch = mkchan(f->esz, 0);
	f->helper_on = true;
	helper_start(&f->h, H_RECV, f->ch, -1, f->esz, 0);
	elem_fill(f->buf, f->esz, 7);
}

static long c_send_block(struct fx *f)
{
	return xfer(f->ch, CHAN_IOC_SEND, f->buf, true);
}

static void k_send_waiting(struct fx *f, long ret)
{
	if (ret < 0)
		expect_info_unchanged(f->ch, &f->before);
	release_receiver(f, ret == 0, 7);
}

/* RECV without blocking from a buffer holding 1, 2. */
static void s_two(struct fx *f)
{
	f->ch = mkchan(f->esz, 4);
	put(f->ch, f->esz, 1, 2);
}

static long c_recv_nb(struct fx *f)
{
	return xfer(f->ch, CHAN_IOC_RECV, f->buf, false);
}

static void k_recv_nb(struct fx *f, long ret)
{
	if (ret == 1) {
		CHECK_EQ("R1", elem_tok(f->buf, f->esz), 1);
		expect_range(f->ch, f->esz, 2, 2);
	} else {
		expect_info_unchanged(f->ch, &f->before);
		expect_range(f->ch, f->esz, 1, 2);
	}
}

/*
 * RECV from a channel with a blocked sender: arg[0] is the capacity, full
 * with 1..cap; the peer sends cap + 1 (H_SEND), or from a select
 * (H_SEL_SEND).  A plain sender is held back by a failed receive, so the
 * state is unchanged; a select sender is not (the known limitation).
 */
static void s_recv_sender(struct fx *f)
{
	unsigned int cap = f->arg[0];

	f->ch = mkchan(f->esz, cap);
	f->ch2 = mkchan(f->esz, 0);
	put(f->ch, f->esz, 1, cap);
	f->helper_on = true;
	helper_start(&f->h, f->arg[1], f->ch, f->ch2, f->esz, cap + 1);
}

static void k_recv_sender(struct fx *f, long ret)
{
	uint64_t have = 0;

	if (ret == 1)
		have = elem_tok(f->buf, f->esz);
	else if (f->arg[1] == H_SEND)
		expect_info_unchanged(f->ch, &f->before);
	collect(f, &have, ret == 1, 1, f->arg[0] + 1);
}

/* RECV that sleeps and is handed element 5 (H_LATE_SEND). */
static void s_recv_late(struct fx *f)
{
	f->ch = mkchan(f->esz, f->arg[0]);
	f->helper_on = true;
	helper_start(&f->h, H_LATE_SEND, f->ch, -1, f->esz, 5);
}

static long c_recv_block(struct fx *f)
{
	long r = xfer(f->ch, CHAN_IOC_RECV, f->buf, true);

	f->h.stop = true;
	return r;
}

static void k_recv_late(struct fx *f, long ret)
{
	uint64_t have = 0;

	if (ret == 1)
		have = elem_tok(f->buf, f->esz);
	/* Element 5 exactly once if the peer sent it, else nothing. */
	collect(f, &have, ret == 1, 5, f->h.sent || ret == 1 ? 5 : 4);
}

/* read(2) of arg[0] elements from a buffer holding 1..arg[1]. */
static void s_read(struct fx *f)
{
	f->ch = mkchan(f->esz, f->arg[1]);
	put(f->ch, f->esz, 1, f->arg[1]);
}

static long c_read(struct fx *f)
{
	return sysret(read(f->ch, iobuf, f->arg[0] * f->esz));
}

static void k_read(struct fx *f, long ret)
{
	long n = ret > 0 ? ret / (long)f->esz : 0;

	if (ret > 0) {
		CHECK_EQ("P2", ret % f->esz, 0);
		CHECK("P2", n >= 1 && n <= (long)f->arg[0]);
		for (long i = 0; i < n; i++)
			CHECK_EQ("R1", elem_tok(iobuf + i * f->esz, f->esz),
				 i + 1);
	} else {
		expect_info_unchanged(f->ch, &f->before);
	}
	expect_range(f->ch, f->esz, n + 1, f->arg[1]);
}

/* read(2) of a full channel of 2 with a sender of 3 blocked behind it. */
static long c_read2(struct fx *f)
{
	return sysret(read(f->ch, iobuf, 2 * f->esz));
}

static void k_read_sender(struct fx *f, long ret)
{
	uint64_t have[2];
	long n = ret > 0 ? ret / (long)f->esz : 0;

	for (long i = 0; i < n; i++)
		have[i] = elem_tok(iobuf + i * f->esz, f->esz);
	if (ret < 0)
		expect_info_unchanged(f->ch, &f->before);
	collect(f, have, n, 1, 3);
}

/*
 * write(2) of arg[0] elements 2.. into a buffer of arg[1] holding 1; big
 * elements go in several rounds, so a fault in a later round gives a short
 * count: what it reports must be exactly what was sent (P3).
 */
static void s_write(struct fx *f)
{
	f->ch = mkchan(f->esz, f->arg[1]);
	put(f->ch, f->esz, 1, 1);
	for (uint64_t i = 0; i < f->arg[0]; i++)
		elem_fill(iobuf + i * f->esz, f->esz, i + 2);
}

static long c_write(struct fx *f)
{
	return sysret(write(f->ch, iobuf, f->arg[0] * f->esz));
}

static void k_write(struct fx *f, long ret)
{
	long n = ret > 0 ? ret / (long)f->esz : 0;

	if (ret > 0) {
		CHECK_EQ("P3", ret % f->esz, 0);
		CHECK("P3", n >= 1 && n <= (long)f->arg[0]);
	} else {
		expect_info_unchanged(f->ch, &f->before);
	}
	expect_range(f->ch, f->esz, 1, n + 1);
}

/* write(2) of one element to a receiver blocked on an unbuffered channel. */
static long c_write1(struct fx *f)
{
	return sysret(write(f->ch, f->buf, f->esz));
}

static void k_write_waiting(struct fx *f, long ret)
{
	if (ret < 0)
		expect_info_unchanged(f->ch, &f->before);
	else
		CHECK_EQ("P3", ret, f->esz);
	release_receiver(f, ret > 0, 7);
}

/*
 * SELECT without blocking, three cases, one ready: receive on empty ch
 * (not ready), receive on ch2 holding 1, 2 (ready), send on full ch3 (not
 * ready).  arg[0]: 1 to call it on /dev/chan, else on ch.
 */
static struct chan_select_case selcases[3];
static struct chan_select selarg;

static void s_sel3(struct fx *f)
{
	f->dev = chan_dev_open();
	f->ch = mkchan(f->esz, 2);
	f->ch2 = mkchan(f->esz, 2);
	f->ch3 = mkchan(f->esz, 1);
	put(f->ch2, f->esz, 1, 2);
	put(f->ch3, f->esz, 10, 10);
	elem_fill(iobuf + 2 * f->esz, f->esz, 20);
	selcases[0] = (struct chan_select_case){ f->ch, CHAN_SELECT_RECV,
						 (uintptr_t)iobuf, 0 };
	selcases[1] = (struct chan_select_case){ f->ch2, CHAN_SELECT_RECV,
						 (uintptr_t)(iobuf + f->esz), 0 };
	selcases[2] = (struct chan_select_case){ f->ch3, CHAN_SELECT_SEND,
						 (uintptr_t)(iobuf + 2 * f->esz), 0 };
	memset(&selarg, 0, sizeof(selarg));
	/*
	 * As the uapi asks: a send that went through returns its index even
	 * if the struct cannot be written back, and leaves ok as it was.
	 */
	selarg.ok = 1;
	selarg.cases = (uintptr_t)selcases;
	selarg.ncases = 3;
	selarg.flags = CHAN_XFER_NONBLOCK;
}

static long c_select(struct fx *f)
{
	return sysret(ioctl(f->arg[0] ? f->dev : f->ch, CHAN_IOC_SELECT,
			    &selarg));
}

static void k_sel3(struct fx *f, long ret)
{
	struct chan_info b2;

	if (ret >= 0) {
		CHECK_EQ("X2", ret, 1);
		CHECK_EQ("X2", selarg.index, 1);
		CHECK_EQ("X2", selarg.ok, 1);
		CHECK_EQ("X2", elem_tok(iobuf + f->esz, f->esz), 1);
		expect_range(f->ch2, f->esz, 2, 2);
	} else {
		b2 = chan_info_of(f->ch2);
		CHECK_EQ("X2", b2.len, 2);
		expect_range(f->ch2, f->esz, 1, 2);
	}
	expect_info_unchanged(f->ch, &f->before);
	expect_range(f->ch, f->esz, 1, 0);
	expect_range(f->ch3, f->esz, 10, 10);
}

/* SELECT without blocking: send 20 on ch2 (room) or receive on empty ch. */
static void s_sel_send(struct fx *f)
{
	s_sel3(f);
	expect_range(f->ch2, f->esz, 1, 2);	/* empty it */
	selcases[1] = (struct chan_select_case){ f->ch2, CHAN_SELECT_SEND,
						 (uintptr_t)(iobuf + 2 * f->esz), 0 };
	selarg.ncases = 2;
}

static void k_sel_send(struct fx *f, long ret)
{
	if (ret >= 0) {
		CHECK_EQ("X2", ret, 1);
		CHECK_EQ("X2", selarg.ok, 1);
	}
	expect_info_unchanged(f->ch, &f->before);
	expect_range(f->ch2, f->esz, 20, ret >= 0 ? 20 : 19);
	expect_range(f->ch, f->esz, 1, 0);
}

/*
 * SELECT that blocks on two empty unbuffered channels and is handed
 * element 5 on the second one while asleep (H_LATE_SEND).
 */
static void s_sel_late(struct fx *f)
{
	f->ch = mkchan(f->esz, 0);
	f->ch2 = mkchan(f->esz, 0);
	selcases[0] = (struct chan_select_case){ f->ch, CHAN_SELECT_RECV,
						 (uintptr_t)iobuf, 0 };
	selcases[1] = (struct chan_select_case){ f->ch2, CHAN_SELECT_RECV,
						 (uintptr_t)(iobuf + f->esz), 0 };
	memset(&selarg, 0, sizeof(selarg));
	/*
	 * As the uapi asks: a send that went through returns its index even
	 * if the struct cannot be written back, and leaves ok as it was.
	 */
	selarg.ok = 1;
	selarg.cases = (uintptr_t)selcases;
	selarg.ncases = 2;
	selarg.flags = CHAN_XFER_DEADLINE;
	selarg.deadline_ns = now_ns() + BLOCK_NS;
	f->helper_on = true;
	helper_start(&f->h, H_LATE_SEND, f->ch2, -1, f->esz, 5);
}

static long c_select_block(struct fx *f)
{
	long r = sysret(ioctl(f->ch, CHAN_IOC_SELECT, &selarg));

	f->h.stop = true;
	return r;
}

static void k_sel_late(struct fx *f, long ret)
{
	uint64_t have = 0;

	if (ret >= 0) {
		CHECK_EQ("X6", ret, 1);
		CHECK_EQ("X6", selarg.ok, 1);
		have = elem_tok(iobuf + f->esz, f->esz);
	}
	collect(f, &have, ret >= 0, 5, f->h.sent || ret >= 0 ? 5 : 4);
	expect_range(f->ch, f->esz, 1, 0);
}

/*
 * SELECT, blocking, whose send case meets a receiver blocked on an
 * unbuffered channel at once; its other case receives on an empty one.
 */
static void s_sel_waiting(struct fx *f)
{
	s_send_waiting(f);
	f->ch2 = mkchan(f->esz, 1);
	selcases[0] = (struct chan_select_case){ f->ch2, CHAN_SELECT_RECV,
						 (uintptr_t)iobuf, 0 };
	selcases[1] = (struct chan_select_case){ f->ch, CHAN_SELECT_SEND,
						 (uintptr_t)f->buf, 0 };
	memset(&selarg, 0, sizeof(selarg));
	/*
	 * As the uapi asks: a send that went through returns its index even
	 * if the struct cannot be written back, and leaves ok as it was.
	 */
	selarg.ok = 1;
	selarg.cases = (uintptr_t)selcases;
	selarg.ncases = 2;
	selarg.flags = CHAN_XFER_DEADLINE;
	selarg.deadline_ns = now_ns() + BLOCK_NS;
}

static long c_select_plain(struct fx *f)
{
	return sysret(ioctl(f->ch, CHAN_IOC_SELECT, &selarg));
}

static void k_sel_waiting(struct fx *f, long ret)
{
	if (ret >= 0) {
		CHECK_EQ("X6", ret, 1);
		CHECK_EQ("X6", selarg.ok, 1);
	} else {
		expect_info_unchanged(f->ch, &f->before);
	}
	release_receiver(f, ret >= 0, 7);
	expect_range(f->ch2, f->esz, 1, 0);
}

struct fcase {
	const char *ioctl;	/* what the totals are grouped by */
	const char *name;
	size_t esz;
	uint64_t arg[4];
	void (*setup)(struct fx *f);
	long (*call)(struct fx *f);
	void (*check)(struct fx *f, long ret);
};

static const struct fcase cases[] = {
	{ "QUERY", "QUERY", 8, {}, s_dev, c_query, k_query },
	{ "CREATE", "CREATE 8 x 4", 8, { 8, 4 }, s_dev, c_create, k_create },
	{ "CREATE", "CREATE unbuffered, NONBLOCK|INHERIT", 8,
	  { 8, 0, CHAN_FD_NONBLOCK | CHAN_FD_INHERIT }, s_dev, c_create,
	  k_create },
	{ "CREATE", "CREATE 64 KiB x 16 (vmalloc)", 8, { BIG, 16 }, s_dev,
	  c_create, k_create },
	{ "SELECT", "SELECT on /dev/chan, nonblocking, 1 of 3 ready", 256,
	  { 1 }, s_sel3, c_select, k_sel3 },
	{ "SELECT", "SELECT on a channel fd, nonblocking, 1 of 3 ready", 8,
	  { 0 }, s_sel3, c_select, k_sel3 },
	{ "SELECT", "SELECT nonblocking, a send case ready", 256, { 0 },
	  s_sel_send, c_select, k_sel_send },
	{ "SELECT", "SELECT blocking, handed an element asleep", 8, {},
	  s_sel_late, c_select_block, k_sel_late },
	{ "SELECT", "SELECT blocking, handed an element asleep, 256 B", 256,
	  {}, s_sel_late, c_select_block, k_sel_late },
	{ "SELECT", "SELECT blocking, send to a waiting receiver", 256, {},
	  s_sel_waiting, c_select_plain, k_sel_waiting },
	{ "DUP", "DUP receive-only", 8, {}, s_one, c_dup, k_dup },
	{ "SEND", "SEND nonblocking, buffered, 8 B", 8, {}, s_send_nb,
	  c_send_nb, k_send_nb },
	{ "SEND", "SEND nonblocking, buffered, 256 B", 256, {}, s_send_nb,
	  c_send_nb, k_send_nb },
	{ "SEND", "SEND nonblocking, buffered, 64 KiB", BIG, {}, s_send_nb,
	  c_send_nb, k_send_nb },
	{ "SEND", "SEND blocking, buffered with room", 256, {}, s_send_nb,
	  c_send_block, k_send_nb },
	{ "SEND", "SEND blocking to a waiting receiver, unbuffered", 8, {},
	  s_send_waiting, c_send_block, k_send_waiting },
	{ "SEND", "SEND blocking to a waiting receiver, 256 B", 256, {},
	  s_send_waiting, c_send_block, k_send_waiting },
	{ "RECV", "RECV nonblocking, buffered, 8 B", 8, {}, s_two, c_recv_nb,
	  k_recv_nb },
	{ "RECV", "RECV nonblocking, buffered, 256 B", 256, {}, s_two,
	  c_recv_nb, k_recv_nb },
	{ "RECV", "RECV blocking, buffered", 256, {}, s_two, c_recv_block,
	  k_recv_nb },
	{ "RECV", "RECV from a full buffer with a blocked sender, 8 B", 8,
	  { 2, H_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV from a full buffer with a blocked sender, 256 B", 256,
	  { 2, H_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV unbuffered from a blocked sender, 8 B", 8,
	  { 0, H_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV unbuffered from a blocked sender, 256 B", 256,
	  { 0, H_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV unbuffered from a select sender, 8 B", 8,
	  { 0, H_SEL_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV unbuffered from a select sender, 256 B", 256,
	  { 0, H_SEL_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV from a full buffer with a select sender", 8,
	  { 1, H_SEL_SEND }, s_recv_sender, c_recv_nb, k_recv_sender },
	{ "RECV", "RECV blocking, handed an element asleep, 8 B", 8, { 0 },
	  s_recv_late, c_recv_block, k_recv_late },
	{ "RECV", "RECV blocking, handed an element asleep, 256 B", 256,
	  { 0 }, s_recv_late, c_recv_block, k_recv_late },
	{ "RECV", "RECV blocking on an empty buffer, handed an element", 8,
	  { 2 }, s_recv_late, c_recv_block, k_recv_late },
	{ "CLOSE", "CLOSE", 8, {}, s_one, c_close, k_close },
	{ "INFO", "INFO", 8, {}, s_one, c_info, k_info },
	{ "read", "read 3 of 5, 8 B", 8, { 3, 5 }, s_read, c_read, k_read },
	{ "read", "read 64 x 256 B (16 KiB batch)", 256, { 64, 64 }, s_read,
	  c_read, k_read },
	{ "read", "read with a blocked sender", 8, { 2, H_SEND },
	  s_recv_sender, c_read2, k_read_sender },
	{ "write", "write 3, 8 B", 8, { 3, 8 }, s_write, c_write, k_write },
	{ "write", "write 3 x 64 KiB (three rounds)", BIG, { 3, 4 }, s_write,
	  c_write, k_write },
	{ "write", "write to a waiting receiver", 8, {}, s_send_waiting,
	  c_write1, k_write_waiting },
};

static void fx_teardown(struct fx *f)
{
	if (f->helper_on) {
		f->h.stop = true;
		join(f->h.t);
	}
	if (f->dev >= 0)
		close(f->dev);
	if (f->ch >= 0)
		close(f->ch);
	if (f->ch2 >= 0)
		close(f->ch2);
	if (f->ch3 >= 0)
		close(f->ch3);
}

struct total {
	const char *ioctl;
	unsigned long points, absorbed;
};

static struct total totals[16];

static void add_total(const char *ioctl, unsigned int points,
		      unsigned int absorbed)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(totals) && totals[i].ioctl; i++)
		if (!strcmp(totals[i].ioctl, ioctl))
			break;
	CHECK("L1", i < ARRAY_SIZE(totals));
	totals[i].ioctl = ioctl;
	totals[i].points += points;
	totals[i].absorbed += absorbed;
}

/* Fail each fault point of one case in turn; returns how many there were. */
static unsigned int run_case(const struct fcase *c)
{
	static uint8_t callbuf[BIG] __attribute__((aligned(64)));
	unsigned int n, absorbed = 0;
	char step[160];

	snprintf(step, sizeof(step), "%s", c->name);
	STEP(step);
	for (n = 1; n <= MAX_POINTS; n++) {
		struct fx f = { .esz = c->esz, .dev = -1, .ch = -1,
				.ch2 = -1, .ch3 = -1, .buf = callbuf };
		int fds = count_fds();
		bool injected;
		long ret;

		memcpy(f.arg, c->arg, sizeof(f.arg));
		c->setup(&f);
		if (f.ch >= 0)
			f.before = chan_info_of(f.ch);
		nth_arm(n);
		ret = c->call(&f);
		injected = nth_injected();
		if (!injected && ret < 0)
			check_fail(__FILE__, __LINE__, "L1",
				   "%s: no fault injected at point %u, yet %ld %s",
				   c->name, n, ret, check_errname(ret));
		if (ret < 0 && ret != -ENOMEM && ret != -EFAULT)
			check_fail(__FILE__, __LINE__, "L1",
				   "%s: fault point %u: %ld %s, want ENOMEM or EFAULT",
				   c->name, n, ret, check_errname(ret));
		if (injected && ret >= 0)
			absorbed++;
		c->check(&f, ret);
		fx_teardown(&f);
		CHECK_EQ("L1", count_fds(), fds);
		if (!injected)
			break;
	}
	if (n > MAX_POINTS)
		check_fail(__FILE__, __LINE__, "L1", "%s: over %d fault points",
			   c->name, MAX_POINTS);
	fprintf(stderr, "fail_nth: %-55s %3u fault points (%u absorbed)\n",
		c->name, n - 1, absorbed);
	add_total(c->ioctl, n - 1, absorbed);
	return n - 1;
}

/* How many channels of the largest buffer fit into this user's budget. */
static int budget_fit(void)
{
	static int fds[BUDGET_MAX];
	struct chan_query q = chan_query_limits();
	size_t cap = q.max_buffer_bytes / BIG;
	int n = 0, r;

	if (cap > q.max_cap)
		cap = q.max_cap;
	for (;;) {
		r = chan_make(BIG, cap, 0);
		if (r < 0)
			break;
		CHECK("L1", n < BUDGET_MAX);
		fds[n++] = r;
	}
	CHECK_EQ("L1", r, -EMFILE);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	return n;
}

int main(void)
{
	const char *only = getenv("FAIL_NTH_ONLY");
	const char *skip = getenv("FAIL_NTH_SKIP");
	unsigned long total = 0;
	int fit;

	test_start("L1 L2 R5", "fail-nth at every fault point of every call", 600);
	if (access(FAIL_NTH, F_OK) < 0 ||
	    access(DEBUGFS "failslab", F_OK) < 0 ||
	    access(DEBUGFS "fail_page_alloc", F_OK) < 0 ||
	    access(DEBUGFS "fail_usercopy", F_OK) < 0) {
		fprintf(stderr, "fail_nth: SKIP: no fail-nth, failslab, fail_page_alloc or fail_usercopy (not the debug kernel?)\n");
		return EXIT_SKIP;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "fail_nth: SKIP: needs root for debugfs\n");
		return EXIT_SKIP;
	}
	raise_nofile(BUDGET_MAX + 100);
	STEP("budget before");
	fit = budget_fit();

	CHECK_SYS("L1", mlockall(MCL_CURRENT | MCL_FUTURE));
	nth_fd = CHECK_SYS("L1", open(FAIL_NTH, O_RDWR | O_CLOEXEC));
	knobs_set();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		if (only && !strstr(cases[i].name, only))
			continue;
		if (skip && *skip && strstr(cases[i].name, skip))
			continue;
		total += run_case(&cases[i]);
	}
	knobs_restore();
	close(nth_fd);
	munlockall();

	STEP("budget after");
	CHECK_EQ("L1", budget_fit(), fit);

	for (size_t i = 0; i < ARRAY_SIZE(totals) && totals[i].ioctl; i++)
		fprintf(stderr, "fail_nth: %-6s %5lu fault points injected (%lu absorbed)\n",
			totals[i].ioctl, totals[i].points, totals[i].absorbed);
	fprintf(stderr, "fail_nth: %lu fault points injected in total, in %zu cases; %d channels of the largest buffer fit the budget before and after\n",
		total, ARRAY_SIZE(cases), fit);
	test_pass();
}
