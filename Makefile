# The two commands of the README. Everything else is plain pytest / itpark.
EXAMPLE ?= stacks/danang-itpark

.PHONY: demo test setup
setup:
	bash scripts/setup

demo: setup
	.venv/bin/itpark plan $(EXAMPLE)

# The full suite, slow host and browser tests included. CI runs exactly this.
test: setup
	.venv/bin/python -m pytest -m 'slow or not slow' -p no:cacheprovider -n 2
