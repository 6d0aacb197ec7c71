"""Pulumi entry point: the stack's `itpark:*` config names the park and the layer; see docs/pulumi.md."""

from itpark.pulumi.program import main

main()
