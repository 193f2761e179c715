"""NET-2 under Terraform: both NAT modes init, validate cleanly, plan and apply, and switching the mode
changes where each private route table sends 0.0.0.0/0, not just which NATs exist.

The default mode (gateways) is every environment's session plan (`planned`). The cost mode
(instances) plans only dev's primary stack: the network code is the same in every regional stack,
and that stack reads no other stack's state, so it plans on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tools.tfplan.plan import Plan
from tools.tfplan.workspace import StackWorkspace, prepare, provider_mode


@dataclass
class AppliedStack:
    validation: dict
    plan: Plan  # with the selected provider
    applied: StackWorkspace  # on the stand-in
    state: dict


def _primary(outdir, work_root, provider: str) -> StackWorkspace:
    (workspace,) = [w for w in prepare(outdir, work_root, provider=provider) if w.name.endswith("-primary")]
    workspace.init()
    return workspace


@pytest.fixture(scope="module")
def nat_instance_mode(nat_instances, tmp_path_factory) -> AppliedStack:
    root = tmp_path_factory.mktemp("nat-instances")
    applied = _primary(nat_instances.outdir, root / "offline", "offline")
    plan = applied.plan()
    applied.apply()
    if provider_mode() == "registry":
        planned = _primary(nat_instances.outdir, root / "registry", "registry")
        plan, validation = planned.plan(), planned.validate()
    else:
        validation = applied.validate()
    return AppliedStack(validation, plan, applied, applied.state())


def _resources(state: dict, type_: str) -> dict[str, dict]:
    return {
        r["address"]: r["values"] for r in state["values"]["root_module"].get("resources", []) if r["type"] == type_
    }


def _default_route_targets(state: dict) -> dict[str, tuple[str, str]]:
    """Zone ID of each private subnet -> (target kind, zone ID of the target's subnet), from applied state."""
    subnets = {s["id"]: s for s in _resources(state, "aws_subnet").values()}
    zone_of_table = {
        a["route_table_id"]: subnets[a["subnet_id"]]["availability_zone_id"]
        for a in _resources(state, "aws_route_table_association").values()
        if subnets[a["subnet_id"]]["tags"]["Tier"] == "private"
    }
    nat_subnet = {g["id"]: g["subnet_id"] for g in _resources(state, "aws_nat_gateway").values()}
    interface_subnet = {n["id"]: n["subnet_id"] for n in _resources(state, "aws_network_interface").values()}
    targets = {}
    for route in _resources(state, "aws_route").values():
        if route["route_table_id"] not in zone_of_table:
            continue
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert bool(route["nat_gateway_id"]) != bool(route["network_interface_id"]), route  # exactly one target
        if route["nat_gateway_id"]:
            kind, subnet = "nat gateway", nat_subnet[route["nat_gateway_id"]]
        else:
            kind, subnet = "nat instance interface", interface_subnet[route["network_interface_id"]]
        targets[zone_of_table[route["route_table_id"]]] = (kind, subnets[subnet]["availability_zone_id"])
    return targets


@pytest.mark.req("NET-2")
@pytest.mark.req("DC-4")
def test_instance_mode_validates_cleanly_and_plans_only_creations(nat_instance_mode):
    validation = nat_instance_mode.validation
    assert validation["valid"] is True and validation["warning_count"] == 0, validation["diagnostics"]
    counts = nat_instance_mode.plan.counts()
    assert counts["update"] == counts["replace"] == counts["destroy"] == 0
    created = nat_instance_mode.plan.count_by_type()
    assert (created["aws_instance"], created["aws_network_interface"], created["aws_eip"]) == (3, 3, 3)
    assert "aws_nat_gateway" not in created
    for change in nat_instance_mode.plan.created("aws_network_interface"):
        assert change.after["source_dest_check"] is False
    for change in nat_instance_mode.plan.created("aws_instance"):
        assert change.after["ami"].startswith("ami-")  # resolved from the public SSM parameter at plan time
        assert change.after["metadata_options"][0]["http_tokens"] == "required"
        assert change.after["root_block_device"][0]["encrypted"] is True


@pytest.mark.req("NET-2")
def test_switching_the_nat_mode_moves_every_private_default_route_to_its_own_zones_nat(planned, nat_instance_mode):
    # GIVEN dev's primary stack applied with NAT gateways, and again with NAT instances
    gateways = _default_route_targets(planned["dev"]["primary"].applied.state())
    instances = _default_route_targets(nat_instance_mode.state)
    # THEN in each mode every private subnet's zone routes 0.0.0.0/0 to a NAT in that same zone
    zones = {"use1-az1", "use1-az2", "use1-az4"}
    assert gateways == {zone: ("nat gateway", zone) for zone in zones}
    # AND switching the mode changed the routes' targets, not only the NATs that exist
    assert instances == {zone: ("nat instance interface", zone) for zone in zones}


@pytest.mark.req("NET-2")
@pytest.mark.req("DC-10")
def test_instance_mode_outputs_name_the_instances_and_their_group(nat_instance_mode):
    outputs = nat_instance_mode.applied.outputs()
    instances = _resources(nat_instance_mode.state, "aws_instance").values()
    assert sorted(outputs["nat_ids"]) == sorted(i["id"] for i in instances)
    (group,) = [g for g in _resources(nat_instance_mode.state, "aws_security_group").values() if "nat" in g["name"]]
    assert outputs["nat_security_group_id"] == group["id"]


@pytest.mark.req("NET-2")
def test_a_second_plan_after_apply_is_empty_in_instance_mode(nat_instance_mode):
    assert nat_instance_mode.applied.plan().is_empty()


@pytest.mark.req("DC-10")
def test_gateway_mode_outputs_carry_the_applied_network_ids(planned):
    outputs = planned["dev"]["primary"].outputs
    state = planned["dev"]["primary"].applied.state()
    (vpc,) = _resources(state, "aws_vpc").values()
    assert outputs["vpc_id"] == vpc["id"] and outputs["vpc_cidr"] == "10.0.0.0/16"
    subnets = {s["id"]: s["tags"]["Tier"] for s in _resources(state, "aws_subnet").values()}
    for tier in ("public", "private", "database"):
        assert [subnets[i] for i in outputs[f"{tier}_subnet_ids"]] == [tier] * 3
    assert sorted(outputs["nat_ids"]) == sorted(g["id"] for g in _resources(state, "aws_nat_gateway").values())
    assert set(outputs["vpc_endpoint_ids"]) >= {"s3", "dynamodb", "ecr.api", "kinesis-streams"}
