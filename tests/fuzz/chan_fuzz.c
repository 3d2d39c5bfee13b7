// SPDX-License-Identifier: GPL-2.0
/*
 * chan_fuzz: a seeded bad-input fuzzer of the chan uapi with an oracle
 * (L2, and C3, K1-K5, B1-B3, P1-P3, X1-X5, R1, R5 as far as one thread sees
 * them, S1, S2 and S5 for select sets; L5, L6, R1, R3, R5 with the
 * threaded hardening steps below; M1, M2 and M6 for ring channels).
 *
 * It makes random sequences of every ioctl (the documented ones on /dev/chan
 * and on channel fds of each mode, the same numbers with other sizes and
 * directions, unknown numbers of magic 0xC6 and of other magics), read(2),
 * write(2), poll(2), epoll, dup(2), fcntl(2) and close(2), with random
 * sizes, flags, reserved fields and pointers: NULL, kernel and
 * non-canonical addresses, PROT_NONE, read-only and unmapped pages,
 * misaligned buffers and buffers that end inside a bad page.  Targets
 * include fds of the wrong kind (a pipe, an eventfd, /dev/null, fd numbers
 * that are not open), and a helper thread closes fds (close(2) and Go's
 * close) while the main thread uses them.
 *
 * A third of the buffered channels it makes, the throwaway ones of the
 * steps below included, are ring channels (CHAN_CREATE_RING; issue 13):
 * through the kernel's paths every rule holds on them as on any buffered
 * channel (M2), so the same oracle judges them, with what differs: cap 0
 * and shared pages over max_buffer_bytes are EINVAL, and the budget is
 * charged for the pages (M6).  CHAN_IOC_RING_INFO, CHAN_IOC_RING_KICK and
 * mmap(2), good and bad, run on ring and other fds; a mapping is checked
 * and unmapped at once.  The fuzzer never uses the fast path itself
 * (tests/ring does, and tests/ring/m4_scribble writes the pages).
 *
 * The oracle: the fuzzer keeps a model of every channel it made (element
 * size, capacity, the serial numbers of the buffered elements in order,
 * closed, senders and receivers left) and of every fd (kind, mode,
 * O_NONBLOCK).  For each call it works out, from the documentation
 * (chan(4), the uapi header, shared/semantics.md), the set of errnos the
 * call may fail with, and whether and how it may succeed.  Any other
 * outcome is a failure, printed with the seed and the call.  After every
 * call the touched channels are compared with the model (CHAN_IOC_INFO),
 * so a failing call that changed something, or an element lost, doubled or
 * reordered, is caught too; received elements are compared byte for byte.
 *
 * Where the documentation gives no order between two applicable errors
 * (say a bad pointer and an unknown flag), any of them is accepted, but
 * success never is.
 *
 * What found the hardening bugs (issue 11) is mixed into the random steps,
 * each on throwaway channels with a ledger of its own: receives (ioctl,
 * read(2), select) whose buffers another thread makes read-only or unmaps
 * while they sleep (op_fault: EFAULT, put-backs in order, len beyond cap by
 * one per faulted receive at most); selects of up to CHAN_SELECT_MAX cases
 * of elements up to 64 KiB (op_big_select: EMFILE whenever what they must
 * hold is over the budget); and selects of thousands of cases won at once
 * by a close while a write(2) batch runs on a channel they wait on
 * (op_storm).  --budget sets user_budget_bytes for the run (in a child;
 * the parameter is put back however it ends), so that every call's EMFILE
 * path runs; the oracle then accepts EMFILE for a call only when what it
 * may hold, with what the fuzzer's channels and put-backs may hold, could
 * pass the budget.
 *
 * Usage: chan_fuzz [--seed S] [--seconds N] [--calls N] [--budget BYTES]
 *                  [--no-race] [-v]
 *   Without --seed and --seconds/--calls it is the short test of make check:
 *   fixed seeds and one random seed, then one seed with a 512 KiB budget,
 *   about 18 s in all.  Every seed is printed; a failure reproduces with
 *   --seed S (and --calls N to stop just after the failing call, and the
 *   --budget it ran with; --no-race makes a run fully deterministic, and
 *   leaves out the threaded steps).
 */
#include "../user/check.h"

#include <poll.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/time.h>

#define PAGE		4096UL
/*
 * Arena pages: 0 holds the structs of a call; 1.. its element or read(2)
 * and write(2) buffer (up to 3 elements of 64 KiB), or a select's cases
 * (1..25), their small elements (SEL_ELEM_PAGE + i) and one large element
 * (SEL_BIG_PAGE, 17 pages).
 */
#define RW_PAGES	64
#define SEL_ELEM_PAGE	26
#define SEL_BIG_PAGE	40
#define MAX_TRACKED_CAP	4096		/* bigger channels are not modelled */
#define MAX_CHANS	6
#define MAX_FDS		40
#define MAX_ERRNO	134
#define CLOSED_FD_BASE	900		/* never open: RLIMIT_NOFILE is 1024 */
#define DESC_LEN	512
#define MAX_RW		0x7ffff000ULL	/* the VFS's MAX_RW_COUNT */
#define RW_HDR_MAX	256		/* read(2) scratch header, at most */
#define BUDGET_SHORT	(512 << 10)	/* make check's run with a small budget */

/*
 * The top of user space as the VFS's access_ok sees it (TASK_SIZE_MAX): a
 * range that ends above it fails as a whole, even where the module would
 * touch only its mapped start.  x86-64's is the 4-level one; arm64's is
 * 1 << VA_BITS, 48 on Debian's 6.1 kernel and 52 on its 6.12 one, so there
 * the fuzzer asks the kernel (probe_user_end()).
 */
static uint64_t user_end = 0x7ffffffff000ULL;

#ifdef __aarch64__
/*
 * A read of 0 bytes from /dev/zero passes access_ok(buf, 0) (buf no higher
 * than TASK_SIZE_MAX) or fails with EFAULT, and touches no memory.
 */
static void probe_user_end(void)
{
	uint64_t lo = 1ULL << 39, hi = ~0ULL, mid;
	int fd = open("/dev/zero", O_RDONLY | O_CLOEXEC);

	CHECK_SYS("fuzz", fd);
	CHECK("fuzz", read(fd, (void *)(uintptr_t)lo, 0) == 0);
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (read(fd, (void *)(uintptr_t)mid, 0) == 0) {
			lo = mid;
		} else {
			CHECK("fuzz", errno == EFAULT);
			hi = mid;
		}
	}
	close(fd);
	user_end = lo;
}
#else
static void probe_user_end(void)
{
}
#endif

/* ---------------------------------------------------------------- rng */

static uint64_t rng_state;

static uint64_t rnd64(void)
{
	/* splitmix64: one 64-bit state, good enough and easy to reseed. */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint32_t rnd(uint32_t n)
{
	return n ? (uint32_t)(rnd64() % n) : 0;
}

/* True with probability @pct percent. */
static bool chance(unsigned int pct)
{
	return rnd(100) < pct;
}

/* ------------------------------------------------------- global state */

static uint64_t seed;
static unsigned long ncall;		/* calls made with this seed */
static unsigned long total_calls;	/* over all seeds */
static unsigned long total_rings;	/* ring channels made, over all seeds */
static unsigned long nfail_expected;	/* calls whose oracle wanted an error */
static bool verbose, no_race;
/* What the hardening modes did, for the summary. */
static struct {
	unsigned long emfile, faults, putbacks, bigsels, bigsel_ok, storms;
	unsigned long storm_elems;
	unsigned long sets, set_cases, set_moved;
	unsigned long rings, maps;	/* ring channels made, mmaps that worked */
} hs;
static char desc[DESC_LEN];
static struct chan_query limits;

/* ------------------------------------------------------------- memory */

/*
 * The arena: RW_PAGES read-write pages, one read-only page, one PROT_NONE
 * page.  The hole: a read-write page whose successor was unmapped.  Every
 * user pointer the fuzzer passes points into one of them or is a constant
 * that can never be accessed, so the oracle knows which bytes are readable
 * and writable.
 */
static uint8_t *arena, *ro_page, *none_page, *hole_rw, *hole;

enum acc { ACC_NONE, ACC_RO, ACC_RW };

static enum acc page_access(uintptr_t a)
{
	uintptr_t rw0 = (uintptr_t)arena;

	if (a >= rw0 && a < (uintptr_t)ro_page)
		return ACC_RW;
	if (a >= (uintptr_t)ro_page && a < (uintptr_t)none_page)
		return ACC_RO;
	if (a >= (uintptr_t)hole_rw && a < (uintptr_t)hole)
		return ACC_RW;
	return ACC_NONE;
}

/* How many bytes from @p on can be read (@write false) or written. */
static uint64_t good_bytes(uint64_t p, uint64_t n, bool write)
{
	uint64_t done = 0;

	while (done < n) {
		uint64_t a = p + done;
		uint64_t in_page = PAGE - (a & (PAGE - 1));
		enum acc acc;

		if (a < p)			/* wrapped */
			break;
		acc = page_access(a);
		if (acc == ACC_NONE || (write && acc == ACC_RO))
			break;
		done += in_page;
	}
	return done < n ? done : n;
}

static bool accessible(uint64_t p, uint64_t n, bool write)
{
	return good_bytes(p, n, write) == n;
}

/* Copy @n bytes to user pointer @p as far as it is mapped (RO included). */
static void put_bytes(uint64_t p, const void *src, size_t n)
{
	size_t i;
	bool ro = false;

	for (i = 0; i < n; i++)
		if (page_access(p + i) == ACC_RO)
			ro = true;
	if (ro)
		CHECK_SYS("fuzz", mprotect(ro_page, PAGE, PROT_READ | PROT_WRITE));
	for (i = 0; i < n; i++)
		if (page_access(p + i) != ACC_NONE)
			((uint8_t *)(uintptr_t)p)[i] = ((const uint8_t *)src)[i];
	if (ro)
		CHECK_SYS("fuzz", mprotect(ro_page, PAGE, PROT_READ));
}

/* Do two user ranges share a byte?  Inputs must not overwrite each other. */
static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return an && bn && a < b + bn && b < a + an;
}

/* Is the hole still unmapped?  A later mmap (malloc) could fill it. */
static bool hole_ok(void)
{
	return msync(hole, PAGE, MS_ASYNC) < 0 && errno == ENOMEM;
}

static const char *ptr_name(uint64_t p)
{
	static char buf[8][48];
	static int k;
	char *b = buf[k++ & 7];
	uintptr_t a = (uintptr_t)p;

	if (a >= (uintptr_t)arena && a < (uintptr_t)none_page + PAGE)
		snprintf(b, 48, "arena+%#lx", (unsigned long)(a - (uintptr_t)arena));
	else if (a >= (uintptr_t)hole_rw && a < (uintptr_t)hole + PAGE)
		snprintf(b, 48, "hole-%#lx", (unsigned long)((uintptr_t)hole - a));
	else
		snprintf(b, 48, "%#llx", (unsigned long long)p);
	return b;
}

/*
 * A user pointer for an access of @n bytes.  Mostly a good one in the
 * arena (sometimes misaligned); else NULL, a kernel or non-canonical
 * address, a PROT_NONE or read-only page, or one that ends @k bytes into
 * a bad page.  A good pointer is at arena page @slot (plus up to 7 bytes).
 * A pointer never points into memory the fuzzer does not know about.
 */
static uint64_t pick_ptr(uint64_t n, unsigned int slot)
{
	uint64_t good = (uintptr_t)arena + (uint64_t)slot * PAGE;
	uint64_t k, off, max_off = (RW_PAGES - 1) * PAGE;

	if (chance(80))
		return good + (chance(20) ? rnd(8) : 0);
	switch (rnd(10)) {
	case 0:
		return 0;
	case 1:
		return chance(50) ? 0xffff888000000000ULL : 0xffffffff81000000ULL;
	case 2:
		return chance(50) ? 0x8000000000000000ULL : ~0ULL - rnd(64);
	case 3:
		return (uintptr_t)none_page + rnd(PAGE);
	case 4:
		return (uintptr_t)ro_page + rnd(PAGE / 2);
	case 5:		/* ends inside the PROT_NONE page */
		k = n ? 1 + rnd((uint32_t)(n < PAGE ? n : PAGE)) : 0;
		off = n - k + (chance(20) ? rnd(4) : 0);
		return (uintptr_t)none_page - (off < max_off ? off : max_off);
	case 6:		/* ends inside the read-only page */
		k = n ? 1 + rnd((uint32_t)(n < PAGE ? n : PAGE)) : 0;
		off = n - k;
		return (uintptr_t)ro_page - (off < max_off ? off : max_off);
	case 7:		/* ends inside the unmapped page */
		if (!hole_ok())
			return (uintptr_t)none_page;
		k = n ? 1 + rnd((uint32_t)(n < PAGE ? n : PAGE)) : 0;
		off = n - k;
		return (uintptr_t)hole - (off < PAGE ? off : PAGE);
	case 8:		/* a little bit of user space nobody mapped */
		return 0x10000 + rnd(PAGE);
	default:
		return good + 1 + rnd(7);
	}
}

/* ------------------------------------------------------------- model */

struct mchan {
	bool live;
	uint64_t id;
	uint32_t esz, cap;
	bool ring;			/* CHAN_CREATE_RING */
	bool closed, no_recv;
	int nsend, nrecv;		/* files that may send / receive */
	uint64_t *q;			/* serials of buffered elements */
	size_t head, len, alloc;
	/*
	 * After put-backs (op_fault) until the channel is empty: how many
	 * elements may sit beyond cap (one per faulted receive, chan(4)),
	 * so whether a send finds room is not known; reads may be short.
	 */
	bool fuzzy;
	uint32_t over_max;
	uint64_t putback_hi;		/* budget the put-backs may hold */
};

enum fkind { FK_DEV, FK_CHAN, FK_PIPE_R, FK_PIPE_W, FK_EVENTFD, FK_NULL };

static const char *const fk_names[] = {
	"dev", "chan", "pipe-r", "pipe-w", "eventfd", "null",
};

/* One open file description; fds made by dup(2) share it. */
struct mfile {
	bool live;
	enum fkind kind;
	int chan;			/* FK_CHAN */
	uint32_t mode;			/* CHAN_MODE_* for FK_CHAN */
	int accmode;			/* O_RDONLY/O_WRONLY/O_RDWR */
	bool nonblock;
	int nfds;
};

struct mfd {
	int fd;
	int file;
	bool cloexec;
};

static struct mchan chans[MAX_CHANS];
static struct mfile files[MAX_FDS];
static struct mfd fds[MAX_FDS];
static int nfds;
static uint64_t next_serial = 1;

static void q_push(struct mchan *c, uint64_t s)
{
	if (c->head + c->len == c->alloc) {
		if (c->head) {
			memmove(c->q, c->q + c->head, c->len * sizeof(*c->q));
			c->head = 0;
		} else {
			c->alloc = c->alloc ? 2 * c->alloc : 16;
			c->q = realloc(c->q, c->alloc * sizeof(*c->q));
			CHECK("fuzz", c->q);
		}
	}
	c->q[c->head + c->len++] = s;
}

static uint64_t q_pop(struct mchan *c)
{
	uint64_t s = c->q[c->head++];

	c->len--;
	if (c->over_max)
		c->over_max--;
	if (!c->len) {
		/* Every put-back run was received and freed. */
		c->fuzzy = false;
		c->over_max = 0;
		c->putback_hi = 0;
	}
	return s;
}

/* Is there room for a send: certainly (1), certainly not (0), maybe (-1)? */
static int q_room(const struct mchan *c)
{
	if (c->len < c->cap)
		return 1;
	if (c->fuzzy && c->len - (c->len < c->over_max ? c->len : c->over_max) <
			c->cap)
		return -1;
	return 0;
}

/* The bytes of the element with serial @s: recognisable, order-sensitive. */
static void fill_elem(uint8_t *p, uint32_t esz, uint64_t s)
{
	uint64_t x = s * 0x9e3779b97f4a7c15ULL + 0x5bd1e995;
	uint32_t i;

	for (i = 0; i < esz; i++)
		p[i] = (uint8_t)((x >> (8 * (i & 7))) ^ (i >> 3));
}

static bool elem_is(const uint8_t *p, uint32_t esz, uint64_t s)
{
	uint64_t x = s * 0x9e3779b97f4a7c15ULL + 0x5bd1e995;
	uint32_t i;

	for (i = 0; i < esz; i++)
		if (p[i] != (uint8_t)((x >> (8 * (i & 7))) ^ (i >> 3)))
			return false;
	return true;
}

static int fd_slot(int fd)
{
	int i;

	for (i = 0; i < nfds; i++)
		if (fds[i].fd == fd)
			return i;
	return -1;
}

static int new_file(enum fkind kind, int chan, uint32_t mode, int accmode,
		    bool nonblock)
{
	int i;

	for (i = 0; i < MAX_FDS; i++) {
		if (files[i].live)
			continue;
		files[i] = (struct mfile){ .live = true, .kind = kind,
			.chan = chan, .mode = mode, .accmode = accmode,
			.nonblock = nonblock };
		if (kind == FK_CHAN) {
			chans[chan].nsend += !!(mode & CHAN_MODE_SEND);
			chans[chan].nrecv += !!(mode & CHAN_MODE_RECV);
		}
		return i;
	}
	check_fail(__FILE__, __LINE__, "fuzz", "model: out of file slots");
}

static void add_fd(int fd, int file, bool cloexec)
{
	CHECK("fuzz", nfds < MAX_FDS);
	CHECK("fuzz", fd_slot(fd) < 0);
	fds[nfds++] = (struct mfd){ .fd = fd, .file = file, .cloexec = cloexec };
	files[file].nfds++;
}

/* The last fd of a file went: release it as the kernel does (K5). */
static void release_file(int f)
{
	struct mfile *mf = &files[f];
	struct mchan *c;

	mf->live = false;
	if (mf->kind != FK_CHAN)
		return;
	c = &chans[mf->chan];
	if (mf->mode & CHAN_MODE_SEND && --c->nsend == 0)
		c->closed = true;
	if (mf->mode & CHAN_MODE_RECV && --c->nrecv == 0)
		c->no_recv = true;
	if (!c->nsend && !c->nrecv) {
		free(c->q);
		memset(c, 0, sizeof(*c));
	}
}

static void drop_fd(int slot)
{
	int f = fds[slot].file;

	fds[slot] = fds[--nfds];
	if (--files[f].nfds == 0)
		release_file(f);
}

static struct mfile *file_of(int fd)
{
	int s = fd_slot(fd);

	return s < 0 ? NULL : &files[fds[s].file];
}

static struct mchan *chan_of(int fd)
{
	struct mfile *f = file_of(fd);

	return f && f->kind == FK_CHAN ? &chans[f->chan] : NULL;
}

/* ------------------------------------------------------------ oracle */

struct want {
	bool err[MAX_ERRNO];
	bool ok;			/* success is possible */
};

static void want_err(struct want *w, int e)
{
	w->err[e] = true;
}

