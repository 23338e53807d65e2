"""Pages every signed-in user has: notifications, and evidence downloads (application documents and a provider's
caution evidence) for those allowed."""

from flask import Blueprint, abort, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required

from portal.clock import now
from portal.errors import NotFound
from portal.extensions import db
from portal.models import Notification
from portal.services import applications, cautions, uploads

blueprint = Blueprint("shared", __name__)


@blueprint.route("/notifications")
@login_required
def notifications():
    page = db.paginate(
        db.select(Notification).where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
        page=request.args.get("page", 1, type=int), per_page=25, error_out=False,
    )
    return render_template("shared/notifications.html", page=page)


@blueprint.route("/notifications/<int:notification_id>", methods=["POST"])
@login_required
def open_notification(notification_id):
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)
    if notification.read_at is None:
        notification.read_at = now()
        db.session.commit()
    return redirect(notification.link or url_for("shared.notifications"))


@blueprint.route("/notifications/read-all", methods=["POST"])
@login_required
def read_all():
    db.session.execute(
        db.update(Notification).where(Notification.user_id == current_user.id, Notification.read_at.is_(None))
        .values(read_at=now())
    )
    db.session.commit()
    return redirect(url_for("shared.notifications"))


@blueprint.route("/documents/<int:document_id>")
@login_required
def download_document(document_id):
    try:
        document = applications.get_document_for(current_user, document_id)
    except NotFound:
        abort(404)
    return _send_stored(document.stored_name, document.file_type, document.original_filename)


@blueprint.route("/caution-evidence/<int:evidence_id>")
@login_required
def download_caution_evidence(evidence_id):
    try:
        evidence = cautions.get_evidence_for(current_user, evidence_id)
    except NotFound:
        abort(404)
    return _send_stored(evidence.stored_name, evidence.file_type, evidence.original_filename)


def _send_stored(stored_name: str, file_type: str, original_filename: str):
    path = uploads.path_of(stored_name)
    if not path.exists():
        abort(404)
    label, mimetype = uploads.ALLOWED_TYPES[file_type]
    name = uploads.download_name(original_filename, file_type)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=name)
