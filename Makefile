# SPDX-License-Identifier: GPL-2.0
#
# chan: Go's channels as a Linux kernel facility.
#
#   make              the module (kmod/chan.ko) and libchan
#   make check        everything, tested in QEMU (debug, stock, stock-6.12
#                     and rt-6.12 kernels; CHAN_KERNELS="NAME..." for others)
#   make check-debug-6.12  every suite on the 6.12 debug kernel
#   make demo         a channel example in a VM on Debian's stock kernel
#   make lint         sparse and checkpatch on kmod/ and uapi/
#   make bench        chan against pipes, eventfd, futexes, sockets, mqueues,
#                     a condvar channel and Go, in one VM run (BENCH_QUICK=1)
#   make torture      the exactly-once torture on the debug kernel
#                     (TORTURE_SECONDS=N, default 600)
#   make fuzz         the bad-input fuzzer on the debug kernel (FUZZ_SECONDS=N)
#   make check-kcsan  the torture on a KCSAN kernel
#   make install      headers and libraries (DESTDIR=, PREFIX=)

# Which kernel headers: KDIR= if given; else the running kernel's, if they
# are installed; else (a container, a VM, a machine about to boot a new
# kernel) the newest installed in version order, the generic flavour before
# -rt or -cloud of the same version.  `make module` and `make kdir` say which
# and why.  (tests/kdir-check points MODULES_DIR and HEADERS_DIR elsewhere.)
MODULES_DIR ?= /lib/modules
HEADERS_DIR ?= /usr/src
ifeq ($(origin KDIR),undefined)
running := $(shell uname -r)
ifneq ($(wildcard $(MODULES_DIR)/$(running)/build/Makefile),)
KDIR := $(MODULES_DIR)/$(running)/build
kdir-why := the headers of the running kernel, $(running)
else
KDIR := $(shell ls -d $(HEADERS_DIR)/linux-headers-*/.config 2>/dev/null | \
	sed 's|/\.config$$||' | \
	awk '{ v = $$0; sub(".*/linux-headers-", "", v); g = v ~ /-(rt|cloud)-/ ? 0 : 1; \
	       sub("-[a-z].*", "", v); print v, g, $$0 }' | \
	sort -k1,1V -k2,2n | tail -n 1 | cut -d' ' -f3)
kdir-why := the newest installed headers: there are none for the running kernel, $(running)
endif
else
kdir-why := KDIR= was given
endif

PREFIX ?= /usr/local
DESTDIR ?=

.PHONY: all module kdir userlib tests check check-debug-6.12 demo lint bench torture fuzz check-kcsan install clean help

all: module userlib

module:
	@test -n "$(KDIR)" || { echo "no kernel headers: set KDIR= or apt-get install linux-headers-amd64" >&2; exit 1; }
	@echo "make: building chan.ko against $(KDIR): $(kdir-why)"
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

kdir:
	@echo "$(KDIR): $(kdir-why)"

userlib:
	$(MAKE) -C userlib

tests: userlib
	$(MAKE) -C tests

check:
	tests/check

check-debug-6.12:
	CHAN_KERNELS=debug-6.12 CHAN_HOST_CHECKS=no tests/check

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

install: userlib
	$(MAKE) -C userlib install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	$(MAKE) -C userlib clean
	$(MAKE) -C tests clean
	rm -rf build
