// SPDX-License-Identifier: GPL-2.0
/*
 * chan_select's library side (X1, B2, X8), against a fake device: no module
 * is needed.  The test defines open and ioctl, which take the place of the
 * C library's in libchan: the fake /dev/chan is a real open of /dev/null,
 * so that libchan's fstat() sees a real character device, and the fake
 * ioctl answers CHAN_IOC_QUERY and CHAN_IOC_SELECT on it.
 *
 * Checked: every select goes to one /dev/chan fd, opened once, close-on-exec,
 * and never to a case's fd (a hung-up tty or a FUSE file would answer it
 * their own way); threads racing to open it keep one; a forked child uses the
 * inherited one; when the program closes that fd and the number is reused,
 * the foreign file gets one ioctl at most and is not closed, and a new
 * /dev/chan fd is opened; a module with another API version gives EPROTONOSUPPORT; the
 * cases as the kernel sees them, the deadline, and ok written back; an
 * inaccessible cases array faults, as chan_select(3) says.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "wgtest.h"

#define THREADS		8

static struct {
	atomic_int opens;		/* of /dev/chan */
	int open_errno;
	unsigned int version;
	atomic_int selects;
	int last_fd;			/* the fd the last select went to */
	int foreign;			/* selects sent elsewhere */
	struct chan_select sel;
	struct chan_select_case cases[4];
	int answer;			/* index the fake select returns */
} fake = { .version = CHAN_API_VERSION };

static dev_t null_rdev;

static int is_fake_dev(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) && st.st_rdev == null_rdev;
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	mode_t mode;

	va_start(ap, flags);
	mode = flags & (O_CREAT | O_TMPFILE) ? va_arg(ap, mode_t) : 0;
	va_end(ap);
	if (strcmp(path, "/dev/chan"))
		return syscall(SYS_openat, AT_FDCWD, path, flags, mode);
	CHECK_EQ(flags, O_RDWR | O_CLOEXEC);
	if (fake.open_errno) {
		errno = fake.open_errno;
		return -1;
	}
	fake.opens++;
	return syscall(SYS_openat, AT_FDCWD, "/dev/null", flags, 0);
}

int ioctl(int fd, unsigned long cmd, ...)
{
	struct chan_select *s;
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (cmd == CHAN_IOC_SELECT && fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return -1;
	}
	if (cmd == CHAN_IOC_SELECT && !is_fake_dev(fd)) {
		fake.foreign++;
		errno = ENOTTY;
		return -1;
	}
	if (cmd == CHAN_IOC_QUERY) {
		CHECK(is_fake_dev(fd));
		*(struct chan_query *)arg =
			(struct chan_query){ .version = fake.version };
		return 0;
	}
	if (cmd != CHAN_IOC_SELECT)
		return syscall(SYS_ioctl, fd, cmd, arg);
	s = arg;
	fake.selects++;
	fake.last_fd = fd;
	fake.sel = *s;
	if (s->ncases <= 4)
		memcpy(fake.cases, (void *)(uintptr_t)s->cases,
		       s->ncases * sizeof(*fake.cases));
	s->index = fake.answer;
	s->ok = 0;
	return fake.answer;
}

static int one_select(int ch)
{
	uint64_t v = 0;
	struct chan_case c = { .ch = ch, .op = CHAN_OP_RECV, .elem = &v };

	return chan_select(&c, 1, 0);
}

static void __attribute__((noinline)) one_select_at(struct chan_case *c)
{
	chan_select(c, 1, 0);
}

static pthread_barrier_t barrier;

static void *racer(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&barrier);
	CHECK_EQ(one_select(0), 0);
	return NULL;
}

static int fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

/* The fds open now that are the fake /dev/chan. */
static int count_devs(void)
{
	int fd, n = 0;

	for (fd = 0; fd < 1024; fd++)
		n += is_fake_dev(fd);
	return n;
}

