"""Who is acting and from where: passed from routers and the CLI into every service call."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    kind: str  # staff | participant | system | anonymous
    id: int | None = None
    label: str = ""
    ip: str = ""

    @property
    def audit_name(self) -> str:
        if self.kind in ("system", "anonymous"):
            return self.kind if not self.label else f"{self.kind}:{self.label}"
        return f"{self.kind}:{self.id}:{self.label}" if self.label else f"{self.kind}:{self.id}"


SYSTEM = Actor(kind="system", label="cli")
