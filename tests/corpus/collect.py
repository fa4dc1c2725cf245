"""Rebuild the corpus from its sources (run by hand, never by the tests): `python -m tests.corpus.collect LOCALSTACK`
with LOCALSTACK a checkout of github.com/localstack/localstack; the AWS CLI's and botocore's examples come from the
installed packages. Each document is stored as it was recorded (LocalStack's placeholders such as <table-name:1>
included), wrapped with where it came from."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import awscli
import botocore

HERE = Path(__file__).parent
APACHE = "Apache-2.0"
LOCALSTACK = "localstack/localstack"

# (file in the LocalStack repo, test id suffix, key in recorded-content, path inside it, operation, corpus name)
LOCALSTACK_DOCUMENTS: list[tuple[str, str, str, tuple[str, ...], str, str]] = []


def _table(file: str, test: str, key: str, field: str, operation: str, name: str) -> None:  # noqa: PLR0917 - a row
    LOCALSTACK_DOCUMENTS.append((file, test, key, (field,), operation, name))


DDB = "tests/aws/services/dynamodb/test_dynamodb.snapshot.json"
CFN = "tests/aws/services/cloudformation/resources/test_dynamodb.snapshot.json"
_table(DDB, "test_table_crud", "create-table", "TableDescription", "CreateTable", "table-crud-creating")
_table(DDB, "test_table_crud", "describe-table", "Table", "DescribeTable", "table-crud-active")
_table(DDB, "test_table_crud", "delete-table", "TableDescription", "DeleteTable", "table-crud-deleting")
for mode in ("PAY_PER_REQUEST", "PROVISIONED"):
    test = f"test_gsi_with_billing_mode[{mode}]"
    _table(DDB, test, "create-table-with-gsi", "TableDescription", "CreateTable", f"gsi-{mode.lower()}-creating")
    _table(DDB, test, "describe-table", "Table", "DescribeTable", f"gsi-{mode.lower()}-active")
_table(DDB, "test_table_warm_throughput", "create-table", "TableDescription", "CreateTable", "warm-creating")
_table(DDB, "test_table_warm_throughput", "describe-table", "Table", "DescribeTable", "warm-active")
_table(DDB, "test_dynamodb_stream_stream_view_type", "create-table", "TableDescription", "CreateTable", "stream-view")
_table(
    DDB,
    "test_transact_write_items_streaming_for_different_tables",
    "create-table-stream",
    "TableDescription",
    "CreateTable",
    "stream-enabled",
)
_table(
    DDB,
    "test_transact_write_items_streaming_for_different_tables",
    "create-table-no-stream",
    "TableDescription",
    "CreateTable",
    "stream-disabled",
)
_table(
    DDB,
    "test_continuous_backup_update",
    "describe-continuous-backup",
    "ContinuousBackupsDescription",
    "DescribeContinuousBackups",
    "pitr-describe",
)
_table(
    DDB,
    "test_continuous_backup_update",
    "update-continuous-backup",
    "ContinuousBackupsDescription",
    "UpdateContinuousBackups",
    "pitr-update",
)
for test, name in (
    ("test_default_name_for_table", "cfn-default-name"),
    ("test_billing_mode_as_conditional[PROVISIONED]", "cfn-provisioned"),
    ("test_billing_mode_as_conditional[PAY_PER_REQUEST]", "cfn-pay-per-request"),
    ("test_global_table", "cfn-global-table"),
    ("test_table_with_ttl_and_sse", "cfn-ttl-and-sse"),
    ("test_global_table_with_ttl_and_sse", "cfn-global-ttl-and-sse"),
):
    _table(CFN, test, "table_description", "Table", "DescribeTable", name)
_table(CFN, "test_ttl_cdk", "table", "TimeToLiveDescription", "DescribeTimeToLive", "cfn-ttl-cdk")
_table(
    "tests/aws/services/dynamodbstreams/test_dynamodb_streams.snapshot.json",
    "test_table_v2_stream",
    "global-table-v2",
    "Table",
    "DescribeTable",
    "streams-global-table-v2",
)
_table(
    "tests/aws/scenario/loan_broker/test_loan_broker.snapshot.json",
    "test_prefill_dynamodb_table",
    "describe_table",
    "Table",
    "DescribeTable",
    "loan-broker",
)
_table(
    "tests/aws/scenario/note_taking/test_note_taking.snapshot.json",
    "test_validate_infra_setup",
    "resource_table",
    "Table",
    "DescribeTable",
    "note-taking",
)
LAMBDA_ESM = "tests/aws/services/lambda_/event_source_mapping/test_lambda_integration_dynamodbstreams.snapshot.json"
_table(
    LAMBDA_ESM,
    "test_dynamodb_event_source_mapping_with_on_failure_destination_config",
    "update_table_response",
    "TableDescription",
    "UpdateTable",
    "esm-stream-updating",
)
_table(
    "tests/aws/services/lambda_/test_lambda_api.snapshot.json",
    "test_event_source_mapping_lifecycle",
    "update_table_response",
    "TableDescription",
    "UpdateTable",
    "lambda-stream-updating",
)
_table(
    "tests/aws/services/cloudformation/resource_providers/ec2/test_ec2_resource_provider.snapshot.json",
    "test_deploy_security_group_with_tags",
    "security-group",
    "",
    "DescribeSecurityGroups",
    "cfn-tagged-group",
)

# (service folder, CLI command, "Output::" block index, operation, corpus name)
CLI_DOCUMENTS = [
    ("dynamodb", "describe-table", 0, "DescribeTable", "cli-describe-table"),
    ("dynamodb", "describe-time-to-live", 0, "DescribeTimeToLive", "cli-describe-time-to-live"),
    ("dynamodb", "describe-continuous-backups", 0, "DescribeContinuousBackups", "cli-describe-continuous-backups"),
    ("dynamodb", "delete-table", 0, "DeleteTable", "cli-delete-table"),
    *(("dynamodb", "create-table", i, "CreateTable", f"cli-create-table-{i + 1}") for i in range(10)),
    *(("dynamodb", "update-table", i, "UpdateTable", f"cli-update-table-{i + 1}") for i in range(4)),
    # ec2 describe-security-groups: its first Output:: block is valid JSON but for one trailing comma (REPAIRED);
    # the others are --query projections, not DescribeSecurityGroups answers.
    ("ec2", "describe-security-groups", 0, "DescribeSecurityGroups", "cli-describe-security-groups"),
    ("elasticache", "describe-replication-groups", 0, "DescribeReplicationGroups", "cli-describe-replication-groups"),
    ("elasticache", "test-failover", 0, "TestFailover", "cli-test-failover-cluster-mode"),
    (
        "elasticache",
        "modify-replication-group-shard-configuration",
        0,
        "ModifyReplicationGroupShardConfiguration",
        "cli-modify-shard-configuration",
    ),
    ("elasticache", "describe-cache-clusters", 0, "DescribeCacheClusters", "cli-describe-cache-clusters"),
    ("elasticache", "describe-snapshots", 0, "DescribeSnapshots", "cli-describe-snapshots"),
    ("elasticache", "describe-cache-parameters", 0, "DescribeCacheParameters", "cli-describe-cache-parameters"),
]
# Documented outputs that are not valid JSON only because of a trailing comma before a closing brace or bracket: the
# comma is removed (exactly one, else the document is skipped) and the source's note says so. Nothing else changes.
REPAIRED = {("ec2", "describe-security-groups", 0)}
TRAILING_COMMA = re.compile(r",(\s*[}\]])")
# (botocore service folder, operation, example index, corpus name)
API_DOCUMENTS = [
    ("dynamodb/2012-08-10", "DescribeTable", 0, "api-describe-table"),
    ("elasticache/2015-02-02", "DescribeReplicationGroups", 0, "api-describe-replication-groups"),
    ("elasticache/2015-02-02", "DescribeCacheClusters", 0, "api-describe-cache-clusters-1"),
    ("elasticache/2015-02-02", "DescribeCacheClusters", 1, "api-describe-cache-clusters-2"),
    ("elasticache/2015-02-02", "DescribeSnapshots", 0, "api-describe-snapshots"),
    ("elasticache/2015-02-02", "DescribeCacheParameters", 0, "api-describe-cache-parameters"),
]
SERVICE = {"DescribeSecurityGroups": "ec2"}


def _service(operation: str, default: str) -> str:
    return SERVICE.get(operation, default)


def write(service: str, operation: str, name: str, source: dict[str, Any], document: Any) -> None:
    folder = HERE / service / operation
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"source": source, "document": document}, indent=2, ensure_ascii=False)
    (folder / f"{name}.json").write_text(text + "\n", encoding="utf-8")


def from_localstack(checkout: Path) -> None:
    commit = subprocess.run(
        ["git", "-C", str(checkout), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    for file, test, key, fields, operation, name in LOCALSTACK_DOCUMENTS:
        recorded = json.loads(
            subprocess.run(
                ["git", "-C", str(checkout), "show", f"HEAD:{file}"], capture_output=True, text=True, check=True
            ).stdout
        )
        entry = next(v for k, v in recorded.items() if k.endswith(f"::{test}"))
        document = entry["recorded-content"][key]
        for field in fields:
            if field:
                document = document[field]
        source = {
            "repository": f"https://github.com/{LOCALSTACK}",
            "commit": commit,
            "path": file,
            "locator": f"{test} / recorded-content / {key}" + (f" / {fields[0]}" if fields[0] else ""),
            "recorded": entry.get("recorded-date"),
            "licence": APACHE,
            "note": "recorded against real AWS by LocalStack's snapshot tests; placeholders (<...>) are LocalStack's",
        }
        default = "elasticache" if "elasticache" in file else "dynamodb"
        write(_service(operation, default), operation, name, source, document)


def cli_outputs(service: str, command: str) -> list[Any]:
    text = (Path(awscli.__file__).parent / "examples" / service / f"{command}.rst").read_text(encoding="utf-8")
    repaired = {index for s, c, index in REPAIRED if (s, c) == (service, command)}
    lines = text.splitlines()
    outputs = []
    for i, line in enumerate(lines):
        if line.strip().replace(" ", "") == "Output::":
            block = []
            for following in lines[i + 1 :]:
                if following.strip() and not following.startswith((" ", "\t")):
                    break
                block.append(following)
            raw = textwrap.dedent("\n".join(block))
            if len(outputs) in repaired:
                raw, removed = TRAILING_COMMA.subn(r"\1", raw)
                raw = raw if removed == 1 else ""
            try:
                outputs.append(json.loads(raw))
            except json.JSONDecodeError:  # text output, or a typo in the documentation: not a document
                outputs.append(None)
    return outputs


def from_cli() -> None:
    for service, command, index, operation, name in CLI_DOCUMENTS:
        source = {
            "repository": "https://github.com/aws/aws-cli",
            "version": awscli.__version__,
            "path": f"awscli/examples/{service}/{command}.rst",
            "locator": f"Output:: block {index + 1}",
            "licence": APACHE,
            "note": "the AWS CLI's documented example output (AWS documentation)"
            + (
                "; one trailing comma removed (after the last member of an object), without which the documented "
                "text is not valid JSON; nothing else changed"
                if (service, command, index) in REPAIRED
                else ""
            ),
        }
        outputs = cli_outputs(service, command)
        if index < len(outputs) and outputs[index] is not None:
            write(service, operation, name, source, outputs[index])
        else:
            print(f"skipped {service} {command} Output:: block {index + 1}: not a JSON document")


def from_botocore() -> None:
    for folder, operation, index, name in API_DOCUMENTS:
        path = Path(botocore.__file__).parent / "data" / folder / "examples-1.json"
        example = json.loads(path.read_text(encoding="utf-8"))["examples"][operation][index]
        source = {
            "repository": "https://github.com/boto/botocore",
            "version": botocore.__version__,
            "path": f"botocore/data/{folder}/examples-1.json",
            "locator": f"examples / {operation} / {index} ({example.get('id')})",
            "licence": APACHE,
            "note": "the AWS API reference's example output, as botocore ships it",
        }
        write(folder.split("/")[0], operation, name, source, example["output"])


if __name__ == "__main__":
    from_localstack(Path(sys.argv[1]))
    from_cli()
    from_botocore()
