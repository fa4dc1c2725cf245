"""labgrader: grades the DynamoDB + ElastiCache (Redis) + cache-aside lab, objective by objective."""

__version__ = "0.1.0"
