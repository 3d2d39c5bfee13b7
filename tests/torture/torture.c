// SPDX-License-Identifier: GPL-2.0
/*
 * torture: the exactly-once torture of chan (R5, B3, B4, with K1, K2, K3,
 * K4, R1, R2, X2, S2 and per-sender FIFO order along the way).
 *
 *   torture [--seconds N] [--seed S] [--round-seed X] [--fifo]
 *           [--budget BYTES] [--ring]
 *
 * The run is a sequence of rounds.  Each round makes 1-4 channels (buffered
 * and unbuffered), and starts participants: threads of this process and
 * forked processes of one or two threads.  Every participant sends and
 * receives numbered elements at random, by blocking, non-blocking and
 * deadline calls, by chan_select over several channels (send and receive
 * cases mixed), by waits on a select set of a send and a receive case on
 * each channel (S2; its receive cases are moved to the next ledger slot
 * with chan_set_del and chan_set_add after every receive, and a channel's
 * cases are removed once it is seen closed), and by write(2)/read(2)
 * batches.  Meanwhile a signaller
 * thread sends a signal to a random participant every millisecond (SIGUSR1
 * without SA_RESTART, SIGUSR2 with it), the main thread kill -9s random
 * participant processes and starts new ones, and a random participant may
 * Go-close a channel.  At the end of the round every channel is closed, the
 * participants leave, the buffers are drained, and the checker compares the
 * ledgers:
 *
 * - a send that reported success was received exactly once or drained (R5);
 *   a send that failed (EAGAIN, ETIMEDOUT, EINTR, EPIPE, a select case not
 *   chosen) was never received (R5, B3, X2);
 * - the one send a killed process had in flight was delivered at most once
 *   (B4): that is all B4 allows, and all the checker allows;
 * - a receiver sees each sender's elements on one channel in send order, and
 *   what is left buffered on a channel is, per sender, a suffix of what it
 *   sent there (R1, R3);
 * - every element is intact (its checksum) and came from the channel it was
 *   sent on.
 *
 * The ledgers live in MAP_SHARED memory so that they survive kill -9.  What
 * counts as "received": a receive stores the element straight into the
 * receiver's ledger slot (the kernel writes it there), so an element the
 * kernel handed to a receiver is in the ledger even if the receiver is
 * killed before the call returns.  A send is marked in flight before the
 * call and succeeded or failed after it; a killed sender leaves at most one
 * send in flight per thread.
 *
 * Everything random comes from the seed, printed first; a failure prints the
 * round and its seed, and `--seed S` (or `--round-seed X` for that round
 * alone) runs the same rounds again.  The interleavings differ from run to
 * run, so a rare race may take several runs to come back.
 *
 * --fifo (for PREEMPT_RT, V3): every participant thread is SCHED_FIFO, at
 * priority 10, 11 or 12 by its number, and pinned to CPU (number mod CPUs),
 * so that participants of different priorities share each CPU: one that
 * spins or waits for another must never wait for a lower-priority one it has
 * preempted.  The main and signaller threads run above them (20).  On a
 * PREEMPT_RT kernel (/sys/kernel/realtime is 1) it is the default.
 *
 * --ring (M2, M3): each buffered channel of a round is a ring channel
 * (CHAN_RING) with even odds, so that libchan's fast path meets the
 * kernel's paths, kill -9 lands inside fast-path operations, and the
 * kernel repairs what the dead left half done.  A receiver killed inside a
 * fast-path receive has taken the element from the ring (chan(4): a
 * half-read slot goes with the receiver) but may have copied all, part or
 * none of it into its ledger: its in-flight slot counts if it holds a
 * whole element, and otherwise one element of that channel may be missing,
 * for each such receiver, and no more (M3).
 *
 * --budget sets user_budget_bytes to BYTES for the run (a few KiB: the
 * round's channels must fit), so that sends, receives, selects and batches
 * are refused with EMFILE, which must have had no effect (L5): such a send
 * is never received, such a receive stores nothing.  The parameter is put
 * back however the run ends (a parent process waits for the run).
 *
 * Without --seconds it runs the short version of make check: 19 s of
 * rounds with half the buffered channels rings (as --ring), the last 5 s
 * of them with a budget that leaves the participants' calls 512 bytes
 * beyond the round's channels (and no rings), about 20 s in all.
 * Exit 0 when everything checked out, 77 without /dev/chan, 1 on a failure.
 */
#include "../user/check.h"

#include <sys/syscall.h>

#define RULES		"R5 B3 B4"
#define MAX_CH		4
#define MAX_PART	48	/* participants per round, respawns included */
#define MAX_PROC	16	/* processes alive at once */
#define SEQ_MAX		65536	/* sends a participant may attempt per round */
#define SLOT_MAX	32768	/* elements a participant may receive per round */
#define BATCH_MAX	4	/* elements per read(2)/write(2) */
#define SELECT_MAX	4	/* cases per select */
#define FIFO_CTL	20	/* --fifo: the main and signaller threads */

/* An element: who sent it, its number, where it went, and a checksum. */
struct elem {
	uint32_t sender;
	uint32_t seq;
	uint32_t ch;
	uint32_t round;
	uint64_t sum;	/* never 0: an all-zero ledger slot is empty */
};

/* Send ledger states, one byte per sequence number. */
enum {
	S_NONE,		/* never attempted */
	S_INFLIGHT,	/* the call started and did not report back */
	S_OK,		/* the call reported success */
	S_EAGAIN,	/* the failures: the element must never be received */
	S_ETIMEDOUT,
	S_EINTR,
	S_EPIPE,
	S_NOTCHOSEN,	/* a select case that did not proceed (X2) */
	S_CLOSED,	/* a select send case that found the channel closed */
	S_EMFILE,	/* refused for the budget (--budget) */
};

static const char *const state_name[] = {
	"never sent", "in flight", "sent", "failed EAGAIN",
	"failed ETIMEDOUT", "failed EINTR", "failed EPIPE",
	"a select case not chosen", "a select send on a closed channel",
	"failed EMFILE",
};

struct stats {
	uint64_t sends, recvs, selects, batches, set_waits;
	uint64_t eagain, etimedout, eintr, epipe, closed;
	uint64_t closes;
	uint64_t emfile;
};

/* One participant: a thread of this process or of a forked one. */
struct part {
	int pid, tid;		/* set by the participant when it starts */
	int proc;		/* -1: a thread of the main process */
	int killed;		/* set by the main thread after kill -9 */
	int close_ch;		/* the channel it Go-closed, or -1 */
	int close_state;	/* 0 none, 1 in flight, 2 done, 3 EPIPE */
	uint32_t nseq;		/* sequence numbers used */
	uint32_t nrecv;		/* ledger slots filled */
	int ring_recv;		/* 1 + channel of a fast-path receive in flight */
	struct stats st;
	uint8_t state[SEQ_MAX];
	uint8_t sent_ch[SEQ_MAX];
	struct elem slot[SLOT_MAX];
};

/* Everything the participants share, in MAP_SHARED memory. */
struct shared {
	uint64_t seed;		/* of this round */
	uint32_t round;
	int nch;
	int fd[MAX_CH];
	int cap[MAX_CH];
	int closing[MAX_CH];	/* set before any chan_close of the channel */
	bool ring[MAX_CH];	/* --ring: made with CHAN_RING */
	int stop;
	int close_tickets;	/* Go-closes left for the participants */
	int64_t close_at;	/* not before this time */
	uint64_t signals;	/* delivered: counted by the handlers */
	int nparts;
	struct part part[MAX_PART];
};

