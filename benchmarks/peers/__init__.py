"""The benchmark suite's peers: other ways to serve the same fitted abalone pipeline.

Each runs in its own venv (`envs`), installed from PyPI by the suite, and serves on
127.0.0.1. The files here are what each peer loads: a plain Flask app, a BentoML
service, a SageMaker inference-toolkit handler, and the scripts that save the model in
MLflow's and MLServer's formats.
"""
