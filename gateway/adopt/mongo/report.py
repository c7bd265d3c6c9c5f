"""What an import did: per kind, how many records were imported, updated or skipped, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

Outcome = Literal["imported", "updated", "skipped", "would import"]
KINDS = ("users", "wallets", "portfoliosnapshots", "bots")


@dataclass(frozen=True)
class Line:
    """One record's outcome."""

    kind: str
    legacy_id: str
    outcome: Outcome
    reason: str = ""


@dataclass
class Report:
    """Outcomes, notes (imported, but worth knowing) and problems (not imported)."""

    dry_run: bool = False
    lines: list[Line] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def add(self, kind: str, legacy_id: str, outcome: Outcome, reason: str = "") -> None:
        self.lines.append(Line(kind, legacy_id, outcome, reason))

    def count(self, kind: str, outcome: Outcome) -> int:
        return sum(1 for line in self.lines if line.kind == kind and line.outcome == outcome)

    def counts(self) -> dict[str, Counter[str]]:
        """Outcome counts per kind."""
        result: dict[str, Counter[str]] = {kind: Counter() for kind in KINDS}
        for line in self.lines:
            result.setdefault(line.kind, Counter())[line.outcome] += 1
        return result

    def render(self) -> str:
        """The report as text for the terminal."""
        title = "Dry run (nothing written)" if self.dry_run else "Import report"
        out = [title, "=" * len(title)]
        for kind, counter in self.counts().items():
            parts = ", ".join(f"{outcome} {n}" for outcome, n in sorted(counter.items()))
            out.append(f"{kind:20} {parts or 'none'}")
        skipped = Counter(
            (line.kind, line.reason) for line in self.lines if line.outcome == "skipped"
        )
        if skipped:
            out.append("")
            out.append("Skipped:")
            for (kind, reason), n in sorted(skipped.items()):
                out.append(f"  {kind}: {n} x {reason}")
        for heading, items in (("Problems", self.problems), ("Notes", self.notes)):
            if items:
                out.append("")
                out.append(f"{heading} ({len(items)}):")
                out.extend(f"  - {item}" for item in items)
        return "\n".join(out)
