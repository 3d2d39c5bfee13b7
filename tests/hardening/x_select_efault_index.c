// SPDX-License-Identifier: GPL-2.0
/*
 * X (select's answer on failure; chan(4) and uapi/linux/chan.h) with R5:
 * when a select's received element cannot be stored, the call fails with
 * EFAULT, leaves struct chan_select's index and ok as they were, and the
 * element goes back to its channel, to be received once by a plain receive.
 *
 * A select with one receive case blocks in a thread (raw CHAN_IOC_SELECT,
 * index and ok set to sentinels); its element's page is made read-only; a
 * sender sends.  For an 8-byte element (kept in the case) and a 512-byte
 * one (kept apart), 10 times each.
 */
#include "hard.h"

#define SENTINEL_INDEX	0xdeadbeefu
#define SENTINEL_OK	0xfeedfaceu
#define TRIALS		10

static int ch;
static struct chan_select sel;
static struct chan_select_case one;
static int sel_ret, sel_err;

static void *selector(void *arg)
{
	(void)arg;
	sel_ret = ioctl(ch, CHAN_IOC_SELECT, &sel);
	sel_err = errno;
	return NULL;
}

static int trials(size_t esz)
{
	uint8_t *page, e[512], got[512];
	int t, written = 0;
	pthread_t th;

	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("X1", page != MAP_FAILED);
	for (t = 0; t < TRIALS; t++) {
		ch = CHECK_OK("X6", chan_make(esz, 0, 0));
		CHECK_SYS("X1", mprotect(page, 4096, PROT_READ | PROT_WRITE));
		memset(page, 0, 4096);
		one.fd = (uint32_t)ch;
		one.op = CHAN_SELECT_RECV;
		one.elem = (uintptr_t)page;
		one.reserved = 0;
		memset(&sel, 0, sizeof(sel));
		sel.cases = (uintptr_t)&one;
		sel.ncases = 1;
		sel.index = SENTINEL_INDEX;
		sel.ok = SENTINEL_OK;
		STEP("the select blocks; its element's page made read-only");
		th = spawn(selector, NULL);
		wait_waiters(ch, 0, 1);
		CHECK_SYS("X1", mprotect(page, 4096, PROT_READ));
		memset(e, 0x40 + t, esz);
		CHECK_EQ("X6", chan_send(ch, e), 0);
		join(th);
		STEP("EFAULT, and index and ok untouched");
		CHECK_EQ("L2", sel_ret, -1);
		CHECK_EQ("L2", sel_err, EFAULT);
		if (sel.index != SENTINEL_INDEX || sel.ok != SENTINEL_OK) {
			if (!written)
				fprintf(stderr, "x_select_efault_index: %zu-byte element: EFAULT, yet index %#x and ok %#x were written (were %#x, %#x)\n",
					esz, sel.index, sel.ok, SENTINEL_INDEX,
					SENTINEL_OK);
			written++;
		}
		STEP("the element is received once by a plain receive");
		memset(got, 0, sizeof(got));
		CHECK_EQ("R5", chan_try_recv(ch, got), 1);
		CHECK("R5", got[0] == 0x40 + t && got[esz - 1] == 0x40 + t);
		CHECK_EQ("R5", chan_try_recv(ch, got), -EAGAIN);
		close(ch);
	}
	munmap(page, 4096);
	return written;
}

static void body(void)
{
	int small = trials(8), large = trials(512);

	SOFT("X", small == 0,
	     "8-byte element: a select that failed with EFAULT wrote index and ok in %d of %d trials",
	     small, TRIALS);
	SOFT("X", large == 0,
	     "512-byte element: a select that failed with EFAULT wrote index and ok in %d of %d trials",
	     large, TRIALS);
	hard_finish();
}

int main(void)
{
	hard_main("X R5", "a select that fails with EFAULT writes no answer",
		  60, 0, body);
}
