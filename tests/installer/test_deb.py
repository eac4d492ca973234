"""The Debian package, built by `installer/build_deb.sh`, extracted into a clean root and run from there.

Slow (the PyInstaller build takes one to two minutes on two cores), so it runs only when asked:
`NOSKHE_INSTALLER_TEST=1 python -m pytest -q tests/installer` (CI does, as its own step). Asked, it fails
rather than skips when something it needs is missing (PyInstaller: `pip install -e '.[installer]'`).

The installed program runs with a bare environment: PATH=/usr/bin:/bin, no virtual environment, no
PYTHONPATH, HOME and the working directory in a temporary directory away from the source tree.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app import __version__

ROOT = Path(__file__).resolve().parents[2]
ASKED = os.environ.get("NOSKHE_INSTALLER_TEST") == "1"

pytestmark = pytest.mark.skipif(
    not ASKED, reason="builds the .deb (slow): run with NOSKHE_INSTALLER_TEST=1 (CI does, as its own step)"
)


@pytest.fixture(scope="module")
def deb() -> Path:
    """The package, built once for this module by the one documented command."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        pytest.fail("PyInstaller is not installed: python -m pip install -e '.[installer]'")
    for tool in ("dpkg-deb", "readelf"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing (Debian: apt-get install dpkg binutils)")
    done = subprocess.run(
        ["bash", str(ROOT / "installer" / "build_deb.sh")],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    path = ROOT / "dist" / f"noskhe_{__version__}_amd64.deb"
    assert path.is_file(), done.stdout
    return path


@pytest.fixture(scope="module")
def installed(deb: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's files extracted into an empty root, as dpkg would lay them out."""
    root = tmp_path_factory.mktemp("root")
    subprocess.run(["dpkg-deb", "-x", str(deb), str(root)], check=True)
    return root


@pytest.fixture
def run(installed: Path, tmp_path: Path):
    """Run the installed `/usr/bin/noskhe` with a bare environment; returns the CompletedProcess."""
    home = tmp_path / "home"
    home.mkdir()
    program = installed / "usr" / "bin" / "noskhe"

    def _run(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
        bare = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "TMPDIR": str(tmp_path), **env}
        return subprocess.run(
            [str(program), *args],
            check=False,
            cwd=tmp_path,
            env=bare,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return _run


def control(deb: Path) -> dict[str, str]:
    out = subprocess.run(["dpkg-deb", "-f", str(deb)], check=True, capture_output=True, text=True).stdout
    fields: dict[str, str] = {}
    key = ""
    for line in out.splitlines():
        if line.startswith(" ") and key:
            fields[key] += "\n" + line
        else:
            key, _, value = line.partition(": ")
            fields[key] = value
    return fields


def test_the_package_names_itself_and_its_dependencies(deb: Path) -> None:
    fields = control(deb)
    assert fields["Package"] == "noskhe"
    assert fields["Version"] == __version__
    assert fields["Architecture"] == "amd64"
    depends = [d.strip().split(" ")[0] for d in fields["Depends"].split(",")]
    # what Qt's xcb platform plugin needs from the system, the fonts of the paper, never a system Python
    for needed in (
        "libxcb-cursor0",
        "libxkbcommon-x11-0",
        "libegl1",
        "libgl1",
        "libfontconfig1",
        "libdbus-1-3",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "fonts-noto-core",
        "libc6",
    ):
        assert needed in depends, fields["Depends"]
    assert not [d for d in depends if d.startswith(("python", "libpython"))], fields["Depends"]
    # token modules are optional: national ID cards need OpenSC, the demo SoftHSM2
    assert "opensc-pkcs11" in fields["Recommends"] and "softhsm2" in fields["Recommends"]
    assert "softhsm2" not in depends and "opensc-pkcs11" not in depends


def test_the_package_lays_out_the_program_the_menu_entry_and_the_icon(installed: Path) -> None:
    assert (installed / "opt/noskhe/noskhe").is_file()
    assert os.access(installed / "opt/noskhe/noskhe", os.X_OK)
    link = installed / "usr/bin/noskhe"
    assert link.is_symlink() and link.resolve() == (installed / "opt/noskhe/noskhe").resolve()
    desktop = (installed / "usr/share/applications/noskhe.desktop").read_text(encoding="utf-8")
    assert "Exec=noskhe" in desktop and "Icon=noskhe" in desktop and "Name[fa]=نسخه" in desktop
    assert (installed / "usr/share/icons/hicolor/scalable/apps/noskhe.svg").is_file()
    assert (installed / "usr/share/icons/hicolor/256x256/apps/noskhe.png").is_file()
    internal = installed / "opt/noskhe/_internal"
    assert (internal / "app/data/drugs.csv").is_file() and (internal / "app/data/insurers.json").is_file()
    assert list(internal.glob("libpython3*.so*")), "Python is inside the package"
    assert list(internal.glob("sqlcipher3/_sqlite3*.so")), "SQLCipher is inside the package"


def test_every_library_it_needs_is_inside_or_a_dependency(deb: Path, installed: Path) -> None:
    sys.path.insert(0, str(ROOT / "installer"))
    try:
        from debdeps import depends
    finally:
        sys.path.pop(0)
    entries, problems = depends(installed / "opt/noskhe", [])
    assert problems == []
    declared = {d.strip().split(" ")[0] for d in control(deb)["Depends"].split(",")}
    assert {e.split(" ")[0] for e in entries} <= declared


@pytest.mark.skipif(shutil.which("apt-get") is None, reason="apt-get is not here")
def test_apt_can_resolve_the_dependencies(deb: Path) -> None:
    done = subprocess.run(
        ["apt-get", "install", "--simulate", "--no-install-recommends", str(deb)],
        check=False,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "Inst noskhe" in done.stdout


def test_installed_version(run) -> None:
    done = run("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"noskhe {__version__}"


def test_installed_cli_works_on_its_own_data(run, tmp_path: Path) -> None:
    env = {"NOSKHE_PASSPHRASE": "installed package passphrase"}
    data = str(tmp_path / "data")
    init = run("--data-dir", data, "init", "--role", "pharmacy", "--facility", "12345678", **env)
    assert init.returncode == 0, init.stderr
    found = run("--data-dir", data, "catalog", "search", "amoxi", **env)
    assert found.returncode == 0 and found.stdout.strip(), found.stderr
    assert run("--data-dir", data, "audit", "verify", **env).returncode == 0


def test_installed_program_opens_a_store_of_the_previous_release(run, tmp_path: Path) -> None:
    """An upgrade keeps data: the installed program migrates a copy of the previous release's store
    (tests/fixtures/store-v*, see tests/app/test_upgrade.py) and lists what it holds."""
    import json

    (release,) = sorted((ROOT / "tests" / "fixtures").glob("store-v*"))[-1:]
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    data = tmp_path / "upgraded"
    shutil.copytree(release / "clinic", data)
    env = {"NOSKHE_PASSPHRASE": manifest["passphrase"]}
    listed = run("--data-dir", str(data), "rx", "list", **env)
    assert listed.returncode == 0, listed.stderr
    for rx_id in manifest["stores"]["clinic"]["prescriptions"]:
        assert rx_id in listed.stdout
    assert run("--data-dir", str(data), "audit", "verify", **env).returncode == 0


@pytest.mark.skipif(shutil.which("softhsm2-util") is None, reason="the demo's test tokens need softhsm2")
def test_installed_demo_runs_headless(run, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    done = run("demo", "--headless", "--out", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo finished: every step as expected" in done.stdout
    # the GP's three outage prescriptions, and the one cancelled while its paper was in the patient's hand
    assert len(list(out.glob("prescription-[0-9]-*.pdf"))) == 3
    assert len(list(out.glob("prescription-cancelled-*.pdf"))) == 1
    assert list(out.glob("receipt-*.pdf"))


def test_installed_window_starts_offscreen(run, tmp_path: Path) -> None:
    shot = tmp_path / "window.png"
    done = run("--smoke-ui", "--shot", str(shot), timeout=120, QT_QPA_PLATFORM="offscreen")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("main window shown: ")
    assert shot.stat().st_size > 10_000


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="xvfb-run is not here (Debian: xvfb)")
def test_installed_window_starts_on_an_x_server(installed: Path, tmp_path: Path) -> None:
    """The real xcb platform plugin, with the system's X11/xcb libraries the package depends on."""
    home = tmp_path / "home"
    home.mkdir()
    bare = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "QT_QPA_PLATFORM": "xcb"}
    done = subprocess.run(
        ["xvfb-run", "-a", str(installed / "usr/bin/noskhe"), "--smoke-ui", "--lang", "en"],
        check=False,
        cwd=tmp_path,
        env=bare,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("main window shown: ")
