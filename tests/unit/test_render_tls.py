"""The nginx TLS server blocks, redirects and ACME answers, rendered exactly
(paas.render.nginx with nginx/app.conf.j2, acme_challenge.conf.j2, control.conf.j2)."""
from __future__ import annotations

from paas.domain.certs import Routes
from paas.render.nginx import render_app, render_control

CHALLENGE = '''    # ACME HTTP-01: the answer is the token and the account's thumbprint; no file is read.
    location ^~ /.well-known/acme-challenge/ {
        default_type text/plain;
        location ~ "^/\\.well-known/acme-challenge/([-_A-Za-z0-9]+)$" {
            return 200 "$1.THUMB";
        }
        return 404;
    }
'''


def test_tls_hosts_redirect_and_serve_over_https():
    text = render_app(app="web", server_names=["web.localhost", "www.web.test", "new.web.test"],
                      upstreams=["127.0.0.1:5001"], http_port=80, https_port=8443, hsts=True,
                      thumbprint="THUMB", routes=Routes(
                          plain=("new.web.test",), redirect=("web.localhost", "www.web.test"),
                          sites=(("web.localhost", "/c/a.crt", "/c/a.key"),
                                 ("www.web.test", "/c/b.crt", "/c/b.key"))))
    backend = '''    location / {
        proxy_pass http://paas_web;
    }
'''
    tls = '''
server {
    listen 0.0.0.0:8443 ssl;
    server_name %s;
    ssl_certificate %s;
    ssl_certificate_key %s;
    add_header Strict-Transport-Security "max-age=31536000" always;
''' + backend + "}\n"
    assert text == (
        "# App web: rendered by paas; edits are overwritten at the next deploy.\n"
        "upstream paas_web {\n    server 127.0.0.1:5001 max_fails=0;\n    keepalive 32;\n    keepalive_requests 10000;\n}\n"
        "\nserver {\n    listen 0.0.0.0:80;\n    server_name new.web.test;\n" + CHALLENGE + backend
        + "}\n"
        "\nserver {\n    listen 0.0.0.0:80;\n    server_name web.localhost www.web.test;\n" + CHALLENGE
        + "    location / {\n        return 308 https://$host:8443$request_uri;\n    }\n}\n"
        + tls % ("web.localhost", "/c/a.crt", "/c/a.key")
        + tls % ("www.web.test", "/c/b.crt", "/c/b.key"))


def test_without_acme_challenges_are_not_redirected_but_refused():
    text = render_app(app="web", server_names=["web.localhost"], upstreams=[], http_port=80,
                      routes=Routes(plain=(), redirect=("web.localhost",),
                                    sites=(("web.localhost", "/c/a.crt", "/c/a.key"),)))
    assert text == '''# App web: rendered by paas; edits are overwritten at the next deploy.

server {
    listen 0.0.0.0:80;
    server_name web.localhost;
    location ^~ /.well-known/acme-challenge/ {
        return 404;
    }
    location / {
        return 308 https://$host$request_uri;
    }
}

server {
    listen 0.0.0.0:443 ssl;
    server_name web.localhost;
    ssl_certificate /c/a.crt;
    ssl_certificate_key /c/a.key;
    default_type text/plain;
    return 503 "app web has no running web process\\n";
}
'''


API = '''    location / {
        proxy_pass http://127.0.0.1:7070;
        # The Host as the browser sent it, port included (the dashboard's CSRF check compares
        # it with the Referer); declaring one header here drops the inherited ones, so all four.
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Port $server_port;
        # git pushes and deploys stream their output for minutes, and pushes are large:
        # nothing buffered either way, long timeouts, no body limit here (the API has its own).
        proxy_buffering off;
        proxy_request_buffering off;
        proxy_read_timeout 3600s;
        proxy_send_timeout 3600s;
        client_max_body_size 0;
    }
'''
HEAD = "# The control plane (dashboard, API, git) at api.example.com: rendered by paas; " \
       "edits are overwritten.\n\nserver {\n    listen 0.0.0.0:80;\n    server_name api.example.com;\n"


def test_the_control_plane_before_and_after_its_certificate():
    before = render_control(host="api.example.com", api="127.0.0.1:7070", http_port=80,
                            https_port=443, site=None, thumbprint="THUMB")
    assert before == HEAD + CHALLENGE + API + "}\n"
    after = render_control(host="api.example.com", api="127.0.0.1:7070", http_port=80,
                           https_port=443, thumbprint="THUMB",
                           site=("api.example.com", "/c/api.crt", "/c/api.key"))
    assert after == (HEAD + CHALLENGE + "    location / {\n        return 308 "
                     "https://$host$request_uri;\n    }\n}\n\nserver {\n    listen 0.0.0.0:443 ssl;\n"
                     "    server_name api.example.com;\n    ssl_certificate /c/api.crt;\n"
                     "    ssl_certificate_key /c/api.key;\n" + API + "}\n")
