// SPDX-License-Identifier: GPL-2.0
/*
 * L5 (with L1, R5): what a put-back needs is allocated before anything
 * moves; at the memory cgroup's limit a call fails with ENOMEM, never by
 * the cgroup's OOM killer, and never charges past memory.max.
 *
 * A worker in a memory cgroup of its own (no swap) sets up everything it
 * will touch, then memory.max is set 8 MiB above memory.current.  The
 * worker fills the group with kernel memory that chan allocates and gives
 * up gracefully: write(2)s blocked on unbuffered channels, each holding its
 * batch (64 KiB, then 4 KiB, 512 and 64 bytes), until each size is refused
 * with ENOMEM.  Then, at the limit, rounds of: a receive of an 8-byte
 * element blocks, its destination is made read-only, an element is sent,
 * so the receive must put it back.  Then a few fillers are let go and the
 * rounds run again with a little room.  Every call must return success,
 * EFAULT or ENOMEM; the worker must not be killed (memory.events oom_kill
 * stays 0); memory.peak must never pass memory.max; and every element
 * whose send succeeded is received exactly once at the end (R5).
 *
 * This process watches from outside the group.  The worker prints nothing
 * while at the limit: even a write to the test's log could be charged.
 */
#include "hard.h"

#include <semaphore.h>

#define ROOM		(8LL << 20)
#define NFILL		256
#define NROUND		200
#define RELEASE		4

struct filler {
	sem_t go;
	int fd;
	size_t size;
	volatile int busy;	/* posted, not returned yet */
	volatile int ret;	/* -errno or the bytes written */
};

/* Shared between the worker and this process. */
struct shared {
	volatile int ready, go, done, phase;
	volatile int filled[4], fill_err[4];
	volatile int out_of_fillers;
	volatile int tight_efault, tight_enomem, loose_efault, loose_enomem;
	volatile int send_enomem, bad_recv, bad_send;
	volatile int sent, received, lost, wrong;
	struct filler f[NFILL];
};

static struct shared *sh;
static uint8_t fillbuf[65536];
static uint8_t *dst;		/* one page between two PROT_NONE pages */
static int rfd[2 * NROUND + 1];
static volatile int warm_efault, warm_enomem;

static struct {
	sem_t go, done;
	int fd;
	volatile int finished;
	int ret;
} rcv;

static void prefault_stack(void)
{
	volatile uint8_t pad[32 << 10];

	memset((void *)pad, 0, sizeof(pad));
}

static void *filler(void *arg)
{
	struct filler *f = arg;
	ssize_t r;

	prefault_stack();
	for (;;) {
		while (sem_wait(&f->go) < 0)
			;
		r = write(f->fd, fillbuf, f->size);
		f->ret = r < 0 ? -errno : (int)r;
		f->busy = 0;
		if (r < 0 && errno == EPIPE)
			return NULL;
	}
}

static void *receiver(void *arg)
{
	(void)arg;
	prefault_stack();
	for (;;) {
		while (sem_wait(&rcv.go) < 0)
			;
		if (rcv.fd < 0)
			return NULL;
		rcv.ret = chan_recv(rcv.fd, dst);
		rcv.finished = 1;
		sem_post(&rcv.done);
	}
}

/* Post filler @i with @size bytes; 1 if it blocked holding them, else its error. */
static int fill_one(int i, size_t size)
{
	struct filler *f = &sh->f[i];

	f->size = size;
	f->busy = 1;
	sem_post(&f->go);
	for (;;) {
		if (!f->busy)
			return f->ret;
		if (chan_info_of(f->fd).send_waiters == 1)
			return 1;
		usleep(50);
	}
}

static void fill(void)
{
	static const size_t sizes[4] = { 65536, 4096, 512, 64 };
	int next = 0, s, r;

	for (s = 0; s < 4; s++) {
		for (;;) {
			if (next == NFILL) {
				sh->out_of_fillers = 1;
				return;
			}
			r = fill_one(next, sizes[s]);
			if (r != 1) {
				/* That filler stays free for the next size. */
				sh->fill_err[s] = r;
				break;
			}
			sh->filled[s]++;
			next++;
		}
	}
}

