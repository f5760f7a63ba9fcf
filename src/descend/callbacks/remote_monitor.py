"""``RemoteMonitor``: post each epoch's logs to an HTTP server (Keras's callback).

Uses the standard library (``urllib``) instead of ``requests``.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from descend.callbacks.callback import Callback

__all__ = ["RemoteMonitor"]


class RemoteMonitor(Callback):
    """POST ``{"epoch": epoch, **logs}`` to ``root + path`` after every epoch.

    By default the body is a form with one field, ``field``, holding the JSON
    text (``application/x-www-form-urlencoded``); with ``send_as_json`` the body
    is the JSON itself (``application/json``). An unreachable server gives a
    warning, not an error.

    Parameters
    ----------
    root : str, default "http://localhost:9000"
    path : str, default "/publish/epoch/end/"
    field : str, default "data"
    headers : dict, optional
        Extra HTTP headers.
    send_as_json : bool, default False
    timeout : float, default 10.0
        Seconds to wait for the server (descend's addition).

    Examples
    --------
    >>> monitor = RemoteMonitor(root="http://localhost:9000", send_as_json=True)
    >>> monitor.root + monitor.path
    'http://localhost:9000/publish/epoch/end/'
    """

    process_zero_only = True  # data-parallel: process 0 alone prints/writes

    def __init__(self, root: str = "http://localhost:9000", path: str = "/publish/epoch/end/",
                 field: str = "data", headers: Mapping[str, str] | None = None,
                 send_as_json: bool = False, timeout: float = 10.0) -> None:
        super().__init__()
        if not isinstance(root, str) or not root.startswith(("http://", "https://")):
            raise ValueError(f"RemoteMonitor: root must be an http(s) URL such as "
                             f"'http://localhost:9000', received root={root!r}.")
        if headers is not None and not isinstance(headers, Mapping):
            raise TypeError(f"RemoteMonitor: headers must be a dict, received {headers!r}.")
        self.root, self.path, self.field = root, path, field
        self.headers = dict(headers) if headers is not None else None
        self.send_as_json = bool(send_as_json)
        self.timeout = timeout

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        send: dict[str, Any] = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        headers = dict(self.headers or {})
        if self.send_as_json:
            body = json.dumps(send).encode("utf-8")
            headers.setdefault("Content-Type", "application/json")
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("ascii")
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.root + self.path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except (urllib.error.URLError, OSError):
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}",
                          stacklevel=2)
