"""``shinsou serve RUN_DIR``: a local web page where you draw a digit (or a piece of clothing)
and watch a finished image-classification run's net read it, live.

The server is the standard library's ``ThreadingHTTPServer``; the page is three plain files
(``web/index.html``, ``style.css``, ``app.js``) shipped in the package, with no build step.

HTTP API (every answer is JSON, errors too: ``{"error": "what was wrong"}``):

``GET /api/info``
    the run: ``recipe``, ``dataset``, ``classes``, ``size`` (the side of the net's input),
    ``model`` ("CNN" or "MLP").
``POST /api/predict``
    body ``{"image": IMAGE}``, ``Content-Type: application/json``, at most ``MAX_BODY``
    bytes. IMAGE is a PNG/JPEG data URL (``"data:image/png;base64,..."``) or a list of rows
    of gray levels 0..255, at least size×size and at most ``MAX_SIDE`` on a side; ink may
    be dark on light or light on dark. The answer is ``shinsou.apps.explain.explain``'s.

Bad requests get 400 (bad JSON, not an image, wrong size), 404 (unknown path), 405 (wrong
method), 411 (no length), 413 (body over the limit) or 415 (not JSON). The server listens
on 127.0.0.1 unless told otherwise, and then answers only requests addressed to localhost
(a web page elsewhere cannot reach it through a DNS name that points here).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path

import numpy as np

from ..nn.conv import Conv2d
from ..tasks.classification import ImageClassifier
from .explain import explain

__all__ = ["make_server", "load_classifier", "decode_image", "BadRequest", "serve"]

MAX_BODY = 2_000_000  # bytes of a request body
MAX_SIDE = 2048  # pixels on either side of a posted image
DRAIN_LIMIT = 16_000_000  # bytes of a refused body read and dropped before closing
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")
_FILES = {  # path -> (file in web/, content type)
    "/": ("index.html", "text/html; charset=utf-8"),
    "/index.html": ("index.html", "text/html; charset=utf-8"),
    "/app.js": ("app.js", "text/javascript; charset=utf-8"),
    "/style.css": ("style.css", "text/css; charset=utf-8"),
}


class BadRequest(ValueError):
    """A request the server refuses: ``status`` (a 4xx code) and a message for the sender."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


def load_classifier(run_dir) -> ImageClassifier:
    """The classifier of a finished image-classification run folder (any recipe whose task
    answers ``shinsou predict``: mnist-mlp, mnist-cnn, fashion-mlp, fashion-cnn, transfer,
    ...), loaded by its own recipe."""
    from .. import recipes

    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"there is no run folder {run_dir}")
    recipe = recipes.get(recipes.load_config(run_dir).recipe)
    if "predict" not in recipe.task.commands or not hasattr(recipe, "classifier"):
        raise ValueError(
            f"{run_dir} is a run of {recipe.name} ({recipe.task.name}); `shinsou serve` shows "
            "image classifiers (mnist-mlp, mnist-cnn, fashion-mlp, fashion-cnn, ...)"
        )
    return recipe.classifier(run_dir)


def _from_data_url(url: str, least: int) -> np.ndarray:
    head, sep, data = url.partition(",")
    if not sep or not head.startswith("data:image/") or not head.endswith(";base64"):
        raise BadRequest(
            400, "image: expected a data URL 'data:image/png;base64,...' or a list of rows"
        )
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(400, "image: the data URL's base64 part is not valid base64") from None
    try:
        from PIL import Image
    except ImportError:
        raise BadRequest(
            400,
            "image: this server cannot read PNG/JPEG (Pillow is not installed); send a list "
            "of rows of gray levels instead",
        ) from None
    not_image = "image: the data URL holds no PNG/JPEG image Pillow can read"
    try:
        img = Image.open(io.BytesIO(raw))
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise BadRequest(400, not_image) from None
    with img:
        w, h = img.size  # from the header: refuse a huge image before decoding it
        _check_size(h, w, least)
        try:
            return np.asarray(img.convert("LA"), dtype=np.uint8).copy()  # gray + alpha
        except (OSError, SyntaxError, ValueError):
            raise BadRequest(400, not_image) from None


def _check_size(h: int, w: int, least: int = 28) -> None:
    if h < least or w < least or h > MAX_SIDE or w > MAX_SIDE:
        raise BadRequest(
            400,
            f"image: expected between {least}×{least} and {MAX_SIDE}×{MAX_SIDE} pixels, "
            f"got {h}×{w} (height×width)",
        )


def decode_image(payload, least: int = 28) -> np.ndarray:
    """The image of a ``/api/predict`` request body (parsed JSON).

    Args:
        payload: ``{"image": data URL or list of rows of 0..255}``.
        least: the smallest side accepted (the net's input size).
    Returns:
        uint8 (H, W) or, from a data URL, (H, W, 2) gray and alpha.
    Raises:
        BadRequest: (400) anything else, saying what was expected.

    >>> decode_image({"image": [[0, 255]] * 28}, least=2).shape
    (28, 2)
    >>> try:
    ...     decode_image({"image": [[0, 255]]})
    ... except BadRequest as e:
    ...     print(e.status, e)
    400 image: expected between 28×28 and 2048×2048 pixels, got 1×2 (height×width)
    """
    if not isinstance(payload, dict) or "image" not in payload:
        raise BadRequest(400, 'expected a JSON object {"image": ...}')
    image = payload["image"]
    if isinstance(image, str):
        return _from_data_url(image, least)
    if not isinstance(image, list) or not image or not all(isinstance(r, list) for r in image):
        raise BadRequest(
            400, "image: expected a data URL 'data:image/png;base64,...' or a list of rows"
        )
    _check_size(len(image), len(image[0]), least=least)  # before building a huge array
    try:
        a = np.array(image, dtype=np.float64)
    except (ValueError, TypeError):
        raise BadRequest(400, "image: the rows must be lists of numbers of equal length") from None
    if a.ndim != 2:
        raise BadRequest(400, f"image: expected a 2-D list of gray levels, got shape {a.shape}")
    if not np.isfinite(a).all() or a.min() < 0 or a.max() > 255:
        raise BadRequest(400, "image: gray levels must be numbers from 0 to 255")
    return np.round(a).astype(np.uint8)


