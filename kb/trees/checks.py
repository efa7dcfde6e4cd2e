"""Automated checks: what a check is, and the per-app registry built from
``kb_register_checks``. Only technicians run them (policy ``check.run``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from kb.errors import PluginError
from kb.hooks import collect_by_plugin

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Param:
    """One parameter of a check: its type (``str`` or ``int``), whether it is required."""

    type: type
    required: bool = True
    help: str = ""


@dataclass(frozen=True)
class CheckResult:
    outcome: str  # pass | fail | error
    detail: str = ""


class Check(Protocol):
    name: str
    description: str
    params: Mapping[str, Param]

    def run(self, params: dict[str, Any], timeout: float) -> CheckResult: ...


def registered_checks(kb: Any) -> dict[str, Check]:
    """The app's checks by name, collected once; duplicate names fail loudly."""
    cached = kb.services.get("checks")
    if cached is not None:
        return cached
    checks: dict[str, Check] = {}
    owners: dict[str, str] = {}
    for plugin_name, check in collect_by_plugin(kb.pm, "kb_register_checks", kb=kb):
        name = getattr(check, "name", None)
        if not isinstance(name, str) or not callable(getattr(check, "run", None)):
            raise PluginError(f"plugin {plugin_name!r} registered a check without a name")
        if name in checks:
            raise PluginError(
                f"check {name!r} is registered by both {owners[name]!r} and "
                f"{plugin_name!r}; disable one of them (DISABLED_PLUGINS)"
            )
        checks[name] = check
        owners[name] = plugin_name
    kb.services["checks"] = checks
    return checks


def check_specs(kb: Any) -> dict[str, dict[str, bool]]:
    """Each check's parameter names and whether they are required, for validation."""
    return {
        name: {param: spec.required for param, spec in check.params.items()}
        for name, check in registered_checks(kb).items()
    }


def coerce_params(check: Check, params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the check's declared types; ValueError names the bad one."""
    result: dict[str, Any] = {}
    for name, spec in check.params.items():
        if name not in params:
            if spec.required:
                raise ValueError(f"missing parameter {name!r}")
            continue
        value = params[name]
        try:
            result[name] = spec.type(value)
        except (TypeError, ValueError):
            raise ValueError(f"parameter {name!r} must be {spec.type.__name__}") from None
    return result


def run_check(kb: Any, name: str, params: dict[str, Any]) -> CheckResult:
    """Run a registered check with the configured timeout; never raises."""
    check = registered_checks(kb).get(name)
    if check is None:
        return CheckResult("error", f"no check named {name!r} is installed")
    try:
        values = coerce_params(check, params)
    except ValueError as error:
        return CheckResult("error", str(error))
    timeout = float(kb.config.get("CHECK_TIMEOUT_SECONDS", 5.0))
    try:
        result = check.run(values, timeout)
    except Exception as error:  # a broken check must not break the session
        log.exception("check %s failed", name)
        return CheckResult("error", f"the check failed: {error}")
    if result.outcome not in ("pass", "fail", "error"):
        return CheckResult("error", f"the check answered {result.outcome!r}")
    return result
