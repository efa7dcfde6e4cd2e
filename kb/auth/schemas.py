"""The input of signing in, one class (kb.schemas); the sign-in page reads it, and its bounds
are the form's maxlength."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kb.schemas import Schema


class SignIn(Schema):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=500)]
    remember: bool = False