static struct shared *sh;
static uint64_t master_seed;
static uint64_t budget;		/* user_budget_bytes now set, 0: untouched */
static uint64_t budget_calls;	/* short run: budget beyond each round's channels */
static uint64_t chan_cost_bytes;	/* what a channel costs, its buffer aside */
static void budget_set(uint64_t bytes);

/* Totals of the whole run, kept by the main process. */
static struct {
	uint64_t elements, drained, rounds, kills, closes, killed_inflight;
	uint64_t killed_delivered, signals_sent, signals;
	uint64_t ring_taken;	/* --ring: taken by receivers killed mid-copy */
	struct stats st;
} total;

static uint64_t mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t rnd(uint64_t *s)
{
	*s = mix64(*s);
	return *s;
}

static uint64_t below(uint64_t *s, uint64_t n)
{
	return rnd(s) % n;
}

static uint64_t elem_sum(const struct elem *e)
{
	return mix64(sh->seed ^ mix64((uint64_t)e->sender << 32 | e->seq) ^
		     ((uint64_t)e->ch << 40) ^ e->round) | 1;
}

static void __attribute__((noreturn, format(printf, 2, 3)))
tfail(const char *rule, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "torture: FAIL [%s] (pid %d) round %u: ", rule,
		(int)getpid(), sh->round);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\ntorture: reproduce with --seed %" PRIu64
		" (this round alone: --round-seed %" PRIu64 ")\n",
		master_seed, sh->seed);
	_exit(1);
}

/* Whether @e is an element this round sent, intact (its checksum). */
static bool elem_whole(const struct elem *e)
{
	return e->sum == elem_sum(e) && e->round == sh->round &&
	       e->sender < (uint32_t)sh->nparts && e->seq < SEQ_MAX &&
	       e->ch < (uint32_t)sh->nch;
}

static bool slot_empty(const struct elem *e)
{
	static const struct elem zero;

	return !memcmp(e, &zero, sizeof(*e));
}

static void on_signal(int sig)
{
	(void)sig;
	__atomic_fetch_add(&sh->signals, 1, __ATOMIC_RELAXED);
}

/* The per-participant state of a worker loop. */
struct worker {
	int id;
	struct part *p;
	uint64_t rng;
	bool dead[MAX_CH];	/* seen closed: EPIPE, or closed and drained */
	int set;		/* its select set, or -1 */
	int set_recv[MAX_CH];	/* the set's case ids, -1: none */
	int set_send[MAX_CH];
	uint32_t set_slot;	/* the ledger slot the receive cases store into */
	struct elem set_out[MAX_CH];	/* what the send cases send */
};

static bool is_closing(int c)
{
	return __atomic_load_n(&sh->closing[c], __ATOMIC_ACQUIRE);
}

/* An error a send or receive may fail with, given how it was asked. */
static uint8_t failure(struct worker *w, const char *what, int c,
		       int64_t timeout, int err)
{
	switch (err) {
	case -EAGAIN:
		if (timeout != 0)
			tfail("B1", "participant %d: %s on channel %d without a zero timeout failed EAGAIN",
			      w->id, what, c);
		w->p->st.eagain++;
		return S_EAGAIN;
	case -ETIMEDOUT:
		if (timeout <= 0)
			tfail("B2", "participant %d: %s on channel %d without a deadline failed ETIMEDOUT",
			      w->id, what, c);
		w->p->st.etimedout++;
		return S_ETIMEDOUT;
	case -EINTR:
		w->p->st.eintr++;
		return S_EINTR;
	case -EMFILE:
		if (!budget)
			tfail("L5", "participant %d: %s on channel %d failed EMFILE with the default budget",
			      w->id, what, c);
		w->p->st.emfile++;
		return S_EMFILE;
	case -EPIPE:
		if (c >= 0 && !is_closing(c))
			tfail("K2", "participant %d: %s on channel %d failed EPIPE but nobody closed it",
			      w->id, what, c);
		w->p->st.epipe++;
		if (c >= 0)
			w->dead[c] = true;
		return S_EPIPE;
	}
	tfail("R5", "participant %d: %s on channel %d: unexpected %d %s",
	      w->id, what, c, err, check_errname(err));
}

/* A fresh element numbered @seq for channel @c. */
static struct elem make_elem(struct worker *w, uint32_t seq, int c)
{
	struct elem e = { .sender = (uint32_t)w->id, .seq = seq,
			  .ch = (uint32_t)c, .round = sh->round };

	e.sum = elem_sum(&e);
	return e;
}

/* A received element must be intact and come from the channel read. */
static void check_received(struct worker *w, const struct elem *e, int c)
{
	if (e->sum != elem_sum(e) || e->round != sh->round)
		tfail("R5", "participant %d: corrupt element from channel %d (sender %u seq %u ch %u round %u)",
		      w->id, c, e->sender, e->seq, e->ch, e->round);
	if ((int)e->ch != c)
		tfail("R5", "participant %d: element of sender %u seq %u sent on channel %u came out of channel %d",
		      w->id, e->sender, e->seq, e->ch, c);
}

static void check_slot_untouched(struct worker *w, const char *rule,
				 const char *what)
{
	if (w->p->nrecv < SLOT_MAX && !slot_empty(&w->p->slot[w->p->nrecv]))
		tfail(rule, "participant %d: %s wrote an element into the receive buffer",
		      w->id, what);
}

static int64_t pick_timeout(struct worker *w)
{
	switch (below(&w->rng, 10)) {
	case 0: case 1: case 2:
		return -1;				/* blocking */
	case 3: case 4:
		return 0;				/* try */
	default:
		return 1000 + (int64_t)below(&w->rng, 3000000); /* deadline */
	}
}

static int pick_channel(struct worker *w)
{
	int c = (int)below(&w->rng, (uint64_t)sh->nch), i;

	/* Mostly a channel still open; now and then a closed one (K2, K3). */
	for (i = 0; i < sh->nch && w->dead[c] && below(&w->rng, 10); i++)
		c = (c + 1) % sh->nch;
	return c;
}

static int xfer_send(int fd, const struct elem *e, int64_t timeout)
{
	return timeout < 0 ? chan_send(fd, e) :
			     chan_send_timeout(fd, e, timeout);
}

static int xfer_recv(int fd, struct elem *e, int64_t timeout)
{
	return timeout < 0 ? chan_recv(fd, e) :
			     chan_recv_timeout(fd, e, timeout);
}

static void do_send(struct worker *w)
{
	struct part *p = w->p;
	int c = pick_channel(w), ret;
	int64_t timeout = pick_timeout(w);
	uint32_t seq = p->nseq;
	struct elem e = make_elem(w, seq, c);

	p->nseq++;
	p->sent_ch[seq] = (uint8_t)c;
	__atomic_store_n(&p->state[seq], S_INFLIGHT, __ATOMIC_RELEASE);
	ret = xfer_send(sh->fd[c], &e, timeout);
	if (ret == 0) {
		p->st.sends++;
		__atomic_store_n(&p->state[seq], S_OK, __ATOMIC_RELEASE);
	} else {
		p->state[seq] = failure(w, "send", c, timeout, ret);
	}
}

