"""`inferline fit`: a SageMaker training script run as a training job runs it, locally.

`job.py` lays out the /opt/ml-style tree and runs the script with the environment and
arguments that the ``sagemaker-training`` toolkit gives it; `package.py` packs the
result as the SageMaker SDK's SKLearnModel does for serving; `commands.py` is the CLI.
"""
