"""Who may reach the site and how: Django's key, hosts, HTTPS and its headers, the
Content-Security-Policy, admin's address, session and login lockout."""

import os
from datetime import timedelta

from .environment import env_bool, env_int, env_list, key_from_env_or_file

# Django's own key: DJANGO_SECRET_KEY, or var/secret-key (KOMMOGEN_SECRET_KEY_FILE).
SECRET_KEY = key_from_env_or_file(
    "DJANGO_SECRET_KEY", "KOMMOGEN_SECRET_KEY_FILE", "secret-key",
    "Set it to a long random string (python3 -c 'import secrets; "
    "print(secrets.token_urlsafe(50))'), or set DJANGO_DEBUG=true on a development machine.",
    "insecure-development-key-never-use-in-production",
)  # fmt: skip

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", [])

# Where Django admin is served, e.g. "office-7f3k/": a path bots do not guess. Not a
# secret (login is throttled and required); robots.txt names only the default one.
ADMIN_PATH = os.environ.get("KOMMOGEN_ADMIN_PATH", "admin").strip("/") + "/"

# HTTPS: on when the site is served over TLS (production). Off for `make run`,
# which serves plain HTTP on 127.0.0.1.
HTTPS = env_bool("KOMMOGEN_HTTPS", False)
SECURE_SSL_REDIRECT = HTTPS
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = env_int("KOMMOGEN_HSTS_SECONDS", 31536000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = env_bool("KOMMOGEN_HSTS_PRELOAD", HTTPS)
if env_bool("KOMMOGEN_BEHIND_TLS_PROXY", False):
    # Only when a proxy that sets this header sits in front: otherwise a client could forge it.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers may probe over plain HTTP
X_FRAME_OPTIONS = "DENY"
# Only the operator has a session (admin); it ends after this many hours or with the browser.
SESSION_COOKIE_AGE = env_int("KOMMOGEN_ADMIN_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Content-Security-Policy: every asset comes from this origin and no inline script or
# style runs anywhere; admin pages additionally allow data: images (its widgets' icons).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# Powerful browser features the site never uses are switched off; the clause links'
# "copy" button writes to the clipboard from this origin only.
PERMISSIONS_POLICY = {
    "accelerometer": [], "autoplay": [], "camera": [], "clipboard-read": [],
    "clipboard-write": ["self"], "display-capture": [], "encrypted-media": [],
    "fullscreen": [], "geolocation": [], "gyroscope": [], "magnetometer": [],
    "microphone": [], "midi": [], "payment": [], "publickey-credentials-get": [],
    "screen-wake-lock": [], "usb": [], "xr-spatial-tracking": [],
}  # fmt: skip

# Admin login: after AXES_FAILURE_LIMIT failures from one client IP, that IP is locked
# out for the cool-off time (the IP as found behind KOMMOGEN_TRUSTED_PROXIES).
AXES_FAILURE_LIMIT = env_int("KOMMOGEN_ADMIN_LOGIN_FAILURES", 5)
# The sign-in records (IP, browser, the user name typed) are deleted after this many days
# by the nightly erase_expired_requests.
KOMMOGEN_LOGIN_RECORDS_DAYS = env_int("KOMMOGEN_LOGIN_RECORDS_DAYS", 30)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("KOMMOGEN_ADMIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["ip_address"]
AXES_CLIENT_IP_CALLABLE = "agreements.core.clients.login_client"
AXES_LOCKOUT_TEMPLATE = "admin_locked_out.html"
AXES_RESET_ON_SUCCESS = True
