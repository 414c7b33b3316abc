"""Sign-in and sign-out."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from scheduler_app.domain import accounts
from scheduler_app.domain.errors import DomainError
from scheduler_app.extensions import db, limiter, login_manager
from scheduler_app.models import User
from scheduler_app.models_base import utc_now
from scheduler_app.web.forms import LoginForm
from scheduler_app.web.navigation import home_for, is_safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = None


@login_manager.user_loader
def load_user(session_id: str):
    try:
        user_id, version = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or user.session_version != version or not user.active:
        return None
    return user


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, utc_now())
        except DomainError as error:
            form.password.errors.append(_(error.message, **error.params))
        else:
            db.session.commit()
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    accounts.end_sessions(current_user)
    db.session.commit()
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))
