"""Where a video's SAM 2 state lives outside a worker's RAM: the platform's storage.

    sam2state/<video>/outputs/<key>          per-frame outputs (the engine's output store)
    sam2state/<video>/objects/<obj>/<n>.json one object's state (manifest of output keys)
    sam2state/<video>/head.json              the log position and the objects' manifests

Outputs and object manifests are written once and never change; head.json is replaced
after every change of the state. Any worker that can read the storage continues a video
from its head: load the objects' manifests (outputs come lazily), then apply the log
entries after the head's position.
"""

import json
import logging
import uuid
from dataclasses import dataclass
from typing import Any

from backend.masklets.actions import state_folder
from worker.outputstore import StorageOutputStore, state_files

logger = logging.getLogger(__name__)

# Layout version of head.json; a head of another version is ignored (the log is replayed).
FORMAT = 1


@dataclass(frozen=True)
class SavedHead:
    seq: int
    seq_mark: str  # identity of log entry ``seq`` (see worker.states.mark)
    run_last: int | None  # see VideoState.run_last
    objects: list[tuple[int, str]]  # (object id, snapshot key), in the session's order
    history: dict[int, list[tuple[int, str | None]]]


def _folder(video_id: int) -> str:
    return state_folder(video_id)


def output_store(video_id: int) -> StorageOutputStore:
    return StorageOutputStore(f"{_folder(video_id)}/outputs")


def _write(path: str, data: bytes) -> None:
    state_files().write(path, data)


def save_object(video_id: int, session: Any, obj: int) -> str:
    """Writes one object's state (its outputs first) and returns its key."""
    snapshot = session.object_snapshot(obj)
    key = f"{obj}/{uuid.uuid4().hex}.json"
    _write(f"{_folder(video_id)}/objects/{key}", snapshot.to_json().encode())
    return key


def load_object(video_id: int, key: str) -> Any:
    from sam2engine import ObjectSnapshot

    return ObjectSnapshot.from_json(state_files().read(f"{_folder(video_id)}/objects/{key}"))


def save_head(
    video_id: int,
    seq: int,
    seq_mark: str,
    run_last: int | None,
    objects: list[tuple[int, str]],
    history: dict[int, list[tuple[int, str | None]]],
) -> None:
    """Records which saved object states make up the state at log position ``seq``."""
    head = {
        "format": FORMAT,
        "seq": seq,
        "seq_mark": seq_mark,
        "run_last": run_last,
        "objects": [list(pair) for pair in objects],
        "history": {str(obj): entries for obj, entries in history.items() if entries},
    }
    _write(f"{_folder(video_id)}/head.json", json.dumps(head).encode())


def load_head(video_id: int) -> SavedHead | None:
    """The video's saved state, or None when there is none usable (then the log is
    replayed). Any error reading it is logged and treated as no snapshot."""
    path = f"{_folder(video_id)}/head.json"
    try:
        files = state_files()
        if not files.exists(path):
            return None
        head = json.loads(files.read(path, fresh=True))
        if head.get("format") != FORMAT:
            return None
        return SavedHead(
            seq=int(head["seq"]),
            seq_mark=str(head.get("seq_mark", "")),
            run_last=head.get("run_last"),
            objects=[(int(obj), str(key)) for obj, key in head["objects"]],
            history={
                int(obj): [(int(seq), key) for seq, key in entries]
                for obj, entries in head.get("history", {}).items()
            },
        )
    except Exception:  # noqa: BLE001 -- a damaged snapshot costs a replay, not an answer
        logger.warning("video %s: saved SAM 2 state unreadable", video_id, exc_info=True)
        return None
