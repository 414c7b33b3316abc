"""The rule that picks a meeting's date from the poll: pure (no database, no Flask, no clock).

The rule, as the coordinator reads it next to each date's figures:

1. Only dates on which every *required* member answered *yes* or *if need be* (and at least one
   member can come) are eligible;
2. among those, the most member organisations available (*yes* or *if need be*);
3. then the most *yes*;
4. then a date without a clash with the agency's other events;
5. then the earliest.

Dates that are not eligible are ranked below the eligible ones by the same steps 2–5, each with the
required members that block it (answered *no* or not at all). The chosen date is the first of the
ranking if it is eligible; otherwise nothing can be chosen. The views, the job process and
``flask meetings decide`` all call :func:`rank_dates`.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from scheduler_app.domain.errors import N_

YES = "yes"
IF_NEED_BE = "if_need_be"
NO = "no"
ANSWERS = (YES, IF_NEED_BE, NO)


@dataclass(frozen=True)
class DateOption:
    """One candidate date as the rule sees it. ``answers``: member organisation id → answer (members
    that did not answer are absent); ``clash``: another event of the agency that day or at that venue."""

    candidate: int
    starts_at: datetime
    answers: Mapping[int, str]
    clash: bool = False


@dataclass(frozen=True)
class RankedDate:
    candidate: int
    starts_at: datetime
    all_required: bool
    available: int
    yes: int
    if_need_be: int
    no: int
    clash: bool
    blocking: tuple[str, ...]  # names of required members who did not answer yes / if need be

    @property
    def eligible(self) -> bool:
        return self.all_required and self.available > 0

    def as_dict(self) -> dict:
        """The figures as ``flask meetings decide --json`` prints them."""
        return {"candidate": self.candidate, "starts_at": self.starts_at.isoformat(), "all_required": self.all_required,
                "available": self.available, "yes": self.yes, "if_need_be": self.if_need_be, "no": self.no,
                "clash": self.clash, "blocking": list(self.blocking)}


@dataclass(frozen=True)
class Ranking:
    dates: tuple[RankedDate, ...]

    @property
    def chosen(self) -> RankedDate | None:
        """The date the rule picks, or None when no date is eligible."""
        return self.dates[0] if self.dates and self.dates[0].eligible else None

    def as_dict(self) -> dict:
        chosen = self.chosen
        return {"chosen": chosen.candidate if chosen else None, "ranking": [date.as_dict() for date in self.dates]}


def figures(option: DateOption, members: Iterable[int], required: Mapping[int, str]) -> RankedDate:
    """One date's figures. Answers of organisations that are not (or no longer) members are ignored;
    ``required``: id → name of each required member."""
    member_ids = set(members) | set(required)
    answers = {organisation: answer for organisation, answer in option.answers.items() if organisation in member_ids}
    counts = {answer: sum(1 for given in answers.values() if given == answer) for answer in ANSWERS}
    blocking = tuple(sorted((name for organisation, name in required.items()
                             if answers.get(organisation) not in (YES, IF_NEED_BE)), key=str.casefold))
    return RankedDate(option.candidate, option.starts_at, not blocking, counts[YES] + counts[IF_NEED_BE], counts[YES],
                      counts[IF_NEED_BE], counts[NO], option.clash, blocking)


def _order(date: RankedDate) -> tuple:
    return (not date.eligible, -date.available, -date.yes, date.clash, date.starts_at, date.candidate)


def rank_dates(options: Iterable[DateOption], members: Iterable[int], required: Mapping[int, str]) -> Ranking:
    """Every candidate date with its figures, best first by the rule in this module's docstring."""
    members = list(members)
    return Ranking(tuple(sorted((figures(option, members, required) for option in options), key=_order)))


# The rule in the coordinator's words (English msgids; the views translate them).
RULE_STEPS = (
    N_("Only dates on which every required member answered yes or if need be (and at least one member can come) are eligible."),
    N_("Among those, the date with the most member organisations available (yes or if need be),"),
    N_("then the most yes,"),
    N_("then a date without a clash with the agency's other events,"),
    N_("then the earliest."),
)
