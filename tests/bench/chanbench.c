// SPDX-License-Identifier: GPL-2.0
/*
 * chanbench: chan against the kernel and userspace peers it replaces, in the
 * VM (it needs /dev/chan).  One workload per call:
 *
 *   chanbench [-r REPS] pingpong   round trips, 2 processes and 2 threads,
 *                                  on one CPU and free on two: chan, pipe,
 *                                  eventfd, futex, socketpair, POSIX mq,
 *                                  condvar channel
 *   chanbench [-r REPS] spsc       one producer, one consumer, capacity 1024,
 *                                  8- and 256-byte elements: chan per call,
 *                                  chan in batches of 64 (write/read), pipe,
 *                                  POSIX mq, condvar channel, ring channel,
 *                                  and the bare shared-memory queue that is
 *                                  the ring's physical limit (shmq.h); then
 *                                  the ring's ioctls per element (root,
 *                                  tracefs: raw_syscalls)
 *   chanbench [-r REPS] mpmc       4 producers, 4 consumers, one channel of
 *                                  capacity 1024: chan, condvar channel,
 *                                  ring channel; then the ring's ioctls
 *   chanbench [-r REPS] select     one ready channel among K = 1..1024:
 *                                  chan_select, epoll_wait over K eventfds +
 *                                  read, and a plain chan_recv for scale
 *   chanbench [-r REPS] trace      the cost of a send, with the chan
 *                                  tracepoints off and on (O1; root, for
 *                                  tracefs): chan, chan_traced
 *   chanbench [-r REPS] set        the same with a select set of the K
 *                                  cases (chan_set_wait) beside them, and
 *                                  what adding and removing a case costs
 *
 * Each repetition runs every peer once, interleaved, after one warm-up pass;
 * each measurement prints a "sample" line (see bench.h).  Every measurement
 * checks the element count and a checksum of what arrived and exits 1 on a
 * mismatch.  BENCH_QUICK=1 runs tiny counts; BENCH_SCALE=F scales them.
 */
#include "bench.h"		/* first: it defines _GNU_SOURCE */
#include "cvchan.h"
#include "shmq.h"

#include <linux/futex.h>
#include <mqueue.h>
#include <stdatomic.h>
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>

static int reps = 1;
static char tracing[64];	/* tracefs, once trace_find() found it */

/* ---- One direction of a ping-pong: carries one uint64_t at a time ---- */

enum impl { I_CHAN, I_PIPE, I_EVENTFD, I_FUTEX, I_SOCKET, I_MQ, I_CONDVAR,
	    I_CHAN_BATCH, I_CHAN_RING, I_SHMQ, I_NR };

static const char *const impl_name[I_NR] = {
	[I_CHAN] = "chan", [I_PIPE] = "pipe", [I_EVENTFD] = "eventfd",
	[I_FUTEX] = "futex", [I_SOCKET] = "socketpair", [I_MQ] = "mq",
	[I_CONDVAR] = "condvar", [I_CHAN_BATCH] = "chan_batch64",
	[I_CHAN_RING] = "chan_ring", [I_SHMQ] = "shm_queue",
};

/* A one-element mailbox on a futex: state 0 empty, 1 full. */
struct fxslot {
	_Atomic uint32_t state;
	uint64_t val;
};

struct link {
	enum impl kind;
	int send_fd, recv_fd;
	struct fxslot *fx;
	struct cvchan *cv;
	int futex_flags;	/* FUTEX_PRIVATE_FLAG between threads only */
};

static int mq_seq;

/* A POSIX message queue, unlinked at once: the descriptor keeps it. */
static mqd_t bench_mq(long maxmsg, long msgsize)
{
	struct mq_attr attr = { .mq_maxmsg = maxmsg, .mq_msgsize = msgsize };
	char name[64];
	mqd_t q;

	snprintf(name, sizeof(name), "/chanbench-%d-%d", (int)getpid(),
		 mq_seq++);
	q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr);
	if (q == (mqd_t)-1)
		check_fail(__FILE__, __LINE__, "bench",
			   "mq_open(maxmsg %ld, msgsize %ld): %s", maxmsg,
			   msgsize, strerrorname_np(errno));
	mq_unlink(name);
	return q;
}

