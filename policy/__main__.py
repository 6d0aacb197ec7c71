"""itpark's policy pack. Constructing PolicyPack starts the analyzer server and blocks: run it only via Pulumi
(`pulumi preview --policy-pack policy --policy-pack-config policy/<park>.json`); tests import itpark_policies."""

from itpark_policies import policies, stack_policies
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="itpark", enforcement_level=EnforcementLevel.MANDATORY, policies=[*policies(), *stack_policies()])
