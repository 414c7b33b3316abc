import copy
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA = REPO_ROOT.parent / "shared" / "data"
INSTANCES = DATA / "instances"


def base_instance() -> dict:
    """Two rounds, three offers (O1/O2 of company C1), small capacities."""
    return {
        "format": "allocation-instance/1",
        "rounds": ["R1", "R2"],
        "offers": [
            {"id": "O1", "company": "C1", "grades": [9, 10], "max_total": 3},
            {"id": "O2", "company": "C1"},
            {"id": "O3", "company": "C2"},
        ],
        "slots": [
            {"id": "S1", "offer": "O1", "round": "R1", "capacity": 2},
            {"id": "S2", "offer": "O1", "round": "R2", "capacity": 2},
            {"id": "S3", "offer": "O2", "round": "R1", "capacity": 2, "min_size": 2},
            {"id": "S4", "offer": "O3", "round": "R2", "capacity": 3},
        ],
        "students": [
            {"id": "P1", "grade": 9, "preferences": {"O1": 1, "O2": 2}},
            {"id": "P2", "grade": 9, "preferences": {"O1": 1, "O3": 2}, "excluded": ["O2"]},
            {"id": "P3", "grade": 8, "rounds": ["R2"], "preferences": {"O3": 1}},
        ],
        "rules": {"slots_per_student": 2, "rank_costs": [0, 1, 3], "unranked_cost": 5,
                  "missing_cost": 100},
    }


@pytest.fixture
def inst():
    return copy.deepcopy(base_instance())


def result(pairs, objective=None):
    return {"format": "allocation-result/1", "status": "feasible",
            "assignments": [{"student": s, "slot": l} for s, l in pairs],
            "objective": objective, "bound": None, "metrics": {}, "problems": []}


def need_data():
    if not INSTANCES.is_dir():
        pytest.skip(f"shared allocation data not found at {INSTANCES} (expected ../shared/data "
                    "next to the repository)")
