"""Serve the web chat demo page on 127.0.0.1.

Serves a fixed list of files and nothing else from disk: the page, its script and
style, and the rasa-webchat bundle from ``bot/web/node_modules`` (installed by
``make web-install``, so nothing comes from a CDN at run time). The page is
rendered once at start with the Rasa server's URL, the region and its disclaimer
from ``content/messages.yml``, and the crisis numbers its script turns into call and
text buttons from ``content/crisis_lines.yml``.

Every response carries a Content-Security-Policy: scripts only from this server
(so injected markup can never run a script, even if some text escaped escaping),
connections only to this server and the Rasa server, no fonts or styles from
elsewhere (the widget's CSS imports a web font from Google, which stays blocked).

Run: ``python -m bot.web.serve --port 8080 --rasa-url http://127.0.0.1:5005``;
``WEB_PORT``, ``RASA_URL`` and ``ASSISTANT_REGION`` give the defaults.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from bot.core.clinic import default_region
from bot.core.content import default_library
from bot.core.crisis_lines import RegionLines, default_lines

WEB_DIR = Path(__file__).resolve().parent
WIDGET = WEB_DIR / "node_modules" / "rasa-webchat" / "lib" / "index.js"

FILES: dict[str, tuple[Path, str]] = {
    "/chat.js": (WEB_DIR / "static" / "chat.js", "text/javascript; charset=utf-8"),
    "/chat.css": (WEB_DIR / "static" / "chat.css", "text/css; charset=utf-8"),
    "/vendor/rasa-webchat.js": (WIDGET, "text/javascript; charset=utf-8"),
}
PAGE_PATHS = ("/", "/index.html")


@dataclass(frozen=True)
class Site:
    """What the server sends: the rendered page and the policy header."""

    page: bytes
    csp: str


def content_security_policy(rasa_url: str) -> str:
    """The page's policy: own scripts and styles, connections to itself and Rasa only."""
    origin = urlsplit(rasa_url)
    ws_scheme = "wss" if origin.scheme == "https" else "ws"
    rasa = f"{origin.scheme}://{origin.netloc}"
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            # The widget injects its CSS as <style> elements and sets inline styles.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            # The widget's carousel font is a data: URL inside its own CSS.
            "font-src 'self' data:",
            f"connect-src 'self' {rasa} {ws_scheme}://{origin.netloc}",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def render_page(template: str, values: Mapping[str, str]) -> str:
    """The page with its ``{{KEY}}`` settings filled in, each value HTML-escaped."""
    for key, value in values.items():
        template = template.replace("{{" + key + "}}", html.escape(value, quote=True))
    return template


def phone_buttons(regions: Mapping[str, RegionLines]) -> list[dict[str, object]]:
    """The numbers the page's script makes buttons of, every region's, each once.

    Every region's, because a card names the lines of the region it was written for.
    """
    buttons: dict[str, dict[str, object]] = {}
    for own in regions.values():
        for name in own.call:
            number = own.lines[name]
            dial = re.sub(r"\D", "", number)
            entry = buttons.setdefault(number, {"text": number, "dial": dial, "canText": False})
            entry["canText"] = bool(entry["canText"]) or name in own.text
    return list(buttons.values())


def build_site(rasa_url: str, region: str | None) -> Site:
    """Render the page for a Rasa server URL and a region (``us``, ``uk`` or ``ca``).

    An unknown or missing region is the home region, as in the conversation.
    """
    library = default_library()
    region, disclaimer = library.regional_message("disclaimer", region)
    template = (WEB_DIR / "static" / "index.html").read_text(encoding="utf-8")
    values = {
        "RASA_URL": rasa_url,
        "REGION": region,
        "DISCLAIMER": " ".join(disclaimer.split()),
        "SOURCES_HEADING": library.message("sources_heading"),
        "SUMMARY_HEADING": library.message("summary_heading"),
        "SUMMARY_PRINT": library.message("summary_print"),
        "CRISIS_NUMBERS": json.dumps(phone_buttons(default_lines())),
    }
    page = render_page(template, values)
    return Site(page.encode("utf-8"), content_security_policy(rasa_url))


def handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    """A request handler class that serves ``site``."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "ketamine-web"
        sys_version = ""

        def do_GET(self) -> None:
            """Send the page or one of the listed files, else 404."""
            path = urlsplit(self.path).path
            if path in PAGE_PATHS:
                self._send(site.page, "text/html; charset=utf-8")
                return
            if path in FILES:
                file, content_type = FILES[path]
                if file.is_file():
                    self._send(file.read_bytes(), content_type)
                    return
            self.send_error(HTTPStatus.NOT_FOUND)

        def _send(self, body: bytes, content_type: str) -> None:
            self.send_response(HTTPStatus.OK)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Content-Security-Policy", site.csp)
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header("Referrer-Policy", "no-referrer")
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

    return Handler


def main(argv: list[str] | None = None) -> None:
    """Serve the page until interrupted."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("WEB_PORT", "8080")))
    parser.add_argument("--rasa-url", default=os.environ.get("RASA_URL", "http://127.0.0.1:5005"))
    parser.add_argument("--region", default=default_region())
    args = parser.parse_args(argv)
    if not WIDGET.is_file():
        raise SystemExit(f"error: {WIDGET} is missing; run `make web-install` first")
    site = build_site(args.rasa_url, args.region)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler_for(site))
    print(f"Web chat page on http://127.0.0.1:{args.port}/ (Rasa at {args.rasa_url})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
