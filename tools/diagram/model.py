"""One environment's synthesized stacks as data the diagram reads: blocks with their construct paths,
outputs, backends, and which stack each `terraform_remote_state` reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from graphlib import CycleError, TopologicalSorter

from tools.diagram.references import Reference, references_in

BLOCK_KINDS = ("resource", "data", "ephemeral")
REMOTE_STATE = "terraform_remote_state"
CDKTF_CROSS_STACK_OUTPUT = "cross-stack-output-"
CDKTF_CROSS_STACK_INPUT = "cross-stack-reference-input-"


class DiagramError(Exception):
    """Input the diagram cannot be drawn from; the message is one line for the user."""


@dataclass(frozen=True, eq=False)  # identity: each block is one object, usable as a dict key
class Block:
    """A resource, data source or ephemeral resource of one stack."""

    stack: str
    kind: str
    type: str
    name: str
    path: tuple[str, ...]  # construct path inside the stack, ending with the block's own id
    body: Mapping[str, object]

    @property
    def construct(self) -> tuple[str, ...]:
        """The construct that owns the block (the stack itself is the empty path)."""
        return self.path[:-1]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.type, self.name)


@dataclass
class Stack:
    name: str
    region: str
    backend: str  # "s3", "local", ...
    backend_config: Mapping[str, object]
    outputs: dict[str, object]  # output name -> value expression
    blocks: dict[tuple[str, str, str], Block] = field(default_factory=dict)
    reads: dict[str, str] = field(default_factory=dict)  # remote-state data source name -> producer stack

    def members(self) -> list[Block]:
        """The blocks drawn in the picture; remote-state readers are plumbing, drawn as edges."""
        return [b for key, b in sorted(self.blocks.items()) if b.type != REMOTE_STATE]

    def resolve(self, reference: Reference) -> Block | None:
        return self.blocks.get((reference.kind, reference.type, reference.name))

    def resource_count(self) -> int:
        return sum(1 for block in self.blocks.values() if block.kind == "resource")


@dataclass
class Environment:
    stacks: dict[str, Stack]  # in dependency order: producers before consumers, then by name

    def output_label(self, producer: str, output: str) -> str:
        """What a cross-stack edge carries, named as the producer's author named it.

        cdktf names its own outputs `cross-stack-output-<address><attribute>`; the label is then the
        producer's declared output with the same value, or else `construct/id.attribute`.
        """
        stack = self.stacks[producer]
        if not output.startswith(CDKTF_CROSS_STACK_OUTPUT):
            return output
        value = stack.outputs.get(output)
        declared = sorted(
            name
            for name, other in stack.outputs.items()
            if other == value and not name.startswith(CDKTF_CROSS_STACK_OUTPUT)
        )
        if declared:
            return declared[0]
        for reference in references_in(value):
            block = stack.resolve(reference)
            if block is not None:
                return "/".join(block.path) + "".join(f".{a}" for a in reference.attributes)
        return output


def load_environment(stacks: Mapping[str, Mapping[str, object]]) -> Environment:
    """Read `{stack name: cdk.tf.json content}` of one environment."""
    if not stacks:
        raise DiagramError("no synthesized stacks to draw (expected cdktf.out/stacks/*/cdk.tf.json)")
    loaded = {name: _load_stack(name, document) for name, document in stacks.items()}
    for stack in loaded.values():
        for block in stack.blocks.values():
            if block.type == REMOTE_STATE:
                producer = _producer_of(block, loaded)
                if producer is not None:
                    stack.reads[block.name] = producer
    return Environment({name: loaded[name] for name in _dependency_order(loaded)})


def _load_stack(name: str, document: Mapping[str, object]) -> Stack:
    terraform = _mapping(document.get("terraform"))
    backend_type, backend_config = next(iter(sorted(_mapping(terraform.get("backend")).items())), ("local", {}))
    providers = _mapping(document.get("provider"))
    aws = [p for p in _as_list(providers.get("aws")) if isinstance(p, Mapping) and "alias" not in p]
    outputs = {output: _mapping(body).get("value") for output, body in _mapping(document.get("output")).items()}
    stack = Stack(
        name=name,
        region=str(aws[0].get("region", "")) if aws else "",
        backend=backend_type,
        backend_config=_mapping(backend_config),
        outputs=outputs,
    )
    for kind in BLOCK_KINDS:
        for type_, blocks in _mapping(document.get(kind)).items():
            for block_name, body in _mapping(blocks).items():
                body = _mapping(body)
                path = str(_mapping(_mapping(body.get("//")).get("metadata")).get("path") or f"{name}/{block_name}")
                parts = tuple(path.split("/"))
                inside = parts[1:] if parts[0] == name else parts
                stack.blocks[(kind, type_, block_name)] = Block(name, kind, type_, block_name, inside, body)
    return stack


def _producer_of(reader: Block, stacks: Mapping[str, Stack]) -> str | None:
    """The stack whose state a `terraform_remote_state` reads: the same backend bucket and key, or
    the stack cdktf named the data source after."""
    config = _mapping(reader.body.get("config"))
    for name, stack in sorted(stacks.items()):
        if name == reader.stack or stack.backend != reader.body.get("backend"):
            continue
        wanted = {k: config.get(k) for k in ("bucket", "key", "path") if k in stack.backend_config}
        if wanted and all(stack.backend_config.get(k) == v for k, v in wanted.items()):
            return name
    named = reader.name.removeprefix(CDKTF_CROSS_STACK_INPUT)
    return named if named != reader.name and named in stacks else None


def _dependency_order(stacks: Mapping[str, Stack]) -> list[str]:
    """Producers first (the state stack, then whoever others read), ties by name: stable output."""
    graph: dict[str, set[str]] = {name: set(stack.reads.values()) for name, stack in stacks.items()}
    for name, stack in stacks.items():
        graph[name] |= {producer for producer, _ in state_homes(stack, stacks)}
    sorter = TopologicalSorter(graph)
    try:
        sorter.prepare()
    except CycleError as error:
        raise DiagramError(f"stacks depend on each other in a cycle: {' -> '.join(error.args[1])}") from None
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order.extend(ready)
        sorter.done(*ready)
    return order


# The backend arguments that name a resource of another stack, and the resource argument they match.
_STATE_HOMES = (
    ("bucket", "aws_s3_bucket", "bucket", "Terraform state"),
    ("dynamodb_table", "aws_dynamodb_table", "name", "state lock"),
)


def state_homes(stack: Stack, stacks: Mapping[str, Stack]) -> list[tuple[str, str]]:
    """Where a stack keeps its state: (producer stack, what it holds there) for every backend argument
    naming a bucket or lock table that another stack creates."""
    homes = []
    for argument, type_, attribute, holds in _STATE_HOMES:
        wanted = stack.backend_config.get(argument)
        for name, other in sorted(stacks.items()):
            if (
                name != stack.name
                and isinstance(wanted, str)
                and any(
                    block.kind == "resource" and block.type == type_ and block.body.get(attribute) == wanted
                    for block in other.blocks.values()
                )
            ):
                homes.append((name, holds))
    return homes


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _as_list(value: object) -> list[object]:
    if isinstance(value, list):
        return value
    return [] if value is None else [value]
