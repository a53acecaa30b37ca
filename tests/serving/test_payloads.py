"""The payload log writer and reader, in process: rotation, drops, errors, identifiers, corrupt
lines, time filters."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from vigia.payloads import PayloadWriter, is_identifier, payload_record, read_payloads


def record(i: int, ts: str = "2024-05-01T12:00:00.000+00:00", **rows: object) -> dict:
    return payload_record(
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
    assert [r["request_id"] for r in records] == [f"r{i}" for i in range(12)] + ["r99"]
    first = records[0]
    assert first["version"] == 3 and first["latency_ms"] == 1.235
    assert first["inputs"] == [{"age": 40, "x": None}]  # NaN is written as null
    later, _ = read_payloads(tmp_path, start="2024-05-02")
    assert [r["request_id"] for r in later] == ["r99"]
    earlier, _ = read_payloads(tmp_path, end="2024-05-01T12:00:00.001+00:00")
    assert len(earlier) == 12


def test_identifiers_never_reach_the_log(tmp_path: Path) -> None:
    writer = PayloadWriter(tmp_path)
    writer.submit("m", record(1, patient_nbr=123, encounter_id=9, name="Ana", admission_type_id=2))
    writer.close()
    (row,) = read_payloads(tmp_path)[0][0]["inputs"]
    assert row == {"age": 41, "x": None, "admission_type_id": 2}
    assert writer.stats.redacted_fields == 3


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
