"""Every rendered object against the Kubernetes API's schemas (kubernetes-validate, strict:
an unknown field is an error too), for the oldest and the newest minor version it ships that
these manifests target."""

from __future__ import annotations

import kubernetes_validate
import pytest

from tests.k8s.kustomize import identity
from tests.k8s.manifests import OVERLAYS, rendered

VERSIONS = ("1.29.0", kubernetes_validate.latest_version())


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("overlay", sorted(OVERLAYS))
def test_rendered_objects_are_valid_kubernetes(overlay: str, version: str) -> None:
    problems = []
    for item in rendered(overlay):
        try:
            kubernetes_validate.validate(item, version, strict=True)
        except (kubernetes_validate.ValidationError, kubernetes_validate.SchemaNotFoundError) as e:
            problems.append(f"{identity(item)}: {e}")
    assert not problems, "\n".join(problems)


def test_the_validator_refuses_an_unknown_field() -> None:
    """strict=True is in force: a misspelt field is caught, not ignored."""
    [service] = [item for item in rendered("single") if identity(item)[1:] == (
        "Service", "polyserve", "flask")]  # fmt: skip
    broken = {**service, "spec": {**service["spec"], "selectr": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)
