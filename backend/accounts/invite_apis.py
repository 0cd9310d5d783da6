"""/api/v1/auth/invites/: the invited user (not logged in) checks a link and chooses a
password. The token is posted, never put in a URL the server logs."""

from django.conf import settings
from django.contrib.auth import login
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import services
from backend.accounts.apis import UserOutputSerializer
from backend.api import serializers


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(max_length=128)


class InviteCheckApi(APIView):
    permission_classes = [AllowAny]

    class OutputSerializer(serializers.Serializer):
        username = serializers.CharField()
        expires_at = serializers.DateTimeField()

    @extend_schema(request=TokenSerializer, responses=OutputSerializer)
    def post(self, request: Request) -> Response:
        data = TokenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invite = services.invite_check(token=data.validated_data["token"])
        return Response({"username": invite.user.username, "expires_at": invite.expires_at})


class InviteAcceptApi(APIView):
    """Sets the password and logs the user in."""

    permission_classes = [AllowAny]

    class InputSerializer(TokenSerializer):
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses=UserOutputSerializer)
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.invite_accept(**data.validated_data)
        login(request._request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return Response(UserOutputSerializer(user).data)