/* One put-back round on rfd[@i]; counts into @efault or @enomem. */
static void round_one(int i, volatile int *efault, volatile int *enomem)
{
	uint64_t v = 1000 + (uint64_t)i;
	int r;

	rcv.fd = rfd[i];
	rcv.finished = 0;
	sem_post(&rcv.go);
	while (!rcv.finished && chan_info_of(rfd[i]).recv_waiters != 1)
		usleep(50);
	if (rcv.finished) {
		/* Refused before it blocked: nothing moved. */
		while (sem_wait(&rcv.done) < 0)
			;
		if (rcv.ret == -ENOMEM)
			(*enomem)++;
		else
			sh->bad_recv++;
		return;
	}
	CHECK_SYS("L5", mprotect(dst, 4096, PROT_READ));
	r = chan_send(rfd[i], &v);
	if (r == 0)
		sh->sent++;
	else if (r == -ENOMEM)
		sh->send_enomem++;
	else
		sh->bad_send++;
	if (r != 0) {
		/* The receiver still waits: end it with a close (K3). */
		CHECK_EQ("K1", chan_close(rfd[i]), 0);
	}
	while (sem_wait(&rcv.done) < 0)
		;
	CHECK_SYS("L5", mprotect(dst, 4096, PROT_READ | PROT_WRITE));
	if (rcv.ret == -EFAULT)
		(*efault)++;
	else if (rcv.ret == -ENOMEM)
		(*enomem)++;
	else if (!(r != 0 && rcv.ret == 0))
		sh->bad_recv++;
}