static void do_recv(struct worker *w)
{
	struct part *p = w->p;
	int c = pick_channel(w), ret;
	int64_t timeout = pick_timeout(w);
	struct elem *e = &p->slot[p->nrecv];

	/* libchan's fast path may take the element and die copying it (M3). */
	if (sh->ring[c])
		__atomic_store_n(&p->ring_recv, c + 1, __ATOMIC_RELEASE);
	ret = xfer_recv(sh->fd[c], e, timeout);
	if (ret == 1) {
		check_received(w, e, c);
		p->st.recvs++;
		/* Before the count: a kill between them leaves a whole slot. */
		__atomic_store_n(&p->ring_recv, 0, __ATOMIC_RELEASE);
		p->nrecv++;
		return;
	}
	__atomic_store_n(&p->ring_recv, 0, __ATOMIC_RELEASE);
	check_slot_untouched(w, "B3", "a failed receive");
	if (ret == 0) {
		if (!is_closing(c))
			tfail("K3", "participant %d: receive on channel %d reported closed but nobody closed it",
			      w->id, c);
		p->st.closed++;
		w->dead[c] = true;
		return;
	}
	failure(w, "receive", c, timeout, ret);
}

/* A select of 1-4 cases on random channels, sends and receives mixed. */
static void do_select(struct worker *w)
{
	struct part *p = w->p;
	struct chan_case cs[SELECT_MAX];
	struct elem out[SELECT_MAX];
	struct elem *in = &p->slot[p->nrecv];
	int n = 1 + (int)below(&w->rng, SELECT_MAX), i, ret, c;
	int64_t timeout = pick_timeout(w);
	uint32_t seq = p->nseq;
	bool sends = false, can_send = p->nseq < SEQ_MAX;
	bool can_recv = p->nrecv < SLOT_MAX;

	if (!can_send && !can_recv)
		return;
	for (i = 0; i < n; i++) {
		c = pick_channel(w);
		cs[i].ch = sh->fd[c];
		cs[i].ok = false;
		/* Every receive case stores into the same ledger slot. */
		if (can_send && (!can_recv || below(&w->rng, 2))) {
			out[i] = make_elem(w, seq, c);
			cs[i].op = CHAN_OP_SEND;
			cs[i].elem = &out[i];
			sends = true;
		} else {
			cs[i].op = CHAN_OP_RECV;
			cs[i].elem = in;
		}
	}
	/* One sequence number for all the send cases: one proceeds at most. */
	if (sends) {
		p->nseq++;
		__atomic_store_n(&p->state[seq], S_INFLIGHT, __ATOMIC_RELEASE);
	}
	p->st.selects++;
	ret = chan_select(cs, (size_t)n, timeout);
	if (ret == -EPIPE)
		tfail("X5", "participant %d: select failed EPIPE instead of a case with ok=false",
		      w->id);
	if (ret < 0) {
		check_slot_untouched(w, "X2", "a failed select");
		i = failure(w, "select", -1, timeout, ret);
		if (sends)
			p->state[seq] = (uint8_t)i;
		return;
	}
	if (ret >= n)
		tfail("X2", "participant %d: select of %d cases chose case %d",
		      w->id, n, ret);
	if (cs[ret].op == CHAN_OP_SEND) {
		c = (int)out[ret].ch;
		check_slot_untouched(w, "X2", "a select that sent");
		if (cs[ret].ok) {
			p->sent_ch[seq] = (uint8_t)c;
			p->st.sends++;
			__atomic_store_n(&p->state[seq], S_OK, __ATOMIC_RELEASE);
			return;
		}
		if (!is_closing(c))
			tfail("X5", "participant %d: select send case on channel %d reported closed but nobody closed it",
			      w->id, c);
		p->st.closed++;
		w->dead[c] = true;
		p->state[seq] = S_CLOSED;
		return;
	}
	for (c = 0; c < sh->nch && sh->fd[c] != cs[ret].ch; c++)
		;
	if (sends)
		p->state[seq] = S_NOTCHOSEN;
	if (cs[ret].ok) {
		check_received(w, in, c);
		p->st.recvs++;
		p->nrecv++;
		return;
	}
	check_slot_untouched(w, "X5", "a select receive case on a closed channel");
	if (!is_closing(c))
		tfail("X5", "participant %d: select receive case on channel %d reported closed but nobody closed it",
		      w->id, c);
	p->st.closed++;
	w->dead[c] = true;
}

/* Register one case of channel @c in the set; its id, or -1 if refused. */
static int set_case(struct worker *w, int c, bool send)
{
	struct chan_case cs = {
		.ch = sh->fd[c], .op = send ? CHAN_OP_SEND : CHAN_OP_RECV,
		.elem = send ? (void *)&w->set_out[c] :
			       (void *)&w->p->slot[w->set_slot],
	};
	int id = chan_set_add(w->set, &cs);

	if (id == -EMFILE && budget) {
		w->p->st.emfile++;
		return -1;
	}
	if (id < 0)
		tfail("S1", "participant %d: chan_set_add of channel %d: %d %s",
		      w->id, c, id, check_errname(id));
	return id;
}

static void set_del(struct worker *w, int *id)
{
	int ret;

	if (*id < 0)
		return;
	ret = chan_set_del(w->set, *id);
	if (ret)
		tfail("S1", "participant %d: chan_set_del of case %d: %d %s",
		      w->id, *id, ret, check_errname(ret));
	*id = -1;
}

/*
 * Bring the set up to date: made on first use; a closed channel's cases
 * removed; the receive cases storing into the next ledger slot.  Returns
 * whether it has a case of each kind (a wait on fewer could only block).
 */
static bool set_ready(struct worker *w)
{
	bool move = w->set_slot != w->p->nrecv, sends = false, recvs = false;
	int c;

	if (w->set < 0) {
		w->set = chan_set_make();
		if (w->set == -EMFILE && budget) {
			w->p->st.emfile++;
			w->set = -1;
			return false;
		}
		if (w->set < 0)
			tfail("S1", "participant %d: chan_set_make: %d %s", w->id,
			      w->set, check_errname(w->set));
		for (c = 0; c < MAX_CH; c++)
			w->set_recv[c] = w->set_send[c] = -1;
		move = true;
	}
	w->set_slot = w->p->nrecv;
	for (c = 0; c < sh->nch; c++) {
		if (w->dead[c]) {
			set_del(w, &w->set_recv[c]);
			set_del(w, &w->set_send[c]);
			continue;
		}
		if (move)
			set_del(w, &w->set_recv[c]);
		if (w->set_recv[c] < 0)
			w->set_recv[c] = set_case(w, c, false);
		if (w->set_send[c] < 0)
			w->set_send[c] = set_case(w, c, true);
		recvs |= w->set_recv[c] >= 0;
		sends |= w->set_send[c] >= 0;
	}
	return sends && recvs;
}

/*
 * A wait on the set: like a select of every live channel's send and
 * receive case, one sequence number for all the sends (S2).
 */
