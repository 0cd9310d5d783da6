from django.contrib.auth import authenticate, login, logout
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.utils import extend_schema
from rest_framework.authentication import SessionAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.backends import client_address
from backend.accounts.sessions import session_ended_notify
from backend.accounts.throttling import login_throttle_check
from backend.api import serializers
from backend.common.exceptions import ApplicationError


class UserOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    # Not EmailField: an account may have no email (""), which is not an email address.
    email = serializers.CharField(allow_blank=True)
    is_staff = serializers.BooleanField(help_text="may manage user accounts")


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


def _authenticate(request: Request):  # type: ignore[no-untyped-def]
    """The user these credentials belong to; 429 while the username or the client's address
    is locked out after failed logins (backend/accounts/throttling.py), else 400 if wrong."""
    data = CredentialsSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    login_throttle_check(
        username=data.validated_data["username"], address=client_address(request._request)
    )
    user = authenticate(request._request, **data.validated_data)
    if user is None:
        raise ApplicationError("Invalid username or password.", status=400)
    return user


@method_decorator(ensure_csrf_cookie, name="dispatch")
class CsrfApi(APIView):
    """Sets the csrftoken cookie that the browser sends back as X-CSRFToken."""

    permission_classes = [AllowAny]

    @extend_schema(responses={204: None})
    def get(self, request: Request) -> Response:
        return Response(status=204)


class LoginApi(APIView):
    """Session login for the browser. Like every unsafe request of a session it needs the CSRF
    token (GET auth/csrf/ sets the cookie; send it back as X-CSRFToken), so that another site
    cannot log a browser into an account of its choosing. Scripts use auth/token/."""

    permission_classes = [AllowAny]

    @extend_schema(request=CredentialsSerializer, responses=UserOutputSerializer)
    def post(self, request: Request) -> Response:
        SessionAuthentication().enforce_csrf(request)
        user = _authenticate(request)
        login(request._request, user)
        return Response(UserOutputSerializer(user).data)


class LogoutApi(APIView):
    """Ends the session; the user's open websockets of this session are closed."""

    permission_classes = [AllowAny]

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        user_id = request.user.pk if request.user.is_authenticated else None
        session_key = request._request.session.session_key
        logout(request._request)
        if user_id is not None and session_key:
            session_ended_notify(user_id=user_id, session_key=session_key)
        return Response(status=204)


class MeApi(APIView):
    @extend_schema(responses=UserOutputSerializer)
    def get(self, request: Request) -> Response:
        return Response(UserOutputSerializer(request.user).data)


class TokenApi(APIView):
    """A token for scripts: send it as `Authorization: Token <key>`. No session, so no CSRF
    token is needed; failed attempts count towards the same lockout as logins."""

    permission_classes = [AllowAny]
    authentication_classes: list = []  # credentials in the body; no CSRF for scripts

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()

    @extend_schema(request=CredentialsSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        user = _authenticate(request)
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})
