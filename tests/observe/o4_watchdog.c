// SPDX-License-Identifier: GPL-2.0
/*
 * O4: libchan's deadlock watchdog.  With CHAN_DEADLOCK=abort in its
 * environment, a program all of whose threads are blocked, with no
 * deadline, on channels that nothing able to run can complete prints Go's
 * "fatal error: all goroutines are asleep - deadlock!" with chanstat
 * --deadlock's report and aborts; with CHAN_DEADLOCK=warn it prints the
 * same once and goes on.  It does not fire while a thread waits with a
 * deadline, on a timer channel, or on a channel that a process able to
 * run holds.
 *
 * The watchdog reads the environment when libchan is loaded, so each case
 * is this program again, exec()ed with CHAN_DEADLOCK set and the case's
 * name as its argument; the test reads its standard error.  (The test's
 * own timeout thread would keep a process from ever being all asleep: the
 * cases start none.)
 */
#include "chanstat_run.h"

/* Longer than two of the watchdog's looks (one a second, 200 ms each). */
#define QUIET_MS	3000

/* A case running as a child: its pid and what it printed on stderr. */
struct o4_case {
	pid_t pid;
	int fd;
	size_t len;
	char out[65536];
};

/* The case's side ------------------------------------------------------ */

static int chan_a, chan_b;

static void say(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (write(STDERR_FILENO, buf, n) != n)
		_exit(3);
}

static void *recv_a_send_b(void *unused)
{
	uint64_t v;

	(void)unused;
	if (chan_recv(chan_a, &v) == 1)
		chan_send(chan_b, &v);
	return NULL;
}

/* Two goroutines (main and one of chan_go's) that wait for each other. */
static int case_cycle(void)
{
	uint64_t v;

	chan_a = CHECK_OK("O4", chan_make(8, 0, 0));
	chan_b = CHECK_OK("O4", chan_make(8, 0, 0));
	say("ids %llu %llu\n", (unsigned long long)chan_info_of(chan_a).id,
	    (unsigned long long)chan_info_of(chan_b).id);
	CHECK_OK("O4", chan_go(recv_a_send_b, NULL));
	chan_recv(chan_b, &v);
	say("the cycle ended\n");
	return 1;
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* Main alone, receiving from a channel nobody sends on; SIGUSR1 ends it. */
static int case_warn(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };	/* no SA_RESTART */
	uint64_t v;
	int ret;

	CHECK_SYS("O4", sigaction(SIGUSR1, &sa, NULL));
	chan_a = CHECK_OK("O4", chan_make(8, 0, 0));
	say("ids %llu\n", (unsigned long long)chan_info_of(chan_a).id);
	ret = chan_recv(chan_a, &v);
	say("went on: chan_recv %d\n", ret);
	return ret == -EINTR ? 0 : 1;
}

static void *sleep_then_send(void *unused)
{
	uint64_t v = 1;

	(void)unused;
	sleep_ms(QUIET_MS);
	chan_send(chan_a, &v);
	return NULL;
}

static void *timed_then_send(void *unused)
{
	uint64_t v = 1;

	(void)unused;
	chan_recv_timeout(chan_b, &v, QUIET_MS * 1000000LL);
	chan_send(chan_a, &v);
	return NULL;
}

/* Blocked, but each time something will complete it: never a report. */
static int case_none(int parent_fd)
{
	int64_t t;
	uint64_t v;
	int tm;

	say("a receive from chan_after()\n");
	tm = CHECK_OK("O4", chan_after(QUIET_MS * 1000000LL));
	CHECK_EQ("O4", chan_recv(tm, &t), 1);
	close(tm);

	say("a receive with a deadline\n");
	chan_a = CHECK_OK("O4", chan_make(8, 0, 0));
	CHECK_EQ("O4", chan_recv_timeout(chan_a, &v, QUIET_MS * 1000000LL),
		 -ETIMEDOUT);

	say("a receive that a sleeping goroutine completes\n");
	CHECK_OK("O4", chan_go(sleep_then_send, NULL));
	CHECK_EQ("O4", chan_recv(chan_a, &v), 1);

	say("a receive that a goroutine blocked with a deadline completes\n");
	chan_b = CHECK_OK("O4", chan_make(8, 0, 0));
	CHECK_OK("O4", chan_go(timed_then_send, NULL));
	CHECK_EQ("O4", chan_recv(chan_a, &v), 1);

	/* The test reads this line, waits, then sends. */
	say("a receive that another process completes\n");
	CHECK_EQ("O4", chan_recv(parent_fd, &v), 1);
	CHECK_EQ("O4", v, 42);
	say("none fired\n");
	return 0;
}

/* The test's side ------------------------------------------------------ */

/*
 * Start this program as @c, case @name with CHAN_DEADLOCK=@mode; @c reads
 * its standard error.
 */
