// SPDX-License-Identifier: LGPL-2.1 OR MIT
/*
 * fan_in_set: a server that fans in from 1,000 channels with a select set,
 * what Go writes with reflect.Select over a slice of cases:
 *
 *	for len(cases) > 0 {
 *		i, v, ok := reflect.Select(cases)
 *		if !ok {	// client i closed its channel
 *			cases = append(cases[:i], cases[i+1:]...)
 *			continue
 *		}
 *		handle(v)
 *	}
 *
 * The clients are those of fan_in.h: 1,000 channels fed by ten producer
 * goroutines, closed at the end.  The server registers the 1,000 receive cases once (chan_set_add), all receiving
 * into one message, which names its client; each
 * chan_set_wait lets exactly one ready case proceed and returns its id, at
 * a cost that does not grow with the 1,000 cases as a select's does; a
 * closed, drained channel comes back with ok false and its case is removed
 * (chan_set_del).  It must see every message once, each client's in the
 * order they were sent.
 */
#include <stdbool.h>
#include <unistd.h>

#include "fan_in.h"

int main(void)
{
	static int ids[CLIENTS];
	struct msg m;			/* every case receives into it */
	int set, c, left = CLIENTS, waits = 0, bad = 0;
	long total = 0;

	if (fan_in_make("fan_in_set"))
		return 1;
	set = chan_set_make();
	if (set < 0) {
		fprintf(stderr, "fan_in_set: chan_set_make: %s\n", strerror(-set));
		return 1;
	}
	for (c = 0; c < CLIENTS; c++) {
		struct chan_case cs = { .op = CHAN_OP_RECV, .elem = &m };

		cs.ch = chans[c];
		ids[c] = chan_set_add(set, &cs);
		if (ids[c] < 0) {
			fprintf(stderr, "fan_in_set: client %d: %s\n", c,
				strerror(-ids[c]));
			return 1;
		}
	}
	if (fan_in_start("fan_in_set"))
		return 1;

	while (left > 0) {
		bool ok;
		int id = chan_set_wait(set, -1, &ok);

		waits++;
		if (id < 0) {
			fprintf(stderr, "fan_in_set: chan_set_wait: %s\n",
				strerror(-id));
			return 1;
		}
		if (!ok) {			/* a client closed, drained */
			for (c = 0; c < CLIENTS && ids[c] != id; c++)
				;
			if (c == CLIENTS || chan_set_del(set, id)) {
				fprintf(stderr, "fan_in_set: unknown case id %d\n", id);
				return 1;
			}
			close(chans[c]);
			ids[c] = -1;
			left--;
			continue;
		}
		/* The message names its client: once each, in order. */
		c = m.client;
		if (c < 0 || c >= CLIENTS || ids[c] != id || !fan_in_take(c, &m))
			bad++;
		total++;
	}
	close(set);
	if (fan_in_check("fan_in_set", total, bad))
		return 1;
	printf("fan_in_set: %ld messages from %d channels in %d waits on one set: each once, in its channel's order\n",
	       total, CLIENTS, waits);
	return 0;
}