/* Both links of a ping-pong of @kind; shared memory if @procs. */
static void link_pair(enum impl kind, bool procs, struct link l[2])
{
	int fds[2], i;

	for (i = 0; i < 2; i++) {
		memset(&l[i], 0, sizeof(l[i]));
		l[i].kind = kind;
		l[i].futex_flags = procs ? 0 : FUTEX_PRIVATE_FLAG;
	}
	switch (kind) {
	case I_CHAN:
		for (i = 0; i < 2; i++)
			l[i].send_fd = l[i].recv_fd =
				CHECK_OK("pingpong", chan_make(8, 0, 0));
		break;
	case I_CHAN_RING:
		/* A ring is buffered: capacity 1, as close to a hand-off as it gets. */
		for (i = 0; i < 2; i++)
			l[i].send_fd = l[i].recv_fd =
				CHECK_OK("pingpong", chan_make(8, 1, CHAN_RING));
		break;
	case I_PIPE:
		for (i = 0; i < 2; i++) {
			CHECK_SYS("pingpong", pipe(fds));
			l[i].recv_fd = fds[0];
			l[i].send_fd = fds[1];
		}
		break;
	case I_EVENTFD:
		for (i = 0; i < 2; i++)
			l[i].send_fd = l[i].recv_fd =
				CHECK_SYS("pingpong", eventfd(0, 0));
		break;
	case I_SOCKET:
		CHECK_SYS("pingpong", socketpair(AF_UNIX, SOCK_STREAM, 0, fds));
		l[0].send_fd = fds[0];
		l[0].recv_fd = fds[1];
		l[1].send_fd = fds[1];
		l[1].recv_fd = fds[0];
		break;
	case I_MQ:
		for (i = 0; i < 2; i++)
			l[i].send_fd = l[i].recv_fd = bench_mq(1, 8);
		break;
	case I_FUTEX:
		for (i = 0; i < 2; i++)
			l[i].fx = bench_shared(sizeof(*l[i].fx));
		break;
	case I_CONDVAR:
		for (i = 0; i < 2; i++)
			l[i].cv = cvchan_init(bench_shared(cvchan_size(8, 0)),
					      8, 0, procs);
		break;
	default:
		abort();
	}
}

static void link_free(struct link l[2])
{
	int i;

	for (i = 0; i < 2; i++) {
		if (l[i].fx)
			munmap(l[i].fx, sizeof(*l[i].fx));
		if (l[i].cv)
			munmap(l[i].cv, cvchan_size(8, 0));
	}
	if (l[0].kind == I_SOCKET) {
		close(l[0].send_fd);
		close(l[0].recv_fd);
		return;
	}
	for (i = 0; i < 2; i++) {
		if (l[i].fx || l[i].cv)
			continue;
		close(l[i].send_fd);
		if (l[i].recv_fd != l[i].send_fd)
			close(l[i].recv_fd);
	}
}

static void link_send(struct link *l, uint64_t v)
{
	switch (l->kind) {
	case I_CHAN:
	case I_CHAN_RING:
		CHECK_OK("pingpong", chan_send(l->send_fd, &v));
		break;
	case I_PIPE:
	case I_EVENTFD:
	case I_SOCKET:
		bench_write_full(l->send_fd, &v, 8);
		break;
	case I_MQ:
		CHECK_SYS("pingpong", mq_send(l->send_fd, (char *)&v, 8, 0));
		break;
	case I_FUTEX:
		/* Strict alternation: the slot is always empty here. */
		l->fx->val = v;
		atomic_store_explicit(&l->fx->state, 1, memory_order_release);
		syscall(SYS_futex, &l->fx->state, FUTEX_WAKE | l->futex_flags,
			1, NULL, NULL, 0);
		break;
	case I_CONDVAR:
		CHECK_EQ("pingpong", cvchan_send(l->cv, &v), 0);
		break;
	default:
		abort();
	}
}

static uint64_t link_recv(struct link *l)
{
	uint64_t v = 0;

	switch (l->kind) {
	case I_CHAN:
	case I_CHAN_RING:
		CHECK_EQ("pingpong", chan_recv(l->recv_fd, &v), 1);
		break;
	case I_PIPE:
	case I_EVENTFD:
	case I_SOCKET:
		bench_read_full(l->recv_fd, &v, 8);
		break;
	case I_MQ:
		CHECK_EQ("pingpong",
			 mq_receive(l->recv_fd, (char *)&v, 8, NULL), 8);
		break;
	case I_FUTEX:
		while (!atomic_load_explicit(&l->fx->state,
					     memory_order_acquire))
			syscall(SYS_futex, &l->fx->state,
				FUTEX_WAIT | l->futex_flags, 0, NULL, NULL, 0);
		v = l->fx->val;
		atomic_store_explicit(&l->fx->state, 0, memory_order_relaxed);
		break;
	case I_CONDVAR:
		CHECK_EQ("pingpong", cvchan_recv(l->cv, &v), 1);
		break;
	default:
		abort();
	}
	return v;
}

/* Ping-pong values: never 0 (an eventfd read would block) nor near 2^64. */
static uint64_t pp_val(long i)
{
	return (bench_val((uint64_t)i) >> 1) | 1;
}

struct pp_echo_arg {
	struct link *l;
	long n;
};