static void start_case(struct o4_case *c, const char *name, const char *mode,
		       const char *arg)
{
	int p[2];
	pid_t pid;

	CHECK_SYS("O4", pipe2(p, O_CLOEXEC));
	pid = fork_child();
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		setenv("CHAN_DEADLOCK", mode, 1);
		execl("/proc/self/exe", "o4_watchdog", name, arg,
		      (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	c->pid = pid;
	c->fd = p[0];
	c->len = 0;
	c->out[0] = '\0';
}

/*
 * Read the case's standard error until @want shows up (true) or it ends
 * (false); with @want NULL, until it ends.
 */
static bool read_until(struct o4_case *c, const char *want)
{
	ssize_t n;

	for (;;) {
		if (want && strstr(c->out, want))
			return true;
		n = read(c->fd, c->out + c->len, sizeof(c->out) - 1 - c->len);
		if (n <= 0)
			return false;
		c->len += n;
		c->out[c->len] = '\0';
	}
}

static int finish_case(struct o4_case *c)
{
	int status;

	read_until(c, NULL);
	close(c->fd);
	CHECK_SYS("O4", waitpid(c->pid, &status, 0));
	fprintf(stderr, "--- the case's stderr (%s %d):\n%s---\n",
		WIFEXITED(status) ? "exit" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status),
		c->out);
	return status;
}

/*
 * Run case "warn" with CHAN_DEADLOCK=@mode as @c: once @seen is in its
 * standard error, let it sit deadlocked a while, then end its wait with a
 * signal.  It must exit 0.
 */
static void run_warn_case(struct o4_case *c, const char *mode, const char *seen)
{
	int status;

	start_case(c, "warn", mode, NULL);
	CHECK("O4", read_until(c, seen));
	sleep_ms(QUIET_MS);
	CHECK_SYS("O4", kill(c->pid, SIGUSR1));
	status = finish_case(c);
	CHECK("O4", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#define CHECK_ERR_HAS(c, ...)						\
	do {								\
		char want_[256];					\
		snprintf(want_, sizeof(want_), __VA_ARGS__);		\
		if (!strstr((c)->out, want_))				\
			check_fail(__FILE__, __LINE__, "O4",		\
				   "the case's stderr lacks \"%s\"", want_); \
	} while (0)

#define GO_MSG	"all goroutines are asleep - deadlock!"

int main(int argc, char **argv)
{
	static struct o4_case c, none;
	unsigned long long a, b;
	uint64_t v = 42;
	int status, ch;
	char arg[16];

	if (argc >= 2) {
		/* Its threads' name, which exec() of /proc/self/exe made "exe". */
		prctl(PR_SET_NAME, "o4_watchdog");
		check_rules = "O4";
		if (!strcmp(argv[1], "cycle"))
			return case_cycle();
		if (!strcmp(argv[1], "warn"))
			return case_warn();
		if (!strcmp(argv[1], "none") && argc == 3)
			return case_none(atoi(argv[2]));
		return 2;
	}
	test_start("O4", "CHAN_DEADLOCK: Go's deadlock report from libchan", 240);

	/*
	 * The longest case (about 18 s of waits that must not fire) runs
	 * beside the others: each case is a process of its own, with a
	 * watchdog that looks at its own threads only.
	 */
	STEP("abort, but nothing is deadlocked: started");
	ch = CHECK_OK("O4", chan_make(8, 0, CHAN_INHERIT));
	snprintf(arg, sizeof(arg), "%d", ch);
	start_case(&none, "none", "abort", arg);

	STEP("abort: two goroutines waiting for each other");
	start_case(&c, "cycle", "abort", NULL);
	status = finish_case(&c);
	CHECK("O4", WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
	CHECK_EQ("O4", sscanf(c.out, "ids %llu %llu", &a, &b), 2);
	CHECK("O4", !strncmp(strchr(c.out, '\n') + 1,
			     "fatal error: " GO_MSG "\n\n", 15 + strlen(GO_MSG)));
	CHECK_EQ("O4", count_in(c.out, GO_MSG), 1);
	CHECK_ERR_HAS(&c, "deadlock 1: 2 tasks blocked for good");
	CHECK_ERR_HAS(&c, "  tid %d (o4_watchdog) of pid %d, blocked ", c.pid, c.pid);
	CHECK_ERR_HAS(&c, "    recv on chan %llu (elem 8, len 0/0)\n", a);
	CHECK_ERR_HAS(&c, "    recv on chan %llu (elem 8, len 0/0)\n", b);
	CHECK_ERR_HAS(&c, "could be completed by pid %d (o4_watchdog) fd ", c.pid);
	CHECK("O4", !strstr(c.out, "the cycle ended"));
	CHECK("O4", !strstr(c.out, "chan-deadlock"));

	STEP("warn: told once, and the program goes on");
	/* Still deadlocked for a few more looks: not told again. */
	run_warn_case(&c, "warn", "(CHAN_DEADLOCK=warn: the program goes on)\n");
	CHECK_EQ("O4", sscanf(c.out, "ids %llu", &a), 1);
	CHECK_ERR_HAS(&c, "warning: " GO_MSG "\n\n");
	CHECK_EQ("O4", count_in(c.out, GO_MSG), 1);
	CHECK_ERR_HAS(&c, "deadlock 1: 1 task blocked for good");
	CHECK_ERR_HAS(&c, "    recv on chan %llu (elem 8, len 0/0)\n", a);
	CHECK_ERR_HAS(&c, "went on: chan_recv %d\n", -EINTR);

	STEP("an unknown CHAN_DEADLOCK is said, and turns nothing on");
	run_warn_case(&c, "yes", "ids ");
	CHECK_ERR_HAS(&c, "libchan: CHAN_DEADLOCK=yes is none of abort, warn, off: no deadlock watchdog\n");
	CHECK_EQ("O4", count_in(c.out, GO_MSG), 0);

	STEP("abort, but nothing is deadlocked: never fires");
	CHECK("O4", read_until(&none, "a receive that another process completes\n"));
	/*
	 * This process may run (it sleeps): it could send, and does, after
	 * the case's parked pool thread has left (2 s) and the watchdog has
	 * looked at the rest a few times.
	 */
	sleep_ms(2 * QUIET_MS);
	CHECK_EQ("O4", chan_send(ch, &v), 0);
	status = finish_case(&none);
	CHECK("O4", WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_ERR_HAS(&none, "none fired\n");
	CHECK_EQ("O4", count_in(none.out, "deadlock"), 0);
	close(ch);
	test_pass();
}
