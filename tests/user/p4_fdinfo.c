// SPDX-License-Identifier: GPL-2.0
/*
 * P4: /proc/PID/fdinfo/FD of a channel fd shows, one "key:\tvalue" a line,
 * chan-id, chan-elem-size, chan-cap, chan-len, chan-closed (0/1), chan-mode
 * (send, recv or both), chan-send-waiters and chan-recv-waiters, and they
 * agree with CHAN_IOC_INFO as the channel changes.
 */
#include "check.h"

static int ch;

struct fdinfo {
	char mode[16];
	long long id, elem_size, cap, len, closed, send_waiters, recv_waiters;
};

/* Parse one fdinfo file; every chan- key must be there exactly once. */
static struct fdinfo read_fdinfo(pid_t pid, int fd)
{
	static const char *const keys[] = {
		"chan-id", "chan-elem-size", "chan-cap", "chan-len",
		"chan-closed", "chan-send-waiters", "chan-recv-waiters",
	};
	struct fdinfo fi;
	long long *vals[] = {
		&fi.id, &fi.elem_size, &fi.cap, &fi.len, &fi.closed,
		&fi.send_waiters, &fi.recv_waiters,
	};
	int seen[8] = { 0 };
	char path[64], line[256];
	FILE *f;
	size_t k;

	memset(&fi, 0, sizeof(fi));
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", (int)pid, fd);
	f = fopen(path, "re");
	if (!f)
		check_fail(__FILE__, __LINE__, "P4", "open %s: %s", path,
			   strerrorname_np(errno));
	while (fgets(line, sizeof(line), f)) {
		char *tab = strchr(line, '\t');

		if (strncmp(line, "chan-", 5) != 0)
			continue;
		/* Format: key, colon, tab, value. */
		if (!tab || tab == line || tab[-1] != ':')
			check_fail(__FILE__, __LINE__, "P4", "bad line: %s", line);
		tab[-1] = '\0';
		tab[strcspn(tab, "\n")] = '\0';
		if (strcmp(line, "chan-mode") == 0) {
			snprintf(fi.mode, sizeof(fi.mode), "%s", tab + 1);
			seen[7]++;
			continue;
		}
		for (k = 0; k < 7; k++) {
			if (strcmp(line, keys[k]) == 0) {
				char *end;

				*vals[k] = strtoll(tab + 1, &end, 10);
				CHECK("P4", end != tab + 1 && *end == '\0');
				seen[k]++;
			}
		}
	}
	fclose(f);
	for (k = 0; k < 7; k++)
		if (seen[k] != 1)
			check_fail(__FILE__, __LINE__, "P4", "%s: %s seen %d times",
				   path, keys[k], seen[k]);
	CHECK_EQ("P4", seen[7], 1);
	return fi;
}

/* fdinfo and CHAN_IOC_INFO tell the same story. */
static struct fdinfo check_agrees(int fd)
{
	struct fdinfo fi = read_fdinfo(getpid(), fd);
	struct chan_info info = chan_info_of(fd);
	const char *mode = info.mode == CHAN_MODE_BOTH ? "both" :
			   info.mode == CHAN_MODE_SEND ? "send" : "recv";

	CHECK_EQ("P4", fi.id, info.id);
	CHECK_EQ("P4", fi.elem_size, info.elem_size);
	CHECK_EQ("P4", fi.cap, info.cap);
	CHECK_EQ("P4", fi.len, info.len);
	CHECK_EQ("P4", fi.closed, info.closed);
	CHECK("P4", strcmp(fi.mode, mode) == 0);
	return fi;
}

static void *blocked_recv(void *arg)
{
	uint64_t v;

	(void)arg;
	CHECK_EQ("P4", chan_recv(ch, &v), 0);
	return NULL;
}

static void *blocked_send(void *arg)
{
	uint64_t v = 1;

	(void)arg;
	CHECK_EQ("P4", chan_send(ch, &v), -EPIPE);
	return NULL;
}

int main(void)
{
	struct fdinfo fi;
	pthread_t t[3];
	int fd, s, r, other;
	pid_t pid;

	test_start("P4", "fdinfo keys and values", 30);
	fd = CHECK_OK("P4", chan_make(24, 3, 0));
	s = CHECK_OK("P4", chan_dup(fd, CHAN_SEND_ONLY));
	r = CHECK_OK("P4", chan_dup(fd, CHAN_RECV_ONLY));
	other = CHECK_OK("P4", chan_make(0, 0, 0));

	STEP("a fresh channel");
	fi = check_agrees(fd);
	CHECK("P4", strcmp(fi.mode, "both") == 0);
	CHECK_EQ("P4", fi.elem_size, 24);
	CHECK_EQ("P4", fi.cap, 3);
	CHECK_EQ("P4", fi.len, 0);
	CHECK_EQ("P4", fi.closed, 0);
	CHECK_EQ("P4", fi.send_waiters, 0);
	CHECK_EQ("P4", fi.recv_waiters, 0);
	CHECK("P4", strcmp(check_agrees(s).mode, "send") == 0);
	CHECK("P4", strcmp(check_agrees(r).mode, "recv") == 0);
	CHECK_EQ("P4", check_agrees(s).id, fi.id);
	CHECK("P4", check_agrees(other).id != fi.id);
	CHECK_EQ("P4", check_agrees(other).elem_size, 0);

	STEP("len follows sends");
	{
		char elem[24] = "fdinfo";

		CHECK_EQ("P4", chan_send(fd, elem), 0);
		CHECK_EQ("P4", chan_send(fd, elem), 0);
	}
	CHECK_EQ("P4", check_agrees(r).len, 2);

	STEP("waiter counts");
	ch = other;
	t[0] = spawn(blocked_recv, NULL);
	t[1] = spawn(blocked_recv, NULL);
	wait_waiters(other, 0, 2);
	fi = check_agrees(other);
	CHECK_EQ("P4", fi.recv_waiters, 2);
	CHECK_EQ("P4", fi.send_waiters, 0);
	CHECK_EQ("P4", chan_close(other), 0);
	join(t[0]);
	join(t[1]);
	other = CHECK_OK("P4", chan_make(0, 0, 0));
	ch = other;
	t[2] = spawn(blocked_send, NULL);
	wait_waiters(other, 1, 0);
	fi = check_agrees(other);
	CHECK_EQ("P4", fi.send_waiters, 1);
	CHECK_EQ("P4", fi.recv_waiters, 0);

	STEP("another process reads the same values");
	pid = getpid();
	{
		pid_t child = fork_child();

		if (child == 0) {
			fi = read_fdinfo(pid, other);
			CHECK_EQ("P4", fi.send_waiters, 1);
			fi = read_fdinfo(pid, fd);
			CHECK_EQ("P4", fi.len, 2);
			_exit(0);
		}
		wait_child_ok("P4", child);
	}

	STEP("closed");
	CHECK_EQ("P4", chan_close(other), 0);
	join(t[2]);
	CHECK_EQ("P4", check_agrees(other).closed, 1);
	CHECK_EQ("P4", check_agrees(other).send_waiters, 0);
	CHECK_EQ("P4", chan_close(s), 0);
	CHECK_EQ("P4", check_agrees(fd).closed, 1);
	CHECK_EQ("P4", check_agrees(fd).len, 2);
	close(fd);
	close(s);
	close(r);
	close(other);
	test_pass();
}
