"""Wire models of the auth routes A1-A6 (contract §2.2, §3.2)."""

from __future__ import annotations

from typing import Annotated, Literal, NotRequired, TypedDict

from gateway.models.schema import Email, Text

Password = Annotated[str, Text(min_length=6, max_length=72, description="6-72 characters")]


class LoginRequest(TypedDict):
    """A1 body."""

    email: Annotated[str, Text(min_length=1, max_length=254)]
    password: Annotated[str, Text(min_length=1, max_length=1024)]


class RegisterRequest(TypedDict):
    """A2 body."""

    username: Annotated[str, Text(min_length=3, max_length=64)]
    email: Email
    password: Password


class GoogleVerifyRequest(TypedDict):
    """A3 body: a Firebase ID token from the Google popup."""

    idToken: Annotated[str, Text(min_length=1, max_length=8192)]


class UserSummary(TypedDict):
    """The user as the login forms and sidebar show it."""

    id: str
    name: str
    email: str
    avatar: str


class LoginData(TypedDict):
    """A1 `data`."""

    user: UserSummary


class LoginResponse(TypedDict):
    """A1 success: the access JWT in `token`, the user in `data.user`."""

    success: bool
    message: str
    token: str
    expiresIn: int
    data: LoginData


class RegisteredUser(TypedDict):
    """A2 `data`."""

    id: str
    username: str
    email: str


class RegisterResponse(TypedDict):
    """A2 success (201)."""

    success: bool
    message: str
    data: RegisteredUser


class GoogleVerifyResponse(TypedDict):
    """A3 success."""

    success: bool
    message: str
    data: UserSummary


class VerifiedUser(TypedDict):
    """A4 `user`; `paperBalance` appears once the wallet exists."""

    id: str
    name: str
    email: str
    avatar: str
    role: Literal["user", "admin"]
    createdAt: str
    lastLogin: str | None
    paperBalance: NotRequired[float]


class VerifyTokenResponse(TypedDict):
    """A4 success."""

    success: bool
    valid: bool
    message: str
    tokenType: Literal["JWT", "Firebase"]
    uid: NotRequired[str]
    user: VerifiedUser


class RefreshResponse(TypedDict):
    """A5 success: the new access JWT (also as `token`)."""

    success: bool
    accessToken: str
    token: str
    expiresIn: int
