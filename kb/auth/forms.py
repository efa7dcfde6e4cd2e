"""Sign-in form: Flask-WTF for the CSRF token and field rendering; what is valid is
kb.auth.schemas.SignIn, whose bounds the fields show."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField

from kb.auth.schemas import SignIn
from kb.schemas import max_length


class LoginForm(FlaskForm):
    email = EmailField("E-mail", render_kw={"maxlength": max_length(SignIn, "email")})
    password = PasswordField("Password", render_kw={"maxlength": max_length(SignIn, "password")})
    remember = BooleanField("Keep me signed in on this device")
