"""One CloudWatch dashboard per region, drawn from typed metric sources (OPS-2, DC-10).

How to use:

    dashboard = RegionalDashboard(self, "dashboard", RegionalDashboardProps(naming.name("operations"), region))
    dashboard.add(DatabaseMetrics(cluster.identifier))      # any time before synth; rows keep a fixed order
    dashboard.url                                             # the console link, in the stack's own region

Each source gets a heading and its graphs, three to a row, in the order ECS, ALB, Aurora, Redis,
Lambda, Kinesis whatever order they were added in; a region without a source has no row for it.
Every graph reads its metrics in the dashboard's region, which is the stack's, never a pasted one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cdktf_cdktf_provider_aws.cloudwatch_dashboard import CloudwatchDashboard
from constructs import Construct

from constructs_lib.lazy import lazy_string
from constructs_lib.metrics import Graph, MetricSource

GRID_WIDTH = 24  # CloudWatch's dashboard grid
GRAPH_WIDTH, GRAPH_HEIGHT, HEADING_HEIGHT = 8, 6, 1
PERIOD_SECONDS = 60


@dataclass(frozen=True)
class RegionalDashboardProps:
    name: str  # with the environment suffix
    region: str  # the stack's region: the graphs' region and the URL's


class RegionalDashboard(Construct):
    def __init__(self, scope: Construct, id_: str, props: RegionalDashboardProps) -> None:
        super().__init__(scope, id_)
        self._props = props
        self._sources: list[MetricSource] = []
        self._dashboard = CloudwatchDashboard(
            self, "dashboard", dashboard_name=props.name, dashboard_body=lazy_string(self.body)
        )

    @property
    def name(self) -> str:
        return self._dashboard.dashboard_name

    @property
    def url(self) -> str:
        region = self._props.region
        return (
            f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#dashboards/dashboard/{self.name}"
        )

    def add(self, source: MetricSource) -> None:
        self._sources.append(source)

    def body(self) -> str:
        """The dashboard JSON: a heading and the graphs of each source, sources in their fixed order."""
        if not self._sources:
            raise ValueError(f"dashboard {self._props.name}: no metric source was added; allowed: one or more")
        widgets: list[dict] = []
        y = 0
        for source in sorted(self._sources, key=lambda found: (found.order, found.title)):
            widgets.append(_heading(source.title, y))
            y += HEADING_HEIGHT
            for index, graph in enumerate(source.graphs()):
                x = (index * GRAPH_WIDTH) % GRID_WIDTH
                if index and x == 0:
                    y += GRAPH_HEIGHT
                widgets.append(self._graph(graph, x, y))
            y += GRAPH_HEIGHT
        return json.dumps({"widgets": widgets})

    def _graph(self, graph: Graph, x: int, y: int) -> dict:
        return {
            "type": "metric",
            "x": x,
            "y": y,
            "width": GRAPH_WIDTH,
            "height": GRAPH_HEIGHT,
            "properties": {
                "title": graph.title,
                "region": self._props.region,
                "view": "timeSeries",
                "period": PERIOD_SECONDS,
                "metrics": [metric.dashboard_entry() for metric in graph.metrics],
            },
        }


def _heading(title: str, y: int) -> dict:
    return {
        "type": "text",
        "x": 0,
        "y": y,
        "width": GRID_WIDTH,
        "height": HEADING_HEIGHT,
        "properties": {"markdown": f"## {title}"},
    }
