// SPDX-License-Identifier: GPL-2.0
/*
 * L7 (with R2, R5, B2): a receiver whose copy-out never finishes cannot
 * hold a sender: a sender whose element was taken is done, so SIGKILL ends
 * it at once and its deadline does not pass unheeded.
 *
 * An unbuffered channel of 512-byte elements (the general receive path).
 * A sender child blocks first.  Then a receiver thread receives into an
 * element that straddles two anonymous pages registered with userfaultfd
 * (missing mode), which a thread of this test serves so that the
 * receiver's check of its destination passes, and then takes the first
 * page away again: the receiver takes the sender's element and its
 * copy-out faults on that page, which is not served until the end.  Then:
 *
 *  - a plain sender: SIGKILL must reap it within 3 s (it returned when its
 *    element was taken, or dies at once); not sleep on in state D;
 *  - a sender with a 2 s deadline (chan_send_timeout): it must have
 *    returned by itself within 3 s of its deadline.
 *
 * At the end the page is served, the receiver finishes with the element,
 * and the channel is empty: the element was delivered once (R5).  Needs
 * userfaultfd (root); skips without it.
 */
#include "hard.h"

#include <linux/userfaultfd.h>
#include <poll.h>
#include <sys/syscall.h>

#define ESZ	512
#define PAGE	4096

static int uffd, ch;
static uint8_t *region;		/* two pages, P0 and P1 */
static uint8_t zero_page[PAGE] __attribute__((aligned(PAGE)));

/* What the fault server saw, and whether it may serve the last fault. */
static volatile int p0_served, p1_served, hung, release_fault, unexpected;
static volatile int server_stop;

static void uffd_copy(uint8_t *page, bool wake)
{
	struct uffdio_copy c = {
		.dst = (uintptr_t)page,
		.src = (uintptr_t)zero_page,
		.len = PAGE,
		.mode = wake ? 0 : UFFDIO_COPY_MODE_DONTWAKE,
	};

	if (ioctl(uffd, UFFDIO_COPY, &c) < 0 && errno != EEXIST)
		check_fail(__FILE__, __LINE__, "L7", "UFFDIO_COPY: %s",
			   strerrorname_np(errno));
}

/*
 * The receiver's check faults in P0, then P1; P1 is mapped without waking
 * it, P0 taken away, and then it is woken: the check has passed, and the
 * copy-out faults on P0 again, which is left waiting until release_fault.
 */
static void *server(void *arg)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;
	uint8_t *page;

	(void)arg;
	while (!server_stop) {
		if (hung && release_fault) {
			uffd_copy(region, true);
			hung = 0;
			release_fault = 0;
		}
		if (poll(&pfd, 1, 10) <= 0)
			continue;
		if (read(uffd, &msg, sizeof(msg)) != sizeof(msg))
			continue;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		page = (uint8_t *)(uintptr_t)(msg.arg.pagefault.address &
					      ~(uint64_t)(PAGE - 1));
		if (page == region && !p0_served) {
			uffd_copy(region, true);
			p0_served = 1;
		} else if (page == region + PAGE && !p1_served) {
			struct uffdio_range r = {
				.start = (uintptr_t)(region + PAGE),
				.len = PAGE,
			};

			uffd_copy(region + PAGE, false);
			CHECK_SYS("L7", madvise(region, PAGE, MADV_DONTNEED));
			p1_served = 1;
			CHECK_SYS("L7", ioctl(uffd, UFFDIO_WAKE, &r));
		} else if (page == region && p1_served) {
			hung = 1;
		} else {
			unexpected++;
			uffd_copy(page, true);
		}
	}
	return NULL;
}

static volatile long recv_ret;
static uint8_t *recv_dst;

static void *receiver(void *arg)
{
	(void)arg;
	recv_ret = chan_recv(ch, recv_dst);
	return NULL;
}

/* The sender child: exit 0 sent, 4 timed out, 5 anything else. */
static void sender(bool deadline)
{
	uint8_t e[ESZ];
	int r;

	memset(e, 0x77, sizeof(e));
	r = deadline ? chan_send_timeout(ch, e, 2000 * 1000000LL) :
		       chan_send(ch, e);
	_exit(r == 0 ? 0 : r == -ETIMEDOUT ? 4 : 5);
}

