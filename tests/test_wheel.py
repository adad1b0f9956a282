"""A wheel built from the repository carries static/ and templates/, and works installed."""
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

USE_INSTALLED = textwrap.dedent(
    """
    import plugin
    from flask import Flask
    from flask_sqlalchemy import SQLAlchemy
    from plugin import Cart, CartLine, Product, ShopAdapter, Tsuide
    from plugin.storage import migrate

    class Shop(ShopAdapter):
        def current_cart(self):
            return Cart((CartLine("tea", 2, 1500),))
        def products(self, ids):
            return {"tea": Product("tea", "Tea", 1500)}
        def add_to_cart(self, items):
            pass

    app = Flask("installed")
    app.config.update(SQLALCHEMY_DATABASE_URI="sqlite://", SECRET_KEY="installed", TSUIDE_HOLDOUT_PERCENT=0)
    db = SQLAlchemy(app)
    tsuide = Tsuide(app, db=db, adapter=Shop())
    with app.app_context():
        migrate.upgrade(db.engine)
        from plugin import models
        db.session.add(models.ShippingRule(label="Free shipping", currency="JPY", threshold=5000, fee=600))
        db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        page = app.jinja_env.from_string("{{ tsuide.cart_panel() }}{{ tsuide.widget_script() }}").render()
    widget = app.test_client().get("/tsuide/static/widget.js")
    print(plugin.__file__)
    print(page)
    print(widget.status_code, len(widget.data))
    """
)


@pytest.mark.slow
def test_the_wheel_installs_and_serves_templates_and_widget(tmp_path):
    # Built from a copy of the sources: an in-tree build/ left by an earlier layout would leak old modules in.
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "instance"))
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(source)],
        check=True,
        cwd=tmp_path,
    )
    [wheel] = tmp_path.glob("flask_tsuide-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "plugin/static/widget.js" in names
    assert "plugin/templates/tsuide/cart_panel.html" in names
    assert "plugin/static/tsuide.css" in names
    assert "plugin/storefront/translations/ja/LC_MESSAGES/messages.po" in names
    assert "plugin/storage/migrations/versions/0001_initial.py" in names

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = Path(sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)}))
    # The fresh environment sees the dependencies already installed here, but not the source tree.
    (site / "dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", str(site), str(wheel)],
        check=True,
    )
    run = subprocess.run(
        [str(venv / "bin" / "python"), "-c", USE_INSTALLED], cwd=tmp_path, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    location, *page, widget = run.stdout.strip().splitlines()
    assert location.startswith(str(site))
    html = "\n".join(page)
    assert "¥2,000 more for free shipping" in html
    assert 'role="progressbar"' in html
    assert "/tsuide/static/widget.js" in html and "defer" in html
    status, size = widget.split()
    assert status == "200" and int(size) > 500
