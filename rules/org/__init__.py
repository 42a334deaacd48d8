"""Organization-level blockers (live audits): service control policies (RUM-IAM-ORG)."""