static bool want_any_err(const struct want *w)
{
	int e;

	for (e = 1; e < MAX_ERRNO; e++)
		if (w->err[e])
			return true;
	return false;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
fuzz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "chan_fuzz: FAIL seed %llu call %lu: %s\n  ",
		(unsigned long long)seed, ncall, desc);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n  reproduce: chan_fuzz --seed %llu --calls %lu%s",
		(unsigned long long)seed, ncall, no_race ? " --no-race" : "");
	if (limits.user_budget_bytes < (64ULL << 20))
		fprintf(stderr, " --budget %llu",
			(unsigned long long)limits.user_budget_bytes);
	fputc('\n', stderr);
	_exit(1);
}

static const char *want_str(const struct want *w)
{
	static char buf[256];
	size_t n = 0;
	int e;

	buf[0] = 0;
	if (w->ok)
		n += snprintf(buf + n, sizeof(buf) - n, "success ");
	for (e = 1; e < MAX_ERRNO && n < sizeof(buf); e++)
		if (w->err[e])
			n += snprintf(buf + n, sizeof(buf) - n, "%s ",
				      strerrorname_np(e));
	return buf;
}

/*
 * Check a -1/errno result against @w.  Returns true if the call succeeded
 * (and success was allowed), false if it failed as allowed.
 */
static bool judge(long ret, int err, const struct want *w)
{
	ncall++;
	total_calls++;
	if (verbose)
		fprintf(stderr, "%lu: %s = %ld %s\n", ncall, desc, ret,
			ret < 0 ? strerrorname_np(err) : "");
	if (want_any_err(w))
		nfail_expected++;
	if (ret >= 0) {
		if (!w->ok)
			fuzz_fail("succeeded (%ld), want %s", ret, want_str(w));
		return true;
	}
	if (ret != -1)
		fuzz_fail("returned %ld", ret);
	if (err <= 0 || err >= MAX_ERRNO || !w->err[err])
		fuzz_fail("failed with %s, want %s", strerrorname_np(err),
			  want_str(w));
	hs.emfile += err == EMFILE;
	return false;
}

#define DESC(...)	snprintf(desc, sizeof(desc), __VA_ARGS__)

/* ----------------------------------------------------- state checking */

/* Compare the kernel's view of channel @c (through @fd) with the model. */
static void verify_chan(int fd)
{
	struct mfile *mf = file_of(fd);
	struct mchan *c = chan_of(fd);
	struct chan_info i;

	memset(&i, 0xa5, sizeof(i));
	if (ioctl(fd, CHAN_IOC_INFO, &i) < 0)
		fuzz_fail("verify: CHAN_IOC_INFO on fd %d: %s", fd,
			  strerrorname_np(errno));
	if (i.id != c->id || i.elem_size != c->esz || i.cap != c->cap ||
	    i.len != c->len || i.closed != c->closed || i.mode != mf->mode ||
	    i.send_waiters || i.recv_waiters ||
	    i.reserved[0] || i.reserved[1] || i.reserved[2])
		fuzz_fail("verify fd %d: kernel says id %llu esz %u cap %u len %u closed %u mode %u waiters %u/%u res %u/%u/%u; model id %llu esz %u cap %u len %zu closed %d mode %u",
			  fd, (unsigned long long)i.id, i.elem_size, i.cap,
			  i.len, i.closed, i.mode, i.send_waiters,
			  i.recv_waiters, i.reserved[0], i.reserved[1],
			  i.reserved[2], (unsigned long long)c->id, c->esz,
			  c->cap, c->len, c->closed, mf->mode);
}

/* Verify every channel once, through one of its fds. */
static void verify_all(void)
{
	bool seen[MAX_CHANS] = { false };
	int i;

	for (i = 0; i < nfds; i++) {
		struct mfile *mf = &files[fds[i].file];

		if (mf->kind != FK_CHAN || seen[mf->chan])
			continue;
		seen[mf->chan] = true;
		verify_chan(fds[i].fd);
	}
}

/* The lowest free fd: a refused CREATE or DUP must not leak one. */
static int lowest_free_fd(void)
{
	int fd = fcntl(0, F_DUPFD, 0);

	CHECK("fuzz", fd >= 0);
	close(fd);
	return fd;
}

/* --------------------------------------------------- blocking backstop */

/*
 * A call that may block (no NONBLOCK anywhere) would hang the fuzzer, the
 * only user of its channels.  A repeating interval timer interrupts it;
 * the handler has no SA_RESTART, so such a call ends with EINTR (B3) when
 * it would block, and is not affected when it would not.
 */
static void on_alarm(int sig)
{
	(void)sig;
}

static void timer_arm(void)
{
	struct itimerval it = {
		.it_value = { 0, 200 + rnd(2000) },
		.it_interval = { 0, 2000 },
	};

	setitimer(ITIMER_REAL, &it, NULL);
}

static void timer_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
}

static uint64_t mono_ns(void)
{
	return (uint64_t)now_ns();
}

/* A random deadline: now-ish, past, zero, soon, never. */
static uint64_t pick_deadline(void)
{
	switch (rnd(5)) {
	case 0:
		return 0;
	case 1:
		return mono_ns() - rnd(1000000);
	case 2:
		return ~0ULL - rnd(2);
	default:
		return mono_ns() + rnd(2000000);
	}
}

/* The errors of a call that would block, given its nonblock/deadline. */
static void want_blocked(struct want *w, bool nonblock, bool deadline)
{
	if (nonblock)
		want_err(w, EAGAIN);
	else if (deadline)
		want_err(w, ETIMEDOUT), want_err(w, EINTR);
	else
		want_err(w, EINTR);
}

/* ------------------------------------------------------- fd selection */

/* An fd of the asked kind, or of any kind; -1 if there is none. */
static int pick_fd_kind(enum fkind kind)
{
	int cand[MAX_FDS], n = 0, i;

	for (i = 0; i < nfds; i++)
		if (files[fds[i].file].kind == kind)
			cand[n++] = fds[i].fd;
	return n ? cand[rnd(n)] : -1;
}

static int pick_other_fd(void)
{
	int cand[MAX_FDS], n = 0, i;

	for (i = 0; i < nfds; i++) {
		enum fkind k = files[fds[i].file].kind;

		if (k != FK_CHAN && k != FK_DEV)
			cand[n++] = fds[i].fd;
	}
	return n ? cand[rnd(n)] : -1;
}

static int closed_fd(void)
{
	switch (rnd(4)) {
	case 0:
		return -1;
	case 1:
		return 0x7fffffff;
	default:
		return CLOSED_FD_BASE + (int)rnd(100);
	}
}

/* The usual target of a channel call: mostly a channel fd. */
static int pick_target(int chan_pct)
{
	int fd = -1;

	if (chance(chan_pct))
		fd = pick_fd_kind(FK_CHAN);
	if (fd < 0) {
		switch (rnd(4)) {
		case 0:
			fd = pick_fd_kind(FK_DEV);
			break;
		case 1:
			fd = pick_other_fd();
			break;
		case 2:
			fd = pick_fd_kind(FK_CHAN);
			break;
		}
	}
	return fd < 0 ? closed_fd() : fd;
}

/* The usual target of a /dev/chan call: mostly a /dev/chan fd. */
static int pick_dev_target(void)
{
	int fd = chance(80) ? pick_fd_kind(FK_DEV) : -1;

	return fd < 0 ? pick_target(10) : fd;
}

static const char *fd_name(int fd)
{
	static char buf[8][48];
	static int k;
	char *b = buf[k++ & 7];
	struct mfile *f = file_of(fd);

	if (!f)
		snprintf(b, 48, "%d(not open)", fd);
	else if (f->kind == FK_CHAN)
		snprintf(b, 48, "%d(chan#%d %s%s)", fd, f->chan,
			 f->mode == 3 ? "both" : f->mode == 1 ? "send" : "recv",
			 f->nonblock ? " nb" : "");
	else
		snprintf(b, 48, "%d(%s)", fd, fk_names[f->kind]);
	return b;
}

/*
 * The errors of a channel ioctl on @fd before the module looks at it:
 * EBADF for an fd that is not open, ENOTTY for the wrong kind of fd.
 * Returns true when the call reaches the handler for @want_kind.
 */
static bool ioctl_target(int fd, bool on_dev, bool on_chan, struct want *w)
{
	struct mfile *f = file_of(fd);

	if (!f) {
		want_err(w, EBADF);
		return false;
	}
	if ((f->kind == FK_DEV && on_dev) || (f->kind == FK_CHAN && on_chan))
		return true;
	want_err(w, ENOTTY);
	return false;
}

/* ---------------------------------------------------------- the calls */

/* A new channel fd from CREATE or DUP: check its flags, add it to the model. */
static void adopt_fd(int fd, int chan, uint32_t mode, uint32_t flags)
{
	int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
	int acc = mode == CHAN_MODE_BOTH ? O_RDWR :
		  mode == CHAN_MODE_SEND ? O_WRONLY : O_RDONLY;
	int f;

	if (fl < 0 || fdfl < 0)
		fuzz_fail("new fd %d: fcntl: %s", fd, strerrorname_np(errno));
	if ((fl & O_ACCMODE) != acc)
		fuzz_fail("new fd %d: access mode %#x, want %#x (C3)", fd,
			  fl & O_ACCMODE, acc);
	if (!!(fl & O_NONBLOCK) != !!(flags & CHAN_FD_NONBLOCK))
		fuzz_fail("new fd %d: O_NONBLOCK %d, flags %#x", fd,
			  !!(fl & O_NONBLOCK), flags);
	if (!!(fdfl & FD_CLOEXEC) == !!(flags & CHAN_FD_INHERIT))
		fuzz_fail("new fd %d: FD_CLOEXEC %d, flags %#x (C2)", fd,
			  !!(fdfl & FD_CLOEXEC), flags);
	f = new_file(FK_CHAN, chan, mode, acc, flags & CHAN_FD_NONBLOCK);
	add_fd(fd, f, !(flags & CHAN_FD_INHERIT));
}

static uint64_t pow2up(uint64_t n);

/*
 * The bytes of a ring channel's shared pages: the header, then @cap slots
 * (chan_shring_check(); <linux/chan.h> "Ring channels").  What the
 * per-channel limit max_buffer_bytes is checked against, besides
 * elem_size * cap.
 */
static uint64_t ring_bytes(uint32_t esz, uint32_t cap)
{
	return CHAN_RING_SLOTS_OFFSET + (uint64_t)CHAN_RING_STRIDE(esz) * cap;
}

/* Pages of those; a mapping is one private page more (map_bytes). */
static uint64_t ring_pages(uint32_t esz, uint32_t cap)
{
	return (ring_bytes(esz, cap) + PAGE - 1) / PAGE;
}

/*
 * What a channel costs the budget at most (M6, L5; __chan_alloc()).  A
 * plain one: its object and spare (under a page together) and the buffer
 * as the allocator hands it out.  A ring: the same page for its object,
 * spare and struct chan_shring (each under a third of a page, lockdep's
 * locks included), its shared pages, and the page-pointer and kept-slot
 * arrays as the allocator hands them out (chan_shring_check()).
 */
static uint64_t chan_charge(uint32_t esz, uint32_t cap, bool ring)
{
	uint64_t bytes = (uint64_t)esz * cap, pages;

	if (!ring)
		return (bytes ? pow2up(bytes) : 0) + PAGE;
	pages = ring_pages(esz, cap);
	return PAGE + pages * PAGE + pow2up(pages * sizeof(void *)) +
	       pow2up((uint64_t)cap * sizeof(uint32_t));
}

/*
 * What mmap(2) of a ring charges (chan_shring_mmap()): the mapping's
 * private page and its struct chan_shring_map (56 bytes; 128 bounds what
 * the allocator hands out where its smallest size is 128).
 */
#define MAP_CHARGE	(PAGE + 128)

/* The flags of a throwaway channel of @cap: a ring for a third of them. */
static uint32_t pick_ring(uint32_t cap)
{
	return cap && chance(33) ? CHAN_CREATE_RING : 0;
}

static uint64_t live_buffer_bytes(void)
{
	uint64_t b = 0;
	int i;

	for (i = 0; i < MAX_CHANS; i++)
		if (chans[i].live)
			b += chan_charge(chans[i].esz, chans[i].cap,
					 chans[i].ring);
	return b;
}

static void do_close_fd(int fd);

