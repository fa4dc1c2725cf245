"""ElastiCache: the API view of the lab, evaluation, hints, AWS TestFailover and the fixtures."""
