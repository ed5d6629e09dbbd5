"""GGUF files for llama.cpp (lesson 06): convert a Hugging Face model, quantize it, summarize the file.

    from course_utils.gguf import convert_to_gguf, quantize_gguf, gguf_summary

    f16 = convert_to_gguf("HuggingFaceTB/SmolLM2-135M-Instruct", "build/gguf/smollm2-f16.gguf")
    q4 = quantize_gguf(f16, "build/gguf/smollm2-Q4_K_M.gguf", "Q4_K_M")
    gguf_summary(q4)  # size, architecture, tensor types, parameter count, chat template

The PyPI wheel of llama-cpp-python has no `convert_hf_to_gguf.py`; its source archive on PyPI has it.
`make engine` (which `make course`, `make test` and `make lab` run) calls `install_converter`, which fetches the
source archive of the *installed* llama-cpp-python version with pip and keeps only the converter, its `conversion/`
package and the `gguf-py/` library it was written against, in CONVERTER_DIR (inside the virtual environment).

Why the vendored gguf-py and not the PyPI `gguf` package: the converter in llama-cpp-python 0.3.36 uses
names that the latest `gguf` on PyPI (0.19.0) does not have yet (`gguf.LazyChunkedTensor`, used for every
tensor, and `gguf.MODEL_ARCH.DFLASH`, used when `conversion/qwen.py` is imported), so with PyPI's `gguf`
every conversion fails. The converter puts its sibling `gguf-py/` first on sys.path by itself, in its own
process only; the course reads GGUF files (`gguf_summary`) itself, with the pinned PyPI `gguf`'s type names.

The course's random-weight stand-ins (e.g. Qwen2.5-0.5B-Instruct, SmolLM3-3B) have small tokenizers trained for
the course. llama.cpp recognises a BPE pre-tokenizer by hashing how it splits a test string, so it rejects them
("BPE pre-tokenizer was not recognized"). Only in that case, and only when the tokenizer's pre-tokenizer is
exactly GPT-2's or Qwen2's splitting rule, the conversion declares it as that type and logs a line saying so.
Real models are recognised by their hash and go through unchanged (the real SmolLM2-135M-Instruct as 'smollm').
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import importlib.metadata
import io
import json
import logging
import math
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import tempfile
from collections import Counter
from pathlib import Path

from .threads import course_threads

__all__ = [
    "CONVERTER_DIR",
    "GGUFError",
    "OUTTYPES",
    "converter_path",
    "install_converter",
    "convert_to_gguf",
    "quantize_gguf",
    "quantize_methods",
    "gguf_summary",
    "import_llama_cpp",
]

logger = logging.getLogger(__name__)

CONVERTER_DIR = Path(sys.prefix) / "share" / "llama.cpp"
OUTTYPES = ("f32", "f16", "bf16", "q8_0")
_PACKAGE = "llama-cpp-python"
_SETUP_HINT = "run `make engine` (or `python -m course_utils.gguf install-converter`)"
_TAIL_LINES = 15
# What install_converter keeps from the source archive, relative to vendor/llama.cpp/.
_KEEP = (re.compile(r"convert_hf_to_gguf\.py|LICENSE"), re.compile(r"conversion/[^/]+\.py"),
         re.compile(r"gguf-py/gguf/(?:[^/]+\.py|py\.typed)"), re.compile(r"gguf-py/(?:LICENSE|pyproject\.toml)"))
# Marks the line the converter logs when it declares a course tokenizer's pre-tokenizer (see _run_converter).
_DECLARED = "course_utils.gguf:"


class GGUFError(RuntimeError):
    """A GGUF conversion, quantization or read failed; the message says why and what to do."""


# -- the converter ---------------------------------------------------------------------------------
def converter_path() -> Path:
    """llama.cpp's convert_hf_to_gguf.py, as installed by `make setup`."""
    path = CONVERTER_DIR / "convert_hf_to_gguf.py"
    if not path.is_file() or not (CONVERTER_DIR / "conversion").is_dir():
        raise GGUFError(f"llama.cpp's converter is not installed in {CONVERTER_DIR}: {_SETUP_HINT}.")
    return path


