"""Shared fixtures: a real SQLCipher store, made once per session and copied per test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from app.domain import CostSplit, Patient, PatientId, Prescriber, Prescription, PrescriptionItem, Sex

PASSPHRASE = "test passphrase 1"
SIAM = "12345678"


@pytest.fixture(scope="session")
def _template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from app.store import Store

    path = tmp_path_factory.mktemp("template") / "data"
    Store.create(path, PASSPHRASE, role="clinic", facility=SIAM, facility_name="درمانگاه آزمایشی", kdf_log2_n=12).close()
    return path


@pytest.fixture
def data_dir(_template_store: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(_template_store, target)
    return target


@pytest.fixture
def store(data_dir: Path):
    from app.store import Store

    s = Store.open(data_dir, PASSPHRASE)
    yield s
    s.close()


def make_patient(code: str = "0012345679", first: str = "مریم", last: str = "احمدی") -> Patient:
    return Patient(PatientId.parse("national-code", code), first, last, sex=Sex.FEMALE)


def make_prescription(patient: Patient | None = None, n_items: int = 2) -> Prescription:
    items = [
        PrescriptionItem(
            drug_code=f"10000{i}", drug_name=f"drug {i}", quantity=10 + i,
            instructions="روزی سه بار پس از غذا", cost=CostSplit.of(50_000 * (i + 1), 70),
        )
        for i in range(n_items)
    ]
    return Prescription(patient or make_patient(), Prescriber("دکتر سارا رضایی", "123456"), SIAM, items)
