// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * chanstat: the channels this user can see in /proc, their holders and
 * their blocked tasks (O3); with --deadlock, the tasks that nothing can
 * ever complete (O4).  See chanstat(1).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "chanstat.h"

/* Between the two snapshots of --deadlock. */
#define SETTLE_MS	200

static void usage(FILE *f)
{
	fprintf(f,
		"usage: chanstat [-p PID] [--json] [-w [-n SECONDS]]\n"
		"       chanstat --deadlock [-p PID]\n"
		"List the channels of the processes this user can see: id, element size,\n"
		"len/cap, closed, the fds that hold them and the tasks blocked on them.\n"
		"  -p, --pid PID      only the channels of process PID\n"
		"  -j, --json         one JSON object, for tools\n"
		"  -w, --watch        refresh every -n SECONDS (default 1), like top\n"
		"  -n, --interval S   the refresh interval of -w\n"
		"  -d, --deadlock     report the tasks blocked for good; exit 2 if any,\n"
		"                     0 if none, 1 on error\n"
		"  -h, --help         this text\n");
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void print_text(const struct cs_snap *s, FILE *out)
{
	char comm[64];
	size_t i, j;

	if (!s->nchans)
		fprintf(out, "no channels\n");
	for (i = 0; i < s->nchans; i++) {
		const struct cs_chan *c = &s->chans[i];

		fprintf(out, "chan %llu  elem %u  len %u/%u  %s", c->id,
			c->elem_size, c->len, c->cap,
			c->closed ? "closed" : "open");
		if (c->timer && c->timer_period_ns)
			fprintf(out, "  ticker every %lld ns",
				c->timer_period_ns);
		else if (c->timer)
			fprintf(out, "  timer (once)");
		fputc('\n', out);
		for (j = 0; j < c->nholders; j++) {
			const struct cs_holder *h = &c->holders[j];
			const struct cs_proc *p = cs_proc_of(s, h->pid);

			fprintf(out, "  holder   pid %-7d %-16s fd %-4d %s\n",
				(int)h->pid, p ? p->comm : "?", h->fd,
				cs_mode_name(h->mode));
		}
		for (j = 0; j < c->nwaiters; j++) {
			const struct cs_waiter *w = &c->waiters[j];

			fprintf(out,
				"  blocked  tid %-7d %-16s %-12s %lld.%03lld s%s\n",
				(int)w->tid,
				cs_comm(s, w->pid, w->tid, comm, sizeof(comm)),
				cs_op_name(w->op), w->waited_ms / 1000,
				w->waited_ms % 1000,
				w->deadline ? "  (deadline)" : "");
		}
		if (c->unlisted)
			fprintf(out, "  and %u more blocked tasks\n",
				c->unlisted);
	}
	if (s->hidden)
		fprintf(out, "(%zu processes of other users not shown)\n",
			s->hidden);
}

static void json_str(const char *str, FILE *out)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)str; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

