/* SPDX-License-Identifier: LGPL-2.1 OR MIT */
/*
 * ring.h: the fast path of ring channels (CHAN_RING), included by chan.c
 * only.  It mirrors kmod/chan_shring.c, whose "DOC: ring channel protocol"
 * is the reference: the layout and slot states are in <linux/chan.h>.
 *
 * A send claims the free slot at hdr.tail by compare-and-exchange of its
 * state (tagged with the mapping's own tag, so that the kernel can repair
 * it if we die before we finish), checks hdr.closed, writes the element
 * and publishes it with a release store; a receive claims the full slot at
 * hdr.head the same way, copies the element and frees the slot with a
 * release store.
 * After either, a full fence and a look at hdr.waiters tell whether someone
 * sleeps in the kernel and must be woken (CHAN_IOC_RING_KICK).  Everything
 * else (full, empty, closed and drained, blocked tasks owed first, a slot
 * the kernel holds, shared state that makes no sense) returns RING_SLOW,
 * and the caller takes the ordinary ioctl, which works on the same slots;
 * a blocking call that finds the ring full or empty gets RING_WAIT, and
 * looks again up to RING_SPINS times before it does the same.
 *
 * Mappings are cached per fd number in ring_tab.  A mapping's private page
 * counts the closes of the channel's fds in this process; when it moves,
 * the fd number may be another file's now, and CHAN_IOC_RING_INFO says
 * whether it is still the same channel.
 *
 * A mapping that leaves ring_tab may still be in use: another thread may
 * be inside a send or receive through it, on an fd that this thread just
 * saw closed.  So every fast-path operation names the mapping it is inside
 * in a hazard slot of its thread (struct ring_hazard, Michael's hazard
 * pointers), and ring_retire() unmaps a mapping only when no slot names
 * it.  The operation's side costs two plain stores and a compiler barrier:
 * the retiring side issues membarrier(2), which orders every thread of the
 * process at once (the asymmetric fence of Folly's hazard pointers and
 * liburcu), or, where membarrier is missing, each side a full fence.
 *
 * A signal handler may call libchan while its thread is inside an
 * operation.  It must not reuse the slot, which the interrupted operation
 * still needs: a handler that finds its thread's slot set takes the
 * kernel's path (ring_enter()), sweeps nothing (ring_sweep()), and a
 * mapping it retires that the interrupted operation is inside is deferred
 * (ring_defer()) to the next sweep rather than unmapped or waited for.
 */
#ifndef CHAN_RING_H
#define CHAN_RING_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/chan.h>
#include <linux/membarrier.h>

/* Not an errno: the caller must take the kernel's path. */
#define RING_SLOW	1000000

/*
 * Not an errno either: a blocking call found the ring full (a send) or
 * empty (a receive).  The caller may look again a few times before it
 * takes the kernel's path to sleep: a sleeper costs a system call on each
 * side (the sleep, and the other side's kick), where the other side's
 * next move is usually a fraction of a microsecond away.
 */
#define RING_WAIT	1000001

/*
 * Looks before a blocking call sleeps: at most this many, and at most
 * 2 * ring_map.spins + RING_SPINS_MIN (ring_spin_limit()).
 */
#define RING_SPINS	128
#define RING_SPINS_MIN	4

/* Claims tried before giving the kernel the job. */
#define RING_TRIES	256

/* fd numbers with a cache entry; higher ones always take the kernel's path. */
#define RING_FDS	4096

/**
 * struct ring_map - this process's mapping of a ring channel
 * @addr: the mapping: the private page, then the shared pages
 * @len: its length
 * @closes: the private page's count of closed fds of the channel
 * @closes_seen: @closes when the fd was last known to be this channel's
 * @id: the channel's id (CHAN_IOC_RING_INFO)
 * @hdr: the shared header
 * @slots: the first slot
 * @cap: capacity, our own copy (the header's can be written by anyone)
 * @esz: element size, our own copy
 * @stride: bytes per slot, our own copy
 * @tag: what our claims carry: CHAN_RING_TAG_WRITE/READ | this mapping's
 *	tag (chan_ring_own.tag; another mapping's, even of this process, could
 *	be repaired under us when that mapping goes)
 * @spins: how many looks a wait for the other side took lately, a moving
 *	average shared by the process's threads (ring_spin_learn())
 * @deferred: the next mapping in ring_deferred
 */
