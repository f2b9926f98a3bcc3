# immich-gphotos: `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-container lint demo bench chaos clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

# The keyring tests need a real Secret Service: run the suite inside a private D-Bus session
# (dbus-run-session) where the tests start an unlocked gnome-keyring. Without those tools the
# keyring tests skip and everything else runs.
# The tests run on PYTEST_WORKERS pytest-xdist workers (most of a test's time is spent waiting
# on CLI child processes and the stand-ins, so more workers than cores pays); tests that share
# one resource (the Secret Service) carry the same xdist_group and run on one worker.
# PYTEST_WORKERS=0 runs them in this process; PYTEST_ARGS is passed on last, so it can override.
PYTEST_WORKERS ?= 4
PYTEST := $(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadgroup --ignore=tests/container $(PYTEST_ARGS)
# src/ is compiled first: the CLI's child processes then start from bytecode even where
# PYTHONDONTWRITEBYTECODE is set (as on some CI machines), as an installed tool does.
test: install
	@$(BIN)/python -m compileall -q src
	@if command -v dbus-run-session >/dev/null 2>&1 && command -v gnome-keyring-daemon >/dev/null 2>&1; then \
		echo "running the tests inside dbus-run-session (keyring tests enabled)"; \
		IGPHOTOS_TEST_PRIVATE_BUS=1 dbus-run-session -- $(PYTEST); \
	else \
		echo "dbus-run-session or gnome-keyring-daemon not found: keyring tests will skip"; \
		$(PYTEST); \
	fi

# The container image, built and run for real: podman, runc and debootstrap from Debian's packages
# (as root; .ci/run installs them). Builds the Dockerfile on a base made with debootstrap (no
# container registry is needed), then runs tests/container against the stand-ins.
CONTAINER_IMAGE ?= localhost/immich-gphotos:test
test-container: install
	IGPHOTOS_CONTAINER_IMAGE=$(CONTAINER_IMAGE) $(BIN)/python scripts/container_image.py
	IGPHOTOS_CONTAINER_IMAGE=$(CONTAINER_IMAGE) $(BIN)/python -m pytest -p no:xdist -p no:cacheprovider tests/container $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy src
	$(BIN)/python scripts/check_imports.py

demo: install
	$(BIN)/python scripts/demo.py

bench: install
	$(BIN)/python scripts/bench.py $(BENCH_ARGS)

# Real syncs killed (-9), signalled (TERM, INT, INT twice) and faulted at random moments against
# the stand-ins on 127.0.0.1, then a converged sync and a check: nothing missing, nothing created
# twice. A few minutes at most; not part of `make test`. CHAOS_ARGS="--seed 7 --rounds 10".
chaos: install
	$(BIN)/python scripts/chaos.py $(CHAOS_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis build dist src/*.egg-info
