"""`noskhe demo --headless`: the whole story, end to end, in temporary directories.

Development tokens (SoftHSM2), a reference exchange in its own process on a free loopback port, one clinic
and two pharmacies, each with its own encrypted store:

 1. the exchange is down; the GP writes and signs three prescriptions: queued, no HID yet; each is printed
    on paper (A5 PDF, "HID pending", the QR signed on the GP's token);
 2. the exchange comes up; the clinic syncs: HIDs, tracking codes, rule-approval ids come back;
 3. two pharmacies refresh reference data and retrieve the first patient's prescription by national code;
 4. pharmacy 1 claims it, checks each pack's authenticity code with TTAC, dispenses, signs, syncs and
    prints the receipt (80 mm roll);
 5. pharmacy 2 tries the same prescription: the claim is refused (who, when), and a dispensing it recorded
    from paper comes back as a conflict that needs attention;
 6. the exchange goes down again: pharmacy 2 reads the second prescription's QR from its paper (the PDF
    rasterised and scanned with zbarimg when poppler-utils and zbar-tools are installed), verifies it
    offline against its trust list, dispenses from it and queues; back up, the exchange accepts it;
 7. the GP edits the dispensed prescription: the exchange refuses and the clinic shows why;
 8. statements for the clinic and the pharmacies.
Every step is recorded with what it showed; the exit code is 0 only when every step turned out as expected.

The paper prescriptions and receipts are kept in the output directory (`--out DIR`, or a new
`noskhe-demo-<time>` directory under the system's temporary directory), which the report names along with
every file; when DIR already holds something, a new `noskhe-demo-<time>` directory is made inside it. With
`--out` the workspace (tokens, stores, exchange data) is kept too, in `workspace/` there.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from exchange.process import ExchangeProcess, free_port

if TYPE_CHECKING:
    from app.workstation import Workstation

PASSPHRASE = "demo passphrase"
#: environment settings a workstation would take over its store's (`app.workstation`), and the PKCS#11
#: module: the demo's sites use their own settings and SoftHSM2 tokens only
OVERRIDES = (
    "NOSKHE_EXCHANGE_URL",
    "NOSKHE_EXCHANGE_CA",
    "NOSKHE_TOKEN_LABEL",
    "NOSKHE_FACILITY_TOKEN",
    "NOSKHE_FACILITY_P12",
    "NOSKHE_TRUST_LIST",
    "NOSKHE_PKCS11_MODULE",
)


@dataclass
class Step:
    name: str
    ok: bool
    detail: dict[str, Any]
    seconds: float


@dataclass
class Story:
    steps: list[Step] = field(default_factory=list)
    say: Callable[[str], None] = lambda s: None
    out: Path | None = None  # where the paper prescriptions and receipts go
    files: list[str] = field(default_factory=list)

    def file(self, name: str) -> Path:
        """A file in the output directory, listed in the report."""
        assert self.out is not None
        path = self.out / name
        self.files.append(str(path))
        return path

    def step(self, name: str, fn: Callable[[], tuple[bool, dict[str, Any]]]) -> dict[str, Any]:
        start = time.monotonic()
        try:
            ok, detail = fn()
        except Exception as exc:  # noqa: BLE001 — a failed step is reported, then the story stops
            ok, detail = False, {"error": f"{type(exc).__name__}: {exc}"}
        self.steps.append(Step(name, ok, detail, round(time.monotonic() - start, 3)))
        self.say(f"{'✓' if ok else '✗'} {name} ({self.steps[-1].seconds:.2f}s)")
        if not ok:
            self.say(f"    {detail.get('error') or detail}")
            raise StopStory(name)
        return detail

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "output": str(self.out) if self.out else None,
            "files": [f for f in self.files if Path(f).exists()],
            "steps": [vars(s) for s in self.steps],
        }


class StopStory(Exception):
    pass


class World:
    """The running pieces: tokens, the exchange process, three workstations."""

    def __init__(self, root: Path) -> None:
        from exchange import devworld
        from smartcard import devtoken

        self.root = root
        self.tokens = devtoken.init(root / "tokens", devworld.IDENTITIES)
        os.environ["SOFTHSM2_CONF"] = str(self.tokens.softhsm_conf)  # before the PKCS#11 module loads
        for var in OVERRIDES:  # the sites are what their stores say, whatever this shell points at
            os.environ.pop(var, None)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.exchange: ExchangeProcess | None = None
        self.sites: dict[str, Workstation] = {}

    def start_exchange(self) -> None:
        # kept before it starts: stopped by close() even when the start is interrupted (Ctrl+C, SIGTERM)
        self.exchange = ExchangeProcess(self.root / "exchange", self.tokens.trust_list, port=self.port)
        self.exchange.start()

    def stop_exchange(self) -> None:
        if self.exchange is not None:
            self.exchange.stop()

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        """GET an admin path, or PUT `body` to it (e.g. `/admin/faults`)."""
        token = (self.root / "exchange" / "admin.token").read_text()
        req = urllib.request.Request(
            self.url + path,
            method="GET" if body is None else "PUT",
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-Admin-Token": token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def site(self, spec: Any) -> Workstation:
        """A workstation built as the CLI builds one: a new encrypted store, the TEST trust list imported,
        the exchange's address and its two tokens in its settings (`noskhe init`, `token trust import`,
        `sync config`); PINs and the passphrase come from a fixed prompter, and its signers from
        `ws.signers()`. `spec` is a `devworld.Workstation`."""
        from app.prompter import FixedPrompter
        from app.services.settings import configure
        from app.workstation import Workstation
        from exchange.devworld import PINS
        from smartcard.trustlist import TrustList
        from sync.drain import Backoff

        ws = Workstation.create(
            self.root / spec.user_token,
            FixedPrompter(pins=PINS, passphrases={"store": PASSPHRASE}),
            role=spec.role,
            facility=spec.siam,
            facility_name=spec.name,
            kdf_log2_n=14,
            engine_options={"backoff": Backoff(0.05, 0.5), "patience": 2.0},
            client_options={"timeout": (1.0, 20.0)},
        )
        self.sites[spec.user_token] = ws
        TrustList.from_file(self.tokens.trust_list).save(ws.store)
        ws.forget_trust()
        configure(
            ws,
            {
                "exchange.url": self.url,
                "signing.user_token": spec.user_token,
                "signing.facility_token": spec.facility_token,
            },
        )
        return ws

    def close(self) -> None:
        self.stop_exchange()
        for ws in self.sites.values():
            ws.close()


def play(root: Path, out: Path, say: Callable[[str], None] = lambda s: None) -> Story:
    from exchange import devworld, seed
    from exchange.demo_story import run_story

    story = Story(say=say, out=out)
    world = World(root)
    try:
        run_story(story, world, devworld, seed, say)
    except StopStory:
        pass
    finally:
        world.close()
    return story


def output_dir(out: Path | None) -> Path:
    """A new directory for this run's files: `out` itself when it is new or empty, else a new
    `noskhe-demo-<time>` directory inside it (or inside the system's temporary directory)."""
    from app.errors import ConfigError

    stamp = time.strftime("%Y%m%d-%H%M%S")
    if out is None:
        return Path(tempfile.mkdtemp(prefix=f"noskhe-demo-{stamp}-"))
    out = Path(out).expanduser().resolve()  # children (the exchange) run elsewhere: never a relative path
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out} is not a directory.", f"{out} پوشه نیست.")
    if not out.exists() or not any(out.iterdir()):
        out.mkdir(parents=True, exist_ok=True)
        return out
    for n in range(1000):
        target = out / (f"noskhe-demo-{stamp}" + (f"-{n}" if n else ""))
        try:
            target.mkdir()
            return target
        except FileExistsError:
            continue
    raise ConfigError(f"No new directory could be made in {out}.", f"پوشهٔ تازه‌ای در {out} ساخته نشد.")


def run(out: Path | None, as_json: bool) -> int:
    say = (lambda s: None) if as_json else (lambda s: print(s, flush=True))
    target = output_dir(out)
    if out is not None:
        story = play(target / "workspace", target, say)
    else:
        with tempfile.TemporaryDirectory(prefix="noskhe-demo-workspace-") as tmp:
            story = play(Path(tmp), target, say)
    if as_json:
        print(json.dumps(story.to_dict(), ensure_ascii=False, indent=1))
    else:
        print()
        print(f"paper prescriptions and receipts in {target}:")
        for f in story.to_dict()["files"]:
            print(f"    {f}")
        print(
            "demo finished: every step as expected | نمایش کامل شد"
            if story.ok
            else "demo FAILED | نمایش ناموفق بود"
        )
    return 0 if story.ok else 1
