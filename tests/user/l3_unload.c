// SPDX-License-Identifier: GPL-2.0
/*
 * L3: while any /dev/chan or channel fd is open, the module cannot be
 * unloaded.  That it unloads once all are closed, leaking nothing, the
 * harness checks after every VM run: it unloads the module and scans
 * kmemleak.  Needs root in the VM, for delete_module(2).
 */
#include <sys/syscall.h>

#include "check.h"

/* O_NONBLOCK: fail at once rather than wait for the users to go. */
#define CHECK_PINNED()							\
	do {								\
		long r_ = syscall(SYS_delete_module, "chan", O_NONBLOCK); \
		CHECK("L3", r_ == -1 &&					\
		      (errno == EWOULDBLOCK || errno == EBUSY));	\
	} while (0)

int main(void)
{
	int dev, ch, ro;

	test_start("L3", "an open fd keeps the module loaded", 60);
	if (geteuid() != 0) {
		fprintf(stderr, "l3_unload: needs root for delete_module: SKIP\n");
		return EXIT_SKIP;
	}

	STEP("/dev/chan open");
	dev = CHECK_SYS("L3", open("/dev/chan", O_RDWR | O_CLOEXEC));
	CHECK_PINNED();
	close(dev);

	STEP("a channel fd, then a receive-only fd alone");
	ch = CHECK_OK("L3", chan_make(8, 1, 0));
	CHECK_PINNED();
	ro = CHECK_OK("L3", chan_dup(ch, CHAN_RECV_ONLY));
	close(ch);
	CHECK_PINNED();
	close(ro);
	test_pass();
}
