from __future__ import annotations

import re
import uuid

import pytest

from labgrader.spec import RedisKeySpec
from tests.conftest import replace_section

CHECK = "redis_exercise_state"
pytestmark = pytest.mark.sandbox


@pytest.fixture
def own_keys(solved, sandbox_primary):
    """The lab's two keys renamed for this test (the shared reference keys stay untouched), deleted after."""
    suffix = uuid.uuid4().hex[:6]
    hello, session = f"lab:hello:{suffix}", f"lab:session:{suffix}"
    spec = replace_section(
        solved,
        "redis",
        keys=[RedisKeySpec(name=hello, value="world"), RedisKeySpec(name=session, ttl=True, max_ttl=3600)],
    )
    sandbox_primary.set(hello, "world")
    sandbox_primary.set(session, '{"user": "student"}', ex=1800)
    yield spec, hello, session
    sandbox_primary.delete(hello, session)


def test_passes_on_the_reference_solution(redis_reference):
    result = redis_reference.get(CHECK)
    assert result.status == "pass", result.message
    assert "lab:hello = 'world', has no TTL" in result.message
    assert "lab:session:1 = " in result.message


def test_own_keys_pass_as_set(own_keys, local_target, grade):
    spec, _hello, _session = own_keys
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_with_a_wrong_hello(own_keys, sandbox_primary, local_target, grade, run_hint):
    spec, hello, _session = own_keys
    sandbox_primary.set(hello, "World")
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"{hello} = 'World', expected 'world'" in result.message
    assert f'redis-cli -u "$REDIS_URL" SET {hello} world' in result.hint_commands
    run_hint(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_session_has_no_ttl(own_keys, sandbox_primary, local_target, grade, run_hint):
    spec, _hello, session = own_keys
    sandbox_primary.persist(session)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert result.message.endswith(f": {session} has no TTL, expected a TTL of at most 3600 s.")
    assert f'redis-cli -u "$REDIS_URL" SET {session} \'{{"user": "student"}}\' EX 1800' in result.hint_commands
    run_hint(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_the_session_lives_too_long(own_keys, sandbox_primary, local_target, grade, run_hint):
    spec, _hello, session = own_keys
    sandbox_primary.expire(session, 7200)
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    # Redis counts the TTL down in whole seconds: a second may pass between EXPIRE and the check's TTL.
    assert re.search(rf"{re.escape(session)} expires in (7198|7199|7200) s, expected at most 3600 s", result.message)
    run_hint(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_fails_when_a_key_is_missing_or_of_another_type(own_keys, sandbox_primary, local_target, grade, run_hint):
    spec, hello, session = own_keys
    sandbox_primary.delete(hello)
    sandbox_primary.delete(session)
    sandbox_primary.hset(session, "user", "student")
    result = grade(spec, local_target, only={CHECK}).get(CHECK)
    assert result.status == "fail"
    assert f"{hello} does not exist; {session} has no TTL" in result.message
    run_hint(result)
    assert grade(spec, local_target, only={CHECK}).get(CHECK).status == "pass"


def test_errors_when_redis_is_down(redis_unreachable):
    result = redis_unreachable.get(CHECK)
    assert result.status == "error"
    assert "could not reach Redis" in result.message
