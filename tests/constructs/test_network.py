"""QA-1 / NET-1..NET-4: the network construct's synthesized JSON, in both NAT modes."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from constructs_lib.kms import CustomerKey, CustomerKeyProps
from constructs_lib.log_group import LogSettings
from constructs_lib.nat import AMAZON_LINUX_2023_ARM64, NAT_USER_DATA
from constructs_lib.network import Network, NetworkProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, policy, statement, synth_construct

ZONES = ("euw1-az1", "euw1-az2", "euw1-az3")
PUBLIC = ("10.9.1.0/24", "10.9.2.0/24", "10.9.3.0/24")
PRIVATE = ("10.9.11.0/24", "10.9.12.0/24", "10.9.13.0/24")
DATABASE = ("10.9.21.0/24", "10.9.22.0/24", "10.9.23.0/24")
INTERFACE_SERVICES = {"ecr.api", "ecr.dkr", "secretsmanager", "logs", "kms", "sts", "sns", "kinesis-streams"}


def _network(nat_mode: str):
    def build(stack):
        key = CustomerKey(stack, "logs-key", CustomerKeyProps("logs", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        Network(
            stack,
            "network",
            NetworkProps(
                naming=TEST_NAMING,
                account_id=TEST_ACCOUNT,
                region=TEST_REGION,
                availability_zone_ids=ZONES,
                vpc_cidr="10.9.0.0/16",
                public_subnets=PUBLIC,
                private_subnets=PRIVATE,
                database_subnets=DATABASE,
                logs=LogSettings(key, 731),
                nat_mode=nat_mode,  # type: ignore[arg-type]
            ),
        )

    return synth_construct(build)


@pytest.fixture(scope="module")
def gateways():
    return _network("gateways")


@pytest.fixture(scope="module")
def instances():
    return _network("instances")


def ref(type_: str, logical: str, attribute: str = "id") -> str:
    return f"${{{type_}.{logical}.{attribute}}}"


def _subnets_by_cidr(synth) -> dict[str, tuple[str, dict]]:
    return {s["cidr_block"]: (logical, s) for logical, s in synth.resources("aws_subnet").items()}


def _table_of(synth, subnet_logical: str) -> str:
    """The route table reference associated with a subnet."""
    (table,) = [
        a["route_table_id"]
        for a in synth.resources("aws_route_table_association").values()
        if a["subnet_id"] == ref("aws_subnet", subnet_logical)
    ]
    return table


def _routes_of(synth, table: str) -> list[dict]:
    return [r for r in synth.resources("aws_route").values() if r["route_table_id"] == table]


@pytest.mark.req("NET-1")
@pytest.mark.req("QA-1")
def test_vpc_spans_three_zones_with_three_tiers_each_with_own_route_tables(gateways):
    vpc = gateways.only("aws_vpc")
    assert vpc["cidr_block"] == "10.9.0.0/16"
    assert vpc["enable_dns_support"] is True and vpc["enable_dns_hostnames"] is True
    subnets = _subnets_by_cidr(gateways)
    for tier, cidrs in (("public", PUBLIC), ("private", PRIVATE), ("database", DATABASE)):
        # each tier: one subnet per zone, in the zones config names, in order
        assert [subnets[c][1]["availability_zone_id"] for c in cidrs] == list(ZONES)
        assert {subnets[c][1]["tags"]["Tier"] for c in cidrs} == {tier}
        assert all(subnets[c][1].get("map_public_ip_on_launch") is not True for c in cidrs)
    # one shared table for the public tier, one table of its own for each private and database subnet
    tables = {c: _table_of(gateways, subnets[c][0]) for c in PUBLIC + PRIVATE + DATABASE}
    assert len({tables[c] for c in PUBLIC}) == 1
    assert len({tables[c] for c in PRIVATE + DATABASE}) == 6
    assert not {tables[c] for c in PUBLIC} & {tables[c] for c in PRIVATE + DATABASE}
    assert len(gateways.resources("aws_route_table")) == 7


@pytest.mark.req("NET-1")
@pytest.mark.parametrize("mode", ["gateways", "instances"])
def test_database_subnets_have_no_route_to_the_internet_in_either_nat_mode(gateways, instances, mode):
    synth = {"gateways": gateways, "instances": instances}[mode]
    subnets = _subnets_by_cidr(synth)
    for cidr in DATABASE:
        assert _routes_of(synth, _table_of(synth, subnets[cidr][0])) == []
    # and no route anywhere in the VPC points a database table elsewhere
    database_tables = {_table_of(synth, subnets[c][0]) for c in DATABASE}
    assert not [r for r in synth.resources("aws_route").values() if r["route_table_id"] in database_tables]


@pytest.mark.req("NET-2")
@pytest.mark.req("QA-1")
def test_each_private_table_routes_the_internet_through_its_own_zones_nat_gateway(gateways):
    subnets = _subnets_by_cidr(gateways)
    gateways_by_subnet = {g["subnet_id"]: logical for logical, g in gateways.resources("aws_nat_gateway").items()}
    assert len(gateways_by_subnet) == 3
    for public_cidr, private_cidr in zip(PUBLIC, PRIVATE, strict=True):
        (route,) = _routes_of(gateways, _table_of(gateways, subnets[private_cidr][0]))
        nat = gateways_by_subnet[ref("aws_subnet", subnets[public_cidr][0])]  # the NAT in the same zone
        assert route == {**route, "destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": ref("aws_nat_gateway", nat)}
        assert "network_interface_id" not in route
    for gateway in gateways.resources("aws_nat_gateway").values():
        assert gateway["allocation_id"].startswith("${aws_eip.") and gateway["depends_on"]
    assert {e["domain"] for e in gateways.resources("aws_eip").values()} == {"vpc"}
    assert gateways.resources("aws_instance") == {}


@pytest.mark.req("NET-2")
@pytest.mark.req("QA-1")
def test_in_instance_mode_each_private_table_routes_through_its_own_zones_instance(instances):
    subnets = _subnets_by_cidr(instances)
    interfaces = instances.resources("aws_network_interface")
    assert instances.resources("aws_nat_gateway") == {}
    for public_cidr, private_cidr in zip(PUBLIC, PRIVATE, strict=True):
        (route,) = _routes_of(instances, _table_of(instances, subnets[private_cidr][0]))
        assert route["destination_cidr_block"] == "0.0.0.0/0" and "nat_gateway_id" not in route
        (logical,) = [n for n in interfaces if route["network_interface_id"] == ref("aws_network_interface", n)]
        # the interface the route targets lives in the public subnet of the same zone ...
        assert interfaces[logical]["subnet_id"] == ref("aws_subnet", subnets[public_cidr][0])
        assert interfaces[logical]["source_dest_check"] is False
        # ... and is the primary interface of a NAT instance
        (instance,) = [
            i
            for i in instances.resources("aws_instance").values()
            if i["primary_network_interface"]["network_interface_id"] == ref("aws_network_interface", logical)
        ]
        assert instance["user_data"] == NAT_USER_DATA


@pytest.mark.req("NET-2")
@pytest.mark.req("QA-1")
def test_nat_instances_are_hardened_amazon_linux_2023_from_its_public_parameter(instances):
    ((parameter_logical, parameter),) = instances["data"]["aws_ssm_parameter"].items()
    assert parameter["name"] == AMAZON_LINUX_2023_ARM64
    for instance in instances.resources("aws_instance").values():
        assert instance["ami"] == f"${{data.aws_ssm_parameter.{parameter_logical}.insecure_value}}"
        assert instance["metadata_options"]["http_tokens"] == "required"
        assert instance["root_block_device"]["encrypted"] is True
        assert instance["instance_type"].startswith("t4g.")  # Graviton, matching the arm64 image
        assert "associate_public_ip_address" not in instance and "iam_instance_profile" not in instance
        (boots_after,) = instance["depends_on"]
        assert boots_after.startswith("aws_eip.")  # the public address exists before the boot script runs
    eips = instances.resources("aws_eip").values()
    assert sorted(e["network_interface"] for e in eips) == sorted(
        ref("aws_network_interface", n) for n in instances.resources("aws_network_interface")
    )
    assert not re.search(r"\bami-[0-9a-f]{8,}", json.dumps(instances)), "no AMI ID in code"


# Stand-ins for the commands the boot script runs: each logs its arguments; dnf fails as often as
# told (DNF_FAILURES) before it installs, and rpm finds the package only once dnf installed it.
BOOT_STUBS = {
    "dnf": 'n=$(cat "$STUB/dnf-runs" 2>/dev/null || echo 0); echo $((n + 1)) > "$STUB/dnf-runs"\n'
    '[ "$n" -ge "$DNF_FAILURES" ] && touch "$STUB/installed"',
    "rpm": '[ -f "$STUB/installed" ]',
    "ip": "echo 'default via 10.0.1.1 dev ens5 proto dhcp src 10.0.1.10 metric 512'",
    "iptables-save": "echo '-A POSTROUTING -o ens5 -j MASQUERADE'",
    "sysctl": "true",
    "iptables": "true",
    "systemctl": "true",
    "sleep": "true",
}


def _boot(tmp_path, dnf_failures: int) -> tuple[int, list[str]]:
    """Run the NAT boot script with stand-in commands and /etc under tmp_path; returns exit code and calls."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in BOOT_STUBS.items():
        (stubs / name).write_text(f'#!/bin/bash\necho "{name}${{*:+ $*}}" >> "$STUB/calls"\n{body}\n')
        (stubs / name).chmod(0o755)
    for folder in ("etc/sysctl.d", "etc/sysconfig"):
        (tmp_path / folder).mkdir(parents=True)
    script = tmp_path / "user-data.sh"
    script.write_text(NAT_USER_DATA.replace(" /etc/", f" {tmp_path}/etc/"))
    env = {"PATH": f"{stubs}:/usr/bin:/bin", "STUB": str(tmp_path), "DNF_FAILURES": str(dnf_failures)}
    result = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=60)
    calls = (tmp_path / "calls").read_text().splitlines() if (tmp_path / "calls").exists() else []
    return result.returncode, [call for call in calls if not call.startswith("sleep")]


