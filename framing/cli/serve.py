from __future__ import annotations

from pathlib import Path

import typer

from ._app import MODEL_HELP, app, friendly_errors


@app.command("serve")
@friendly_errors
def serve_cmd(
    model: Path = typer.Option(None, "--model", help=MODEL_HELP, exists=True, file_okay=False),
    host: str = typer.Option("127.0.0.1", "--host", help="Address to bind; anything but loopback needs --token-file."),
    port: int = typer.Option(8000, "--port", min=1, max=65535, help="TCP port."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda[:N] (transformer models)."),
    token_file: Path = typer.Option(None, "--token-file", exists=True, dir_okay=False,
                                    help="File holding a bearer token that every API request must send."),
    allow_fetch: bool = typer.Option(False, "--allow-fetch", help="Let POST /v1/score take {\"url\": ...} and fetch it."),
    allow_private_fetch: bool = typer.Option(False, "--allow-private-fetch",
                                             help="Let fetches reach loopback, link-local and private addresses."),
) -> None:
    """Serve the model over HTTP: POST /v1/score, GET /healthz, GET /v1/model, /docs, and a page at /."""
    from ..serve.server import serve

    serve(model, host, port, device, token_file, allow_fetch, allow_private_fetch)
