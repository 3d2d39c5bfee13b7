# SPDX-License-Identifier: GPL-2.0
#
# chan: Go's channels as a Linux kernel facility.
#
#   make              the module (kmod/chan.ko) and libchan
#   make check        everything, tested in QEMU (debug, stock, stock-6.12
#                     and rt-6.12 kernels; CHAN_KERNELS="NAME..." for others)
#   make check-debug-6.12  every suite on the 6.12 debug kernel
#   make check-arm64  every suite on Debian's arm64 6.1 kernel in
#                     qemu-system-aarch64, cross-built (CHAN_KERNELS=
#                     "stock-arm64 stock-6.12-arm64" adds the 6.12 one)
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

.PHONY: all module kdir userlib tests check check-debug-6.12 check-arm64 check-first-run check-cross demo lint bench torture fuzz check-kcsan install clean help

all: module userlib

ifneq ($(wildcard $(KDIR)/Makefile),)
module:
	@echo "make: building chan.ko against $(KDIR): $(kdir-why)"
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

check-arm64:
	CHAN_KERNELS="$${CHAN_KERNELS:-stock-arm64}" CHAN_HOST_CHECKS=no tests/check

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
