"""Use cases: each loads what it needs, calls the domain, saves and audits in one transaction."""