def _llama_cpp_version() -> str:
    try:
        return importlib.metadata.version(_PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        raise GGUFError(f"{_PACKAGE} is not installed in this environment ({sys.prefix}): run `make engine`.") from None


def _download_sdist(version: str, dest: Path) -> Path:
    """The source archive of llama-cpp-python==version, fetched by pip (pip's cache makes a repeat fast)."""
    # --no-binary for this package only: ":all:" would also build its build tools (cmake...) from source
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", _PACKAGE,
               f"{_PACKAGE}=={version}", "-d", str(dest)]
    done = subprocess.run(command, capture_output=True, text=True)
    archives = sorted(dest.glob("*.tar.gz"))
    if done.returncode != 0 or not archives:
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-_TAIL_LINES:])
        raise GGUFError(f"pip could not download the source archive of {_PACKAGE}=={version} (it holds llama.cpp's "
                        f"converter); PyPI must be reachable for `make setup`. pip said:\n{tail}")
    return archives[0]


def _extract_converter(archive: Path, dest: Path) -> int:
    """Extract the converter, conversion/ and gguf-py/ from the archive into dest; the number of files."""
    count = 0
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/", 1)
            if len(parts) < 2 or not parts[1].startswith("vendor/llama.cpp/") or not member.isfile():
                continue
            relative = parts[1].removeprefix("vendor/llama.cpp/")
            if not any(pattern.fullmatch(relative) for pattern in _KEEP):
                continue
            member.name = relative
            tar.extract(member, dest, filter="data")
            count += 1
    if not (dest / "convert_hf_to_gguf.py").is_file() or not (dest / "conversion" / "__init__.py").is_file():
        raise GGUFError(f"{archive.name} has no vendor/llama.cpp/convert_hf_to_gguf.py and conversion/ package; "
                        f"this version of {_PACKAGE} is not supported by course_utils.gguf.")
    return count


def install_converter(force: bool = False) -> Path:
    """Install llama.cpp's converter for the installed llama-cpp-python into CONVERTER_DIR; its path.

    Skipped when CONVERTER_DIR already holds the converter of this version (force=True reinstalls).
    """
    version = _llama_cpp_version()
    stamp = CONVERTER_DIR / "VERSION"
    if not force and stamp.is_file() and stamp.read_text().split()[:1] == [version]:
        with contextlib.suppress(GGUFError):
            return converter_path()
    CONVERTER_DIR.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="llama.cpp-install-", dir=CONVERTER_DIR.parent) as tmp:
        staging = Path(tmp) / "llama.cpp"
        archive = _download_sdist(version, Path(tmp) / "download")
        count = _extract_converter(archive, staging)
        (staging / "VERSION").write_text(
            f"{version}\nllama.cpp's convert_hf_to_gguf.py, conversion/ and gguf-py/ from {archive.name} "
            f"({count} files), installed by course_utils.gguf.install_converter\n")
        if CONVERTER_DIR.exists():
            shutil.rmtree(CONVERTER_DIR)
        staging.rename(CONVERTER_DIR)
    return converter_path()


# -- conversion -------------------------------------------------------------------------------------
# Pre-tokenizers the converter may declare for an unrecognised tokenizer: llama.cpp's name, and the
# tokenizers-library JSON of the splitting rule it implements (compared without trim_offsets).
_GPT2_RULE = {"type": "ByteLevel", "add_prefix_space": False, "use_regex": True}
_QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
_QWEN2_RULE = {"type": "Sequence", "pretokenizers": [
    {"type": "Split", "pattern": {"Regex": _QWEN2_REGEX}, "behavior": "Isolated", "invert": False},
    {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False}]}


def _without_trim_offsets(node):
    if isinstance(node, dict):
        return {key: _without_trim_offsets(value) for key, value in node.items() if key != "trim_offsets"}
    if isinstance(node, list):
        return [_without_trim_offsets(value) for value in node]
    return node


def _known_splitting(tokenizer) -> tuple[str, str] | None:
    """(llama.cpp pre-tokenizer name, why) when a loaded HF tokenizer splits text exactly like a known one."""
    try:
        spec = json.loads(tokenizer.backend_tokenizer.to_str())
    except Exception:  # a slow (Python) tokenizer or none: nothing to compare
        return None
    if spec.get("model", {}).get("type") != "BPE":
        return None
    rule = _without_trim_offsets(spec.get("pre_tokenizer"))
    normalizer = spec.get("normalizer")
    if rule == _GPT2_RULE and normalizer is None:
        return "gpt-2", "its pre-tokenizer is GPT-2's byte-level split with no normalizer"
    if rule == _QWEN2_RULE and normalizer in (None, {"type": "NFC"}):
        return "qwen2", "its pre-tokenizer is Qwen2's split regex followed by a byte-level step"
    return None


