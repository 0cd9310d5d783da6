from celery import shared_task

from backend.videos.services import video_extract_frames


@shared_task(name="videos.extract_frames", acks_late=True)
def video_extract_frames_task(video_id: int) -> None:
    video_extract_frames(video_id=video_id)
