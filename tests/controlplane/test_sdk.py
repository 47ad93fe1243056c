"""The SageMaker Python SDK v2, unchanged but for its clients' endpoint_url.

``PipelineModel(models=[Model(image_uri, model_data, env), ...]).deploy(...)`` calls
CreateModel (Containers), CreateEndpointConfig and CreateEndpoint; `Predictor`
invokes; `delete_model` and `delete_endpoint` delete the model, endpoint and config.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import numpy as np
import pytest
from botocore.exceptions import ClientError

from inferline.containers.controlplane import ControlPlane
from tests.controlplane.conftest import REGION, ROLE, sdk_stages
from tests.harness.conftest import expected

sagemaker = pytest.importorskip("sagemaker")


def test_pipeline_model_deploys_predicts_and_deletes(
    sm: Any,
    runtime: Any,
    plane: ControlPlane,
    models: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SAGEMAKER_SUPPRESS_V2_WARNING", "1")  # v2 is what the issue targets
    from sagemaker.deserializers import JSONDeserializer
    from sagemaker.pipeline import PipelineModel
    from sagemaker.predictor import Predictor
    from sagemaker.serializers import CSVSerializer

    boto_session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    session = sagemaker.Session(
        boto_session=boto_session, sagemaker_client=sm, sagemaker_runtime_client=runtime
    )
    stages = sdk_stages(models, session)
    model = PipelineModel(
        models=stages,
        role=ROLE,
        name="sdk-abalone",
        sagemaker_session=session,
        predictor_cls=Predictor,
    )
    predictor = model.deploy(
        initial_instance_count=1,
        instance_type="ml.m5.large",
        endpoint_name="sdk-abalone",
        wait=False,
    )
    described = session.wait_for_endpoint("sdk-abalone", poll=1)
    assert described["EndpointStatus"] == "InService"
    assert len(sm.describe_model(ModelName="sdk-abalone")["Containers"]) == 3

    predictor.serializer = CSVSerializer()
    predictor.deserializer = JSONDeserializer()
    rows = [("I", 0.2, 0.15), ("M", 0.6, 0.5)]
    answer = predictor.predict([list(row) for row in rows])
    predictions = [row["prediction"] for row in answer["predictions"]]
    np.testing.assert_allclose(predictions, expected(rows, models), rtol=1e-6)

    predictor.delete_model()  # first: it finds the model names through the endpoint config
    with pytest.raises(ClientError, match="Could not find model"):
        sm.describe_model(ModelName="sdk-abalone")
    predictor.delete_endpoint()  # the endpoint, then its config
    sm.get_waiter("endpoint_deleted").wait(
        EndpointName="sdk-abalone", WaiterConfig={"Delay": 0.2, "MaxAttempts": 600}
    )
    with pytest.raises(ClientError, match="Could not find endpoint configuration"):
        sm.describe_endpoint_config(EndpointConfigName="sdk-abalone")
