"""The directory in the console (staff): find associations, edit them and their services, see the gaps.

Each save builds the association's new entry from the form (messages in French), then
`directory.editing.save_entry` writes it and records the change with the signed-in user. Routing reads
the database on every call, so a change counts from the next call.

The blueprint's URLs are all here; the views are in `search` (the list), `associations` (an association's
page and its sections), `services` (a service's page), `coverage` (the matrix) and `exports` (files).
"""

from __future__ import annotations

from flask import Blueprint

from console.directory_pages import associations, coverage, exports, search, services

bp = Blueprint("directory", __name__, url_prefix="/directory")
# Endpoints are named after their view functions (templates use them in url_for).
bp.add_url_rule("", view_func=search.index, methods=["GET"])
bp.add_url_rule("/new", view_func=associations.new, methods=["GET", "POST"])
bp.add_url_rule("/<int:association_id>", view_func=associations.view, methods=["GET"])
bp.add_url_rule("/<int:association_id>", view_func=associations.save, methods=["POST"])
bp.add_url_rule("/<int:association_id>/services/new", view_func=services.new_service, methods=["GET", "POST"])
bp.add_url_rule(
    "/<int:association_id>/services/<int:service_id>", view_func=services.service, methods=["GET"]
)
bp.add_url_rule(
    "/<int:association_id>/services/<int:service_id>", view_func=services.save_service, methods=["POST"]
)
bp.add_url_rule(
    "/<int:association_id>/services/<int:service_id>/delete",
    view_func=services.delete_service,
    methods=["POST"],
)
bp.add_url_rule("/coverage", view_func=coverage.coverage, methods=["GET"])
bp.add_url_rule("/coverage.csv", view_func=coverage.coverage_csv, methods=["GET"])
bp.add_url_rule("/export.<fmt>", view_func=exports.export, methods=["GET"])
