// SPDX-License-Identifier: GPL-2.0
/*
 * L3 over many lifetimes of the module: cycles of unload (delete_module),
 * load (finit_module of the chan.ko the harness loaded), use (/dev/chan,
 * a buffered and an unbuffered channel, send, receive, select, a
 * receive-only fd, Go's close) and release.  In every cycle, while
 * /dev/chan or only a channel fd is open, the unload must fail with
 * EBUSY/EWOULDBLOCK and leave the module working; once all are closed it
 * must succeed, and /dev/chan must be gone until the next load.  That
 * nothing leaked over all the cycles the harness checks afterwards
 * (rmmod, kmemleak).
 *
 * Modules that hold chan (the KUnit suites module of the debug run) are
 * unloaded first and loaded again at the end, from the same directory, so
 * that the harness finds everything as it left it.
 *
 * A cycle takes about 0.15 s on the stock kernel and 0.9 s on the debug
 * kernel under emulation, so make check runs 100 cycles on the stock
 * kernel and 50 on the debug one.  LIFECYCLE_CYCLES=N sets the number
 * (the full run: LIFECYCLE_CYCLES=1000, as CHAN_TEST_FULL=1 does too).
 * Needs root in the VM.
 */
#include "../user/check.h"

#include <dirent.h>
#include <sys/syscall.h>

#define KO_DIR		"/lib/modules/chan/"
#define MAX_HOLDERS	8

static long unload(const char *name)
{
	/* O_NONBLOCK: fail at once rather than wait for the users to go. */
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

static void load(const char *name)
{
	char path[600];
	int fd;

	snprintf(path, sizeof(path), KO_DIR "%s.ko", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		check_fail(__FILE__, __LINE__, "L3", "open %s: %s", path,
			   strerrorname_np(errno));
	if (syscall(SYS_finit_module, fd, "", 0) < 0)
		check_fail(__FILE__, __LINE__, "L3", "finit_module %s: %s",
			   path, strerrorname_np(errno));
	close(fd);
}

static bool loaded(void)
{
	return access("/sys/module/chan", F_OK) == 0;
}

/* The unload must be refused while something is open, changing nothing. */
static void check_pinned(const char *what)
{
	long r = unload("chan");

	if (!(r == -1 && (errno == EWOULDBLOCK || errno == EBUSY)))
		check_fail(__FILE__, __LINE__, "L3",
			   "delete_module with %s open: %ld %s, want EBUSY",
			   what, r, r ? strerrorname_np(errno) : "");
	CHECK("L3", loaded());
	CHECK("L3", access("/dev/chan", F_OK) == 0);
}

/*
 * One use of the freshly loaded module, with the unload tried midway.  In a
 * child: chan_select() keeps a /dev/chan fd of libchan's own for the life
 * of the process (chan_select(3)), which pins the module as any open fd
 * does (L3) until the child exits.
 */
static void use_module_in(void);

static void use_module(void)
{
	pid_t pid = fork_child();

	if (pid == 0) {
		use_module_in();
		_exit(0);
	}
	wait_child_ok("L3", pid);
}

static void use_module_in(void)
{
	struct chan_case cs[2];
	uint64_t v, out = 0;
	int dev, a, b, ro;

	dev = chan_dev_open();
	check_pinned("/dev/chan");
	a = CHECK_OK("L3", chan_make(sizeof(v), 2, 0));
	b = CHECK_OK("L3", chan_make(sizeof(v), 0, 0));
	close(dev);
	check_pinned("channel fds");

	v = 41;
	CHECK_EQ("R1", chan_send(a, &v), 0);
	CHECK_EQ("R1", chan_recv(a, &out), 1);
	CHECK_EQ("R1", out, 41);
	v = 42;
	CHECK_EQ("R1", chan_send(a, &v), 0);
	cs[0] = (struct chan_case){ .ch = b, .op = CHAN_OP_RECV, .elem = &out };
	cs[1] = (struct chan_case){ .ch = a, .op = CHAN_OP_RECV, .elem = &out };
	CHECK_EQ("X2", chan_select(cs, 2, 0), 1);
	CHECK("X2", cs[1].ok);
	CHECK_EQ("X2", out, 42);
	CHECK_EQ("B1", chan_try_recv(b, &out), -EAGAIN);

	ro = CHECK_OK("C3", chan_dup(a, CHAN_RECV_ONLY));
	close(b);
	CHECK_EQ("K1", chan_close(a), 0);
	close(a);
	/* Only a receive-only fd of a closed channel: still pinned. */
	check_pinned("a receive-only fd");
	CHECK_EQ("K3", chan_recv(ro, &out), 0);
	close(ro);
}

/* The modules that use chan: unloaded first, loaded again at the end. */
static int holders(char names[][64])
{
	DIR *d = opendir("/sys/module/chan/holders");
	struct dirent *e;
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		CHECK("L3", n < MAX_HOLDERS);
		CHECK("L3", strlen(e->d_name) < 64);
		strcpy(names[n++], e->d_name);
	}
	closedir(d);
	return n;
}

int main(void)
{
	char held[MAX_HOLDERS][64];
	const char *env = getenv("LIFECYCLE_CYCLES");
	const char *kernel = getenv("CHAN_KERNEL");
	const char *full = getenv("CHAN_TEST_FULL");
	long cycles = kernel && !strncmp(kernel, "debug", 5) ? 50 : 100;
	int64_t start;
	int nheld, i;
	long c;

	if (full && *full == '1')
		cycles = 1000;
	if (env)
		cycles = atol(env);
	test_start("L3", "cycles of unload, load, use", 1200);
	if (geteuid() != 0) {
		fprintf(stderr, "load_unload: SKIP: needs root for delete_module\n");
		return EXIT_SKIP;
	}
	if (access(KO_DIR "chan.ko", R_OK) < 0 || !loaded()) {
		fprintf(stderr, "load_unload: SKIP: no " KO_DIR "chan.ko loaded\n");
		return EXIT_SKIP;
	}

	STEP("unloading the modules that hold chan");
	nheld = holders(held);
	for (i = 0; i < nheld; i++) {
		char path[600];

		/* It must be there to be loaded again. */
		snprintf(path, sizeof(path), KO_DIR "%s.ko", held[i]);
		if (access(path, R_OK) < 0)
			check_fail(__FILE__, __LINE__, "L3", "%s holds chan, and there is no %s",
				   held[i], path);
		if (unload(held[i]) < 0)
			check_fail(__FILE__, __LINE__, "L3", "unload %s: %s",
				   held[i], strerrorname_np(errno));
	}

	start = now_ns();
	for (c = 0; c < cycles; c++) {
		STEP("unload");
		if (unload("chan") < 0)
			check_fail(__FILE__, __LINE__, "L3",
				   "cycle %ld: delete_module with nothing open: %s",
				   c, strerrorname_np(errno));
		CHECK("L3", !loaded());
		CHECK("L3", access("/dev/chan", F_OK) < 0 && errno == ENOENT);
		STEP("load");
		load("chan");
		CHECK("L3", loaded());
		STEP("use");
		use_module();
	}
	fprintf(stderr, "load_unload: %ld cycles in %.1f s\n", cycles,
		(now_ns() - start) / 1e9);

	STEP("loading the modules that held chan again");
	for (i = nheld - 1; i >= 0; i--)
		load(held[i]);
	test_pass();
}