/* The other end: n + 1 round trips (one to start the clock on). */
static void *pp_echo(void *arg)
{
	struct pp_echo_arg *a = arg;
	long i;

	for (i = 0; i <= a->n; i++)
		link_send(&a->l[1], link_recv(&a->l[0]) + 1);
	return NULL;
}

static int64_t pingpong_once(enum impl kind, bool procs, long n)
{
	struct link l[2];
	struct pp_echo_arg arg = { l, n };
	uint64_t sum = 0, want = 0, v;
	pthread_t t = 0;
	pid_t pid = 0;
	int64_t t0, t1;
	long i;

	link_pair(kind, procs, l);
	if (procs) {
		pid = fork_child();
		if (!pid) {
			pp_echo(&arg);
			_exit(0);
		}
	} else {
		t = spawn(pp_echo, &arg);
	}
	/* The first round trip proves the peer runs; the clock starts after. */
	link_send(&l[0], 1);
	BENCH_VERIFY("pingpong", "first reply", link_recv(&l[1]), 2);
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		v = pp_val(i);
		link_send(&l[0], v);
		sum += link_recv(&l[1]);
		want += v + 1;
	}
	t1 = now_ns();
	if (procs)
		wait_child_ok("pingpong", pid);
	else
		join(t);
	BENCH_VERIFY("pingpong", "sum of replies", sum, want);
	link_free(l);
	return t1 - t0;
}

/*
 * Keep this thread, and so the peer it forks or spawns, on CPU 0, or let
 * them run anywhere again.
 */
static void pin_cpu0(bool pin)
{
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	if (pin) {
		CPU_SET(0, &set);
	} else {
		for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, &set);
	}
	CHECK_SYS("pingpong", sched_setaffinity(0, sizeof(set), &set));
}

/*
 * Four cases: processes and threads, both ends on one CPU and free to use
 * two.  On one CPU a round trip is the cost of the calls and two context
 * switches; across CPUs it adds two cross-CPU wake-ups, which under QEMU
 * without KVM cost whatever the host's scheduler makes them.
 */
static void bench_pingpong(void)
{
	static const enum impl impls[] = { I_CHAN, I_PIPE, I_EVENTFD, I_FUTEX,
					   I_SOCKET, I_MQ, I_CONDVAR,
					   I_CHAN_RING };
	static const char *const cases[] = { "procs-1cpu", "threads-1cpu",
					     "procs-2cpu", "threads-2cpu" };
	long n = bench_count(2000);
	int c, procs, r, i;
	char step[96];

	for (c = 0; c < (int)ARRAY_SIZE(cases); c++) {
		const char *cas = cases[c];

		procs = c % 2 == 0;
		pin_cpu0(c < 2);

		for (r = -1; r < reps; r++) {
			for (i = 0; i < (int)ARRAY_SIZE(impls); i++) {
				/* r == -1: the warm-up pass, not reported. */
				long cnt = r < 0 ? n / 10 : n;
				int64_t ns;

				snprintf(step, sizeof(step), "pingpong %s %s",
					 cas, impl_name[impls[i]]);
				STEP(step);
				ns = pingpong_once(impls[i], procs, cnt);
				if (r >= 0)
					bench_sample("pingpong", cas,
						     impl_name[impls[i]], ns,
						     cnt);
			}
		}
	}
	pin_cpu0(false);
}

/* ---- Queues: buffered channels and what stands in for them ---- */

#define QCAP	1024
#define BATCH	64

struct queue {
	enum impl kind;
	size_t esz;
	int rfd, wfd;		/* chan: both the channel; pipe; mq */
	struct cvchan *cv;
	struct shmq *shm;
};

static void queue_open(struct queue *q, enum impl kind, size_t esz)
{
	int fds[2];

	memset(q, 0, sizeof(*q));
	q->kind = kind;
	q->esz = esz;
	switch (kind) {
	case I_CHAN:
	case I_CHAN_BATCH:
		q->rfd = q->wfd = CHECK_OK("queue", chan_make(esz, QCAP, 0));
		break;
	case I_CHAN_RING:
		q->rfd = q->wfd = CHECK_OK("queue", chan_make(esz, QCAP,
							      CHAN_RING));
		break;
	case I_PIPE:
		CHECK_SYS("queue", pipe(fds));
		q->rfd = fds[0];
		q->wfd = fds[1];
		/* As much room as the channel has (rounded up to pages). */
		fcntl(q->wfd, F_SETPIPE_SZ, (int)(esz * QCAP));
		break;
	case I_MQ:
		/*
		 * A queue of 1024 messages needs CAP_SYS_RESOURCE past
		 * msg_max (10); the VM runs the benchmarks as root.
		 */
		q->rfd = q->wfd = bench_mq(QCAP, (long)esz);
		break;
	case I_CONDVAR:
		q->cv = cvchan_init(malloc(cvchan_size(esz, QCAP)), esz, QCAP,
				    false);
		break;
	case I_SHMQ:
		q->shm = shmq_init(aligned_alloc(64, shmq_size(esz, QCAP)),
				   esz, QCAP);
		break;
	default:
		abort();
	}
}

