// SPDX-License-Identifier: GPL-2.0
/*
 * Scale (C2, P4): 100,000 channels open in one process at once (with
 * RLIMIT_NOFILE raised), each its own channel: distinct ids, and a sample
 * of them carries its own element.  Then all are closed.  An argument sets
 * another number of channels.
 *
 * Making a channel costs ~30 us on the stock kernel in QEMU but ~2 ms on
 * the debug kernel (KASAN, kmemleak, lockdep), where 100,000 would take
 * five minutes to make and close.  So making stops after MAKE_BUDGET_S
 * seconds, with at least MIN_CHANNELS made: the stock kernel run makes all
 * 100,000, the debug run as many as fit (about 5,000), and says so.
 */
#include "check.h"

#define CHANNELS	100000
#define SAMPLE		997	/* a prime stride over the fds */
#define MAKE_BUDGET_S	10
#define MIN_CHANNELS	2000

static int fds[CHANNELS];
static uint64_t ids[CHANNELS / SAMPLE + 1];

static void lap(const char *what, int n, int64_t *since)
{
	int64_t now = now_ns();

	fprintf(stderr, "scale_fds: %s %d channels: %lld ms\n", what, n,
		(long long)((now - *since) / 1000000));
	*since = now;
}

int main(int argc, char **argv)
{
	int dev, i, j, n_ids = 0, n = CHANNELS;
	int64_t t = now_ns(), stop = t + MAKE_BUDGET_S * 1000000000LL;
	uint64_t v, out;

	test_start("C2", "100,000 channels in one process", 240);
	if (argc > 1)
		n = atoi(argv[1]);
	CHECK("C2", n > 0 && n <= CHANNELS);
	raise_nofile(n + 1000);

	STEP("make 100,000 channels");
	/*
	 * Raw CHAN_IOC_CREATE on one /dev/chan fd: libchan opens and queries
	 * /dev/chan for every chan_make, four times the system calls, and
	 * syscalls are slow in the test VM.
	 */
	dev = chan_dev_open();
	for (i = 0; i < n; i++) {
		/* One element of buffer, so the sample below can use each alone. */
		struct chan_create cc = { .elem_size = sizeof(uint64_t), .cap = 1 };

		fds[i] = ioctl(dev, CHAN_IOC_CREATE, &cc);
		if (fds[i] < 0)
			check_fail(__FILE__, __LINE__, "C2", "channel %d: %s",
				   i, strerrorname_np(errno));
		CHECK_EQ("C2", cc.fd, fds[i]);
		if (i + 1 >= MIN_CHANNELS && i % 500 == 0 && now_ns() > stop) {
			fprintf(stderr, "scale_fds: slow kernel: %d channels after %d s, not %d\n",
				i + 1, MAKE_BUDGET_S, n);
			n = i + 1;
		}
	}
	close(dev);
	lap("made", n, &t);

	STEP("each is a channel of its own");
	for (i = 0; i < n; i += SAMPLE) {
		v = (uint64_t)i;
		CHECK_EQ("C2", chan_send(fds[i], &v), 0);
	}
	for (i = 0; i < n; i += SAMPLE) {
		CHECK_EQ("C2", chan_len(fds[i]), 1);
		if (i + 1 < n)
			CHECK_EQ("C2", chan_len(fds[i + 1]), 0);
		ids[n_ids++] = chan_info_of(fds[i]).id;
		CHECK_EQ("C2", chan_try_recv(fds[i], &out), 1);
		CHECK_EQ("C2", out, i);
	}

	/* Ids are unique while the module is loaded. */
	for (i = 0; i < n_ids; i++)
		for (j = i + 1; j < n_ids; j++)
			CHECK("P4", ids[i] != ids[j]);

	STEP("close all");
	for (i = 0; i < n; i++)
		CHECK_SYS("C2", close(fds[i]));
	lap("closed", n, &t);
	test_pass();
}
