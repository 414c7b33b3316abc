"""Calendar feeds over HTTP, and the links the owners' pages show.

``GET``/``HEAD /feeds/<token>/<name>.ics`` (private) and ``/feeds/programmes/<id>/<name>.ics``
(public) answer ``text/calendar; charset=utf-8`` with a strong ``ETag`` and ``Last-Modified``, and
``304`` to ``If-None-Match`` / ``If-Modified-Since`` without building the body. No ``Accept`` header is
needed (Google sends none); ``X-Robots-Tag: noindex`` keeps feeds out of search engines; a renewed
or unknown token answers 404. The file name in the URL is for people (Thunderbird names the calendar
after it); only the token decides.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import timezone
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, request
from flask_babel import get_locale
from flask_babel import gettext as _

from scheduler_app.domain import feeds
from scheduler_app.domain.calendar import uid_domain
from scheduler_app.domain.classes import qr_svg
from scheduler_app.domain.tokens import link_key
from scheduler_app.extensions import db
from scheduler_app.models import CalendarFeed, FeedKind, Programme
from scheduler_app.models_base import utc_now
from scheduler_app.web.actions import commit_or_flash

bp = Blueprint("feeds", __name__, url_prefix="/feeds")


def token_key() -> str:
    return link_key(current_app.config)


def context() -> feeds.FeedContext:
    base_url = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return feeds.FeedContext(now=utc_now(), base_url=base_url, uid_domain=uid_domain(base_url))


@dataclass(frozen=True)
class FeedLinks:
    """What a page shows to subscribe: the https link, webcal://, Google and Outlook, a QR code."""

    name: str
    https: str
    webcal: str
    google: str
    outlook: str
    qr_svg: str


def links(feed: CalendarFeed, name: str, qr_title: str) -> FeedLinks:
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + feeds.feed_path(feed, token_key(), name)
    webcal = "webcal://" + url.split("://", 1)[1]
    return FeedLinks(
        name=name, https=url, webcal=webcal,
        google="https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal}),
        outlook="https://outlook.live.com/calendar/0/addfromweb?" + urlencode({"url": url, "name": name}, quote_via=quote),
        qr_svg=qr_svg(url, qr_title),
    )


def links_for(kind: FeedKind, owner_id: int, name: str) -> FeedLinks:
    """The owner's feed links for a page; the feed is made on first view (committed here: a page that
    shows a link must find it again)."""
    _done, feed = commit_or_flash(lambda: feeds.feed_for(kind, owner_id, token_key(), utc_now(), locale=str(get_locale())))
    return links(feed, name, _("QR code of the calendar address"))


def renew_and_return(kind: FeedKind, owner_id: int, back: str) -> Response:
    """Give the owner's feed a new link (the old one answers 404 at once) and go back to the page."""
    commit_or_flash(lambda: feeds.renew(feeds.feed_for(kind, owner_id, token_key(), utc_now(), locale=str(get_locale())),
                                        token_key(), utc_now()))
    flash(_("The calendar has a new address. Subscribe again with it; the old address no longer works."), "success")
    return redirect(back)


def _serve(feed: CalendarFeed) -> Response:
    feed_content = feeds.content(feed, context())
    tag = feeds.etag(feed_content)
    last_modified = feed_content.last_modified
    headers = {"ETag": f'"{tag}"', "X-Robots-Tag": "noindex",
               "Cache-Control": "private, no-cache" if feeds.is_private(feed.kind) else "public, no-cache"}
    if last_modified is not None:
        headers["Last-Modified"] = _http_date(last_modified)
    if request.if_none_match:
        not_modified = request.if_none_match.contains(tag)
    else:
        since = request.if_modified_since
        not_modified = since is not None and last_modified is not None and \
            last_modified.replace(microsecond=0, tzinfo=timezone.utc) <= since
    if not_modified:
        return Response(status=304, headers=headers)
    response = Response(_body(feed_content, tag), content_type="text/calendar; charset=utf-8", headers=headers)
    response.headers["Content-Disposition"] = f'inline; filename="{feeds.file_name(feed_content.name)}"'
    return response


_BODIES: OrderedDict[str, bytes] = OrderedDict()
BODY_CACHE_BYTES = 16 * 1024 * 1024


def _body(feed_content: feeds.FeedContent, tag: str) -> bytes:
    """The body for this ETag: built once per process and kept (bounded, least recently used first
    out), since the ETag names the content exactly; serialising a large calendar is the costly part."""
    body = _BODIES.get(tag)
    if body is None:
        body = feeds.body(feed_content)
        _BODIES[tag] = body
        while sum(map(len, _BODIES.values())) > BODY_CACHE_BYTES and len(_BODIES) > 1:
            _BODIES.popitem(last=False)
    _BODIES.move_to_end(tag)
    return body


def _http_date(moment) -> str:
    from werkzeug.http import http_date

    return http_date(moment.replace(tzinfo=timezone.utc))


@bp.route("/<token>/<name>.ics", methods=["GET", "HEAD"])
def private_feed(token: str, name: str):
    feed = feeds.find_by_token(token)
    if feed is None:
        abort(404)
    return _serve(feed)


@bp.route("/programmes/<int:programme_id>/<name>.ics", methods=["GET", "HEAD"])
def programme_feed(programme_id: int, name: str):
    """The public feed of a programme (no token: it holds no personal data)."""
    if db.session.get(Programme, programme_id) is None:
        abort(404)
    return _serve(CalendarFeed(kind=FeedKind.programme, programme_id=programme_id, locale="de"))
