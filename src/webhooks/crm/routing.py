"""Which Chatwoot team and agent a handed-over conversation goes to, by why it was handed over.

Three routes, each with an optional team and an optional agent (CHATWOOT_TEAM_<ROUTE>,
CHATWOOT_ASSIGNEE_<ROUTE>): `lead` (the customer chose an option), `human` (the customer asked
for a person, or accepted one when the bot was stuck or could not follow their language) and
`ineligible` (outside the tariff's limits, accepted a call). A route with neither is left to
Chatwoot's own assignment rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Handoff reasons (agent/stages) -> the route whose team and agent get the conversation.
ROUTE_OF = {
    "lead": "lead",
    "ineligible": "ineligible",
    "customer_request": "human",
    "stuck": "human",
    "language": "human",
}
ROUTES = ("lead", "human", "ineligible")


@dataclass(frozen=True)
class Route:
    """Where one kind of handover goes: a team, an agent, or both."""

    team_id: int | None = None
    assignee_id: int | None = None

    def __bool__(self) -> bool:
        """Whether it names anyone at all."""
        return self.team_id is not None or self.assignee_id is not None


@dataclass(frozen=True)
class LeadRouting:
    """The configured route of each kind of handover."""

    routes: dict[str, Route]

    @classmethod
    def from_settings(cls, settings: Any) -> LeadRouting:
        """The routes CHATWOOT_TEAM_<ROUTE> and CHATWOOT_ASSIGNEE_<ROUTE> configure."""
        return cls(
            {
                name: Route(
                    team_id=getattr(settings, f"chatwoot_team_{name}", None),
                    assignee_id=getattr(settings, f"chatwoot_assignee_{name}", None),
                )
                for name in ROUTES
            }
        )

    def for_reason(self, reason: str | None) -> Route:
        """The route of a handover made for `reason` (unknown reasons: a person was asked for)."""
        return self.routes.get(ROUTE_OF.get(reason or "", "human"), Route())
