/* SPDX-License-Identifier: GPL-2.0 */
/*
 * chanstat_run.h: run chanstat (bin/chanstat, next to the tests: see the
 * Makefile) and capture what it prints, for the O3 and O4 tests.
 */
#ifndef CHAN_TESTS_OBSERVE_CHANSTAT_RUN_H
#define CHAN_TESTS_OBSERVE_CHANSTAT_RUN_H

#include "../user/check.h"

#define CHANSTAT	"bin/chanstat"

static char chanstat_out[65536];

/*
 * Run chanstat with the NULL-terminated arguments; its stdout lands in
 * chanstat_out (and on our stderr, for a failing test's log).  Returns its
 * exit status.
 */
static inline int __attribute__((sentinel)) run_chanstat(const char *rule,
							 ...)
{
	const char *argv[16] = { CHANSTAT };
	size_t n = 1, got = 0;
	int pipefd[2], status;
	ssize_t r;
	va_list ap;
	pid_t pid;

	va_start(ap, rule);
	while (n < ARRAY_SIZE(argv) - 1 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	if (access(CHANSTAT, X_OK) < 0)
		check_fail(__FILE__, __LINE__, rule, "%s: %s (make tests builds it)",
			   CHANSTAT, strerrorname_np(errno));
	CHECK_SYS(rule, pipe2(pipefd, O_CLOEXEC));
	pid = fork_child();
	if (pid == 0) {
		dup2(pipefd[1], 1);
		execv(CHANSTAT, (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while ((r = read(pipefd[0], chanstat_out + got,
			 sizeof(chanstat_out) - 1 - got)) > 0)
		got += r;
	close(pipefd[0]);
	chanstat_out[got] = '\0';
	CHECK_SYS(rule, waitpid(pid, &status, 0));
	CHECK(rule, WIFEXITED(status));
	fprintf(stderr, "--- chanstat");
	for (n = 1; argv[n]; n++)
		fprintf(stderr, " %s", argv[n]);
	fprintf(stderr, ": exit %d\n%s", WEXITSTATUS(status), chanstat_out);
	return WEXITSTATUS(status);
}

/* The output has @want (printf-style) in it. */
#define CHECK_OUT(rule, ...)						\
	do {								\
		char want_[512];					\
		snprintf(want_, sizeof(want_), __VA_ARGS__);		\
		if (!strstr(chanstat_out, want_))			\
			check_fail(__FILE__, __LINE__, rule,		\
				   "chanstat's output lacks \"%s\"", want_); \
	} while (0)

/* The output does not have @want (printf-style) in it. */
#define CHECK_NOT_OUT(rule, ...)					\
	do {								\
		char want_[512];					\
		snprintf(want_, sizeof(want_), __VA_ARGS__);		\
		if (strstr(chanstat_out, want_))			\
			check_fail(__FILE__, __LINE__, rule,		\
				   "chanstat's output has \"%s\"", want_); \
	} while (0)

/* How many times @what occurs in @text. */
static inline int count_in(const char *text, const char *what)
{
	const char *p = text;
	int n = 0;

	while ((p = strstr(p, what))) {
		n++;
		p += strlen(what);
	}
	return n;
}

/* How many times @what occurs in the output. */
static inline int count_out(const char *what)
{
	return count_in(chanstat_out, what);
}

#endif /* CHAN_TESTS_OBSERVE_CHANSTAT_RUN_H */
