"""Pipelines without a web server: SageMaker's chaining rules over any transport.

`chain.Chain` is the one implementation of how a model's containers are invoked hop
by hop; the harness drives it over HTTP, `inprocess.InProcessPipeline` over stages
loaded in this process (the engine of batch transform's fused runtime)::

    from inferline.containers.pipeline import Request
    from inferline.containers.pipeline.inprocess import InProcessPipeline

    with InProcessPipeline.load(model_spec) as pipeline:
        result = pipeline.invoke(Request(b"M,0.45,...", "text/csv", accept="text/csv"))
"""

from inferline.containers.pipeline.chain import Chain, Request, Result

__all__ = ["Chain", "Request", "Result"]
