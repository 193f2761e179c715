"""QA-6: nothing is created but never wired, in any stack of any environment (and in the NAT cost mode).

Every later issue keeps this green: a new security group, role, key, secret, target group, log group,
topic or health check must be referred to by what uses it, by an output or by a data source, or be
listed in tests/unwired_allowlist.yaml with the reason nothing refers to it.
"""

from __future__ import annotations

import pytest

from tests.support.wiring import WATCHED, Unwired, load_allowlist, unwired

VARIANTS = ["dev", "staging", "prod", "dev-nat-instances", "dev-deployed"]


def _unwired_in(synthesized) -> list[Unwired]:
    return [item for name, stack in synthesized.stacks.items() for item in unwired(name, stack)]


@pytest.mark.req("QA-6")
@pytest.mark.parametrize("variant", VARIANTS)
def test_every_watched_resource_is_wired_or_allowed_with_a_reason(every_variant, variant):
    # GIVEN every synthesized stack of the environment WHEN the walk looks for unreferenced resources
    allowed = load_allowlist()
    found = [item for item in _unwired_in(every_variant[variant]) if not any(a.covers(item) for a in allowed)]
    # THEN each one is used by something, or the allow-list says why not
    assert [str(item) for item in found] == []


@pytest.mark.req("QA-6")
def test_no_allowlist_entry_outlives_its_resource(every_variant):
    found = [item for variant in VARIANTS for item in _unwired_in(every_variant[variant])]
    stale = [entry for entry in load_allowlist() if not any(entry.covers(item) for item in found)]
    assert stale == [], "delete these from tests/unwired_allowlist.yaml"


@pytest.mark.req("QA-6")
def test_the_walk_sees_the_watched_resources_of_the_regional_stacks(every_variant):
    primary = every_variant["dev-nat-instances"].stack("primary")["resource"]
    watched = {type_: len(primary.get(type_, {})) for type_ in WATCHED}
    # the region's 12 keys and the key of the database secrets' replicas in the secondary region (DC-3)
    assert watched["aws_kms_key"] == 13 and watched["aws_sns_topic"] == 2  # alerts, payment events
    assert watched["aws_security_group"] == 8  # endpoints, NAT instances; alb, app, rotation, db, cache, efs tiers
    assert watched["aws_iam_role"] >= 1 and watched["aws_cloudwatch_log_group"] >= 1


def _stack(**resources) -> dict:
    return {"resource": resources}


KEY = {"k": {"description": "a key"}}
ALIAS = {"a": {"target_key_id": "${aws_kms_key.k.key_id}"}}
GROUPS = {"g": {"name": "g"}, "h": {"name": "h"}}
RULE = {
    "r": {
        "security_group_id": "${aws_security_group.g.id}",
        "referenced_security_group_id": "${aws_security_group.h.id}",
    }
}


WALK_CASES = [
    ("key named only by its alias", _stack(aws_kms_key=KEY, aws_kms_alias=ALIAS), ["aws_kms_key.k"]),
    ("key in an output", {**_stack(aws_kms_key=KEY), "output": {"o": {"value": "${aws_kms_key.k.arn}"}}}, []),
    (
        "groups named only by rules",
        _stack(aws_security_group=GROUPS, aws_vpc_security_group_ingress_rule=RULE),
        ["aws_security_group.g", "aws_security_group.h"],
    ),
    (
        "group used by an endpoint",
        _stack(
            aws_security_group={"g": {}}, aws_vpc_endpoint={"e": {"security_group_ids": ["${aws_security_group.g.id}"]}}
        ),
        [],
    ),
    (
        "role only in depends_on",
        _stack(aws_iam_role={"r": {}}, aws_instance={"i": {"depends_on": ["aws_iam_role.r"]}}),
        ["aws_iam_role.r"],
    ),
    ("role naming itself", _stack(aws_iam_role={"r": {"description": "${aws_iam_role.r.name}"}}), ["aws_iam_role.r"]),
    (
        "log group read by a data source",
        {
            **_stack(aws_cloudwatch_log_group={"l": {}}),
            "data": {"aws_x": {"d": {"n": "${aws_cloudwatch_log_group.l.name}"}}},
        },
        [],
    ),
    (
        "a data source of the same type and name is not the resource",
        {**_stack(aws_sns_topic={"t": {}}), "output": {"o": {"value": "${data.aws_sns_topic.t.arn}"}}},
        ["aws_sns_topic.t"],
    ),
]


@pytest.mark.req("QA-6")
@pytest.mark.parametrize("case,stack,expected", WALK_CASES, ids=[c[0] for c in WALK_CASES])
def test_the_walk_tells_wiring_from_self_configuration(case, stack, expected):
    # GIVEN a small stack WHEN walked THEN exactly the resources nothing else uses are reported
    assert [item.address for item in unwired("s", stack)] == expected, case
