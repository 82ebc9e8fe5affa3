"""The web chat widget's files (web_widget/) and a demo host page.

GET /widget/widget.js, /widget/widget.css   what a hospital page embeds with one <script> tag
GET /                                       a demo page of the department with the widget on it
GET /?lang=fr                               the same with the widget in another language (its `data-lang`)
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request, send_from_directory

from assistant.gateway.validation import PAGE_LANGUAGE
from core.config import ROOT

WIDGET_DIR = ROOT / "web_widget"
ASSETS = {"widget.js": "text/javascript", "widget.css": "text/css", "demo.css": "text/css"}
DEMO_LANGUAGE = "en-GB"  # the demo page's own language: 24-hour times, day before month

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


def widget_languages() -> dict[str, str]:
    """The languages the widget's interface speaks (a catalog with a `widget` section): code -> the language's name."""
    catalogs = current_app.config["SETTINGS"].messages.catalogs
    return {code: catalog.name for code, catalog in catalogs.items() if catalog.widget}


@bp.get("/")
def demo():
    settings = current_app.config["SETTINGS"]
    site = settings.site
    languages = widget_languages()
    lang = request.args.get("lang", DEMO_LANGUAGE)
    # A language tag the widget speaks ("fr", "es-419"), else a 400: it is written into the page.
    if not PAGE_LANGUAGE.fullmatch(lang) or lang.split("-")[0].lower() not in languages:
        abort(400, f"lang must be a language tag of one of: {', '.join(sorted(languages))}")
    return render_template(
        "demo.html",
        site=site,
        gateway=request.host_url.rstrip("/"),
        retention=getattr(site, "data_retention", None),
        lang=lang,
        languages=languages,
        # The widget's welcome names the department in the widget's language (site.yml in_languages).
        widget_department_name=site.fact("department_name", lang.split("-")[0].lower()),
    )