@pytest.mark.req("NET-2")
def test_nat_instance_boot_script_forwards_masquerades_and_keeps_both_across_reboots(tmp_path):
    # GIVEN a fresh Amazon Linux whose package repository answers only at the third attempt
    # WHEN the boot script runs
    returncode, calls = _boot(tmp_path, dnf_failures=2)
    # THEN it retries the install, turns forwarding on, masquerades out of the default route's
    # interface, saves that rule where the iptables service restores it, and enables the service
    assert returncode == 0
    assert [c for c in calls if c.startswith("dnf")] == ["dnf install -y iptables-services"] * 3
    assert calls[3:] == [
        "rpm -q iptables-services",
        "sysctl --system",
        "ip -o -4 route show to default",
        "iptables -t nat -A POSTROUTING -o ens5 -j MASQUERADE",
        "iptables-save",
        "systemctl enable --now iptables",
    ]
    assert (tmp_path / "etc/sysctl.d/90-nat.conf").read_text() == "net.ipv4.ip_forward = 1\n"  # applied at every boot
    assert (tmp_path / "etc/sysconfig/iptables").read_text() == "-A POSTROUTING -o ens5 -j MASQUERADE\n"


@pytest.mark.req("NET-2")
def test_nat_instance_boot_script_fails_visibly_when_the_package_never_installs(tmp_path):
    returncode, calls = _boot(tmp_path, dnf_failures=1000)
    assert returncode != 0
    assert len([c for c in calls if c.startswith("dnf")]) == 30
    assert not [c for c in calls if c.startswith(("iptables", "systemctl"))]


