"""Which construct each block is drawn in, so a picture of hundreds of resources stays readable.

The rule: start with one node per stack; then, while the environment stays within the node budget,
open the shallowest node into its child constructs (the one holding the most blocks first; ties by
stack order and path). A node whose opening would overflow the budget stays closed, and the next
one is tried. So stacks show their top-level constructs whenever those fit, the rest of the budget
goes to the largest constructs' insides, and as the platform grows, deeper constructs fold back into
their parents (and, past 60 top-level constructs, the smallest stacks into one node each). Blocks
attached to a stack itself, outside any construct, stay in the stack's own node.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from tools.diagram.model import Block

NODE_BUDGET = 60

NodeKey = tuple[str, tuple[str, ...]]  # (stack, construct path inside it)


def group(blocks: Sequence[Block], stack_order: Sequence[str], budget: int = NODE_BUDGET) -> dict[Block, NodeKey]:
    """Map every block to the node that draws it."""
    rank = {name: index for index, name in enumerate(stack_order)}
    placed: dict[Block, NodeKey] = {block: (block.stack, ()) for block in blocks}
    settled: set[NodeKey] = set()  # opened, or too large to open
    while True:
        members: dict[NodeKey, list[Block]] = defaultdict(list)
        for block, node in placed.items():
            members[node].append(block)
        candidates = sorted(
            (node for node, inside in members.items() if node not in settled and _deeper(node, inside)),
            key=lambda node: (len(node[1]), -len(members[node]), rank.get(node[0], len(rank)), node),
        )
        for node in candidates:
            children = {_child(node, block) for block in members[node]}
            if len(members) - 1 + len(children) <= budget:
                for block in members[node]:
                    placed[block] = _child(node, block)
                settled.add(node)
                break
            settled.add(node)  # too large now; the count only grows, so it never fits later
        else:
            return placed


def _deeper(node: NodeKey, blocks: Sequence[Block]) -> bool:
    return any(len(block.construct) > len(node[1]) for block in blocks)


def _child(node: NodeKey, block: Block) -> NodeKey:
    """The node one construct level below `node` on the way to the block (or `node` itself)."""
    stack, path = node
    return (stack, block.construct[: len(path) + 1]) if len(block.construct) > len(path) else node
