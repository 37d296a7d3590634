"""The static buildpack's server: WhiteNoise over the site's directory, behind gunicorn."""
import os

from whitenoise import WhiteNoise

ROOT = "/app/public" if os.path.isfile("/app/public/index.html") else "/app"
SKIP = (".heroku", ".profile.d", ".git")


def not_found(environ, start_response):
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"not found\n"]


app = WhiteNoise(not_found, root=ROOT, index_file=True, max_age=3600, autorefresh=False)
if ROOT == "/app":  # the platform's own files in /app are not part of the site
    app.files = {url: f for url, f in app.files.items()
                 if not url.lstrip("/").startswith(SKIP)}
