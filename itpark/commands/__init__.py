"""Subcommands of `itpark`; one module each, discovered by itpark.cli."""
