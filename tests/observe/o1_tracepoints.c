// SPDX-License-Identifier: GPL-2.0
/*
 * O1: the chan tracepoints fire for every operation that moves, blocks,
 * wakes, selects or closes, with the channel's id, the pid and tid of the
 * task, the operation and, for a wake, the time it waited.  Read through
 * tracefs: each event this test causes is found with the fields it must
 * have.  Root only (tracefs); skips where the kernel has no tracing.
 */
#include "../user/check.h"

#include <sys/mount.h>
#include <sys/syscall.h>

static char tracing[64];

static void trace_write(const char *file, const char *what)
{
	char path[160];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tracing, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		check_fail(__FILE__, __LINE__, "O1", "open %s: %s", path,
			   strerrorname_np(errno));
	if (write(fd, what, strlen(what)) != (ssize_t)strlen(what))
		check_fail(__FILE__, __LINE__, "O1", "write %s to %s: %s",
			   what, path, strerrorname_np(errno));
	close(fd);
}

/* Find tracefs, mounting it if need be; skip if the kernel has none. */
static void find_tracing(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[128];
	size_t i;

	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: tracefs needs root\n");
		exit(EXIT_SKIP);
	}
	mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	for (i = 0; i < ARRAY_SIZE(dirs); i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		if (access(path, F_OK) == 0) {
			snprintf(tracing, sizeof(tracing), "%s", dirs[i]);
			break;
		}
	}
	if (!tracing[0]) {
		fprintf(stderr, "SKIP: no tracefs (a kernel without tracing)\n");
		exit(EXIT_SKIP);
	}
	/* The module is loaded: its events must be there. */
	snprintf(path, sizeof(path), "%s/events/chan/enable", tracing);
	if (access(path, W_OK) < 0)
		check_fail(__FILE__, __LINE__, "O1", "%s: %s: no chan events",
			   path, strerrorname_np(errno));
}

/* One event of the trace: its name and its key=value fields. */
struct event {
	char name[32];
	char line[512];
};

static struct event events[4096];
static size_t nevents;

static void read_trace(void)
{
	char path[160], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/trace", tracing);
	f = fopen(path, "re");
	CHECK("O1", f);
	nevents = 0;
	while (fgets(line, sizeof(line), f) && nevents < ARRAY_SIZE(events)) {
		char *ev = strstr(line, " chan_");
		char *colon;

		if (line[0] == '#' || !ev)
			continue;
		colon = strstr(ev, ": ");
		if (!colon || colon - ev - 1 >= 32)
			continue;
		memcpy(events[nevents].name, ev + 1, colon - ev - 1);
		events[nevents].name[colon - ev - 1] = '\0';
		snprintf(events[nevents].line, sizeof(events[0].line), " %s",
			 colon + 2);
		events[nevents].line[strcspn(events[nevents].line, "\n")] = '\0';
		nevents++;
	}
	fclose(f);
}

