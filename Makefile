# The patch repository's everyday targets. VERDA names the verda-patch binary.
VERDA ?= cargo run --release --locked --quiet --

.PHONY: apply export check review test

apply:
	$(VERDA) apply

export:
	$(VERDA) export

check:
	$(VERDA) check

review:
	$(VERDA) review

test:
	cargo test --locked
