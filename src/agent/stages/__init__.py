"""One node per step of the sale. Each reads the state and returns a partial update.

`build_graph` (agent.graph) wires these nodes; the modules group them by stage of the funnel.
"""

from agent.stages.commands import explain_language, hand_off, opt_out, restart, resume_bot
from agent.stages.consent import greet
from agent.stages.needs import analyse_needs
from agent.stages.proposal import close_sale, follow_up, handle_proposal, make_quote
from agent.stages.turn import respond, understand

__all__ = [
    "analyse_needs",
    "close_sale",
    "explain_language",
    "follow_up",
    "greet",
    "hand_off",
    "handle_proposal",
    "make_quote",
    "opt_out",
    "respond",
    "restart",
    "resume_bot",
    "understand",
]