/* The value of field @key of @e, as text; NULL if it has none. */
static const char *field(const struct event *e, const char *key, char *buf,
			 size_t len)
{
	char pat[40];
	const char *p;

	snprintf(pat, sizeof(pat), " %s=", key);
	p = strstr(e->line, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	snprintf(buf, len, "%.*s", (int)strcspn(p, " "), p);
	return buf;
}

static long long num(const struct event *e, const char *key)
{
	char buf[64];
	const char *v = field(e, key, buf, sizeof(buf));

	if (!v)
		check_fail(__FILE__, __LINE__, "O1", "%s has no %s: %s",
			   e->name, key, e->line);
	return strtoll(v, NULL, 10);
}

/*
 * The events named @name whose fields are all as in @want, a
 * space-separated list of key=value (every one must appear as it is).
 */
static size_t count(const char *name, const char *want,
		    const struct event **first)
{
	size_t i, n = 0;

	for (i = 0; i < nevents; i++) {
		char copy[256], *tok, *save;
		bool ok = strcmp(events[i].name, name) == 0;

		snprintf(copy, sizeof(copy), "%s", want);
		for (tok = strtok_r(copy, " ", &save); ok && tok;
		     tok = strtok_r(NULL, " ", &save)) {
			char pat[80];

			snprintf(pat, sizeof(pat), " %s", tok);
			/* A whole field: followed by a space or the end. */
			const char *p = strstr(events[i].line, pat);

			ok = p && (p[strlen(pat)] == ' ' ||
				   p[strlen(pat)] == '\0');
		}
		if (ok) {
			if (!n && first)
				*first = &events[i];
			n++;
		}
	}
	return n;
}

static void dump_trace(void)
{
	size_t i;

	for (i = 0; i < nevents; i++)
		fprintf(stderr, "  %s:%s\n", events[i].name, events[i].line);
}

/* Exactly @n events @name with fields @want (printf-style). */
static const struct event *expect(size_t n, const char *name,
				  const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const struct event *expect(size_t n, const char *name,
				  const char *fmt, ...)
{
	const struct event *e = NULL;
	char want[256];
	va_list ap;
	size_t got;

	va_start(ap, fmt);
	vsnprintf(want, sizeof(want), fmt, ap);
	va_end(ap);
	got = count(name, want, &e);
	if (got != n) {
		dump_trace();
		check_fail(__FILE__, __LINE__, "O1",
			   "%zu %s events with %s, want %zu (trace above)",
			   got, name, want, n);
	}
	return e;
}

static unsigned long long id_of(int fd)
{
	return chan_info_of(fd).id;
}

static int pid;

static int gettid_(void)
{
	return (int)syscall(SYS_gettid);
}

struct blocked {
	int fd;
	int tid;
	int ret;
	int index;
	int fd2;
};

/* Blocks receiving on an empty unbuffered channel. */
static void *receiver(void *arg)
{
	struct blocked *b = arg;
	uint64_t v;

	b->tid = gettid_();
	b->ret = chan_recv(b->fd, &v);
	return NULL;
}

/* Blocks in a select on two empty channels. */
static void *selector(void *arg)
{
	struct blocked *b = arg;
	uint64_t v1, v2;
	struct chan_case cases[] = {
		{ b->fd, CHAN_OP_RECV, &v1, false },
		{ b->fd2, CHAN_OP_RECV, &v2, false },
	};

	b->tid = gettid_();
	b->index = chan_select(cases, 2, -1);
	return NULL;
}

/*
 * The README's histogram of wait times, with an ftrace hist trigger on
 * chan_wake (kernels with CONFIG_HIST_TRIGGERS: Debian's, not the debug
 * test kernel).
 */
static void hist_trigger(void)
{
	const char *trig = "hist:keys=op,waited_ns.log2";
	char path[160], line[256], off[64];
	struct blocked b = {};
	uint64_t v = 7;
	bool seen = false;
	pthread_t t;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/chan/chan_wake/hist", tracing);
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "no hist triggers in this kernel: not tried\n");
		return;
	}
	STEP("a hist trigger on chan_wake");
	trace_write("events/chan/chan_wake/trigger", trig);
	b.fd = CHECK_OK("O1", chan_make(8, 0, 0));
	t = spawn(receiver, &b);
	wait_waiters(b.fd, 0, 1);
	sleep_ms(5);
	CHECK_OK("O1", chan_send(b.fd, &v));
	join(t);
	close(b.fd);
	f = fopen(path, "re");
	CHECK("O1", f);
	while (fgets(line, sizeof(line), f)) {
		fputs(line, stderr);
		/* { op:          1, waited_ns: ~ 2^22 } hitcount: 1 */
		if (strstr(line, "op:") && strstr(line, "waited_ns: ~ 2^") &&
		    strstr(line, "hitcount:"))
			seen = true;
	}
	fclose(f);
	snprintf(off, sizeof(off), "!%s", trig);
	trace_write("events/chan/chan_wake/trigger", off);
	CHECK("O1", seen);
}

