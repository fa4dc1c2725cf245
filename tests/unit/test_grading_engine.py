"""The grading engine (plugin + session + results) on crafted check folders: statuses, scoring, exit codes,
marker validation, selection, teardown problems and interruptions."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from labgrader import paths
from labgrader.engine import catalog, runner
from labgrader.engine.results import CheckResult, exit_code_for
from labgrader.spec import load_spec, parse_spec
from labgrader.targets.base import Target

TARGET = Target(name="local", region="us-east-1", region_source="test", endpoint_url="http://127.0.0.1:9")
HEADER = (
    "from labgrader.engine.check import check\n"
    "from labgrader.engine.verdict import fail, passed, pending, not_applicable\n"
)


def _check(check_id: str, body: str, *, points: float = 3, extra: str = "", args: str = "lab") -> str:
    return (
        HEADER
        + textwrap.dedent(f"""
        @check({check_id!r}, points={points}, objective="An objective.", hint="do {{lab.lab.name}} {{region}}"{extra})
        def {check_id}({args}):
        """)
        + textwrap.indent(textwrap.dedent(body).strip(), "    ")
        + "\n"
    )


def _folder(tmp_path: Path, files: dict[str, str]) -> Path:
    checks = tmp_path / "checks"
    for name, text in files.items():
        path = checks / catalog.BY_ID[name.split("#")[0]].section / f"{name.split('#')[-1]}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return checks


def _grade(tmp_path: Path, files: dict[str, str], spec=None, **kwargs):  # type: ignore[no-untyped-def]
    return runner.grade(
        spec or load_spec(paths.default_lab_spec()),
        TARGET,
        out_dir=tmp_path / "out",
        checks_dir=_folder(tmp_path, files),
        **kwargs,
    )


def test_results_json_has_every_catalog_id_once_with_scores_and_statuses(tmp_path: Path) -> None:
    run = _grade(
        tmp_path,
        {
            "dynamodb_table_exists": _check("dynamodb_table_exists", "return passed('DynamoDB table T exists.')"),
            "dynamodb_ttl_enabled": _check(
                "dynamodb_ttl_enabled", "fail('TTL is off.', observed='DISABLED')", points=4
            ),
            "dynamodb_gsi_configured": _check("dynamodb_gsi_configured", "pending('GSI is CREATING.')"),
            "dynamodb_pitr_enabled": _check("dynamodb_pitr_enabled", "fail('PITR off.')", points=0),
            "redis_reachable": _check("redis_reachable", "raise RuntimeError('boom')", points=2),
        },
    )
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    ids = [c["id"] for c in data["checks"]]
    assert ids == catalog.ids_for_phase("grade")
    by_id = {c["id"]: c for c in data["checks"]}
    assert by_id["dynamodb_table_exists"] | {"duration_s": 0} == by_id["dynamodb_table_exists"] | {
        "status": "pass",
        "points": 3.0,
        "max_points": 3.0,
        "required": True,
        "hint": "",
        "duration_s": 0,
        "message": "DynamoDB table T exists.",
    }
    ttl = by_id["dynamodb_ttl_enabled"]
    assert (ttl["status"], ttl["points"], ttl["max_points"]) == ("fail", 0.0, 4.0)
    assert ttl["hint"] == "do week8 us-east-1"
    assert ttl["evidence"] == {"observed": "DISABLED"}
    assert by_id["dynamodb_gsi_configured"]["status"] == "pending"
    pitr = by_id["dynamodb_pitr_enabled"]
    assert (pitr["status"], pitr["required"], pitr["max_points"]) == ("fail", False, 0.0)
    boom = by_id["redis_reachable"]
    assert boom["status"] == "error"
    assert "unexpected RuntimeError" in boom["message"]
    missing = by_id["cache_aside_ttl_set"]
    assert missing["status"] == "error"
    assert "no check implementing" in missing["message"]
    assert data["score"] == 3.0
    assert data["max_score"] == sum(c["max_points"] for c in data["checks"])
    assert data["exit_code"] == run.exit_code == 1


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([("pass", True)], 0),
        ([("pass", True), ("skip", True)], 0),
        ([("pass", True), ("fail", False)], 0),  # advisory
        ([("error", True), ("fail", True)], 1),
        ([("error", True), ("pass", True)], 3),
        ([("pending", True)], 3),
    ],
)
def test_exit_codes(statuses: list[tuple[str, bool]], expected: int) -> None:
    results = [
        CheckResult(f"c{i}", s, 0, 1, required, "m", "", {}, 0.0)  # type: ignore[arg-type]
        for i, (s, required) in enumerate(statuses)
    ]
    assert exit_code_for(results) == expected


def test_missing_sections_skip_as_not_part_of_this_lab(tmp_path: Path) -> None:
    spec = load_spec(paths.labs_dir() / "fcj-music.toml")
    run = _grade(tmp_path, {"redis_reachable": _check("redis_reachable", "return passed('ok')")}, spec=spec)
    result = run.get("redis_reachable")
    assert result.status == "skip"
    assert result.message == "not part of this lab (the lab spec has no [redis] section)"
    assert result.max_points == 0


def test_missing_capability_skips_with_the_targets_reason(tmp_path: Path) -> None:
    import dataclasses

    target = dataclasses.replace(TARGET, unavailable={"sentinel": "no sentinel in this place"})
    run = runner.grade(
        load_spec(paths.default_lab_spec()),
        target,
        out_dir=tmp_path / "out",
        checks_dir=_folder(
            tmp_path,
            {
                "redis_failover_recovers": _check(
                    "redis_failover_recovers", "return passed('ok')", extra=", requires=('sentinel',)"
                )
            },
        ),
    )
    assert run.get("redis_failover_recovers").message == "not possible on the local target: no sentinel in this place"


def test_spec_overrides_points_required_and_visibility(tmp_path: Path) -> None:
    text = (
        paths.default_lab_spec()
        .read_text()
        .replace('path = "../data/batch"', f'path = "{paths.fixtures_dir() / "data" / "batch"}"')
    )
    import tomllib

    data = tomllib.loads(text)
    data["checks"] = {
        "dynamodb_table_exists": {"points": 10, "visibility": "hidden"},
        "dynamodb_ttl_enabled": {"required": False},
    }
    spec = parse_spec(data)
    run = _grade(
        tmp_path,
        {
            "dynamodb_table_exists": _check("dynamodb_table_exists", "return passed('ok')"),
            "dynamodb_ttl_enabled": _check("dynamodb_ttl_enabled", "fail('off')"),
        },
        spec=spec,
        only=frozenset({"dynamodb_table_exists", "dynamodb_ttl_enabled"}),
    )
    assert (run.get("dynamodb_table_exists").max_points, run.get("dynamodb_table_exists").visibility) == (10, "hidden")
    assert run.get("dynamodb_ttl_enabled").required is False
    assert run.exit_code == 0


def test_only_and_k_selection_report_the_rest_as_not_selected(tmp_path: Path) -> None:
    files = {
        "dynamodb_table_exists": _check("dynamodb_table_exists", "return passed('ok')"),
        "dynamodb_ttl_enabled": _check("dynamodb_ttl_enabled", "return passed('ok')"),
    }
    run = _grade(tmp_path, files, extra_args=["-k", "ttl"])
    assert run.get("dynamodb_ttl_enabled").status == "pass"
    assert run.get("dynamodb_table_exists").status == "skip"
    assert run.get("dynamodb_table_exists").message == "not selected by the pytest arguments of this run"


def test_a_failing_cleanup_turns_a_pass_into_an_error(tmp_path: Path) -> None:
    conftest = textwrap.dedent("""
        import pytest

        @pytest.fixture
        def scratch_item():
            yield "item"
            raise ConnectionError("could not delete the scratch item")
        """)
    checks = _folder(
        tmp_path,
        {
            "dynamodb_crud_roundtrip": _check(
                "dynamodb_crud_roundtrip", "return passed('round trip ok')", args="scratch_item"
            )
        },
    )
    (checks / "dynamodb" / "conftest.py").write_text(conftest)
    run = runner.grade(load_spec(paths.default_lab_spec()), TARGET, out_dir=tmp_path / "out", checks_dir=checks)
    result = run.get("dynamodb_crud_roundtrip")
    assert result.status == "error"
    assert "Cleaning up after the check failed" in result.message


def test_an_interrupted_run_still_writes_every_id(tmp_path: Path) -> None:
    run = _grade(
        tmp_path,
        {
            "dynamodb_table_exists": _check("dynamodb_table_exists", "raise KeyboardInterrupt"),
            "dynamodb_ttl_enabled": _check("dynamodb_ttl_enabled", "return passed('ok')"),
        },
    )
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["interrupted"] is True
    assert len(data["checks"]) == len(catalog.ids_for_phase("grade"))
    assert run.get("dynamodb_ttl_enabled").status == "error"
    assert "interrupted" in run.get("dynamodb_ttl_enabled").message


@pytest.mark.parametrize(
    ("decorator", "complaint"),
    [
        ('@check("dynamodb_ttl_enable", points=1, objective="o", hint="h")', "is not in the catalog"),
        ('@check("dynamodb_pitr_enabled", points=2, objective="o", hint="h")', "is advisory"),
        ('@check("dynamodb_ttl_enabled", points=-1, objective="o", hint="h")', "points must be a number >= 0"),
        ('@check("dynamodb_ttl_enabled", points=1, objective="o", hint=" ")', "hint must be a non-empty sentence"),
        ('@check("dynamodb_ttl_enabled", points=1, objective="o", hint="h", requires=("gpu",))', "unknown capability"),
    ],
)
def test_invalid_check_metadata_is_a_usage_error_naming_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], decorator: str, complaint: str
) -> None:
    source = HEADER + f"\n{decorator}\ndef some_check(lab):\n    return passed('ok')\n"
    with pytest.raises(runner.GradingUsageError):
        _grade(tmp_path, {"dynamodb_ttl_enabled#some_check": source})
    err = capsys.readouterr().err
    assert complaint in err
    assert err.count("ERROR:") == 1


def test_two_checks_with_one_id_are_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = _check("dynamodb_ttl_enabled", "return passed('ok')")
    twice = body + body.removeprefix(HEADER).replace("def dynamodb_ttl_enabled(", "def dynamodb_ttl_enabled_again(")
    with pytest.raises(runner.GradingUsageError):
        _grade(tmp_path, {"dynamodb_ttl_enabled": twice})
    assert "two checks declare id 'dynamodb_ttl_enabled'" in capsys.readouterr().err


def test_a_check_lives_in_the_file_named_after_its_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(runner.GradingUsageError):
        _grade(tmp_path, {"dynamodb_ttl_enabled#ttl": _check("dynamodb_ttl_enabled", "return passed('ok')")})
    err = capsys.readouterr().err
    assert "declares check id 'dynamodb_ttl_enabled' in ttl.py" in err
    assert "checks/dynamodb/dynamodb_ttl_enabled.py); rename the file." in err
    assert err.count("ERROR:") == 1


def test_results_json_that_cannot_be_written_is_one_error_after_pytest(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A disk that refuses results.json (here: the report folder's parent is a file) must not surface inside pytest
    as an INTERNALERROR dump: runner.grade raises the one-line OutputError once pytest has finished."""
    from labgrader.engine.outdir import OutputError

    (tmp_path / "taken").write_text("a file where the report folder should go")
    with pytest.raises(OutputError) as raised:
        runner.grade(
            load_spec(paths.default_lab_spec()),
            TARGET,
            out_dir=tmp_path / "taken" / "out",
            checks_dir=_folder(
                tmp_path, {"dynamodb_table_exists": _check("dynamodb_table_exists", "return passed('ok')")}
            ),
        )
    assert str(raised.value).startswith(f"cannot write {tmp_path}/taken/out/results.json: ")
    assert raised.value.exit_code == 3
    captured = capfd.readouterr()
    assert "INTERNALERROR" not in captured.out + captured.err