static void queue_close(struct queue *q)
{
	if (q->cv || q->shm) {
		free(q->cv);
		free(q->shm);
		return;
	}
	close(q->wfd);
	if (q->rfd != q->wfd)
		close(q->rfd);
}

/* Element i: its value first, its complement last, so torn copies show. */
static void elem_fill(unsigned char *e, size_t esz, uint64_t i)
{
	uint64_t v = bench_val(i), nv = ~v;

	memcpy(e, &v, 8);
	if (esz >= 16)
		memcpy(e + esz - 8, &nv, 8);
}

/* The value of a received element, after checking that it is whole. */
static uint64_t elem_take(const unsigned char *e, size_t esz)
{
	uint64_t v, nv;

	memcpy(&v, e, 8);
	if (esz >= 16) {
		memcpy(&nv, e + esz - 8, 8);
		BENCH_VERIFY("queue", "complement in the element's tail", nv,
			     ~v);
	}
	return v;
}

static void queue_send(struct queue *q, const void *e)
{
	switch (q->kind) {
	case I_CHAN:
	case I_CHAN_BATCH:
	case I_CHAN_RING:
		CHECK_OK("queue", chan_send(q->wfd, e));
		break;
	case I_PIPE:
		bench_write_full(q->wfd, e, q->esz);
		break;
	case I_MQ:
		CHECK_SYS("queue", mq_send(q->wfd, e, q->esz, 0));
		break;
	case I_CONDVAR:
		CHECK_EQ("queue", cvchan_send(q->cv, e), 0);
		break;
	case I_SHMQ:
		shmq_send(q->shm, e);
		break;
	default:
		abort();
	}
}

/* 1 with an element, 0 once closed (chan and condvar channel only). */
static int queue_recv(struct queue *q, void *e)
{
	switch (q->kind) {
	case I_CHAN:
	case I_CHAN_BATCH:
	case I_CHAN_RING:
		return (int)CHECK_OK("queue", chan_recv(q->rfd, e));
	case I_PIPE:
		bench_read_full(q->rfd, e, q->esz);
		return 1;
	case I_MQ:
		CHECK_EQ("queue", mq_receive(q->rfd, e, q->esz, NULL),
			 (long long)q->esz);
		return 1;
	case I_CONDVAR:
		return cvchan_recv(q->cv, e);
	case I_SHMQ:
		/* Single consumer only: it counts to n, and never sees a close. */
		shmq_recv(q->shm, e);
		return 1;
	default:
		abort();
	}
}

struct producer {
	struct queue *q;
	uint64_t first, n;		/* elements first .. first + n - 1 */
	pthread_barrier_t *start;
	int64_t t0;			/* when it started, by its own clock */
};

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct queue *q = p->q;
	unsigned char *buf = malloc(q->esz * BATCH);
	uint64_t i, j;

	pthread_barrier_wait(p->start);
	p->t0 = now_ns();
	if (q->kind == I_CHAN_BATCH) {
		for (i = 0; i < p->n; i += BATCH) {
			for (j = 0; j < BATCH; j++)
				elem_fill(buf + j * q->esz, q->esz,
					  p->first + i + j);
			bench_write_full(q->wfd, buf, q->esz * BATCH);
		}
	} else {
		for (i = 0; i < p->n; i++) {
			elem_fill(buf, q->esz, p->first + i);
			queue_send(q, buf);
		}
	}
	free(buf);
	return NULL;
}

struct consumer {
	struct queue *q;
	uint64_t limit;		/* stop after this many; 0: at close */
	uint64_t count, sum;
	pthread_barrier_t *start;
	int64_t t0;
};

static void *consume(void *arg)
{
	struct consumer *c = arg;
	struct queue *q = c->q;
	unsigned char *buf = malloc(q->esz * BATCH);
	ssize_t r;
	size_t j;

	pthread_barrier_wait(c->start);
	c->t0 = now_ns();
	while (!c->limit || c->count < c->limit) {
		if (q->kind == I_CHAN_BATCH) {
			r = read(q->rfd, buf, q->esz * BATCH);
			if (r < 0 && errno == EINTR)
				continue;
			CHECK("queue", r >= 0);
			if (!r)
				break;
			/* P2: whole elements only. */
			BENCH_VERIFY("queue", "read(2) remainder",
				     (size_t)r % q->esz, 0);
			for (j = 0; j < (size_t)r / q->esz; j++)
				c->sum += elem_take(buf + j * q->esz, q->esz);
			c->count += (size_t)r / q->esz;
		} else {
			if (!queue_recv(q, buf))
				break;
			c->sum += elem_take(buf, q->esz);
			c->count++;
		}
	}
	free(buf);
	return NULL;
}

/* np producers, nc consumers, n elements in all; ns from start to the end. */
static int64_t queue_once(enum impl kind, size_t esz, int np, int nc,
			  uint64_t n)
{
	struct producer prod[8];
	struct consumer cons[8];
	pthread_t pt[8], ct[8];
	pthread_barrier_t start;
	uint64_t count = 0, sum = 0;
	struct queue q;
	int64_t t0, t1;
	int i;

	queue_open(&q, kind, esz);
	pthread_barrier_init(&start, NULL, (unsigned int)(np + nc + 1));
	for (i = 0; i < nc; i++) {
		/* One consumer counts to n; several stop at close. */
		cons[i] = (struct consumer){ &q, nc == 1 ? n : 0, 0, 0,
					     &start, 0 };
		ct[i] = spawn(consume, &cons[i]);
	}
	for (i = 0; i < np; i++) {
		prod[i] = (struct producer){ &q, n / np * i, n / np, &start,
					     0 };
		pt[i] = spawn(produce, &prod[i]);
	}
	pthread_barrier_wait(&start);
	for (i = 0; i < np; i++)
		join(pt[i]);
	if (nc > 1) {
		if (kind == I_CONDVAR)
			cvchan_close(q.cv);
		else
			CHECK_OK("queue", chan_close(q.wfd));
	}
	for (i = 0; i < nc; i++)
		join(ct[i]);
	t1 = now_ns();
	/*
	 * From the first thread's start: this thread may run late after the
	 * barrier, the others not.
	 */
	t0 = prod[0].t0;
	for (i = 0; i < np; i++)
		t0 = prod[i].t0 < t0 ? prod[i].t0 : t0;
	for (i = 0; i < nc; i++) {
		t0 = cons[i].t0 < t0 ? cons[i].t0 : t0;
		count += cons[i].count;
		sum += cons[i].sum;
	}
	BENCH_VERIFY("queue", "elements received", count, n);
	BENCH_VERIFY("queue", "checksum", sum, bench_sum(n));
	pthread_barrier_destroy(&start);
	queue_close(&q);
	return t1 - t0;
}

static void bench_queues(const char *workload, const enum impl *impls,
			 int nimpl, const size_t *sizes, int nsizes, int np,
			 int nc, long n)
{
	char cas[32], step[96];
	int s, r, i;

	for (s = 0; s < nsizes; s++) {
		snprintf(cas, sizeof(cas), "%zuB", sizes[s]);
		for (r = -1; r < reps; r++) {
			for (i = 0; i < nimpl; i++) {
				/* The warm-up: a tenth, at least 256. */
				long cnt = r < 0 ? (n / 10 > 256 ? n / 10 : 256)
						 : n;
				int64_t ns;

				cnt -= cnt % BATCH;
				snprintf(step, sizeof(step), "%s %s %s",
					 workload, cas, impl_name[impls[i]]);
				STEP(step);
				ns = queue_once(impls[i], sizes[s], np, nc,
						(uint64_t)cnt);
				if (r >= 0)
					bench_sample(workload, cas,
						     impl_name[impls[i]], ns,
						     cnt);
			}
		}
	}
}

static bool trace_find(void);
static void trace_write(const char *file, const char *what);
static long trace_events(void);

/*
 * M1's claim in numbers: the ioctls a ring run of @np producers and @nc
 * consumers makes per element, counted by the raw_syscalls:sys_enter event
 * filtered on ioctl (root, tracefs).  A run of its own, after the timed
 * ones, since tracing slows every system call; the channel's creation and
 * mapping count too.  chan makes no other system call (read, write) here.
 */
static void ring_syscalls(const char *workload, int np, int nc, long n)
{
	static const char ev[] = "events/raw_syscalls/sys_enter";
	char path[160], filt[32], step[64];
	long events;

	if (!trace_find()) {
		bench_na(workload, "8B", "chan_ring_syscalls",
			 "no tracefs (not root, or no tracing in the kernel)");
		return;
	}
	snprintf(path, sizeof(path), "%s/%s/enable", tracing, ev);
	if (access(path, W_OK)) {
		bench_na(workload, "8B", "chan_ring_syscalls",
			 "no raw_syscalls events in this kernel");
		return;
	}
	snprintf(step, sizeof(step), "%s 8B chan_ring, system calls counted",
		 workload);
	STEP(step);
	snprintf(filt, sizeof(filt), "id == %d", __NR_ioctl);
	snprintf(path, sizeof(path), "%s/filter", ev);
	trace_write(path, filt);
	trace_write("trace", "");
	snprintf(path, sizeof(path), "%s/enable", ev);
	trace_write(path, "1");
	queue_once(I_CHAN_RING, 8, np, nc, (uint64_t)n);
	trace_write(path, "0");
	events = trace_events();
	snprintf(path, sizeof(path), "%s/filter", ev);
	trace_write(path, "0");
	trace_write("trace", "");
	printf("info,%s,8B,chan_ring_syscalls,%ld ioctls for %ld elements\n",
	       workload, events, n);
}

