// SPDX-License-Identifier: GPL-2.0
/*
 * G2: chan_go reuses the thread of a goroutine that returned, and the
 * thread carries nothing over that the pool owns or a new thread would not
 * have: each goroutine starts with the signal mask of the thread that
 * called chan_go, cancellation enabled and deferred, no pending
 * cancellation, errno 0, and the stack size asked for at the time.  A
 * goroutine that ends its thread (pthread_exit) takes only that thread.
 *
 * Each step runs a goroutine, waits until its thread sleeps parked in
 * futex(2), then runs the next and compares thread ids.
 */
#include <pthread.h>
#include <signal.h>

#include "wgtest.h"

struct seen {
	pid_t tid;
	sigset_t mask;
	int cancel_state;
	int cancel_type;
	int err;
	size_t stack;
	struct waitgroup done;
};

/* What the goroutine does to its thread before it returns. */
enum mess { NOTHING, BLOCK_SIGUSR1, NO_CANCEL, CANCEL_PENDING, SET_ERRNO,
	    EXIT_THREAD };

struct job {
	enum mess mess;
	struct seen *seen;
};

static void *look(void *p)
{
	struct job *j = p;
	struct seen *s = j->seen;
	sigset_t set;

	s->err = errno;
	s->tid = (pid_t)syscall(SYS_gettid);
	pthread_sigmask(SIG_SETMASK, NULL, &s->mask);
	CHECK_EQ(pthread_setcancelstate(PTHREAD_CANCEL_ENABLE,
					&s->cancel_state), 0);
	CHECK_EQ(pthread_setcanceltype(PTHREAD_CANCEL_DEFERRED,
				       &s->cancel_type), 0);
	s->stack = own_stack_size();

	switch (j->mess) {
	case NOTHING:
		break;
	case BLOCK_SIGUSR1:
		sigemptyset(&set);
		sigaddset(&set, SIGUSR1);
		CHECK_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
		break;
	case NO_CANCEL:
		CHECK_EQ(pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS,
					       NULL), 0);
		CHECK_EQ(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE,
						NULL), 0);
		break;
	case CANCEL_PENDING:
		CHECK_EQ(pthread_setcancelstate(PTHREAD_CANCEL_DISABLE,
						NULL), 0);
		CHECK_EQ(pthread_cancel(pthread_self()), 0);
		break;
	case SET_ERRNO:
		errno = EDOM;
		break;
	case EXIT_THREAD:
		CHECK_EQ(waitgroup_done(&s->done), 0);
		pthread_exit(NULL);
	}
	CHECK_EQ(waitgroup_done(&s->done), 0);
	return NULL;
}

static int thread_alive(pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)tid);
	return access(path, F_OK) == 0;
}

/*
 * Run one goroutine that messes up its thread as told, and wait until its
 * thread is parked again (or gone, if it should be): then the pool's idle
 * list is known, and the next goroutine takes the thread parked last.
 */
static void run(enum mess mess, struct seen *s)
{
	struct job j = { mess, s };
	int64_t end;

	*s = (struct seen){ 0 };
	CHECK_EQ(waitgroup_add(&s->done, 1), 0);
	CHECK_EQ(chan_go(look, &j), 0);
	CHECK_EQ(waitgroup_wait(&s->done), 0);
	if (mess != EXIT_THREAD && mess != CANCEL_PENDING) {
		wait_in_futex(s->tid);
		return;
	}
	end = now_ns() + RELEASE_NS;
	while (thread_alive(s->tid)) {
		if (now_ns() > end)
			FAIL("the thread of a goroutine that ended it lives on (mess %d)",
			     mess);
		sleep_ns(NSEC_PER_MSEC);
	}
}

/* Run a goroutine after one that did @mess. */
static void after(enum mess mess, struct seen *first, struct seen *next)
{
	run(mess, first);
	run(NOTHING, next);
}

static int blocked(const sigset_t *set, int sig)
{
	return sigismember(set, sig) == 1;
}

int main(void)
{
	struct seen a, b;
	sigset_t set;
	size_t big, dflt;

	test_init("G2");

	/* Reuse: the second goroutine runs on the first one's thread. */
	after(NOTHING, &a, &b);
	CHECK_EQ(b.tid, a.tid);
	CHECK(b.tid != (pid_t)syscall(SYS_gettid));
	/* The default stack with the static TLS added (huge under TSan). */
	dflt = b.stack;

	/* Signal mask: the caller's, not what the goroutine before set. */
	after(BLOCK_SIGUSR1, &a, &b);
	CHECK_EQ(b.tid, a.tid);
	CHECK(!blocked(&b.mask, SIGUSR1));
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK_EQ(pthread_sigmask(SIG_BLOCK, &set, NULL), 0);
	run(NOTHING, &b);
	CHECK_EQ(b.tid, a.tid);
	CHECK(blocked(&b.mask, SIGUSR2) && !blocked(&b.mask, SIGUSR1));
	CHECK_EQ(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
	run(NOTHING, &b);
	CHECK(!blocked(&b.mask, SIGUSR2));

	/* Cancellation state and type. */
	after(NO_CANCEL, &a, &b);
	CHECK_EQ(b.tid, a.tid);
	CHECK_EQ(b.cancel_state, PTHREAD_CANCEL_ENABLE);
	CHECK_EQ(b.cancel_type, PTHREAD_CANCEL_DEFERRED);

	/*
	 * A cancellation left pending ends that thread, not the next
	 * goroutine: b runs through its cancellation points (waitgroup_done
	 * is none, pthread_setcancelstate either, but own_stack_size reads
	 * /proc through the C library's open) and is not cancelled.
	 */
	after(CANCEL_PENDING, &a, &b);
	CHECK(b.tid != a.tid);

	/* errno starts at 0, as on a new thread. */
	after(SET_ERRNO, &a, &b);
	CHECK_EQ(b.tid, a.tid);
	CHECK_EQ(b.err, 0);

	/* pthread_exit() ends the goroutine and its thread only. */
	after(EXIT_THREAD, &a, &b);
	CHECK(b.tid != a.tid);

	/*
	 * Stack size: a parked thread of another size is not taken; once
	 * the size is back, the parked thread of that size is.
	 */
	big = 4 * goroutine_default_stack();
	CHECK_EQ(chan_go_stack_size(big), 0);
	run(NOTHING, &a);
	CHECK(a.tid != b.tid);
	CHECK(a.stack >= big && a.stack > dflt);
	CHECK_EQ(chan_go_stack_size(goroutine_default_stack()), 0);
	run(NOTHING, &a);
	CHECK_EQ(a.tid, b.tid);
	if (a.stack != dflt)
		FAIL("the goroutine after the size was set back has %zu bytes of stack, expected %zu",
		     a.stack, dflt);
	test_pass("a parked thread runs the next goroutine, with a new thread's state");
}
