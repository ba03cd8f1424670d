"""Wire Autopilot inference response keys into a best candidate's containers.

Three layouts exist for tabular candidates (AWS docs, "Configure inference output in
generated containers"):

* ensembling, any problem type: one container; its ``SAGEMAKER_INFERENCE_OUTPUT`` selects
  the keys.
* HPO classification: feature transform, algorithm, inverse label transform. The algorithm
  container outputs what it can compute (never ``labels``); the last container takes those
  keys as ``SAGEMAKER_INFERENCE_INPUT`` and emits the requested keys as
  ``SAGEMAKER_INFERENCE_OUTPUT``.
* HPO regression: feature transform and regressor. A regression model returns only its
  prediction, ``predicted_label``.

Every requested key must be listed in the container's ``SAGEMAKER_INFERENCE_SUPPORTED``,
except ``predicted_label`` alone: it is every container's default output, so a container
that lists nothing is deployed as it is. Errors name the setting the user changes,
``endpoint.inference_response_keys``.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

OUTPUT_ENV = "SAGEMAKER_INFERENCE_OUTPUT"
INPUT_ENV = "SAGEMAKER_INFERENCE_INPUT"
SUPPORTED_ENV = "SAGEMAKER_INFERENCE_SUPPORTED"

SETTING = "endpoint.inference_response_keys"
ENSEMBLING_CONTAINERS = 1
HPO_REGRESSION_CONTAINERS = 2
HPO_CONTAINERS = 3
ALGORITHM_INDEX = 1
# Only the inverse label transform knows the label names.
ALGORITHM_NEVER = frozenset({"labels"})
# The inverse label transform can add these when the algorithm cannot emit them.
ALGORITHM_OPTIONAL = frozenset({"labels", "probabilities"})
DEFAULT_KEY = "predicted_label"


class ContainerError(ValueError):
    """The candidate's containers cannot serve the requested response keys."""


def normalize_keys(keys: Iterable[str]) -> tuple[str, ...]:
    """Strip blanks and duplicates, keeping the requested order."""
    seen: list[str] = []
    for key in keys:
        text = str(key).strip()
        if text and text not in seen:
            seen.append(text)
    return tuple(seen)


def supported_keys(container: Mapping[str, Any]) -> tuple[str, ...]:
    env = container.get("Environment") or {}
    return normalize_keys(str(env.get(SUPPORTED_ENV, "")).split(","))


def _model_container(container: Mapping[str, Any]) -> dict[str, Any]:
    """The fields CreateModel takes from an AutoML container definition."""
    result: dict[str, Any] = {"Image": container["Image"]}
    if container.get("ModelDataUrl"):
        result["ModelDataUrl"] = container["ModelDataUrl"]
    result["Environment"] = copy.deepcopy(dict(container.get("Environment") or {}))
    return result


def _require_supported(
    containers: Sequence[Mapping[str, Any]], index: int, keys: Iterable[str]
) -> None:
    container = containers[index]
    supported = supported_keys(container)
    for key in keys:
        if key not in supported:
            listed = ", ".join(supported) if supported else f"none (no {SUPPORTED_ENV})"
            raise ContainerError(
                f"{SETTING}: key {key!r} is not supported by container {index} "
                f"({container.get('Image', '?')}) of the best candidate; allowed: {listed}"
            )


def wire_response_keys(
    containers: Sequence[Mapping[str, Any]] | None, keys: Iterable[str]
) -> list[dict[str, Any]]:
    """Return CreateModel container definitions that emit ``keys`` in order.

    The input is left untouched; every other environment variable is kept as is.
    """
    if not containers:
        raise ContainerError("the best candidate has no inference containers")
    wired = [_model_container(c) for c in containers]
    wanted = normalize_keys(keys)
    if not wanted:
        return wired
    if wanted == (DEFAULT_KEY,) and not supported_keys(wired[-1]):
        # The default output of every layout; nothing to select.
        return wired

    if len(wired) == ENSEMBLING_CONTAINERS:
        _require_supported(wired, 0, wanted)
        wired[0]["Environment"][OUTPUT_ENV] = ",".join(wanted)
        return wired

    if len(wired) == HPO_REGRESSION_CONTAINERS:
        if wanted != (DEFAULT_KEY,):
            raise ContainerError(
                f"{SETTING} = {list(wanted)!r}: the best candidate is an HPO regression model "
                "(feature transform and regressor), which returns only its prediction; "
                f"allowed: [{DEFAULT_KEY!r}]"
            )
        _require_supported(wired, len(wired) - 1, wanted)
        wired[-1]["Environment"][OUTPUT_ENV] = DEFAULT_KEY
        return wired

    if len(wired) == HPO_CONTAINERS:
        algorithm_supported = supported_keys(wired[ALGORITHM_INDEX])
        algorithm_keys = tuple(
            key
            for key in wanted
            if key not in ALGORITHM_NEVER
            and (key not in ALGORITHM_OPTIONAL or key in algorithm_supported)
        ) or (DEFAULT_KEY,)
        _require_supported(wired, ALGORITHM_INDEX, algorithm_keys)
        _require_supported(wired, len(wired) - 1, wanted)
        wired[ALGORITHM_INDEX]["Environment"][OUTPUT_ENV] = ",".join(algorithm_keys)
        wired[-1]["Environment"][INPUT_ENV] = ",".join(algorithm_keys)
        wired[-1]["Environment"][OUTPUT_ENV] = ",".join(wanted)
        return wired

    if wanted == (DEFAULT_KEY,):
        return wired
    raise ContainerError(
        f"{SETTING} = {list(wanted)!r}: cannot select response keys on a candidate with "
        f"{len(wired)} containers; known layouts are {ENSEMBLING_CONTAINERS} container "
        f"(ensembling), {HPO_REGRESSION_CONTAINERS} (HPO regression) and {HPO_CONTAINERS} "
        "(HPO classification: feature transform, algorithm, inverse label transform); "
        f"allowed for this candidate: [{DEFAULT_KEY!r}], its default output"
    )