/* The next power of two: what the allocator may hand out for @n bytes. */
static uint64_t pow2up(uint64_t n)
{
	uint64_t p = 8;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * A call that holds up to @hi bytes while it runs may be refused with
 * EMFILE when that and what the fuzzer's channels and put-backs may hold
 * together pass the budget (L5; chan(4) Limits).  With the default budget
 * this never happens: the oracle stays as strict as before.
 */
static void want_budget(struct want *w, uint64_t hi)
{
	uint64_t used = live_buffer_bytes();

	for (int i = 0; i < MAX_CHANS; i++)
		if (chans[i].live)
			used += chans[i].putback_hi;
	if (hi && used + hi > limits.user_budget_bytes)
		want_err(w, EMFILE);
}

static void op_create(void)
{
	struct chan_create cc = { 0 };
	int fd = pick_dev_target(), before, ret, slot, e;
	uint64_t p, bytes;
	struct want w = { 0 };
	bool ring;

	/* Mostly a channel the model can follow; sometimes over a limit. */
	switch (rnd(10)) {
	case 0:
		cc.elem_size = CHAN_MAX_ELEM_SIZE + (chance(50) ? 1 : rnd64());
		break;
	case 1:
		cc.elem_size = 1 << rnd(17);
		break;
	default:
		cc.elem_size = chance(15) ? 0 : 1 + rnd(chance(80) ? 16 : 300);
		break;
	}
	switch (rnd(20)) {
	case 0:
	case 1:
		cc.cap = chance(50) ? (uint32_t)rnd64() : limits.max_cap + 1;
		break;
	case 2:
	case 3:
		cc.cap = rnd(2000);
		break;
	case 4:
		/*
		 * About the largest buffer of max_buffer_bytes: a ring's
		 * slot headers can take it over (EINVAL) where the plain
		 * buffer fits.
		 */
		cc.cap = cc.elem_size && cc.elem_size <= CHAN_MAX_ELEM_SIZE ?
			 limits.max_buffer_bytes / cc.elem_size - rnd(3) : 1;
		break;
	default:
		cc.cap = rnd(6);
		break;
	}
	cc.flags = rnd(4);
	/*
	 * A third of the buffered channels are rings (M2): through the
	 * kernel's paths a ring is a buffered channel like any other.  An
	 * unbuffered ring is refused (M1).
	 */
	if (cc.cap ? chance(33) : chance(10))
		cc.flags |= CHAN_CREATE_RING;
	if (chance(5))
		cc.flags |= 1U << (2 + rnd(30));
	ring = cc.flags & CHAN_CREATE_RING;
	if (chance(5))
		cc.reserved[rnd(2)] = 1ULL << rnd(64);
	cc.fd = (uint32_t)rnd64();

	p = pick_ptr(sizeof(cc), 0);
	put_bytes(p, &cc, sizeof(cc));
	DESC("ioctl(%s, CREATE, %s {esz %u cap %u flags %#x res %#llx/%#llx})",
	     fd_name(fd), ptr_name(p), cc.elem_size, cc.cap, cc.flags,
	     (unsigned long long)cc.reserved[0],
	     (unsigned long long)cc.reserved[1]);

	bytes = (uint64_t)cc.elem_size * cc.cap;
	if (ioctl_target(fd, true, false, &w)) {
		if (!accessible(p, sizeof(cc), false) ||
		    !accessible(p, sizeof(cc), true))
			want_err(&w, EFAULT);
		if ((cc.flags & ~(3U | CHAN_CREATE_RING)) || cc.reserved[0] ||
		    cc.reserved[1] || cc.elem_size > CHAN_MAX_ELEM_SIZE ||
		    cc.cap > limits.max_cap || bytes > limits.max_buffer_bytes)
			want_err(&w, EINVAL);
		/*
		 * A ring: cap 0, or shared pages (slot headers included) over
		 * max_buffer_bytes where the plain buffer would fit.
		 */
		if (ring && (!cc.cap || ring_bytes(cc.elem_size, cc.cap) >
				limits.max_buffer_bytes))
			want_err(&w, EINVAL);
		if (!want_any_err(&w)) {
			w.ok = true;
			if ((ring ? ring_bytes(cc.elem_size, cc.cap) : bytes) >=
			    256 * 1024)
				want_err(&w, ENOMEM);
		}
		/* Charged before the fd is written back: both may apply. */
		if (!w.err[EINVAL] && accessible(p, sizeof(cc), false))
			want_budget(&w, chan_charge(cc.elem_size, cc.cap, ring));
	}
	before = lowest_free_fd();
	ret = ioctl(fd, CHAN_IOC_CREATE, (void *)(uintptr_t)p);
	e = errno;
	if (!judge(ret, e, &w)) {
		if (lowest_free_fd() != before)
			fuzz_fail("a refused CREATE left fd %d open (L2)",
				  before);
		return;
	}
	if (((struct chan_create *)(uintptr_t)p)->fd != (uint32_t)ret)
		fuzz_fail("CREATE returned %d, stored fd %u", ret,
			  ((struct chan_create *)(uintptr_t)p)->fd);
	hs.rings += ring;
	for (slot = 0; slot < MAX_CHANS && chans[slot].live; slot++)
		;
	if (slot == MAX_CHANS || nfds >= MAX_FDS - 4 ||
	    cc.cap > MAX_TRACKED_CAP) {
		/* No room in the model: let it go at once. */
		close(ret);
		return;
	}
	chans[slot] = (struct mchan){ .live = true, .esz = cc.elem_size,
		.cap = cc.cap, .ring = ring };
	{
		struct chan_info i;

		if (ioctl(ret, CHAN_IOC_INFO, &i) < 0)
			fuzz_fail("INFO on new fd %d: %s", ret,
				  strerrorname_np(errno));
		chans[slot].id = i.id;
		for (e = 0; e < MAX_CHANS; e++)
			if (e != slot && chans[e].live && chans[e].id == i.id)
				fuzz_fail("new channel has the id %llu of channel #%d",
					  (unsigned long long)i.id, e);
	}
	adopt_fd(ret, slot, CHAN_MODE_BOTH, cc.flags);
	verify_chan(ret);
}

static void op_query(void)
{
	int fd = pick_dev_target(), ret, e;
	uint64_t p = pick_ptr(sizeof(struct chan_query), 0);
	struct chan_query *q = (void *)(uintptr_t)p;
	struct want w = { 0 };

	DESC("ioctl(%s, QUERY, %s)", fd_name(fd), ptr_name(p));
	if (ioctl_target(fd, true, false, &w)) {
		if (!accessible(p, sizeof(*q), true))
			want_err(&w, EFAULT);
		else
			w.ok = true;
	}
	ret = ioctl(fd, CHAN_IOC_QUERY, q);
	e = errno;
	if (!judge(ret, e, &w))
		return;
	if (ret != 0 || memcmp(q, &limits, sizeof(limits)))
		fuzz_fail("QUERY returned %d, version %u features %#llx, not what it said before",
			  ret, q->version, (unsigned long long)q->features);
}

static void op_info(void)
{
	int fd = pick_target(85), ret, e;
	uint64_t p = pick_ptr(sizeof(struct chan_info), 0);
	struct want w = { 0 };

	DESC("ioctl(%s, INFO, %s)", fd_name(fd), ptr_name(p));
	if (ioctl_target(fd, false, true, &w)) {
		if (!accessible(p, sizeof(struct chan_info), true))
			want_err(&w, EFAULT);
		else
			w.ok = true;
	}
	ret = ioctl(fd, CHAN_IOC_INFO, (void *)(uintptr_t)p);
	e = errno;
	if (judge(ret, e, &w) && ret != 0)
		fuzz_fail("INFO returned %d", ret);
	/* The contents are compared with the model by verify_chan(). */
}

static void op_dup_ioctl(void)
{
	int fd = pick_target(85), ret, e, before;
	struct chan_dup d = { 0 };
	struct mfile *f = file_of(fd);
	struct want w = { 0 };
	uint64_t p;
	int chan = f ? f->chan : -1;

	d.mode = 1 + rnd(3);
	if (chance(8))
		d.mode = chance(30) ? 0 : (uint32_t)rnd64();
	d.flags = rnd(4);
	if (chance(5))
		d.flags |= 1U << (2 + rnd(30));
	if (chance(5))
		d.reserved = 1U << rnd(32);
	d.fd = (uint32_t)rnd64();
	p = pick_ptr(sizeof(d), 0);
	put_bytes(p, &d, sizeof(d));
	DESC("ioctl(%s, DUP, %s {mode %#x flags %#x res %#x})", fd_name(fd),
	     ptr_name(p), d.mode, d.flags, d.reserved);
	if (ioctl_target(fd, false, true, &w)) {
		if (!accessible(p, sizeof(d), false) ||
		    !accessible(p, sizeof(d), true))
			want_err(&w, EFAULT);
		if (!d.mode || (d.mode & ~3U) || (d.flags & ~3U) || d.reserved)
			want_err(&w, EINVAL);
		else if (d.mode & ~f->mode)
			want_err(&w, EBADF);
		w.ok = !want_any_err(&w);
	}
	before = lowest_free_fd();
	ret = ioctl(fd, CHAN_IOC_DUP, (void *)(uintptr_t)p);
	e = errno;
	if (!judge(ret, e, &w)) {
		if (lowest_free_fd() != before)
			fuzz_fail("a refused DUP left fd %d open (L2)", before);
		if (chan >= 0 && f->kind == FK_CHAN)
			verify_chan(fd);
		return;
	}
	if (((struct chan_dup *)(uintptr_t)p)->fd != (uint32_t)ret)
		fuzz_fail("DUP returned %d, stored fd %u", ret,
			  ((struct chan_dup *)(uintptr_t)p)->fd);
	adopt_fd(ret, chan, d.mode, d.flags);
	verify_chan(ret);
	if (nfds >= MAX_FDS - 4)
		do_close_fd(ret);
}

/* Fill the struct chan_xfer of a send or receive with random flags. */
static struct chan_xfer random_xfer(void)
{
	struct chan_xfer x = { 0 };

	switch (rnd(6)) {
	case 0:
		x.flags = 0;
		break;
	case 1:
		x.flags = CHAN_XFER_DEADLINE;
		break;
	case 2:
		x.flags = chance(80) ? CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE :
				       (uint32_t)rnd64();
		break;
	default:
		x.flags = CHAN_XFER_NONBLOCK;
		break;
	}
	x.deadline_ns = pick_deadline();
	if (chance(4))
		x.reserved = 1U << rnd(32);
	return x;
}

static bool xfer_flags_bad(uint32_t flags, uint32_t reserved)
{
	const uint32_t both = CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE;

	return (flags & ~both) || (flags & both) == both || reserved;
}

static void op_xfer(bool send)
{
	int fd = pick_target(90), ret, e;
	struct mfile *f = file_of(fd);
	struct mchan *c = chan_of(fd);
	struct chan_xfer x = random_xfer();
	uint32_t esz = c ? c->esz : 8;
	uint64_t serial = next_serial++, xp, ep;
	bool nonblock, armed = false;
	struct want w = { 0 };

	ep = pick_ptr(esz, 1);
	if (chance(3))
		ep = 0;
	xp = pick_ptr(sizeof(x), 0);
	if (overlaps(xp, sizeof(x), ep, esz))
		ep = 0;
	x.elem = ep;
	put_bytes(xp, &x, sizeof(x));
	if (send) {
		uint8_t *tmp = malloc(esz ? esz : 1);

		CHECK("fuzz", tmp);
		fill_elem(tmp, esz, serial);
		put_bytes(ep, tmp, esz);
		free(tmp);
	} else if (accessible(ep, esz, true)) {
		memset((void *)(uintptr_t)ep, 0x5a, esz);
	}
	DESC("ioctl(%s, %s, %s {elem %s flags %#x res %#x dl %lld})",
	     fd_name(fd), send ? "SEND" : "RECV", ptr_name(xp),
	     ptr_name(ep), x.flags, x.reserved,
	     (long long)(x.deadline_ns - mono_ns()));

	nonblock = (x.flags & CHAN_XFER_NONBLOCK) || (f && f->nonblock);
	if (ioctl_target(fd, false, true, &w)) {
		if (!accessible(xp, sizeof(x), false))
			want_err(&w, EFAULT);
		if (xfer_flags_bad(x.flags, x.reserved))
			want_err(&w, EINVAL);
		if (!(f->mode & (send ? CHAN_MODE_SEND : CHAN_MODE_RECV)))
			want_err(&w, EBADF);
		if (!accessible(ep, esz, !send))
			want_err(&w, EFAULT);
		if (!want_any_err(&w)) {
			if (send && (c->closed || c->no_recv))
				want_err(&w, EPIPE);
			else if (send ? q_room(c) != 1 : !c->len && !c->closed)
				want_blocked(&w, nonblock,
					     x.flags & CHAN_XFER_DEADLINE);
			else
				w.ok = true;
			if (send && q_room(c) < 0 && !c->closed && !c->no_recv)
				w.ok = true;
		}
		if (c && (f->mode & (send ? CHAN_MODE_SEND : CHAN_MODE_RECV)))
			want_budget(&w, send ? (esz > 256 ? pow2up(esz) : 0) :
					       pow2up(48 + esz));
		/* Also where it must fail: a bug must not hang the fuzzer. */
		armed = !nonblock;
	}
	if (armed)
		timer_arm();
	ret = ioctl(fd, send ? CHAN_IOC_SEND : CHAN_IOC_RECV,
		    (void *)(uintptr_t)xp);
	e = errno;
	if (armed)
		timer_disarm();
	if (judge(ret, e, &w)) {
		if (send) {
			if (ret != 0)
				fuzz_fail("SEND returned %d", ret);
			q_push(c, serial);
		} else if (!c->len) {
			if (ret != 0)
				fuzz_fail("RECV on a closed, drained channel returned %d (K3)",
					  ret);
		} else {
			uint64_t s = q_pop(c);

			if (ret != 1)
				fuzz_fail("RECV returned %d with %zu buffered",
					  ret, c->len + 1);
			if (!elem_is((void *)(uintptr_t)ep, esz, s))
				fuzz_fail("RECV: not element #%llu, which is next (R1, R5)",
					  (unsigned long long)s);
		}
	}
	if (c)
		verify_chan(fd);
}

static void op_close_ioctl(void)
{
	int fd = pick_target(90), ret, e;
	struct mfile *f = file_of(fd);
	struct mchan *c = chan_of(fd);
	unsigned long arg = chance(50) ? 0 : (unsigned long)rnd64();
	struct want w = { 0 };

	DESC("ioctl(%s, CLOSE, %#lx)", fd_name(fd), arg);
	if (ioctl_target(fd, false, true, &w)) {
		if (!(f->mode & CHAN_MODE_SEND))
			want_err(&w, EBADF);
		else if (c->closed)
			want_err(&w, EPIPE);
		else
			w.ok = true;
	}
	ret = ioctl(fd, CHAN_IOC_CLOSE, arg);
	e = errno;
	if (judge(ret, e, &w)) {
		if (ret)
			fuzz_fail("CLOSE returned %d", ret);
		c->closed = true;
	}
	if (c)
		verify_chan(fd);
}

/* ------------------------------------------------------ ring channels */

/* An fd of a ring channel, mostly; else the usual target. */
static int pick_ring_target(void)
{
	int cand[MAX_FDS], n = 0, i;

	for (i = 0; i < nfds; i++) {
		struct mfile *f = &files[fds[i].file];

		if (f->kind == FK_CHAN && chans[f->chan].ring)
			cand[n++] = fds[i].fd;
	}
	return n && chance(70) ? cand[rnd(n)] : pick_target(85);
}

/* chan_ring_info.map_bytes of ring @c: the private page and the shared ones. */
static uint64_t ring_map_bytes(const struct mchan *c)
{
	return (ring_pages(c->esz, c->cap) + 1) * PAGE;
}

/*
 * CHAN_IOC_RING_INFO (M1): on a ring's fd of any mode, the shape the
 * model knows; ENODEV on any other channel (chan(4) Ring channels).
 */
static void op_ring_info(void)
{
	int fd = pick_ring_target(), ret, e;
	struct mchan *c = chan_of(fd);
	uint64_t p = pick_ptr(sizeof(struct chan_ring_info), 0);
	struct chan_ring_info *ri = (void *)(uintptr_t)p;
	struct want w = { 0 };

	DESC("ioctl(%s%s, RING_INFO, %s)", fd_name(fd),
	     c && c->ring ? " ring" : "", ptr_name(p));
	if (ioctl_target(fd, false, true, &w)) {
		/* No order between the two is documented. */
		if (!c->ring)
			want_err(&w, ENODEV);
		if (!accessible(p, sizeof(*ri), true))
			want_err(&w, EFAULT);
		w.ok = !want_any_err(&w);
	}
	if (w.ok)
		memset(ri, 0xa5, sizeof(*ri));
	ret = ioctl(fd, CHAN_IOC_RING_INFO, ri);
	e = errno;
	if (judge(ret, e, &w) &&
	    (ret || ri->id != c->id || ri->map_bytes != ring_map_bytes(c) ||
	     ri->cap != c->cap || ri->elem_size != c->esz ||
	     ri->stride != CHAN_RING_STRIDE(c->esz) || ri->reserved[0] ||
	     ri->reserved[1] || ri->reserved[2]))
		fuzz_fail("RING_INFO returned %d: id %llu map_bytes %llu cap %u esz %u stride %u res %u/%u/%u; model id %llu map_bytes %llu cap %u esz %u",
			  ret, (unsigned long long)ri->id,
			  (unsigned long long)ri->map_bytes, ri->cap,
			  ri->elem_size, ri->stride, ri->reserved[0],
			  ri->reserved[1], ri->reserved[2],
			  (unsigned long long)c->id,
			  (unsigned long long)ring_map_bytes(c), c->cap, c->esz);
	if (c)
		verify_chan(fd);
}

/*
 * CHAN_IOC_RING_KICK: on a ring's fd of any mode it succeeds and, with
 * nobody blocked and no fast path in use, changes nothing the model
 * sees; ENODEV on any other channel.  The argument is not used.
 */
static void op_ring_kick(void)
{
	int fd = pick_ring_target(), ret, e;
	struct mchan *c = chan_of(fd);
	unsigned long arg = chance(50) ? 0 : (unsigned long)rnd64();
	struct want w = { 0 };

	DESC("ioctl(%s%s, RING_KICK, %#lx)", fd_name(fd),
	     c && c->ring ? " ring" : "", arg);
	if (ioctl_target(fd, false, true, &w)) {
		if (!c->ring)
			want_err(&w, ENODEV);
		else
			w.ok = true;
	}
	ret = ioctl(fd, CHAN_IOC_RING_KICK, arg);
	e = errno;
	if (judge(ret, e, &w) && ret)
		fuzz_fail("RING_KICK returned %d", ret);
	if (c)
		verify_chan(fd);
}

/*
 * mmap(2) of an fd (M1, chan(4) Ring channels; chan_shring_mmap()): a
 * ring's fd that may send and receive maps MAP_SHARED, at offset 0,
 * exactly map_bytes (the VFS rounds the length up to pages).  Else, with
 * every applicable error accepted where the VFS and the module give no
 * order: EINVAL for a length of 0, an offset not page-aligned, no mapping
 * type, or (the module) a private mapping, another length or offset, or
 * an fd that may not send, whose shared mapping the VFS makes unshared;
 * EACCES from the VFS for an fd that cannot read (send-only), or a
 * writable shared mapping of an fd that cannot write (receive-only);
 * EOPNOTSUPP for MAP_SHARED_VALIDATE with a flag no file supports;
 * ENOMEM for a length beyond user space; ENODEV for /dev/chan and a
 * channel that is not a ring; EMFILE when the mapping's page does not fit
 * the budget (M6).  A mapping that worked shows the ring's shape in its
 * header and a tag in its private page, is unmapped at once and changes
 * nothing.  The fuzzer never touches the slots: the fast path is
 * tests/ring's (m4_scribble writes them).
 */
static void op_mmap(void)
{
	int fd = pick_ring_target(), e, flags, prot;
	struct mfile *f = file_of(fd);
	struct mchan *c = chan_of(fd);
	uint64_t want_len = c && c->ring ? ring_map_bytes(c) :
			    PAGE * (2 + rnd(3));
	uint64_t len = want_len, off = 0, alen;
	bool shared, readable, writable;
	struct want w = { 0 };
	void *m;

	if (f && f->kind != FK_CHAN && f->kind != FK_DEV)
		return;		/* not chan's files */
	switch (rnd(12)) {
	case 0:
		len = want_len - 1 - rnd(PAGE - 1);	/* rounds up to it */
		break;
	case 1:
		len = want_len + 1 + rnd(PAGE);
		break;
	case 2:
		len = chance(50) ? want_len - PAGE : PAGE * (1 + rnd(3));
		break;
	case 3:
		len = chance(30) ? 0 : chance(50) ? ~0ULL - rnd(PAGE) :
		      1ULL << (48 + rnd(15));
		break;
	case 4:
		off = chance(50) ? 1 + rnd(PAGE - 1) : PAGE * (1 + rnd(4));
		break;
	}
	switch (rnd(10)) {
	case 0:
		prot = PROT_READ;
		break;
	case 1:
		prot = chance(50) ? PROT_NONE : PROT_WRITE;
		break;
	default:
		prot = PROT_READ | PROT_WRITE;
		break;
	}
	switch (rnd(12)) {
	case 0:
		flags = MAP_PRIVATE;
		break;
	case 1:
		flags = MAP_SHARED_VALIDATE;
		break;
	case 2:
		flags = chance(50) ? MAP_SHARED_VALIDATE | MAP_SYNC : 0;
		break;
	default:
		flags = MAP_SHARED;
		break;
	}
	DESC("mmap(NULL, %#llx, %#x, %#x, %s%s, %#llx)",
	     (unsigned long long)len, prot, flags, fd_name(fd),
	     c && c->ring ? " ring" : "", (unsigned long long)off);

	alen = (len + PAGE - 1) & ~(PAGE - 1);	/* 0 if it wrapped */
	shared = (flags & MAP_TYPE) == MAP_SHARED ||
		 (flags & MAP_TYPE) == MAP_SHARED_VALIDATE;
	if (!f)
		want_err(&w, EBADF);
	if (!len || off % PAGE ||
	    (!shared && (flags & MAP_TYPE) != MAP_PRIVATE))
		want_err(&w, EINVAL);
	if (len && (!alen || alen > user_end || alen >= 1ULL << 40))
		want_err(&w, ENOMEM);	/* no room for it */
	if (f) {
		readable = f->accmode != O_WRONLY;
		writable = f->accmode != O_RDONLY;
		if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE &&
		    (flags & MAP_SYNC))
			want_err(&w, EOPNOTSUPP);
		if (!readable || (shared && (prot & PROT_WRITE) && !writable))
			want_err(&w, EACCES);
		if (!c || !c->ring)
			want_err(&w, ENODEV);
		else if (!shared || !writable || off || alen != want_len)
			want_err(&w, EINVAL);
		w.ok = !want_any_err(&w);
		if (w.ok)
			want_budget(&w, MAP_CHARGE);
	}
	m = mmap(NULL, len, prot, flags, fd, (off_t)off);
	e = errno;
	if (judge(m == MAP_FAILED ? -1 : 0, e, &w)) {
		const struct chan_ring_hdr *h = (const void *)((uint8_t *)m + PAGE);
		const struct chan_ring_own *own = m;

		hs.maps++;
		if ((uintptr_t)m % PAGE)
			fuzz_fail("mmap returned %p, not page-aligned", m);
		/* Read, never written: the header and the mapping's tag. */
		if ((prot & PROT_READ) &&
		    (h->cap != c->cap || h->elem_size != c->esz ||
		     h->stride != CHAN_RING_STRIDE(c->esz) || !own->tag ||
		     own->tag >= CHAN_RING_TAG_OWN))
			fuzz_fail("mapped ring: header cap %u esz %u stride %u, own tag %#x; model cap %u esz %u",
				  h->cap, h->elem_size, h->stride, own->tag,
				  c->cap, c->esz);
		if (munmap(m, alen))
			fuzz_fail("munmap of a mapped ring: %s",
				  strerrorname_np(errno));
	}
	if (c)
		verify_chan(fd);
}

/* A random ioctl number: the known ones resized, 0xC6 unknowns, others. */
static unsigned int random_cmd(void)
{
	static const unsigned int known[] = {
		CHAN_IOC_QUERY, CHAN_IOC_CREATE, CHAN_IOC_SELECT, CHAN_IOC_DUP,
		CHAN_IOC_SEND, CHAN_IOC_RECV, CHAN_IOC_CLOSE, CHAN_IOC_INFO,
		CHAN_IOC_RING_INFO, CHAN_IOC_RING_KICK,
	};
	/*
	 * Magics whose numbers the VFS answers itself for every file
	 * (FIOCLEX, FIONBIO, FIGETBSZ, FICLONE, FS_IOC_*): not ours to judge.
	 */
	static const unsigned int vfs_magic[] = { 0x00, 0x15, 'T', 'X', 'f',
						  0x94 };
	unsigned int cmd, i;

again:
	switch (rnd(4)) {
	case 0:		/* a known number with another size or direction */
		cmd = known[rnd(ARRAY_SIZE(known))];
		cmd = _IOC(chance(50) ? rnd(4) : _IOC_DIR(cmd), CHAN_IOC_MAGIC,
			   _IOC_NR(cmd), chance(50) ? rnd(1 << 14) :
			   _IOC_SIZE(cmd) + 1 + rnd(16));
		break;
	case 1:		/* an unknown number of our magic */
		do
			cmd = _IOC(rnd(4), CHAN_IOC_MAGIC, rnd(256),
				   rnd(1 << 14));
		while (_IOC_NR(cmd) <= 0x02 ||
		       (_IOC_NR(cmd) >= 0x10 && _IOC_NR(cmd) <= 0x16));
		break;
	default:	/* anything else */
		cmd = (unsigned int)rnd64();
		break;
	}
	for (i = 0; i < ARRAY_SIZE(vfs_magic); i++)
		if (_IOC_TYPE(cmd) == vfs_magic[i])
			goto again;
	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (cmd == known[i])
			goto again;
	return cmd;
}

