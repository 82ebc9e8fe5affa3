"""The inbox forms. Every one carries a CSRF token (Flask-WTF) and says what is wrong in words."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError

from core.text_input import clean_text

MAX_REPLY_CHARS = 2000
MAX_NOTE_CHARS = 2000


def _cleaned(value):
    # Invisible control and formatting characters never reach a patient or the database.
    return clean_text(value) if isinstance(value, str) else value


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired("Type your user name."), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired("Type your password."), Length(max=256)])


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token: sign out, hand back, reopen."""


class TakeOverForm(FlaskForm):
    # Who had the conversation when the page was drawn: taking it from a
    # colleague is only done on purpose, never by a stale page.
    expected = HiddenField()

    def validate_expected(self, field):
        if field.data and not field.data.isdigit():
            raise ValidationError("invalid form")


class ReplyForm(FlaskForm):
    text = TextAreaField(
        "Reply to the patient",
        filters=[_cleaned],
        validators=[
            DataRequired("Write the reply before sending it."),
            Length(max=MAX_REPLY_CHARS, message=f"A reply can be at most {MAX_REPLY_CHARS} characters."),
        ],
    )


class NoteForm(FlaskForm):
    text = TextAreaField(
        "Internal note",
        filters=[_cleaned],
        validators=[
            DataRequired("Write the note before saving it."),
            Length(max=MAX_NOTE_CHARS, message=f"A note can be at most {MAX_NOTE_CHARS} characters."),
        ],
    )


class AssignForm(FlaskForm):
    assignee = SelectField("Assign to", choices=[], validate_choice=True)


class ReclassifyForm(FlaskForm):
    kind = SelectField("Type", choices=[], validate_choice=True)
    priority = SelectField("Priority", choices=[], validate_choice=True)


class ResolveForm(FlaskForm):
    hand_back = BooleanField("Also hand the conversation back to the assistant", default=True)


class VerdictForm(FlaskForm):
    """A curator's verdict on a thumbs-down answer: one submit button per verdict (choices set by the view)."""

    verdict = SelectField("Verdict", choices=[], validate_choice=True)


SHORTCUT_PATTERN = r"[a-z0-9]+(?:-[a-z0-9]+)*"
MAX_SHORTCUT_CHARS = 40


class SavedReplyForm(FlaskForm):
    language = SelectField("Language", choices=[], validate_choice=True)
    shortcut = StringField(
        "Shortcut",
        filters=[lambda value: value.strip().lower() if isinstance(value, str) else value],
        validators=[
            DataRequired("Give the saved reply a shortcut."),
            Length(max=MAX_SHORTCUT_CHARS, message=f"A shortcut can be at most {MAX_SHORTCUT_CHARS} characters."),
            Regexp(f"^{SHORTCUT_PATTERN}$", message="A shortcut is lower-case letters and digits, with hyphens between words."),
        ],
    )
    body = TextAreaField(
        "Text sent to the patient",
        filters=[_cleaned],
        validators=[
            DataRequired("Write the text of the saved reply."),
            Length(max=MAX_REPLY_CHARS, message=f"A saved reply can be at most {MAX_REPLY_CHARS} characters."),
        ],
    )


MAX_EXPORT_DAYS = 366


class ExportForm(FlaskForm):
    """The days whose tickets to export, in the department's time zone, both included."""

    first_day = DateField("From", validators=[InputRequired("Choose the first day.")])
    last_day = DateField("To", validators=[InputRequired("Choose the last day.")])

    def validate_last_day(self, field):
        if self.first_day.data and field.data:
            if field.data < self.first_day.data:
                raise ValidationError("The last day is before the first day.")
            if (field.data - self.first_day.data).days >= MAX_EXPORT_DAYS:
                raise ValidationError(f"Export at most {MAX_EXPORT_DAYS} days at a time.")