int main(void)
{
	uint64_t v = 42, buf[3] = { 1, 2, 3 };
	struct chan_case cases[2];
	struct blocked b = {};
	unsigned long long id, id2;
	const struct event *e;
	int me, rtid, a, c, d, s1, s2;
	pthread_t t;

	test_start("O1", "tracepoints fire with the right fields", 120);
	find_tracing();
	pid = getpid();
	me = gettid_();

	a = CHECK_OK("O1", chan_make(8, 0, 0));
	c = CHECK_OK("O1", chan_make(8, 4, 0));
	d = CHECK_OK("O1", chan_make(8, 0, 0));
	s1 = CHECK_OK("O1", chan_make(8, 0, 0));
	s2 = CHECK_OK("O1", chan_make(8, 1, 0));

	trace_write("events/chan/enable", "0");
	trace_write("trace", "");
	trace_write("events/chan/enable", "1");

	STEP("a receiver blocks, a send wakes it");
	b.fd = a;
	t = spawn(receiver, &b);
	wait_waiters(a, 0, 1);
	sleep_ms(50);
	CHECK_OK("O1", chan_send(a, &v));
	join(t);
	CHECK_EQ("O1", b.ret, 1);
	rtid = b.tid;
	CHECK("O1", rtid != me && rtid > 0);

	STEP("a timed send on a channel without receivers times out");
	CHECK_EQ("O1", chan_send_timeout(d, &v, 30 * 1000000LL), -ETIMEDOUT);

	STEP("write(2) and read(2) move several elements");
	CHECK_EQ("O1", write(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	CHECK_EQ("O1", read(c, buf, sizeof(buf)), (ssize_t)sizeof(buf));

	STEP("a select finds a case ready");
	CHECK_OK("O1", chan_send(s2, &v));
	cases[0] = (struct chan_case){ s1, CHAN_OP_RECV, &buf[0], false };
	cases[1] = (struct chan_case){ s2, CHAN_OP_RECV, &buf[1], false };
	CHECK_EQ("O1", chan_select(cases, 2, 0), 1);

	STEP("a select blocks on two channels, a send on the second wins");
	b = (struct blocked){ .fd = s1, .fd2 = s2 };
	t = spawn(selector, &b);
	wait_waiters(s2, 0, 1);
	wait_waiters(s1, 0, 1);
	sleep_ms(20);
	CHECK_OK("O1", chan_send(s2, &v));
	join(t);
	CHECK_EQ("O1", b.index, 1);

	STEP("close, twice");
	CHECK_OK("O1", chan_close(c));
	CHECK_EQ("O1", chan_close(c), -EPIPE);

	trace_write("events/chan/enable", "0");
	read_trace();

	STEP("checking the trace");
	/* The blocked receive: block, the send that woke it, wake, recv. */
	id = id_of(a);
	expect(1, "chan_block", "chan=%llu pid=%d tid=%d op=recv timed=0", id,
	       pid, rtid);
	{
		expect(1, "chan_send", "chan=%llu pid=%d tid=%d n=1", id, pid,
		       me);
		e = expect(1, "chan_wake",
			   "chan=%llu pid=%d tid=%d op=recv result=done", id,
			   pid, rtid);
		/* It blocked, then the sender slept 50 ms before sending. */
		CHECK("O1", num(e, "waited_ns") >= 45 * 1000000LL);
		CHECK("O1", num(e, "waited_ns") < 60 * 1000000000LL);
		expect(1, "chan_recv", "chan=%llu pid=%d tid=%d n=1", id, pid,
		       rtid);
	}

	/* The timed send: blocks with a deadline, times out, fails. */
	id = id_of(d);
	expect(1, "chan_block", "chan=%llu pid=%d tid=%d op=send timed=1", id,
	       pid, me);
	e = expect(1, "chan_wake",
		   "chan=%llu pid=%d tid=%d op=send result=timeout", id, pid,
		   me);
	CHECK("O1", num(e, "waited_ns") >= 25 * 1000000LL);
	expect(1, "chan_send", "chan=%llu pid=%d tid=%d n=-110", id, pid, me);

	/* write(2) and read(2) of three elements. */
	id = id_of(c);
	expect(1, "chan_send", "chan=%llu pid=%d tid=%d n=3", id, pid, me);
	expect(1, "chan_recv", "chan=%llu pid=%d tid=%d n=3", id, pid, me);
	expect(0, "chan_block", "chan=%llu", id);

	/* Selects: the ready one, then the blocked one. */
	id = id_of(s1);
	id2 = id_of(s2);
	expect(1, "chan_select",
	       "chan=%llu pid=%d tid=%d ncases=2 index=1 op=select-recv ok=1",
	       id2, pid, me);
	{
		int stid = b.tid;

		CHECK("O1", stid != me && stid > 0);
		expect(1, "chan_block",
		       "chan=%llu pid=%d tid=%d op=select-recv timed=0", id,
		       pid, stid);
		expect(1, "chan_block",
		       "chan=%llu pid=%d tid=%d op=select-recv timed=0", id2,
		       pid, stid);
		e = expect(1, "chan_wake",
			   "chan=%llu pid=%d tid=%d op=select-recv result=done",
			   id2, pid, stid);
		CHECK("O1", num(e, "waited_ns") >= 15 * 1000000LL);
		expect(1, "chan_select",
		       "chan=%llu pid=%d tid=%d ncases=2 index=1 op=select-recv ok=1",
		       id2, pid, stid);
		/* Nothing reported the select as a plain receive. */
		expect(0, "chan_recv", "chan=%llu", id2);
	}

	/* Close: once done, once already closed. */
	id = id_of(c);
	expect(1, "chan_close", "chan=%llu pid=%d tid=%d ret=0", id, pid, me);
	expect(1, "chan_close", "chan=%llu pid=%d tid=%d ret=-32", id, pid, me);

	hist_trigger();

	/* Off: nothing more is recorded. */
	trace_write("trace", "");
	CHECK_OK("O1", chan_send(s2, &v));
	read_trace();
	expect(0, "chan_send", "chan=%llu", id2);
	test_pass();
}
