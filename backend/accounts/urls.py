from django.urls import path

from backend.accounts import apis, invite_apis

app_name = "accounts"
urlpatterns = [
    path("csrf/", apis.CsrfApi.as_view(), name="csrf"),
    path("login/", apis.LoginApi.as_view(), name="login"),
    path("logout/", apis.LogoutApi.as_view(), name="logout"),
    path("me/", apis.MeApi.as_view(), name="me"),
    path("token/", apis.TokenApi.as_view(), name="token"),
    path("invites/check/", invite_apis.InviteCheckApi.as_view(), name="invite-check"),
    path("invites/accept/", invite_apis.InviteAcceptApi.as_view(), name="invite-accept"),
]
