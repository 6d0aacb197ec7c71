"""The park spec: pydantic models of stacks/<park>/park.yaml and tenants/*.yaml, and their loader."""

from itpark.spec.loader import LoadedPark, load_park
from itpark.spec.models import (
    ExternalLink,
    Flow,
    Park,
    PortSpec,
    Quotas,
    SharedService,
    Site,
    System,
    Tenant,
    Tier,
)

__all__ = [
    "ExternalLink",
    "Flow",
    "LoadedPark",
    "Park",
    "PortSpec",
    "Quotas",
    "SharedService",
    "Site",
    "System",
    "Tenant",
    "Tier",
    "load_park",
]
