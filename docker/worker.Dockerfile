# Celery worker image, in two flavours chosen by the TORCH_VARIANT build argument:
#   worker-cpu: TORCH_VARIANT=cpu    (queue `default`: ingest, exports)
#   worker-gpu: TORCH_VARIANT=cu130  (queue `gpu`: SAM 2 clicks, propagation, automatic masklets)
# Build context: the repository root (see docker-compose.yml and .dockerignore).
#
# The CUDA flavour needs no CUDA base image: PyTorch's CUDA wheels bring their CUDA runtime,
# cuDNN and NCCL as pip packages. The host only needs the NVIDIA driver and the NVIDIA
# Container Toolkit; the driver must be new enough for the chosen CUDA line (cu130 needs the
# R580 driver or newer; cu126 runs on older drivers but lacks kernels for the newest GPUs).

ARG PYTHON_IMAGE=python:3.11.13-slim-bookworm

FROM ${PYTHON_IMAGE}

# One torch version for every flavour; the embedded mode and CI use the same pin (CPU build).
ARG TORCH_VERSION=2.13.0
# Wheel index folder on download.pytorch.org: cpu, or a CUDA line published for TORCH_VERSION
# (2.13.0: cu126, cu129, cu130, cu132).
ARG TORCH_VARIANT=cpu

# SAM2_CACHE_DIR: where `python -m sam2engine.weights fetch` puts checkpoints (the sam2-weights
# volume). CUDA_DEVICE_ORDER: CUDA_VISIBLE_DEVICES counts GPUs as nvidia-smi does (PCI bus
# order), not fastest first. MALLOC_*: glibc returns SAM 2's large transient tensors to the
# system instead of keeping them in its arenas (peak RSS on CPU, 3 objects: 1415 -> 1152 MB).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    DJANGO_SETTINGS_MODULE=backend.config.django.production \
    MEDIA_ROOT=/data/media \
    SAM2_CACHE_DIR=/models \
    CUDA_DEVICE_ORDER=PCI_BUS_ID \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=1048576 \
    MALLOC_TRIM_THRESHOLD_=1048576

# Same uid/gid as the web image: both write the shared media volume.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# torch goes in first, from PyTorch's own index (--index-url, not --extra-index-url, so no
# package of that name can come from anywhere else). requirements/worker.txt pins
# torch==${TORCH_VERSION} without a local label, which the +cpu / +cuXXX build installed here
# already satisfies, so pip keeps it.
RUN pip install "torch==${TORCH_VERSION}" \
        --index-url "https://download.pytorch.org/whl/${TORCH_VARIANT}"

COPY requirements/ requirements/
# The version check fails the build, rather than a GPU job at run time, if resolving worker.txt
# replaced the chosen torch build (e.g. the CUDA build swapped for the CPU one or PyPI's).
RUN pip install -r requirements/worker.txt \
    && python -c "import sys, torch; v = torch.__version__; \
sys.exit(None if v == sys.argv[1] else f'torch is {v}, expected {sys.argv[1]}')" \
        "${TORCH_VERSION}+${TORCH_VARIANT}"

COPY backend/ backend/
COPY worker/ worker/
COPY sam2engine/ sam2engine/
COPY docker/entrypoints/ /usr/local/bin/

# Mount points owned by `app`, so fresh named volumes mounted on them inherit that owner:
# /data/media is shared with web and nginx, /models holds the SAM 2 checkpoints.
RUN mkdir -p /data/media /models && chown app:app /data/media /models \
    && chmod 0755 /usr/local/bin/worker.sh

USER app
CMD ["worker.sh"]
