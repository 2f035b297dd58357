"""The load balancer in front of Rasa replicas: an HAProxy configuration.

Every replica loads the same model and shares conversations through the SQL tracker
store; the Redis lock store keeps each conversation's messages in order whichever
replica gets them. So REST and Slack requests may go to any replica: the one with the
fewest requests under way gets the next (``leastconn``), because a turn's cost varies
with the message. The socket.io channel keeps a session on the replica that opened it
(its long-polling requests must reach the same process), so that traffic is routed by
the client's address.

The Rasa servers run Sanic 21.12, past its support: the balancer reads each request
whole before passing it on and opens a new connection to the replica for each one,
as docs/security-advisories.md asks of the proxy in front of them.

A replica is sent messages only while its REST channel answers the health check: not
while it loads its model, nor once it is stopping. A request whose replica refuses
the connection or closes it without an answer (stopped or killed) is sent to another.
"""

from __future__ import annotations

from collections.abc import Sequence

HEALTH_PATH = "/webhooks/rest/"
"""What the balancer asks each replica, and what the launcher asks the balancer."""
TURN_TIMEOUT_SECONDS = 90
"""Longest wait for a replica's reply. A turn takes seconds at most, but a message sent
again after its replica crashed waits until the dead replica's hold on the conversation
expires (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s): it is answered late rather than lost."""


def haproxy_config(port: int, replicas: Sequence[int], host: str = "127.0.0.1") -> str:
    """HAProxy's configuration: listen on ``host:port``, balance over ``replicas`` (ports)."""
    if not replicas:
        raise ValueError("the load balancer needs at least one replica")
    servers = "\n".join(
        f"    server replica{i} {host}:{replica} check" for i, replica in enumerate(replicas, 1)
    )
    return f"""\
# Written by bot/server/balancer.py when the launcher starts; edit that module instead.
global
    maxconn 2000
    log stdout format raw local0 info

defaults
    mode http
    log global
    option httplog
    option dontlog-normal
    option http-buffer-request
    option http-server-close
    timeout connect 2s
    timeout client {TURN_TIMEOUT_SECONDS}s
    timeout server {TURN_TIMEOUT_SECONDS}s
    timeout tunnel 1h
    timeout check 10s
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response
    default-server inter 2s fall 3 rise 2

frontend assistant
    bind {host}:{port}
    acl socketio path_beg /socket.io
    use_backend socketio if socketio
    default_backend replicas

backend replicas
    balance leastconn
    option httpchk GET {HEALTH_PATH}
    http-check expect status 200
{servers}

backend socketio
    balance source
    hash-type consistent
    option httpchk GET {HEALTH_PATH}
    http-check expect status 200
{servers}
"""
