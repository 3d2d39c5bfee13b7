# SPDX-License-Identifier: GPL-2.0
#
# chan: Go's channels as a Linux kernel facility.
#
#   make              the module (kmod/chan.ko) and libchan
#   make check        everything, tested in QEMU (debug and stock kernels)
#   make demo         a channel example in a VM on Debian's stock kernel
#   make lint         sparse and checkpatch on kmod/ and uapi/
#   make bench        chan against pipes, eventfd, futexes, sockets, mqueues,
#                     a condvar channel and Go, in one VM run (BENCH_QUICK=1)
#   make torture      the exactly-once torture on the debug kernel
#                     (TORTURE_SECONDS=N, default 600)
#   make fuzz         the bad-input fuzzer on the debug kernel (FUZZ_SECONDS=N)
#   make check-kcsan  the torture on a KCSAN kernel
#   make check-cross  libchan's host tests for aarch64, armhf and i386 under
#                     qemu's user mode (tests/m32/cross)
#   make install      headers and libraries (DESTDIR=, PREFIX=, LIBDIR=)

KDIR ?= /lib/modules/$(shell uname -r)/build
ifeq ($(wildcard $(KDIR)/Makefile),)
# This machine runs a kernel it has no headers for (a container, a VM):
# build against Debian's packaged headers for its stock kernel instead.
override KDIR := $(lastword $(sort $(wildcard /usr/src/linux-headers-*-amd64)))
endif

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module userlib tests check demo lint bench torture fuzz check-kcsan check-cross install clean help

all: module userlib

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: set KDIR= or apt-get install linux-headers-amd64" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

userlib:
	$(MAKE) -C userlib

tests: userlib
	$(MAKE) -C tests

check:
	tests/check

demo:
	tests/demo

lint:
	tests/lint

bench: tests
	tests/bench/run

torture: tests
	tests/torture/run

fuzz: tests
	tests/fuzz/run

check-kcsan: tests
	tests/torture/kcsan

check-cross:
	tests/m32/cross

install: userlib
	$(MAKE) -C userlib install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C tests clean
	rm -rf build
