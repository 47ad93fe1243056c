"""Endpoints: CreateEndpoint, UpdateEndpoint, UpdateEndpointWeightsAndCapacities, DeleteEndpoint.

Each call checks and records the new status at once (Creating, Updating, Deleting)
and does the work in a thread, so Describe never waits on a container::

    Creating -> InService | Failed (FailureReason: which containers failed, log tails)
    InService -> Updating -> InService (a failed update keeps the old one, FailureReason)
    InService | Failed -> Deleting -> gone (Describe answers ValidationException)

Instances: a variant's InitialInstanceCount N runs N copies of its containers
(`Fleet`). This machine runs at most `max_instances` copies over all endpoints
together (during an update, old and new count both, as SageMaker's blue/green
does); beyond it, AWS's ResourceLimitExceeded.
"""

from __future__ import annotations

import functools
import itertools
import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from inferline.containers.controlplane.capture import Capture
from inferline.containers.controlplane.errors import ResourceLimitExceeded, ValidationException
from inferline.containers.controlplane.fleet import Copy, Fleet, Variant, stop_all
from inferline.containers.controlplane.store import Record, Store, arn, now
from inferline.containers.core import definition
from inferline.containers.core.definition import EndpointSpec, VariantSpec
from inferline.containers.core.errors import InferlineError
from inferline.containers.harness.deployment import Options
from inferline.containers.harness.endpoint import Endpoint
from inferline.containers.harness.metrics import Metrics
from inferline.containers.harness.runtime import Runtime
from inferline.containers.pipeline.chain import DEFAULT_TIMEOUT_SECONDS

log = logging.getLogger("inferline.controlplane")

DEFAULT_MAX_INSTANCES = 8
MAX_FAILURE_REASON = 1024  # FailureReason's maximum length in the service model
BUSY = ("Creating", "Updating", "Deleting", "SystemUpdating", "RollingBack")


