"""Whether a browser session still stands, and telling a user's open websockets that one
ended (backend/events/consumers.py closes them)."""

import logging
from importlib import import_module

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.utils.crypto import constant_time_compare

from backend.accounts.models import User

logger = logging.getLogger(__name__)


def user_sessions_group(user_id: int) -> str:
    return f"user-sessions-{user_id}"


def session_stands_for(session_key: str, user: User | None) -> bool:
    """Whether this session is still the login of ``user``: False once it ended (logout,
    expiry), the user was deactivated, or their password changed since (Django's own rule
    for session validity)."""
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    if user is None or not user.is_active or str(data.get(SESSION_KEY)) != str(user.pk):
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    secrets = [None, *settings.SECRET_KEY_FALLBACKS]
    return any(
        constant_time_compare(session_hash, user._get_session_auth_hash(secret=secret))
        for secret in secrets
    )


def session_ended_notify(*, user_id: int, session_key: str) -> None:
    """Closes the websockets opened with this session (at logout). A lost message is caught
    by the consumers' periodic re-check."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(
            user_sessions_group(user_id), {"type": "session.ended", "session_key": session_key}
        )
    except Exception:  # noqa: BLE001 -- a broker hiccup must not fail the logout
        logger.warning("could not notify the websockets of user %s", user_id, exc_info=True)
