"""Reading a Prometheus text exposition the way Prometheus does (prometheus_client's parser)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from prometheus_client.parser import text_string_to_metric_families

from tests.gateway.conftest import AppClient


@dataclass(frozen=True)
class Exposition:
    """The families and samples of one scrape."""

    families: dict[str, str]  # family name -> type
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float]

    def value(self, name: str, **labels: str) -> float | None:
        """The sample `name{labels}` (exact label set), or None when it is absent."""
        return self.samples.get((name, frozenset(labels.items())))

    def labelled(self, name: str) -> dict[frozenset[tuple[str, str]], float]:
        """Every sample of `name`, by label set."""
        return {labels: v for (n, labels), v in self.samples.items() if n == name}


def parse(text: str) -> Exposition:
    families: dict[str, str] = {}
    samples: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(text):
        families[family.name] = family.type
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return Exposition(families, samples)


async def scrape(client: AppClient, headers: Mapping[str, str] | None = None) -> Exposition:
    """GET /metrics of a test gateway; it must answer 200 text/plain."""
    response = await client.get("/metrics", headers=headers)
    text = await response.text()
    assert response.status == 200, text
    assert response.content_type == "text/plain"
    return parse(text)
