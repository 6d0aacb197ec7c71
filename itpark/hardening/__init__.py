"""Host hardening: what each security level turns on (data), running site.yml, and evidence files."""
