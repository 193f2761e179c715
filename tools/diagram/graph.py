"""The construct graph of one environment: grouped nodes, and edges of five kinds.

An edge points from a construct to what it uses. `uses`: a `${...}` reference inside one stack.
`reads`: a value read from another stack (remote state or cdktf's cross-stack reference), labelled
with the producer's output. `reach`: a security-group rule lets the source open connections to the
target. `kms`: the source encrypts with, or a policy lets it decrypt or encrypt with, the target key.
`state`: a stack keeps its Terraform state in a bucket and lock table of the target stack.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from tools.diagram.grouping import NODE_BUDGET, NodeKey, group
from tools.diagram.model import REMOTE_STATE, Block, Environment, Stack, state_homes
from tools.diagram.references import Mention, Reference, mentions, references_in
from tools.diagram.security import KEY_POLICY_TYPES, KEY_TYPES, Reach, kms_verb, reaches, rule_fields

Endpoint = tuple[str, tuple[str, ...] | None]  # a node; path None: the whole stack (its subgraph)
INTERNET: Endpoint = ("", ("Internet",))
EDGE_KINDS = ("uses", "reads", "reach", "kms", "state")
# Blocks that name a key without encrypting with it: an alias, a key policy, a replica naming its primary.
_KEY_COMPANIONS = frozenset({"aws_kms_alias"}) | KEY_POLICY_TYPES | KEY_TYPES


@dataclass(frozen=True, order=True)
class Fact:
    """One thing an edge says: a verb (`may decrypt`), its detail (a port, which key) and the output
    it travels through when it crosses stacks."""

    verb: str = ""
    detail: str = ""
    via: str = ""


@dataclass
class Edge:
    source: Endpoint
    target: Endpoint
    kind: str
    facts: set[Fact] = field(default_factory=set)


@dataclass
class Graph:
    environment: Environment
    nodes: dict[NodeKey, list[Block]]  # in drawing order: stack order, then construct path
    edges: list[Edge]

    @property
    def touches_internet(self) -> bool:
        return any(INTERNET in (edge.source, edge.target) for edge in self.edges)

    def rank(self, end: Endpoint) -> tuple:
        stacks = list(self.environment.stacks)
        stack, path = end
        return (stacks.index(stack) if stack in stacks else -1, path is not None, path or ())


@dataclass(frozen=True)
class _Target:
    block: Block | None  # None: a producer output that names no block (the stack as a whole)
    stack: str
    via: str = ""


def build(environment: Environment, budget: int = NODE_BUDGET) -> Graph:
    blocks = [block for stack in environment.stacks.values() for block in stack.members()]
    placed = group(blocks, list(environment.stacks), budget)
    members: dict[NodeKey, list[Block]] = defaultdict(list)
    for block in blocks:
        members[placed[block]].append(block)
    edges = _EdgeCollector(environment, placed, members)
    for block in blocks:
        edges.add_block(block)
    for stack in environment.stacks.values():
        for producer, holds in state_homes(stack, environment.stacks):
            edges.add((stack.name, None), (producer, None), "state", Fact(holds))
    graph = Graph(environment, {}, [])
    graph.nodes = {node: members[node] for node in sorted(members, key=graph.rank)}
    graph.edges = sorted(
        edges.meaningful(), key=lambda e: (EDGE_KINDS.index(e.kind), graph.rank(e.source), graph.rank(e.target))
    )
    return graph


class _EdgeCollector:
    def __init__(self, environment: Environment, placed: dict[Block, NodeKey], members: dict[NodeKey, list[Block]]):
        self._environment = environment
        self._placed = placed
        self._members = members
        self._edges: dict[tuple[Endpoint, Endpoint, str], Edge] = {}

    def add(self, source: Endpoint, target: Endpoint, kind: str, fact: Fact) -> None:
        if source == target:
            return  # inside one node
        self._edges.setdefault((source, target, kind), Edge(source, target, kind)).facts.add(fact)

    def meaningful(self) -> list[Edge]:
        """Every edge, except a plain `uses` where a security or cross-stack edge already joins the pair."""
        said = {(e.source, e.target) for e in self._edges.values() if e.kind != "uses"}
        return [e for e in self._edges.values() if e.kind != "uses" or (e.source, e.target) not in said]

    def add_block(self, block: Block) -> None:
        stack = self._environment.stacks[block.stack]
        source = self._placed[block]
        handled_by_rules = rule_fields(block)
        policy_key = self._key_whose_policy(block, stack)
        for mention in mentions(block.body, block.type):
            if mention.field in handled_by_rules:
                continue
            for target in self._resolve(stack, mention.reference):
                self._add_mention(block, source, mention, target, policy_key)
        for reach in reaches(block):
            self._add_reach(stack, reach)

    def _add_mention(
        self, block: Block, source: Endpoint, mention: Mention, target: _Target, policy_key: Block | None
    ) -> None:
        end = self._end(target)
        if target.block is not None and target.block.type in KEY_TYPES and block.type not in _KEY_COMPANIONS:
            verb = kms_verb(mention.argument, mention.grant)
            if verb:
                self.add(source, end, "kms", Fact(verb, self._which_key(target.block, end), target.via))
                return
        grant = mention.grant
        if policy_key is not None and grant is not None and grant.part == "Principal":
            verb = kms_verb(mention.argument, grant)  # the key's own policy lets this principal use it
            if verb:
                key_end = self._placed[policy_key]
                self.add(end, key_end, "kms", Fact(verb, self._which_key(policy_key, key_end), target.via))
                return
        self.add(source, end, "reads" if target.via else "uses", Fact(via=target.via))

    def _add_reach(self, stack: Stack, reach: Reach) -> None:
        for source_peer in reach.sources:
            for target_peer in reach.targets:
                for source, source_via in self._peer_ends(stack, source_peer):
                    for target, target_via in self._peer_ends(stack, target_peer):
                        self.add(source, target, "reach", Fact("may reach", reach.ports, source_via or target_via))

    def _peer_ends(self, stack: Stack, peer: Reference | None) -> list[tuple[Endpoint, str]]:
        if peer is None:
            return [(INTERNET, "")]
        return [(self._end(target), target.via) for target in self._resolve(stack, peer)]

    def _resolve(self, stack: Stack, reference: Reference) -> list[_Target]:
        """The blocks a reference names, following remote-state outputs to the producer's blocks."""
        if reference.kind == "data" and reference.type == REMOTE_STATE:
            producer_name = stack.reads.get(reference.name)
            if producer_name is None or len(reference.attributes) < 2 or reference.attributes[0] != "outputs":
                return []
            output = reference.attributes[1]
            producer = self._environment.stacks[producer_name]
            via = self._environment.output_label(producer_name, output)
            found = [
                _Target(target.block, target.stack, via)
                for inner in references_in(producer.outputs.get(output))
                for target in self._resolve(producer, inner)
                if target.block is not None
            ]
            return found or [_Target(None, producer_name, via)]
        block = stack.resolve(reference)
        if block is None or block.type == REMOTE_STATE:
            return []
        return [_Target(block, stack.name)]

    def _end(self, target: _Target) -> Endpoint:
        return self._placed[target.block] if target.block is not None else (target.stack, None)

    def _key_whose_policy(self, block: Block, stack: Stack) -> Block | None:
        """The KMS key whose key policy this block holds (the key itself, or an `aws_kms_key_policy`)."""
        if block.type in KEY_TYPES:
            return block
        if block.type in KEY_POLICY_TYPES:
            for reference in references_in(block.body.get("key_id")):
                for target in self._resolve(stack, reference):
                    if target.block is not None and target.block.type in KEY_TYPES:
                        return target.block
        return None

    def _which_key(self, key: Block, end: Endpoint) -> str:
        """Which key of a node, said only when the node holds more than one."""
        stack, path = end
        if path is None or sum(1 for b in self._members[(stack, path)] if b.type in KEY_TYPES) <= 1:
            return ""
        return "/".join(key.construct[len(path) :]) or key.path[-1]
