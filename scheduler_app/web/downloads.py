"""Files a page hands out to save: one response shape for every download (allocation exports,
attendance lists, registration exports)."""
from __future__ import annotations

from flask import Response

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(body: bytes | str, mimetype: str, filename: str) -> Response:
    """``body`` as an attachment named ``filename``."""
    return Response(body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def table_download(table, kind: str, *, sheet: str, stem: str) -> Response:
    """A table of :mod:`scheduler_app.domain.event_exports` as ``stem.csv`` or ``stem.xlsx``
    (``kind``), the worksheet named ``sheet``."""
    from scheduler_app.domain import event_exports

    if kind == "csv":
        return download(event_exports.as_csv(table), "text/csv", f"{stem}.csv")
    return download(event_exports.as_xlsx(table, sheet), XLSX, f"{stem}.xlsx")