static void print_json(const struct cs_snap *s, FILE *out)
{
	char comm[64];
	size_t i, j;

	fprintf(out, "{\"channels\":[");
	for (i = 0; i < s->nchans; i++) {
		const struct cs_chan *c = &s->chans[i];

		fprintf(out,
			"%s{\"id\":%llu,\"elem_size\":%u,\"len\":%u,\"cap\":%u,\"closed\":%s,\"holders\":[",
			i ? "," : "", c->id, c->elem_size, c->len, c->cap,
			c->closed ? "true" : "false");
		for (j = 0; j < c->nholders; j++) {
			const struct cs_holder *h = &c->holders[j];
			const struct cs_proc *p = cs_proc_of(s, h->pid);

			fprintf(out, "%s{\"pid\":%d,\"comm\":", j ? "," : "",
				(int)h->pid);
			json_str(p ? p->comm : "?", out);
			fprintf(out, ",\"fd\":%d,\"mode\":\"%s\"}", h->fd,
				cs_mode_name(h->mode));
		}
		fprintf(out, "],\"blocked\":[");
		for (j = 0; j < c->nwaiters; j++) {
			const struct cs_waiter *w = &c->waiters[j];

			fprintf(out, "%s{\"tid\":%d,\"pid\":%d,\"comm\":",
				j ? "," : "", (int)w->tid, (int)w->pid);
			json_str(cs_comm(s, w->pid, w->tid, comm, sizeof(comm)),
				 out);
			fprintf(out,
				",\"op\":\"%s\",\"since_ns\":%lld,\"waited_ms\":%lld,\"deadline\":%s}",
				cs_op_name(w->op), w->since_ns, w->waited_ms,
				w->deadline ? "true" : "false");
		}
		fprintf(out, "],\"unlisted\":%u", c->unlisted);
		if (c->timer)
			fprintf(out, ",\"timer_period_ns\":%lld",
				c->timer_period_ns);
		fputc('}', out);
	}
	fprintf(out, "],\"hidden_processes\":%zu}\n", s->hidden);
}

static int deadlock(pid_t only)
{
	struct cs_snap before, now;
	int found;

	if (cs_scan(&before, 0) < 0) {
		perror("chanstat: /proc");
		return 1;
	}
	sleep_ms(SETTLE_MS);
	if (cs_scan(&now, 0) < 0) {
		perror("chanstat: /proc");
		cs_free(&before);
		return 1;
	}
	found = cs_deadlock(&before, &now, only, 0, stdout);
	if (found < 0) {
		perror("chanstat");
		cs_free(&before);
		cs_free(&now);
		return 1;
	}
	if (!found)
		printf("no deadlock\n");
	if (now.hidden)
		fprintf(stderr,
			"chanstat: %zu processes of other users were not read: a channel one of them holds could still complete a task reported here\n",
			now.hidden);
	cs_free(&before);
	cs_free(&now);
	fflush(stdout);
	if (ferror(stdout))
		return 1;
	return found ? 2 : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "watch", no_argument, NULL, 'w' },
		{ "interval", required_argument, NULL, 'n' },
		{ "deadlock", no_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool json = false, watch = false, dl = false;
	double interval = 1;
	pid_t only = 0;
	char *end;
	int c;

	while ((c = getopt_long(argc, argv, "p:jwn:dh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			only = (pid_t)strtol(optarg, &end, 10);
			if (*end || only <= 0) {
				fprintf(stderr, "chanstat: -p needs a pid, not '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'j':
			json = true;
			break;
		case 'w':
			watch = true;
			break;
		case 'n':
			interval = strtod(optarg, &end);
			if (*end || !(interval > 0 && interval < 86400)) {
				fprintf(stderr,
					"chanstat: -n needs seconds, not '%s'\n",
					optarg);
				return 1;
			}
			break;
		case 'd':
			dl = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "chanstat: unexpected argument '%s'\n",
			argv[optind]);
		usage(stderr);
		return 1;
	}
	if (dl && (json || watch)) {
		fprintf(stderr, "chanstat: --deadlock goes alone (with -p)\n");
		return 1;
	}
	if (only) {
		char path[32];

		snprintf(path, sizeof(path), "/proc/%d", (int)only);
		if (access(path, F_OK) < 0) {
			fprintf(stderr, "chanstat: no process %d\n", (int)only);
			return 1;
		}
	}
	if (dl)
		return deadlock(only);

	for (;;) {
		struct cs_snap s;

		if (cs_scan(&s, only) < 0) {
			perror("chanstat: /proc");
			return 1;
		}
		if (watch && !json)
			fputs("\033[H\033[J", stdout);
		if (json)
			print_json(&s, stdout);
		else
			print_text(&s, stdout);
		cs_free(&s);
		fflush(stdout);
		if (ferror(stdout))
			return 1;
		if (!watch)
			return 0;
		sleep_ms((long)(interval * 1000));
	}
}