static void do_set(struct worker *w)
{
	struct part *p = w->p;
	struct elem *in;
	int64_t timeout;
	uint32_t seq = p->nseq;
	int c, ret;
	bool ok = false, send;

	if (p->nseq >= SEQ_MAX || p->nrecv >= SLOT_MAX || !set_ready(w))
		return;
	in = &p->slot[p->nrecv];
	timeout = pick_timeout(w);
	for (c = 0; c < sh->nch; c++)
		w->set_out[c] = make_elem(w, seq, c);
	p->nseq++;
	__atomic_store_n(&p->state[seq], S_INFLIGHT, __ATOMIC_RELEASE);
	p->st.set_waits++;
	ret = chan_set_wait(w->set, timeout, &ok);
	if (ret < 0) {
		check_slot_untouched(w, "S2", "a failed set wait");
		p->state[seq] = failure(w, "set wait", -1, timeout, ret);
		return;
	}
	for (c = 0; c < sh->nch && w->set_recv[c] != ret &&
		    w->set_send[c] != ret; c++)
		;
	if (c == sh->nch)
		tfail("S2", "participant %d: set wait returned %d, not a case id",
		      w->id, ret);
	send = w->set_send[c] == ret;
	if (send && ok) {
		check_slot_untouched(w, "S2", "a set wait that sent");
		p->sent_ch[seq] = (uint8_t)c;
		p->st.sends++;
		__atomic_store_n(&p->state[seq], S_OK, __ATOMIC_RELEASE);
		return;
	}
	p->state[seq] = send ? S_CLOSED : S_NOTCHOSEN;
	if (!send && ok) {
		check_received(w, in, c);
		p->st.recvs++;
		p->nrecv++;
		return;
	}
	check_slot_untouched(w, "S2", "a set case on a closed channel");
	if (!is_closing(c))
		tfail("X5", "participant %d: set %s case on channel %d reported closed but nobody closed it",
		      w->id, send ? "send" : "receive", c);
	p->st.closed++;
	w->dead[c] = true;
}

/* write(2) of 1-4 elements: the first bytes/size of them were sent (P3). */
static void do_write(struct worker *w)
{
	struct part *p = w->p;
	struct elem e[BATCH_MAX];
	int c = pick_channel(w), n = 1 + (int)below(&w->rng, BATCH_MAX), i;
	uint32_t seq = p->nseq;
	ssize_t ret;

	if (p->nseq + (uint32_t)n > SEQ_MAX)
		return;
	for (i = 0; i < n; i++) {
		e[i] = make_elem(w, seq + (uint32_t)i, c);
		p->sent_ch[seq + i] = (uint8_t)c;
		__atomic_store_n(&p->state[seq + i], S_INFLIGHT,
				 __ATOMIC_RELEASE);
	}
	p->nseq += (uint32_t)n;
	p->st.batches++;
	ret = write(sh->fd[c], e, (size_t)n * sizeof(e[0]));
	if (ret < 0) {
		uint8_t s = failure(w, "write", c, -1, -errno);

		for (i = 0; i < n; i++)
			p->state[seq + i] = s;
		return;
	}
	if (ret == 0 || ret % sizeof(e[0]) || ret > n * (ssize_t)sizeof(e[0]))
		tfail("P3", "participant %d: write of %d elements returned %zd",
		      w->id, n, ret);
	for (i = 0; i < n; i++) {
		if (i < ret / (ssize_t)sizeof(e[0])) {
			p->st.sends++;
			__atomic_store_n(&p->state[seq + i], S_OK,
					 __ATOMIC_RELEASE);
		} else {
			/* A short count: the channel closed, or a signal. */
			p->state[seq + i] = S_EINTR;
		}
	}
}

/* read(2) of up to 4 elements, straight into the ledger (P2). */
static void do_read(struct worker *w)
{
	struct part *p = w->p;
	int c = pick_channel(w), n = 1 + (int)below(&w->rng, BATCH_MAX), i;
	ssize_t ret;

	if (p->nrecv + (uint32_t)n > SLOT_MAX)
		return;
	p->st.batches++;
	ret = read(sh->fd[c], &p->slot[p->nrecv], (size_t)n * sizeof(struct elem));
	if (ret < 0) {
		check_slot_untouched(w, "B3", "a failed read");
		failure(w, "read", c, -1, -errno);
		return;
	}
	if (ret == 0) {
		check_slot_untouched(w, "K3", "a read at end of channel");
		if (!is_closing(c))
			tfail("K3", "participant %d: read of channel %d returned 0 but nobody closed it",
			      w->id, c);
		p->st.closed++;
		w->dead[c] = true;
		return;
	}
	if (ret % sizeof(struct elem) || ret > n * (ssize_t)sizeof(struct elem))
		tfail("P2", "participant %d: read of %d elements returned %zd",
		      w->id, n, ret);
	for (i = 0; i < ret / (ssize_t)sizeof(struct elem); i++) {
		check_received(w, &p->slot[p->nrecv], c);
		p->st.recvs++;
		p->nrecv++;
	}
	check_slot_untouched(w, "P2", "a read beyond its count");
}

/* Take a Go-close ticket once the round's time for closes has come. */
static void maybe_close(struct worker *w)
{
	struct part *p = w->p;
	int left = __atomic_load_n(&sh->close_tickets, __ATOMIC_RELAXED);
	int c, ret;

	if (left <= 0 || now_ns() < sh->close_at || p->close_ch >= 0 ||
	    !__atomic_compare_exchange_n(&sh->close_tickets, &left, left - 1,
					 false, __ATOMIC_ACQ_REL,
					 __ATOMIC_RELAXED))
		return;
	c = (int)below(&w->rng, (uint64_t)sh->nch);
	p->close_ch = c;
	__atomic_store_n(&sh->closing[c], 1, __ATOMIC_RELEASE);
	p->close_state = 1;
	ret = chan_close(sh->fd[c]);
	if (ret == 0) {
		p->close_state = 2;
		p->st.closes++;
	} else if (ret == -EPIPE) {
		p->close_state = 3;
	} else {
		tfail("K1", "participant %d: chan_close of channel %d: %d %s",
		      w->id, c, ret, check_errname(ret));
	}
}

static bool fifo;	/* --fifo */
static bool ring_mode;	/* --ring */

/* Whether this is a PREEMPT_RT kernel, where --fifo is the default. */
static bool preempt_rt(void)
{
	FILE *f = fopen("/sys/kernel/realtime", "r");
	int rt = 0;

	if (f) {
		if (fscanf(f, "%d", &rt) != 1)
			rt = 0;
		fclose(f);
	}
	return rt == 1;
}

/* --fifo: participant @id's priority and CPU (see the top). */
static void fifo_pin(int id)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t cpus;
	int err;

	CPU_ZERO(&cpus);
	CPU_SET(id % (ncpu > 0 ? ncpu : 1), &cpus);
	CHECK_SYS("V3", sched_setaffinity(0, sizeof(cpus), &cpus));
	err = pthread_setschedparam(pthread_self(), SCHED_FIFO,
				    &(struct sched_param){ .sched_priority = 10 + id % 3 });
	if (err)
		tfail("V3", "participant %d: SCHED_FIFO: %s", id, strerrorname_np(err));
}

static void *worker_main(void *arg)
{
	struct worker w = { .id = (int)(intptr_t)arg, .set = -1 };
	struct part *p = &sh->part[w.id];
	unsigned int mix;
	int i;

	w.p = p;
	w.rng = mix64(sh->seed ^ (uint64_t)w.id << 48);
	if (fifo)
		fifo_pin(w.id);
	/* Its mix of operations: mostly sends, mostly receives, or even. */
	mix = (unsigned int)below(&w.rng, 3);
	/*
	 * Fault the ledger in first: a receive that faults on its buffer while
	 * a kill -9 is pending gives the element back, and could leave a
	 * half-written slot that the checker would take for corruption.
	 */
	for (i = 0; i < (int)sizeof(*p); i += 4096)
		__atomic_fetch_add((char *)p + i, 0, __ATOMIC_RELAXED);
	p->pid = getpid();
	__atomic_store_n(&p->tid, gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
		unsigned int r = (unsigned int)below(&w.rng, 100);
		bool can_send = p->nseq < SEQ_MAX;
		bool can_recv = p->nrecv < SLOT_MAX;

		for (i = 0; i < sh->nch && w.dead[i]; i++)
			;
		if (i == sh->nch || (!can_send && !can_recv)) {
			/* Nothing left to do in this round. */
			sleep_ms(5);
			continue;
		}
		maybe_close(&w);
		if (mix == 0)
			r = r * 7 / 10;		/* 0-69: more sends */
		else if (mix == 1)
			r = 30 + r * 7 / 10;	/* 30-99: more receives */
		if (r < 25 && can_send)
			do_send(&w);
		else if (r < 40 && can_send)
			do_write(&w);
		else if (r < 52)
			do_select(&w);
		else if (r < 60)
			do_set(&w);
		else if (r < 85 && can_recv)
			do_recv(&w);
		else if (can_recv)
			do_read(&w);
		else
			do_send(&w);
	}
	if (w.set >= 0)
		close(w.set);
	return NULL;
}

