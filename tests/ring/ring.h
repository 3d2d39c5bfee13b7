/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h: what the ring-channel tests share.  A ring channel's shared pages
 * are looked at behind libchan's back through a mapping of the test's own.
 */
#ifndef CHAN_TESTS_RING_H
#define CHAN_TESTS_RING_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/ucontext.h>

#include "../user/check.h"

/* The ring channel fd @ch's layout (CHAN_IOC_RING_INFO). */
static inline struct chan_ring_info ring_info_of(int ch)
{
	struct chan_ring_info ri;

	memset(&ri, 0xa5, sizeof(ri));
	if (ioctl(ch, CHAN_IOC_RING_INFO, &ri) < 0)
		check_fail(__FILE__, __LINE__, "M1", "CHAN_IOC_RING_INFO: %s",
			   strerrorname_np(errno));
	return ri;
}

/* A mapping of @ch of the test's own: the private page, then the shared ones. */
static inline uint8_t *ring_map_of(int ch, size_t *len)
{
	struct chan_ring_info ri = ring_info_of(ch);
	void *p = mmap(NULL, ri.map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		       ch, 0);

	if (p == MAP_FAILED)
		check_fail(__FILE__, __LINE__, "M1", "mmap of a ring: %s",
			   strerrorname_np(errno));
	*len = ri.map_bytes;
	return p;
}

/* The state word of the slot at position @pos in mapping @map of @ch. */
static inline _Atomic uint64_t *ring_slot_state(int ch, uint8_t *map,
						uint32_t pos)
{
	struct chan_ring_info ri = ring_info_of(ch);
	uint8_t *slots = map + sysconf(_SC_PAGESIZE) + CHAN_RING_SLOTS_OFFSET;

	return (_Atomic uint64_t *)(slots + (size_t)(pos % ri.cap) * ri.stride);
}

/* An element that says who sent it and its number in that sender's stream. */
static inline uint64_t ring_elem(uint32_t who, uint32_t seq)
{
	return ((uint64_t)who << 32) | seq;
}

/*
 * M1's proof: from here on, any ioctl of chan's (type 0xC6) and any read(2)
 * or write(2) of @fd names itself on stderr and kills the process with
 * SIGSYS (a seccomp filter).
 */
/* The first two arguments of the system call a signal interrupted. */
#if defined(__x86_64__)
#define RING_SYSARG(u, i)	((u)->uc_mcontext.gregs[(i) ? REG_RSI : REG_RDI])
#elif defined(__aarch64__)
#define RING_SYSARG(u, i)	((u)->uc_mcontext.regs[i])
#else
#define RING_SYSARG(u, i)	((void)(u), 0)
#endif

/* Name the call that the filter caught, then die as the filter would. */
static inline void ring_caught(int sig, siginfo_t *si, void *uc)
{
	const ucontext_t *u = uc;

	(void)sig;
	fprintf(stderr, "caught system call %d (arg0 %lld arg1 %#llx)\n",
		si->si_syscall, (long long)RING_SYSARG(u, 0),
		(unsigned long long)RING_SYSARG(u, 1));
	signal(SIGSYS, SIG_DFL);
	raise(SIGSYS);
}

static inline void no_chan_calls(int fd)
{
	struct sigaction sa = { .sa_sigaction = ring_caught, .sa_flags = SA_SIGINFO };

	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[1])),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff00),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CHAN_IOC_MAGIC << 8, 5, 6),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 0, 4),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)fd, 0, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(f), .filter = f };

	CHECK_SYS("M1", sigaction(SIGSYS, &sa, NULL));
	CHECK_SYS("M1", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	CHECK_SYS("M1", syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog));
}

#endif /* CHAN_TESTS_RING_H */
