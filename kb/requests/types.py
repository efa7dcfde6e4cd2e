"""Request types (software, folder access, equipment, mailboxes...): read from a YAML file, the
bundled ``kb/data/request_types.yaml`` unless the instance has its own, and checked at start so
a wrong file is one line per problem rather than a broken form."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb.config import PRIORITIES
from kb.errors import ConfigError

BUNDLED = Path(__file__).resolve().parent.parent / "data" / "request_types.yaml"
KEY = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELD_TYPES = ("text", "textarea", "select")
APPROVERS = ("none", "manager", "data-owner")
LIMITS = {"text": 300, "textarea": 5000, "select": 100}


@dataclass(frozen=True)
class RequestField:
    """One question of a request form."""

    name: str
    label: str
    type: str = "text"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def limit(self) -> int:
        return LIMITS[self.type]


@dataclass(frozen=True)
class RequestType:
    """A kind of request: its form, who approves it, where it goes and how urgent it is."""

    key: str
    title: str
    summary: str
    group: str
    priority: str
    approver: str  # none | manager | data-owner
    fields: tuple[RequestField, ...]
    # data-owner types: folder path prefix -> the owner's e-mail address
    owners: Mapping[str, str] = field(default_factory=dict)

    @property
    def needs_approval(self) -> bool:
        return self.approver != "none"

    def as_json(self) -> dict[str, Any]:
        """What ``GET /api/v1/request-types`` says of the type: enough to build its form."""
        return {
            "key": self.key,
            "title": self.title,
            "summary": self.summary,
            "group": self.group,
            "priority": self.priority,
            "approver": self.approver,
            "fields": [
                {
                    "name": f.name,
                    "label": f.label,
                    "type": f.type,
                    "required": f.required,
                    "choices": list(f.choices),
                    "help": f.help,
                }
                for f in self.fields
            ],
        }

    def owner_for(self, path: str) -> str:
        """The known data owner of ``path`` (longest matching prefix, case-insensitive)."""
        wanted = path.strip().lower().replace("/", "\\")
        best = ""
        owner = ""
        for prefix, email in self.owners.items():
            key = prefix.lower().replace("/", "\\")
            if wanted.startswith(key) and len(key) > len(best):
                best, owner = key, email
        return owner


def types_file(config: Mapping[str, Any], instance: Path) -> Path:
    """REQUEST_TYPES_FILE (relative to the instance folder) if it exists, else the bundled."""
    name = config.get("REQUEST_TYPES_FILE") or "request_types.yaml"
    path = instance / name
    return path if path.is_file() else BUNDLED


def load_types(
    path: Path, groups: Mapping[str, str], sla_targets: Mapping[str, Any]
) -> dict[str, RequestType]:
    """The request types in ``path`` by key; ConfigError listing every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError([f"{path}: cannot read request types: {error}"]) from None
    types, problems = parse_types(data, groups, sla_targets)
    if problems:
        raise ConfigError([f"{path}: {problem}" for problem in problems])
    return types


def parse_types(
    data: Any, groups: Mapping[str, str], sla_targets: Mapping[str, Any]
) -> tuple[dict[str, RequestType], list[str]]:
    """Every problem at once, each naming the type and field."""
    if not isinstance(data, Mapping) or not isinstance(data.get("types"), list):
        return {}, ["must be a mapping with a list under 'types:'"]
    types: dict[str, RequestType] = {}
    problems: list[str] = []
    for index, item in enumerate(data["types"]):
        where = f"types[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{where}: must be a mapping (key, title, group...)")
            continue
        key = item.get("key")
        if not isinstance(key, str) or not KEY.match(key) or len(key) > 60:
            problems.append(f"{where}: key {key!r} must be lowercase words joined by dashes")
            continue
        where = f"type {key!r}"
        if key in types:
            problems.append(f"{where}: listed twice")
            continue
        found = _type_problems(item, where, groups, sla_targets)
        fields, field_problems = _fields(item.get("fields"), where)
        problems += found + field_problems
        if found or field_problems:
            continue
        types[key] = RequestType(
            key=key,
            title=item["title"].strip(),
            summary=str(item.get("summary") or "").strip(),
            group=item["group"],
            priority=item["priority"],
            approver=item.get("approver") or "none",
            fields=fields,
            owners=dict(item.get("owners") or {}),
        )
    if not types and not problems:
        problems.append("no request types: list at least one, or remove the file")
    return types, problems


def _type_problems(
    item: Mapping[str, Any], where: str, groups: Mapping[str, str], sla: Mapping[str, Any]
) -> list[str]:
    problems = []
    if not isinstance(item.get("title"), str) or not item["title"].strip():
        problems.append(f"{where}: title is required")
    if item.get("group") not in groups:
        problems.append(
            f"{where}: group {item.get('group')!r} is not one of SUPPORT_GROUPS "
            f"({', '.join(groups)})"
        )
    priority = item.get("priority")
    if priority not in PRIORITIES:
        problems.append(f"{where}: priority {priority!r} must be one of {', '.join(PRIORITIES)}")
    elif priority not in sla:
        problems.append(f"{where}: priority {priority} has no SLA_TARGETS entry")
    if (item.get("approver") or "none") not in APPROVERS:
        problems.append(f"{where}: approver must be one of {', '.join(APPROVERS)}")
    owners = item.get("owners") or {}
    if not isinstance(owners, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and "@" in v for k, v in owners.items()
    ):
        problems.append(f"{where}: owners must map a folder path to an e-mail address")
    return problems


def _fields(raw: Any, where: str) -> tuple[tuple[RequestField, ...], list[str]]:
    if not isinstance(raw, list) or not raw:
        return (), [f"{where}: fields must be a list with at least one field"]
    fields: list[RequestField] = []
    problems: list[str] = []
    for index, item in enumerate(raw):
        at = f"{where}, fields[{index}]"
        if not isinstance(item, Mapping):
            problems.append(f"{at}: must be a mapping (name, label, type...)")
            continue
        name, kind = item.get("name"), item.get("type", "text")
        if not isinstance(name, str) or not FIELD_NAME.match(name):
            problems.append(f"{at}: name {name!r} must be lowercase letters, digits and _")
            continue
        at = f"{where}, field {name!r}"
        if any(f.name == name for f in fields):
            problems.append(f"{at}: listed twice")
            continue
        if not isinstance(item.get("label"), str) or not item["label"].strip():
            problems.append(f"{at}: label is required")
        if kind not in FIELD_TYPES:
            problems.append(f"{at}: type {kind!r} must be one of {', '.join(FIELD_TYPES)}")
            continue
        choices = item.get("choices") or []
        if kind == "select" and (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, str) and c.strip() for c in choices)
        ):
            problems.append(f"{at}: a select needs choices, a list of words")
        elif kind != "select" and choices:
            problems.append(f"{at}: only a select has choices")
        if problems and problems[-1].startswith(at):
            continue
        fields.append(
            RequestField(
                name=name,
                label=item["label"].strip(),
                type=kind,
                required=bool(item.get("required", False)),
                choices=tuple(choices),
                help=str(item.get("help") or "").strip(),
            )
        )
    return tuple(fields), problems


def install(kb: Any) -> None:
    """Load and check the request types at start; the app does not start with a wrong file."""
    kb.services["request_types"] = load_types(
        types_file(kb.config, kb.instance_path),
        kb.config.get("SUPPORT_GROUPS") or {},
        kb.config.get("SLA_TARGETS") or {},
    )


def request_types(kb: Any) -> dict[str, RequestType]:
    return kb.services["request_types"]
