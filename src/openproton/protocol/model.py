"""Loading the service model from the botocore package: the contract, never a hand copy."""

from __future__ import annotations

from functools import cache
from typing import Any

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel


@cache
def _loader() -> Loader:
    return Loader()


@cache
def load_service_model(service_name: str) -> ServiceModel:
    try:
        data = _loader().load_service_model(service_name, "service-2")
    except Exception as exc:  # botocore raises UnknownServiceError, DataNotFoundError, ...
        raise RuntimeError(
            f"The installed botocore does not ship the {service_name!r} service model; "
            "install a botocore release within the range pinned by openproton."
        ) from exc
    return ServiceModel(data, service_name=service_name)


@cache
def load_paginators(service_name: str) -> dict[str, Any]:
    model = load_service_model(service_name)
    data = _loader().load_service_model(service_name, "paginators-1", model.api_version)
    return dict(data["pagination"])


class ServiceIndex:
    """The lookups the pipeline needs on every request, computed once from a ServiceModel."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.target_prefix: str = model.metadata["targetPrefix"]
        self.error_namespace = f"com.amazonaws.{model.endpoint_prefix}.v{model.api_version.replace('-', '')}"
        self.operations: dict[str, OperationModel] = {
            name: model.operation_model(name) for name in model.operation_names
        }

    def operation_for_target(self, target: str | None) -> OperationModel | None:
        if not target:
            return None
        prefix, dot, name = target.partition(".")
        if not dot or prefix != self.target_prefix:
            return None
        return self.operations.get(name)
