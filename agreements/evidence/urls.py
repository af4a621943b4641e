from django.urls import path

from . import views
from .feeds import CheckpointFeed

urlpatterns = [
    path("evidence/", views.evidence_page, name="evidence"),
    path("evidence/key", views.verifier_key, name="verifier_key"),
    path("evidence/forms/<str:fingerprint>.html", views.form_snapshot, name="form_snapshot"),
    path("evidence/checkpoint", views.latest_checkpoint, name="latest_checkpoint"),
    path("evidence/checkpoints/", views.checkpoint_list, name="checkpoints"),
    path("evidence/checkpoints/feed/", CheckpointFeed(), name="checkpoint_feed"),
    path("evidence/checkpoints/<id:size>", views.checkpoint, name="checkpoint"),
    path(
        "evidence/checkpoints/<id:size>.cosigned",
        views.cosigned_checkpoint,
        name="cosigned_checkpoint",
    ),  # fmt: skip
    path(
        "evidence/checkpoints/<id:size>.tsr",
        views.checkpoint_timestamp,
        name="checkpoint_timestamp",
    ),  # fmt: skip
    path(
        "evidence/proofs/inclusion/<id:position>/<id:size>", views.inclusion, name="inclusion_proof"
    ),  # fmt: skip
    path(
        "evidence/proofs/consistency/<id:old>/<id:new>", views.consistency, name="consistency_proof"
    ),  # fmt: skip
]
