"""Training: reproduces the example pipelines from raw data to model.tar.gz files."""
