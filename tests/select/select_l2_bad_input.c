// SPDX-License-Identifier: GPL-2.0
/*
 * L2 for select (with X1, R5): a bad user pointer fails with EFAULT and
 * changes nothing; unknown flags, bad ops and non-zero reserved fields fail
 * with EINVAL, before anything moves.
 *
 * 1. A send case whose element pointer faults: EFAULT, even with other
 *    cases ready; no channel changes.
 * 2. A receive case whose destination faults (unmapped or read-only):
 *    EFAULT, and the element stays in its channel.
 * 3. A destination unmapped while the select waits: the counterpart's
 *    element is not lost (R5): the select fails with EFAULT and the
 *    element is received next.
 * 4. Raw CHAN_IOC_SELECT with bad struct and case pointers, flags, ops and
 *    reserved fields.
 */
#include "sel.h"

#define PAGE	4096

/* Ready cases: a buffered element, and a receiver blocked on an unbuffered channel. */
struct ready {
	int buf, unb;
	struct peer rcv;
};

static void ready_make(struct ready *r)
{
	uint64_t v = 17;

	r->buf = CHECK_OK("L2", chan_make(sizeof(uint64_t), 2, 0));
	r->unb = CHECK_OK("L2", chan_make(sizeof(uint64_t), 0, 0));
	CHECK_EQ("L2", chan_send(r->buf, &v), 0);
	peer_start(&r->rcv, r->unb, false, 0);
	wait_waiters(r->unb, 0, 1);
}

static void ready_unchanged(struct ready *r)
{
	CHECK_STATE("L2", r->buf, 1, 0, 0);
	CHECK_STATE("L2", r->unb, 0, 0, 1);
	CHECK_EQ("L2", r->rcv.ret, 1000);
}

static void ready_end(struct ready *r)
{
	CHECK_EQ("L2", chan_close(r->unb), 0);
	join(r->rcv.thread);
	CHECK_EQ("L2", r->rcv.ret, 0);
	close(r->buf);
	close(r->unb);
}

static void bad_elements(void)
{
	void *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t a = 0, b = 5;
	struct chan_case cases[3];
	struct ready r;
	int room, i;

	CHECK("L2", ro != MAP_FAILED);
	ready_make(&r);
	room = CHECK_OK("L2", chan_make(sizeof(uint64_t), 1, 0));
	for (i = 0; i < 2; i++) {
		STEP(i ? "send case from a bad pointer, last: EFAULT, nothing moved"
		       : "send case from a bad pointer, first: EFAULT, nothing moved");
		cases[i ? 2 : 0] = send_case(room, bad_ptr());
		cases[i ? 0 : 1] = recv_case(r.buf, &a);
		cases[i ? 1 : 2] = send_case(r.unb, &b);
		CHECK_EQ("L2", chan_select(cases, 3, 0), -EFAULT);
		CHECK_EQ("L2", chan_select(cases, 3, -1), -EFAULT);
		ready_unchanged(&r);
		CHECK_STATE("L2", room, 0, 0, 0);
	}

	STEP("receive case into a bad pointer: EFAULT, the element stays");
	cases[0] = recv_case(r.buf, bad_ptr());
	cases[1] = send_case(r.unb, &b);
	CHECK_EQ("L2", chan_select(cases, 2, 0), -EFAULT);
	CHECK_EQ("L2", chan_select(cases, 2, -1), -EFAULT);
	ready_unchanged(&r);

	STEP("receive case into read-only memory: EFAULT, the element stays");
	cases[0] = recv_case(r.buf, ro);
	CHECK_EQ("L2", chan_select(cases, 2, 0), -EFAULT);
	CHECK_EQ("L2", chan_select(cases, 1, -1), -EFAULT);
	ready_unchanged(&r);
	CHECK_EQ("L2", a, 0);
	close(room);
	ready_end(&r);
	munmap(ro, PAGE);
}

static void unmapped_while_waiting(void)
{
	int ch = CHECK_OK("R5", chan_make(sizeof(uint64_t), 0, 0));
	struct chan_case cases[1];
	struct sel_wait call = { cases, 1, 1000 };
	uint64_t v = 4242, out = 0;
	void *page;
	pthread_t t;

	STEP("destination unmapped while the select waits: element not lost");
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("L2", page != MAP_FAILED);
	cases[0] = recv_case(ch, page);
	t = spawn(sel_wait_thread, &call);
	wait_waiters(ch, 0, 1);
	CHECK_SYS("L2", munmap(page, PAGE));
	/* The hand-off succeeds for the sender; the select cannot deliver. */
	CHECK_EQ("R5", chan_send(ch, &v), 0);
	join(t);
	CHECK_EQ("L2", call.ret, -EFAULT);
	CHECK_EQ("R5", chan_try_recv(ch, &out), 1);
	CHECK_EQ("R5", out, 4242);
	CHECK_STATE("R5", ch, 0, 0, 0);
	close(ch);
}