/* A participant process: one or two worker threads. */
static void __attribute__((noreturn)) proc_main(int first, int n)
{
	pthread_t t;
	int i;

	for (i = 1; i < n; i++)
		if (pthread_create(&t, NULL, worker_main,
				   (void *)(intptr_t)(first + i)))
			_exit(3);
	if (n > 1) {
		worker_main((void *)(intptr_t)first);
		pthread_join(t, NULL);
	} else {
		worker_main((void *)(intptr_t)first);
	}
	_exit(0);
}

/* The main process's bookkeeping of its participant processes. */
static struct {
	pid_t pid;
	int first, n;	/* its participants */
	bool alive;
} procs[MAX_PART];
static int nprocs;
static pthread_mutex_t procs_lock = PTHREAD_MUTEX_INITIALIZER;

static int new_part(int proc)
{
	int id = sh->nparts++;
	struct part *p = &sh->part[id];

	p->proc = proc;
	p->close_ch = -1;
	return id;
}

/* Fork a participant process with @n threads; false when out of room. */
static bool spawn_proc(int n)
{
	int first, i;
	pid_t pid;

	if (sh->nparts + n > MAX_PART || nprocs == MAX_PART)
		return false;
	first = sh->nparts;
	for (i = 0; i < n; i++)
		new_part(nprocs);
	pid = fork_child();
	if (pid == 0)
		proc_main(first, n);
	procs[nprocs].pid = pid;
	procs[nprocs].first = first;
	procs[nprocs].n = n;
	procs[nprocs].alive = true;
	nprocs++;
	return true;
}

static int signaller_stop;

/* Every millisecond a signal to a random live participant (B3). */
static void *signaller(void *arg)
{
	uint64_t rng = mix64(sh->seed ^ 0x516e414cULL);
	struct timespec next;
	sigset_t set;

	(void)arg;
	/*
	 * Real-time priority where allowed (root in the test VM): the
	 * participants keep every CPU busy, and a normal thread would get the
	 * CPU only every few milliseconds.
	 */
	pthread_setschedparam(pthread_self(), SCHED_FIFO,
			      &(struct sched_param){ .sched_priority = fifo ? FIFO_CTL : 1 });
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!__atomic_load_n(&signaller_stop, __ATOMIC_ACQUIRE)) {
		int id, tid;
		struct part *p;

		/*
		 * One signal per millisecond on an absolute schedule: an
		 * emulated CPU wakes this thread late, and it catches up (but
		 * gives up on more than 20 ms of lateness).
		 */
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000;
		}
		if (now_ns() - ((int64_t)next.tv_sec * 1000000000 + next.tv_nsec) >
		    20000000)
			clock_gettime(CLOCK_MONOTONIC, &next);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next,
				       NULL) == EINTR)
			;
		/* Under the lock: a reaped pid cannot be reused meanwhile. */
		pthread_mutex_lock(&procs_lock);
		id = (int)below(&rng, (uint64_t)sh->nparts);
		p = &sh->part[id];
		tid = __atomic_load_n(&p->tid, __ATOMIC_ACQUIRE);
		if (tid && (p->proc < 0 || procs[p->proc].alive) &&
		    syscall(SYS_tgkill, p->pid, tid,
			    below(&rng, 2) ? SIGUSR1 : SIGUSR2) == 0)
			total.signals_sent++;
		pthread_mutex_unlock(&procs_lock);
	}
	return NULL;
}

static void kill_proc(int i)
{
	int status, k;

	pthread_mutex_lock(&procs_lock);
	CHECK_SYS("B4", kill(procs[i].pid, SIGKILL));
	CHECK_EQ("B4", waitpid(procs[i].pid, &status, 0), procs[i].pid);
	procs[i].alive = false;
	for (k = 0; k < procs[i].n; k++)
		sh->part[procs[i].first + k].killed = 1;
	pthread_mutex_unlock(&procs_lock);
	if (WIFEXITED(status))
		tfail("B4", "participant process %d exited %d before it was killed",
		      procs[i].pid, WEXITSTATUS(status));
	total.kills++;
}

/* Reap the participant processes that leave at the end of the round. */
static void reap_all(int64_t deadline)
{
	int i, status, left;

	do {
		left = 0;
		for (i = 0; i < nprocs; i++) {
			pid_t r;

			if (!procs[i].alive)
				continue;
			r = waitpid(procs[i].pid, &status, WNOHANG);
			if (r == 0) {
				left++;
				continue;
			}
			if (r != procs[i].pid)
				tfail("K4", "waitpid %d: %s", procs[i].pid,
				      strerrorname_np(errno));
			procs[i].alive = false;
			if (!WIFEXITED(status) || WEXITSTATUS(status))
				tfail(RULES, "participant process %d (participants %d-%d) failed: %s %d (see above)",
				      procs[i].pid, procs[i].first,
				      procs[i].first + procs[i].n - 1,
				      WIFEXITED(status) ? "exit" : "signal",
				      WIFEXITED(status) ? WEXITSTATUS(status) :
							  WTERMSIG(status));
		}
		if (left)
			usleep(10000);
	} while (left && now_ns() < deadline);
	if (left)
		tfail("K4", "%d participant processes still running %d s after every channel was closed",
		      left, 60);
}

/* The checker's view of one round, in the main process only. */
static uint8_t seen[MAX_PART][SEQ_MAX];
static uint8_t seen_ch[MAX_PART][SEQ_MAX];
/* --ring: elements of each channel that killed fast-path receivers took. */
static int ring_missing[MAX_CH];
static int64_t last_seq[MAX_PART][MAX_CH];	/* per receiver: FIFO */
static int64_t max_recv[MAX_PART][MAX_CH];	/* over all receivers */
static int64_t min_drain[MAX_PART][MAX_CH];

