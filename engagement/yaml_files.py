"""Segments and campaigns kept as YAML files in a folder (in version control).

Each `*.yml`/`*.yaml` file holds `segments:`, `campaigns:` and/or `journeys:` lists in
the shapes of engagement/definitions.py and journey_definitions.py. Loading saves every
segment (by name) and creates or updates every campaign (and journey) that has not
started; a started one in a file is left as it is and reported, never changed under its
recipients. Campaigns are created as drafts: sending
is still a person's decision (`switchboard campaigns schedule`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from engagement.campaign_actions import create_campaign, save_segment
from engagement.definitions import CampaignDefinition, SegmentDefinition, first_problem
from engagement.errors import CampaignStateError, InvalidCampaign
from engagement.journey_definitions import JourneyDefinition

__all__ = ["LoadReport", "load_folder"]


@dataclass
class LoadReport:
    segments: list[str] = field(default_factory=list)
    campaigns: list[str] = field(default_factory=list)
    journeys: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def load_folder(session: Session, folder: Path) -> LoadReport:
    report = LoadReport()
    files = sorted([*folder.glob("*.yml"), *folder.glob("*.yaml")])
    documents = []
    for path in files:
        try:
            data = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            report.problems.append(f"{path.name}: not YAML: {exc}")
            continue
        if not isinstance(data, dict) or set(data) - {"segments", "campaigns", "journeys"}:
            report.problems.append(
                f"{path.name}: a mapping of segments:, campaigns: and journeys: lists"
            )
            continue
        documents.append((path, data))
    for path, data in documents:  # every segment first: a campaign may name any of them
        for item in data.get("segments") or []:
            try:
                report.segments.append(
                    save_segment(session, SegmentDefinition.model_validate(item)).name
                )
            except ValidationError as exc:
                report.problems.append(f"{path.name}: segment {_name(item)}: {first_problem(exc)}")
    kinds: list[tuple[str, type[CampaignDefinition] | type[JourneyDefinition], list[str]]] = [
        ("campaign", CampaignDefinition, report.campaigns),
        ("journey", JourneyDefinition, report.journeys),
    ]
    for kind, shape, loaded in kinds:
        for path, data in documents:
            for item in data.get(f"{kind}s") or []:
                try:
                    definition = shape.model_validate(item)
                    create_campaign(session, definition, source=f"yaml:{path.name}")
                    loaded.append(definition.name)
                except ValidationError as exc:
                    problem = first_problem(exc)
                    report.problems.append(f"{path.name}: {kind} {_name(item)}: {problem}")
                except (InvalidCampaign, CampaignStateError) as exc:
                    report.problems.append(f"{path.name}: {kind} {_name(item)}: {exc}")
    return report


def _name(item: object) -> str:
    return repr(item.get("name")) if isinstance(item, dict) else "?"
