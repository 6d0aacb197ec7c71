"""Spec fields for classification (the facts that set a system's level), the dossier and an old approval.

Facts follow Law 116/2025/QH15 Art 8 and Decree 331/2026/NĐ-CP Art 9 and 11-15; the plan turns them into a
criteria level (itpark.plan.levels). Every field is optional: a missing fact is a warning
(`itpark validate --warnings`), and the dossier shows it as "to be completed".
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

SystemType = Literal["internal", "online-service", "infrastructure", "industrial-control", "other"]
InformationType = Literal["public", "private", "personal", "state-secret"]
Scope = Literal["one-body", "province-or-sector", "nationwide", "international"]
Harm = Literal["harm", "serious", "especially-serious"]
Grade = Literal["special", "I", "II", "III", "IV"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, strict=True)


class Classification(_Strict):
    """The facts that set the level (Decree 331 Art 9, 11-15; Law 116 Art 8). The highest level any fact implies
    applies (Art 8.2)."""

    system_type: SystemType | None = Field(
        None,
        description="Decree 331 Art 9.2: internal (a), online-service for citizens/businesses (b), "
        "infrastructure serving other bodies (c: WAN, shared databases, data centres, cloud), industrial-control (d)",
    )
    information: list[InformationType] = Field(
        default_factory=list, description="Decree 331 Art 9.1: information types it processes"
    )
    administrative_procedures: bool | None = Field(
        None, description="Handles administrative procedures (giải quyết thủ tục hành chính): level 3, Art 13"
    )
    conditional_business: bool | None = Field(
        None, description="Online service in a conditional business line (ngành nghề kinh doanh có điều kiện): level 3"
    )
    personal_data_subjects: int | None = Field(
        None, ge=0, description="Number of subjects whose basic personal data it holds (>= 100,000: level 3)"
    )
    sensitive_data_subjects: int | None = Field(
        None, ge=0, description="Number of subjects whose sensitive personal data it holds (>= 10,000: level 3)"
    )
    infrastructure_scope: Scope | None = Field(
        None,
        description="Infrastructure only: bodies served. one-body: level 2; province-or-sector: 3; nationwide 24/7: "
        "4; international link: 5",
    )
    national_egovernment: bool | None = Field(None, description="A national e-government system: level 4, Art 14")
    national_security_harm: Harm | None = Field(
        None, description="Harm to national security if compromised: harm 3, serious 4, especially-serious 5"
    )
    national_data_storage: bool | None = Field(
        None, description="Central storage of especially important national data: level 5, Art 15"
    )
    construction_grade: Grade | None = Field(
        None, description="Industrial control: grade of the construction works (II-IV: 3, I: 4, special: 5)"
    )
    assigned_level: int | None = Field(
        None, ge=2, le=5, description="Level assigned by the Prime Minister or the MPS risk framework"
    )


class Dossier(_Strict):
    """What the plan cannot know for the dossier's overview (Decree 331 Art 22.3) and level proposal (22.4)."""

    purpose: str = Field("", description="What the system is for")
    purpose_vi: str = ""
    users: str = Field("", description="Who it serves (users, citizens, businesses, other bodies)")
    users_vi: str = ""
    user_count: int | None = Field(None, ge=0, description="Scale: number of users or accounts")
    operator: str = Field("", description="Operating unit (đơn vị vận hành)")
    operator_vi: str = ""
    operator_contact: str = Field("", description="Representative and contact of the operating unit")
    owner_contact: str = Field("", description="Representative and contact of the owner (chủ quản)")
    risks: list[str] = Field(default_factory=list, description="Preliminary identification of the main risks")
    risks_vi: list[str] = Field(default_factory=list)


class Approval(_Strict):
    """An approval the system already holds (a system in transition to the current baseline)."""

    baseline: str = Field(description="Baseline of the approval, e.g. tcvn-11930-2017 (Decree 85/2016)")
    date: Annotated[datetime.date, Strict(False)] = Field(description="Date of the approval decision, YYYY-MM-DD")
    decision: str = Field("", description="Number of the approval decision")
    level: int | None = Field(None, ge=1, le=5, description="Approved level (default: the system's level)")


class Platform(_Strict):
    """The park platform itself: information infrastructure serving many bodies (Decree 331 Art 9.2.c), an
    information system with its own level (at least 3, Art 13), controls and dossier."""

    title: str = "Park platform (shared infrastructure and services)"
    title_vi: str = "Nền tảng hạ tầng dùng chung của khu"
    level: int | None = Field(None, ge=1, le=5, description="Declared level; default: what the criteria imply")
    classification: Classification | None = None
    dossier: Dossier | None = None