@pytest.mark.req("NET-2")
@pytest.mark.req("NET-5")
def test_nat_instance_group_admits_only_the_private_subnets(instances):
    (nat_logical,) = [
        logical for logical, g in instances.resources("aws_security_group").items() if g["name"] == "meridian-nat-test"
    ]
    ingress = [
        r
        for r in instances.resources("aws_vpc_security_group_ingress_rule").values()
        if r["security_group_id"] == ref("aws_security_group", nat_logical)
    ]
    assert sorted(r["cidr_ipv4"] for r in ingress) == sorted(PRIVATE)
    assert {(r["ip_protocol"], r["from_port"], r["to_port"]) for r in ingress} == {("tcp", 443, 443)}
    assert all(r["description"] for r in ingress)
    for interface in instances.resources("aws_network_interface").values():
        assert interface["security_groups"] == [ref("aws_security_group", nat_logical)]


@pytest.mark.req("NET-3")
@pytest.mark.req("QA-1")
def test_gateway_endpoints_serve_private_and_database_tables_interface_endpoints_the_private_subnets(gateways):
    subnets = _subnets_by_cidr(gateways)
    endpoints = {e["service_name"]: e for e in gateways.resources("aws_vpc_endpoint").values()}
    assert set(endpoints) == {f"com.amazonaws.{TEST_REGION}.{s}" for s in INTERFACE_SERVICES | {"s3", "dynamodb"}}
    tables = sorted(_table_of(gateways, subnets[c][0]) for c in PRIVATE + DATABASE)
    for service in ("s3", "dynamodb"):
        gateway = endpoints[f"com.amazonaws.{TEST_REGION}.{service}"]
        assert gateway["vpc_endpoint_type"] == "Gateway" and sorted(gateway["route_table_ids"]) == tables
    (endpoint_group,) = [
        logical
        for logical, g in gateways.resources("aws_security_group").items()
        if g["name"] == "meridian-endpoints-test"
    ]
    for service in INTERFACE_SERVICES:
        interface = endpoints[f"com.amazonaws.{TEST_REGION}.{service}"]
        assert interface["vpc_endpoint_type"] == "Interface" and interface["private_dns_enabled"] is True
        assert interface["subnet_ids"] == [ref("aws_subnet", subnets[c][0]) for c in PRIVATE]
        assert interface["security_group_ids"] == [ref("aws_security_group", endpoint_group)]
    # the endpoint group admits HTTPS from the VPC's range, and nothing else
    ingress = list(gateways.resources("aws_vpc_security_group_ingress_rule").values())
    assert [
        (r["security_group_id"], r["cidr_ipv4"], r["ip_protocol"], r["from_port"], r["to_port"]) for r in ingress
    ] == [(ref("aws_security_group", endpoint_group), "10.9.0.0/16", "tcp", 443, 443)]
    assert gateways.resources("aws_vpc_security_group_egress_rule") == {}


