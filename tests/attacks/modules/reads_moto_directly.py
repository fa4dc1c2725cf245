"""Hostile: reads the lab's table straight from the sandbox's moto server ({{MOTO}}, any credentials work there),
past the grader's endpoint that counts DynamoDB calls: every get_product would read the table unseen, and "a hit
makes zero DynamoDB reads" would hold for a module without a cache. Where the direct read fails it falls back to the
correct core; update_product raises with what the direct read did. Honest verdict: the module's network reaches only
its endpoint and Redis, so the direct read never connects and the honest path is graded."""

import os

import _cache
import boto3
from botocore.config import Config

_direct = boto3.resource(
    "dynamodb",
    endpoint_url="{{MOTO}}",
    region_name=os.environ.get("AWS_REGION", "us-east-1"),
    aws_access_key_id="labgrader",
    aws_secret_access_key="labgrader",  # noqa: S106 - moto's public dummy key
    config=Config(connect_timeout=1, read_timeout=2, retries={"total_max_attempts": 1}),
).Table(os.environ["LAB_TABLE"])


def _read_directly(category, sku):
    try:
        return "read", _direct.get_item(Key={"category": category, "sku": sku}).get("Item")
    except Exception as exc:  # noqa: BLE001
        return type(exc).__name__, None


def get_product(category, sku):
    how, item = _read_directly(category, sku)
    return item if how == "read" else _cache.get_product(category, sku)


def update_product(category, sku, changes):
    raise RuntimeError(f"direct read from moto: {_read_directly(category, sku)[0]}")