static void bench_spsc(void)
{
	static const enum impl impls[] = { I_CHAN, I_CHAN_BATCH, I_PIPE, I_MQ,
					   I_CONDVAR, I_CHAN_RING, I_SHMQ };
	static const size_t sizes[] = { 8, 256 };
	long n = bench_count(20000);

	bench_queues("spsc", impls, ARRAY_SIZE(impls), sizes,
		     ARRAY_SIZE(sizes), 1, 1, n);
	n -= n % BATCH;
	ring_syscalls("spsc", 1, 1, n);
}

static void bench_mpmc(void)
{
	static const enum impl impls[] = { I_CHAN, I_CONDVAR, I_CHAN_RING };
	static const size_t sizes[] = { 8 };
	long n = bench_count(20000);

	bench_queues("mpmc", impls, ARRAY_SIZE(impls), sizes,
		     ARRAY_SIZE(sizes), 4, 4, n);
	n -= n % BATCH;
	ring_syscalls("mpmc", 4, 4, n);
}

/* ---- Select: one ready channel among K ---- */

#define KMAX	1024

enum sel_impl { S_RECV, S_SELECT, S_EPOLL, S_SET, S_NR };
static const char *const sel_name[S_NR] = { "chan_recv", "chan_select",
					    "epoll", "chan_set_wait" };

static int sel_ch[KMAX], sel_efd[KMAX], sel_ep, sel_set, sel_ids[KMAX];
static struct chan_case sel_cases[KMAX];
/* Where every case of the set stores what it received. */
static uint64_t sel_got;

/* n rounds of: make channel j ready, then wait for it with @how. */
static int64_t select_once(enum sel_impl how, int k, long n)
{
	struct epoll_event ev;
	uint64_t v, got = 0, sum = 0, want = 0;
	int64_t t0, t1;
	bool ok;
	long i;
	int j, idx;

	for (j = 0; j < k; j++)
		sel_cases[j] = (struct chan_case){ sel_ch[j], CHAN_OP_RECV,
						   &got, false };
	t0 = now_ns();
	for (i = 0; i < n; i++) {
		/* The ready one moves around so that no position is favoured. */
		j = (int)((uint64_t)i * 7919 % (uint64_t)k);
		v = (bench_val((uint64_t)i) >> 1) | 1;
		want += v;
		switch (how) {
		case S_RECV:
			CHECK_OK("select", chan_send(sel_ch[0], &v));
			CHECK_EQ("select", chan_recv(sel_ch[0], &got), 1);
			break;
		case S_SELECT:
			CHECK_OK("select", chan_send(sel_ch[j], &v));
			idx = (int)CHECK_OK("select",
					    chan_select(sel_cases, (size_t)k, -1));
			BENCH_VERIFY("select", "case chosen", idx, j);
			CHECK("select", sel_cases[idx].ok);
			break;
		case S_EPOLL:
			bench_write_full(sel_efd[j], &v, 8);
			CHECK_EQ("select", epoll_wait(sel_ep, &ev, 1, -1), 1);
			BENCH_VERIFY("select", "eventfd ready", ev.data.u32,
				     (unsigned int)j);
			bench_read_full(sel_efd[j], &got, 8);
			break;
		case S_SET:
			CHECK_OK("set", chan_send(sel_ch[j], &v));
			idx = (int)CHECK_OK("set",
					    chan_set_wait(sel_set, -1, &ok));
			BENCH_VERIFY("set", "case chosen", idx, sel_ids[j]);
			CHECK("set", ok);
			got = sel_got;
			break;
		default:
			abort();
		}
		sum += got;
	}
	t1 = now_ns();
	BENCH_VERIFY("select", "sum received", sum, want);
	return t1 - t0;
}

/*
 * A set of the first @k channels' receive cases; returns the ns that
 * adding them took, with the first wait, which looks once at every case
 * just added (it may have been ready before it was added) and finds none
 * ready here.
 */
