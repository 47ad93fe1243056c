# inferline-sklearn: serves scikit-learn estimators and inference scripts, the
# linear-learner stage (a Linear Learner model_algo-1, or a scikit-learn model) and the
# blazingtext stage (BlazingText's model.bin, run by fastText), under SageMaker's
# container contract (`docker run IMAGE serve`, /ping, /invocations).
#
# Installs inferline[sklearn,blazingtext] (scikit-learn, scipy, joblib, skops,
# fasttext-community; flask, gunicorn, pandas) from the wheelhouse that
# `inferline build sklearn` writes and uses as build context; nothing is downloaded
# while building. See Dockerfiles/README.md.
ARG BASE_IMAGE=python:3.11-slim

FROM ${BASE_IMAGE} AS install
COPY wheels /wheels
# pip runs from a throwaway venv, so the served venv holds no pip, setuptools or cache.
# Size (docs/images.md): bytecode is compiled on first import (about 2 s of CPU at the
# first start) rather than shipped (a third of the venv); what only tests, compilers,
# type checkers or training read is removed: test suites, C headers and static
# libraries, Cython sources, type stubs, and inferline's training datasets.
RUN python3 -m venv /opt/pip \
    && python3 -m venv --without-pip /opt/venv \
    && /opt/pip/bin/pip --python /opt/venv/bin/python install --no-cache-dir --no-compile \
        --no-index --find-links /wheels --requirement /wheels/requirements.txt \
    && find /opt/venv -depth \( -type d \( -name tests -o -path "*/inferline/training/datasets" \) \
        -o -type f \( -name "*.h" -o -name "*.a" -o -name "*.pyx" -o -name "*.pxd" -o -name "*.pyi" \) \) \
        -exec rm -rf {} +

FROM ${BASE_IMAGE}
LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true \
      org.opencontainers.image.title="inferline-sklearn"
ENV PATH=/opt/venv/bin:$PATH \
    LANG=C.UTF-8 \
    PYTHONUNBUFFERED=1
COPY --from=install /opt/venv /opt/venv
# SageMaker mounts the model at /opt/ml/model and sets SAGEMAKER_BIND_TO_PORT in pipelines.
EXPOSE 8080
# Exec form: `inferline serve` becomes PID 1, the gunicorn master, so SIGTERM from
# `docker stop` reaches it and in-flight requests finish.
ENTRYPOINT ["inferline"]
CMD ["serve"]