struct ring_map {
	void *addr;
	size_t len;
	_Atomic uint32_t *closes;
	_Atomic uint32_t closes_seen;
	uint64_t id;
	struct chan_ring_hdr *hdr;
	uint8_t *slots;
	uint32_t cap;
	uint32_t esz;
	uint32_t stride;
	uint32_t tag;
	_Atomic uint32_t spins;
	struct ring_map *deferred;
};

/* ring_tab entry of an fd known not to be a mappable ring channel. */
#define RING_NONE	((struct ring_map *)1)

static _Atomic(struct ring_map *) ring_tab[RING_FDS];
static pthread_once_t ring_once = PTHREAD_ONCE_INIT;

/**
 * struct ring_hazard - the mapping a thread's fast-path operation is inside
 * @m: set before the operation touches a mapping, NULL once it is done
 * @used: the slot belongs to a live thread
 * @next: the next slot in ring_hazards; slots are never freed, a thread
 *	that exits leaves its slot to the next new thread
 */
struct ring_hazard {
	_Atomic(struct ring_map *) m;
	_Atomic int used;
	struct ring_hazard *next;
};

static _Atomic(struct ring_hazard *) ring_hazards;
/* Mappings out of ring_tab that a signal handler could not unmap yet. */
static _Atomic(struct ring_map *) ring_deferred;
static __thread struct ring_hazard *ring_hz;
static pthread_key_t ring_hz_key;	/* gives the slot back at thread exit */
static int ring_membarrier;		/* membarrier(2) expedited registered */

static inline uint64_t ring_st(uint32_t tag, uint32_t seq)
{
	return ((uint64_t)tag << 32) | seq;
}

static inline _Atomic uint64_t *ring_state(const struct ring_map *m,
					    uint32_t pos)
{
	return (_Atomic uint64_t *)(m->slots + (size_t)(pos % m->cap) * m->stride);
}

static inline void *ring_data(const struct ring_map *m, uint32_t pos)
{
	return (uint8_t *)ring_state(m, pos) + sizeof(uint64_t);
}

static inline _Atomic uint32_t *ring_word(uint32_t *w)
{
	return (_Atomic uint32_t *)w;
}

/* Another process's claim (not the kernel's, not SKIP): hints pass it. */
static inline int ring_user_claim(uint32_t tag, uint32_t kind)
{
	return (tag & ~CHAN_RING_TAG_OWN) == kind && (tag & CHAN_RING_TAG_OWN);
}

/* Between two looks at a ring that was full or empty. */
static inline void ring_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__) || defined(__arm__)
	__asm__ volatile("yield" ::: "memory");
#endif
	atomic_signal_fence(memory_order_seq_cst);
}

/*
 * How many looks a blocking call may take before it sleeps.  Adaptive, as
 * glibc's adaptive mutexes are: twice what waits took lately, so that
 * where the other side cannot move meanwhile (both on one CPU) the looks
 * shrink to a handful, and where it can they cover its next move.
 */
static inline uint32_t ring_spin_limit(struct ring_map *m)
{
	uint32_t n = 2 * atomic_load_explicit(&m->spins, memory_order_relaxed) +
		     RING_SPINS_MIN;

	return n < RING_SPINS ? n : RING_SPINS;
}

/* A wait ended after @used looks, or failed (@used 0): learn from it. */
static inline void ring_spin_learn(struct ring_map *m, uint32_t used)
{
	uint32_t s = atomic_load_explicit(&m->spins, memory_order_relaxed);

	/* Racy on purpose: an average that loses an update is still one. */
	atomic_store_explicit(&m->spins, s + (int32_t)(used - s) / 8,
			      memory_order_relaxed);
}

static inline void ring_hint_step(uint32_t *hint, uint32_t pos)
{
	atomic_compare_exchange_strong(ring_word(hint), &pos, pos + 1);
}

static inline uint32_t ring_waiters(const struct ring_map *m)
{
	return atomic_load_explicit(ring_word(&m->hdr->waiters),
				    memory_order_relaxed);
}

static inline void ring_kick(int fd)
{
	ioctl(fd, CHAN_IOC_RING_KICK);
}

/*
 * Whether the kernel has tasks that @bits says are owed before us: then the
 * call is the kernel's, whose send and receive serve them first (one system
 * call, where a kick and then the call would be two).
 */
