from django.urls import path

from backend.accounts import user_apis as apis

app_name = "users"
urlpatterns = [
    path("", apis.UserListApi.as_view(), name="list"),
    path("create/", apis.UserCreateApi.as_view(), name="create"),
    path("lookup/", apis.UserLookupApi.as_view(), name="lookup"),
    path("<int:user_id>/", apis.UserUpdateApi.as_view(), name="update"),
    path("<int:user_id>/password/", apis.UserPasswordApi.as_view(), name="password"),
    path("<int:user_id>/invite/", apis.UserInviteApi.as_view(), name="invite"),
]
