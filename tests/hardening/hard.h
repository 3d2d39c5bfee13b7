/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hard.h: what the hardening tests (L4-L7 and the R and X rules they touch)
 * share beyond tests/user/check.h.
 *
 * These tests change the machine: module parameters, the RT throttle, a
 * memory cgroup of their own.  A failed check ends a test with _exit(), so
 * nothing in the test itself could put things back.  hard_main() therefore
 * runs the test in a child and stays behind as its supervisor: it saves
 * the module parameters and sysctls first and restores them, and kills and
 * removes the test's cgroup, however the child ended, so the next test in
 * the VM starts from the defaults.
 *
 * SOFT() records a failed check and goes on, for tests whose later steps
 * still say something after an earlier one failed; hard_finish() then
 * fails the test.  Everything here needs root (the tests drop privileges
 * themselves where the rule is about users).
 */
#ifndef CHAN_TESTS_HARDENING_HARD_H
#define CHAN_TESTS_HARDENING_HARD_H

#include "../user/check.h"

#include <sched.h>

#define HARD_PARAMS	"/sys/module/chan/parameters/"
#define HARD_CGROOT	"/sys/fs/cgroup"

/* hard_main() flags */
#define HARD_CGROUP	(1U << 0)	/* run the test in a memory cgroup of its own */

/* What the supervisor puts back: module parameters and sysctls. */
static const char *const hard_saved_files[] = {
	HARD_PARAMS "user_budget_bytes",
	HARD_PARAMS "total_budget_bytes",
	HARD_PARAMS "max_buffer_bytes",
	HARD_PARAMS "max_cap",
	HARD_PARAMS "spin_ns",
	"/proc/sys/kernel/sched_rt_runtime_us",
};

static char hard_saved[ARRAY_SIZE(hard_saved_files)][64];
/* The test's cgroup, if it has one ("" otherwise). */
static char hard_cg[256];
static int hard_failures;

/* SOFT(rule, cond, fmt, ...): a check that fails the test at the end. */
#define SOFT(rule, cond, ...)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: FAIL [%s] (%s, step: %s): ", \
				__FILE__, __LINE__, rule,		\
				program_invocation_short_name, check_step); \
			fprintf(stderr, __VA_ARGS__);			\
			fputc('\n', stderr);				\
			hard_failures++;				\
		}							\
	} while (0)

static inline void __attribute__((noreturn)) hard_finish(void)
{
	if (hard_failures) {
		fprintf(stderr, "%s [%s]: FAIL: %d check(s) failed\n",
			program_invocation_short_name, check_rules,
			hard_failures);
		_exit(1);
	}
	test_pass();
}

/* Read a small file into @buf (NUL-terminated, trailing newline cut). */
static inline int hard_read_str(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	return 0;
}

static inline int hard_write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -errno;
}

static inline void hard_write(const char *path, const char *val)
{
	int err = hard_write_str(path, val);

	if (err)
		check_fail(__FILE__, __LINE__, check_rules, "write '%s' to %s: %s",
			   val, path, check_errname(err));
}

static inline void hard_writef(const char *path, long long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	hard_write(path, buf);
}

/* A module parameter of chan. */
static inline unsigned long hard_param(const char *name)
{
	char path[128], buf[64];

	snprintf(path, sizeof(path), HARD_PARAMS "%s", name);
	if (hard_read_str(path, buf, sizeof(buf)))
		check_fail(__FILE__, __LINE__, check_rules, "read %s: %s", path,
			   strerrorname_np(errno));
	return strtoul(buf, NULL, 10);
}

/* Set a module parameter; the supervisor puts it back. */
static inline void hard_set_param(const char *name, unsigned long v)
{
	char path[128];

	snprintf(path, sizeof(path), HARD_PARAMS "%s", name);
	hard_writef(path, (long long)v);
}

/* A file of the test's cgroup: its number, or the value of a `key N` line. */
static inline long long hard_cg_num(const char *file, const char *key)
{
	char path[400], buf[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", hard_cg, file);
	if (hard_read_str(path, buf, sizeof(buf)))
		return -1;
	if (!key)
		return strtoll(buf, NULL, 10);
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtoll(p + strlen(key) + 1, NULL, 10);
	return -1;
}

static inline void hard_cg_set(const char *file, const char *val)
{
	char path[400];

	snprintf(path, sizeof(path), "%s/%s", hard_cg, file);
	hard_write(path, val);
}

/* memory.current of the test's cgroup, in bytes. */
static inline long long hard_mem(void)
{
	long long v = hard_cg_num("memory.current", NULL);

	if (v < 0)
		check_fail(__FILE__, __LINE__, check_rules,
			   "no memory.current in %s", hard_cg);
	return v;
}

/* A `chan-KEY:\tN` line of /proc/self/fdinfo/@fd. */
static inline long long hard_fdinfo(int fd, const char *key)
{
	char path[64], buf[2048], *p;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (hard_read_str(path, buf, sizeof(buf)))
		check_fail(__FILE__, __LINE__, check_rules, "read %s: %s", path,
			   strerrorname_np(errno));
	for (p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, key, kl) && p[kl] == ':')
			return strtoll(p + kl + 1, NULL, 10);
	check_fail(__FILE__, __LINE__, check_rules, "no %s in %s", key, path);
}

