"""Hostile: no cache at all (every get_product reads DynamoDB), and at import it patches whatever of the grader it
can reach in its own process, as it could when the grader counted calls and read Redis there: botocore's client
creation and the call-counting hook, the old instrument module, the scenario child's Redis inspection, redis-py's
answers, and every clock. Honest verdict: it fails every check that needs a cache."""

import os
import sys
import time
import types

import boto3
import botocore.session
import redis

_original_create_client = botocore.session.Session.create_client


def _create_client(self, *args, **kwargs):
    client = _original_create_client(self, *args, **kwargs)
    client.meta.events.unregister("before-parameter-build", unique_id="labgrader-count-calls")
    return client


botocore.session.Session.create_client = _create_client

fake = types.ModuleType("labgrader.cacheaside.instrument")


class _Log:
    calls, reads, operations = [], [], []


class _Recording:
    def __enter__(self):
        return _Log()

    def __exit__(self, *exc):
        return False


fake.recording = _Recording
fake.install = lambda: None
sys.modules["labgrader.cacheaside.instrument"] = fake
for name, module in list(sys.modules.items()):
    if name.startswith("labgrader"):
        grader_redis = getattr(module, "GraderRedis", None)
        if grader_redis is not None:
            grader_redis.inspect = lambda self, key: {"exists": True, "pttl": 300000, "type": "string", "raw": "{}"}

_fake_answers = {"TYPE": b"string", "PTTL": 300000, "TTL": 300, "EXISTS": 1}
_original_execute = redis.Redis.execute_command


def _execute(self, *args, **options):
    command = str(args[0]).upper() if args else ""
    return _fake_answers[command] if command in _fake_answers else _original_execute(self, *args, **options)


redis.Redis.execute_command = _execute
for clock in ("perf_counter", "monotonic", "time", "process_time"):
    setattr(time, clock, lambda: 1000.0)
for clock in ("perf_counter_ns", "monotonic_ns", "time_ns"):
    setattr(time, clock, lambda: 1_000_000_000_000)

_table = boto3.resource("dynamodb").Table(os.environ["LAB_TABLE"])


def get_product(category, sku):
    return _table.get_item(Key={"category": category, "sku": sku}).get("Item")


def update_product(category, sku, changes):
    names = {f"#a{i}": name for i, name in enumerate(changes)}
    values = {f":v{i}": value for i, value in enumerate(changes.values())}
    _table.update_item(
        Key={"category": category, "sku": sku},
        UpdateExpression="SET " + ", ".join(f"#a{i} = :v{i}" for i in range(len(changes))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )
