// SPDX-License-Identifier: GPL-2.0
/*
 * S1: a set is an fd; cases are registered once, get ids, can be removed;
 * the set holds each channel until its case is removed or the set closed.
 *
 * 1. Ids are distinct and >= 0; a bad fd, a non-channel fd and an fd whose
 *    mode forbids the op fail with EBADF, a bad op with EINVAL, an unknown
 *    id with ENOENT, and none of them registers anything.
 * 2. The channel fd a receive case was added with is closed while a
 *    send-only fd remains: sends still go through (the case is a receiver,
 *    K5) and the set receives them; closing the last sender then shows the
 *    case closed (ok = false, X5).
 * 3. Every fd of a channel with buffered elements is closed: the set still
 *    receives them, in order, then reports closed.
 * 4. A removed case is never chosen; a set with no case times out.
 * 5. The set fd is close-on-exec and its fdinfo counts the cases.
 */
#include "set.h"

static void registration(void)
{
	uint64_t v = 0;
	int set, ch, ro, pfd[2], a, b, c, id;
	struct chan_case k;

	STEP("ids, bad cases");
	set = CHECK_OK("S1", chan_set_make());
	CHECK("S1", fcntl(set, F_GETFD) & FD_CLOEXEC);
	ch = CHECK_OK("S1", chan_make(sizeof(v), 1, 0));
	ro = CHECK_OK("S1", chan_dup(ch, CHAN_RECV_ONLY));
	CHECK_SYS("S1", pipe(pfd));
	a = set_add(set, ch, CHAN_OP_RECV, &v);
	b = set_add(set, ch, CHAN_OP_SEND, &v);
	c = set_add(set, ro, CHAN_OP_RECV, &v);
	CHECK("S1", a >= 0 && b >= 0 && c >= 0);
	CHECK("S1", a != b && b != c && a != c);

	k = (struct chan_case){ .ch = 999, .op = CHAN_OP_RECV, .elem = &v };
	CHECK_EQ("S1", chan_set_add(set, &k), -EBADF);
	k.ch = pfd[0];
	CHECK_EQ("S1", chan_set_add(set, &k), -EBADF);
	k.ch = set;	/* a set is not a channel */
	CHECK_EQ("S1", chan_set_add(set, &k), -EBADF);
	k = (struct chan_case){ .ch = ro, .op = CHAN_OP_SEND, .elem = &v };
	CHECK_EQ("S1", chan_set_add(set, &k), -EBADF);
	k = (struct chan_case){ .ch = ch, .op = 3, .elem = &v };
	CHECK_EQ("S1", chan_set_add(set, &k), -EINVAL);
	CHECK_EQ("S1", chan_set_del(set, 12345), -ENOENT);
	CHECK_EQ("S1", chan_set_del(set, -1), -ENOENT);

	/* Only the three good cases: the send case is ready (room). */
	CHECK_EQ("S1", chan_set_wait(set, 0, NULL), b);
	CHECK_EQ("S1", chan_set_del(set, b), 0);
	CHECK_EQ("S1", chan_set_del(set, b), -ENOENT);
	id = chan_set_wait(set, 0, NULL);
	CHECK("S1", id == a || id == c);
	CHECK_EQ("S1", chan_set_wait(set, 0, NULL), -EAGAIN);
	close(pfd[0]);
	close(pfd[1]);
	close(ro);
	close(ch);
	close(set);
}

static void fd_closed_after_add(void)
{
	uint64_t v = 0, x;
	int set, ch, tx, id, i;
	bool ok;

	STEP("close the fd a receive case was added with");
	set = CHECK_OK("S1", chan_set_make());
	ch = CHECK_OK("S1", chan_make(sizeof(v), 4, 0));
	tx = CHECK_OK("S1", chan_dup(ch, CHAN_SEND_ONLY));
	id = set_add(set, ch, CHAN_OP_RECV, &v);
	CHECK_SYS("S1", close(ch));
	for (i = 1; i <= 3; i++) {
		x = 100 + i;
		/* The set's case is a receiver: no EPIPE (K5). */
		CHECK_EQ("S1", chan_send(tx, &x), 0);
	}
	for (i = 1; i <= 3; i++) {
		ok = false;
		CHECK_EQ("S1", chan_set_wait(set, -1, &ok), id);
		CHECK("S1", ok);
		CHECK_EQ("S1", v, 100 + i);
	}
	CHECK_EQ("S1", chan_set_wait(set, 0, NULL), -EAGAIN);
	CHECK_SYS("S1", close(tx));	/* the last sender: closed (K5) */
	ok = true;
	CHECK_EQ("S1", chan_set_wait(set, 1000000000, &ok), id);
	CHECK("S1", !ok);
	close(set);
}

static void all_fds_closed(void)
{
	uint64_t v = 0, x;
	int set, ch, id, i;
	bool ok;

	STEP("close every fd of a channel with buffered elements");
	set = CHECK_OK("S1", chan_set_make());
	ch = CHECK_OK("S1", chan_make(sizeof(v), 8, 0));
	for (i = 0; i < 5; i++) {
		x = 7 * i;
		CHECK_EQ("S1", chan_send(ch, &x), 0);
	}
	id = set_add(set, ch, CHAN_OP_RECV, &v);
	CHECK_SYS("S1", close(ch));
	for (i = 0; i < 5; i++) {
		ok = false;
		CHECK_EQ("S1", chan_set_wait(set, -1, &ok), id);
		CHECK("S1", ok);
		CHECK_EQ("S1", v, 7 * i);
	}
	ok = true;
	CHECK_EQ("S1", chan_set_wait(set, -1, &ok), id);
	CHECK("S1", !ok);
	close(set);
}

static void removed_and_empty(void)
{
	uint64_t v = 1;
	int set, ch, id;
	char path[64], line[256];
	FILE *f;
	bool seen = false;

	STEP("a removed case is never chosen; fdinfo");
	set = CHECK_OK("S1", chan_set_make());
	CHECK_EQ("S1", chan_set_wait(set, 0, NULL), -EAGAIN);
	CHECK_EQ("S1", chan_set_wait(set, 20000000, NULL), -ETIMEDOUT);
	ch = CHECK_OK("S1", chan_make(sizeof(v), 1, 0));
	CHECK_EQ("S1", chan_send(ch, &v), 0);
	id = set_add(set, ch, CHAN_OP_RECV, &v);
	set_add(set, ch, CHAN_OP_RECV, &v);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", set);
	f = fopen(path, "r");
	CHECK("S1", f);
	while (fgets(line, sizeof(line), f))
		if (!strcmp(line, "chan-set-cases:\t2\n"))
			seen = true;
	fclose(f);
	CHECK("S1", seen);
	CHECK_EQ("S1", chan_set_del(set, id), 0);
	CHECK_EQ("S1", chan_set_del(set, id + 1), 0);
	CHECK_EQ("S1", chan_set_wait(set, 0, NULL), -EAGAIN);
	/* The element is still in the channel: nothing moved. */
	CHECK_EQ("S1", len_of(ch), 1);
	close(ch);
	close(set);
}

int main(void)
{
	test_start("S1", "set fds, case ids, removal, the set holds the channel",
		   sel_watchdog(60));
	registration();
	fd_closed_after_add();
	all_fds_closed();
	removed_and_empty();
	test_pass();
}
