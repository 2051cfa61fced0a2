# SPDX-License-Identifier: GPL-2.0
#
# pcpool: build the module against a prepared 6.12 tree (KDIR=...), or, by
# default, against the test kernel cached by scripts/build-kernel.sh.
#
#   make            build pcpool.ko (sets up and builds the test kernel first if needed)
#   make check      set up everything and run every test; prints the time of each phase,
#                   ends with "N passed, N failed"
#   make demo       boot the test kernel, load pcpool, offline and online a real memory block
#   make bench      the benchmarks, on the lean kernel (build/bench.csv)
#   make soak       DURATION=30m [SEED=n]: the randomised long run in the debug kernel
#   make fmt        rustfmt with the kernel's .rustfmt.toml; make fmt-check only checks
#   make clippy     build with CLIPPY=1
#   make setup      install the toolchain only; make kernel builds the test kernel only

SHELL := /bin/bash
TOP := $(CURDIR)

# The tools scripts/setup.sh installs into the cache (bindgen, which Kbuild
# runs for rust/compat/memory_bindings_generated.rs, and vng), as
# scripts/lib.sh puts them on PATH for the scripts.
PCPOOL_CACHE ?= $(HOME)/.cache/pcpool
export PCPOOL_CACHE
export PATH := $(PCPOOL_CACHE)/cargo/bin:$(PCPOOL_CACHE)/venv/bin:$(HOME)/.cargo/bin:$(PATH)

ifeq ($(KDIR),)
KDIR_DEP := kernel
KDIR_CMD = $$(bash $(TOP)/scripts/build-kernel.sh --dir)
else
KDIR_DEP :=
KDIR_CMD = $(KDIR)
endif

# The kernel flavour (scripts/lib.sh): debug by default; bench runs on lean.
ifneq ($(filter bench,$(MAKECMDGOALS)),)
PCPOOL_FLAVOUR ?= lean
export PCPOOL_FLAVOUR
endif

RUST_SOURCES = $(shell find rust kunit samples -name '*.rs' ! -name '*_generated.rs' 2>/dev/null)
KMAKE = $(MAKE) -C "$(KDIR_CMD)" M=$(TOP) LLVM=1

.PHONY: all module clippy fmt fmt-check setup kernel check demo bench soak model clean

all: module

module: $(KDIR_DEP)
	$(KMAKE) modules

clippy: $(KDIR_DEP)
	$(KMAKE) CLIPPY=1 modules

fmt: $(KDIR_DEP)
	rustfmt --edition 2021 --config-path "$(KDIR_CMD)/.rustfmt.toml" $(RUST_SOURCES)

fmt-check: $(KDIR_DEP)
	rustfmt --check --edition 2021 --config-path "$(KDIR_CMD)/.rustfmt.toml" $(RUST_SOURCES)

setup:
	bash scripts/setup.sh

kernel: setup
	bash scripts/build-kernel.sh

# check sets up and builds the kernel itself, timing each phase.
check:
	bash scripts/check.sh

demo: module
	bash scripts/demo.sh

bench: module
	bash scripts/bench.sh

soak: module
	DURATION="$(DURATION)" SEED="$(SEED)" bash scripts/soak.sh

model:
	bash scripts/model.sh

clean:
	@if [ -n "$(KDIR)" ] || [ -d "$$(bash scripts/build-kernel.sh --dir 2>/dev/null)" ]; then \
		$(KMAKE) clean; fi
