"""The payload log writer and reader, in process: rotation, drops, errors, identifiers, corrupt
lines, time filters."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from vigia.payloads import (
    PayloadWriter,
    Retention,
    hashed_id,
    is_identifier,
    payload_record,
    read_payloads,
)


def record(
    i: int, ts: str = "2024-05-01T12:00:00.000+00:00", features: tuple = (), **rows: object
) -> dict:
    return payload_record(
        features=features,
        ts=ts,
        request_id=f"r{i}",
        model="m",
        version=3,
        kind="classifier",
        protocol="v1",
        latency_ms=1.23456,
        inputs=[{"age": 40 + i, "x": float("nan"), **rows}],
        outputs=[{"risk": 0.25}],
    )


def test_records_round_trip_rotate_by_size_and_day(tmp_path: Path) -> None:
    writer = PayloadWriter(tmp_path, max_bytes=600)
    for i in range(12):
        writer.submit("m", record(i))
    writer.submit("m", record(99, ts="2024-05-02T00:00:01.000+00:00"))
    assert writer.flush()
    writer.close()
    names = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert names[0] == "payloads-2024-05-01-000.jsonl" and len(names) > 3
    assert names[-1] == "payloads-2024-05-02-000.jsonl"
    assert all(p.stat().st_size <= 600 for p in (tmp_path / "m").iterdir())
    records, skipped = read_payloads(tmp_path / "m")
    assert skipped == 0
    expected = [hashed_id(f"r{i}") for i in range(12)] + [hashed_id("r99")]
    assert [r["request_id"] for r in records] == expected
    first = records[0]
    assert first["version"] == 3 and first["latency_ms"] == 1.235
    assert first["inputs"] == [{"age": 40, "x": None}]  # NaN is written as null
    later, _ = read_payloads(tmp_path, start="2024-05-02")
    assert [r["request_id"] for r in later] == [hashed_id("r99")]
    earlier, _ = read_payloads(tmp_path, end="2024-05-01T12:00:00.001+00:00")
    assert len(earlier) == 12


SPANISH_AND_ENGLISH_IDS = {
    "patient_nbr": 123, "encounter_id": 9, "name": "Ana", "cedula": "0912345678",
    "nombre": "Ana Pérez", "telefono": "+51 987 654 321", "direccion": "Av. Grau 123",
    "fecha_nacimiento": "1980-02-01", "mrn": "MRN-77", "id_paciente": 55,
    "national_id": "X123", "codigo_paciente": "P-0042", "historia_clinica": "HC-1118",
    "nro_documento": "44556677", "visit_id": 3, "id_caso": 8,
}  # fmt: skip


def test_identifiers_never_reach_the_log(tmp_path: Path) -> None:
    writer = PayloadWriter(tmp_path)
    writer.submit(
        "m",
        record(1, features=("age", "x", "admission_type_id"), admission_type_id=2,
               **SPANISH_AND_ENGLISH_IDS),
    )  # fmt: skip
    writer.submit("m", record(2, dni=1, admission_type_id=2))  # not declared: a name only
    writer.close()
    first, second = read_payloads(tmp_path)[0]
    assert first["inputs"] == [{"age": 41, "x": None, "admission_type_id": 2}]
    assert second["inputs"] == [{"age": 42, "x": None}]
    assert writer.stats.redacted_fields == len(SPANISH_AND_ENGLISH_IDS) + 2
    assert "_features" not in first


def test_client_request_ids_are_hashed_not_logged(tmp_path: Path) -> None:
    writer = PayloadWriter(tmp_path)
    writer.submit("m", payload_record(
        request_id="HC-1118 Ana Pérez", model="m", version=1, kind="classifier",
        protocol="v1", latency_ms=1.0, inputs=[], outputs=[]))  # fmt: skip
    writer.close()
    text = "".join(p.read_text() for p in (tmp_path / "m").iterdir())
    assert "HC-1118" not in text and hashed_id("HC-1118 Ana Pérez") in text


def test_visit_counts_named_after_patients_are_features_not_identifiers() -> None:
    assert not is_identifier("number_inpatient") and not is_identifier("number_outpatient")
    assert is_identifier("patient_nbr") and is_identifier("PatientID")


def test_full_queue_drops_and_broken_records_are_counted(tmp_path: Path) -> None:
    gate = threading.Event()

    def slow() -> dict:
        gate.wait(10)
        return record(0)

    writer = PayloadWriter(tmp_path, queue_size=2)
    writer.submit("m", slow)  # the writer thread takes it and waits
    accepted = [writer.submit("m", record(i)) for i in range(1, 6)]
    assert accepted.count(False) >= 3 and writer.stats.dropped == accepted.count(False)
    gate.set()
    assert writer.flush()
    writer.submit("m", lambda: 1 / 0)  # a builder that fails
    writer.submit("m", {"ts": "not a time", "inputs": "x"})  # not a payload record
    assert writer.flush()
    writer.close()
    assert writer.stats.errors == 2
    assert writer.stats.written == len(read_payloads(tmp_path)[0])
    assert writer.submit("m", record(7)) is False  # closed: dropped, not raised


def test_corrupt_and_truncated_lines_are_skipped_and_counted(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    good = json.dumps(record(1))
    (folder / "payloads-2024-05-01-000.jsonl").write_text(
        "\n".join([good, "{not json", json.dumps({"ts": "2024-05-01"}), "[]", good[:40]]) + "\n",
        encoding="utf-8",
    )
    (folder / "payloads-2024-05-01-001.jsonl").write_bytes(b"\xff\xfe garbage\n" + good.encode())
    records, skipped = read_payloads(folder)
    assert len(records) == 2 and skipped == 5


@pytest.mark.parametrize("field", ["kind", "protocol"])
def test_record_rejects_unknown_kind_or_protocol(field: str) -> None:
    values = {"kind": "classifier", "protocol": "v1", field: "other"}
    with pytest.raises(ValueError, match=field):
        payload_record(
            request_id="r", model="m", version=1, latency_ms=1.0, inputs=[], outputs=[], **values
        )


def test_retention_by_age_and_size(tmp_path: Path) -> None:
    """Issue 15: the payload log had no retention (~12 GB/day at the soak's rate)."""
    folder = tmp_path / "m"
    folder.mkdir()
    old = folder / "payloads-2024-01-01-000.jsonl"
    old.write_bytes(b"x" * 100)
    os.utime(old, (time.time() - 40 * 86400,) * 2)  # last written 40 days ago
    for i in range(5):
        path = folder / f"payloads-2024-05-0{i + 1}-000.jsonl"
        path.write_bytes(b"y" * 300)
        os.utime(path, (time.time() - (5 - i) * 60,) * 2)
    writer = PayloadWriter(tmp_path, retention=Retention(max_days=30, max_bytes=1000))
    writer.submit("m", record(1, ts="2024-05-06T00:00:00.000+00:00"))
    writer.close()
    left = sorted(p.name for p in folder.iterdir())
    assert "payloads-2024-01-01-000.jsonl" not in left  # too old
    closed = [p for p in folder.iterdir() if p.name != "payloads-2024-05-06-000.jsonl"]
    assert sum(p.stat().st_size for p in closed) <= 1000  # size cap (+ the file being written)
    assert left[-1] == "payloads-2024-05-06-000.jsonl"  # the file being written stays
    assert left[0] == "payloads-2024-05-03-000.jsonl"  # the two oldest went first
    assert writer.stats.pruned_files == 3
    assert read_payloads(folder)[0][0]["inputs"][0]["age"] == 41