static void worker(void)
{
	pthread_attr_t attr;
	pthread_t t;
	uint8_t *area;
	int i;

	prefault_stack();
	memset(fillbuf, 0x33, sizeof(fillbuf));
	/* The destination: a VMA of its own, so mprotect never splits one. */
	area = mmap(NULL, 3 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	CHECK("L5", area != MAP_FAILED);
	dst = mmap(area + 4096, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK("L5", dst == area + 4096);
	memset(dst, 0, 4096);
	CHECK_SYS("L5", mprotect(dst, 4096, PROT_READ));
	CHECK_SYS("L5", mprotect(dst, 4096, PROT_READ | PROT_WRITE));

	for (i = 0; i <= 2 * NROUND; i++)
		rfd[i] = CHECK_OK("L5", chan_make(8, 0, 0));
	sem_init(&rcv.go, 0, 0);
	sem_init(&rcv.done, 0, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	CHECK_EQ("L5", pthread_create(&t, &attr, receiver, NULL), 0);
	for (i = 0; i < NFILL; i++) {
		struct filler *f = &sh->f[i];

		f->fd = CHECK_OK("L5", chan_make(1, 0, 0));
		sem_init(&f->go, 0, 0);
		CHECK_EQ("L5", pthread_create(&t, &attr, filler, f), 0);
	}
	/* One round before the limit: every path touched once. */
	round_one(2 * NROUND, &warm_efault, &warm_enomem);
	sleep_ms(200);

	sh->ready = 1;
	while (!sh->go)
		usleep(1000);

	sh->phase = 1;
	fill();
	sh->phase = 2;
	for (i = 0; i < test_count(NROUND); i++)
		round_one(i, &sh->tight_efault, &sh->tight_enomem);
	sh->phase = 3;
	for (i = 0; i < RELEASE && i < sh->filled[0]; i++)
		CHECK_EQ("K1", chan_close(sh->f[i].fd), 0);
	sleep_ms(50);
	sh->phase = 4;
	for (i = NROUND; i < NROUND + test_count(NROUND); i++)
		round_one(i, &sh->loose_efault, &sh->loose_enomem);

	sh->phase = 5;
	for (i = 0; i <= 2 * NROUND; i++) {
		uint64_t v = 0;
		int r;

		while ((r = chan_try_recv(rfd[i], &v)) == 1) {
			sh->received++;
			if (v != 1000 + (uint64_t)i)
				sh->wrong++;
		}
	}
	sh->done = 1;
	_exit(0);
}

static void body(void)
{
	long long cur, max_seen = 0, limit, oom0, oom1, ev_max, peak, peak0;
	char buf[32];
	int status;
	pid_t pid;

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("L5", sh != MAP_FAILED);
	memset(sh, 0, sizeof(*sh));
	raise_nofile(NFILL + 2 * NROUND + 100);

	pid = fork_child();
	if (pid == 0)
		worker();
	/* Watch from outside: the group's OOM killer must not pick us. */
	hard_write(HARD_CGROOT "/cgroup.procs", "0");

	STEP("the worker sets up");
	while (!sh->ready) {
		CHECK_EQ("L5", hard_wait_for(pid, 0), -1);
		usleep(10000);
	}
	if (hard_cg_num("memory.swap.max", NULL) != -1 ||
	    hard_cg_num("memory.swap.current", NULL) != -1)
		hard_cg_set("memory.swap.max", "0");
	limit = hard_mem() + ROOM;
	snprintf(buf, sizeof(buf), "%lld", limit);
	hard_cg_set("memory.max", buf);
	oom0 = hard_cg_num("memory.events", "oom_kill");
	peak0 = hard_cg_num("memory.peak", NULL);
	sh->go = 1;

	STEP("the worker fills its group and puts back at the limit");
	for (;;) {
		cur = hard_mem();
		if (cur > max_seen)
			max_seen = cur;
		status = hard_wait_for(pid, 0);
		if (status != -1)
			break;
		usleep(500);
	}
	oom1 = hard_cg_num("memory.events", "oom_kill");
	ev_max = hard_cg_num("memory.events", "max");
	fprintf(stderr, "l5_putback_nofail: filled: %d x 64 KiB (then %s), %d x 4 KiB (%s), %d x 512 (%s), %d x 64 (%s)%s\n",
		sh->filled[0], check_errname(sh->fill_err[0]),
		sh->filled[1], check_errname(sh->fill_err[1]),
		sh->filled[2], check_errname(sh->fill_err[2]),
		sh->filled[3], check_errname(sh->fill_err[3]),
		sh->out_of_fillers ? "; out of fillers" : "");
	fprintf(stderr, "l5_putback_nofail: at the limit: %d put back (EFAULT), %d refused (ENOMEM); with room: %d put back, %d refused; sends refused %d; %d sent, %d received, %d wrong\n",
		sh->tight_efault, sh->tight_enomem, sh->loose_efault,
		sh->loose_enomem, sh->send_enomem, sh->sent, sh->received,
		sh->wrong);
	fprintf(stderr, "l5_putback_nofail: memory.max %lld, highest memory.current seen %lld, memory.peak %lld; memory.events: max %lld, oom_kill %lld (was %lld); worker phase %d\n",
		limit, max_seen, hard_cg_num("memory.peak", NULL), ev_max,
		oom1, oom0, sh->phase);

	SOFT("L5", WIFEXITED(status),
	     "the worker was killed by signal %d in phase %d (oom_kill %lld)",
	     WIFSIGNALED(status) ? WTERMSIG(status) : 0, sh->phase, oom1);
	SOFT("L5", oom1 == oom0, "the group's OOM killer ran: oom_kill %lld -> %lld",
	     oom0, oom1);
	/*
	 * memory.current may show a charge being tried for an instant (the
	 * counter is raised, then lowered when over the limit); memory.peak
	 * counts only charges that were made, forced ones too.  It also
	 * remembers the time before the limit: peak0.
	 */
	peak = hard_cg_num("memory.peak", NULL);
	SOFT("L1", peak <= limit || peak == peak0,
	     "memory.peak reached %lld, over memory.max %lld", peak, limit);
	if (WIFEXITED(status)) {
		CHECK_EQ("L5", WEXITSTATUS(status), 0);
		CHECK_EQ("L5", sh->done, 1);
		SOFT("L1", sh->fill_err[0] == -ENOMEM,
		     "64 KiB batches refused with %s, want ENOMEM",
		     check_errname(sh->fill_err[0]));
		SOFT("L5", !sh->bad_recv && !sh->bad_send,
		     "%d receives and %d sends returned something else than success, EFAULT or ENOMEM",
		     sh->bad_recv, sh->bad_send);
		SOFT("R5", sh->received == sh->sent && !sh->wrong,
		     "%d elements sent, %d received (%d wrong)", sh->sent,
		     sh->received, sh->wrong);
	}
	hard_cg_set("memory.max", "max");
	hard_finish();
}

int main(void)
{
	hard_main("L5 L1 R5", "put-backs at the memory cgroup's limit: ENOMEM, never the OOM killer",
		  120, HARD_CGROUP, body);
}