/* Count one element taken by @who (a participant, or -1: the drain). */
static void account(int who, const struct elem *e, int c)
{
	struct part *s;
	uint8_t st;

	if (!elem_whole(e))
		tfail("R5", "%s %d holds a corrupt element (sender %u seq %u ch %u round %u sum %#" PRIx64 ")",
		      who < 0 ? "channel" : "the ledger of participant",
		      who < 0 ? c : who, e->sender, e->seq, e->ch, e->round,
		      e->sum);
	if (c >= 0 && (int)e->ch != c)
		tfail("R5", "element of sender %u seq %u sent on channel %u was drained from channel %d",
		      e->sender, e->seq, e->ch, c);
	s = &sh->part[e->sender];
	st = __atomic_load_n(&s->state[e->seq], __ATOMIC_ACQUIRE);
	if (st != S_OK && st != S_INFLIGHT)
		tfail(st == S_EINTR ? "B3" : st == S_NOTCHOSEN ? "X2" : "R5",
		      "element of sender %u seq %u on channel %u was received (by %s %d) but its send %s",
		      e->sender, e->seq, e->ch,
		      who < 0 ? "the drain of channel" : "participant",
		      who < 0 ? c : who, state_name[st]);
	if (st == S_INFLIGHT && !s->killed)
		tfail("R5", "element of sender %u seq %u received, but the send of that live participant never returned",
		      e->sender, e->seq);
	if (seen[e->sender][e->seq]++)
		tfail(st == S_INFLIGHT ? "B4" : "R5",
		      "element of sender %u seq %u on channel %u (%s) received twice",
		      e->sender, e->seq, e->ch, state_name[st]);
	seen_ch[e->sender][e->seq] = (uint8_t)e->ch;
	if (who >= 0) {
		if ((int64_t)e->seq <= last_seq[e->sender][e->ch])
			tfail("R1", "participant %d received sender %u's seq %u on channel %u after its seq %" PRId64,
			      who, e->sender, e->seq, e->ch,
			      last_seq[e->sender][e->ch]);
		last_seq[e->sender][e->ch] = e->seq;
		if ((int64_t)e->seq > max_recv[e->sender][e->ch])
			max_recv[e->sender][e->ch] = e->seq;
	} else {
		if ((int64_t)e->seq <= last_seq[e->sender][e->ch])
			tfail("R1", "channel %d kept sender %u's seq %u after its seq %" PRId64,
			      c, e->sender, e->seq, last_seq[e->sender][e->ch]);
		last_seq[e->sender][e->ch] = e->seq;
		if (min_drain[e->sender][e->ch] < 0)
			min_drain[e->sender][e->ch] = e->seq;
	}
	total.elements++;
}

static void reset_fifo(void)
{
	int i, c;

	for (i = 0; i < MAX_PART; i++)
		for (c = 0; c < MAX_CH; c++)
			last_seq[i][c] = -1;
}

/* Every element a participant's ledger holds, killed ones included. */
static void account_receiver(int id)
{
	struct part *p = &sh->part[id];
	uint32_t k;

	reset_fifo();
	for (k = 0; k < p->nrecv; k++) {
		if (slot_empty(&p->slot[k]))
			tfail("R5", "participant %d: ledger slot %u of %u is empty",
			      id, k, p->nrecv);
		account(id, &p->slot[k], -1);
	}
	/*
	 * --ring: a receiver killed inside a fast-path receive took the
	 * element from the ring and may have copied all of it, part of it or
	 * nothing into its slot (M3).  A whole element counts, below; anything
	 * else lets one element of that channel be missing at the end.
	 */
	if (p->killed && p->ring_recv > 0 && p->ring_recv <= sh->nch &&
	    k < SLOT_MAX) {
		const struct elem *e = &p->slot[k];
		int c = p->ring_recv - 1;

		if (!sh->ring[c])
			tfail("M3", "participant %d: a fast-path receive in flight on channel %d, which is not a ring",
			      id, c);
		if (!elem_whole(e) || (int)e->ch != c) {
			ring_missing[c]++;
			total.ring_taken++;
			k++;
		}
	}
	/*
	 * A killed receiver's last receive (or read) may have stored its
	 * elements without returning: they were taken, and count (B4).
	 */
	for (; k < SLOT_MAX && !slot_empty(&p->slot[k]); k++) {
		if (!p->killed)
			tfail("B3", "participant %d: ledger slot %u past its count %u is filled",
			      id, k, p->nrecv);
		account(id, &p->slot[k], -1);
	}
}

static void drain(int c)
{
	struct chan_info info = chan_info_of(sh->fd[c]);
	struct elem e;
	unsigned int n = 0;
	int ret;

	if (!info.closed)
		tfail("K1", "channel %d is not closed at the end of the round", c);
	if (info.send_waiters || info.recv_waiters)
		tfail("K4", "channel %d still has %u senders and %u receivers blocked after everyone left",
		      c, info.send_waiters, info.recv_waiters);
	if (info.len > (uint32_t)sh->cap[c])
		tfail("R1", "channel %d holds %u elements, capacity %d", c,
		      info.len, sh->cap[c]);
	reset_fifo();
	while ((ret = chan_try_recv(sh->fd[c], &e)) == 1) {
		account(-1, &e, c);
		n++;
		total.drained++;
	}
	if (ret != 0)
		tfail("K3", "draining closed channel %d: %d %s", c, ret,
		      check_errname(ret));
	if (n != info.len)
		tfail("K3", "channel %d: drained %u elements, its length was %u",
		      c, n, info.len);
}

static void check_round(void)
{
	int id, c, succ;
	uint32_t k;

	memset(seen, 0, sizeof(seen));
	memset(ring_missing, 0, sizeof(ring_missing));
	for (id = 0; id < MAX_PART; id++)
		for (c = 0; c < MAX_CH; c++)
			max_recv[id][c] = min_drain[id][c] = -1;
	for (id = 0; id < sh->nparts; id++)
		account_receiver(id);
	for (c = 0; c < sh->nch; c++)
		drain(c);

	for (id = 0; id < sh->nparts; id++) {
		struct part *p = &sh->part[id];
		int inflight = 0;

		for (k = 0; k < SEQ_MAX; k++) {
			uint8_t st = p->state[k];

			if (st == S_OK && !seen[id][k] &&
			    ring_missing[p->sent_ch[k]] > 0) {
				/* Taken by a receiver killed copying it (M3). */
				ring_missing[p->sent_ch[k]]--;
				continue;
			}
			if (st == S_OK && !seen[id][k])
				tfail("R5", "sender %d seq %u: sent on channel %u, never received nor buffered (lost)",
				      id, k, p->sent_ch[k]);
			if (st == S_OK && seen_ch[id][k] != p->sent_ch[k])
				tfail("R5", "sender %d seq %u: sent on channel %u, received from channel %u",
				      id, k, p->sent_ch[k], seen_ch[id][k]);
			if (st == S_INFLIGHT) {
				if (!p->killed)
					tfail("R5", "sender %d seq %u: still in flight at the end", id, k);
				total.killed_inflight++;
				total.killed_delivered += seen[id][k];
				inflight++;
			}
		}
		/* A killed process's thread had at most one call, of 1-4 elements. */
		if (inflight > BATCH_MAX)
			tfail("B4", "sender %d: %d sends in flight when killed", id,
			      inflight);
		/* What stayed buffered is the tail of what a sender sent there. */
		for (c = 0; c < sh->nch; c++)
			if (min_drain[id][c] >= 0 &&
			    max_recv[id][c] > min_drain[id][c])
				tfail("R1", "sender %d on channel %d: seq %" PRId64 " was received while its earlier seq %" PRId64 " stayed buffered",
				      id, c, max_recv[id][c], min_drain[id][c]);
	}

	/* Exactly one Go-close of each channel succeeded (K1). */
	for (c = 0; c < sh->nch; c++) {
		int unknown = 0;

		succ = 0;
		for (id = 0; id < sh->nparts; id++) {
			struct part *p = &sh->part[id];

			if (p->close_ch != c)
				continue;
			succ += p->close_state == 2;
			unknown += p->close_state == 1 && p->killed;
		}
		succ += sh->closing[c] == 2;	/* the main thread's close */
		if (succ > 1 || succ + unknown < 1)
			tfail("K1", "channel %d: %d Go-closes succeeded", c, succ);
	}
}

