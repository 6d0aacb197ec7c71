"""The Pulumi shell: program (plan -> components), stacks of a park, offline manifest under mocks, engine."""
