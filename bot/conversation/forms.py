"""Forms, run as Rasa's form loop runs them: ask for the requested slot, fill it from the
next message, have the form's validation action check it, ask for the next one, and
when none is missing run the form's submit action.

Form state lives in the conversation's slots (`active_loop`, `requested_slot`), so a
form survives restarts and goes on where the customer left it.

Forms let go: every question says how to stop; an answer the validation turns down is
asked for again at most twice, then the bot offers to stop (`STOP_OFFERED`); details
the store already holds for a customer the channel proved (name, email) are filled in,
never asked for.
"""

from __future__ import annotations

from typing import Any

from actions.domain import FORM_SUBMIT_ACTIONS, FORMS, SLOT_ENTITIES, ask_text
from bot.conversation.action_runner import ActionRunner
from bot.conversation.dialogue import Reply, Turn

ACTIVE_LOOP = "active_loop"
REQUESTED_SLOT = "requested_slot"
FORM_MISSES = "form_misses"  # answers turned down in a row for the requested slot
STOP_OFFERED = "form_stop_offered"  # the bot asked whether to stop the form
CANCELLED = "OK, I've stopped that. Is there anything else I can help with?"
# Not "stop": on SMS that word is the carrier's opt-out keyword.
STOP_HINT = "(Say cancel to stop.)"
MAX_MISSES = 3  # the first answer and two more tries; then the bot offers to stop
OFFER_TO_STOP = (
    "That still isn't something I can use. Shall I stop here? Say yes to stop, or no to try again."
)
# Slots a verified customer's record answers: slot -> customer field.
KNOWN_DETAILS = {"lead_name": "name", "lead_email": "email"}


def active_form(turn: Turn) -> str | None:
    form = turn.slots.get(ACTIVE_LOOP)
    return form if form in FORMS else None


def _missing(form: str, slots: dict[str, Any]) -> str | None:
    return next((s for s in FORMS[form]["required_slots"] if slots.get(s) is None), None)


class FormLoop:
    def __init__(self, runner: ActionRunner) -> None:
        self._runner = runner

    async def start(self, turn: Turn, form: str, *, verified: bool = False) -> list[Reply]:
        """Open the form; a first slot the message already answers ("change my email to
        x@y.com") is filled at once, and for a `verified` customer the details the store
        holds are filled in."""
        known = _known_details(turn) if verified else {}
        for slot in FORMS[form]["required_slots"]:
            turn.slots[slot] = known.get(slot)
        first = _missing(form, turn.slots)
        assert first is not None
        turn.slots[ACTIVE_LOOP] = form
        turn.slots[REQUESTED_SLOT] = first
        turn.slots[FORM_MISSES] = 0
        if self.entity_for(turn, first) is not None:
            return await self.advance(turn)
        return [Reply(_asking(ask_text(first)), intent=form, confidence=1.0)]

    def cancel(self, turn: Turn) -> list[Reply]:
        form = active_form(turn)
        self._clear(turn, form)
        return [Reply(CANCELLED, intent="form_cancelled", confidence=1.0)]

    def ask_again(self, turn: Turn) -> list[Reply]:
        """The requested slot's question once more (after an interruption, or "no" to
        the offer to stop)."""
        form = active_form(turn)
        assert form is not None
        turn.slots[FORM_MISSES] = 0
        slot = turn.slots.get(REQUESTED_SLOT) or _missing(form, turn.slots)
        return [Reply(_asking(ask_text(str(slot))), intent=form, confidence=1.0)]

    async def advance(self, turn: Turn) -> list[Reply]:
        """Fill the requested slot from this message; ask the next or submit."""
        form = active_form(turn)
        assert form is not None
        slot = turn.slots.get(REQUESTED_SLOT) or _missing(form, turn.slots)
        assert slot is not None
        candidate = self._value_for(turn, slot)
        checked = await self._runner.run(
            f"validate_{form}", turn, turn.slots, candidates={slot: candidate}, active_loop=form
        )
        turn.slots.update({k: v for k, v in checked.slots.items() if k != REQUESTED_SLOT})
        texts = list(checked.texts)
        following = _missing(form, turn.slots)
        if following is not None:
            turn.slots[REQUESTED_SLOT] = following
            if following == slot:
                misses = int(turn.slots.get(FORM_MISSES) or 0) + 1
                turn.slots[FORM_MISSES] = misses
                if misses >= MAX_MISSES:
                    turn.slots[STOP_OFFERED] = True
                    return [Reply(OFFER_TO_STOP, intent=form, confidence=1.0)]
            else:
                turn.slots[FORM_MISSES] = 0
            if following != slot or not texts:  # a rejection's message re-asks already
                texts.append(ask_text(following))
            texts[-1] = _asking(texts[-1])
            return [Reply(text, intent=form, confidence=1.0) for text in texts]
        submitted = await self._runner.run(FORM_SUBMIT_ACTIONS[form], turn, turn.slots)
        turn.slots.update(submitted.slots)
        self._clear(turn, form)
        return [Reply(t, intent=form, confidence=1.0) for t in texts + submitted.texts]

    @staticmethod
    def entity_for(turn: Turn, slot: str) -> Any:
        """The value of an entity that fills `slot` in this message ("jo@example.com"
        for an email), or None."""
        for entity in SLOT_ENTITIES.get(slot, ()):
            values = turn.understanding.entity_values(entity) if turn.understanding else []
            if values:
                return values[0]
        return None

    def _value_for(self, turn: Turn, slot: str) -> Any:
        found = self.entity_for(turn, slot)
        return found if found is not None else turn.message.text

    @staticmethod
    def _clear(turn: Turn, form: str | None) -> None:
        for slot in FORMS.get(form or "", {}).get("required_slots", []):
            turn.slots.pop(slot, None)
        for name in (ACTIVE_LOOP, REQUESTED_SLOT, FORM_MISSES, STOP_OFFERED):
            turn.slots.pop(name, None)


def _asking(text: str) -> str:
    return f"{text} {STOP_HINT}"


def _known_details(turn: Turn) -> dict[str, Any]:
    found = {}
    for slot, field_name in KNOWN_DETAILS.items():
        value = getattr(turn.customer, field_name, None)
        if isinstance(value, str) and value.strip():
            found[slot] = value.strip()
    return found