static void add_stats(struct stats *t, const struct stats *s)
{
	t->sends += s->sends;
	t->recvs += s->recvs;
	t->selects += s->selects;
	t->set_waits += s->set_waits;
	t->batches += s->batches;
	t->eagain += s->eagain;
	t->etimedout += s->etimedout;
	t->eintr += s->eintr;
	t->epipe += s->epipe;
	t->closed += s->closed;
	t->closes += s->closes;
	t->emfile += s->emfile;
}

static void reset_round(void)
{
	int id;

	for (id = 0; id < sh->nparts; id++) {
		struct part *p = &sh->part[id];
		uint32_t k;

		/* Only what was used: the ledgers are big. */
		for (k = p->nrecv; k < SLOT_MAX && !slot_empty(&p->slot[k]); k++)
			;
		memset(p->slot, 0, k * sizeof(p->slot[0]));
		memset(p->state, 0, SEQ_MAX);
		memset(p, 0, offsetof(struct part, state));
	}
	memset(sh, 0, offsetof(struct shared, part));
}

static void run_round(uint32_t round, uint64_t seed, int64_t length_ns)
{
	uint64_t rng = seed;
	pthread_t threads[8], sig;
	int nthreads, nproc, per_proc, i, c, kill_pct;
	int64_t start = now_ns(), end = start + length_ns;
	unsigned int kills = 0, closes = 0;
	struct stats rs = { 0 };

	reset_round();
	nprocs = 0;
	sh->seed = seed;
	sh->round = round;
	sh->nch = 1 + (int)below(&rng, MAX_CH);
	for (c = 0; c < sh->nch; c++) {
		/* A third unbuffered, the others small buffers. */
		sh->cap[c] = below(&rng, 3) ? 1 + (int)below(&rng, 8) : 0;
		/* --ring: half the buffered channels are rings (M2, M3). */
		sh->ring[c] = ring_mode && sh->cap[c] && below(&rng, 2);
		/* A ring's pages are not in the small budgets' sums. */
		sh->ring[c] = sh->ring[c] && !budget;
		sh->fd[c] = chan_make(sizeof(struct elem), (size_t)sh->cap[c],
				      sh->ring[c] ? CHAN_RING : 0);
		if (sh->fd[c] == -EMFILE && budget)
			tfail("L5", "the round's channels do not fit user_budget_bytes %" PRIu64 ": give a larger --budget",
			      budget);
		CHECK("C1", sh->fd[c] >= 0);
	}
	if (budget_calls) {
		/* The short run's last rounds: little room for the calls. */
		uint64_t b = budget_calls;

		for (c = 0; c < sh->nch; c++)
			b += chan_cost_bytes + sizeof(struct elem) * sh->cap[c];
		budget_set(b);
	}
	nthreads = 1 + (int)below(&rng, 4);
	nproc = 1 + (int)below(&rng, 3);
	per_proc = 1 + (int)below(&rng, 2);
	sh->close_tickets = (int)below(&rng, 3);
	sh->close_at = start + (int64_t)(length_ns * (3 + below(&rng, 7)) / 10);
	kill_pct = below(&rng, 5) ? 20 + (int)below(&rng, 60) : 0;

	STEP("starting the participants");
	for (i = 0; i < nthreads; i++)
		threads[i] = spawn(worker_main, (void *)(intptr_t)new_part(-1));
	for (i = 0; i < nproc; i++)
		spawn_proc(per_proc);
	signaller_stop = 0;
	sig = spawn(signaller, NULL);

	STEP("running: kill -9 of random participant processes");
	while (now_ns() < end) {
		sleep_ms(20 + (unsigned int)below(&rng, 180));
		if ((int)below(&rng, 100) >= kill_pct)
			continue;
		i = (int)below(&rng, (uint64_t)nprocs);
		if (!procs[i].alive)
			continue;
		kill_proc(i);
		kills++;
		pthread_mutex_lock(&procs_lock);
		spawn_proc(procs[i].n);
		pthread_mutex_unlock(&procs_lock);
	}

	STEP("stopping: every channel closed (K4)");
	__atomic_store_n(&sh->stop, 1, __ATOMIC_RELEASE);
	for (c = 0; c < sh->nch; c++) {
		int ret;

		__atomic_store_n(&sh->closing[c], 1, __ATOMIC_RELEASE);
		ret = chan_close(sh->fd[c]);
		if (ret == 0)
			sh->closing[c] = 2;
		else if (ret != -EPIPE)
			tfail("K1", "closing channel %d: %d %s", c, ret,
			      check_errname(ret));
	}
	__atomic_store_n(&signaller_stop, 1, __ATOMIC_RELEASE);
	join(sig);
	STEP("waiting for the participants to leave (K4)");
	for (i = 0; i < nthreads; i++) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		if (pthread_timedjoin_np(threads[i], NULL, &ts))
			tfail("K4", "participant thread %d still running 60 s after every channel was closed",
			      i);
	}
	reap_all(now_ns() + 60 * 1000000000LL);

	STEP("checking the ledgers");
	check_round();
	for (i = 0; i < sh->nparts; i++) {
		add_stats(&rs, &sh->part[i].st);
		closes += sh->part[i].close_state == 2;
	}
	add_stats(&total.st, &rs);
	total.signals += __atomic_load_n(&sh->signals, __ATOMIC_RELAXED);
	total.closes += closes;
	total.rounds++;
	fprintf(stderr, "round %u seed %" PRIu64 ": %d channels (cap", round,
		seed, sh->nch);
	for (c = 0; c < sh->nch; c++)
		fprintf(stderr, " %d%s", sh->cap[c], sh->ring[c] ? "r" : "");
	fprintf(stderr, "), %d participants: %" PRIu64 " sent, %" PRIu64
		" received, %" PRIu64 " signals, %u kills, %u closes: ok\n",
		sh->nparts, rs.sends, rs.recvs,
		__atomic_load_n(&sh->signals, __ATOMIC_RELAXED), kills, closes);
	for (c = 0; c < sh->nch; c++)
		close(sh->fd[c]);
}

static void usage(void)
{
	fprintf(stderr, "usage: torture [--seconds N] [--seed S] [--round-seed X] [--fifo] [--budget BYTES] [--ring]\n");
	exit(2);
}

#define BUDGET_PARAM	"/sys/module/chan/parameters/user_budget_bytes"
#define BUDGET_CALLS	512	/* the short run's last rounds: for calls */

static char budget_old[32];