static void setup_region(void)
{
	struct uffdio_register reg;

	region = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("L7", region != MAP_FAILED);
	memset(&reg, 0, sizeof(reg));
	reg.range.start = (uintptr_t)region;
	reg.range.len = 2 * PAGE;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	CHECK_SYS("L7", ioctl(uffd, UFFDIO_REGISTER, &reg));
	/* The element straddles P0 and P1. */
	recv_dst = region + PAGE - ESZ / 2;
}

static void one(bool deadline)
{
	const char *what = deadline ? "sender with a 2 s deadline" :
				      "plain sender";
	pthread_t srv, rcv;
	int64_t start;
	int status;
	char state;
	pid_t pid;
	uint8_t e[ESZ];

	p0_served = p1_served = hung = release_fault = unexpected = 0;
	server_stop = 0;
	setup_region();
	ch = CHECK_OK("R2", chan_make(ESZ, 0, 0));

	STEP("the sender blocks");
	pid = fork_child();
	if (pid == 0)
		sender(deadline);
	wait_waiters(ch, 1, 0);

	STEP("the receiver takes the element; its copy-out hangs");
	srv = spawn(server, NULL);
	recv_ret = -1000;
	rcv = spawn(receiver, NULL);
	start = now_ns();
	while (!hung && recv_ret == -1000 && now_ns() - start < 10000000000LL)
		sleep_ms(1);
	if (!hung)
		check_fail(__FILE__, __LINE__, "L7",
			   "could not make the receiver's copy-out hang (receive returned %ld, faults on P0 %d P1 %d, other %d)",
			   recv_ret, p0_served, p1_served, unexpected);
	/* The fault is pending: the sender's element has been taken. */
	sleep_ms(100);
	state = hard_proc_state(pid);

	if (deadline) {
		STEP("the sender's deadline passes");
		status = hard_wait_for(pid, 2000 + 3000);
		fprintf(stderr, "l7_uffd_sender: %s: state %c while the receiver's copy-out hung; %s\n",
			what, state,
			status == -1 ? "still blocked 3 s after its deadline" :
			"it returned by itself");
		SOFT("L7", status != -1,
		     "%s still blocked 3 s past its deadline (state %c) while a receiver's copy-out hangs",
		     what, hard_proc_state(pid));
	} else {
		STEP("SIGKILL the sender");
		CHECK_SYS("L7", kill(pid, SIGKILL));
		status = hard_wait_for(pid, 3000);
		fprintf(stderr, "l7_uffd_sender: %s: state %c while the receiver's copy-out hung; SIGKILL %s\n",
			what, state,
			status == -1 ? "did not end it within 3 s" : "ended it");
		SOFT("L7", status != -1,
		     "%s not reaped 3 s after SIGKILL (state %c) while a receiver's copy-out hangs",
		     what, hard_proc_state(pid));
	}
	if (status != -1 && WIFEXITED(status))
		CHECK_EQ("R2", WEXITSTATUS(status), 0);

	STEP("the fault is served: the receiver finishes");
	release_fault = 1;
	join(rcv);
	CHECK_EQ("R5", recv_ret, 1);
	memcpy(e, recv_dst, ESZ);
	CHECK("R5", e[0] == 0x77 && e[ESZ - 1] == 0x77);
	if (status == -1) {
		status = hard_wait_for(pid, 10000);
		CHECK("L7", status != -1);
	}
	CHECK_EQ("R5", chan_info_of(ch).len, 0);
	CHECK_EQ("R5", chan_try_recv(ch, e), -EAGAIN);
	server_stop = 1;
	join(srv);
	close(ch);
	munmap(region, 2 * PAGE);
}

static void body(void)
{
	struct uffdio_api api = { .api = UFFD_API };

	uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		fprintf(stderr, "l7_uffd_sender: SKIP: no userfaultfd: %s\n",
			strerrorname_np(errno));
		_exit(EXIT_SKIP);
	}
	CHECK_SYS("L7", ioctl(uffd, UFFDIO_API, &api));
	one(false);
	one(true);
	hard_finish();
}

int main(void)
{
	hard_main("L7 R2 R5", "a receiver's hung copy-out cannot hold a sender",
		  60, 0, body);
}
