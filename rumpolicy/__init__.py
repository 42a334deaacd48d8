"""rumpolicy: lint the authorization chain of Amazon CloudWatch RUM as one system."""

__version__ = "0.1.0"