def _run_converter(argv: list[str]) -> None:
    """Run llama.cpp's converter in this process (a subprocess of convert_to_gguf), with one fallback.

    When the converter does not recognise a BPE pre-tokenizer and the tokenizer splits text exactly like
    GPT-2 or Qwen2, declare it as that type instead of failing. Every other case is llama.cpp's own code.
    """
    converter = converter_path()
    os.environ.pop("NO_LOCAL_GGUF", None)  # the converter must use its own gguf-py (see the module docstring)
    sys.path.insert(0, str(converter.parent))
    import convert_hf_to_gguf  # puts its gguf-py/ first on sys.path, imports gguf and conversion/
    from conversion.base import TextModel
    from conversion.base import logger as converter_logger

    original = TextModel.get_vocab_base_pre

    def get_vocab_base_pre(self, tokenizer) -> str:
        held: list[logging.LogRecord] = []  # the converter's warning banner: shown only if it still fails

        def hold(record: logging.LogRecord) -> bool:
            held.append(record)
            return False

        converter_logger.addFilter(hold)
        try:
            return original(self, tokenizer)
        except NotImplementedError as error:
            known = _known_splitting(tokenizer) if "not recognized" in str(error) else None
            if known is None:
                raise
            held.clear()
            name, why = known
            declared = (f"{_DECLARED} llama.cpp does not recognise this tokenizer's BPE pre-tokenizer (its hash "
                        f"is in no list, as for the small tokenizers trained for the course's stand-ins); {why}, "
                        f"so it is declared '{name}'.")
            held.append(converter_logger.makeRecord(converter_logger.name, logging.WARNING, __file__, 0, declared,
                                                    (), None))
            return name
        finally:
            converter_logger.removeFilter(hold)
            for record in held:
                converter_logger.handle(record)

    TextModel.get_vocab_base_pre = get_vocab_base_pre
    sys.argv = [str(converter), *argv]
    convert_hf_to_gguf.main()


_REPO_ID = re.compile(r"[\w][\w.-]*(?:/[\w][\w.-]*)?")


def _model_folder(model: str | Path) -> Path:
    """A local model folder, or (a str that is no path here) a Hub repo id, downloaded with snapshot_download."""
    path = Path(model).expanduser()
    if path.is_dir():
        folder = path
    elif path.exists():
        raise GGUFError(f"{path} is a file; convert_to_gguf needs a model folder (config.json, weights, tokenizer) "
                        "or a Hub repo id such as 'HuggingFaceTB/SmolLM2-135M-Instruct'.")
    elif isinstance(model, str) and _REPO_ID.fullmatch(model):
        folder = _snapshot(model)
        if not (folder / "config.json").is_file():
            endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
            raise GGUFError(f"{model!r} on {endpoint} has no config.json: it is not a transformers model (or, in the "
                            "course hub, a catalogue entry with a model card only).")
    else:
        raise GGUFError(f"the model folder {path} does not exist; give a folder written by save_pretrained "
                        "or a Hub repo id such as 'HuggingFaceTB/SmolLM2-135M-Instruct'.")
    if not (folder / "config.json").is_file():
        raise GGUFError(f"{folder} has no config.json: convert_to_gguf needs a Hugging Face model folder "
                        "(config.json, the weights and the tokenizer files, as written by save_pretrained).")
    return folder


def _snapshot(repo_id: str) -> Path:
    from huggingface_hub import snapshot_download

    # README.md: the converter copies the card's licence and tags (e.g. course-stand-in) into the GGUF
    patterns = ["*.json", "*.jinja", "*.txt", "*.model", "*.tiktoken", "*.safetensors", "README.md"]
    try:
        folder = Path(snapshot_download(repo_id, allow_patterns=patterns))
        if not any(folder.glob("*.safetensors")):  # an older repo with PyTorch weights only
            folder = Path(snapshot_download(repo_id, allow_patterns=[*patterns, "*.bin"]))
    except Exception as error:
        from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        if isinstance(error, GatedRepoError):
            message = (f"{repo_id!r} on {endpoint} is gated: accept its licence on the Hub, then log in "
                       "(a token with access) before converting it.")
        elif isinstance(error, RepositoryNotFoundError):
            message = f"{repo_id!r} is neither a folder here nor a repo on {endpoint}: check the path or the repo id."
        else:
            first = next(iter(str(error).strip().splitlines()), "")
            message = f"could not download {repo_id!r} from {endpoint}: {type(error).__name__}: {first}"
        raise GGUFError(message) from error
    return folder