@pytest.mark.req("NET-4")
@pytest.mark.req("QA-1")
def test_flow_logs_of_all_traffic_go_to_a_cmk_group_through_a_role_scoped_to_that_group(gateways):
    flow_log = gateways.only("aws_flow_log")
    (group_logical,) = gateways.resources("aws_cloudwatch_log_group")
    group = gateways.only("aws_cloudwatch_log_group")
    (role_logical,) = gateways.resources("aws_iam_role")
    assert flow_log["traffic_type"] == "ALL" and flow_log["vpc_id"] == ref(
        "aws_vpc", next(iter(gateways.resources("aws_vpc")))
    )
    assert flow_log["log_destination_type"] == "cloud-watch-logs"
    assert flow_log["log_destination"] == ref("aws_cloudwatch_log_group", group_logical, "arn")
    assert flow_log["iam_role_arn"] == ref("aws_iam_role", role_logical, "arn")
    assert "log_group_name" not in flow_log  # deprecated argument
    assert group["kms_key_id"] == ref("aws_kms_key", next(iter(gateways.resources("aws_kms_key"))), "arn")
    assert group["retention_in_days"] == 731
    # the delivery role: trusted by the flow-logs service of this account only ...
    trust = statement(policy(gateways.only("aws_iam_role")["assume_role_policy"]), "ServiceAssumesForThisAccount")
    assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": TEST_ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:ec2:{TEST_REGION}:{TEST_ACCOUNT}:vpc-flow-log/*"},
    }
    # ... whose one policy names that log group and its streams, nothing else
    (write,) = policy(gateways.only("aws_iam_role_policy")["policy"])["Statement"]
    group_arn = ref("aws_cloudwatch_log_group", group_logical, "arn")
    assert write["Resource"] == [group_arn, f"{group_arn}:log-stream:*"]
    assert write["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]


@pytest.mark.req("NET-5")
def test_the_default_security_group_is_taken_over_with_no_rules(gateways):
    default = gateways.only("aws_default_security_group")
    assert default["vpc_id"].startswith("${aws_vpc.")
    assert "ingress" not in default and "egress" not in default


@pytest.mark.req("NET-1")
def test_a_tier_without_one_subnet_per_zone_is_refused():
    with pytest.raises(ValueError, match="database subnets: 2 CIDRs for 3 AZs; allowed: one subnet per AZ"):
        NetworkProps(
            naming=TEST_NAMING,
            account_id=TEST_ACCOUNT,
            region=TEST_REGION,
            availability_zone_ids=ZONES,
            vpc_cidr="10.9.0.0/16",
            public_subnets=PUBLIC,
            private_subnets=PRIVATE,
            database_subnets=DATABASE[:2],
            logs=None,  # type: ignore[arg-type]  # never reached: the subnet count is checked first
        )
