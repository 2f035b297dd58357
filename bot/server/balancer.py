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

The launcher writes this configuration for replicas on 127.0.0.1; the compose file in
``deploy/`` uses the same one for its replica services, rendered by
``python -m bot.server.balancer`` into ``deploy/haproxy.cfg`` (a test checks the
committed file is this rendering).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

HEALTH_PATH = "/webhooks/rest/"
"""What the balancer asks each replica, and what the launcher asks the balancer."""
TURN_TIMEOUT_SECONDS = 90
"""Longest wait for a replica's reply. A turn takes seconds at most, but a message sent
again after its replica crashed waits until the dead replica's hold on the conversation
expires (Rasa's ``TICKET_LOCK_LIFETIME``, 60 s): it is answered late rather than lost."""


Address = tuple[str, int]
"""A replica's host (name or IP address) and port."""

COMPOSE_REPLICAS: tuple[Address, ...] = (("rasa-1", 5005), ("rasa-2", 5005))
"""The Rasa replica services of ``deploy/compose.yml``, each on Rasa's default port."""
COMPOSE_PORT = 5005
COMPOSE_CONFIG = Path(__file__).resolve().parents[2] / "deploy" / "haproxy.cfg"


def haproxy_config(port: int, replicas: Sequence[Address], bind: str = "127.0.0.1") -> str:
    """HAProxy's configuration: listen on ``bind:port``, balance over ``replicas``."""
    if not replicas:
        raise ValueError("the load balancer needs at least one replica")
    servers = "\n".join(
        f"    server replica{i} {host}:{replica_port} check"
        for i, (host, replica_port) in enumerate(replicas, 1)
    )
    return f"""\
# Written by bot/server/balancer.py (haproxy_config); edit that module instead.
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
    bind {bind}:{port}
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


def compose_config() -> str:
    """The configuration of the compose file's balancer: every address, its replicas."""
    return haproxy_config(COMPOSE_PORT, COMPOSE_REPLICAS, bind="0.0.0.0")


def main(argv: Sequence[str] | None = None) -> None:
    """Write the compose file's HAProxy configuration (``deploy/haproxy.cfg``)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--output", type=Path, default=COMPOSE_CONFIG)
    args = parser.parse_args(argv)
    args.output.write_text(compose_config(), encoding="utf-8")
    print(f"HAProxy configuration for {len(COMPOSE_REPLICAS)} replicas written to {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
