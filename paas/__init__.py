"""paas: a self-hosted Heroku/Dokku-style platform."""
from importlib.metadata import PackageNotFoundError, version as _version

try:
    __version__ = _version("paas")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0.0.0+unknown"
