"""File storage: a local folder by default, any S3-compatible store when STORAGE_BACKEND=s3."""

from backend.config import env

MEDIA_ROOT = env.MEDIA_ROOT
MEDIA_URL = "/media/"

if env.STORAGE_BACKEND == "s3":
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env.STORAGE_S3_BUCKET,
            "endpoint_url": env.STORAGE_S3_ENDPOINT_URL or None,
            "access_key": env.STORAGE_S3_ACCESS_KEY or None,
            "secret_key": env.STORAGE_S3_SECRET_KEY or None,
            "region_name": env.STORAGE_S3_REGION or None,
            # Objects are private; frames are handed out as short-lived signed URLs.
            "default_acl": "private",
            "querystring_auth": True,
            "querystring_expire": 3600,
            "file_overwrite": True,
        },
    }
elif env.STORAGE_BACKEND == "local":
    _default_storage = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # Frame extraction may run twice (acks_late); it must overwrite, not rename.
        "OPTIONS": {"location": str(env.MEDIA_ROOT), "allow_overwrite": True},
    }
else:
    raise ValueError(f"STORAGE_BACKEND must be 'local' or 's3', not {env.STORAGE_BACKEND!r}")

STORAGES = {
    "default": _default_storage,
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
