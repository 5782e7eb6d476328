# gitsync — the two commands are `make demo` and `make test` (see README).
PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
CARGO_TARGET_DIR ?= $(CURDIR)/target
export CARGO_TARGET_DIR

.PHONY: deps install demo test unit e2e lint bench

deps:
	bash .ci/install-deps

install: deps
	cargo pgrx install --pg-config $(PG_CONFIG)

demo: install
	bash scripts/demo.sh

unit: deps
	cargo test -p gitsync-engine

e2e: install
	cargo test -p gitsync-pg-test -- --test-threads=2

lint: deps
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

test: lint unit e2e

# Issue 5's benchmark: release build, its own cluster, 1k/10k/50k pages.
# Prints a table and writes bench/results.md. Not part of `make test`.
bench: deps
	cargo pgrx install --release --pg-config $(PG_CONFIG)
	cargo run --release -p gitsync-pg-test --bin bench
