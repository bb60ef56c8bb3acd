"""Assembling the default GGUF from its split parts: order, checksum, atomicity, done-once."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.settings import IndexSettings
from rag.backends import model_files
from rag.backends.model_files import ModelSpec, is_prepared, prepare_default_model, resolve_model_path
from rag.config import Config
from rag.errors import BackendUnavailable

N_PARTS = 12


def write_parts(directory: Path) -> list[Path]:
    """Part files `part1.bin` .. `part12.bin`, each holding its own number, in lexicographic order."""
    directory.mkdir()
    paths = []
    for n in range(1, N_PARTS + 1):
        path = directory / f"part{n}.bin"
        path.write_bytes(f"<{n}>".encode())
        paths.append(path)
    return sorted(paths, key=lambda p: p.name)  # part1, part10, part11, part12, part2, ...


def expected_bytes() -> bytes:
    return b"".join(f"<{n}>".encode() for n in range(1, N_PARTS + 1))


def spec_for(content: bytes, sha256: str | None = None) -> ModelSpec:
    digest = sha256 or hashlib.sha256(content).hexdigest()
    return ModelSpec(filename="fake.gguf", sha256=digest, size=len(content), n_parts=N_PARTS, package_prefix="fake_part")


@pytest.fixture()
def parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    found = write_parts(tmp_path / "site")
    monkeypatch.setattr(model_files, "find_model_parts", lambda spec=None: list(found))
    return found


def test_assembly_concatenates_parts_in_numeric_order(tmp_path: Path, parts: list[Path]) -> None:
    assert parts[1].name == "part10.bin"  # the locator hands them over in the wrong order
    path = prepare_default_model(tmp_path / "cache", spec=spec_for(expected_bytes()))
    assert path == tmp_path / "cache" / "models" / "fake.gguf"
    assert path.read_bytes() == expected_bytes()


def test_assembly_writes_a_sidecar_with_the_verified_digest(tmp_path: Path, parts: list[Path]) -> None:
    spec = spec_for(expected_bytes())
    path = prepare_default_model(tmp_path / "cache", spec=spec)
    assert (path.parent / "fake.gguf.sha256").read_text().strip() == spec.sha256
    assert is_prepared(path, spec)


def test_checksum_mismatch_raises_and_leaves_no_model_file(tmp_path: Path, parts: list[Path]) -> None:
    spec = spec_for(expected_bytes(), sha256="0" * 64)
    with pytest.raises(BackendUnavailable, match="does not match its checksum"):
        prepare_default_model(tmp_path / "cache", spec=spec)
    assert list((tmp_path / "cache" / "models").iterdir()) == []


def test_second_call_does_not_rewrite_the_model(tmp_path: Path, parts: list[Path]) -> None:
    spec = spec_for(expected_bytes())
    first = prepare_default_model(tmp_path / "cache", spec=spec)
    stamp = first.stat().st_mtime_ns
    parts[0].write_bytes(b"changed")  # would change the result if it were assembled again
    second = prepare_default_model(tmp_path / "cache", spec=spec)
    assert second == first
    assert second.stat().st_mtime_ns == stamp
    assert second.read_bytes() == expected_bytes()


def test_existing_right_file_without_sidecar_is_verified_not_rewritten(tmp_path: Path, parts: list[Path]) -> None:
    spec = spec_for(expected_bytes())
    target = tmp_path / "cache" / "models" / "fake.gguf"
    target.parent.mkdir(parents=True)
    target.write_bytes(expected_bytes())
    stamp = target.stat().st_mtime_ns
    assert prepare_default_model(tmp_path / "cache", spec=spec) == target
    assert target.stat().st_mtime_ns == stamp
    assert is_prepared(target, spec)


def test_missing_parts_raise_with_the_command_to_run(tmp_path: Path) -> None:
    spec = ModelSpec(filename="x.gguf", sha256="0" * 64, size=1, n_parts=2, package_prefix="no_such_package_part")
    with pytest.raises(BackendUnavailable, match=r"missing parts 1, 2.*`make llm` or `rag model prepare`"):
        prepare_default_model(tmp_path, spec=spec)


def test_configured_model_path_is_used_as_is(tmp_path: Path) -> None:
    gguf = tmp_path / "bigger.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(Config(model_path=gguf)) == gguf


def test_configured_model_path_that_does_not_exist_raises(tmp_path: Path) -> None:
    config = Config(model_path=tmp_path / "nope.gguf", index=IndexSettings(cache_dir=tmp_path))
    with pytest.raises(BackendUnavailable, match="nope.gguf does not exist"):
        resolve_model_path(config)