static int64_t set_fill(int k)
{
	struct chan_case c = { .op = CHAN_OP_RECV, .elem = &sel_got };
	int64_t t0;
	int j;

	sel_set = CHECK_OK("set", chan_set_make());
	t0 = now_ns();
	for (j = 0; j < k; j++) {
		c.ch = sel_ch[j];
		sel_ids[j] = CHECK_OK("set", chan_set_add(sel_set, &c));
	}
	BENCH_VERIFY("set", "first wait on the new set",
		     chan_set_wait(sel_set, 0, NULL), -EAGAIN);
	return now_ns() - t0;
}

/* Remove the @k cases again and close the set; returns the ns it took. */
static int64_t set_empty(int k)
{
	int64_t t0 = now_ns();
	int j;

	for (j = 0; j < k; j++)
		CHECK_OK("set", chan_set_del(sel_set, sel_ids[j]));
	t0 = now_ns() - t0;
	/* Every case is gone: a wait finds nothing. */
	BENCH_VERIFY("set", "wait on the emptied set",
		     chan_set_wait(sel_set, 0, NULL), -EAGAIN);
	close(sel_set);
	return t0;
}

/*
 * The select and set workloads: each of @impls waits for one ready channel
 * among K; the set workload also reports what adding and removing one case
 * costs (add+del, per case).
 */
static void bench_ready_among_k(const char *workload,
				const enum sel_impl *impls, int nimpl)
{
	static const int ks[] = { 1, 4, 16, 64, 256, 1024 };
	struct epoll_event ev;
	struct rlimit rl;
	char cas[16], step[96];
	int ki, r, hi, j, k;

	/* 2 x 1024 fds and then some. */
	CHECK_SYS(workload, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_cur < 3 * KMAX) {
		rl.rlim_cur = rl.rlim_max < 3 * KMAX ? rl.rlim_max : 3 * KMAX;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	for (j = 0; j < KMAX; j++) {
		sel_ch[j] = CHECK_OK(workload, chan_make(8, 1, 0));
		sel_efd[j] = CHECK_SYS(workload, eventfd(0, 0));
	}
	for (ki = 0; ki < (int)ARRAY_SIZE(ks); ki++) {
		k = ks[ki];
		/* An epoll set of exactly the K eventfds of this round. */
		sel_ep = CHECK_SYS(workload, epoll_create1(0));
		for (j = 0; j < k; j++) {
			ev = (struct epoll_event){ .events = EPOLLIN,
						   .data.u32 = (uint32_t)j };
			CHECK_SYS(workload, epoll_ctl(sel_ep, EPOLL_CTL_ADD,
						      sel_efd[j], &ev));
		}
		snprintf(cas, sizeof(cas), "K=%d", k);
		for (r = -1; r < reps; r++) {
			for (hi = 0; hi < nimpl; hi++) {
				enum sel_impl h = impls[hi];
				/*
				 * Fewer rounds where a round scans K fds, but
				 * enough that a slow one is not all noise.
				 */
				long full = 4000 / (1 + k / 16);
				long n = bench_count(full < 1280 ? 1280 : full);
				int64_t ns, mod = 0;

				if (r < 0)
					n = 64;
				snprintf(step, sizeof(step), "%s %s %s",
					 workload, cas, sel_name[h]);
				STEP(step);
				/* A set of this round's cases only while it is measured. */
				if (h == S_SET)
					mod = set_fill(k);
				ns = select_once(h, k, n);
				if (h == S_SET)
					mod += set_empty(k);
				if (r < 0)
					continue;
				bench_sample(workload, cas, sel_name[h], ns, n);
				if (h == S_SET)
					bench_sample(workload, cas, "add+del",
						     mod, k);
			}
		}
		close(sel_ep);
	}
	for (j = 0; j < KMAX; j++) {
		close(sel_ch[j]);
		close(sel_efd[j]);
	}
}

/* ---- The cost of a send, tracing off and on (O1) ---- */

/* tracefs, mounted if need be; false where there is none or not root. */
static bool trace_find(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	size_t i;

	if (geteuid() != 0)
		return false;
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/events/chan/enable", dirs[i]);
		if (access(path, W_OK) == 0) {
			snprintf(tracing, sizeof(tracing), "%s", dirs[i]);
			return true;
		}
	}
	return false;
}

static void trace_write(const char *file, const char *what)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracing, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		check_fail(__FILE__, __LINE__, "trace", "write '%s' to %s: %s",
			   what, path, strerrorname_np(errno));
	close(fd);
}

/* Events the ring buffer took since it was cleared, lost ones included. */
static long trace_events(void)
{
	char path[400], line[128];
	struct dirent *de;
	long n = 0, v;
	DIR *d;
	FILE *f;

	snprintf(path, sizeof(path), "%s/per_cpu", tracing);
	d = opendir(path);
	if (!d)
		check_fail(__FILE__, __LINE__, "trace", "%s: %s", path,
			   strerrorname_np(errno));
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "cpu", 3))
			continue;
		snprintf(path, sizeof(path), "%s/per_cpu/%s/stats", tracing,
			 de->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "entries: %ld", &v) == 1 ||
			    sscanf(line, "overrun: %ld", &v) == 1)
				n += v;
		fclose(f);
	}
	closedir(d);
	return n;
}

