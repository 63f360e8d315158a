"""``shinsou serve``: the JSON API (answers and 4xx refusals) and the page in a real browser
(headless Debian chromium driven by Playwright) on a small mnist-cnn run trained here on a
slice of real MNIST: a "7" drawn with mouse events is read as 7."""

import base64
import http.client
import io
import json
import os
import shutil
import socket
import threading
import urllib.error
import urllib.request

import numpy as np
import pytest

from shinsou import cli, recipes
from shinsou.apps import serve
from shinsou.apps.explain import MLP_UNITS
from shinsou.datasets import load_fashion_mnist, load_mnist

CHROMIUM = os.environ.get("SHINSOU_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def _train(name, out, **settings):
    """A quick finished run of recipe ``name`` in folder ``out`` (without its pictures, which
    take longer than the training and are not what is tested here), offline as in the
    ``offline`` fixture (a session fixture runs outside it)."""
    recipe = recipes.get(name)
    cfg = recipe.config(out=str(out), progress=False, **settings)
    with pytest.MonkeyPatch.context() as mp:
        from shinsou.datasets import mnist as mnist_mod
        from shinsou.recipes import classify

        nowhere = [(out.parent / "nowhere").as_uri() + "/"]
        mp.setattr(mnist_mod, "MNIST_URLS", nowhere)
        mp.setattr(mnist_mod, "FASHION_MNIST_URLS", nowhere)
        mp.setenv("XDG_CACHE_HOME", str(out.parent / "xdg"))
        mp.setattr(classify, "_draw", lambda *a, **k: [])
        mp.setattr(classify, "_draw_inside", lambda *a, **k: [])
        metrics = recipe.train(cfg, overrides={})
    return out, metrics


@pytest.fixture(scope="session")
def cnn_run(tmp_path_factory):
    """mnist-cnn on 6000 MNIST images, one epoch (about 96 % on the test slice)."""
    out = tmp_path_factory.mktemp("serve") / "mnist-cnn"
    return _train(
        "mnist-cnn", out, epochs=1, batch_size=32, train_limit=6000, test_limit=1000,
        augment=False,
    )  # fmt: skip


@pytest.fixture(scope="session")
def server(cnn_run):
    """The page of the CNN run, served on a free local port."""
    srv = serve.make_server(serve.load_classifier(cnn_run[0]), port=0)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _post(url, body, content_type="application/json", headers=None):
    """(status, parsed JSON answer) of a POST."""
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    req = urllib.request.Request(url, data, {"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        assert e.headers["Content-Type"] == "application/json"
        return e.code, json.load(e)


def _data_url(image: np.ndarray, fmt="PNG") -> str:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image).save(buf, format=fmt)
    return f"data:image/{fmt.lower()};base64," + base64.b64encode(buf.getvalue()).decode()


# ------------------------------------------------------------------------------- the API
def test_the_run_trained_on_real_mnist(cnn_run):
    _, m = cnn_run
    assert m["dataset"] == "mnist", "MNIST was not found: set SHINSOU_DATA (see README)"
    assert m["test/accuracy"] >= 0.95, m["test/accuracy"]


def test_page_files_and_info(server):
    for path, ctype, marker in [
        ("/", "text/html", b'<canvas id="pad"'),
        ("/app.js", "text/javascript", b"api/predict"),
        ("/style.css", "text/css", b"#pad"),
    ]:
        with urllib.request.urlopen(server + path) as r:
            assert r.headers["Content-Type"].startswith(ctype) and marker in r.read(), path
    with urllib.request.urlopen(server + "/api/info") as r:
        info = json.load(r)
    assert info == {
        "recipe": "mnist-cnn",
        "dataset": "mnist",
        "classes": [str(d) for d in range(10)],
        "size": 28,
        "model": "CNN",
    }


def test_real_test_images_are_read_right_as_lists_and_as_png(server):
    x, y = load_mnist("test")
    for i in range(4):  # a list of rows, white ink on black as in MNIST
        status, a = _post(server + "/api/predict", {"image": x[i].tolist()})
        assert status == 200 and a["prediction"] == str(y[i]), (i, a.get("prediction"))
    # a bigger PNG, black ink on white paper (as a drawing on paper would come)
    big = np.kron(255 - x[4], np.ones((4, 4), np.uint8))  # (112, 112)
    status, a = _post(server + "/api/predict", {"image": _data_url(big)})
    assert status == 200 and a["prediction"] == str(y[4])
    p = np.array(a["probabilities"])
    assert (
        p.shape == (10,)
        and abs(p.sum() - 1) < 1e-3
        and a["probability"] == pytest.approx(p.max(), abs=1e-4)
    )
    inp, sal = np.array(a["input"]), np.array(a["saliency"])
    assert inp.shape == sal.shape == (28, 28) and inp.max() == 1.0 and inp.min() == 0.0
    assert sal.min() >= 0 and sal.max() == 1.0
    layer = a["layer"]
    assert layer["kind"] == "feature maps" and layer["layer"] == "features.0"
    maps = np.array(layer["images"])
    assert maps.shape == (32, 28, 28) and np.abs(maps).max() == 1.0 and len(layer["labels"]) == 32


def test_saliency_is_the_input_gradient_of_the_top_score(cnn_run):
    """Checked against viz.saliency_map (another code path) and against central differences."""
    from shinsou.apps.explain import explain
    from shinsou.viz import saliency_map

    clf = serve.load_classifier(cnn_run[0])
    x, _ = load_mnist("test")
    a = explain(clf, x[0])
    picture = clf.picture(x[0])
    net_input = clf.prepare(picture[None])
    ref = saliency_map(clf.model, net_input)[0]
    np.testing.assert_allclose(a["saliency"], ref / ref.max(), atol=2e-3)
    # the largest entry against a central difference of the top score (float64 input)
    scores = lambda z: clf.model(z).numpy()[0]  # noqa: E731
    top = int(np.argmax(a["probabilities"]))
    h, w = np.unravel_index(np.argmax(ref), ref.shape)
    import shinsou as ss

    clf.model.eval()
    e = np.zeros_like(net_input, dtype=np.float64)
    e[0, 0, h, w] = 1e-2
    with ss.no_grad():
        up = scores(ss.tensor(net_input + e).float())[top]
        down = scores(ss.tensor(net_input - e).float())[top]
    assert abs(up - down) / 2e-2 == pytest.approx(ref[h, w], rel=0.05)


def test_a_blank_drawing_is_said_to_be_blank(server):
    status, a = _post(server + "/api/predict", {"image": np.zeros((280, 280)).tolist()})
    assert status == 200 and a["blank"] is True and "prediction" not in a


@pytest.mark.parametrize(
    "body, status, words",
    [
        (b"{not json", 400, "not valid JSON"),
        ([1, 2], 400, '{"image": ...}'),
        ({"picture": []}, 400, '{"image": ...}'),
        ({"image": np.zeros((27, 27)).tolist()}, 400, "between 28×28"),
        ({"image": np.zeros((28, 2049)).tolist()}, 400, "got 28×2049"),
        ({"image": [[0] * 28] * 27 + [[0] * 27]}, 400, "equal length"),
        ({"image": [[300] * 28] * 28}, 400, "from 0 to 255"),
        ({"image": [["a"] * 28] * 28}, 400, "numbers"),
        ({"image": 7}, 400, "data URL"),
        ({"image": "data:text/plain;base64,aGVsbG8="}, 400, "data URL"),
        ({"image": "data:image/png;base64,@@@"}, 400, "not valid base64"),
        (
            {"image": "data:image/png;base64," + base64.b64encode(b"GIF89a?").decode()},
            400,
            "no PNG/JPEG image",
        ),  # fmt: skip
    ],
)
def test_bad_requests_get_a_clear_400(server, body, status, words):
    got, a = _post(server + "/api/predict", body)
    assert got == status and a["status"] == status and words in a["error"], a


def test_small_png_and_other_refusals(server):
    tiny = _data_url(np.zeros((20, 20), np.uint8))
    assert _post(server + "/api/predict", {"image": tiny}) == (
        400,
        {"error": "image: expected between 28×28 and 2048×2048 pixels, got 20×20 "
         "(height×width)", "status": 400},
    )  # fmt: skip
    status, a = _post(server + "/api/predict", b"{}", content_type="text/plain")
    assert status == 415 and "application/json" in a["error"]
    huge = b'{"image": "' + b"A" * (serve.MAX_BODY + 10) + b'"}'
    status, a = _post(server + "/api/predict", huge)
    assert status == 413 and str(serve.MAX_BODY) in a["error"]
    status, a = _post(server + "/api/elsewhere", {"image": []})
    assert status == 404 and "/api/predict" in a["error"]
    status, a = _post(server + "/api/predict", {}, headers={"Host": "evil.example"})
    assert status == 403 and "localhost" in a["error"]
    for path, code in [("/nothing.html", 404), ("/api/predict", 405), ("/../cli.py", 404)]:
        with pytest.raises(urllib.error.HTTPError) as e:
            urllib.request.urlopen(server + path)
        assert e.value.code == code and "error" in json.load(e.value), path
    # a POST without Content-Length is refused with 411
    host, port = server.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port))
    conn.putrequest("POST", "/api/predict")
    conn.putheader("Content-Type", "application/json")
    conn.endheaders()
    r = conn.getresponse()
    assert r.status == 411 and "Content-Length" in json.load(r)["error"]
    conn.close()


