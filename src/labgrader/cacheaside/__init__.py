"""Grading the student's cache-aside module: scenarios in forked processes, DynamoDB reads counted in-process,
Redis inspected from the server side. See `harness` (what checks use) and `server` (how scenarios run)."""
