# forecastr container images. Two final targets:
#
#   docker build --target full -t forecastr .        # train, evaluate, export, predict (CPU torch)
#   docker build --target edge -t forecastr-edge .   # torch-free ONNX predict, info, baseline evaluate
#
# Build args (all optional; see docs/docker.md):
#   PYTHON_IMAGE      base image, default python:3.11-slim-bookworm (pin a digest here if you like)
#   TORCH_INDEX_URL   where CPU torch comes from, default https://download.pytorch.org/whl/cpu
#   TORCH_VERSION     torch release for the full image, default 2.13.0
#   PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, PIP_TRUSTED_HOST
#                     read by pip itself during the build stages only (never in a final image).
# Air-gapped builds: put wheels in ./wheels in the build context (always searched via
# --find-links) and pass --build-arg PIP_NO_INDEX=1.
# Do not pass credentials as build args: they end up in the builder stages' history.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# ---------------------------------------------------------------------------------------------
# Common base: the slim interpreter image plus quiet, cache-free pip and byte-code settings.
FROM ${PYTHON_IMAGE} AS python-base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# ---------------------------------------------------------------------------------------------
# Builder: build the forecastr wheel exactly once; both venv stages install this same file.
FROM python-base AS wheel
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_FIND_LINKS=""
ARG PIP_NO_INDEX=""
ARG PIP_TRUSTED_HOST=""
WORKDIR /src
# .dockerignore is an allow-list: this copies pyproject.toml, README.md, forecastr/ and, when
# present, wheels/ (local wheels for offline builds).
COPY . .
RUN mkdir -p /src/wheels \
    && python -m pip wheel --no-deps --find-links /src/wheels --wheel-dir /dist . \
    && ls -l /dist

# ---------------------------------------------------------------------------------------------
# Edge venv: core install only (numpy, pandas, onnxruntime, typer, rich). No torch, no pyarrow
# (pandas' C parser reads the CSV files).
FROM python-base AS edge-venv
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_FIND_LINKS=""
ARG PIP_NO_INDEX=""
ARG PIP_TRUSTED_HOST=""
COPY --from=wheel /src/wheels /wheels
COPY --from=wheel /dist /dist
# The runtime venv gets no pip/setuptools (the base image's pip installs into it); bundled test
# suites are dropped.
RUN python -m venv --without-pip /opt/venv \
    && whl="$(echo /dist/forecastr-*.whl)" \
    && python -m pip --python /opt/venv/bin/python install --find-links /wheels "${whl}" \
    && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*/*' -exec rm -rf {} + \
    && /opt/venv/bin/python -c "import forecastr, onnxruntime, pandas; import importlib.util as u; assert u.find_spec('torch') is None, 'torch leaked into edge'; assert u.find_spec('pyarrow') is None, 'pyarrow leaked into edge'"

# ---------------------------------------------------------------------------------------------
# Full venv: CPU torch first (its own cached layer), then forecastr[full] from the same wheel
# (which brings pyarrow); the dependencies' bundled test suites and pyarrow's and torch's C++
# headers/sources (only for compiling extensions; the image has no compiler) are dropped.
FROM python-base AS full-venv
ARG PIP_INDEX_URL=""
ARG PIP_EXTRA_INDEX_URL=""
ARG PIP_FIND_LINKS=""
ARG PIP_NO_INDEX=""
ARG PIP_TRUSTED_HOST=""
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ARG TORCH_VERSION=2.13.0
COPY --from=wheel /src/wheels /wheels
RUN python -m venv --without-pip /opt/venv \
    && python -m pip --python /opt/venv/bin/python install \
        --index-url "${TORCH_INDEX_URL}" --find-links /wheels "torch==${TORCH_VERSION}"
COPY --from=wheel /dist /dist
RUN whl="$(echo /dist/forecastr-*.whl)" \
    && python -m pip --python /opt/venv/bin/python install --find-links /wheels "${whl}[full]" \
    && find /opt/venv/lib -depth -type d -name tests -path '*/site-packages/*/*' -exec rm -rf {} + \
    && rm -rf /opt/venv/lib/python3*/site-packages/pyarrow/include \
        /opt/venv/lib/python3*/site-packages/pyarrow/src \
        /opt/venv/lib/python3*/site-packages/torch/include \
    && /opt/venv/bin/python -c "import forecastr, torch, sklearn, scipy.stats, onnx, onnxscript, matplotlib.pyplot, pyarrow; print('torch', torch.__version__)"

# ---------------------------------------------------------------------------------------------
# Runtime base shared by both final images: non-root user, /data as the working directory.
# HOME=/tmp: a home any uid can write (with `docker run --user "$(id -u):$(id -g)"` the uid has
# no passwd entry and HOME would be /, which is read-only to it), so onnxruntime can persist its
# telemetry device id under $HOME/.cache instead of warning on every session.
# FORECASTR_IN_CONTAINER=1: forecastr's permission errors then suggest --user.
FROM python-base AS runtime
RUN groupadd --gid 10001 forecastr \
    && useradd --no-log-init --uid 10001 --gid forecastr \
        --home-dir /home/forecastr --create-home --shell /usr/sbin/nologin forecastr \
    && install -d -o 10001 -g 10001 /data
ENV PATH=/opt/venv/bin:${PATH} \
    HOME=/tmp \
    FORECASTR_IN_CONTAINER=1

# ---------------------------------------------------------------------------------------------
# Final target: edge (torch-free ONNX inference).
FROM runtime AS edge
LABEL org.opencontainers.image.title="forecastr-edge" \
      org.opencontainers.image.description="forecastr torch-free ONNX inference (predict, info, baseline evaluate)" \
      org.opencontainers.image.licenses="MIT"
COPY --from=edge-venv /opt/venv /opt/venv
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["forecastr"]
CMD ["--help"]

# ---------------------------------------------------------------------------------------------
# Final target: full (train, evaluate, export, predict). Last stage, so a plain build gets it.
FROM runtime AS full
LABEL org.opencontainers.image.title="forecastr" \
      org.opencontainers.image.description="forecastr with CPU torch: train, evaluate, export to ONNX, predict" \
      org.opencontainers.image.licenses="MIT"
COPY --from=full-venv /opt/venv /opt/venv
# Headless plotting; matplotlib's cache goes to /tmp so any --user uid works (HOME is /tmp too).
ENV MPLBACKEND=Agg \
    MPLCONFIGDIR=/tmp/matplotlib
USER 10001:10001
WORKDIR /data
ENTRYPOINT ["forecastr"]
CMD ["--help"]