static inline int ring_owed(const struct ring_map *m, uint32_t bits)
{
	return (ring_waiters(m) & bits) != 0;
}

/* After moving an element: wake whoever sleeps in the kernel (pair 1). */
static inline void ring_wake(int fd, const struct ring_map *m, uint32_t bits)
{
	atomic_thread_fence(memory_order_seq_cst);
	if (ring_waiters(m) & bits)
		ring_kick(fd);
}

/*
 * A non-blocking call that found the ring full (empty) may say EAGAIN on
 * its own only if the kernel has nothing for it either: no put-back
 * elements, nobody blocked on the other side, not closed (B1).
 */
static inline int ring_would_block(const struct ring_map *m, uint32_t bits)
{
	atomic_thread_fence(memory_order_seq_cst);
	if ((ring_waiters(m) & bits) ||
	    atomic_load_explicit(ring_word(&m->hdr->closed),
				 memory_order_relaxed))
		return RING_SLOW;
	return -EAGAIN;
}

/*
 * 0 sent; -EPIPE closed; -EAGAIN full (@nonblock); RING_WAIT full; RING_SLOW:
 * ask the kernel.
 */
static inline int ring_send(int fd, const struct ring_map *m, const void *elem,
			    int nonblock)
{
	struct chan_ring_hdr *h = m->hdr;
	int i;

	if (ring_owed(m, CHAN_RING_W_SEND))
		return RING_SLOW;
	/* Closed already: no slot to claim and give up (K2). */
	if (atomic_load_explicit(ring_word(&h->closed), memory_order_acquire))
		return -EPIPE;
	for (i = 0; i < RING_TRIES; i++) {
		uint32_t t = atomic_load_explicit(ring_word(&h->tail),
						  memory_order_relaxed);
		_Atomic uint64_t *st = ring_state(m, t);
		uint64_t s = atomic_load_explicit(st, memory_order_acquire);
		uint32_t tag = (uint32_t)(s >> 32);
		int32_t d = (int32_t)((uint32_t)s - 2 * t);

		if (d < 0)	/* full */
			return nonblock ? ring_would_block(m, CHAN_RING_W_RECV |
							   CHAN_RING_W_SEND)
					: RING_WAIT;
		if (d > 0 || ring_user_claim(tag, CHAN_RING_TAG_WRITE)) {
			ring_hint_step(&h->tail, t);
			continue;
		}
		if (tag)
			return RING_SLOW;	/* the kernel holds it */
		if (!atomic_compare_exchange_strong(st, &s,
				ring_st(CHAN_RING_TAG_WRITE | m->tag, 2 * t)))
			continue;
		ring_hint_step(&h->tail, t);
		/* Pair 2: the claim before the look at closed. */
		atomic_thread_fence(memory_order_seq_cst);
		if (atomic_load_explicit(ring_word(&h->closed),
					 memory_order_relaxed)) {
			atomic_store_explicit(st, ring_st(CHAN_RING_TAG_SKIP,
							  2 * t + 1),
					      memory_order_release);
			ring_wake(fd, m, ~0U);
			return -EPIPE;
		}
		if (m->esz)
			memcpy(ring_data(m, t), elem, m->esz);
		atomic_store_explicit(st, ring_st(0, 2 * t + 1),
				      memory_order_release);
		ring_wake(fd, m, CHAN_RING_W_RECV | CHAN_RING_W_POLL);
		return 0;
	}
	return RING_SLOW;
}

/*
 * 1 received; -EAGAIN empty (@nonblock); RING_WAIT empty; RING_SLOW: ask
 * the kernel (also for "closed and drained").
 */