static void op_bad_ioctl(void)
{
	int fd = pick_target(60), ret, e;
	unsigned int cmd = random_cmd();
	uint64_t arg = chance(50) ? pick_ptr(PAGE, 0) : rnd64();
	struct mfile *f = file_of(fd);
	struct want w = { 0 };

	DESC("ioctl(%s, %#x, %s)", fd_name(fd), cmd, ptr_name(arg));
	if (!f)
		want_err(&w, EBADF);
	else if (f->kind == FK_DEV || f->kind == FK_CHAN)
		want_err(&w, ENOTTY);
	else if (f->kind == FK_PIPE_R || f->kind == FK_PIPE_W ||
		 f->kind == FK_EVENTFD || f->kind == FK_NULL)
		/* Not chan's files: only that it does not crash. */
		return;
	ret = ioctl(fd, cmd, (uintptr_t)arg);
	e = errno;
	judge(ret, e, &w);
	if (f && f->kind == FK_CHAN)
		verify_chan(fd);
}

/* ------------------------------------------------------------- select */

/*
 * What a select of @n cases at @cp may hold (chan(4) Limits): its cases
 * beyond the four on the stack, its send elements over 16 bytes, and one
 * element of its largest receive case with a header.  An upper bound.
 */
static uint64_t select_charge_hi(uint64_t cp, uint32_t n)
{
	uint64_t arena = 0, hi = 0, readable;
	const struct chan_select_case *kc;
	uint32_t widest = 0, j;
	bool recv = false;

	if (!n || n > CHAN_SELECT_MAX)
		return 0;
	readable = good_bytes(cp, (uint64_t)n * sizeof(*kc), false) /
		   sizeof(*kc);
	for (j = 0; j < readable; j++) {
		struct mfile *f;
		uint32_t esz;

		kc = (const void *)(uintptr_t)(cp + j * sizeof(*kc));
		f = file_of((int)kc->fd);
		if ((int32_t)kc->fd < 0 || !f || f->kind != FK_CHAN)
			continue;
		esz = chans[f->chan].esz;
		if (kc->op == CHAN_SELECT_SEND && esz > 16)
			arena += (esz + 7) & ~7U;
		if (kc->op == CHAN_SELECT_RECV) {
			recv = true;
			widest = esz > widest ? esz : widest;
		}
	}
	if (n > 4)
		hi += pow2up((uint64_t)n * 256);
	if (arena)
		hi += pow2up(arena);
	if (recv)
		hi += pow2up(48 + widest);
	return hi;
}

#define SEL_MAX_LIVE	8

static void op_select(void)
{
	int on = pick_target(60), ret, e, i;
	struct mfile *onf = file_of(on);
	uint32_t n = 1 + rnd(6);
	struct chan_select s = { 0 };
	struct chan_select_case *k;
	uint64_t sp, cp, cbytes, eps[SEL_MAX_LIVE], serials[SEL_MAX_LIVE];
	uint64_t esizes[SEL_MAX_LIVE];
	bool armed = false;
	bool any_ready = false, maybe_ready = false, sel_ro_tail = false;
	struct want w = { 0 };
	uint32_t big = 0;
	bool big_used = false;
	char cdesc[256];
	size_t cd = 0;

	if (chance(4))
		big = chance(50) ? CHAN_SELECT_MAX : 100 + rnd(400);
	if (chance(3))
		n = chance(50) ? 0 : chance(50) ? CHAN_SELECT_MAX + 1 :
						  (uint32_t)rnd64();
	s.ncases = big ? big : n;
	switch (rnd(6)) {
	case 0:
		s.flags = CHAN_XFER_DEADLINE;
		break;
	case 1:
		s.flags = chance(70) ? 0 : chance(50) ? 3 : (uint32_t)rnd64();
		break;
	default:
		s.flags = CHAN_XFER_NONBLOCK;
		break;
	}
	s.deadline_ns = pick_deadline();
	if (chance(4))
		s.reserved = 1ULL << rnd(64);
	s.index = (uint32_t)rnd64();
	s.ok = (uint32_t)rnd64();

	/* The cases live in arena pages 2..; elements in pages 30..39. */
	k = calloc(big ? big : SEL_MAX_LIVE, sizeof(*k));
	CHECK("fuzz", k);
	/* Where the cases and the struct go; elements must not overlap them. */
	cbytes = (uint64_t)(s.ncases <= CHAN_SELECT_MAX + 1 ? s.ncases :
			    CHAN_SELECT_MAX + 1) * sizeof(*k);
	cp = pick_ptr(cbytes, 1);
	sp = pick_ptr(sizeof(s), 0);
	if (overlaps(sp, sizeof(s), cp, cbytes))
		sp = overlaps((uintptr_t)arena, sizeof(s), cp, cbytes) ? 0 :
		     (uintptr_t)arena;
	if (big) {
		for (i = 0; i < (int)big; i++)
			k[i] = (struct chan_select_case){ .fd = (uint32_t)-1 - rnd(5),
				.op = 1 + rnd(2) };
	}
	for (i = 0; i < SEL_MAX_LIVE && i < (int)s.ncases; i++) {
		struct chan_select_case *kc = &k[big ? rnd(big) : (uint32_t)i];
		int fd;
		struct mchan *c;
		uint32_t esz;

		switch (rnd(12)) {
		case 0:
			fd = -1 - (int)rnd(1000);	/* nil */
			break;
		case 1:
			fd = pick_target(0);
			break;
		default:
			fd = pick_fd_kind(FK_CHAN);
			break;
		}
		c = chan_of(fd);
		esz = c ? c->esz : 8;
		kc->fd = (uint32_t)fd;
		kc->op = chance(95) ? 1 + rnd(2) : rnd(2) ? 0 : rnd(100);
		if (chance(3))
			kc->reserved = 1ULL << rnd(64);
		serials[i] = next_serial++;
		/*
		 * Each case its own place, so that elements never overlap;
		 * one large element at most, the others get a bad pointer.
		 */
		if (esz <= PAGE - 8) {
			eps[i] = pick_ptr(esz, SEL_ELEM_PAGE + i);
		} else if (!big_used) {
			eps[i] = pick_ptr(esz, SEL_BIG_PAGE);
			big_used = true;
		} else {
			eps[i] = 0;
		}
		if (chance(2))
			eps[i] = 0;
		if (overlaps(eps[i], esz, cp, cbytes) ||
		    overlaps(eps[i], esz, sp, sizeof(s)))
			eps[i] = 0;
		for (int j = 0; j < i; j++)
			if (overlaps(eps[i], esz, eps[j], esizes[j]))
				eps[i] = 0;
		esizes[i] = esz;
		kc->elem = eps[i];
		if (kc->op == CHAN_SELECT_SEND) {
			uint8_t *tmp = malloc(esz ? esz : 1);

			CHECK("fuzz", tmp);
			fill_elem(tmp, esz, serials[i]);
			put_bytes(eps[i], tmp, esz);
			free(tmp);
		}
		cd += snprintf(cdesc + cd, sizeof(cdesc) - cd, "%s%s %s el %s%s",
			       i ? ", " : "", kc->op == 1 ? "send" :
			       kc->op == 2 ? "recv" : "op?", fd_name(fd),
			       ptr_name(eps[i]), kc->reserved ? " res" : "");
		if (cd >= sizeof(cdesc))
			cd = sizeof(cdesc) - 1;
		/* Large selects: the model follows the cases put last. */
	}
	/*
	 * A big select writes its live cases at random positions; the oracle
	 * needs them in order, so it reads them back from @k below.
	 */
	if (accessible(cp, 1, false) && s.ncases <= CHAN_SELECT_MAX)
		put_bytes(cp, k, (size_t)(s.ncases < (big ? big : SEL_MAX_LIVE) ?
			  s.ncases : (big ? big : SEL_MAX_LIVE)) * sizeof(*k));
	s.cases = cp;
	put_bytes(sp, &s, sizeof(s));
	DESC("ioctl(%s, SELECT, %s {cases %s n %u flags %#x res %#llx dl %lld} [%s])",
	     fd_name(on), ptr_name(sp), ptr_name(cp), s.ncases, s.flags,
	     (unsigned long long)s.reserved,
	     (long long)(s.deadline_ns - mono_ns()), cdesc);

	/* The oracle. */
	if (!onf)
		want_err(&w, EBADF);
	else if (onf->kind != FK_DEV && onf->kind != FK_CHAN)
		want_err(&w, ENOTTY);
	else {
		uint32_t nk = s.ncases, j;

		if (!accessible(sp, sizeof(s), false))
			want_err(&w, EFAULT);
		if (!nk || nk > CHAN_SELECT_MAX ||
		    xfer_flags_bad(s.flags, 0) || s.reserved)
			want_err(&w, EINVAL);
		/*
		 * Every case that can be read counts, whatever the order the
		 * module checks them in: the documentation gives none.
		 */
		if (nk && nk <= CHAN_SELECT_MAX) {
			uint64_t cb = (uint64_t)nk * sizeof(*k);
			uint64_t readable = good_bytes(cp, cb, false) / sizeof(*k);

			if (readable < nk)
				want_err(&w, EFAULT);
			for (j = 0; j < readable; j++) {
				const struct chan_select_case *kc =
					(const void *)(uintptr_t)(cp + j * sizeof(*k));
				struct mfile *f = file_of((int)kc->fd);
				bool sd = kc->op == CHAN_SELECT_SEND;

				if ((kc->op != 1 && kc->op != 2) || kc->reserved)
					want_err(&w, EINVAL);
				else if ((int32_t)kc->fd < 0)
					continue;
				else if (!f || f->kind != FK_CHAN ||
					 !(f->mode & (sd ? CHAN_MODE_SEND :
						       CHAN_MODE_RECV)))
					want_err(&w, EBADF);
				else if (!accessible(kc->elem, chans[f->chan].esz,
						     !sd))
					want_err(&w, EFAULT);
			}
		}
		/*
		 * Only index and ok are written back: they must be writable;
		 * the rest of the struct is input, so a read-only reserved
		 * field may fail the call or not.
		 */
		if (!want_any_err(&w) &&
		    !accessible(sp + offsetof(struct chan_select, index), 8,
				true))
			want_err(&w, EFAULT);
		sel_ro_tail = !accessible(sp, sizeof(s), true);
		if (!want_any_err(&w)) {
			for (j = 0; j < nk; j++) {
				const struct chan_select_case *kc =
					(const void *)(uintptr_t)(cp + j * sizeof(*k));
				struct mchan *c;
				bool r;

				if ((int32_t)kc->fd < 0)
					continue;
				c = chan_of((int)kc->fd);
				if (kc->op == CHAN_SELECT_RECV) {
					r = c->len || c->closed;
				} else {
					r = c->closed || c->no_recv ||
					    q_room(c) == 1;
					maybe_ready |= q_room(c) < 0;
				}
				any_ready |= r;
			}
			if (any_ready || maybe_ready)
				w.ok = true;
			if (!any_ready)
				want_blocked(&w, s.flags & CHAN_XFER_NONBLOCK,
					     s.flags & CHAN_XFER_DEADLINE);
			armed = !(s.flags & CHAN_XFER_NONBLOCK);
		}
	}

	if (sel_ro_tail)
		want_err(&w, EFAULT);
	if (onf && (onf->kind == FK_DEV || onf->kind == FK_CHAN))
		want_budget(&w, select_charge_hi(cp, s.ncases));
	if (armed)
		timer_arm();
	ret = ioctl(on, CHAN_IOC_SELECT, (void *)(uintptr_t)sp);
	e = errno;
	if (armed)
		timer_disarm();
	if (judge(ret, e, &w)) {
		const struct chan_select *so = (const void *)(uintptr_t)sp;
		const struct chan_select_case *kc =
			(const void *)(uintptr_t)(cp + (uint64_t)ret * sizeof(*k));
		struct mchan *c;
		bool ok;

		if ((uint32_t)ret >= s.ncases || (int32_t)kc->fd < 0)
			fuzz_fail("SELECT returned case %d, not a live case (X1)",
				  ret);
		if (so->index != (uint32_t)ret || so->ok > 1)
			fuzz_fail("SELECT returned %d, index %u ok %u", ret,
				  so->index, so->ok);
		c = chan_of((int)kc->fd);
		if (kc->op == CHAN_SELECT_RECV) {
			if (!c->len && !c->closed)
				fuzz_fail("SELECT took case %d, a receive from an empty channel",
					  ret);
			ok = c->len;
			if (so->ok != ok)
				fuzz_fail("SELECT case %d ok %u, want %d (X5)",
					  ret, so->ok, ok);
			if (ok) {
				uint64_t sr = q_pop(c);

				if (!elem_is((void *)(uintptr_t)kc->elem,
					     c->esz, sr))
					fuzz_fail("SELECT case %d: not element #%llu, which is next (R1, R5)",
						  ret, (unsigned long long)sr);
			}
		} else {
			if (!c->closed && !c->no_recv && !q_room(c))
				fuzz_fail("SELECT took case %d, a send to a full channel",
					  ret);
			ok = !c->closed && !c->no_recv;
			if (so->ok != ok)
				fuzz_fail("SELECT case %d ok %u, want %d (X5)",
					  ret, so->ok, ok);
			if (ok) {
				/* Which serial did that case carry? */
				uint8_t *tmp = malloc(c->esz ? c->esz : 1);
				uint64_t sr = 0;

				CHECK("fuzz", tmp);
				memcpy(tmp, (void *)(uintptr_t)kc->elem, c->esz);
				for (i = 0; i < SEL_MAX_LIVE &&
				     i < (int)s.ncases; i++)
					if (eps[i] == kc->elem &&
					    elem_is(tmp, c->esz, serials[i]))
						sr = serials[i];
				free(tmp);
				if (!sr)
					fuzz_fail("SELECT case %d: cannot tell the element sent",
						  ret);
				q_push(c, sr);
			}
		}
	}
	free(k);
	verify_all();
}

/* -------------------------------------------------------- read, write */

static void op_rw(bool wr)
{
	int fd = pick_target(90), e;
	struct mfile *f = file_of(fd);
	struct mchan *c = chan_of(fd);
	uint32_t esz = c ? c->esz : 8;
	uint64_t count, p, good = 0, n, chunk, ec = 0;
	static uint64_t sers[MAX_TRACKED_CAP];
	uint64_t room = 0, room_hi = 0, nfill = 0, maxn;
	unsigned int i;
	bool armed = false;
	struct want w = { 0 };
	ssize_t ret;

	switch (rnd(8)) {
	case 0:
		count = rnd(3 * esz + 2);
		break;
	case 1:
		count = chance(50) ? rnd64() : 0x80000000ULL + rnd(1 << 20);
		break;
	default:
		maxn = esz ? (RW_PAGES - 8) * PAGE / esz : 8;
		count = (uint64_t)esz * (1 + rnd(maxn < 8 ? maxn : 8));
		break;
	}
	p = pick_ptr(count < 16 * PAGE ? count : 16 * PAGE, 1);
	/*
	 * Elements that go in: each its serial, as far as the buffer is
	 * readable; more than that can never be sent.
	 */
	if (wr && esz) {
		uint64_t g = good_bytes(p, count, false);
		uint8_t *tmp;

		nfill = (g + esz - 1) / esz;
		if (nfill > count / esz)
			nfill = count / esz;
		if (nfill > MAX_TRACKED_CAP)
			nfill = MAX_TRACKED_CAP;
		tmp = malloc(nfill * esz + 1);
		CHECK("fuzz", tmp);
		for (i = 0; i < nfill; i++) {
			sers[i] = next_serial++;
			fill_elem(tmp + (uint64_t)i * esz, esz, sers[i]);
		}
		put_bytes(p, tmp, (size_t)(nfill * esz));
		free(tmp);
	}
	DESC("%s(%s, %s, %#llx)", wr ? "write" : "read", fd_name(fd),
	     ptr_name(p), (unsigned long long)count);

	if (!f) {
		want_err(&w, EBADF);
	} else if (f->kind == FK_DEV) {
		if (wr ? f->accmode == O_RDONLY : f->accmode == O_WRONLY)
			want_err(&w, EBADF);
		else
			want_err(&w, EINVAL);
	} else if (f->kind != FK_CHAN) {
		return;	/* not chan's files, and a pipe read could block */
	} else if (!(f->mode & (wr ? CHAN_MODE_SEND : CHAN_MODE_RECV))) {
		want_err(&w, EBADF);
	} else {
		/*
		 * The VFS refuses a range beyond user space (access_ok) and
		 * cuts a count to MAX_RW_COUNT before the module sees it.
		 */
		bool beyond = p + count < p || p + count > user_end;

		ec = count < MAX_RW ? count : MAX_RW;
		good = good_bytes(p, count, !wr);
		if (good < count || beyond)
			want_err(&w, EFAULT);
		if (!esz || !ec || ec % esz)
			want_err(&w, EINVAL);
		if (esz && ec && !(ec % esz)) {
			n = ec / esz;
			chunk = 65536 / esz ? 65536 / esz : 1;
			if (wr) {
				room = c->closed || c->no_recv ? 0 :
				       c->cap - (c->len < c->cap ? c->len : c->cap);
				room_hi = room;
				if (q_room(c) < 0 || (c->fuzzy && room))
					room_hi = c->cap - (c->len -
						(c->len < c->over_max ? c->len :
						 c->over_max));
				if (c->closed || c->no_recv)
					want_err(&w, EPIPE);
				else if (!room)
					want_blocked(&w, f->nonblock, false);
				if (!c->closed && !c->no_recv && room_hi &&
				    good >= esz && !beyond)
					w.ok = true;
				want_budget(&w, pow2up((n < chunk ? n : chunk) *
						       esz));
			} else if (!c->len && !c->closed) {
				want_blocked(&w, f->nonblock, false);
			} else {
				/*
				 * One call moves at most 64 KiB (or one
				 * element), and only that much must be
				 * writable: the rest of a longer buffer may
				 * be bad.
				 */
				uint64_t lo = (65536 - RW_HDR_MAX) / esz;

				lo = lo ? lo : 1;
				w.ok = !beyond &&
				       good >= (n < lo ? n : lo) * esz;
				if (beyond ||
				    good < (n < chunk ? n : chunk) * esz)
					want_err(&w, EFAULT);
			}
			if (!wr)
				want_budget(&w, pow2up(48 + (n < chunk ? n : chunk) *
						       esz));
		}
		armed = !f->nonblock;
	}
	if (armed)
		timer_arm();
	ret = wr ? write(fd, (void *)(uintptr_t)p, count) :
		   read(fd, (void *)(uintptr_t)p, count);
	e = errno;
	if (armed)
		timer_disarm();
	if (!judge(ret, e, &w)) {
		if (c)
			verify_chan(fd);
		return;
	}
	n = ec / esz;
	chunk = 65536 / esz ? 65536 / esz : 1;
	if (ret % esz)
		fuzz_fail("%s returned %zd, not whole elements (P2, P3)",
			  wr ? "write" : "read", ret);
	if (wr) {
		uint64_t k = ret / esz, maxk = good / esz;

		if (maxk > n)
			maxk = n;
		if (room_hi < maxk)
			maxk = room_hi;
		if (!k || k > maxk)
			fuzz_fail("write sent %llu elements; room %llu, readable %llu (P3)",
				  (unsigned long long)k,
				  (unsigned long long)room,
				  (unsigned long long)(good / esz));
		/*
		 * With the whole buffer readable, a non-blocking write sends
		 * what fits, a blocking one all of it or, interrupted, what
		 * fitted (P3).
		 */
		if (good == count && count <= MAX_RW && room == room_hi &&
		    k != (n < room ? n : room))
			fuzz_fail("write sent %llu elements, want %llu (P3)",
				  (unsigned long long)k,
				  (unsigned long long)(n < room ? n : room));
		if (k > nfill)
			fuzz_fail("write sent %llu elements of %llu readable (L2)",
				  (unsigned long long)k,
				  (unsigned long long)nfill);
		for (i = 0; i < k; i++)
			q_push(c, sers[i]);
	} else {
		uint64_t k = ret / esz, want = c->len, least;

		if (n < want)
			want = n;
		if (chunk < want)
			want = chunk;
		/*
		 * At most 64 KiB; the module's scratch header may take a
		 * little of it (RW_HDR_MAX), and a put-back run is taken on
		 * its own (fuzzy channels).
		 */
		least = esz ? (65536 - RW_HDR_MAX) / esz : 1;
		least = least ? least : 1;
		if (want < least)
			least = want;
		if (c->fuzzy)
			least = 1;
		if (!c->len) {
			if (ret)
				fuzz_fail("read of a closed, drained channel returned %zd (K3)",
					  ret);
		} else if (k > want || k < least) {
			fuzz_fail("read %llu elements, want %llu to %llu (P2)",
				  (unsigned long long)k,
				  (unsigned long long)least,
				  (unsigned long long)want);
		} else if (k * esz > good) {
			fuzz_fail("read %llu elements into %llu writable bytes",
				  (unsigned long long)k,
				  (unsigned long long)good);
		}
		for (i = 0; i < k; i++) {
			uint64_t s = q_pop(c);

			if (!elem_is((uint8_t *)(uintptr_t)p + (uint64_t)i * esz,
				     esz, s))
				fuzz_fail("read: element %u is not #%llu (R1, R5)",
					  i, (unsigned long long)s);
		}
	}
	verify_chan(fd);
}

