"""QA-5: the README and docs/ show the platform as the code builds it.

The diagrams are drawn from the session's synthesized stacks (never synthesized again here) and
compared with the committed files; the other tests prove, on small stacks built in memory, what the
picture says: who may reach whom, who encrypts with or may decrypt with which key, which output a
cross-stack edge carries, and that a large platform still fits the node budget.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys

import pytest

from config.model import ENVIRONMENTS
from tests.support.synth import ROOT
from tools.diagram import DiagramError, draw, expected_files, stale_files
from tools.diagram.documents import embed, embedded_section
from tools.diagram.grouping import NODE_BUDGET

REDRAW = "run ./meridian diagram (or ./meridian diagram ENV) and commit the result"


@pytest.mark.req("QA-5")
def test_committed_diagrams_match_the_synthesized_stacks(synthesized):
    # GIVEN every environment synthesized once for this session
    # WHEN each is drawn again
    drawings = {env: draw(env, result.stacks) for env, result in synthesized.items()}
    files = expected_files(drawings, ROOT)
    # THEN every committed diagram, and the README's copy of dev's, is byte for byte what the code draws
    assert sorted(path.relative_to(ROOT).as_posix() for path in files) == sorted(
        ["README.md", *(f"docs/architecture-{env}.md" for env in ENVIRONMENTS)]
    )
    stale = [path.relative_to(ROOT).as_posix() for path in stale_files(files)]
    assert stale == [], f"out of date: {', '.join(stale)}; {REDRAW}"
    assert embedded_section((ROOT / "README.md").read_text()) == drawings["dev"].section


@pytest.mark.req("QA-5")
def test_a_construct_added_without_redrawing_fails_the_drift_check(dev):
    # GIVEN dev's synthesized stacks plus one new construct: a queue encrypted with the primary SNS key
    stacks = copy.deepcopy(dev.stacks)
    primary = stacks["meridian-dev-primary"]
    sns_key = _name_at_path(primary, "aws_kms_key", "meridian-dev-primary/keys/sns/key")
    primary["resource"]["aws_sqs_queue"] = {
        "events_queue_0A1B2C3D": _block(
            "meridian-dev-primary", "events/queue", kms_master_key_id=f"${{aws_kms_key.{sns_key}.arn}}"
        )
    }
    # WHEN dev is drawn from it and compared with the committed files
    drawing = draw("dev", stacks)
    stale = stale_files(expected_files({"dev": drawing}, ROOT))
    # THEN dev's document and the README are out of date, and the new construct is in the picture
    assert [path.relative_to(ROOT).as_posix() for path in stale] == ["docs/architecture-dev.md", "README.md"]
    chart = _Chart(drawing.section)
    # the key ring is drawn open (keys/sns) or, once one more node would overflow the budget, folded (keys)
    edges = chart.edges_from("meridian-dev-primary", "events")
    assert {target: kind for (_, target), kind in edges.items()} in (
        {("meridian-dev-primary", "keys/sns"): ("kms", "encrypts with")},
        {("meridian-dev-primary", "keys"): ("kms", "encrypts with sns key")},
    )


@pytest.mark.req("QA-5")
def test_dev_picture_shows_stacks_constructs_and_what_crosses_them(dev):
    # GIVEN dev as synthesized WHEN it is drawn
    chart = _Chart(draw("dev", dev.stacks).section)
    # THEN every stack is a subgraph, in dependency order, and its constructs are nodes with their counts
    # (the global stack reads both regions' origin secrets for CloudFront, so it comes after both)
    assert chart.subgraphs == [f"meridian-dev-{role}" for role in ("state", "primary", "secondary", "global")]
    # (with the data stores in, the key ring folds into one node to keep the picture within the budget)
    assert chart.labels[("meridian-dev-primary", "keys")] == "keys<br/>24 resources: 12 kms_key, 12 kms_alias"
    assert len(chart.labels) <= NODE_BUDGET
    # AND the budget reads the primary region's alert topic through the output its author declared
    assert chart.edge("meridian-dev-global", "budget", "meridian-dev-primary", "alerts") == (
        "reads",
        "output alert_topic_arn",
    )
    # AND encryption with customer keys and the state backend are drawn in their own styles
    assert chart.edge("meridian-dev-primary", "alerts", "meridian-dev-primary", "keys") == (
        "kms",
        "encrypts with sns key",
    )
    # (the state bucket is drawn open, remote-state/state, or folded into remote-state under the budget)
    state_bucket = (
        "remote-state/state" if ("meridian-dev-state", "remote-state/state") in chart.labels else "remote-state"
    )
    kind, label = chart.edge("meridian-dev-state", state_bucket, "meridian-dev-state", "state-key")
    assert kind == "kms" and label.startswith("encrypts with")
    assert chart.edge("meridian-dev-global", None, "meridian-dev-state", None) == (
        "state",
        "Terraform state, state lock",
    )


@pytest.mark.req("QA-5")
def test_security_group_rules_are_drawn_as_who_may_reach_whom():
    # GIVEN load balancer, service and database tiers wired by per-rule resources (ingress on the
    # target with the matching egress on the source), a legacy rule, and inline rules
    network = _stack(
        "meridian-t-primary",
        {
            "aws_security_group": {
                "alb": _block("meridian-t-primary", "alb-security/group"),
                "app": _block("meridian-t-primary", "app-security/group"),
                "db": _block("meridian-t-primary", "db-security/group"),
                "cache": _block(
                    "meridian-t-primary",
                    "cache-security/group",
                    ingress=[{"from_port": 6379, "to_port": 6379, "protocol": "tcp", "security_groups": [_ref("app")]}],
                ),
            },
            "aws_vpc_security_group_ingress_rule": {
                "alb_in": _rule("alb-security/in-internet", "alb", cidr_ipv4="0.0.0.0/0", port=443),
                "app_in": _rule("app-security/in-alb", "app", peer="alb", port=8080),
                "db_in": _rule("db-security/in-app", "db", peer="app", port=5432),
            },
            "aws_vpc_security_group_egress_rule": {
                "app_out": _rule("app-security/out-db", "app", peer="db", port=5432),
            },
            "aws_security_group_rule": {
                "db_admin": _block(
                    "meridian-t-primary",
                    "db-security/admin",
                    type="ingress",
                    security_group_id=_ref("db"),
                    source_security_group_id=_ref("alb"),
                    from_port=0,
                    to_port=0,
                    protocol="-1",
                ),
            },
        },
    )
    # WHEN it is drawn
    chart = _Chart(draw("t", {"meridian-t-primary": network}).section)
    # THEN each permitted path is one dotted red edge saying the port, from the source to the target
    stack = "meridian-t-primary"
    assert chart.edge(stack, "app-security", stack, "db-security") == ("reach", "may reach port 5432")
    assert chart.edge(stack, "alb-security", stack, "app-security") == ("reach", "may reach port 8080")
    assert chart.edge(stack, "app-security", stack, "cache-security") == ("reach", "may reach port 6379")
    assert chart.edge(stack, "alb-security", stack, "db-security") == ("reach", "may reach all ports")
    assert chart.edge("", "Internet", stack, "alb-security") == ("reach", "may reach port 443")
    # AND no rule draws a path the rules do not grant (the database reaches nothing)
    assert chart.edges_from(stack, "db-security") == {}


@pytest.mark.req("QA-5")
def test_kms_keys_show_who_encrypts_with_and_who_may_decrypt():
    # GIVEN a bucket encrypted with a key, a reader role that may decrypt with it, a writer role that may
    # only encrypt, an auditor named by the key's own policy, and a Deny statement naming the key
    stack = "meridian-t-primary"
    key_arn = "${aws_kms_key.documents_key.arn}"
    auditor_arn = "${aws_iam_role.auditor_role.arn}"
    resources = {
        "aws_kms_key": {
            "documents_key": _block(
                stack,
                "keys/documents/key",
                policy=_policy(("Allow", ["kms:Decrypt", "kms:DescribeKey"], "*", {"AWS": auditor_arn})),
            )
        },
        "aws_s3_bucket": {"documents_bucket": _block(stack, "documents/bucket")},
        "aws_s3_bucket_server_side_encryption_configuration": {
            "documents_sse": _block(
                stack,
                "documents/encryption",
                bucket="${aws_s3_bucket.documents_bucket.id}",
                rule=[{"apply_server_side_encryption_by_default": [{"kms_master_key_id": key_arn}]}],
            )
        },
        "aws_iam_role": {
            name: _block(stack, f"{name.split('_')[0]}/role") for name in ("reader_role", "writer_role", "auditor_role")
        },
        "aws_iam_role_policy": {
            "reader_policy": _block(stack, "reader/policy", policy=_policy(("Allow", ["kms:Decrypt"], key_arn, None))),
            "writer_policy": _block(
                stack,
                "writer/policy",
                policy=_policy(("Allow", ["kms:GenerateDataKey*", "kms:Encrypt"], key_arn, None)),
            ),
            "auditor_policy": _block(stack, "auditor/policy", policy=_policy(("Deny", ["kms:*"], key_arn, None))),
        },
    }
    # WHEN it is drawn
    chart = _Chart(draw("t", {stack: _stack(stack, resources)}).section)
    # THEN each use of the key is a dotted purple edge to it, saying how the key is used
    assert chart.edge(stack, "documents", stack, "keys/documents") == ("kms", "encrypts with")
    assert chart.edge(stack, "reader", stack, "keys/documents") == ("kms", "may decrypt")
    assert chart.edge(stack, "writer", stack, "keys/documents") == ("kms", "may encrypt with")
    assert chart.edge(stack, "auditor", stack, "keys/documents") == ("kms", "may decrypt")  # from the key policy
    # AND the key's node is a hexagon, the bucket's a cylinder
    assert chart.shapes[(stack, "keys/documents")] == "{{" and chart.shapes[(stack, "documents")] == "[("
    # AND when a tight budget folds both keys into one `keys` node, the label still says which key
    resources["aws_kms_key"]["archive_key"] = _block(stack, "keys/archive/key")
    folded = _Chart(draw("t", {stack: _stack(stack, resources)}, budget=5).section)
    assert ("meridian-t-primary", "keys/documents") not in folded.labels
    assert folded.edge(stack, "reader", stack, "keys") == ("kms", "may decrypt with documents key")
    assert folded.edge(stack, "documents", stack, "keys") == ("kms", "encrypts with documents key")


@pytest.mark.req("QA-5")
def test_cross_stack_edges_carry_the_producer_output_they_read():
    # GIVEN a producer stack with a key, and a consumer reading it through remote state under a name
    # of its own (found by backend bucket and key) and through cdktf's generated output name
    backend = {"bucket": "tfstate", "key": "t/producer.tfstate", "region": "eu-west-1"}
    producer = _stack(
        "meridian-t-producer",
        {"aws_kms_key": {"shared_key": _block("meridian-t-producer", "keys/shared/key")}},
        outputs={
            "shared_key_arn": "${aws_kms_key.shared_key.arn}",
            "cross-stack-output-aws_kms_keyshared_keyarn": "${aws_kms_key.shared_key.arn}",
            "shared_key_id": "${aws_kms_key.shared_key.key_id}",
        },
        backend=backend,
    )
    read = "${data.terraform_remote_state.upstream.outputs.%s}"
    consumer = _stack(
        "meridian-t-consumer",
        {
            "aws_iam_role_policy": {
                "copier": _block(
                    "meridian-t-consumer",
                    "copier/policy",
                    policy=_policy(
                        ("Allow", ["kms:Decrypt"], read % "cross-stack-output-aws_kms_keyshared_keyarn", None)
                    ),
                )
            },
            "aws_ssm_parameter": {
                "note": _block("meridian-t-consumer", "note/parameter", value=read % "shared_key_id")
            },
        },
        data={"terraform_remote_state": {"upstream": {"backend": "s3", "config": backend}}},
        backend={**backend, "key": "t/consumer.tfstate"},
    )
    # WHEN both are drawn
    drawing = draw("t", {"meridian-t-consumer": consumer, "meridian-t-producer": producer})
    chart = _Chart(drawing.section)
    # THEN the producer comes first, and each edge is labelled with the output as its author named it
    assert chart.subgraphs == ["meridian-t-producer", "meridian-t-consumer"]
    assert chart.edge("meridian-t-consumer", "copier", "meridian-t-producer", "keys/shared") == (
        "kms",
        "may decrypt<br/>output shared_key_arn",
    )
    assert chart.edge("meridian-t-consumer", "note", "meridian-t-producer", "keys/shared") == (
        "reads",
        "output shared_key_id",
    )
    assert "| meridian-t-consumer `copier` | meridian-t-producer `keys/shared` | `shared_key_arn` |" in drawing.document


@pytest.mark.req("QA-5")
def test_a_large_platform_folds_deep_constructs_to_stay_within_the_budget():
    # GIVEN 12 stacks of 8 top-level constructs, each of 6 child constructs holding 4 resources (2,300
    # resources, 96 top-level constructs); the first stack's first construct holds 5 per child
    stacks = {}
    for s in range(12):
        name = f"meridian-t-s{s:02d}"
        resources = {
            f"r_{top}_{child}_{n}": _block(name, f"top{top}/child{child}/r{n}")
            for top in range(8)
            for child in range(6)
            for n in range(5 if s == 0 and top == 0 else 4)
        }
        stacks[name] = _stack(name, {"aws_ssm_parameter": resources})
    # WHEN it is drawn
    chart = _Chart(draw("t", stacks).section)
    # THEN it stays within the budget, every stack is in the picture, and stacks are opened into their
    # top-level constructs largest first, then the largest construct into its children, until the budget is full
    assert len(chart.labels) <= NODE_BUDGET
    assert chart.subgraphs == sorted(stacks)
    opened = {stack for stack, title in chart.labels if title != "(whole stack)"}
    assert opened == {f"meridian-t-s{s:02d}" for s in range(6)}
    assert {title for stack, title in chart.labels if stack == "meridian-t-s00"} == {
        *(f"top{top}" for top in range(1, 8)),
        *(f"top0/child{child}" for child in range(6)),
    }
    assert chart.labels[("meridian-t-s11", "(whole stack)")].startswith("(whole stack)<br/>192 resources")
    # AND a small platform is drawn down to its innermost constructs
    small = _Chart(draw("t", {"meridian-t-s01": stacks["meridian-t-s01"]}).section)
    assert len(small.labels) == 48 and ("meridian-t-s01", "top7/child5") in small.labels


@pytest.mark.req("QA-5")
def test_same_stacks_in_any_order_draw_the_same_bytes(dev):
    # GIVEN dev's stacks, and a copy with every mapping in reverse order
    reversed_stacks = _reverse(copy.deepcopy(dev.stacks))
    # WHEN both are drawn
    # THEN the documents are identical
    assert draw("dev", reversed_stacks).document == draw("dev", dev.stacks).document


@pytest.mark.req("QA-5")
def test_unknown_environment_is_one_line_and_writes_nothing():
    before = {path: path.read_text() for path in (ROOT / "docs").glob("architecture-*.md")}
    result = subprocess.run(
        [sys.executable, "-m", "tools.diagram", "qa"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert result.stderr.strip() == "meridian diagram: unknown environment 'qa'; allowed: dev, staging, prod"
    assert {path: path.read_text() for path in (ROOT / "docs").glob("architecture-*.md")} == before


@pytest.mark.req("QA-5")
def test_a_readme_without_the_markers_is_refused_in_one_line():
    with pytest.raises(DiagramError) as refused:
        embed("# Meridian\n\nno picture here\n", "```mermaid\nflowchart LR\n```\n")
    assert "\n" not in str(refused.value) and "architecture-dev" in str(refused.value)


# --- helpers: small synthesized stacks, and a reader for the Mermaid the generator writes ---------


def _block(stack: str, path: str, **body) -> dict:
    unique = re.sub(r"\W", "_", path)
    return {"//": {"metadata": {"path": f"{stack}/{path}", "uniqueId": unique}}, **body}


def _stack(name: str, resources: dict, outputs=None, data=None, backend=None) -> dict:
    document: dict = {
        "provider": {"aws": [{"region": "eu-west-1"}]},
        "terraform": {"backend": {"s3": backend or {"bucket": "tfstate", "key": f"{name}.tfstate"}}},
        "resource": resources,
        "output": {output: {"value": value} for output, value in (outputs or {}).items()},
    }
    if data:
        document["data"] = data
    return document


def _ref(group: str) -> str:
    return f"${{aws_security_group.{group}.id}}"


def _rule(path: str, group: str, port: int, peer: str | None = None, cidr_ipv4: str | None = None) -> dict:
    target = {"referenced_security_group_id": _ref(peer)} if peer else {"cidr_ipv4": cidr_ipv4}
    body = {"security_group_id": _ref(group), "ip_protocol": "tcp", "from_port": port, "to_port": port, **target}
    return _block("meridian-t-primary", path, **body)


def _policy(*statements: tuple) -> str:
    rendered = []
    for effect, actions, resource, principal in statements:
        statement = {"Effect": effect, "Action": actions, "Resource": resource}
        if principal:
            statement["Principal"] = principal
        rendered.append(statement)
    return json.dumps({"Version": "2012-10-17", "Statement": rendered})


def _name_at_path(stack: dict, type_: str, path: str) -> str:
    return next(name for name, body in stack["resource"][type_].items() if body["//"]["metadata"]["path"] == path)


def _reverse(value):
    if isinstance(value, dict):
        return {key: _reverse(value[key]) for key in reversed(list(value))}
    return value


_STYLE_KINDS = {"#1f77b4": "reads", "#d62728": "reach", "#9467bd": "kms", "#7f7f7f": "state"}


class _Chart:
    """The parts of a generated flowchart a test asserts on, found by the names a reader sees."""

    def __init__(self, section: str) -> None:
        self.subgraphs: list[str] = []
        self.labels: dict[tuple[str, str], str] = {}
        self.shapes: dict[tuple[str, str], str] = {}
        names: dict[str, tuple[str, str | None]] = {"internet": ("", "Internet")}
        links: list[tuple[str, str, str, str]] = []
        kinds: dict[int, str] = {}
        stack = ""
        for line in section.splitlines():
            if match := re.match(r'  subgraph (\w+)\["([^<"]+)', line):
                stack = match.group(2)
                self.subgraphs.append(stack)
                names[match.group(1)] = (stack, None)
            elif match := re.match(r'    (\w+)(\W+)"(([^<"]+)<br/>[^"]*)"', line):
                node = (stack, match.group(4))
                names[match.group(1)] = node
                self.labels[node], self.shapes[node] = match.group(3), match.group(2)
            elif match := re.match(r'  (\w+) (-->|==>|-\.->)(?:\|"([^"]*)"\|)? (\w+)$', line):
                links.append((match.group(1), match.group(2), match.group(3) or "", match.group(4)))
            elif match := re.match(r"  linkStyle ([\d,]+) stroke:(#\w+)", line):
                kinds.update({int(i): _STYLE_KINDS[match.group(2)] for i in match.group(1).split(",")})
        self.links = {
            (names[source], names[target]): (kinds.get(index, "uses"), label)
            for index, (source, _, label, target) in enumerate(links)
        }

    def edge(self, source_stack: str, source: str | None, target_stack: str, target: str | None) -> tuple[str, str]:
        key = ((source_stack, source), (target_stack, target))
        assert key in self.links, f"no edge {key}; edges: {sorted(self.links)}"
        return self.links[key]

    def edges_from(self, stack: str, node: str) -> dict:
        return {key: value for key, value in self.links.items() if key[0] == (stack, node)}