def _info(clf: ImageClassifier) -> dict:
    cnn = any(isinstance(m, Conv2d) for m in clf.model.modules())
    return {
        "recipe": clf.recipe,
        "dataset": clf.dataset,
        "classes": list(clf.classes),
        "size": clf.size,
        "model": "CNN" if cnn else "MLP",
    }


class _Handler(BaseHTTPRequestHandler):
    server_version = "shinsou-serve"
    server: _Server

    # --- answers ----------------------------------------------------------------------
    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json")

    def _error(self, status: int, message: str) -> None:
        self.close_connection = True  # the rest of a refused body is never read
        self._json(status, {"error": message, "status": status})

    def _path(self) -> str:
        return self.path.split("?", 1)[0]

    def _host_ok(self) -> bool:
        if not self.server.local_only:
            return True
        host = self.headers.get("Host", "")
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return name in LOCAL_HOSTS

    # --- methods ----------------------------------------------------------------------
    def do_GET(self) -> None:
        if not self._host_ok():
            return self._error(403, "this server answers only requests to localhost")
        path = self._path()
        if path == "/api/info":
            return self._json(200, self.server.info)
        if path in _FILES:
            name, ctype = _FILES[path]
            body = resources.files(__package__).joinpath("web", name).read_bytes()
            return self._send(200, body, ctype)
        if path == "/api/predict":
            return self._error(405, "POST an image to /api/predict (GET is not allowed)")
        return self._error(404, f"no such page {path}; the page is / and the API /api/predict")

    do_HEAD = do_GET

    def do_POST(self) -> None:
        try:
            self._unread = max(int(self.headers.get("Content-Length", "0")), 0)
        except ValueError:
            self._unread = 0
        try:
            if not self._host_ok():
                raise BadRequest(403, "this server answers only requests to localhost")
            path = self._path()
            if path != "/api/predict":
                if path in _FILES or path == "/api/info":
                    raise BadRequest(405, f"{path} answers GET only")
                raise BadRequest(404, f"no such API {path}; POST images to /api/predict")
            payload = self._read_json()
            image = decode_image(payload, least=self.server.classifier.size)
        except BadRequest as e:
            self._discard_body()
            return self._error(e.status, str(e))
        with self.server.lock:  # one net, hooks and all: one request at a time
            answer = explain(self.server.classifier, image)
        return self._json(200, answer)

    def _discard_body(self) -> None:
        """Read (up to a bound) what is left of a refused body, so that the sender, still
        writing it, gets the answer instead of a reset connection."""
        left = min(self._unread, DRAIN_LIMIT)
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 16))
            if not chunk:
                break
            left -= len(chunk)
        self._unread = 0

    def _read_json(self):
        ctype = self.headers.get("Content-Type", "application/json").split(";")[0].strip()
        if ctype.lower() != "application/json":
            raise BadRequest(415, f"expected Content-Type application/json, got {ctype}")
        length = self.headers.get("Content-Length")
        if length is None:
            raise BadRequest(411, "a Content-Length header is required")
        try:
            n = int(length)
        except ValueError:
            n = -1
        if n < 0:
            raise BadRequest(400, f"Content-Length must be a number, got {length!r}")
        if n > MAX_BODY:
            raise BadRequest(413, f"the body is {n} bytes; at most {MAX_BODY} are accepted")
        raw = self.rfile.read(n)
        self._unread = 0
        try:
            return json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise BadRequest(400, f"the body is not valid JSON ({e})") from None

    def log_message(self, format, *args) -> None:  # noqa: A002 - the base class's name
        if self.server.verbose:
            super().log_message(format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address, classifier: ImageClassifier, local_only: bool, verbose: bool):
        self.classifier = classifier
        self.info = _info(classifier)
        self.lock = threading.Lock()
        self.local_only = local_only
        self.verbose = verbose
        if ":" in address[0]:  # an IPv6 address
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


def make_server(
    classifier: ImageClassifier, host: str = "127.0.0.1", port: int = 8000, verbose: bool = False
) -> ThreadingHTTPServer:
    """A server (not yet serving: call ``serve_forever()``, e.g. in a thread) of the page for
    ``classifier``. ``port=0`` picks a free port (``server.server_address[1]``). Bound to a
    local address it answers only requests addressed to localhost; ``verbose`` logs each
    request on stderr.
    """
    local = host in LOCAL_HOSTS
    return _Server((host, port), classifier, local_only=local, verbose=verbose)


def serve(run_dir, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the page for a run folder until Ctrl-C (``shinsou serve``)."""
    clf = load_classifier(run_dir)
    server = make_server(clf, host, port, verbose=True)
    shown = f"[{host}]" if ":" in host else host
    print(
        f"shinsou serve: {clf.recipe} ({run_dir}) at http://{shown}:{server.server_address[1]}/"
        " — draw on the page; Ctrl-C stops",
        file=sys.stderr,
    )
    if host not in LOCAL_HOSTS:
        print(
            f"note: listening on {host}: anyone who can reach this machine can use the page",
            file=sys.stderr,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    finally:
        server.server_close()
