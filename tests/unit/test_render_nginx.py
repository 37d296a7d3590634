from pathlib import Path

import pytest

from paas.errors import InvalidInput
from paas.render.nginx import render_app, render_main


def test_app_with_two_upstreams():
    assert render_app(app="my-app", server_names=["my-app.localhost", "example.com"],
                      upstreams=["127.0.0.1:49001", "127.0.0.1:49002"], http_port=8080) == """\
# App my-app: rendered by paas; edits are overwritten at the next deploy.
upstream paas_my_app {
    server 127.0.0.1:49001 max_fails=0;
    server 127.0.0.1:49002 max_fails=0;
    keepalive 32;
    keepalive_requests 10000;
}

server {
    listen 0.0.0.0:8080;
    server_name my-app.localhost example.com;
    location / {
        proxy_pass http://paas_my_app;
    }
}
"""


def test_app_without_upstreams_answers_503():
    assert render_app(app="idle", server_names=["idle.localhost"], upstreams=[], http_port=80,
                      listen="127.0.0.1") == """\
# App idle: rendered by paas; edits are overwritten at the next deploy.

server {
    listen 127.0.0.1:80;
    server_name idle.localhost;
    default_type text/plain;
    return 503 "app idle has no running web process\\n";
}
"""


def test_app_names_are_checked_before_they_reach_nginx():
    with pytest.raises(InvalidInput):
        render_app(app="x; include /etc/passwd", server_names=["x"], upstreams=[], http_port=80)


def test_main_config_lives_under_its_prefix_and_is_reload_safe():
    text = render_main(prefix=Path("/var/lib/paas/nginx"), http_port=8080)
    assert "pid /var/lib/paas/nginx/nginx.pid;" in text
    assert "error_log /var/lib/paas/nginx/logs/error.log warn;" in text
    assert "include /var/lib/paas/nginx/apps/*.conf;" in text
    assert "client_body_temp_path /var/lib/paas/nginx/tmp/client_body;" in text
    assert "listen 0.0.0.0:8080 default_server reuseport;" in text
    assert text.count(" reuseport;") == 1  # nginx takes a port's options once
    assert "worker_shutdown_timeout 30s;" in text
    assert 'proxy_set_header Connection "";' in text and "proxy_http_version 1.1;" in text
    assert "/etc/nginx/nginx.conf" not in text
    assert 'return 404 "no app is served at this host\\n";' in text


def test_backups_follow_the_upstreams_and_only_with_them():
    text = render_app(app="web", server_names=["web.localhost"], upstreams=["10.200.1.3:5000"],
                      backups=["10.200.1.2:5000"], http_port=80)
    assert ("    server 10.200.1.3:5000 max_fails=0;\n"
            "    server 10.200.1.2:5000 max_fails=0 backup;\n    keepalive 32;\n") in text
    idle = render_app(app="web", server_names=["web.localhost"], upstreams=[],
                      backups=["10.200.1.2:5000"], http_port=80)
    assert "backup" not in idle and "return 503" in idle


def test_servers_on_swarm_nodes_are_skipped_after_a_failure_and_connect_briefly():
    """A node that died drops packets: without a short connect timeout every request sent
    there waits 5 s, and without max_fails every request tries it again."""
    assert render_app(app="web", server_names=["web.localhost"], http_port=80,
                      upstreams=["10.0.0.1:30001", "10.0.0.2:30002"], backups=["10.0.0.3:30003"],
                      remote=True) == """\
# App web: rendered by paas; edits are overwritten at the next deploy.
upstream paas_web {
    server 10.0.0.1:30001 max_fails=1 fail_timeout=10s;
    server 10.0.0.2:30002 max_fails=1 fail_timeout=10s;
    server 10.0.0.3:30003 max_fails=1 fail_timeout=10s backup;
    keepalive 32;
    keepalive_requests 10000;
}

server {
    listen 0.0.0.0:80;
    server_name web.localhost;
    location / {
        # Servers on other nodes (swarm): a node that died answers nothing, not even a reset;
        # give up connecting after 1 s and try the next server.
        proxy_connect_timeout 1s;
        proxy_pass http://paas_web;
    }
}
"""
