"""paas: a self-hosted Heroku/Dokku-style platform."""
