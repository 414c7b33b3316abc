"""placeholder"""
from dataclasses import dataclass


@dataclass
class Reason:
    code: str


def explain(instance_data, result_data, student_id):
    return []