/* ------------------------------------------------------- poll, epoll */

/* What a channel fd reports (P1, chan(4)). */
static unsigned int chan_events(int fd)
{
	struct mfile *f = file_of(fd);
	struct mchan *c = &chans[f->chan];
	unsigned int m = 0;

	if ((f->mode & CHAN_MODE_RECV) && (c->len || c->closed))
		m |= POLLIN | POLLRDNORM;
	if (f->mode & CHAN_MODE_SEND) {
		if (c->closed || c->no_recv || q_room(c) == 1)
			m |= POLLOUT | POLLWRNORM;
		if (c->no_recv)
			m |= POLLERR;
	}
	if (c->closed && !c->len)
		m |= POLLHUP;
	return m;
}

/* The events of chan_events() the model cannot tell (room after put-backs). */
static unsigned int chan_events_maybe(int fd)
{
	struct mfile *f = file_of(fd);
	struct mchan *c = &chans[f->chan];

	if ((f->mode & CHAN_MODE_SEND) && !c->closed && !c->no_recv &&
	    q_room(c) < 0)
		return POLLOUT | POLLWRNORM;
	return 0;
}

static void op_poll(void)
{
	struct pollfd pf[8];
	unsigned int n = 1 + rnd(8), i;
	int ret, e, nready = 0;
	struct want w = { .ok = true };
	size_t d;

	d = (size_t)DESC("poll([");
	for (i = 0; i < n; i++) {
		pf[i].fd = chance(85) ? pick_target(90) : closed_fd();
		pf[i].events = (short)(rnd(8) & 7 ? POLLIN | POLLOUT :
				       rnd(0x400));
		pf[i].revents = (short)rnd(0x10000);
		if (d < sizeof(desc))
			d += snprintf(desc + d, sizeof(desc) - d, "%s%s ev %#x",
				      i ? ", " : "", fd_name(pf[i].fd),
				      pf[i].events);
	}
	if (d < sizeof(desc))
		snprintf(desc + d, sizeof(desc) - d, "], 0)");
	ret = poll(pf, n, 0);
	e = errno;
	judge(ret, e, &w);
	for (i = 0; i < n; i++) {
		struct mfile *f = file_of(pf[i].fd);
		unsigned int want;

		if (pf[i].fd < 0)
			want = 0;
		else if (!f)
			want = POLLNVAL;
		else if (f->kind != FK_CHAN)
			want = (unsigned short)pf[i].revents;	/* not ours */
		else
			want = chan_events(pf[i].fd) &
			       ((unsigned short)pf[i].events | POLLERR | POLLHUP);
		if (f && f->kind == FK_CHAN &&
		    !(((unsigned short)pf[i].revents ^ want) &
		      ~chan_events_maybe(pf[i].fd)))
			want = (unsigned short)pf[i].revents;
		if ((unsigned short)pf[i].revents != want)
			fuzz_fail("poll: fd %s revents %#x, want %#x (P1)",
				  fd_name(pf[i].fd),
				  (unsigned short)pf[i].revents, want);
		nready += !!pf[i].revents;
	}
	if (ret != nready)
		fuzz_fail("poll returned %d, %d fds have revents", ret, nready);
}

static void op_epoll(void)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), n = 1 + (int)rnd(6), i, ret, e;
	int added[8], nadded = 0, tried[8], ntried = 0;
	uint32_t evs[8];
	struct epoll_event out[8];
	size_t d;

	CHECK("fuzz", ep >= 0);
	d = (size_t)DESC("epoll(");
	for (i = 0; i < n; i++) {
		int fd = pick_target(90), j;
		struct mfile *f = file_of(fd);
		struct epoll_event ev;
		struct want w = { 0 };

		for (j = 0; j < ntried; j++)
			if (tried[j] == fd)
				break;
		if (j < ntried)
			continue;
		tried[ntried++] = fd;
		ev.events = (chance(80) ? EPOLLIN | EPOLLOUT : rnd(8)) |
			    (chance(30) ? EPOLLET : 0) |
			    (chance(10) ? EPOLLRDHUP : 0);
		ev.data.u64 = (uint64_t)fd;
		if (!f)
			want_err(&w, EBADF);
		else if (f->kind == FK_DEV || f->kind == FK_NULL)
			want_err(&w, EPERM);	/* no poll: not pollable */
		else
			w.ok = true;
		if (d < sizeof(desc))
			d += snprintf(desc + d, sizeof(desc) - d, "%s ev %#x, ",
				      fd_name(fd), ev.events);
		ret = epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		e = errno;
		if (judge(ret, e, &w) && f->kind == FK_CHAN) {
			evs[nadded] = ev.events;
			added[nadded++] = fd;
		}
	}
	{
		struct want w = { .ok = true };

		ret = epoll_wait(ep, out, 8, 0);
		e = errno;
		judge(ret, e, &w);
	}
	for (i = 0; i < nadded; i++) {
		unsigned int want = chan_events(added[i]) &
				    (evs[i] | EPOLLERR | EPOLLHUP);
		unsigned int got = 0;
		int j;

		for (j = 0; j < ret; j++)
			if (out[j].data.u64 == (uint64_t)added[i])
				got = out[j].events;
		if (!((got ^ want) & ~chan_events_maybe(added[i])))
			want = got;
		if (got != want)
			fuzz_fail("epoll: fd %s events %#x, want %#x (P1)",
				  fd_name(added[i]), got, want);
	}
	close(ep);
}

/* ------------------------------------------- fds: open, dup, close, fcntl */

/* ------------------------------------------------------- select sets */

#define SET_CASES	6
#define SET_ELEM_PAGES	10	/* each case's element: arena pages 1 + 10i.. */

/* A case the fuzzer registered, and what its model says. */
struct mcase {
	int id;			/* -1: none */
	int chan;
	bool send;
	uint64_t ep;		/* its element address */
	uint32_t esz;
	uint64_t serial;	/* a send case's element */
};

/* Whether @k can proceed now, by the model (q_room < 0 is not asked). */
static bool case_ready(const struct mcase *k)
{
	struct mchan *c = &chans[k->chan];

	if (k->send)
		return c->closed || c->no_recv || q_room(c) == 1;
	return c->len || c->closed;
}

/* Whether @k's element can be read (send) or written (receive). */
static bool case_elem_ok(const struct mcase *k)
{
	return accessible(k->ep, k->esz, !k->send);
}

/*
 * CHAN_IOC_SET_ADD of a random case, bad input included (L2): a struct
 * that cannot be read or written back, an unknown op, reserved bits, an
 * fd that is not a channel or whose mode forbids the op (S1).
 */
static void set_add(int set, struct mcase *cases, int *ncases)
{
	struct chan_set_case a = { 0 };
	struct mcase *k = &cases[*ncases];
	uint64_t ap = pick_ptr(sizeof(a), 0);
	struct want w = { 0 };
	struct mfile *f;
	struct mchan *c;
	int fd, ret, e, i;

	fd = chance(85) ? pick_fd_kind(FK_CHAN) : chance(30) ? set :
							    pick_target(0);
	if (fd < 0)
		fd = closed_fd();
	f = file_of(fd);
	c = chan_of(fd);
	*k = (struct mcase){ .id = -1, .chan = c ? (int)(c - chans) : -1,
			     .esz = c ? c->esz : 8, .serial = next_serial++ };
	a.fd = (uint32_t)fd;
	a.op = chance(95) ? 1 + rnd(2) : rnd(2) ? 0 : rnd(100);
	k->send = a.op == CHAN_SELECT_SEND;
	k->ep = (uintptr_t)arena + (1 + (uint64_t)*ncases * SET_ELEM_PAGES) * PAGE;
	if (k->esz > SET_ELEM_PAGES * PAGE || chance(5))
		k->ep = chance(50) ? 0 : k->send ? (uintptr_t)none_page :
						   (uintptr_t)ro_page;
	a.elem = k->ep;
	if (chance(3))
		a.reserved = 1U << rnd(32);
	a.id = (uint32_t)rnd64();
	put_bytes(ap, &a, sizeof(a));
	DESC("ioctl(set %d, SET_ADD, %s {fd %s op %u elem %s res %#x})", set,
	     ptr_name(ap), fd_name(fd), a.op, ptr_name(a.elem), a.reserved);
	if (!accessible(ap, sizeof(a), true))
		want_err(&w, EFAULT);
	if ((a.op != CHAN_SELECT_SEND && a.op != CHAN_SELECT_RECV) ||
	    a.reserved)
		want_err(&w, EINVAL);
	if (!c || !(f->mode & (k->send ? CHAN_MODE_SEND : CHAN_MODE_RECV)))
		want_err(&w, EBADF);
	/* Success stays possible where the budget may refuse (L5). */
	w.ok = !want_any_err(&w);
	want_budget(&w, 256);
	ret = ioctl(set, CHAN_IOC_SET_ADD, (void *)(uintptr_t)ap);
	e = errno;
	if (!judge(ret, e, &w))
		return;
	if (((struct chan_set_case *)(uintptr_t)ap)->id != (uint32_t)ret)
		fuzz_fail("SET_ADD returned %d, wrote id %u (S1)", ret,
			  ((struct chan_set_case *)(uintptr_t)ap)->id);
	for (i = 0; i < *ncases; i++)
		if (cases[i].id == ret)
			fuzz_fail("SET_ADD gave id %d twice (S1)", ret);
	k->id = ret;
	(*ncases)++;
	hs.set_cases++;
}

/*
 * CHAN_IOC_SET_WAIT: as a select over the live cases (S2, X2-X5).  Every
 * case the model calls ready may be chosen; one whose element is bad may
 * fail the wait with EFAULT, changing nothing (L2); with none ready it
 * would block (B1, B2).  The chosen case moves exactly one element.
 */
static void set_wait(int set, bool set_nb, struct mcase *cases, int ncases)
{
	struct chan_set_wait sw = { 0 };
	uint64_t wp = pick_ptr(sizeof(sw), 0), hi = 0;
	bool nonblock, armed, good = false, bad = false;
	struct want w = { 0 };
	struct mcase *k = NULL;
	int i, ret, e;

	for (i = 0; i < ncases; i++) {
		struct mcase *m = &cases[i];

		/* After put-backs (op_fault) readiness is not known: no wait. */
		if (m->id >= 0 && q_room(&chans[m->chan]) < 0)
			return;
	}
	switch (rnd(8)) {
	case 0:
		sw.flags = CHAN_XFER_DEADLINE;
		break;
	case 1:
		sw.flags = chance(50) ? 3 : (uint32_t)rnd64();
		break;
	default:
		sw.flags = chance(80) ? CHAN_XFER_NONBLOCK : 0;
		break;
	}
	if (!set_nb && !(sw.flags & (CHAN_XFER_NONBLOCK | CHAN_XFER_DEADLINE)))
		sw.flags = CHAN_XFER_NONBLOCK;	/* never block without limit */
	sw.deadline_ns = pick_deadline();
	if (chance(3))
		sw.reserved = 1U << rnd(32);
	for (i = 0; i < ncases; i++) {
		struct mcase *m = &cases[i];

		if (m->id < 0 || !case_ready(m))
			continue;
		if (!case_elem_ok(m)) {
			bad = true;
			continue;
		}
		good = true;
		if (m->send)
			hi = hi > pow2up(m->esz) ? hi : pow2up(m->esz);
		else
			hi = hi > pow2up(48 + m->esz) ? hi : pow2up(48 + m->esz);
		/* What a send case sends is what its element holds now (S2). */
		if (m->send) {
			uint8_t *tmp = malloc(m->esz ? m->esz : 1);

			CHECK("fuzz", tmp);
			m->serial = next_serial++;
			fill_elem(tmp, m->esz, m->serial);
			put_bytes(m->ep, tmp, m->esz);
			free(tmp);
		}
	}
	put_bytes(wp, &sw, sizeof(sw));
	DESC("ioctl(set %d%s, SET_WAIT, %s {flags %#x res %#x dl %lld}) over %d cases",
	     set, set_nb ? " nb" : "", ptr_name(wp), sw.flags, sw.reserved,
	     (long long)(sw.deadline_ns - mono_ns()), ncases);
	nonblock = set_nb || (sw.flags & CHAN_XFER_NONBLOCK);
	if (!accessible(wp, sizeof(sw), true))
		want_err(&w, EFAULT);
	if (xfer_flags_bad(sw.flags, sw.reserved))
		want_err(&w, EINVAL);
	if (!want_any_err(&w)) {
		w.ok = good;
		if (bad)
			want_err(&w, EFAULT);
		if (!good && !bad)
			want_blocked(&w, nonblock,
				     sw.flags & CHAN_XFER_DEADLINE);
		want_budget(&w, hi);
	}
	armed = !nonblock;
	if (armed)
		timer_arm();
	ret = ioctl(set, CHAN_IOC_SET_WAIT, (void *)(uintptr_t)wp);
	e = errno;
	if (armed)
		timer_disarm();
	if (!judge(ret, e, &w))
		return;
	hs.set_moved++;
	for (i = 0; i < ncases; i++)
		if (cases[i].id == ret)
			k = &cases[i];
	if (!k || !case_ready(k) || !case_elem_ok(k))
		fuzz_fail("SET_WAIT chose case %d, which is not a ready case (S2)",
			  ret);
	sw = *(struct chan_set_wait *)(uintptr_t)wp;
	if (sw.id != (uint32_t)ret)
		fuzz_fail("SET_WAIT returned %d, wrote id %u", ret, sw.id);
	if (k->send) {
		struct mchan *c = &chans[k->chan];
		bool ok = !c->closed && !c->no_recv;

		if (sw.ok != ok)
			fuzz_fail("SET_WAIT send case %d: ok %u, want %d (X5)",
				  ret, sw.ok, ok);
		if (ok)
			q_push(c, k->serial);
	} else {
		struct mchan *c = &chans[k->chan];

		if (sw.ok != !!c->len)
			fuzz_fail("SET_WAIT receive case %d: ok %u with %zu buffered (K3, X5)",
				  ret, sw.ok, c->len);
		if (c->len) {
			uint64_t sn = q_pop(c);

			if (!elem_is((void *)(uintptr_t)k->ep, k->esz, sn))
				fuzz_fail("SET_WAIT: not element #%llu, which is next (R1, R5)",
					  (unsigned long long)sn);
		}
	}
}

/*
 * A select set's life in one step: made (bad flags and structs too), 1-6
 * cases added on the fuzzer's channels, waits that must agree with the
 * model, poll(2) on it (S5), removals (an id twice: ENOENT), then closed.
 * Nothing but the set's waits may move an element, and verify_all() sees
 * the channels as the model does after every call.
 */
