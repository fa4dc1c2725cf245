"""DynamoDB: lookups, evaluation, hints, scratch items and the fixtures of the DynamoDB checks."""