/*
 * @n sends, timed, into a channel of 64 slots, in runs of 64 that a
 * receive loop, untimed, drains.  Returns the ns the sends took.
 */
static int64_t send_once(int ch, long n)
{
	uint64_t v, sum = 0;
	int64_t ns = 0, t0;
	long i, j;

	for (i = 0; i < n; i += 64) {
		t0 = now_ns();
		for (j = i; j < i + 64; j++) {
			v = bench_val(j);
			CHECK_OK("trace", chan_send(ch, &v));
		}
		ns += now_ns() - t0;
		for (j = 0; j < 64; j++) {
			CHECK_EQ("trace", chan_recv(ch, &v), 1);
			sum += v;
		}
	}
	BENCH_VERIFY("trace", "sum of what was sent", sum, bench_sum(n));
	return ns;
}

static void bench_trace(void)
{
	long n = bench_count(100000), events = 0;
	bool traced, can = trace_find();
	int ch, r, k;
	int64_t ns;

	if (!can)
		bench_na("trace", "send", "chan_traced",
			 "no tracefs with chan events (not root, or no tracing in the kernel)");
	ch = CHECK_OK("trace", chan_make(sizeof(uint64_t), 64, 0));
	for (r = -1; r < reps; r++) {
		for (k = 0; k < 1 + can; k++) {
			long cnt = r < 0 ? 64 * 16 : n;

			traced = k;
			STEP(traced ? "trace send chan_traced" : "trace send chan");
			if (traced) {
				trace_write("trace", "");	/* cleared */
				trace_write("events/chan/enable", "1");
			}
			ns = send_once(ch, cnt);
			if (traced) {
				trace_write("events/chan/enable", "0");
				events = trace_events();
				/* A chan_send and a chan_recv event each. */
				if (events < 2 * cnt)
					check_fail(__FILE__, __LINE__, "trace",
						   "%ld events for %ld sends and receives: the tracepoints did not fire",
						   events, 2 * cnt);
			}
			if (r >= 0)
				bench_sample("trace", "send",
					     traced ? "chan_traced" : "chan",
					     ns, cnt);
		}
	}
	if (can)
		printf("info,trace,send,chan_traced,events/chan/enable: %ld events in the ring buffer for %ld sends and as many receives\n",
		       events, n);
	trace_write("trace", "");
	close(ch);
}

static void bench_select(void)
{
	static const enum sel_impl impls[] = { S_RECV, S_SELECT, S_EPOLL };

	bench_ready_among_k("select", impls, ARRAY_SIZE(impls));
}

static void bench_set(void)
{
	static const enum sel_impl impls[] = { S_RECV, S_SET, S_SELECT,
					       S_EPOLL };

	bench_ready_among_k("set", impls, ARRAY_SIZE(impls));
}

int main(int argc, char **argv)
{
	struct rlimit unlimited = { RLIM_INFINITY, RLIM_INFINITY };
	const char *w;
	int opt;

	while ((opt = getopt(argc, argv, "r:")) != -1) {
		if (opt == 'r' && atoi(optarg) > 0) {
			reps = atoi(optarg);
		} else {
			fprintf(stderr, "usage: chanbench [-r REPS] pingpong|spsc|mpmc|select|trace\n");
			fprintf(stderr, "usage: chanbench [-r REPS] pingpong|spsc|mpmc|select|set\n");
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: chanbench [-r REPS] pingpong|spsc|mpmc|select|trace\n");
		fprintf(stderr, "usage: chanbench [-r REPS] pingpong|spsc|mpmc|select|set\n");
		return 2;
	}
	w = argv[optind];
	if (access("/dev/chan", F_OK) < 0) {
		fprintf(stderr, "chanbench: no /dev/chan (module not loaded)\n");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* Queues of 1024 elements need more than the default 800 KiB (root). */
	setrlimit(RLIMIT_MSGQUEUE, &unlimited);
	bench_start(w, 1200);
	if (!strcmp(w, "pingpong"))
		bench_pingpong();
	else if (!strcmp(w, "spsc"))
		bench_spsc();
	else if (!strcmp(w, "mpmc"))
		bench_mpmc();
	else if (!strcmp(w, "select"))
		bench_select();
	else if (!strcmp(w, "trace"))
		bench_trace();
	else if (!strcmp(w, "set"))
		bench_set();
	else {
		fprintf(stderr, "chanbench: unknown workload '%s'\n", w);
		return 2;
	}
	return 0;
}