def test_fashion_mlp_run_shows_clothes_and_first_layer_weights(tmp_path):
    """Any image-classification run: an MLP on Fashion-MNIST, its class names from the run
    and, for the first layer, the weights of its most active units."""
    run, m = _train("fashion-mlp", tmp_path / "fashion-mlp", epochs=1, train_limit=2000,
                    test_limit=200)  # fmt: skip
    assert m["dataset"] == "fashion-mnist"
    clf = serve.load_classifier(run)
    srv = serve.make_server(clf, port=0)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        with urllib.request.urlopen(url + "/api/info") as r:
            info = json.load(r)
        assert info["model"] == "MLP" and "Trouser" in info["classes"]
        x, _ = load_fashion_mnist("test")
        status, a = _post(url + "/api/predict", {"image": x[0].tolist()})
    finally:
        srv.shutdown()
        srv.server_close()
    assert status == 200 and a["prediction"] in info["classes"]
    layer = a["layer"]
    assert layer["kind"] == "weights" and np.array(layer["images"]).shape == (MLP_UNITS, 28, 28)
    # the units shown are the most active ones, drawn from their weight rows
    first = clf.model[0]
    h = clf.prepare(clf.picture(x[0])[None]) @ first.weight.numpy().T + first.bias.numpy()
    units = [int(s.split(":")[0][1:]) for s in layer["labels"]]
    assert units == list(np.argsort(-h[0])[:MLP_UNITS])
    w = first.weight.numpy()[units[0]].reshape(28, 28)
    np.testing.assert_allclose(layer["images"][0], w / np.abs(w).max(), atol=1e-3)