/* The state letter of /proc/@pid/stat (R, S, D, Z...), or '?' if gone. */
static inline char hard_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (hard_read_str(path, buf, sizeof(buf)))
		return '?';
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* Pin the calling thread to @cpu. */
static inline void hard_pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	CHECK_SYS(check_rules, sched_setaffinity(0, sizeof(set), &set));
}

/* Wait up to @ms for @pid to end; its wait status, or -1 if still alive. */
static inline int hard_wait_for(pid_t pid, unsigned int ms)
{
	int64_t end = now_ns() + (int64_t)ms * 1000000;
	int status;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0)
			check_fail(__FILE__, __LINE__, check_rules,
				   "waitpid %d: %s", (int)pid,
				   strerrorname_np(errno));
		if (now_ns() >= end)
			return -1;
		sleep_ms(10);
	}
}

static inline void hard_restore(void)
{
	char cur[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hard_saved_files); i++) {
		if (!hard_saved[i][0])
			continue;
		if (!hard_read_str(hard_saved_files[i], cur, sizeof(cur)) &&
		    !strcmp(cur, hard_saved[i]))
			continue;
		if (hard_write_str(hard_saved_files[i], hard_saved[i]))
			fprintf(stderr, "%s: could not restore %s to %s\n",
				program_invocation_short_name,
				hard_saved_files[i], hard_saved[i]);
	}
}

/* Kill whatever is left in the test's cgroup and remove it. */
static inline void hard_cg_remove(void)
{
	char path[400];
	int i;

	if (!hard_cg[0])
		return;
	snprintf(path, sizeof(path), "%s/cgroup.kill", hard_cg);
	hard_write_str(path, "1");
	for (i = 0; i < 1000; i++) {
		if (!rmdir(hard_cg) || errno == ENOENT)
			return;
		sleep_ms(10);
	}
	fprintf(stderr, "%s: could not remove %s: %s\n",
		program_invocation_short_name, hard_cg, strerrorname_np(errno));
}

/*
 * Run @body (which ends with hard_finish() or test_pass()) in a child that
 * has called test_start(@rules, @what, @timeout_s), in a new memory cgroup
 * if @flags has HARD_CGROUP; put back every parameter and sysctl and remove
 * the cgroup afterwards, and exit as the child did.
 */
static inline void __attribute__((noreturn))
hard_main(const char *rules, const char *what, unsigned int timeout_s,
	  unsigned int flags, void (*body)(void))
{
	char path[400];
	int status, code;
	size_t i;
	pid_t pid;

	check_rules = rules;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access("/dev/chan", F_OK) < 0) {
		fprintf(stderr, "%s [%s]: SKIP: no /dev/chan (module not loaded)\n",
			program_invocation_short_name, rules);
		exit(EXIT_SKIP);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "%s [%s]: SKIP: needs root (module parameters, cgroups)\n",
			program_invocation_short_name, rules);
		exit(EXIT_SKIP);
	}
	for (i = 0; i < ARRAY_SIZE(hard_saved_files); i++)
		if (hard_read_str(hard_saved_files[i], hard_saved[i],
				  sizeof(hard_saved[i])))
			hard_saved[i][0] = '\0';
	if (flags & HARD_CGROUP) {
		snprintf(path, sizeof(path), HARD_CGROOT "/cgroup.controllers");
		if (access(path, R_OK) < 0) {
			fprintf(stderr, "%s [%s]: SKIP: no cgroup2 at " HARD_CGROOT "\n",
				program_invocation_short_name, rules);
			exit(EXIT_SKIP);
		}
		hard_write_str(HARD_CGROOT "/cgroup.subtree_control", "+memory");
		snprintf(hard_cg, sizeof(hard_cg), HARD_CGROOT "/chan-%s-%d",
			 program_invocation_short_name, (int)getpid());
		if (mkdir(hard_cg, 0755) < 0) {
			fprintf(stderr, "%s: mkdir %s: %s\n",
				program_invocation_short_name, hard_cg,
				strerrorname_np(errno));
			exit(1);
		}
	}

	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (hard_cg[0]) {
			snprintf(path, sizeof(path), "%s/cgroup.procs", hard_cg);
			hard_write(path, "0");
		}
		test_start(rules, what, timeout_s);
		body();
		test_pass();
	}

	/* The child's watchdog ends it; this is the backstop. */
	status = hard_wait_for(pid, (timeout_s + 60) * 1000);
	if (status == -1) {
		fprintf(stderr, "%s [%s]: FAIL: test child %d still running %u s after its deadline; killed (state %c)\n",
			program_invocation_short_name, rules, (int)pid,
			60, hard_proc_state(pid));
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		code = 1;
	} else if (WIFEXITED(status)) {
		code = WEXITSTATUS(status);
	} else {
		fprintf(stderr, "%s [%s]: FAIL: test child killed by signal %d\n",
			program_invocation_short_name, rules, WTERMSIG(status));
		code = 1;
	}
	hard_restore();
	hard_cg_remove();
	exit(code);
}

#endif /* CHAN_TESTS_HARDENING_HARD_H */