class Endpoints:
    """Runs the endpoints a `Store` records, on one runtime, in `workdir`."""

    def __init__(
        self,
        store: Store,
        runtime: Runtime,
        workdir: Path,
        metrics: Metrics,
        live: dict[str, Fleet],
        max_instances: int = DEFAULT_MAX_INSTANCES,
    ) -> None:
        self.store = store
        self.runtime = runtime
        self.workdir = workdir
        self.metrics = metrics
        self.live = live
        """Endpoint name -> Fleet, the dict the runtime app serves from."""
        self.max_instances = max_instances
        self._claims: dict[str, int] = {}
        self._serial = itertools.count(1)
        self._threads: list[threading.Thread] = []
        self._closing = False
        self.timeout = DEFAULT_TIMEOUT_SECONDS
        """Seconds an invocation may take per container (`inferline up --timeout`)."""
        self.errors: dict[str, BaseException] = {}
        """Endpoint name -> why its last deployment failed, whole (FailureReason is cut)."""

    # -- the operations -------------------------------------------------------------

    def create(self, name: str, config_name: str, endpoint_arn: str) -> None:
        config = self.config(config_name)
        with self.store.lock:
            if self.store.get("endpoints", name) is not None:
                raise ValidationException(
                    f'Cannot create already existing endpoint "{endpoint_arn}".'
                )
            wanted = {v["VariantName"]: _initial(v) for v in config["ProductionVariants"]}
            self._claim(name, sum(count for count, _ in wanted.values()))
            created = now()
            self.store.put(
                "endpoints",
                name,
                {
                    "EndpointName": name,
                    "EndpointArn": endpoint_arn,
                    "EndpointConfigName": config_name,
                    "EndpointStatus": "Creating",
                    "CreationTime": created,
                    "LastModifiedTime": created,
                },
            )
        self._run(name, lambda: self._deploy(name, config, wanted, first=True))

    def update(self, name: str, config_name: str, retain: bool) -> str:
        record = self.endpoint(name)
        config = self.config(config_name)
        with self.store.lock:
            self._idle(record, "update")
            current = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
            wanted = {}
            for variant in config["ProductionVariants"]:
                count, weight = _initial(variant)
                kept = current.get(variant["VariantName"]) if retain else None
                if kept is not None:
                    count, weight = kept["CurrentInstanceCount"], kept["CurrentWeight"]
                wanted[variant["VariantName"]] = (count, weight)
            # blue/green: the old copies run until the new ones are healthy
            self._claim(name, self._claims.get(name, 0) + sum(c for c, _ in wanted.values()))
            self.store.update("endpoints", name, EndpointStatus="Updating", LastModifiedTime=now())
        self._run(
            name, lambda: self._deploy(name, config, wanted, first=False, config_name=config_name)
        )
        return str(record["EndpointArn"])

    def update_weights_and_capacities(self, name: str, desired: list[dict[str, Any]]) -> str:
        record = self.endpoint(name)
        with self.store.lock:
            self._idle(record, "update")
            current = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
            unknown = [d["VariantName"] for d in desired if d["VariantName"] not in current]
            if unknown:
                raise ValidationException(
                    f'The variant(s) "[{", ".join(unknown)}]" is/are not present in the '
                    f'endpoint "{record["EndpointArn"]}".'
                )
            if any("DesiredWeight" not in d and "DesiredInstanceCount" not in d for d in desired):
                raise ValidationException(
                    "Each DesiredWeightsAndCapacities entry needs DesiredWeight or "
                    "DesiredInstanceCount."
                )
            counts = {name: v["CurrentInstanceCount"] for name, v in current.items()}
            grown = dict(counts)
            for change in desired:
                if "DesiredInstanceCount" in change:
                    grown[change["VariantName"]] = max(
                        change["DesiredInstanceCount"], counts[change["VariantName"]]
                    )
            self._claim(name, sum(grown.values()))
            self.store.update("endpoints", name, EndpointStatus="Updating", LastModifiedTime=now())
        self._run(name, lambda: self._resize(name, desired))
        return str(record["EndpointArn"])

    def delete(self, name: str) -> None:
        record = self.endpoint(name)
        with self.store.lock:
            if record["EndpointStatus"] in BUSY:
                raise ValidationException(
                    f'Cannot delete in-progress endpoint "{record["EndpointArn"]}".'
                )
            self.store.update("endpoints", name, EndpointStatus="Deleting", LastModifiedTime=now())
        self._run(name, lambda: self._teardown(name))

    def restore(self) -> None:
        """After a restart: start again every endpoint the state file holds."""
        for record in self.store.all("endpoints"):
            name = record["EndpointName"]
            if record["EndpointStatus"] == "Deleting":
                self.store.remove("endpoints", name)
                continue
            if record["EndpointStatus"] == "Failed":
                continue
            try:
                config = self.config(record["EndpointConfigName"])
            except ValidationException as error:
                self.store.update(
                    "endpoints", name, EndpointStatus="Failed", FailureReason=str(error)
                )
                continue
            kept = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
            wanted = {}
            for variant in config["ProductionVariants"]:
                count, weight = _initial(variant)
                if variant["VariantName"] in kept:
                    old = kept[variant["VariantName"]]
                    count, weight = old["CurrentInstanceCount"], old["CurrentWeight"]
                wanted[variant["VariantName"]] = (count, weight)
            self._claims[name] = sum(count for count, _ in wanted.values())
            self.store.update("endpoints", name, EndpointStatus="Creating", FailureReason=None)
            self._run(name, functools.partial(self._deploy, name, config, wanted, first=True))

    def close(self, seconds: float = 30.0) -> None:
        """Stop every endpoint (their records stay, to be restored on the next start)."""
        self._closing = True
        for thread in list(self._threads):
            thread.join(seconds)
        for name, fleet in list(self.live.items()):
            fleet.stop()
            if fleet.capture is not None:
                fleet.capture.close()
            self.live.pop(name, None)

    # -- lookups ----------------------------------------------------------------------

    def endpoint(self, name: str) -> Record:
        record = self.store.get("endpoints", name)
        if record is None:
            raise ValidationException(f'Could not find endpoint "{arn("endpoints", name)}".')
        return record

    def config(self, name: str) -> Record:
        record = self.store.get("endpointConfigs", name)
        if record is None:
            raise ValidationException(
                f'Could not find endpoint configuration "{arn("endpointConfigs", name)}".'
            )
        return record

    # -- the work, in threads ---------------------------------------------------------

    def _run(self, name: str, work: Callable[[], None]) -> None:
        thread = threading.Thread(target=self._guarded, args=(name, work), name=f"endpoint-{name}")
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _guarded(self, name: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # noqa: BLE001 - reported as FailureReason, never lost
            log.exception("endpoint %s: unexpected failure", name)
            self.store.update(
                "endpoints", name, EndpointStatus="Failed", FailureReason=_reason(error)
            )

    def _deploy(
        self,
        name: str,
        config: Record,
        wanted: dict[str, tuple[int, float]],
        first: bool,
        config_name: str | None = None,
    ) -> None:
        try:
            specs = self.variant_specs(name, config)
            variants = self._start_variants(name, specs, wanted)
        except (InferlineError, OSError) as error:
            self.errors[name] = error
            if first:
                with self.store.lock:
                    self._claims.pop(name, None)
                self.store.update(
                    "endpoints", name, EndpointStatus="Failed", FailureReason=_reason(error)
                )
            else:
                self._settle_claim(name)
                self.store.update(
                    "endpoints", name, EndpointStatus="InService", FailureReason=_reason(error)
                )
            return
        if self._closing:
            stop_all([copy for variant in variants for copy in variant.copies])
            return
        fleet = self.live.setdefault(name, Fleet(name))
        old_capture = fleet.capture
        capture_config = config.get("DataCaptureConfig")
        enabled = capture_config is not None and capture_config.get("EnableCapture", True)
        fleet.capture = Capture(name, capture_config) if enabled and capture_config else None
        fleet.retire(fleet.install(variants))
        if old_capture is not None:
            old_capture.close()
        self._settle_claim(name)
        changes: dict[str, Any] = {
            "EndpointStatus": "InService",
            "LastModifiedTime": now(),
            "ProductionVariants": [_summary(variant) for variant in variants],
            "FailureReason": None,
            "DataCaptureConfig": _capture_summary(capture_config) if enabled else None,
        }
        if config_name is not None:
            changes["EndpointConfigName"] = config_name
        self.store.update("endpoints", name, **changes)

    def _resize(self, name: str, desired: list[dict[str, Any]]) -> None:
        fleet = self.live[name]
        record = self.endpoint(name)
        summaries = {v["VariantName"]: v for v in record["ProductionVariants"]}
        config = self.config(record["EndpointConfigName"])
        specs = self.variant_specs(name, config)
        failure = None
        for change in desired:
            variant = change["VariantName"]
            if "DesiredWeight" in change:
                fleet.set_weight(variant, float(change["DesiredWeight"]))
                summaries[variant]["CurrentWeight"] = summaries[variant]["DesiredWeight"] = float(
                    change["DesiredWeight"]
                )
            if "DesiredInstanceCount" in change:
                target, count = change["DesiredInstanceCount"], fleet.counts()[variant]
                try:
                    if target > count:
                        fleet.add(variant, self._start_copies(name, specs[variant], target - count))
                    elif target < count:
                        fleet.retire(fleet.take(variant, count - target))
                except (InferlineError, OSError) as error:
                    failure = _reason(error)
                actual = fleet.counts()[variant]
                summaries[variant]["CurrentInstanceCount"] = actual
                summaries[variant]["DesiredInstanceCount"] = actual
        self._settle_claim(name)
        self.store.update(
            "endpoints",
            name,
            EndpointStatus="InService",
            LastModifiedTime=now(),
            ProductionVariants=list(summaries.values()),
            FailureReason=failure,
        )

    def _teardown(self, name: str) -> None:
        fleet = self.live.pop(name, None)
        if fleet is not None:
            fleet.stop()
            if fleet.capture is not None:
                fleet.capture.close()
        with self.store.lock:
            self._claims.pop(name, None)
            self.store.remove("endpoints", name)

    def variant_specs(self, name: str, config: Record) -> dict[str, VariantSpec]:
        """The harness spec of each variant, from the stored config and models."""
        models = {}
        for variant in config["ProductionVariants"]:
            model = self.store.get("models", variant["ModelName"])
            if model is None:
                raise ValidationException(
                    f'Could not find model "{arn("models", variant["ModelName"])}".'
                )
            models[model["ModelName"]] = model_document(model)
        spec = definition.parse(
            {
                "EndpointName": name,
                "ProductionVariants": [
                    {
                        "VariantName": v["VariantName"],
                        "ModelName": v["ModelName"],
                        "InitialVariantWeight": v.get("InitialVariantWeight", 1.0),
                    }
                    for v in config["ProductionVariants"]
                ],
                "Models": list(models.values()),
            }
        )
        return {variant.name: variant for variant in spec.variants}

    def _start_variants(
        self, name: str, specs: dict[str, VariantSpec], wanted: dict[str, tuple[int, float]]
    ) -> list[Variant]:
        variants: list[Variant] = []
        try:
            for variant_name, spec in specs.items():
                count, weight = wanted[variant_name]
                images = [container.image for container in spec.model.containers]
                copies = self._start_copies(name, spec, count)
                variants.append(Variant(variant_name, weight, copies, images))
        except BaseException:
            stop_all([copy for variant in variants for copy in variant.copies])
            raise
        return variants

    def _start_copies(self, name: str, spec: VariantSpec, count: int) -> list[Copy]:
        """Start `count` copies of a variant at once; all or none."""
        started: list[Copy] = []
        errors: list[BaseException] = []

        def start_one() -> None:
            options = Options(
                self.workdir / name / f"{spec.name}-{next(self._serial)}", timeout=self.timeout
            )
            try:
                endpoint = Endpoint.start(
                    EndpointSpec(name, (spec,)), self.runtime, options, self.metrics
                )
            except BaseException as error:  # noqa: BLE001 - re-raised below, after the others
                errors.append(error)
                return
            started.append(Copy(endpoint))

        threads = [threading.Thread(target=start_one) for _ in range(count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if errors:
            stop_all(started)
            raise errors[0]
        return started

    # -- instance accounting ----------------------------------------------------------

    def _claim(self, name: str, instances: int) -> None:
        """Reserve `instances` in all for `name` (what it runs included), or refuse."""
        others = sum(count for other, count in self._claims.items() if other != name)
        current = self._claims.get(name, 0)
        if others + instances > self.max_instances and instances > current:
            raise ResourceLimitExceeded(
                f"The account-level service limit 'instances per machine for endpoint usage' "
                f"is {self.max_instances} Instances, with current utilization of "
                f"{others + current} Instances and a request delta of {instances - current} "
                "Instances. This local control plane runs at most that many copies of "
                "containers on one machine: raise it with serve_control_plane(max_instances=...) "
                "or INFERLINE_MAX_INSTANCES."
            )
        self._claims[name] = instances

    def _settle_claim(self, name: str) -> None:
        """After a change: the endpoint holds what it runs (claims change under the lock)."""
        with self.store.lock:
            fleet = self.live.get(name)
            self._claims[name] = sum(fleet.counts().values()) if fleet is not None else 0

    def _idle(self, record: Record, action: str) -> None:
        if record["EndpointStatus"] != "InService":
            raise ValidationException(
                f'Cannot {action} in-progress endpoint "{record["EndpointArn"]}".'
                if record["EndpointStatus"] in BUSY
                else f'Cannot {action} endpoint "{record["EndpointArn"]}" in status '
                f"{record['EndpointStatus']}; it must be InService."
            )


def model_document(model: Record) -> dict[str, Any]:
    """A stored model as the CreateModel document `definition.parse` reads."""
    document = {"ModelName": model["ModelName"]}
    for key in ("PrimaryContainer", "Containers", "InferenceExecutionConfig"):
        if key in model:
            document[key] = model[key]
    return document


def _initial(variant: Record) -> tuple[int, float]:
    """A config variant's instance count (serverless: one) and weight."""
    return int(variant.get("InitialInstanceCount", 1)), float(
        variant.get("InitialVariantWeight", 1.0)
    )


def _summary(variant: Variant) -> dict[str, Any]:
    resolved = now()
    return {
        "VariantName": variant.name,
        "DeployedImages": [
            {"SpecifiedImage": image, "ResolvedImage": image, "ResolutionTime": resolved}
            for image in variant.images
        ],
        "CurrentWeight": variant.weight,
        "DesiredWeight": variant.weight,
        "CurrentInstanceCount": len(variant.copies),
        "DesiredInstanceCount": len(variant.copies),
    }


def _capture_summary(config: dict[str, Any] | None) -> dict[str, Any] | None:
    if config is None:
        return None
    return {
        "EnableCapture": bool(config.get("EnableCapture", True)),
        "CaptureStatus": "Started",
        "CurrentSamplingPercentage": int(config.get("InitialSamplingPercentage", 100)),
        "DestinationS3Uri": config["DestinationS3Uri"],
    }


def _reason(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) <= MAX_FAILURE_REASON else text[: MAX_FAILURE_REASON - 3] + "..."