int main(void)
{
	pthread_t t[THREADS];
	struct stat st;
	int i, dev, p[2], status, devs;
	pid_t pid;
	uint64_t a = 1, b = 2;
	struct chan_case cs[3] = {
		{ .ch = -1, .op = CHAN_OP_SEND, .elem = &a },
		{ .ch = 5, .op = CHAN_OP_RECV, .elem = &b, .ok = true },
		{ .ch = 7, .op = CHAN_OP_SEND, .elem = NULL, .ok = true },
	};
	int64_t lo, hi;

	test_init("X1 B2 (libchan side)");
	CHECK_EQ(stat("/dev/null", &st), 0);
	null_rdev = st.st_rdev;
	devs = count_devs();

	/* Threads racing on the first select publish one fd. */
	CHECK_EQ(pthread_barrier_init(&barrier, NULL, THREADS), 0);
	for (i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, racer, NULL), 0);
	for (i = 0; i < THREADS; i++)
		CHECK_EQ(pthread_join(t[i], NULL), 0);
	CHECK(fake.opens >= 1 && fake.opens <= THREADS);
	CHECK_EQ(count_devs(), devs + 1);
	dev = fake.last_fd;
	CHECK(is_fake_dev(dev));
	CHECK(fcntl(dev, F_GETFD) & FD_CLOEXEC);
	printf("%d racing threads opened /dev/chan %d times, kept fd %d\n",
	       THREADS, fake.opens, dev);

	/* Later selects: no open, always that fd, whatever the cases hold. */
	fake.opens = 0;
	CHECK_EQ(pipe(p), 0);
	for (i = 0; i < 100; i++) {
		CHECK_EQ(one_select(i % 2 ? p[0] : -1), 0);
		CHECK_EQ(fake.last_fd, dev);
	}
	CHECK_EQ(fake.opens, 0);

	/* The cases as the kernel gets them; ok of the chosen case only. */
	fake.answer = 1;
	lo = now_ns();
	CHECK_EQ(chan_select(cs, 3, 5 * NSEC_PER_SEC), 1);
	hi = now_ns();
	CHECK_EQ(fake.sel.ncases, 3);
	CHECK_EQ(fake.sel.flags, CHAN_XFER_DEADLINE);
	CHECK((int64_t)fake.sel.deadline_ns >= lo + 5 * NSEC_PER_SEC);
	CHECK((int64_t)fake.sel.deadline_ns <= hi + 5 * NSEC_PER_SEC);
	CHECK_EQ(fake.sel.reserved, 0);
	CHECK_EQ(fake.cases[0].fd, 0xffffffffu);
	CHECK_EQ(fake.cases[0].op, CHAN_SELECT_SEND);
	CHECK_EQ(fake.cases[0].elem, (uintptr_t)&a);
	CHECK_EQ(fake.cases[1].fd, 5);
	CHECK_EQ(fake.cases[1].op, CHAN_SELECT_RECV);
	CHECK_EQ(fake.cases[2].elem, 0);
	for (i = 0; i < 3; i++)
		CHECK_EQ(fake.cases[i].reserved, 0);
	CHECK(!cs[1].ok);
	CHECK(cs[2].ok);
	fake.answer = 0;
	CHECK_EQ(chan_select(cs, 3, -1), 0);
	CHECK_EQ(fake.sel.flags, 0);
	CHECK_EQ(fake.sel.deadline_ns, 0);

	/* A forked child uses the fd it inherited. */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		fake.opens = 0;
		CHECK_EQ(one_select(p[0]), 0);
		CHECK_EQ(fake.opens, 0);
		CHECK_EQ(fake.last_fd, dev);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);

	/*
	 * The program closes libchan's fd (a daemon's closefrom()), and the
	 * number is reused by a pipe.  Selects check nothing beforehand, so
	 * one ioctl reaches the pipe; it answers ENOTTY, the fd is found not
	 * to be /dev/chan, the pipe stays open, a new /dev/chan fd is opened
	 * and the select issued there.
	 */
	CHECK_EQ(close(dev), 0);
	CHECK_EQ(dup2(p[1], dev), dev);
	fake.opens = 0;
	CHECK_EQ(one_select(-1), 0);
	CHECK_EQ(fake.foreign, 1);
	CHECK_EQ(fake.opens, 1);
	CHECK(fake.last_fd != dev);
	CHECK(fd_open(dev) && !is_fake_dev(dev));
	dev = fake.last_fd;
	CHECK_EQ(one_select(-1), 0);
	CHECK_EQ(fake.last_fd, dev);
	CHECK_EQ(fake.opens, 1);

	/* Another open of the device in its place is just as good. */
	CHECK_EQ(close(dev), 0);
	CHECK_EQ(open("/dev/chan", O_RDWR | O_CLOEXEC), dev);
	fake.opens = 0;
	CHECK_EQ(one_select(-1), 0);
	CHECK_EQ(fake.last_fd, dev);
	CHECK_EQ(fake.opens, 0);

	/* Closed and not reused: reopened; open errors and versions. */
	fake.foreign = 0;
	CHECK_EQ(close(dev), 0);
	fake.open_errno = ENOENT;
	CHECK_EQ(one_select(-1), -ENOENT);
	fake.open_errno = 0;
	fake.version = CHAN_API_VERSION + 1;
	CHECK_EQ(one_select(-1), -EPROTONOSUPPORT);
	CHECK_EQ(count_devs(), devs);
	fake.version = CHAN_API_VERSION;
	fake.selects = 0;
	CHECK_EQ(one_select(-1), 0);
	CHECK_EQ(fake.selects, 1);
	CHECK_EQ(count_devs(), devs + 1);
	CHECK_EQ(fake.foreign, 0);

	/*
	 * An inaccessible cases array is the caller's error (chan_select(3)):
	 * the library reads it, and faults as memcpy() would.
	 */
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		signal(SIGSEGV, SIG_DFL);
		one_select_at((struct chan_case *)(uintptr_t)16);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
#ifdef __SANITIZE_ADDRESS__
	CHECK(status != 0);	/* ASan reports the fault and exits */
#else
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
#endif
	test_pass("one cached /dev/chan fd, checked when a select fails as a foreign fd would");
}