/* Raw ioctls on @fd; each must fail with @err and leave @r as it was. */
static void raw_fails(int fd, struct chan_select *s, int err, struct ready *r)
{
	CHECK_ERRNO("L2", ioctl(fd, CHAN_IOC_SELECT, s), err);
	ready_unchanged(r);
}

static void raw(void)
{
	struct chan_select_case c[2];
	struct chan_select s, *ro;
	uint64_t a = 0, b = 3;
	struct ready r;
	int dev = chan_dev_open();

	ready_make(&r);
#define RESET()								\
	do {								\
		c[0] = (struct chan_select_case){ .fd = r.buf,		\
			.op = CHAN_SELECT_RECV, .elem = (uintptr_t)&a }; \
		c[1] = (struct chan_select_case){ .fd = r.unb,		\
			.op = CHAN_SELECT_SEND, .elem = (uintptr_t)&b }; \
		s = (struct chan_select){ .cases = (uintptr_t)c,	\
			.ncases = 2, .flags = CHAN_XFER_NONBLOCK };	\
	} while (0)

	STEP("raw: bad struct pointer, bad cases pointer: EFAULT");
	RESET();
	raw_fails(dev, bad_ptr(), EFAULT, &r);
	raw_fails(r.buf, bad_ptr(), EFAULT, &r);
	s.cases = (uintptr_t)bad_ptr();
	raw_fails(dev, &s, EFAULT, &r);
	RESET();
	s.cases = (uintptr_t)bad_ptr() + PAGE - sizeof(c[0]);
	raw_fails(dev, &s, EFAULT, &r);

	STEP("raw: a struct the answer cannot be written to: EFAULT");
	RESET();
	ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("L2", ro != MAP_FAILED);
	*ro = s;
	CHECK_SYS("L2", mprotect(ro, PAGE, PROT_READ));
	raw_fails(dev, ro, EFAULT, &r);
	munmap(ro, PAGE);

	STEP("raw: flags, ops, counts and reserved fields: EINVAL");
	RESET();
	s.flags = 1U << 7;
	raw_fails(dev, &s, EINVAL, &r);
	s.flags = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;
	raw_fails(dev, &s, EINVAL, &r);
	RESET();
	s.reserved = 1;
	raw_fails(dev, &s, EINVAL, &r);
	RESET();
	s.ncases = 0;
	raw_fails(dev, &s, EINVAL, &r);
	s.ncases = CHAN_SELECT_MAX + 1;
	raw_fails(dev, &s, EINVAL, &r);
	RESET();
	c[1].op = 0;
	raw_fails(dev, &s, EINVAL, &r);
	c[1].op = 3;
	raw_fails(dev, &s, EINVAL, &r);
	RESET();
	c[1].reserved = 1;
	raw_fails(r.unb, &s, EINVAL, &r);
	RESET();
	/* A nil case is ignored, but a malformed one is still malformed. */
	c[1].fd = (uint32_t)-1;
	c[1].reserved = 1;
	raw_fails(dev, &s, EINVAL, &r);

	STEP("raw: the same call, well formed, proceeds");
	RESET();
#undef RESET
	CHECK_SYS("L2", ioctl(dev, CHAN_IOC_SELECT, &s));
	CHECK_EQ("L2", s.ok, 1);
	if (s.index == 0) {
		CHECK_EQ("L2", a, 17);
		ready_end(&r);
	} else {
		CHECK_EQ("L2", s.index, 1);
		join(r.rcv.thread);
		CHECK_EQ("L2", r.rcv.ret, 1);
		CHECK_EQ("L2", r.rcv.val, 3);
		close(r.buf);
		close(r.unb);
	}
	close(dev);
}

int main(void)
{
	test_start("L2 X1 R5", "bad pointers and malformed selects change nothing",
		   sel_watchdog(120));
	bad_elements();
	unmapped_while_waiting();
	raw();
	test_pass();
}