def _has_chat_template(folder: Path) -> bool:
    if (folder / "chat_template.jinja").is_file() or (folder / "chat_template.json").is_file():
        return True
    with contextlib.suppress(OSError, ValueError):
        return bool(json.loads((folder / "tokenizer_config.json").read_text()).get("chat_template"))
    return False


def _is_generative(folder: Path) -> bool:
    with contextlib.suppress(OSError, ValueError):
        architectures = json.loads((folder / "config.json").read_text()).get("architectures") or []
        return any(name.endswith(("ForCausalLM", "ForConditionalGeneration")) for name in architectures)
    return False


def _tail(text: str, lines: int = _TAIL_LINES) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def convert_to_gguf(model: str | Path, outfile: str | Path, outtype: str = "f16") -> Path:
    """Convert a Hugging Face model (a folder or a Hub repo id) to a GGUF file with llama.cpp's converter.

    outtype: f32, f16, bf16 or q8_0 (the types the converter writes itself; quantize_gguf does the rest).
    """
    if outtype not in OUTTYPES:
        raise GGUFError(f"outtype={outtype!r} is not one the converter writes; use one of {', '.join(OUTTYPES)} "
                        "(then quantize_gguf for Q4_K_M and the other llama.cpp types).")
    converter_path()
    folder = _model_folder(model)
    if _is_generative(folder) and not _has_chat_template(folder):
        logger.warning("%s has no chat template: llama.cpp's chat replies will be wrong or empty. Set "
                       "tokenizer.chat_template and save_pretrained the tokenizer into the folder before converting.",
                       model)
    outfile = Path(outfile).expanduser().resolve()
    outfile.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "course_utils.gguf", "_run-converter", str(folder),
               "--outfile", str(outfile), "--outtype", outtype]
    if folder != Path(model).expanduser():  # a Hub snapshot's folder is a commit hash: name the model after the repo
        command += ["--model-name", str(model).split("/")[-1]]
    env = {key: value for key, value in os.environ.items() if key != "NO_LOCAL_GGUF"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    output = done.stdout + done.stderr
    for line in output.splitlines():
        if _DECLARED in line:
            logger.warning("%s: %s", model, line[line.index(_DECLARED) + len(_DECLARED):].strip())
    if done.returncode != 0 or not outfile.is_file():
        hint = ""
        if "pre-tokenizer was not recognized" in output:
            hint = ("\nllama.cpp does not know this tokenizer's pre-tokenizer, and it is not GPT-2's or Qwen2's "
                    "splitting rule either: this model cannot be converted by this llama.cpp version.")
        elif (missing := re.search(r"No module named '([\w.]+)'", output)) is not None:
            hint = (f"\nThe converter needs the package {missing.group(1)!r}, which this environment lacks: "
                    "run `make repair` (sentencepiece is needed even for BPE models: llama.cpp tries it first).")
        elif "is not supported" in output:
            hint = f"\nThis llama.cpp version cannot convert this architecture (see {folder / 'config.json'})."
        outfile.unlink(missing_ok=True)  # a half-written GGUF would be picked up later as if it were whole
        raise GGUFError(f"converting {model} to {outtype} failed (exit code {done.returncode}). "
                        f"Last lines of the converter's output:\n{_tail(output)}{hint}")
    return outfile


# -- quantization -----------------------------------------------------------------------------------
def import_llama_cpp():
    """The llama_cpp module (llama-cpp-python), or a GGUFError that says how to install it."""
    try:
        import llama_cpp
    except ImportError as error:
        raise GGUFError(f"llama-cpp-python cannot be imported ({error}): run `make engine` (it installs lesson 06's "
                        "llama.cpp engine, compiling it the first time on a machine).") from error
    return llama_cpp


def quantize_methods() -> dict[str, int]:
    """llama.cpp's quantization types by name (Q4_K_M, Q8_0, ...) and their llama_ftype numbers."""
    llama_cpp = import_llama_cpp()
    methods = {name.removeprefix("LLAMA_FTYPE_MOSTLY_"): value for name, value in vars(llama_cpp).items()
               if name.startswith("LLAMA_FTYPE_MOSTLY_") and isinstance(value, int)}
    methods["F32"] = llama_cpp.LLAMA_FTYPE_ALL_F32
    return dict(sorted(methods.items()))


def _is_gguf(path: Path) -> bool:
    with open(path, "rb") as handle:
        return handle.read(4) == b"GGUF"


def quantize_gguf(source: str | Path, outfile: str | Path, method: str = "Q4_K_M") -> Path:
    """Quantize a GGUF file (f32, f16 or bf16) with llama.cpp to `method` (Q4_K_M, Q5_K_M, Q8_0, Q4_0, ...)."""
    source = Path(source).expanduser().resolve()
    outfile = Path(outfile).expanduser().resolve()
    methods = quantize_methods()
    key = str(method).upper()
    if key not in methods:
        raise GGUFError(f"unknown quantization method {method!r}; llama.cpp knows: {', '.join(methods)}.")
    if not source.is_file():
        raise GGUFError(f"{source} does not exist; make it with convert_to_gguf first.")
    if not _is_gguf(source):
        raise GGUFError(f"{source} is not a GGUF file (it does not start with b'GGUF').")
    if source == outfile:
        raise GGUFError("outfile must differ from source: llama.cpp reads one while it writes the other.")
    outfile.parent.mkdir(parents=True, exist_ok=True)
    llama_cpp = import_llama_cpp()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = methods[key]
    params.nthread = course_threads() or 0  # 0: llama.cpp uses every core
    # llama.cpp logs through llama-cpp-python's callback, which prints to sys.stderr what its logger's level lets
    # through: keep all of it, shown only in an error. (All: llama-cpp-python 0.3.36 maps ggml's log levels one
    # off, so at its verbose=False level llama.cpp's errors are dropped and its warnings shown.)
    chatter = io.StringIO()
    llama_logger = logging.getLogger("llama-cpp-python")
    level = llama_logger.level
    llama_logger.setLevel(logging.DEBUG)
    try:
        with contextlib.redirect_stderr(chatter):
            code = llama_cpp.llama_model_quantize(str(source).encode(), str(outfile).encode(), ctypes.byref(params))
    finally:
        llama_logger.setLevel(level)
    if code != 0 or not outfile.is_file():
        outfile.unlink(missing_ok=True)  # llama.cpp leaves a partial file behind
        said = chatter.getvalue()
        reason = re.search(r"failed to quantize: *(.+)", said)
        message = f"llama.cpp could not quantize {source.name} to {key} (return code {code})"
        if reason is None:
            raise GGUFError(f"{message}. Last lines of its log:\n{_tail(said) or '(nothing)'}")
        hint = ""
        if "requantiz" in reason.group(1):
            hint = (" A file that is already quantized (q8_0, Q4_K_M...) cannot be quantized again: start from the "
                    "f16, bf16 or f32 file that convert_to_gguf writes.")
        raise GGUFError(f"{message}: {reason.group(1).strip()}.{hint}")
    return outfile


# -- reading ----------------------------------------------------------------------------------------
# GGUF's value types (gguf.GGUFValueType): struct formats of the fixed-size ones; 8 is a string, 9 an array.
_SCALARS = {0: "B", 1: "b", 2: "H", 3: "h", 4: "I", 5: "i", 6: "f", 7: "?", 10: "Q", 11: "q", 12: "d"}
_STRING, _ARRAY = 8, 9


class _Header:
    """The metadata and tensor table at the start of a GGUF file (little-endian, version 2 or 3).

    gguf's GGUFReader builds a numpy view for every element of the tokenizer's arrays (about 100,000 strings for
    a real model: seconds); here arrays are skipped and only their length kept, which is all gguf_summary needs.
    """

    def __init__(self, path: Path):
        import mmap

        with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
            self.data, self.pos = data, 0
            try:
                magic, version = bytes(self._take(4)), self._unpack("I")
                if magic != b"GGUF" or version not in (2, 3):
                    raise GGUFError(f"{path} is not a GGUF file this reader knows (magic {magic!r}, "
                                    f"version {version}).")
                n_tensors, n_fields = self._unpack("Q"), self._unpack("Q")
                self.fields = {self._string(): self._value(self._unpack("I")) for _ in range(n_fields)}
                self.tensors = []  # (name, number of elements, ggml type number)
                for _ in range(n_tensors):
                    name = self._string()
                    dims = [self._unpack("Q") for _ in range(self._unpack("I"))]
                    kind = self._unpack("I")
                    self._unpack("Q")  # the offset of its data
                    self.tensors.append((name, math.prod(dims), kind))
            except (struct.error, ValueError, UnicodeDecodeError) as error:
                raise GGUFError(f"{path} is truncated or damaged: its GGUF header cannot be read ({error}).") from None
            finally:
                del self.data

    def _take(self, n: int):
        chunk = self.data[self.pos:self.pos + n]
        if len(chunk) < n:
            raise ValueError("unexpected end of file")
        self.pos += n
        return chunk

    def _unpack(self, fmt: str):
        value = struct.unpack_from("<" + fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize("<" + fmt)
        return value

    def _string(self) -> str:
        return bytes(self._take(self._unpack("Q"))).decode("utf-8")

    def _value(self, kind: int):
        if kind in _SCALARS:
            return self._unpack(_SCALARS[kind])
        if kind == _STRING:
            return self._string()
        if kind == _ARRAY:
            item, count = self._unpack("I"), self._unpack("Q")
            if item in _SCALARS:
                self._take(count * struct.calcsize("<" + _SCALARS[item]))
            else:
                for _ in range(count):
                    self._value(item)
            return _Skipped(count)
        raise ValueError(f"unknown GGUF value type {kind}")


class _Skipped(int):
    """An array's length, in place of its items."""


def gguf_summary(path: str | Path) -> dict:
    """What a GGUF file holds: size, architecture, tensors and their types, parameters, chat template.

    tensor_types maps each tensor type to its share of the parameters (largest first); dominant_type is the
    first. A quantized file keeps small 1-d tensors (norms) in F32, and llama.cpp falls back to other types
    for tensors whose rows do not fit a type's block size (K-quants need rows of a multiple of 256).
    """
    from gguf import GGMLQuantizationType, LlamaFileType

    path = Path(path).expanduser()
    if not path.is_file():
        raise GGUFError(f"{path} does not exist.")
    if not _is_gguf(path):
        raise GGUFError(f"{path} is not a GGUF file (it does not start with b'GGUF').")
    header = _Header(path)
    fields = header.fields
    per_type: Counter[str] = Counter()
    for _, n_elements, kind in header.tensors:
        try:
            per_type[GGMLQuantizationType(kind).name] += n_elements
        except ValueError:  # a type newer than the installed gguf package
            per_type[f"type {kind}"] += n_elements
    n_params = sum(per_type.values())
    file_type = fields.get("general.file_type")
    with contextlib.suppress(ValueError, TypeError):
        file_type = LlamaFileType(file_type).name
    template = fields.get("tokenizer.chat_template")
    types = {name: round(count / n_params, 4) for name, count in per_type.most_common()} if n_params else {}
    architecture = fields.get("general.architecture")
    return {
        "path": str(path),
        "size_bytes": path.stat().st_size,
        "architecture": architecture,
        "name": fields.get("general.name"),
        "file_type": file_type,
        "n_tensors": len(header.tensors),
        "n_params": n_params,
        "tensor_types": types,
        "dominant_type": next(iter(types), None),
        "has_chat_template": bool(template),
        "context_length": fields.get(f"{architecture}.context_length"),
    }


# -- command line -----------------------------------------------------------------------------------
def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["_run-converter"]:  # internal: the subprocess of convert_to_gguf
        _run_converter(argv[1:])
        return 0
    parser = argparse.ArgumentParser(prog="python -m course_utils.gguf", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install-converter", help=f"install llama.cpp's converter into {CONVERTER_DIR}")
    install.add_argument("--force", action="store_true", help="reinstall even if this version is there")
    convert = commands.add_parser("convert", help="convert a model folder or Hub repo id to GGUF")
    convert.add_argument("model")
    convert.add_argument("outfile")
    convert.add_argument("--outtype", default="f16", choices=OUTTYPES)
    quantize = commands.add_parser("quantize", help="quantize a GGUF file (Q4_K_M, Q8_0, ...)")
    quantize.add_argument("source")
    quantize.add_argument("outfile")
    quantize.add_argument("--method", default="Q4_K_M")
    summary = commands.add_parser("summary", help="print what a GGUF file holds")
    summary.add_argument("path")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        if args.command == "install-converter":
            print(f"llama.cpp converter ({_llama_cpp_version()}): {install_converter(force=args.force)}")
        elif args.command == "convert":
            print(convert_to_gguf(args.model, args.outfile, args.outtype))
        elif args.command == "quantize":
            print(quantize_gguf(args.source, args.outfile, args.method))
        else:
            print(json.dumps(gguf_summary(args.path), indent=2))
    except GGUFError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
