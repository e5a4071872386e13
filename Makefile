# labcheck: build, demo, test, install, benchmark. Swift comes from /opt/swift on this machine.
SWIFT ?= $(shell command -v swift 2>/dev/null || echo /opt/swift/usr/bin/swift)
PREFIX ?= /usr/local
CONFIG ?= debug

.PHONY: all build release demo test stress-exit fuzz install uninstall bench bench-tools bench-toml bench-imports bench-scale clean

all: build

bootstrap:
	@scripts/bootstrap

build: bootstrap
	$(SWIFT) build -c $(CONFIG)

## Release builds link the Swift runtime and Foundation statically: one binary that does not
## depend on /opt/swift at run time, and ~8 ms less start-up (no dynamic loading of a dozen
## Swift libraries), which a pre-commit hook pays on every commit.
## They are linked as a fixed-address (non-PIE) executable: a position-independent one has
## ~102,000 relative relocations the loader applies at every start, spread over the 37 MB of
## writable read-only data the static libraries bring (ICU's tables among them), each page
## they touch copied on write: ~5 ms of a ~18 ms run that finds nothing staged (bench/README.md).
## The shared libraries (libgit2, libc) stay randomised; `make release PIE=1` links a PIE.
PIE ?= 0
RELEASE_LINK = $(if $(filter 1,$(PIE)),,-Xswiftc -Xclang-linker -Xswiftc -no-pie)
release: bootstrap
	$(SWIFT) build -c release --static-swift-stdlib --product labcheck $(RELEASE_LINK)

## The quick start's first command: build, then run the staged check on the built-in demo.
demo: build
	.build/$(CONFIG)/labcheck demo

## The quick start's second command: build and run the whole test suite.
test: bootstrap
	$(SWIFT) build
	$(SWIFT) test

## The exit-safety test at length, on the release binary: every subcommand 1000 times, two at
## a time (the test suite runs it 200 times per command on the debug binary).
stress-exit: release
	LABCHECK_BINARY=$(CURDIR)/.build/release/labcheck LABCHECK_EXIT_RUNS=1000 $(SWIFT) test --filter ExitSafetyTests

## libFuzzer targets (TOML parser, import scanner, lab-file checker, snippet recogniser),
## built with -sanitize=fuzzer,address into .build-fuzz; each runs FUZZ_SECONDS, FUZZ_JOBS at a
## time. Not part of `make test`.
FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 1
fuzz: bootstrap
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) scripts/fuzz

## Install the binary and the bundled rules under $(PREFIX) (bin/ and share/labcheck/).
install: release
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/labcheck
	install -m 0755 .build/release/labcheck $(DESTDIR)$(PREFIX)/bin/labcheck
	cp -R rules $(DESTDIR)$(PREFIX)/share/labcheck/
	install -m 0755 hooks/pre-commit $(DESTDIR)$(PREFIX)/share/labcheck/pre-commit

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/labcheck
	rm -rf $(DESTDIR)$(PREFIX)/share/labcheck

## Benchmarks (side by side with the peer, in one run). Peak memory is measured with GNU time
## (bench/measure.py says why), installed here when missing.
bench: bench-toml bench-imports bench-scale

bench-tools:
	@test -x /usr/bin/time || (apt-get update -qq && apt-get install -y -qq time)

bench-toml: release bench-tools
	python3 bench/toml_bench.py --labcheck .build/release/labcheck

bench-imports: release bench-tools
	python3 bench/imports_bench.py --labcheck .build/release/labcheck

## The pre-commit path at monorepo scale (issue 11): a generated repository of 20,000 Python
## files and 50 lab files, labcheck's staged, cold, nothing-staged and --all runs against
## `git diff --cached`; sizes as flags of the script. Then a cold whole run against
## lint-imports on a generated project of 900 files.
bench-scale: release bench-tools
	python3 bench/scale_bench.py --labcheck .build/release/labcheck
	python3 bench/scale_bench.py --labcheck .build/release/labcheck --packages 18 --modules 50 --labs 0 --runs 5 --vs-lint-imports

clean:
	rm -rf .build .build-fuzz
