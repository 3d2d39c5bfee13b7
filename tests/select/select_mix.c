// SPDX-License-Identifier: GPL-2.0
/*
 * X1-X5 on every mix of channel kinds: buffered (empty, part full, full),
 * unbuffered (alone, or with a blocked plain peer), closed (drained, or
 * still holding an element) and nil, each in a send and a receive case.
 * Every pair of those 16 cases, then all 16 in one select: a zero-timeout
 * select must pick a case that is ready (EAGAIN if none is), report ok as
 * X5 says, move exactly that case's element, and leave every other
 * channel and peer as it was (X2).
 */
#include "sel.h"

enum kind {
	NIL, BUF_EMPTY, BUF_PART, BUF_FULL, UNBUF, UNBUF_PEER, CLOSED,
	CLOSED_BUF, NKINDS
};

static const char *const kind_name[NKINDS] = {
	"nil", "buffered empty", "buffered part full", "buffered full",
	"unbuffered", "unbuffered with peer", "closed", "closed with element",
};

#define BUFVAL	100
#define PEERVAL	200
#define MIXROUNDS 40

struct slot {
	enum kind kind;
	bool send;
	int ch;
	unsigned int len;	/* before the select */
	struct peer peer;
	uint64_t val;
};

static void slot_make(struct slot *s, enum kind kind, bool send, int id)
{
	uint64_t v = BUFVAL;

	s->kind = kind;
	s->send = send;
	s->val = send ? 1000 + id : 0;
	s->ch = -1;
	s->len = 0;
	if (kind == NIL)
		return;
	s->ch = CHECK_OK("X1", chan_make(sizeof(uint64_t),
					 kind == BUF_FULL || kind == CLOSED_BUF ? 1 :
					 kind == BUF_EMPTY || kind == BUF_PART ? 2 : 0, 0));
	if (kind == BUF_PART || kind == BUF_FULL || kind == CLOSED_BUF) {
		CHECK_EQ("X1", chan_send(s->ch, &v), 0);
		s->len = 1;
	}
	if (kind == CLOSED || kind == CLOSED_BUF)
		CHECK_EQ("X5", chan_close(s->ch), 0);
	if (kind == UNBUF_PEER) {
		peer_start(&s->peer, s->ch, !send, PEERVAL + id);
		wait_waiters(s->ch, !send, send);
	}
}

static bool slot_ready(const struct slot *s)
{
	switch (s->kind) {
	case BUF_EMPTY:
		return s->send;
	case BUF_FULL:
		return !s->send;
	case BUF_PART:
	case UNBUF_PEER:
	case CLOSED:
	case CLOSED_BUF:
		return true;
	default:
		return false;
	}
}

/* Check @s after a select that chose it (@chosen) or not; then free it. */
static void slot_check_end(struct slot *s, int id, bool chosen,
			   const struct chan_case *c)
{
	bool closed = s->kind == CLOSED || s->kind == CLOSED_BUF;
	unsigned int len = s->len;
	uint64_t v;

	if (s->kind == NIL)
		return;
	if (chosen) {
		/* X5: ok=false for a closed channel, unless it received. */
		CHECK_EQ("X5", c->ok, !(closed && (s->send || !s->len)));
		if (!s->send && s->len)
			CHECK_EQ("X2", s->val, BUFVAL);
		if (!s->send && s->kind == UNBUF_PEER)
			CHECK_EQ("X2", s->val, PEERVAL + id);
		if (c->ok && s->kind != UNBUF_PEER)
			len += s->send ? 1 : -1;
	}
	CHECK_STATE("X2", s->ch, len, s->kind == UNBUF_PEER && !chosen && !s->send,
		    s->kind == UNBUF_PEER && !chosen && s->send);
	if (s->kind == UNBUF_PEER) {
		CHECK_EQ("X2", chan_close(s->ch), 0);
		join(s->peer.thread);
		if (!chosen) {
			/* Still blocked until the close: it moved nothing. */
			CHECK_EQ("X2", s->peer.ret, s->send ? 0 : -EPIPE);
		} else if (s->send) {
			CHECK_EQ("X2", s->peer.ret, 1);
			CHECK_EQ("X2", s->peer.val, 1000 + id);
		} else {
			CHECK_EQ("X2", s->peer.ret, 0);
		}
	}
	if (chosen && s->send && c->ok) {
		/* The element sent is the case's own, after any old one. */
		if (s->len)
			CHECK_EQ("X2", chan_recv(s->ch, &v), 1);
		if (s->kind != UNBUF_PEER) {
			CHECK_EQ("X2", chan_recv(s->ch, &v), 1);
			CHECK_EQ("X2", v, 1000 + id);
		}
	}
	close(s->ch);
}

/* One select over @n slots, timeout 0, checked against what is ready. */
static void run(struct slot *slots, int n)
{
	struct chan_case cases[2 * NKINDS];
	int i, idx, nready = 0;

	for (i = 0; i < n; i++) {
		cases[i] = slots[i].send ? send_case(slots[i].ch, &slots[i].val)
					 : recv_case(slots[i].ch, &slots[i].val);
		nready += slot_ready(&slots[i]);
	}
	idx = chan_select(cases, n, 0);
	if (!nready) {
		CHECK_EQ("X4", idx, -EAGAIN);
	} else {
		CHECK("X3", idx >= 0 && idx < n);
		CHECK("X3", slot_ready(&slots[idx]));
	}
	for (i = 0; i < n; i++)
		slot_check_end(&slots[i], i, i == idx, &cases[i]);
}

int main(void)
{
	struct slot slots[2 * NKINDS];
	char what[128];
	int a, b, r, i;

	test_start("X1 X2 X3 X4 X5", "every mix of buffered, unbuffered, closed, nil",
		   sel_watchdog(240));
	for (a = 0; a < 2 * NKINDS; a++) {
		for (b = 0; b < 2 * NKINDS; b++) {
			snprintf(what, sizeof(what), "pair: %s %s, %s %s",
				 a % 2 ? "send" : "recv", kind_name[a / 2],
				 b % 2 ? "send" : "recv", kind_name[b / 2]);
			STEP(what);
			slot_make(&slots[0], a / 2, a % 2, 0);
			slot_make(&slots[1], b / 2, b % 2, 1);
			run(slots, 2);
		}
	}
	STEP("all 16 cases in one select");
	for (r = 0; r < MIXROUNDS; r++) {
		for (i = 0; i < 2 * NKINDS; i++)
			slot_make(&slots[i], i / 2, i % 2, i);
		run(slots, 2 * NKINDS);
	}
	test_pass();
}
