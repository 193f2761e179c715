"""Architecture diagrams drawn from the synthesized stacks (`./meridian diagram [ENV]`, QA-5).

Reads each environment's `cdk.tf.json` files and writes one Mermaid flowchart per environment to
`docs/architecture-ENV.md` (and the dev one into the README between markers): stacks as subgraphs,
one node per construct (grouped by construct path within a node budget, `grouping.py`), edges for
references between constructs, cross-stack edges labelled with the output they carry, and the
security-relevant edges (security-group reach, KMS use) in their own link styles.

    model.py       the synthesized JSON as blocks, outputs, backends and remote-state readers
    references.py  `${...}` references in a block, also inside JSON policy statements
    grouping.py    which construct draws each block (the node budget rule)
    security.py    what a security-group rule admits; how a reference uses a KMS key
    graph.py       nodes and the five kinds of edges
    mermaid.py     the flowchart text
    documents.py   the Markdown files and the README's embedded copy
"""

from tools.diagram.documents import Drawing, draw, expected_files, stale_files, write_files
from tools.diagram.model import DiagramError

__all__ = ["DiagramError", "Drawing", "draw", "expected_files", "stale_files", "write_files"]
