"""The web chat widget's files (web_widget/) and a demo host page.

GET /widget/widget.js, /widget/widget.css   what a hospital page embeds with one <script> tag
GET /                                       a demo page of the department with the widget on it
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from assistant.config import ROOT

WIDGET_DIR = ROOT / "web_widget"
ASSETS = {"widget.js": "text/javascript", "widget.css": "text/css", "demo.css": "text/css"}

bp = Blueprint("widget", __name__, template_folder=str(WIDGET_DIR))


@bp.get("/widget/<name>")
def asset(name: str):
    if name not in ASSETS:
        abort(404)
    response = send_from_directory(WIDGET_DIR, name, mimetype=ASSETS[name], conditional=True)
    # Revalidated on every page view (a cheap 304 by ETag), so a new version reaches patients at once.
    response.headers["Cache-Control"] = "public, no-cache"
    # Hospital pages on other origins load these files.
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@bp.get("/")
def demo():
    site = current_app.config["SETTINGS"].site
    return render_template("demo.html", site=site, gateway=request.host_url.rstrip("/"), retention=getattr(site, "data_retention", None))
