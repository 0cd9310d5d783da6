from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.api import serializers
from backend.api.fields import ID_MAX
from backend.api.pagination import PageNumberPagination
from backend.api.utils import paginated_response, query_params_validated
from backend.events.selectors import event_list_for_user
from backend.projects.selectors import project_get_for_user


class EventOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    seq = serializers.IntegerField(help_text="position in the log: resume with ?after=<seq>")
    kind = serializers.CharField()
    video = serializers.IntegerField(source="video_id", allow_null=True)
    actor = serializers.IntegerField(source="actor_id", allow_null=True)
    payload = serializers.JSONField()
    created_at = serializers.DateTimeField()


class EventListApi(APIView):
    pagination_class = PageNumberPagination

    class FilterSerializer(serializers.Serializer):
        after = serializers.IntegerField(
            min_value=0, max_value=ID_MAX, required=False, default=0, help_text="the last seq seen"
        )
        video = serializers.IntegerField(required=False, min_value=1, max_value=ID_MAX)
        kind = serializers.CharField(required=False, max_length=64)

    @extend_schema(parameters=[FilterSerializer], responses=EventOutputSerializer(many=True))
    def get(self, request: Request, project_id: int) -> Response:
        """The project's events after position `after`, in log order. In consensus mode an
        annotator sees no event about another annotator's masklets."""
        project = project_get_for_user(user=request.user, project_id=project_id)
        params = query_params_validated(self.FilterSerializer, request)
        events, visibility = event_list_for_user(
            project=project,
            user=request.user,
            after=params["after"],
            video_id=params.get("video"),
            kind=params.get("kind"),
            role=project.my_role,
        )
        return paginated_response(
            request=request,
            view=self,
            queryset=events,
            serializer_class=EventOutputSerializer,
            each=visibility.redact,
        )
