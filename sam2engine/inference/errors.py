"""Errors of video sessions (a module of its own so that every session part can raise them)."""


class SessionError(ValueError):
    """Invalid call on a video session (bad frame index, unknown object, bad prompt), or
    state that cannot be used (a snapshot of another model, a missing or corrupt output)."""
