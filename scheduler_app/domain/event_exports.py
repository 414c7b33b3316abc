"""Exports of employer events: a company's attendance list (names and group sizes only) and all
registrations of a programme for its coordinator, as CSV (German Excel: UTF-8 with BOM, ``;``) and
XLSX, from the same rows and columns (headers are msgids: the boundary passes ``translate``)."""
from __future__ import annotations

import csv
import io
from collections.abc import Callable

from scheduler_app.domain.employer_events import attendance_rows
from scheduler_app.domain.errors import N_
from scheduler_app.domain.exports import _cell, _identity, xlsx_workbook
from scheduler_app.models import EmployerEvent, EventRegistration, Programme, RegistrationStatus

ATTENDANCE_COLUMNS = (N_("Name"), N_("Places"), N_("Attended"))
REGISTRATION_COLUMNS = (N_("Event"), N_("Company"), N_("Starts"), N_("Name"), N_("E-mail address"), N_("Organisation or school"),
                        N_("Places"), N_("Status"), N_("Waitlist position"), N_("Attended"), N_("Registered at"))


def _attended(value: bool | None, translate) -> str:
    return "" if value is None else translate(N_("yes")) if value else translate(N_("no"))


def attendance_table(event: EmployerEvent, translate: Callable[[str], str] = _identity) -> list[list]:
    """Header and one row per confirmed registration: name, places, attended (as recorded)."""
    rows = [[translate(header) for header in ATTENDANCE_COLUMNS]]
    rows += [[r.name, r.places, _attended(r.attended, translate)] for r in attendance_rows(event)]
    return rows


def registrations_table(programme: Programme, translate: Callable[[str], str] = _identity) -> list[list]:
    """Header and one row per registration (cancelled ones too, marked) of the programme's events."""
    rows = [[translate(header) for header in REGISTRATION_COLUMNS]]
    for event in sorted(programme.employer_events, key=lambda e: (e.starts_at, e.id)):
        registrations: list[EventRegistration] = sorted(event.registrations, key=lambda r: r.id)
        for r in registrations:
            rows.append([event.title, event.company.name, event.starts_at.strftime("%Y-%m-%d %H:%M"), r.name, r.email,
                         r.organisation_name or (r.organisation.name if r.organisation else ""), r.places,
                         translate(STATUS_LABELS[r.status]), r.waitlist_position or "", _attended(r.attended, translate),
                         r.created_at.strftime("%Y-%m-%d %H:%M")])
    return rows


STATUS_LABELS = {RegistrationStatus.confirmed: N_("confirmed"), RegistrationStatus.waitlisted: N_("waitlisted"),
                 RegistrationStatus.cancelled: N_("cancelled")}


def as_csv(rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(rows: list[list], title: str) -> bytes:
    return xlsx_workbook(title, [[_cell(value) for value in row] for row in rows])
