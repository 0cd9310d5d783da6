"""/api/v1/users/: user accounts, managed by staff in the app (what Django's admin did)."""

from django.core.validators import EmailValidator
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts import selectors, services
from backend.accounts.models import User
from backend.accounts.permissions import IsStaff
from backend.api import serializers
from backend.api.pagination import PageNumberPagination
from backend.api.utils import UserBriefSerializer, paginated_response

INVITE_PATH = "/invite#"

# An email address, or "" for none.
EMAIL = EmailValidator(message="Enter a valid email address, or leave it empty.")


class UserAdminOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    is_staff = serializers.BooleanField()
    is_active = serializers.BooleanField()
    has_password = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()
    invite_expires_at = serializers.DateTimeField(
        allow_null=True, required=False, help_text="expiry of the open invite link, if any"
    )

    def get_has_password(self, user: User) -> bool:
        return user.has_usable_password()


def _user_output(user: User) -> dict:
    annotated = selectors.user_list().get(pk=user.pk)
    return UserAdminOutputSerializer(annotated).data


class UserListApi(APIView):
    permission_classes = [IsStaff]
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        search = serializers.CharField(required=False, default="", allow_blank=True, max_length=150)
        is_active = serializers.BooleanField(required=False, allow_null=True, default=None)

    @extend_schema(parameters=[FilterSerializer], responses=UserAdminOutputSerializer(many=True))
    def get(self, request: Request) -> Response:
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        return paginated_response(
            request=request,
            view=self,
            queryset=selectors.user_list(**filters.validated_data),
            serializer_class=UserAdminOutputSerializer,
        )


class UserCreateApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        username = serializers.RegexField(
            r"^[\w.@+-]+\Z",
            max_length=150,
            error_messages={"invalid": "Use letters, digits and @ . + - _ only."},
        )
        # Not EmailField: "" (no email) is allowed, which `format: email` would not allow.
        email = serializers.CharField(
            required=False, allow_blank=True, default="", max_length=254, validators=[EMAIL]
        )
        is_staff = serializers.BooleanField(required=False, default=False)
        password = serializers.CharField(
            required=False,
            allow_null=True,
            default=None,
            max_length=256,
            trim_whitespace=False,
            help_text="omit to invite the user with a one-time link instead",
        )

    @extend_schema(request=InputSerializer, responses={201: UserAdminOutputSerializer})
    def post(self, request: Request) -> Response:
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_create(actor=request.user, **data.validated_data)
        return Response(_user_output(user), status=201)


class UserUpdateApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        email = serializers.CharField(
            required=False, allow_blank=True, max_length=254, validators=[EMAIL]
        )
        is_staff = serializers.BooleanField(required=False)
        is_active = serializers.BooleanField(
            required=False, help_text="false deactivates: the user can no longer log in"
        )

    @extend_schema(request=InputSerializer, responses=UserAdminOutputSerializer)
    def patch(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(User, pk=user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_update(actor=request.user, user=user, data=data.validated_data)
        return Response(_user_output(user))


class UserPasswordApi(APIView):
    permission_classes = [IsStaff]

    class InputSerializer(serializers.Serializer):
        password = serializers.CharField(max_length=256, trim_whitespace=False)

    @extend_schema(request=InputSerializer, responses=UserAdminOutputSerializer)
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(User, pk=user_id)
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_set(actor=request.user, user=user, **data.validated_data)
        return Response(_user_output(user))


class UserInviteApi(APIView):
    """A one-time link with which the user chooses a password. The link is in this answer
    only; making a new one ends the old."""

    permission_classes = [IsStaff]

    class OutputSerializer(serializers.Serializer):
        token = serializers.CharField()
        path = serializers.CharField(help_text="the link without the site's origin")
        expires_at = serializers.DateTimeField()

    @extend_schema(request=None, responses={201: OutputSerializer})
    def post(self, request: Request, user_id: int) -> Response:
        user = get_object_or_404(User, pk=user_id)
        invite, token = services.invite_create(actor=request.user, user=user)
        # The token travels in the fragment: browsers never send it to a server or in Referer.
        return Response(
            {"token": token, "path": INVITE_PATH + token, "expires_at": invite.expires_at},
            status=201,
        )


class UserLookupApi(APIView):
    """Active users whose name contains ``q`` (at most 20), for adding project members; for
    staff and project managers."""

    class FilterSerializer(serializers.Serializer):
        q = serializers.CharField(min_length=1, max_length=150)

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True)],
        responses=UserBriefSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        if not selectors.user_may_look_up(user=request.user):
            raise PermissionDenied("Only staff and project managers can look users up.")
        filters = self.FilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        users = selectors.user_lookup(query=filters.validated_data["q"])
        return Response(UserBriefSerializer(users, many=True).data)
