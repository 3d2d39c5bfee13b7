# SPDX-License-Identifier: GPL-2.0
#
# The build of one test suite, included by tests/DIR/Makefile after it sets
# SUITE (DIR) and, if not every *.c there is a test, SRCS.  Each program is
# static, built into build/tests/$(SUITE)/ at the top of the repository,
# where tests/check and the QEMU harness run it: exit 0 pass, 77 skip,
# anything else fail.  Programs may include tests/user/check.h and the
# suite's own headers.
#
# USERLIB= points at another libchan build (its chan.h and libchan.a).
# LDLIBS, set by a suite, names the other libraries its programs link.

ROOT    := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/..)
USERLIB ?= $(ROOT)/userlib
OUT     := $(ROOT)/build/tests/$(SUITE)
LIBCHAN := $(USERLIB)/libchan.a
DEPS    := $(wildcard *.h) $(ROOT)/tests/user/check.h $(LIBCHAN) \
	   $(ROOT)/uapi/linux/chan.h

CC      ?= cc
CFLAGS  := -static -O2 -g -Wall -Wextra -Werror -pthread \
	   -I$(USERLIB) -I$(ROOT)/uapi

SRCS    ?= $(wildcard *.c)
PROGS   := $(SRCS:%.c=$(OUT)/%)

.PHONY: all clean

all: $(PROGS)

$(OUT)/%: %.c $(DEPS) | $(OUT)
	$(CC) $(CFLAGS) -o $@ $< $(LIBCHAN) $(LDLIBS)

$(OUT):
	mkdir -p $@

clean:
	rm -f $(PROGS)
