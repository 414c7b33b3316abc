"""Pages anyone may see: the start page and the language switch."""
from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user

from scheduler_app.web.navigation import home_for, is_safe_next

bp = Blueprint("public", __name__)


@bp.route("/")
def home():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return render_template("public/home.html")


@bp.route("/language/<code>", methods=["POST"])
def set_language(code: str):
    if code not in current_app.config["LANGUAGES"]:
        abort(404)
    session["lang"] = code
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else url_for("public.home"))