static int budget_file(const char *val)
{
	int fd = open(BUDGET_PARAM, val ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = val ? write(fd, val, strlen(val)) :
		  read(fd, budget_old, sizeof(budget_old) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	if (!val)
		budget_old[strcspn(budget_old, "\n")] = '\0';
	return 0;
}

/*
 * Make sure user_budget_bytes is put back however the run ends: the run
 * goes on in a child, and this process waits for it and restores the
 * parameter.  False (nothing changed) when it cannot be read (not root).
 */
static bool budget_guard(void)
{
	int status;
	pid_t pid;

	if (budget_file(NULL) < 0)
		return false;
	pid = fork_child();
	if (pid == 0)
		return true;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (budget_file(budget_old) < 0)
		fprintf(stderr, "torture: FAIL: could not put " BUDGET_PARAM " back to %s\n",
			budget_old);
	if (WIFSIGNALED(status))
		fprintf(stderr, "torture: FAIL: the run ended by signal %d\n",
			WTERMSIG(status));
	exit(WIFEXITED(status) ? WEXITSTATUS(status) : 1);
}

/*
 * What a channel of 1-byte elements and no buffer costs the budget: the
 * smallest budget that lets one be made, with nothing else charged.
 */
static uint64_t chan_cost(void)
{
	uint64_t lo = 1, hi = 1 << 16, mid;
	char val[32];
	int fd;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		snprintf(val, sizeof(val), "%" PRIu64, mid);
		CHECK_SYS("L5", budget_file(val));
		fd = chan_make(1, 0, 0);
		if (fd >= 0) {
			close(fd);
			hi = mid;
		} else {
			CHECK_EQ("L5", fd, -EMFILE);
			lo = mid + 1;
		}
	}
	CHECK_SYS("L5", budget_file(budget_old));
	return lo;
}

static void budget_set(uint64_t bytes)
{
	char val[32];

	snprintf(val, sizeof(val), "%" PRIu64, bytes);
	if (budget_file(val) < 0)
		tfail("L5", "cannot set " BUDGET_PARAM " to %s: %s", val,
		      strerrorname_np(errno));
	budget = bytes;
	fprintf(stderr, "torture: user_budget_bytes %s (was %s)\n", val,
		budget_old);
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t round_seed = 0;
	int64_t seconds = 19, start, end;
	bool one_round = false, short_run = true, guarded = false;
	uint64_t want_budget = 0, short_budget = 0;
	uint32_t round;
	int i;

	master_seed = mix64((uint64_t)now_ns() ^ (uint64_t)getpid() << 32);
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--fifo")) {
			fifo = true;
			continue;
		}
		if (!strcmp(argv[i], "--ring")) {
			ring_mode = true;
			continue;
		}
		if (i + 1 == argc)
			usage();
		if (!strcmp(argv[i], "--seconds"))
			seconds = strtoll(argv[++i], NULL, 0), short_run = false;
		else if (!strcmp(argv[i], "--budget"))
			want_budget = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--seed"))
			master_seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--round-seed"))
			round_seed = strtoull(argv[++i], NULL, 0), one_round = true;
		else
			usage();
	}
	if (seconds < 1)
		usage();
	/* make check's short run covers ring channels too (M2, M3). */
	ring_mode = ring_mode || short_run;
	fifo = fifo || preempt_rt();
	if (want_budget || short_run) {
		guarded = budget_guard();
		if (!guarded && want_budget) {
			fprintf(stderr, "torture: --budget needs root (cannot read " BUDGET_PARAM ")\n");
			exit(2);
		}
	}
	/* Longer than the run: one round's end may take a while (K4). */
	test_start(fifo ? (ring_mode ? RULES " V3 M2 M3" : RULES " V3") :
			  (ring_mode ? RULES " M2 M3" : RULES),
		   "exactly-once torture: threads, processes, selects, signals, kill -9, Go-close",
		   (unsigned int)(seconds + 180));
	fprintf(stderr, "torture: seed %" PRIu64 ", %" PRId64 " s%s%s\n",
		master_seed, seconds, fifo ? ", SCHED_FIFO participants pinned to shared CPUs" : "",
		ring_mode ? ", half the buffered channels rings" : "");
	if (fifo) {
		int err = pthread_setschedparam(pthread_self(), SCHED_FIFO,
						&(struct sched_param){ .sched_priority = FIFO_CTL });

		if (err)
			tfail("V3", "--fifo: SCHED_FIFO for the main thread: %s", strerrorname_np(err));
	}

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("R5", sh != MAP_FAILED);
	sigemptyset(&sa.sa_mask);
	CHECK_SYS("B3", sigaction(SIGUSR1, &sa, NULL));
	sa.sa_flags = SA_RESTART;
	CHECK_SYS("B3", sigaction(SIGUSR2, &sa, NULL));
	if (guarded) {
		chan_cost_bytes = chan_cost();
		fprintf(stderr, "torture: a channel costs the budget %" PRIu64
			" bytes and its buffer; the round's channels at most %" PRIu64 "\n",
			chan_cost_bytes,
			MAX_CH * (chan_cost_bytes + 8 * sizeof(struct elem)));
		short_budget = MAX_CH * (chan_cost_bytes +
					 8 * sizeof(struct elem)) +
			       BUDGET_CALLS;
	}
	if (want_budget)
		budget_set(want_budget);
	else if (short_run && !guarded)
		fprintf(stderr, "torture: not root: no rounds with a small budget\n");

	start = now_ns();
	end = start + seconds * 1000000000LL;
	for (round = 1; ; round++) {
		uint64_t seed = one_round ? round_seed :
					    mix64(master_seed + round);
		uint64_t r = seed;
		/* 1.5-4 s a round; the last one ends with the run. */
		int64_t len = 1500000000LL + (int64_t)below(&r, 2500000000ULL);
		int64_t left = end - now_ns();

		if (left < 500000000LL && round > 1)
			break;
		if (len > left || one_round)
			len = left > 500000000LL ? left : 500000000LL;
		/* The short run's last rounds refuse calls for the budget. */
		if (short_run && guarded && left <= 5000000000LL) {
			/* Room for any round's channels; tightened after. */
			budget_set(short_budget);
			budget_calls = BUDGET_CALLS;
		}
		run_round(round, seed, len);
		if (one_round)
			break;
	}

	fprintf(stderr, "torture: seed %" PRIu64 ": %" PRIu64 " rounds, %" PRIu64
		" elements checked (%" PRIu64 " sent, %" PRIu64 " received, %" PRIu64
		" left buffered), %" PRIu64 " selects, %" PRIu64 " set waits, %"
		PRIu64 " batches\n",
		master_seed, total.rounds, total.elements, total.st.sends,
		total.st.recvs, total.drained, total.st.selects,
		total.st.set_waits, total.st.batches);
	fprintf(stderr, "torture: %" PRIu64 " signals sent, %" PRIu64
		" delivered, %" PRIu64 " EINTR; %" PRIu64 " timeouts, %" PRIu64
		" EAGAIN, %" PRIu64 " EPIPE, %" PRIu64 " EMFILE\n",
		total.signals_sent, total.signals, total.st.eintr,
		total.st.etimedout, total.st.eagain, total.st.epipe,
		total.st.emfile);
	fprintf(stderr, "torture: %" PRIu64 " processes killed (%" PRIu64
		" sends in flight, %" PRIu64 " of them delivered), %" PRIu64
		" Go-closes by participants\n", total.kills,
		total.killed_inflight, total.killed_delivered, total.closes);
	if (ring_mode)
		fprintf(stderr, "torture: ring channels: %" PRIu64
			" elements taken by receivers killed inside a fast-path receive (M3)\n",
			total.ring_taken);
	fprintf(stderr, "torture: took %.1f s\n", (now_ns() - start) / 1e9);
	fprintf(stderr, "torture: TOTALS seed=%" PRIu64 " seconds=%" PRId64
		" rounds=%" PRIu64 " elements=%" PRIu64 " signals=%" PRIu64
		" kills=%" PRIu64 " closes=%" PRIu64 " timeouts=%" PRIu64
		" eintr=%" PRIu64 " emfile=%" PRIu64
		" lost=0 doubled=0 misordered=0\n",
		master_seed, seconds, total.rounds, total.elements,
		total.signals, total.kills,
		total.closes, total.st.etimedout, total.st.eintr,
		total.st.emfile);
	test_pass();
}