static inline int ring_recv(int fd, const struct ring_map *m, void *elem,
			    int nonblock)
{
	struct chan_ring_hdr *h = m->hdr;
	int i;

	if (ring_owed(m, CHAN_RING_W_RECV | CHAN_RING_W_SPILL))
		return RING_SLOW;
	for (i = 0; i < RING_TRIES; i++) {
		uint32_t p = atomic_load_explicit(ring_word(&h->head),
						  memory_order_relaxed);
		_Atomic uint64_t *st = ring_state(m, p);
		uint64_t s = atomic_load_explicit(st, memory_order_acquire);
		uint32_t tag = (uint32_t)(s >> 32);
		int32_t d = (int32_t)((uint32_t)s - (2 * p + 1));

		if (d < 0)	/* empty, or the oldest still being written */
			return nonblock ? ring_would_block(m, CHAN_RING_W_SEND |
							   CHAN_RING_W_SPILL)
					: RING_WAIT;
		if (!d && tag == CHAN_RING_TAG_SKIP) {
			if (atomic_compare_exchange_strong(st, &s,
					ring_st(0, 2 * (p + m->cap))))
				ring_hint_step(&h->head, p);
			continue;
		}
		if (d > 0 || ring_user_claim(tag, CHAN_RING_TAG_READ)) {
			ring_hint_step(&h->head, p);
			continue;
		}
		if (tag)
			return RING_SLOW;	/* the kernel holds it */
		if (!atomic_compare_exchange_strong(st, &s,
				ring_st(CHAN_RING_TAG_READ | m->tag, 2 * p + 1)))
			continue;
		ring_hint_step(&h->head, p);
		if (m->esz)
			memcpy(elem, ring_data(m, p), m->esz);
		atomic_store_explicit(st, ring_st(0, 2 * (p + m->cap)),
				      memory_order_release);
		ring_wake(fd, m, CHAN_RING_W_SEND | CHAN_RING_W_POLL);
		return 1;
	}
	return RING_SLOW;
}