static void op_set(void)
{
	struct mcase cases[SET_CASES];
	struct chan_set_make m = { 0 };
	struct chan_set_del d = { 0 };
	uint64_t mp = pick_ptr(sizeof(m), 0), dp;
	int dev = pick_dev_target(), set, ncases = 0, i, n, ret, e, ready;
	struct want w = { 0 };
	struct pollfd pf;

	m.flags = chance(80) ? (chance(30) ? CHAN_FD_NONBLOCK : 0) :
			       (uint32_t)rnd64();
	if (chance(3))
		m.reserved = 1ULL << rnd(64);
	put_bytes(mp, &m, sizeof(m));
	DESC("ioctl(%s, SET_MAKE, %s {flags %#x res %#llx})", fd_name(dev),
	     ptr_name(mp), m.flags, (unsigned long long)m.reserved);
	if (ioctl_target(dev, true, false, &w)) {
		if (!accessible(mp, sizeof(m), true))
			want_err(&w, EFAULT);
		if ((m.flags & ~(CHAN_FD_NONBLOCK | CHAN_FD_INHERIT)) ||
		    m.reserved)
			want_err(&w, EINVAL);
		w.ok = !want_any_err(&w);
		want_budget(&w, 1024);
	}
	ret = ioctl(dev, CHAN_IOC_SET_MAKE, (void *)(uintptr_t)mp);
	e = errno;
	if (!judge(ret, e, &w))
		return;
	set = ret;
	hs.sets++;
	if (((struct chan_set_make *)(uintptr_t)mp)->fd != (uint32_t)set)
		fuzz_fail("SET_MAKE returned %d, wrote fd %u", set,
			  ((struct chan_set_make *)(uintptr_t)mp)->fd);

	n = 1 + (int)rnd(SET_CASES);
	for (i = 0; i < n; i++) {
		set_add(set, cases, &ncases);
		verify_all();
	}
	for (i = (int)rnd(4); i > 0; i--) {
		set_wait(set, m.flags & CHAN_FD_NONBLOCK, cases, ncases);
		verify_all();
	}

	/* poll(2): POLLIN exactly while a case can proceed (S5). */
	for (i = 0, ready = 0; i < ncases; i++) {
		if (cases[i].id < 0)
			continue;
		if (q_room(&chans[cases[i].chan]) < 0)
			ready = -1;
		if (ready >= 0 && case_ready(&cases[i]))
			ready = 1;
	}
	pf = (struct pollfd){ .fd = set, .events = POLLIN };
	DESC("poll(set %d, POLLIN) over %d cases", set, ncases);
	w = (struct want){ .ok = true };
	ret = poll(&pf, 1, 0);
	e = errno;
	judge(ret, e, &w);
	if (ready >= 0 && !!(pf.revents & POLLIN) != ready)
		fuzz_fail("poll on the set: revents %#x, a case ready: %d (S5)",
			  pf.revents, ready);

	/* Removals, some twice or with bad structs. */
	for (i = 0; i < ncases; i++) {
		if (chance(30))
			continue;
		dp = pick_ptr(sizeof(d), 0);
		d = (struct chan_set_del){ .id = (uint32_t)cases[i].id };
		if (chance(5))
			d.id = (uint32_t)rnd64() | 0x40000000;
		if (chance(3))
			d.reserved = 1U << rnd(32);
		put_bytes(dp, &d, sizeof(d));
		DESC("ioctl(set %d, SET_DEL, %s {id %u res %#x})", set,
		     ptr_name(dp), d.id, d.reserved);
		w = (struct want){ 0 };
		if (!accessible(dp, sizeof(d), false))
			want_err(&w, EFAULT);
		if (d.reserved)
			want_err(&w, EINVAL);
		if (!want_any_err(&w) && (cases[i].id < 0 ||
					  d.id != (uint32_t)cases[i].id))
			want_err(&w, ENOENT);
		w.ok = !want_any_err(&w);
		ret = ioctl(set, CHAN_IOC_SET_DEL, (void *)(uintptr_t)dp);
		e = errno;
		if (judge(ret, e, &w))
			cases[i].id = -1;
	}
	close(set);
	verify_all();
}

static void do_close_fd(int fd)
{
	int s = fd_slot(fd), ret, e;
	struct want w = { 0 };
	struct mchan *c = chan_of(fd);
	uint64_t id = c ? c->id : 0;
	int other = -1, i;

	DESC("close(%s)", fd_name(fd));
	if (s < 0)
		want_err(&w, EBADF);
	else
		w.ok = true;
	ret = close(fd);
	e = errno;
	if (judge(ret, e, &w))
		drop_fd(s);
	/* K5: the channel's other fds see what the model says. */
	for (i = 0; c && i < nfds; i++) {
		struct mfile *f = &files[fds[i].file];

		if (f->kind == FK_CHAN && chans[f->chan].id == id && c->live)
			other = fds[i].fd;
	}
	if (other >= 0)
		verify_chan(other);
}

static void op_close(void)
{
	do_close_fd(chance(90) && nfds ? fds[rnd(nfds)].fd : closed_fd());
}

static void op_dup_sys(void)
{
	int fd = chance(90) && nfds ? fds[rnd(nfds)].fd : closed_fd();
	int s = fd_slot(fd), ret, e;
	bool cloexec = chance(50);
	struct want w = { 0 };

	if (nfds >= MAX_FDS - 4)
		return;
	DESC("fcntl(%s, %s)", fd_name(fd),
	     cloexec ? "F_DUPFD_CLOEXEC" : "F_DUPFD");
	if (s < 0)
		want_err(&w, EBADF);
	else
		w.ok = true;
	ret = fcntl(fd, cloexec ? F_DUPFD_CLOEXEC : F_DUPFD, 0);
	e = errno;
	if (judge(ret, e, &w)) {
		add_fd(ret, fds[s].file, cloexec);
		if (files[fds[s].file].kind == FK_CHAN)
			verify_chan(ret);	/* same mode: C3 */
	}
}

static void op_setfl(void)
{
	int fd = pick_target(90), fl;
	struct mfile *f = file_of(fd);
	bool nb = chance(50);

	if (!f || f->kind != FK_CHAN)
		return;
	fl = fcntl(fd, F_GETFL);
	CHECK("fuzz", fl >= 0);
	CHECK("fuzz", fcntl(fd, F_SETFL,
			    nb ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) == 0);
	f->nonblock = nb;	/* shared by every dup(2) of the fd */
}

static void op_open(void)
{
	int p[2], fd, f;
	static const int acc[] = { O_RDONLY, O_WRONLY, O_RDWR };
	int a;

	if (nfds >= MAX_FDS - 4)
		return;
	switch (rnd(5)) {
	case 0:
	case 1:
		a = acc[rnd(3)];
		fd = open("/dev/chan", a | O_CLOEXEC);
		CHECK("fuzz", fd >= 0);
		f = new_file(FK_DEV, -1, 0, a, false);
		add_fd(fd, f, true);
		break;
	case 2:
		CHECK("fuzz", pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0);
		add_fd(p[0], new_file(FK_PIPE_R, -1, 0, O_RDONLY, true), true);
		add_fd(p[1], new_file(FK_PIPE_W, -1, 0, O_WRONLY, true), true);
		break;
	case 3:
		fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CHECK("fuzz", fd >= 0);
		add_fd(fd, new_file(FK_EVENTFD, -1, 0, O_RDWR, true), true);
		break;
	default:
		fd = open("/dev/null", O_RDWR | O_CLOEXEC);
		CHECK("fuzz", fd >= 0);
		add_fd(fd, new_file(FK_NULL, -1, 0, O_RDWR, false), true);
		break;
	}
}

/* --------------------------------------------------------------- races */

/*
 * A helper thread acts on a throwaway channel while the main thread is in
 * a call on it: close(2) of the very fd the call uses, Go's close, or a
 * send or receive.  Both results must be documented ones, and every
 * element is accounted for afterwards: sent = received + left (R5).
 */
enum h_op { H_CLOSE_A, H_CLOSE_B, H_GOCLOSE, H_SEND, H_RECV, H_NOP };

static struct {
	sem_t go, done;
	atomic_int start;
	enum h_op op;
	int fd_a, fd_b;
	unsigned int delay;
	long ret;
	int err;
	uint64_t val;
	bool stop;
} race;

static void *race_helper(void *arg)
{
	sigset_t all;

	(void)arg;
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	for (;;) {
		struct chan_xfer x = { .flags = CHAN_XFER_DEADLINE };
		unsigned int i;

		while (sem_wait(&race.go) < 0)
			;
		if (race.stop)
			return NULL;
		while (!atomic_load(&race.start))
			;
		for (i = 0; i < race.delay; i++)
			__asm__ volatile("" ::: "memory");
		x.deadline_ns = mono_ns() + 3000000;
		x.elem = (uintptr_t)&race.val;
		errno = 0;
		switch (race.op) {
		case H_CLOSE_A:
			race.ret = close(race.fd_a);
			break;
		case H_CLOSE_B:
			race.ret = close(race.fd_b);
			break;
		case H_GOCLOSE:
			race.ret = ioctl(race.fd_b, CHAN_IOC_CLOSE);
			break;
		case H_SEND:
			race.ret = ioctl(race.fd_b, CHAN_IOC_SEND, &x);
			break;
		case H_RECV:
			race.ret = ioctl(race.fd_b, CHAN_IOC_RECV, &x);
			break;
		default:
			race.ret = 0;
			break;
		}
		race.err = errno;
		sem_post(&race.done);
	}
}

static pthread_t race_thread;

/* Result @ret/@err of a race call must be one of @ok (0-terminated errnos). */
static void race_judge(const char *who, long ret, int err, long maxret,
		       const int *ok)
{
	int i;

	ncall++;
	total_calls++;
	if (ret >= 0 && ret <= maxret)
		return;
	if (ret == -1)
		for (i = 0; ok[i]; i++)
			if (ok[i] == err)
				return;
	fuzz_fail("race: %s returned %ld %s", who, ret,
		  ret == -1 ? strerrorname_np(err) : "");
}

static void op_race(void)
{
	struct chan_create cc = { .elem_size = 8, .cap = rnd(3) };
	struct chan_dup d = { .mode = 1 + rnd(3) };
	uint64_t sent[8], got[8], v = 0, mv;
	int nsent = 0, ngot = 0, dev, a, b, m, i, j;
	bool a_open = true, b_open = true;
	long ret;
	int e, mop;
	struct chan_select_case k[2];
	struct chan_select s;
	static const int ok_all[] = { EBADF, EAGAIN, ETIMEDOUT, EINTR, EPIPE,
				      0 };
	struct chan_xfer x = { .flags = CHAN_XFER_DEADLINE };

	dev = pick_fd_kind(FK_DEV);
	if (dev < 0 || no_race)
		return;
	cc.flags = pick_ring(cc.cap);
	a = ioctl(dev, CHAN_IOC_CREATE, &cc);
	if (a < 0)
		return;		/* the budget may be used up: not this test's */
	hs.rings += !!cc.flags;
	b = ioctl(a, CHAN_IOC_DUP, &d);
	CHECK("fuzz", b >= 0);
	for (i = 0; i < (int)cc.cap && chance(50); i++) {
		x.flags = CHAN_XFER_NONBLOCK;
		mv = next_serial++;
		x.elem = (uintptr_t)&mv;
		CHECK("fuzz", ioctl(a, CHAN_IOC_SEND, &x) == 0);
		sent[nsent++] = mv;
	}
	race.op = rnd(H_NOP + 1);
	race.fd_a = a;
	race.fd_b = b;
	race.delay = rnd(20000);
	race.val = next_serial++;
	atomic_store(&race.start, 0);
	mop = rnd(5);
	DESC("race: %s cap %u, A %d both, B %d mode %u, helper op %d delay %u, main op %d",
	     cc.flags ? "ring" : "chan", cc.cap, a, b, d.mode, race.op,
	     race.delay, mop);
	sem_post(&race.go);

	mv = next_serial++;
	x.elem = (uintptr_t)(mop == 0 ? &mv : &v);
	x.flags = CHAN_XFER_DEADLINE;
	x.deadline_ns = mono_ns() + 2000000 + rnd(2000000);
	timer_arm();
	atomic_store(&race.start, 1);
	switch (mop) {
	case 0:
		ret = ioctl(a, CHAN_IOC_SEND, &x);
		break;
	case 1:
		ret = ioctl(a, CHAN_IOC_RECV, &x);
		break;
	case 2: {
		struct pollfd pf = { .fd = a, .events = POLLIN | POLLOUT };

		ret = poll(&pf, 1, 3);
		break;
	}
	case 3:
		k[0] = (struct chan_select_case){ .fd = a,
			.op = CHAN_SELECT_RECV, .elem = (uintptr_t)&v };
		k[1] = (struct chan_select_case){ .fd = a,
			.op = CHAN_SELECT_SEND, .elem = (uintptr_t)&mv };
		s = (struct chan_select){ .cases = (uintptr_t)k, .ncases = 2,
			.flags = CHAN_XFER_DEADLINE,
			.deadline_ns = x.deadline_ns };
		ret = ioctl(a, CHAN_IOC_SELECT, &s);
		break;
	default:
		ret = read(a, &v, 8);
		break;
	}
	e = errno;
	timer_disarm();
	while (sem_wait(&race.done) < 0)
		;

	/* What each side did. */
	race_judge("main", ret, e, mop == 4 ? 8 : 1, ok_all);
	if (mop == 4 && ret > 0 && ret != 8)
		fuzz_fail("race: read returned %ld of 8-byte elements", ret);
	if ((mop == 0 && ret == 0) || (mop == 3 && ret == 1 && s.ok))
		sent[nsent++] = mv;
	if ((mop == 1 && ret == 1) || (mop == 3 && ret == 0 && s.ok) ||
	    (mop == 4 && ret == 8))
		got[ngot++] = v;
	race_judge("helper", race.ret, race.err, 1, ok_all);
	if (race.op == H_SEND && race.ret == 0)
		sent[nsent++] = race.val;
	if (race.op == H_RECV && race.ret == 1)
		got[ngot++] = race.val;
	if (race.op == H_CLOSE_A)
		a_open = race.ret != 0;
	if (race.op == H_CLOSE_B)
		b_open = race.ret != 0;

	/* Drain what is left through an fd that may receive. */
	m = a_open ? a : b_open && (d.mode & CHAN_MODE_RECV) ? b : -1;
	if (m >= 0) {
		for (;;) {
			x.flags = CHAN_XFER_NONBLOCK;
			x.elem = (uintptr_t)&v;
			ret = ioctl(m, CHAN_IOC_RECV, &x);
			if (ret != 1)
				break;
			if (ngot == 8)
				fuzz_fail("race: more elements than were sent (R5)");
			got[ngot++] = v;
		}
		if (ret < 0 && errno != EAGAIN)
			fuzz_fail("race: draining: %s", strerrorname_np(errno));
		/* Every element sent was received once, no other (R5). */
		if (ngot != nsent)
			fuzz_fail("race: %d elements sent, %d received (R5)",
				  nsent, ngot);
		for (i = 0; i < nsent; i++) {
			for (j = 0; j < ngot; j++)
				if (got[j] == sent[i])
					break;
			if (j == ngot)
				fuzz_fail("race: element %llu lost (R5)",
					  (unsigned long long)sent[i]);
			got[j] = 0;
		}
	}
	if (a_open)
		close(a);
	if (b_open)
		close(b);
}

/* ------------------------------------------- what found the hardening bugs */

#define BUDGET_PARAM	"/sys/module/chan/parameters/user_budget_bytes"

static unsigned long nlifted;	/* drains that needed the budget lifted */

/*
 * Lift the budget to its default (@up) or put the small one back: a
 * drain after put-backs that hold the budget needs room to receive.
 * False if there is no small budget to lift.
 */
static bool budget_lift(bool up)
{
	char val[32];
	int fd;

	if (limits.user_budget_bytes >= (64ULL << 20))
		return false;
	snprintf(val, sizeof(val), "%llu", up ? 64ULL << 20 :
		 (unsigned long long)limits.user_budget_bytes);
	fd = open(BUDGET_PARAM, O_WRONLY);
	CHECK("fuzz", fd >= 0 && write(fd, val, strlen(val)) > 0);
	close(fd);
	nlifted += up;
	return true;
}

/* May a scenario that holds up to @hi bytes be refused for the budget? */
static bool budget_may(uint64_t hi)
{
	struct want w = { 0 };

	want_budget(&w, hi);
	return w.err[EMFILE];
}

/* The end of a scenario's call: one of @ok (0-terminated), or 0..@maxret. */
static void scen_judge(const char *who, long ret, int err, long maxret,
		       const int *ok)
{
	race_judge(who, ret, err, maxret, ok);
}

/*
 * (a) Buffers made read-only or unmapped by another thread while a call
 * sleeps: 1-2 receivers block on a throwaway channel in CHAN_IOC_RECV,
 * read(2) or a select, each into its own mapping; once they sleep, the
 * main thread makes some of the mappings read-only or unmaps them, sends
 * elements without blocking and Go-closes the channel.  A receive into a
 * bad buffer must fail with EFAULT and put its elements back in front, in
 * order (R1, R5, L2); len may pass cap only by one element per faulted
 * receive (chan(4)); every element sent is received once or drained, the
 * drained ones in send order.
 */
#define FAULT_RCV	2
#define FAULT_SEND	6
#define FAULT_REGION	(17 * PAGE)

struct fault_rcv {
	int fd, how;			/* how: 0 RECV, 1 read(2), 2 select */
	uint32_t esz, n;		/* n: elements a read asks for */
	uint8_t *buf;
	long ret;
	int err;
	struct chan_select s;
	atomic_int done;
};

static void *fault_receiver(void *arg)
{
	struct fault_rcv *r = arg;
	struct chan_xfer x = { .elem = (uintptr_t)r->buf };
	struct chan_select_case k[2] = {
		{ .fd = (uint32_t)r->fd, .op = CHAN_SELECT_RECV,
		  .elem = (uintptr_t)r->buf },
		{ .fd = (uint32_t)-1, .op = CHAN_SELECT_RECV },
	};
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	errno = 0;
	if (r->how == 0) {
		r->ret = ioctl(r->fd, CHAN_IOC_RECV, &x);
	} else if (r->how == 1) {
		r->ret = read(r->fd, r->buf, (size_t)r->n * r->esz);
	} else {
		r->s = (struct chan_select){ .cases = (uintptr_t)k, .ncases = 2,
					     .index = 7, .ok = 7 };
		r->ret = ioctl(r->fd, CHAN_IOC_SELECT, &r->s);
	}
	r->err = errno;
	atomic_store(&r->done, 1);
	return NULL;
}

/* Mark serial @s delivered; it must be one sent and not delivered yet. */
static int scen_deliver(const uint64_t *sent, bool *got, int nsent, uint64_t s)
{
	int i;

	for (i = 0; i < nsent; i++)
		if (sent[i] == s) {
			if (got[i])
				fuzz_fail("element #%llu received twice (R5)",
					  (unsigned long long)s);
			got[i] = true;
			return i;
		}
	fuzz_fail("received element #%llu, which was never sent (R5)",
		  (unsigned long long)s);
}

/* Which serial the element at @p is: one of @sent, else a failure. */
static uint64_t scen_which(const uint8_t *p, uint32_t esz, const uint64_t *sent,
			   int nsent)
{
	int i;

	for (i = 0; i < nsent; i++)
		if (elem_is(p, esz, sent[i]))
			return sent[i];
	fuzz_fail("received an element that is none of those sent (R5)");
}

/*
 * Drain closed channel @a (which costs the budget @charge at most) without
 * blocking: what is left must be exactly the elements sent and not
 * received, in send order (R1, R5).
 */
static void scen_drain(int a, uint32_t esz, uint64_t charge,
		       const uint64_t *sent, bool *got, int nsent)
{
	uint8_t *buf = malloc(esz);
	bool lifted = false;
	int i = 0, ret;

	CHECK("fuzz", buf);
	for (;;) {
		struct chan_xfer x = { .elem = (uintptr_t)buf,
				       .flags = CHAN_XFER_NONBLOCK };

		ret = ioctl(a, CHAN_IOC_RECV, &x);
		if (ret < 0 && errno == EMFILE &&
		    budget_may(pow2up(48 + esz) + pow2up(48 + 65536) * FAULT_RCV +
			       charge) && budget_lift(true)) {
			/*
			 * Put-backs hold the budget a receive of large
			 * elements needs: lift it to see what is left.
			 */
			lifted = true;
			continue;
		}
		if (ret != 1)
			break;
		while (i < nsent && got[i])
			i++;
		if (i == nsent || !elem_is(buf, esz, sent[i]))
			fuzz_fail("drain: element %s, want #%llu next (R1, R5)",
				  i == nsent ? "beyond those sent" : "out of order",
				  i < nsent ? (unsigned long long)sent[i] : 0ULL);
		got[i] = true;
	}
	if (ret != 0)
		fuzz_fail("drain of a closed channel: %d %s (K3)", ret,
			  ret < 0 ? strerrorname_np(errno) : "");
	for (i = 0; i < nsent; i++)
		if (!got[i])
			fuzz_fail("element #%llu sent, never received nor drained (R5)",
				  (unsigned long long)sent[i]);
	if (lifted)
		budget_lift(false);
	free(buf);
}

