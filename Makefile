# SPDX-License-Identifier: GPL-2.0
#
# chan: Go's channels as a Linux kernel facility.
#
#   make              the module (kmod/chan.ko) and libchan
#   make check        everything, tested in QEMU (debug and stock kernels)
#   make demo         a channel example in a VM on Debian's stock kernel
#   make check-first-run  make demo in a fresh Debian root, as a user and as
#                     root (tests/first-run; about 12 minutes)
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

.PHONY: all module userlib tests check check-first-run check-cross demo lint bench torture fuzz check-kcsan install clean help

all: module userlib

ifneq ($(wildcard $(KDIR)/Makefile),)
module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
# No kernel build tree at all: tests/needs names the headers package (the
# running kernel's if the archive has them, else Debian's default), installs
# it as root, and make starts over to find it.
module:
	@case "$(origin KDIR)" in command*|environment*) \
		echo "make: KDIR=$(KDIR) is not a kernel build tree (no Makefile there)" >&2; exit 1 ;; esac
	@test -z "$(CHAN_HEADERS_TRIED)" || { echo "make: kernel headers were installed, but neither" \
		"/lib/modules/$(shell uname -r)/build nor /usr/src/linux-headers-* has them: set KDIR=" >&2; exit 1; }
	@tests/needs headers
	@$(MAKE) --no-print-directory module CHAN_HEADERS_TRIED=1
endif

# What a target needs from Debian, asked for before anything is built
# (tests/needs: installed as root, named in one apt-get line otherwise).
userlib tests: needs-cc
# (needs-% is not .PHONY: make skips pattern rules for those.)
needs-%:
	@tests/needs $*

userlib:
	$(MAKE) -C userlib

tests: userlib
	$(MAKE) -C tests

check:
	tests/check

demo:
	tests/demo

check-first-run:
	tests/first-run

lint:
	tests/lint

bench: needs-bench tests
	tests/bench/run

torture: needs-torture tests
	tests/torture/run

fuzz: needs-fuzz tests
	tests/fuzz/run

check-kcsan: needs-torture needs-kcsan tests
	tests/torture/kcsan

check-cross: needs-cross tests
	tests/m32/cross

install: userlib
	$(MAKE) -C userlib install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C tests clean
	rm -rf build
