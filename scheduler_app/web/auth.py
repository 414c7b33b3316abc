"""Sign-in and sign-out, invitation links for school and company contacts, and changing one's password."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from scheduler_app.domain import accounts, invitations
from scheduler_app.domain.errors import DomainError
from scheduler_app.domain.invitations import InvitationGone, InvitationUnknown
from scheduler_app.extensions import db, limiter, login_manager
from scheduler_app.models import User
from scheduler_app.models_base import utc_now
from scheduler_app.web.actions import commit_or_flash, commit_or_show
from scheduler_app.web.navigation import home_for, is_safe_next

bp = Blueprint("auth", __name__, url_prefix="/auth")

login_manager.login_view = "auth.login"
login_manager.login_message = None


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


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
        done, user = commit_or_show(form, lambda: accounts.authenticate(form.email.data, form.password.data, utc_now()),
                                    "password")
        if done:
            login_user(user)
            target = request.args.get("next")
            return redirect(target if is_safe_next(target) else home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    commit_or_flash(lambda: accounts.end_sessions(current_user))
    logout_user()
    flash(_("You have signed out."), "success")
    return redirect(url_for("public.home"))


PASSWORD_MAX_LENGTH = 200


class InvitationForm(FlaskForm):
    password = PasswordField(_l("Password (optional)"), validators=[Optional(), Length(max=PASSWORD_MAX_LENGTH)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[EqualTo("password", message=_l("The two passwords do not match."))])


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[Length(max=PASSWORD_MAX_LENGTH)])
    password = PasswordField(_l("New password"), validators=[DataRequired(_l("Please enter a new password.")),
                                                             Length(max=PASSWORD_MAX_LENGTH)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[EqualTo("password", message=_l("The two passwords do not match."))])


def _invitation_unusable(error: DomainError, status: int):
    return render_template("auth/invitation_invalid.html", message=_(error.message, **error.params)), status


@bp.route("/invitation/<token>", methods=["GET", "POST"])
def invitation(token: str):
    """GET only shows the invitation (mail scanners prefetch links); POST uses it up and signs in."""
    now = utc_now()
    try:
        invitation = invitations.find_open(token, now)
    except InvitationUnknown as error:
        return _invitation_unusable(error, 404)
    except InvitationGone as error:
        return _invitation_unusable(error, 410)
    signs_in = invitations.signs_in_by_link(invitation)
    form = InvitationForm()
    if not signs_in:
        del form.password, form.confirm
    if form.validate_on_submit():
        done, user = commit_or_show(form, lambda: invitations.redeem(token, now, form.password.data if signs_in else None),
                                    "password")
        if not done and isinstance(user, InvitationGone):  # used or withdrawn meanwhile
            return _invitation_unusable(user, 410)
        if done:
            if not signs_in:
                flash(_("You are now also a contact of %(organisation)s. Please sign in with your password.",
                        organisation=invitation.organisation.name), "success")
                return redirect(url_for("auth.login"))
            login_user(user)
            flash(_("Welcome, %(name)s. You are signed in.", name=user.name), "success")
            return redirect(home_for(user))
    return render_template("auth/invitation.html", form=form, invitation=invitation, signs_in=signs_in)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    """Set or change one's password; every other session of the account ends."""
    form = PasswordForm()
    if not current_user.password_hash:
        del form.current_password
    if form.validate_on_submit():
        current = form.current_password.data if "current_password" in form else None
        done, _result = commit_or_show(form, lambda: accounts.change_password(
            current_user._get_current_object(), current, form.password.data, utc_now()), "password")
        if done:
            login_user(current_user._get_current_object())  # this session continues under the new version
            flash(_("Your password has been saved. Other sessions have been signed out."), "success")
            return redirect(home_for(current_user))
    return render_template("auth/password.html", form=form)
