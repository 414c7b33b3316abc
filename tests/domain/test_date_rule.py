"""The rule that picks a meeting's date: pure, so these tests build no app and no database."""
from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler_app.domain.date_rule import IF_NEED_BE, NO, YES, DateOption, rank_dates

MONDAY = datetime(2027, 3, 1, 14, 0)
CHAMBER, JOBCENTER, COMPANY, SCHOOL = 1, 2, 3, 4
MEMBERS = [CHAMBER, JOBCENTER, COMPANY, SCHOOL]
REQUIRED = {CHAMBER: "IHK", JOBCENTER: "Jobcenter"}


def option(candidate: int, answers: dict, days: int | None = None, clash: bool = False) -> DateOption:
    return DateOption(candidate, MONDAY + timedelta(days=candidate if days is None else days), answers, clash)


def test_a_date_every_required_member_can_attend_beats_one_more_members_can():
    ranking = rank_dates([
        option(1, {CHAMBER: NO, JOBCENTER: YES, COMPANY: YES, SCHOOL: YES}),
        option(2, {CHAMBER: IF_NEED_BE, JOBCENTER: YES}),
    ], MEMBERS, REQUIRED)

    assert [date.candidate for date in ranking.dates] == [2, 1]
    assert ranking.chosen.candidate == 2
    assert ranking.dates[1].blocking == ("IHK",) and not ranking.dates[1].all_required


def test_among_eligible_dates_more_available_members_win_then_more_yes():
    ranking = rank_dates([
        option(1, {CHAMBER: YES, JOBCENTER: YES}),  # 2 available, 2 yes
        option(2, {CHAMBER: IF_NEED_BE, JOBCENTER: IF_NEED_BE, COMPANY: IF_NEED_BE}),  # 3 available, 0 yes
        option(3, {CHAMBER: YES, JOBCENTER: YES, COMPANY: IF_NEED_BE}),  # 3 available, 2 yes
    ], MEMBERS, REQUIRED)

    assert [date.candidate for date in ranking.dates] == [3, 2, 1]
    assert (ranking.dates[0].available, ranking.dates[0].yes, ranking.dates[0].if_need_be) == (3, 2, 1)


def test_a_tie_goes_to_the_date_without_a_clash_then_to_the_earliest():
    answers = {CHAMBER: YES, JOBCENTER: YES}
    ranking = rank_dates([option(1, answers, clash=True), option(2, answers), option(3, answers)], MEMBERS, REQUIRED)

    assert [date.candidate for date in ranking.dates] == [2, 3, 1]
    assert ranking.chosen.candidate == 2 and ranking.dates[2].clash


def test_without_an_eligible_date_nothing_is_chosen_and_each_date_names_its_blocking_members():
    ranking = rank_dates([
        option(1, {CHAMBER: NO, COMPANY: YES, SCHOOL: YES}),
        option(2, {CHAMBER: YES, JOBCENTER: NO, COMPANY: YES}),
    ], MEMBERS, REQUIRED)

    assert ranking.chosen is None
    # the rest ranked by the same rule: both have 2 available and 2 yes; date 1 is the earlier
    assert [(date.candidate, date.blocking) for date in ranking.dates] == [(1, ("IHK", "Jobcenter")), (2, ("Jobcenter",))]
    assert ranking.as_dict()["chosen"] is None


def test_a_required_member_that_did_not_answer_blocks_the_date():
    ranking = rank_dates([option(1, {CHAMBER: YES, COMPANY: YES})], MEMBERS, REQUIRED)
    assert ranking.chosen is None and ranking.dates[0].blocking == ("Jobcenter",)


def test_without_required_members_a_date_nobody_can_attend_is_not_chosen():
    assert rank_dates([option(1, {COMPANY: NO})], MEMBERS, {}).chosen is None
    assert rank_dates([option(1, {COMPANY: IF_NEED_BE})], MEMBERS, {}).chosen.candidate == 1
    assert rank_dates([], MEMBERS, {}).chosen is None


def test_answers_of_organisations_that_are_no_longer_members_do_not_count():
    ranking = rank_dates([option(1, {CHAMBER: YES, JOBCENTER: YES, 99: YES})], MEMBERS, REQUIRED)
    assert (ranking.dates[0].available, ranking.dates[0].yes) == (2, 2)


def test_the_json_shape_is_the_contract_of_flask_meetings_decide():
    ranking = rank_dates([option(7, {CHAMBER: YES, JOBCENTER: IF_NEED_BE, COMPANY: NO}, days=1)], MEMBERS, REQUIRED)
    assert ranking.as_dict() == {"chosen": 7, "ranking": [{
        "candidate": 7, "starts_at": "2027-03-02T14:00:00", "all_required": True, "available": 2, "yes": 1,
        "if_need_be": 1, "no": 1, "clash": False, "blocking": []}]}


# --- the rule against a brute force that applies its steps literally -----------------------------------

def brute_force_order(options, members, required) -> list[int]:
    """Repeatedly take the best remaining date by filtering, step by step, as the rule is written."""
    def available(o):
        return sum(1 for org, answer in o.answers.items() if org in members and answer in (YES, IF_NEED_BE))

    def yes(o):
        return sum(1 for org, answer in o.answers.items() if org in members and answer == YES)

    def eligible(o):
        return all(o.answers.get(org) in (YES, IF_NEED_BE) for org in required) and available(o) > 0

    order, remaining = [], list(options)
    while remaining:
        pool = [o for o in remaining if eligible(o)] or remaining
        for score in (available, yes, lambda o: not o.clash):
            best = max(score(o) for o in pool)
            pool = [o for o in pool if score(o) == best]
        pick = min(pool, key=lambda o: (o.starts_at, o.candidate))
        order.append(pick.candidate)
        remaining.remove(pick)
    return order


answers_strategy = st.dictionaries(st.sampled_from(MEMBERS + [99]), st.sampled_from([YES, IF_NEED_BE, NO]), max_size=5)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(answers_strategy, st.integers(0, 6), st.booleans()), max_size=7),
       st.sets(st.sampled_from(MEMBERS), max_size=3))
def test_the_ranking_equals_a_brute_force_application_of_the_rule(dates, required_ids):
    options = [DateOption(index, MONDAY + timedelta(days=day, hours=index), answers, clash)
               for index, (answers, day, clash) in enumerate(dates)]
    required = {org: f"Org {org}" for org in required_ids}

    ranking = rank_dates(options, MEMBERS, required)

    assert [date.candidate for date in ranking.dates] == brute_force_order(options, set(MEMBERS), required)
    expected_choice = ranking.dates[0].candidate if ranking.dates and ranking.dates[0].eligible else None
    assert (ranking.chosen.candidate if ranking.chosen else None) == expected_choice
    for date in ranking.dates:
        assert date.available == date.yes + date.if_need_be
        assert date.all_required == (not date.blocking)