static void op_fault(void)
{
	static const uint32_t sizes[] = { 1, 8, 24, 256, 300, 4096, 65536 };
	static const int ok_send[] = { EAGAIN, EMFILE, 0 };
	struct chan_create cc = { .elem_size = sizes[rnd(ARRAY_SIZE(sizes))],
				  .cap = rnd(4) };
	struct fault_rcv rcv[FAULT_RCV];
	pthread_t t[FAULT_RCV];
	uint64_t sent[FAULT_SEND * 2], hi;
	bool got[FAULT_SEND * 2] = { false }, bad[FAULT_RCV];
	int dev = pick_fd_kind(FK_DEV), a, nr = 1 + (int)rnd(FAULT_RCV);
	int nsent = 0, nfault = 0, i, j, act[FAULT_RCV], want;
	uint32_t esz = cc.elem_size;
	uint8_t *elems;
	struct chan_info info;
	int64_t until;
	size_t d;

	if (dev < 0 || no_race)
		return;
	cc.flags = pick_ring(cc.cap);
	hi = chan_charge(cc.elem_size, cc.cap, cc.flags) +
	     nr * pow2up(48 + 65536) + pow2up(esz);
	a = ioctl(dev, CHAN_IOC_CREATE, &cc);
	if (a < 0) {
		if (!(errno == EMFILE && budget_may(hi)) && errno != ENOMEM)
			fuzz_fail("fault: CREATE esz %u cap %u flags %#x: %s",
				  esz, cc.cap, cc.flags, strerrorname_np(errno));
		return;
	}
	hs.rings += !!cc.flags;
	d = (size_t)DESC("fault: %s esz %u cap %u:",
			 cc.flags ? "ring" : "chan", esz, cc.cap);
	for (i = 0; i < nr; i++) {
		struct fault_rcv *r = &rcv[i];

		r->buf = mmap(NULL, FAULT_REGION, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK("fuzz", r->buf != MAP_FAILED);
		r->fd = a;
		r->esz = esz;
		r->how = (int)rnd(3);
		r->n = r->how != 1 ? 1 : chance(30) ? 65536 / esz : 1 + rnd(3);
		r->n = r->n ? r->n : 1;
		atomic_store(&r->done, 0);
		act[i] = (int)rnd(3);	/* 0 left alone, 1 read-only, 2 unmapped */
		bad[i] = act[i] != 0;
		d += snprintf(desc + d, sizeof(desc) - d, " [%s n %u, %s]",
			      r->how == 0 ? "RECV" : r->how == 1 ? "read" : "select",
			      r->n, act[i] == 0 ? "kept" : act[i] == 1 ?
			      "made read-only" : "unmapped");
		t[i] = spawn(fault_receiver, r);
		/* One at a time: receivers are served in the order they came. */
		until = now_ns() + 30000000000LL;
		for (;;) {
			int early = 0;

			for (j = 0; j <= i; j++)
				early += atomic_load(&rcv[j].done);
			info = chan_info_of(a);
			if ((int)info.recv_waiters + early == i + 1)
				break;
			if (now_ns() > until)
				fuzz_fail("fault: receiver %d neither blocked nor returned",
					  i);
			usleep(100);
		}
	}
	/* A receiver that returned before anything was sent: the budget. */
	for (i = 0; i < nr; i++)
		if (atomic_load(&rcv[i].done) &&
		    !(rcv[i].ret == -1 && rcv[i].err == EMFILE && budget_may(hi)))
			fuzz_fail("fault: receiver %d returned %ld %s before anything was sent",
				  i, rcv[i].ret, strerrorname_np(rcv[i].err));

	/*
	 * The elements are made first: an allocation after an munmap could
	 * land in the hole and let a copy-out succeed.
	 */
	elems = malloc((size_t)esz * FAULT_SEND);
	CHECK("fuzz", elems);
	want = 1 + (int)rnd(FAULT_SEND);
	for (i = 0; i < want; i++) {
		sent[i] = next_serial++;
		fill_elem(elems + (size_t)i * esz, esz, sent[i]);
	}

	/* The buffers go bad while their receivers sleep. */
	for (i = 0; i < nr; i++) {
		if (act[i] == 1)
			CHECK_SYS("fuzz", mprotect(rcv[i].buf, FAULT_REGION,
						   PROT_READ));
		else if (act[i] == 2)
			CHECK_SYS("fuzz", munmap(rcv[i].buf, FAULT_REGION));
	}

	/* Elements without blocking: by SEND, or one write(2) batch. */
	{
		bool batch = chance(40);
		int fl = fcntl(a, F_GETFL);

		if (batch) {
			ssize_t w;

			CHECK_SYS("fuzz", fcntl(a, F_SETFL, fl | O_NONBLOCK));
			w = write(a, elems, (size_t)want * esz);
			scen_judge("fault: write", w, errno,
				   (long)want * esz, ok_send);
			if (w > 0)
				nsent = (int)(w / esz);
			if (w < 0 && errno == EMFILE && !budget_may(hi))
				fuzz_fail("fault: write refused with EMFILE within the budget");
			CHECK_SYS("fuzz", fcntl(a, F_SETFL, fl));
		} else {
			for (i = 0; i < want; i++) {
				struct chan_xfer x = {
					.elem = (uintptr_t)(elems + (size_t)i * esz),
					.flags = CHAN_XFER_NONBLOCK };
				long r = ioctl(a, CHAN_IOC_SEND, &x);

				scen_judge("fault: SEND", r, errno, 0, ok_send);
				if (r < 0 && errno == EMFILE && !budget_may(hi))
					fuzz_fail("fault: SEND refused with EMFILE within the budget");
				if (r == 0)
					sent[nsent++] = sent[i];
			}
		}
	}
	free(elems);
	/* The receivers still asleep see the close (or the put-backs). */
	CHECK_SYS("fuzz", ioctl(a, CHAN_IOC_CLOSE));
	for (i = 0; i < nr; i++)
		join(t[i]);

	/* Every result a documented one. */
	for (i = 0; i < nr; i++) {
		struct fault_rcv *r = &rcv[i];
		long k;

		ncall++;
		total_calls++;
		if (r->ret == -1) {
			/* chan(4): on failure index and ok are not written. */
			if (r->how == 2 && (r->s.index != 7 || r->s.ok != 7))
				fuzz_fail("fault: select failed %s but wrote index %u ok %u",
					  strerrorname_np(r->err), r->s.index,
					  r->s.ok);
			if (r->err == EFAULT && bad[i]) {
				nfault++;
				hs.putbacks++;
				continue;
			}
			if (r->err == EMFILE && budget_may(hi)) {
				hs.emfile++;
				continue;
			}
			fuzz_fail("fault: receiver %d (%s buffer) failed %s",
				  i, bad[i] ? "bad" : "good",
				  strerrorname_np(r->err));
		}
		if (r->how == 2) {
			if (r->ret != 0 || r->s.index != 0 || r->s.ok > 1)
				fuzz_fail("fault: select returned %ld, index %u ok %u (X1, X5)",
					  r->ret, r->s.index, r->s.ok);
			k = r->s.ok;
		} else if (r->how == 1) {
			if (r->ret % esz || r->ret > (long)r->n * esz)
				fuzz_fail("fault: read returned %ld (P2)", r->ret);
			k = r->ret / esz;
		} else {
			if (r->ret != 0 && r->ret != 1)
				fuzz_fail("fault: RECV returned %ld", r->ret);
			k = r->ret;
		}
		/* The copy-out came after the buffer went bad: it must fault. */
		if (k && bad[i])
			fuzz_fail("fault: receiver %d received %ld elements into a %s buffer (L2)",
				  i, k, act[i] == 1 ? "read-only" : "unmapped");
		for (j = 0; j < k; j++) {
			const uint8_t *p = r->buf + (size_t)j * esz;
			int at = scen_deliver(sent, got, nsent,
					      scen_which(p, esz, sent, nsent));

			/* One read takes consecutive elements. */
			if (j && (at == 0 || !got[at - 1] ||
				  !elem_is(p - esz, esz, sent[at - 1])))
				fuzz_fail("fault: read's element %d is not the one sent after its element %d (R1)",
					  j, j - 1);
		}
	}
	/*
	 * An element handed from a sender straight to a receive has a slot
	 * only on a plain channel with one free (chan_hold_slot()), never on
	 * a ring: each faulted receive of one puts it back beyond cap.  A
	 * receive takes one such element at most, and buffered ones keep
	 * their slots (a ring's kept slots), so cap + one per faulted
	 * receive bounds both kinds.
	 */
	info = chan_info_of(a);
	if (info.len > cc.cap + (uint32_t)nfault)
		fuzz_fail("fault: len %u, cap %u after %d faulted receives: beyond cap by more than one each (chan(4), R1)",
			  info.len, cc.cap, nfault);
	if (!info.closed || info.recv_waiters || info.send_waiters)
		fuzz_fail("fault: closed %u, waiters %u/%u after every receiver returned",
			  info.closed, info.recv_waiters, info.send_waiters);
	scen_drain(a, esz, chan_charge(esz, cc.cap, cc.flags), sent, got,
		   nsent);
	hs.faults++;
	close(a);
	for (i = 0; i < nr; i++)
		if (act[i] != 2)
			munmap(rcv[i].buf, FAULT_REGION);
}

/*
 * (b) Selects of thousands of cases with large elements, on a throwaway
 * channel: success, or EAGAIN/ETIMEDOUT when no case is ready, or EMFILE
 * (ENOMEM) when what it must hold passes the budget; never success when
 * its charge alone is over the budget (L5).
 */
static uint8_t *bigsel_elem;	/* 64 KiB: every case's element */

static void op_big_select(void)
{
	uint32_t esz = 1U << rnd(17), cap = rnd(2), n, i, nsend = 0;
	int dev = pick_fd_kind(FK_DEV), a, mix = (int)rnd(3), ret, e;
	struct chan_create cc = { .elem_size = esz, .cap = cap };
	struct chan_select_case *k;
	struct chan_select s = { 0 };
	uint64_t lo, hi, put = 0, serial = next_serial++, charge;
	bool ready;
	struct want w = { 0 };

	if (dev < 0)
		return;
	n = chance(50) ? CHAN_SELECT_MAX : 1 + rnd(CHAN_SELECT_MAX);
	cc.flags = pick_ring(cap);
	charge = chan_charge(esz, cap, cc.flags);
	a = ioctl(dev, CHAN_IOC_CREATE, &cc);
	if (a < 0) {
		if (!(errno == EMFILE && budget_may(charge)) && errno != ENOMEM)
			fuzz_fail("bigsel: CREATE esz %u cap %u flags %#x: %s",
				  esz, cap, cc.flags, strerrorname_np(errno));
		return;
	}
	hs.rings += !!cc.flags;
	/* Sometimes an element waits, so that a receive case is ready. */
	if (cap && chance(50)) {
		struct chan_xfer x = { .elem = (uintptr_t)bigsel_elem,
				       .flags = CHAN_XFER_NONBLOCK };

		fill_elem(bigsel_elem, esz, serial);
		if (ioctl(a, CHAN_IOC_SEND, &x) == 0)
			put = serial;
		else if (!(errno == EMFILE &&
			   budget_may(pow2up(esz) + charge)))
			fuzz_fail("bigsel: SEND esz %u to a new channel of cap %u: %s",
				  esz, cap, strerrorname_np(errno));
	}
	k = calloc(n, sizeof(*k));
	CHECK("fuzz", k);
	for (i = 0; i < n; i++) {
		bool sd = mix == 0 || (mix == 2 && chance(50));

		k[i] = (struct chan_select_case){ .fd = (uint32_t)a,
			.op = sd ? CHAN_SELECT_SEND : CHAN_SELECT_RECV,
			.elem = (uintptr_t)bigsel_elem };
		nsend += sd;
	}
	serial = next_serial++;
	fill_elem(bigsel_elem, esz, serial);
	s.cases = (uintptr_t)k;
	s.ncases = n;
	if (chance(50)) {
		s.flags = CHAN_XFER_NONBLOCK;
	} else {
		s.flags = CHAN_XFER_DEADLINE;
		s.deadline_ns = mono_ns() + rnd(2000000);
	}
	DESC("bigsel: %u cases (%u send) on %s esz %u cap %u len %d, flags %#x",
	     n, nsend, cc.flags ? "ring" : "chan", esz, cap, !!put, s.flags);
	/* What it must hold: cases (over 64 bytes each past 4), send elements. */
	lo = (n > 4 ? (uint64_t)n * 64 : 0) +
	     (esz > 16 ? (uint64_t)nsend * ((esz + 7) & ~7U) : 0);
	hi = (n > 4 ? pow2up((uint64_t)n * 256) : 0) +
	     (esz > 16 && nsend ? pow2up((uint64_t)nsend * ((esz + 7) & ~7U)) : 0) +
	     (nsend < n ? pow2up(48 + esz) : 0) + charge;
	ready = (put && nsend < n) || (nsend && cap && !put);
	if (ready)
		w.ok = true;
	else
		want_blocked(&w, s.flags & CHAN_XFER_NONBLOCK, true);
	want_budget(&w, hi);
	if (hi > (64ULL << 20))
		want_err(&w, ENOMEM);	/* a big kvmalloc in a small VM */
	if (lo > limits.user_budget_bytes) {
		w.ok = false;
		want_err(&w, EMFILE);
	}
	timer_arm();
	ret = ioctl(a, CHAN_IOC_SELECT, &s);
	e = errno;
	timer_disarm();
	hs.bigsels++;
	if (judge(ret, e, &w)) {
		hs.bigsel_ok++;
		struct chan_select_case *kc = &k[ret];

		if ((uint32_t)ret >= n || s.index != (uint32_t)ret || s.ok != 1)
			fuzz_fail("bigsel: returned %d, index %u ok %u", ret,
				  s.index, s.ok);
		if (kc->op == CHAN_SELECT_RECV) {
			if (!put || !elem_is(bigsel_elem, esz, put))
				fuzz_fail("bigsel: received not the element that waited (R5)");
			put = 0;
		} else {
			put = serial;
		}
	}
	/* Exactly what the model says is left (R5). */
	{
		struct chan_info info = chan_info_of(a);
		struct chan_xfer x = { .elem = (uintptr_t)bigsel_elem,
				       .flags = CHAN_XFER_NONBLOCK };

		if (info.len != (put ? 1U : 0U) || info.recv_waiters ||
		    info.send_waiters)
			fuzz_fail("bigsel: len %u waiters %u/%u afterwards, want len %d",
				  info.len, info.recv_waiters, info.send_waiters,
				  !!put);
		if (put) {
			int r = ioctl(a, CHAN_IOC_RECV, &x);

			/* A receive of a large element needs budget too. */
			if (r < 0 && errno == EMFILE && budget_lift(true)) {
				r = ioctl(a, CHAN_IOC_RECV, &x);
				budget_lift(false);
			}
			if (r != 1)
				fuzz_fail("bigsel: receiving the element left: %d %s",
					  r, r < 0 ? strerrorname_np(errno) : "");
			if (!elem_is(bigsel_elem, esz, put))
				fuzz_fail("bigsel: the element left is not #%llu (R5)",
					  (unsigned long long)put);
		}
	}
	free(k);
	close(a);
}

/*
 * (c) Many selects won at once while a write(2) batch runs: 2-4 threads
 * each block in a select over up to 4095 receive cases on channel A and
 * one on B; then B is Go-closed by a helper (winning every select still
 * waiting) while this thread writes a batch of up to 65536 elements to A.
 * The dead waiters cost the batch nothing after one look (L6; a long lock
 * hold shows as a soft lockup or RCU stall, which the harness reports).  A
 * select returns B's case with ok 0, or an A case with an element; those
 * elements are the first of the batch, and the rest is in A in order (R1,
 * R3, R5).
 */
#define STORM_SEL	4
#define STORM_ESZ	4

struct storm_sel {
	int a, b;
	uint32_t m;			/* cases on A; one more on B */
	uint32_t got;			/* where A's element lands */
	long ret;
	int err;
	struct chan_select s;
	atomic_int done;
};

static void *storm_selector(void *arg)
{
	struct storm_sel *z = arg;
	struct chan_select_case *k = calloc(z->m + 1, sizeof(*k));
	sigset_t all;
	uint32_t i;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	CHECK("fuzz", k);
	for (i = 0; i <= z->m; i++)
		k[i] = (struct chan_select_case){
			.fd = (uint32_t)(i < z->m ? z->a : z->b),
			.op = CHAN_SELECT_RECV, .elem = (uintptr_t)&z->got };
	z->s = (struct chan_select){ .cases = (uintptr_t)k, .ncases = z->m + 1,
				     .index = 0xdead, .ok = 0xdead };
	z->ret = ioctl(z->a, CHAN_IOC_SELECT, &z->s);
	z->err = errno;
	free(k);
	atomic_store(&z->done, 1);
	return NULL;
}

static struct {
	int b;
	unsigned int delay;
	long ret;
	int err;
} storm_closer;

static void *storm_close(void *arg)
{
	unsigned int i;

	(void)arg;
	for (i = 0; i < storm_closer.delay; i++)
		__asm__ volatile("" ::: "memory");
	storm_closer.ret = ioctl(storm_closer.b, CHAN_IOC_CLOSE);
	storm_closer.err = errno;
	return NULL;
}

static uint64_t storm_max_write_ns;

static void op_storm(void)
{
	struct chan_create ca = { .elem_size = STORM_ESZ, .cap = 65536 };
	struct chan_create cb = { .elem_size = STORM_ESZ, .cap = 0 };
	struct storm_sel z[STORM_SEL];
	pthread_t t[STORM_SEL], closer;
	int dev = pick_fd_kind(FK_DEV), a, b, nsel = 2 + (int)rnd(3), i, j;
	uint32_t nw = 1 + rnd(65536), waiting = 0, *batch, first = 0;
	uint64_t hi, base;
	int64_t until, t0;
	ssize_t w;
	bool *got, closer_joined = false;

	if (dev < 0 || no_race)
		return;
	/*
	 * A as a ring: as many slots as max_buffer_bytes holds with their
	 * headers (65520 by default).
	 */
	ca.flags = pick_ring(ca.cap);
	if (ca.flags) {
		ca.cap = (limits.max_buffer_bytes - CHAN_RING_SLOTS_OFFSET) /
			 CHAN_RING_STRIDE(STORM_ESZ);
		ca.cap = ca.cap < 65536 ? ca.cap : 65536;
		nw = 1 + rnd(ca.cap);
	}
	/* Under a small budget a smaller A, so that the selects still run. */
	if (limits.user_budget_bytes < (4ULL << 20)) {
		ca.cap = 4096;
		nw = 1 + rnd(ca.cap);
	}
	hi = chan_charge(STORM_ESZ, ca.cap, ca.flags) + PAGE +
	     nsel * (pow2up(4096 * 256) + pow2up(48 + STORM_ESZ)) +
	     pow2up(65536);
	a = ioctl(dev, CHAN_IOC_CREATE, &ca);
	hs.rings += a >= 0 && ca.flags;
	b = a < 0 ? -1 : ioctl(dev, CHAN_IOC_CREATE, &cb);
	if (a < 0 || b < 0) {
		if (!(errno == EMFILE && budget_may(hi)) && errno != ENOMEM)
			fuzz_fail("storm: CREATE: %s", strerrorname_np(errno));
		if (a >= 0)
			close(a);
		return;
	}
	DESC("storm: %d selects, write of %u elements to a %s", nsel, nw,
	     ca.flags ? "ring" : "chan");
	for (i = 0; i < nsel; i++) {
		z[i] = (struct storm_sel){ .a = a, .b = b,
			.m = chance(50) ? CHAN_SELECT_MAX - 1 :
					  1 + rnd(CHAN_SELECT_MAX - 1) };
		t[i] = spawn(storm_selector, &z[i]);
	}
	until = now_ns() + 30000000000LL;
	STEP(desc);
	for (uint32_t last = 0;;) {
		uint32_t want = 0, have;

		for (i = 0; i < nsel; i++)
			if (!atomic_load(&z[i].done))
				want += z[i].m;
		have = chan_info_of(a).recv_waiters;
		if (have == want)
			break;
		/* A slow kernel may take long; no progress for 30 s may not. */
		if (have != last)
			until = now_ns() + 30000000000LL, last = have;
		if (now_ns() > until)
			fuzz_fail("storm: the selects queued %u of %u cases in 30 s",
				  have, want);
		usleep(1000);
	}
	for (i = 0; i < nsel; i++) {
		if (!atomic_load(&z[i].done)) {
			waiting++;
			continue;
		}
		if (!(z[i].ret == -1 && z[i].err == EMFILE && budget_may(hi)))
			fuzz_fail("storm: select %d returned %ld %s before anything happened",
				  i, z[i].ret, strerrorname_np(z[i].err));
	}

	batch = malloc((size_t)nw * STORM_ESZ);
	got = calloc(nw, sizeof(*got));
	CHECK("fuzz", batch && got);
	base = next_serial;
	next_serial += nw;
	for (j = 0; j < (int)nw; j++)
		batch[j] = (uint32_t)(base + j);
	storm_closer.b = b;
	storm_closer.delay = chance(50) ? 0 : rnd(200000);
	closer = spawn(storm_close, NULL);
	if (chance(50)) {
		join(closer);
		closer_joined = true;
	}
	t0 = now_ns();
	w = write(a, batch, (size_t)nw * STORM_ESZ);
	t0 = now_ns() - t0;
	if ((uint64_t)t0 > storm_max_write_ns)
		storm_max_write_ns = (uint64_t)t0;
	if (!closer_joined)
		join(closer);
	for (i = 0; i < nsel; i++)
		join(t[i]);
	ncall += 2;
	total_calls += 2;
	if (storm_closer.ret != 0)
		fuzz_fail("storm: CLOSE of B: %s (K1)",
			  strerrorname_np(storm_closer.err));
	if (w < 0 && !(errno == EMFILE && budget_may(hi)))
		fuzz_fail("storm: write: %s", strerrorname_np(errno));
	if (w >= 0 && w != (ssize_t)nw * STORM_ESZ)
		fuzz_fail("storm: write of %u elements into room for %u returned %zd (P3)",
			  nw, ca.cap, w);
	if (w < 0)
		nw = 0;
	/* What the selects took from A is the head of the batch. */
	for (i = 0; i < nsel; i++) {
		uint32_t v;

		if (z[i].ret == -1 && z[i].err == EMFILE)
			continue;
		ncall++;
		total_calls++;
		if (z[i].ret < 0 || (uint32_t)z[i].ret != z[i].s.index ||
		    z[i].s.ok > 1)
			fuzz_fail("storm: select %d returned %ld %s, index %u ok %u",
				  i, z[i].ret, z[i].ret < 0 ?
				  strerrorname_np(z[i].err) : "",
				  z[i].s.index, z[i].s.ok);
		if ((uint32_t)z[i].ret == z[i].m) {
			if (z[i].s.ok)
				fuzz_fail("storm: select %d received from B, which nobody sent to (X5)",
					  i);
			continue;
		}
		if (!z[i].s.ok)
			fuzz_fail("storm: select %d: A's case %ld with ok 0, A is open (X5)",
				  i, z[i].ret);
		v = z[i].got;
		if (v < base || v >= base + nw || got[v - base])
			fuzz_fail("storm: select %d got %u, not a fresh element of the batch (R5)",
				  i, v);
		got[v - base] = true;
		first++;
	}
	for (j = 0; j < (int)first; j++)
		if (!got[j])
			fuzz_fail("storm: the selects took elements past #%d of the batch, not its head (R3)",
				  j);
	/* The rest is in A, in order (R1, R5). */
	{
		uint32_t *rest = malloc(65536 * STORM_ESZ);
		uint32_t have = 0;
		bool lifted = false;
		ssize_t r;
		int fl = fcntl(a, F_GETFL);

		CHECK("fuzz", rest);
		CHECK_SYS("fuzz", fcntl(a, F_SETFL, fl | O_NONBLOCK));
		while (have < nw - first) {
			r = read(a, rest + have, (size_t)(65536 - have) * STORM_ESZ);
			if (r < 0 && errno == EMFILE && !lifted &&
			    budget_lift(true)) {
				lifted = true;	/* the read's scratch */
				continue;
			}
			if (r <= 0)
				fuzz_fail("storm: reading back the batch: %zd %s after %u of %u",
					  r, r < 0 ? strerrorname_np(errno) : "",
					  have, nw - first);
			have += (uint32_t)(r / STORM_ESZ);
		}
		for (j = 0; j < (int)have; j++)
			if (rest[j] != (uint32_t)(base + first + j))
				fuzz_fail("storm: A holds %u at %d, want %llu (R1, R5)",
					  rest[j], j,
					  (unsigned long long)(base + first + j));
		if (chan_info_of(a).len)
			fuzz_fail("storm: A holds more than was written (R5)");
		if (lifted)
			budget_lift(false);
		free(rest);
	}
	hs.storms++;
	hs.storm_elems += nw;
	if (verbose)
		fprintf(stderr, "storm: %d selects (%u waiting), %u elements written in %lld us\n",
			nsel, waiting, nw, (long long)t0 / 1000);
	free(batch);
	free(got);
	close(a);
	close(b);
}

/* ------------------------------------------------------------- driver */

static void setup_memory(void)
{
	uint8_t *h;

	arena = mmap(NULL, (RW_PAGES + 2) * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("fuzz", arena != MAP_FAILED);
	ro_page = arena + RW_PAGES * PAGE;
	none_page = ro_page + PAGE;
	CHECK_SYS("fuzz", mprotect(ro_page, PAGE, PROT_READ));
	CHECK_SYS("fuzz", mprotect(none_page, PAGE, PROT_NONE));
	h = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("fuzz", h != MAP_FAILED);
	hole_rw = h;
	hole = h + PAGE;
	CHECK_SYS("fuzz", munmap(hole, PAGE));
	bigsel_elem = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK("fuzz", bigsel_elem != MAP_FAILED);
}

static void reset_model(void)
{
	while (nfds)
		do_close_fd(fds[nfds - 1].fd);
	memset(files, 0, sizeof(files));
	for (int i = 0; i < MAX_CHANS; i++) {
		free(chans[i].q);
		memset(&chans[i], 0, sizeof(chans[i]));
	}
}

static void one_step(void)
{
	unsigned int r = rnd(100);

	if (r < 7)
		op_create();
	else if (r < 9)
		op_query();
	else if (r < 13)
		op_info();
	else if (r < 17)
		op_dup_ioctl();
	else if (r < 30)
		op_xfer(true);
	else if (r < 42)
		op_xfer(false);
	else if (r < 45)
		op_close_ioctl();
	else if (r < 53)
		op_select();
	else if (r < 57)
		op_set();
	else if (r < 60)
		op_bad_ioctl();
	else if (r < 61)
		op_ring_info();
	else if (r < 62)
		op_ring_kick();
	else if (r < 64)
		op_mmap();
	else if (r < 70)
		op_rw(true);
	else if (r < 76)
		op_rw(false);
	else if (r < 80)
		op_poll();
	else if (r < 82)
		op_epoll();
	else if (r < 85)
		op_dup_sys();
	else if (r < 90)
		op_close();
	else if (r < 92)
		op_setfl();
	else if (r < 95)
		op_open();
	else if ((r = rnd(100)) < 50)
		op_race();
	else if (r < 80)
		op_fault();
	else if (r < 93)
		op_big_select();
	else
		op_storm();
}

/* Run one seed for @secs seconds or @calls calls; returns the calls made. */
static unsigned long run_seed(uint64_t s, double secs, unsigned long calls)
{
	int64_t end = now_ns() + (int64_t)(secs * 1e9);
	unsigned long steps = 0;

	seed = s;
	rng_state = s;
	STEP(desc);	/* the watchdog names the call that hung */
	ncall = 0;
	next_serial = 1;
	fprintf(stderr, "chan_fuzz: seed %llu\n", (unsigned long long)s);
	/* Start with a device fd; the steps make the rest. */
	{
		int fd = open("/dev/chan", O_RDWR | O_CLOEXEC);

		CHECK("fuzz", fd >= 0);
		add_fd(fd, new_file(FK_DEV, -1, 0, O_RDWR, false), true);
	}
	for (;;) {
		if (calls ? ncall >= calls : (steps & 15) == 0 && now_ns() >= end)
			break;
		one_step();
		steps++;
		if ((steps & 63) == 0)
			verify_all();
	}
	verify_all();
	/* Drain every channel: every element still there, in order (R5). */
	for (int i = 0; i < nfds; i++) {
		struct mfile *f = &files[fds[i].file];
		struct mchan *c;
		uint8_t *buf;

		if (f->kind != FK_CHAN || !(f->mode & CHAN_MODE_RECV))
			continue;
		c = &chans[f->chan];
		buf = malloc(c->esz ? c->esz : 1);
		CHECK("fuzz", buf);
		while (c->len) {
			struct chan_xfer x = { .elem = (uintptr_t)buf,
					       .flags = CHAN_XFER_NONBLOCK };
			uint64_t sr = q_pop(c);

			DESC("final drain of chan#%d", f->chan);
			if (ioctl(fds[i].fd, CHAN_IOC_RECV, &x) != 1)
				fuzz_fail("final drain: %s, %zu left (R5)",
					  strerrorname_np(errno), c->len + 1);
			if (!elem_is(buf, c->esz, sr))
				fuzz_fail("final drain: not element #%llu (R1, R5)",
					  (unsigned long long)sr);
		}
		free(buf);
		verify_chan(fds[i].fd);
	}
	reset_model();
	fprintf(stderr, "chan_fuzz: seed %llu: %lu calls, no failure; %lu ring channels made (%lu mapped), %lu EMFILE, %lu fault scenarios (%lu put-backs, %lu drains past a lifted budget), %lu big selects (%lu won), %lu storms (%lu elements, slowest write %.1f ms), %lu sets (%lu cases, %lu waits that moved one)\n",
		(unsigned long long)s, ncall, hs.rings, hs.maps, hs.emfile,
		hs.faults, hs.putbacks, nlifted, hs.bigsels, hs.bigsel_ok,
		hs.storms, hs.storm_elems, storm_max_write_ns / 1e6, hs.sets,
		hs.set_cases, hs.set_moved);
	total_rings += hs.rings;
	memset(&hs, 0, sizeof(hs));
	nlifted = 0;
	storm_max_write_ns = 0;
	return ncall;
}

/* ----------------------------------------------------- small budgets */

/* Calls made and ring channels made in budget children: [0] and [1]. */
static unsigned long *shared_calls;

static void start_helpers(void)
{
	int dev = chan_dev_open();

	memset(&limits, 0, sizeof(limits));
	CHECK_SYS("fuzz", ioctl(dev, CHAN_IOC_QUERY, &limits));
	close(dev);
	CHECK_SYS("fuzz", sem_init(&race.go, 0, 0));
	CHECK_SYS("fuzz", sem_init(&race.done, 0, 0));
	race.stop = false;
	race_thread = spawn(race_helper, NULL);
}

static void stop_helpers(void)
{
	race.stop = true;
	sem_post(&race.go);
	join(race_thread);
}

static int param_rw(const char *val, char *old, size_t len)
{
	int fd = open(BUDGET_PARAM, val ? O_WRONLY : O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = val ? write(fd, val, strlen(val)) : read(fd, old, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	if (!val)
		old[n] = 0;
	return 0;
}

/*
 * Run seeds with user_budget_bytes at @bytes, so that the EMFILE paths of
 * every call run (L5): in a child, so that whatever happens to it the
 * parameter is put back afterwards.  Returns the child's wait status.
 */
static int with_budget(uint64_t bytes, uint64_t s, double secs,
		       unsigned long calls, bool many)
{
	char old[64], val[32];
	int status = 0;
	pid_t pid;

	if (param_rw(NULL, old, sizeof(old)) < 0) {
		fprintf(stderr, "chan_fuzz: cannot read " BUDGET_PARAM " (%s): the budget mode needs root\n",
			strerrorname_np(errno));
		return 1 << 8;
	}
	snprintf(val, sizeof(val), "%llu", (unsigned long long)bytes);
	if (param_rw(val, NULL, 0) < 0) {
		fprintf(stderr, "chan_fuzz: cannot set " BUDGET_PARAM ": %s\n",
			strerrorname_np(errno));
		return 1 << 8;
	}
	fprintf(stderr, "chan_fuzz: user_budget_bytes %s for the next seeds (was %.*s)\n",
		val, (int)strcspn(old, "\n"), old);
	pid = fork_child();
	if (pid == 0) {
		int64_t end = now_ns() + (int64_t)(secs * 1e9);

		total_calls = 0;
		total_rings = 0;
		start_helpers();
		do {
			double left = (double)(end - now_ns()) / 1e9;

			run_seed(s, calls ? 1e9 : (!many || left < 60 ? left : 60),
				 calls);
			s = s * 0x9e3779b97f4a7c15ULL + 1;
		} while (many && !calls && now_ns() < end);
		stop_helpers();
		__atomic_add_fetch(&shared_calls[0], total_calls,
				   __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&shared_calls[1], total_rings,
				   __ATOMIC_SEQ_CST);
		_exit(0);
	}
	/*
	 * The child has no watchdog of its own: past its time and a minute
	 * it is killed here, before this process's watchdog would end both
	 * with the parameter still small.
	 */
	{
		int64_t until = now_ns() + (int64_t)(((calls ? 3600 : secs) +
						      60) * 1e9);

		while (waitpid(pid, &status, WNOHANG) == 0) {
			if (now_ns() > until) {
				fprintf(stderr, "chan_fuzz: FAIL seed %llu with user_budget_bytes %s: still running %.0f s after its end; killed\n",
					(unsigned long long)s, val, 60.0);
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				status = 1 << 8;
				break;
			}
			usleep(100000);
		}
	}
	if (param_rw(old, NULL, 0) < 0)
		fprintf(stderr, "chan_fuzz: FAIL: could not put " BUDGET_PARAM " back to %s\n",
			old);
	return status;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	uint64_t one_seed = 0;
	bool have_seed = false;
	double secs = 0;
	unsigned long calls = 0;
	uint64_t budget = 0;
	int i, st;
	int64_t t0;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < argc) {
			one_seed = strtoull(argv[++i], NULL, 0);
			have_seed = true;
		} else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
			secs = atof(argv[++i]);
		} else if (!strcmp(argv[i], "--calls") && i + 1 < argc) {
			calls = strtoul(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--budget") && i + 1 < argc) {
			budget = strtoull(argv[++i], NULL, 0);
		} else if (!strcmp(argv[i], "--no-race")) {
			no_race = true;
		} else if (!strcmp(argv[i], "-v")) {
			verbose = true;
		} else {
			fprintf(stderr, "usage: %s [--seed S] [--seconds N] [--calls N] [--budget BYTES] [--no-race] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	test_start("L2 L5 L6 C3 K1 K3 K5 B1 B3 P1 P2 P3 X1 X5 R1 R3 R5 S1 S2 S5 M1 M2 M6",
		   "bad-input fuzzer with an oracle",
		   (unsigned int)(secs > 0 ? secs + 120 : 120));
	CHECK_SYS("fuzz", sigaction(SIGALRM, &sa, NULL));
	setup_memory();
	probe_user_end();
	shared_calls = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK("fuzz", shared_calls != MAP_FAILED);
	t0 = now_ns();
	if (budget) {
		/* The whole run with a small budget (tests/fuzz/run). */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		st = with_budget(budget, have_seed ? one_seed :
				 ((uint64_t)ts.tv_sec << 20) ^ ts.tv_nsec,
				 secs > 0 ? secs : 10, calls, !have_seed);
		if (st)
			return 1;
		printf("chan_fuzz: %lu calls (%lu ring channels made) in %.1f s with user_budget_bytes %llu, 0 failures\n",
		       shared_calls[0], shared_calls[1],
		       (double)(now_ns() - t0) / 1e9,
		       (unsigned long long)budget);
		test_pass();
	}
	start_helpers();
	CHECK_EQ("fuzz", limits.version, CHAN_API_VERSION);
	if (have_seed) {
		run_seed(one_seed, secs > 0 ? secs : 10, calls);
	} else if (secs > 0 || calls) {
		/* The long run: one random seed after another. */
		struct timespec ts;
		int64_t end = t0 + (int64_t)(secs * 1e9);
		unsigned int nseeds = 0;

		clock_gettime(CLOCK_REALTIME, &ts);
		do {
			uint64_t s = ((uint64_t)ts.tv_sec << 20) ^ ts.tv_nsec ^
				     (uint64_t)getpid() << 40 ^ nseeds;
			double left = (double)(end - now_ns()) / 1e9;

			run_seed(s, calls ? 1e9 : (left < 60 ? left : 60), calls);
			nseeds++;
		} while (!calls && now_ns() < end);
	} else {
		/*
		 * The short test of make check: two fixed seeds, so a change
		 * that breaks them shows at once, then a random one.
		 */
		struct timespec ts;

		run_seed(1, 4, 0);
		run_seed(2, 4, 0);
		clock_gettime(CLOCK_REALTIME, &ts);
		run_seed((uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 30), 5, 0);
		/* And one with a budget small enough to refuse calls (L5). */
		stop_helpers();
		st = with_budget(BUDGET_SHORT, 3, 4, 0, false);
		if (st)
			return 1;
		start_helpers();
	}
	printf("chan_fuzz: %lu calls (%lu expected to fail, %lu ring channels made) in %.1f s, 0 failures\n",
	       total_calls + shared_calls[0], nfail_expected,
	       total_rings + shared_calls[1], (double)(now_ns() - t0) / 1e9);
	stop_helpers();
	test_pass();
}
