# inferline-sparkml: serves Spark ML pipelines saved as MLeap bundles, run on numpy and
# scipy (no JVM, no pyspark), under SageMaker's container contract (`docker run IMAGE serve`,
# /ping, /invocations).
#
# Installs inferline[sparkml] (numpy, scipy; flask, gunicorn, pandas)
# from the wheelhouse that `inferline build sparkml` writes and uses as build context;
# nothing is downloaded while building. See Dockerfiles/README.md.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS install
COPY wheels /wheels
# pip runs from a throwaway venv, so the served venv holds no pip, setuptools or cache.
# Size (docs/images.md): bytecode is compiled on first import (about 2 s of CPU at the
# first start) rather than shipped (a third of the venv); what only tests, compilers,
# type checkers or training read is removed: test suites, C headers and static
# libraries, Cython sources, type stubs, inferline's training datasets, and the scipy
# subpackages below.
RUN python3 -m venv /opt/pip \
    && python3 -m venv --without-pip /opt/venv \
    && /opt/pip/bin/pip --python /opt/venv/bin/python install --no-cache-dir --no-compile \
        --no-index --find-links /wheels --requirement /wheels/requirements.txt \
    && find /opt/venv -depth \( -type d \( -name tests -o -path "*/inferline/training/datasets" \) \
        -o -type f \( -name "*.h" -o -name "*.a" -o -name "*.pyx" -o -name "*.pxd" -o -name "*.pyi" \) \) \
        -exec rm -rf {} + \
    && for unused in cluster integrate interpolate io ndimage odr optimize signal spatial stats; do \
        rm -rf "/opt/venv/lib/python3.11/site-packages/scipy/$unused"; done
# The scipy subpackages removed above (34 MB, which the 300 MB budget needs) are ones the
# sparkml stage never imports: it uses scipy.fft, scipy.sparse and scipy.special, and
# these need only scipy.linalg and scipy._lib of the rest (tests/docker/test_dockerfiles.py
# imports every module of the stage and runs its ops with the removed ones refused).

FROM ${BASE_IMAGE}
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true \
      org.opencontainers.image.title="inferline-sparkml"
# This image serves one stage kind, whatever the model directory holds.
ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1 \
    INFERLINE_STAGE=sparkml
COPY --from=install /opt/venv /opt/venv
# SageMaker mounts the model at /opt/ml/model and sets SAGEMAKER_BIND_TO_PORT in pipelines.
EXPOSE 8080
# Exec form: `inferline serve` becomes PID 1, the gunicorn master, so SIGTERM from
# `docker stop` reaches it and in-flight requests finish.
ENTRYPOINT ["inferline"]
CMD ["serve"]