def test_serve_refuses_what_it_cannot_show(tmp_path, capsys, cnn_run):
    assert cli.main(["serve", str(tmp_path / "nowhere")]) == 2
    assert "there is no run folder" in capsys.readouterr().err
    gan = tmp_path / "gan"
    gan.mkdir()
    config = {"recipe": "toy-gan", "config": {"recipe": "toy-gan"}}
    (gan / "config.json").write_text(json.dumps(config))
    assert cli.main(["serve", str(gan)]) == 2
    assert "shows image classifiers" in capsys.readouterr().err
    with socket.socket() as busy:  # the CLI loads the run, then cannot take a busy port
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert cli.main(["serve", str(cnn_run[0]), "--port", str(port)]) == 2
    assert "Address already in use" in capsys.readouterr().err


# ---------------------------------------------------------------------------- the browser
def _sync_playwright():
    """Playwright and chromium, or a failure in CI (where .ci/run installs chromium and the
    test extra playwright) and a skip elsewhere."""
    missing = None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing = "the Python package playwright (pip install -e '.[test]')"
    if missing is None and not os.path.exists(CHROMIUM):
        missing = f"chromium at {CHROMIUM} (apt-get install -y chromium)"
    if missing is not None:
        message = f"the browser test needs {missing}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return sync_playwright


# a "7": the top bar left to right, then the stem down to the left (fractions of the pad)
SEVEN = [[(0.25, 0.22), (0.75, 0.22), (0.45, 0.82)]]


def draw(page, strokes):
    """Draw polylines on the page's canvas with real mouse events."""
    box = page.locator("#pad").bounding_box()
    at = lambda fx, fy: (box["x"] + fx * box["width"], box["y"] + fy * box["height"])  # noqa: E731
    for points in strokes:
        page.mouse.move(*at(*points[0]))
        page.mouse.down()
        for p in points[1:]:
            page.mouse.move(*at(*p), steps=12)
        page.mouse.up()


def test_drawing_a_seven_in_chromium_shows_seven(server):
    sync_playwright = _sync_playwright()
    errors = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: m.type == "error" and errors.append(m.text))
            page.goto(server + "/")
            page.wait_for_selector("body[data-ready='1']")
            assert page.inner_text("#hint") == "Draw a digit"
            assert page.locator("#bars .bar-row").count() == 10
            draw(page, SEVEN)
            page.wait_for_selector("#status[data-state='ready']")
            assert page.inner_text("#prediction") == "7"
            top = page.locator("#bars .bar-row.top")
            assert top.get_attribute("data-class") == "7"
            assert float(top.locator(".pct").inner_text().rstrip("%")) > 50
            assert page.locator("#layer canvas").count() == 32
            # the net's input shows ink: some pixel of the 28×28 view is bright
            bright = page.evaluate(
                "() => { const c = document.getElementById('input-view');"
                " const d = c.getContext('2d').getImageData(0, 0, 28, 28).data;"
                " return Math.max(...d.filter((_, i) => i % 4 === 0)); }"
            )
            assert bright > 200
            page.click("#clear")
            assert page.inner_text("#prediction") == "–"
            assert page.locator("#layer canvas").count() == 0
        finally:
            browser.close()
    assert not errors, errors