/* Whether this address space may use MEMBARRIER_CMD_PRIVATE_EXPEDITED. */
static int ring_membarrier_register(void)
{
	return syscall(__NR_membarrier,
		       MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

/* After fork(2) the mappings are gone (VM_DONTCOPY): forget them. */
static void ring_atfork_child(void)
{
	struct ring_map *m, *next;
	struct ring_hazard *hz;
	int fd;

	for (fd = 0; fd < RING_FDS; fd++) {
		m = atomic_exchange(&ring_tab[fd], NULL);
		if (m && m != RING_NONE)
			free(m);
	}
	for (m = atomic_exchange(&ring_deferred, NULL); m; m = next) {
		next = m->deferred;
		free(m);
	}
	/* Only this thread came along: the other slots are free. */
	for (hz = atomic_load(&ring_hazards); hz; hz = hz->next) {
		atomic_store(&hz->m, NULL);
		atomic_store(&hz->used, hz == ring_hz);
	}
	/* The registration is the address space's, and this one is new. */
	if (ring_membarrier)
		ring_membarrier = ring_membarrier_register();
}

/* A thread exits: its slot is free for the next one. */
static void ring_hazard_release(void *arg)
{
	struct ring_hazard *hz = arg;

	atomic_store(&hz->m, NULL);
	atomic_store(&hz->used, 0);
}

static void ring_init_once(void)
{
	pthread_atfork(NULL, NULL, ring_atfork_child);
	pthread_key_create(&ring_hz_key, ring_hazard_release);
	ring_membarrier = ring_membarrier_register();
}

/* This thread's hazard slot, made on its first fast-path operation. */
static struct ring_hazard *ring_hazard_new(void)
{
	struct ring_hazard *hz;
	int zero = 0;

	pthread_once(&ring_once, ring_init_once);
	for (hz = atomic_load(&ring_hazards); hz; hz = hz->next, zero = 0)
		if (atomic_compare_exchange_strong(&hz->used, &zero, 1))
			goto mine;
	hz = calloc(1, sizeof(*hz));
	if (!hz)
		return NULL;
	atomic_init(&hz->used, 1);
	hz->next = atomic_load(&ring_hazards);
	while (!atomic_compare_exchange_weak(&ring_hazards, &hz->next, hz))
		;
mine:
	pthread_setspecific(ring_hz_key, hz);
	ring_hz = hz;
	return hz;
}

/*
 * The store of a hazard before the look at ring_tab, against the retiring
 * side's removal from ring_tab before its look at the hazards.
 */
static inline void ring_hazard_fence(void)
{
	if (ring_membarrier)
		atomic_signal_fence(memory_order_seq_cst);
	else
		atomic_thread_fence(memory_order_seq_cst);
}

static void ring_unmap(struct ring_map *m)
{
	if (m && m != RING_NONE) {
		munmap(m->addr, m->len);
		free(m);
	}
}

/*
 * The mapping an operation of this thread (@hz) is inside, or NULL.  Seen
 * set on entry to a call, it is the operation a signal handler (we)
 * interrupted.
 */
static inline struct ring_map *ring_pinned(const struct ring_hazard *hz)
{
	return hz ? atomic_load_explicit(&hz->m, memory_order_relaxed) : NULL;
}

/* Leave @m, out of ring_tab, to the next ring_sweep() (async-signal-safe). */
static void ring_defer(struct ring_map *m)
{
	struct ring_map *old = atomic_load(&ring_deferred);

	do
		m->deferred = old;
	while (!atomic_compare_exchange_weak(&ring_deferred, &old, m));
}

/*
 * Unmap @m, which is out of ring_tab, once no other thread's operation is
 * inside it.  Those operations are short (a claim, a copy, a few looks)
 * and never block: the wait ends as soon as they are scheduled.  If this
 * thread's own operation is inside it, we are a signal handler that
 * interrupted that operation, which cannot end before we return: deferred.
 */
static void ring_retire(struct ring_map *m)
{
	struct ring_hazard *hz;

	if (!m || m == RING_NONE)
		return;
	if (ring_pinned(ring_hz) == m) {
		ring_defer(m);
		return;
	}
	if (!ring_membarrier)
		atomic_thread_fence(memory_order_seq_cst);
	else if (syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
			 0, 0))
		/* Never expected: the slow one that needs no registration. */
		syscall(__NR_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0);
	for (hz = atomic_load(&ring_hazards); hz; hz = hz->next)
		while (atomic_load(&hz->m) == m)
			sched_yield();
	ring_unmap(m);
}

/*
 * Map @fd if it is a ring channel this fd may map.  NULL with *cacheable
 * set: it is not (another channel, a send- or receive-only fd, not a
 * channel); NULL otherwise: try again another time.
 */
static struct ring_map *ring_map_fd(int fd, int *cacheable)
{
	struct chan_ring_info ri = { 0 };
	struct ring_map *m;
	void *addr;
	long page = sysconf(_SC_PAGESIZE);

	*cacheable = 0;
	if (ioctl(fd, CHAN_IOC_RING_INFO, &ri) < 0) {
		*cacheable = errno == ENODEV || errno == ENOTTY;
		return NULL;
	}
	pthread_once(&ring_once, ring_init_once);
	addr = mmap(NULL, ri.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (addr == MAP_FAILED) {
		/*
		 * A send- or receive-only fd (EACCES), or no budget left for
		 * the mapping (EMFILE, ENOMEM): the kernel serves this fd.
		 */
		*cacheable = 1;
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		munmap(addr, ri.map_bytes);
		return NULL;
	}
	m->addr = addr;
	m->len = ri.map_bytes;
	m->closes = (_Atomic uint32_t *)&((struct chan_ring_own *)addr)->closes;
	atomic_init(&m->closes_seen, atomic_load(m->closes));
	m->id = ri.id;
	m->hdr = (struct chan_ring_hdr *)((uint8_t *)addr + page);
	m->slots = (uint8_t *)m->hdr + CHAN_RING_SLOTS_OFFSET;
	m->cap = ri.cap;
	m->esz = ri.elem_size;
	m->stride = ri.stride;
	m->tag = ((struct chan_ring_own *)addr)->tag & CHAN_RING_TAG_OWN;
	return m;
}

/* Set @fd's entry to @m (NULL: unknown), unmapping what it held. */
static void ring_set(int fd, struct ring_map *m)
{
	if (fd < 0 || fd >= RING_FDS) {
		ring_unmap(m);
		return;
	}
	ring_retire(atomic_exchange(&ring_tab[fd], m));
}

/* Whether this process closed an fd of @m's channel since we last looked. */
static inline int ring_closed_since(struct ring_map *m)
{
	return atomic_load_explicit(m->closes, memory_order_relaxed) !=
	       atomic_load_explicit(&m->closes_seen, memory_order_relaxed);
}

/*
 * A close was seen: whether fd @fd is still the channel of @m, which the
 * caller pinned.  If so, the close is taken note of.
 */
static int ring_still(int fd, struct ring_map *m)
{
	uint32_t closes = atomic_load(m->closes);
	struct chan_ring_info ri = { 0 };

	if (ioctl(fd, CHAN_IOC_RING_INFO, &ri) == 0 && ri.id == m->id) {
		atomic_store(&m->closes_seen, closes);
		return 1;
	}
	return 0;
}

/*
 * First use of @fd (its entry empty): map it and publish the mapping, or
 * RING_NONE if it cannot be mapped.  NULL: take the kernel's path.
 */
static struct ring_map *ring_lookup(int fd)
{
	struct ring_map *m, *old = NULL;
	int cacheable;

	m = ring_map_fd(fd, &cacheable);
	if (!m) {
		if (cacheable)
			atomic_compare_exchange_strong(&ring_tab[fd], &old,
						       RING_NONE);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&ring_tab[fd], &old, m)) {
		/* Another thread mapped it first: use that. */
		ring_unmap(m);
		return old == RING_NONE ? NULL : old;
	}
	return m;
}

/*
 * Pin what ring_tab[@fd] holds now in @hz, so that it cannot be unmapped
 * until the pin is dropped; NULL and RING_NONE are returned with @hz clear.
 */
static inline struct ring_map *ring_pin(struct ring_hazard *hz, int fd)
{
	struct ring_map *m;

	for (;;) {
		m = atomic_load_explicit(&ring_tab[fd], memory_order_acquire);
		if (!m || m == RING_NONE) {
			atomic_store_explicit(&hz->m, NULL,
					      memory_order_release);
			return m;
		}
		atomic_store_explicit(&hz->m, m, memory_order_relaxed);
		ring_hazard_fence();
		if (atomic_load_explicit(&ring_tab[fd], memory_order_acquire) ==
		    m)
			return m;
		atomic_store_explicit(&hz->m, NULL, memory_order_relaxed);
	}
}

/* Drop @m, pinned in @hz, from ring_tab[@fd] if it is still there, and unmap it. */
static void ring_drop(struct ring_hazard *hz, int fd, struct ring_map *m)
{
	/* Unpinned first: ring_retire() would defer what our pin names... */
	atomic_store_explicit(&hz->m, NULL, memory_order_release);
	/* ...and only the thread that takes it out of the table retires it. */
	if (atomic_compare_exchange_strong(&ring_tab[fd], &m, NULL))
		ring_retire(m);
}

/*
 * Unmap what fds closed since left behind: a mapping holds its channel and
 * the channel's charge until it goes.  Called before a channel is made, so
 * that closed channels do not count against the budget; a process that
 * closes ring fds and makes no channel keeps them until it uses the fd
 * numbers again.
 */
static void ring_sweep(void)
{
	struct ring_hazard *hz = ring_hz;
	struct ring_map *m, *next;
	int fd;

	if (!hz && !(hz = ring_hazard_new()))
		return;
	if (ring_pinned(hz))
		return;
	for (m = atomic_exchange(&ring_deferred, NULL); m; m = next) {
		next = m->deferred;
		ring_retire(m);
	}
	for (fd = 0; fd < RING_FDS; fd++) {
		m = ring_pin(hz, fd);
		if (!m || m == RING_NONE)
			continue;
		if (ring_closed_since(m) && !ring_still(fd, m))
			ring_drop(hz, fd, m);
		else
			atomic_store_explicit(&hz->m, NULL,
					      memory_order_release);
	}
}

/*
 * This process's mapping of ring channel @fd, pinned by this thread's
 * hazard slot until ring_leave(), or NULL: take the kernel's path.
 */
static inline struct ring_map *ring_enter(int fd)
{
	struct ring_hazard *hz = ring_hz;
	struct ring_map *m;
	int i;

	if (fd < 0 || fd >= RING_FDS)
		return NULL;
	if (!hz && !(hz = ring_hazard_new()))
		return NULL;
	/* Its slot is the interrupted operation's: the kernel serves us. */
	if (ring_pinned(hz))
		return NULL;
	for (i = 0; i < RING_TRIES; i++) {
		m = ring_pin(hz, fd);
		if (m == RING_NONE)
			return NULL;
		if (!m) {
			if (!ring_lookup(fd))
				return NULL;
			continue;	/* to pin it */
		}
		if (!ring_closed_since(m))
			return m;
		if (!ring_still(fd, m))
			ring_drop(hz, fd, m);
		/* Else the close was another fd's: pinned again, it is current. */
	}
	atomic_store_explicit(&hz->m, NULL, memory_order_relaxed);
	return NULL;
}

/* The operation is done with its mapping (before any call that may block). */
static inline void ring_leave(void)
{
	atomic_store_explicit(&ring_hz->m, NULL, memory_order_release);
}

#endif /* CHAN_RING_H */
