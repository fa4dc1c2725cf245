"""Redis: connections, evaluation, scratch keys and the fixtures of the Redis checks."""
