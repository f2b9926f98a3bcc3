# immich-gphotos beside Immich: `sync --every 1h` as an unprivileged user, config and state in
# volumes. Build: `docker build -t immich-gphotos .` (see README.md, "Beside Immich in Docker").
# BASE: any Debian bookworm; CI builds from one made with debootstrap (make test-container).
ARG BASE=debian:bookworm-slim

# --- build stage: the package and its dependencies in a venv ----------------------------------
FROM ${BASE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv \
 && rm -rf /var/lib/apt/lists/*
# Extra pip options, e.g. "--no-index --find-links /src/wheels" to install from a wheelhouse put
# in the build context (CI does, where only the host reaches PyPI). Default: PyPI.
ARG PIP_OPTIONS=""
COPY . /src
RUN python3 -m venv /opt/immich-gphotos \
 && /opt/immich-gphotos/bin/pip install --no-cache-dir --disable-pip-version-check \
        ${PIP_OPTIONS} /src \
 && /opt/immich-gphotos/bin/pip uninstall -y --disable-pip-version-check pip setuptools

# --- the image: Debian's python3, the venv, nothing else ----------------------------------------
FROM ${BASE}
# ca-certificates: Google (and an https Immich); tzdata: Google's quota day is Pacific time
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/debconf/*-old \
        /usr/share/doc/* /usr/share/man/* /usr/share/locale/*
# The uid owns /config and /state; 1000 is the first user on most hosts, so secret files and a
# bind-mounted config folder made by that user are readable without a chown. Change it with
# --build-arg UID=...
ARG UID=1000
RUN groupadd --gid "${UID}" immich-gphotos \
 && useradd --uid "${UID}" --gid "${UID}" --home-dir /state --no-create-home \
        --shell /usr/sbin/nologin immich-gphotos \
 && mkdir -p /config /state \
 && chown "${UID}:${UID}" /config /state \
 && chmod 700 /config /state
COPY --from=build /opt/immich-gphotos /opt/immich-gphotos
ENV PATH=/opt/immich-gphotos/bin:${PATH} \
    HOME=/state \
    PYTHONUNBUFFERED=1 \
    IMMICH_GPHOTOS_CONFIG=/config/config.toml \
    IMMICH_GPHOTOS_STATE_DIR=/state \
    PYTHON_KEYRING_BACKEND=keyring.backends.fail.Keyring
USER immich-gphotos
VOLUME ["/config", "/state"]
# Unhealthy when the loop's last sign of life (each run's start and end, every half minute of a
# run in progress) is older than two intervals plus its random delay, or the loop ended.
HEALTHCHECK --interval=1m --timeout=30s --start-period=1m --retries=3 \
    CMD ["immich-gphotos", "health"]
ENTRYPOINT ["immich-gphotos"]
CMD ["sync", "--every", "1h"]
