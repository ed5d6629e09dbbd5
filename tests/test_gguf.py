"""course_utils.gguf (lesson 06): llama.cpp's converter, quantization, and what llama.cpp makes of the files.

The stand-ins have random weights: the tests compare llama.cpp with transformers on the same model
(tokens, logits) and check relations (sizes, which file deviates more), never the text a model writes.
"""

from __future__ import annotations

import io
import logging
import shutil
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

import course_utils.gguf as gguf_module
from course_utils.gguf import GGUFError, convert_to_gguf, converter_path, gguf_summary, install_converter, quantize_gguf

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
QWEN = "Qwen/Qwen2.5-0.5B-Instruct"
SENTENCES = [
    "Hello world!",
    "The quick brown fox jumps over the lazy dog.",
    "It's 2024, and I've paid $12,345.67 for 3 tickets...",
    "  leading spaces,\ttabs\nand new lines  ",
    "Unicode: café, naïve, 東京, emoji 🚀",
    "print('GGUF')  # code too",
]
PROMPT = "The quick brown fox jumps over the lazy dog. Open models run locally, 24/7."


def test_llama_cpp_is_imported_in_one_place_with_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if llama-cpp-python were not installed
    with pytest.raises(GGUFError, match="make repair"):
        gguf_module.import_llama_cpp()


# -- installing the converter (a fake source archive, a temporary CONVERTER_DIR) -------------------
def fake_sdist(dest: Path, version: str) -> Path:
    """A source archive laid out like llama-cpp-python's, with files that must and must not be kept."""
    root = f"llama_cpp_python-{version}"
    files = {
        "vendor/llama.cpp/convert_hf_to_gguf.py": "print('converter')\n",
        "vendor/llama.cpp/LICENSE": "MIT\n",
        "vendor/llama.cpp/conversion/__init__.py": "",
        "vendor/llama.cpp/conversion/llama.py": "",
        "vendor/llama.cpp/gguf-py/gguf/__init__.py": "",
        "vendor/llama.cpp/gguf-py/tests/test_x.py": "",  # not needed
        "vendor/llama.cpp/src/llama.cpp": "",  # C++ sources: not needed
        "llama_cpp/llama.py": "",  # the Python package: installed already
    }
    dest.mkdir(parents=True, exist_ok=True)
    archive = dest / f"{root}.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{root}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return archive


@pytest.fixture
def fake_install(tmp_path, monkeypatch):
    """install_converter into tmp_path, from fake archives; returns the list of downloaded versions."""
    downloads: list[str] = []

    def download(version, dest):
        downloads.append(version)
        return fake_sdist(dest, version)

    monkeypatch.setattr(gguf_module, "CONVERTER_DIR", tmp_path / "share" / "llama.cpp")
    monkeypatch.setattr(gguf_module, "_download_sdist", download)
    monkeypatch.setattr(gguf_module, "_llama_cpp_version", lambda: "9.9.9")
    return downloads


def test_install_converter_keeps_only_the_converter_and_is_idempotent(fake_install, monkeypatch):
    path = install_converter()
    folder = gguf_module.CONVERTER_DIR
    assert path == folder / "convert_hf_to_gguf.py" == converter_path()
    kept = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert kept == ["LICENSE", "VERSION", "conversion/__init__.py", "conversion/llama.py", "convert_hf_to_gguf.py",
                    "gguf-py/gguf/__init__.py"]
    assert (folder / "VERSION").read_text().splitlines()[0] == "9.9.9"
    assert fake_install == ["9.9.9"]

    assert install_converter() == path
    assert fake_install == ["9.9.9"], "a second call for the same version downloads nothing"
    assert not list(folder.parent.glob("llama.cpp-install-*")), "no staging folder is left behind"

    install_converter(force=True)
    assert fake_install == ["9.9.9", "9.9.9"], "force=True reinstalls"

    monkeypatch.setattr(gguf_module, "_llama_cpp_version", lambda: "9.9.10")
    install_converter()
    assert fake_install[-1] == "9.9.10", "a new llama-cpp-python version gets its own converter"
    assert (folder / "VERSION").read_text().startswith("9.9.10\n")


def test_the_installed_converter_matches_the_installed_llama_cpp_python():
    import importlib.metadata

    path = converter_path()  # GGUFError (run install-converter) if `make setup` did not install it
    version = importlib.metadata.version("llama-cpp-python")
    assert (path.parent / "VERSION").read_text().split()[0] == version, "run `make repair` after upgrading"
    assert install_converter() == path, "already installed: nothing to do"


def test_a_missing_converter_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setattr(gguf_module, "CONVERTER_DIR", tmp_path / "nothing-here")
    with pytest.raises(GGUFError, match=r"install-converter.*make repair"):
        converter_path()
    with pytest.raises(GGUFError, match="install-converter"):
        convert_to_gguf(tmp_path, tmp_path / "out.gguf")


# -- converting and quantizing the stand-ins --------------------------------------------------------
class Records(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(record.getMessage())


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory, hub):
    """The SmolLM2 stand-in as f16, q8_0 (both by the converter) and Q4_K_M (from the f16); Qwen2 as f16."""
    out = tmp_path_factory.mktemp("gguf")
    records = Records()
    logging.getLogger("course_utils.gguf").addHandler(records)
    try:
        files = {
            "f16": convert_to_gguf(SMOL, out / "smol-f16.gguf", "f16"),
            "q8_0": convert_to_gguf(SMOL, out / "smol-q8_0.gguf", "q8_0"),
            "qwen-f16": convert_to_gguf(QWEN, out / "qwen-f16.gguf"),
        }
    finally:
        logging.getLogger("course_utils.gguf").removeHandler(records)
    files["Q4_K_M"] = quantize_gguf(files["f16"], out / "smol-Q4_K_M.gguf", "Q4_K_M")
    files["log"] = records.lines
    return files


@pytest.fixture(scope="module")
def hf(hub):
    """transformers' view of the stand-ins (fp32): {repo id: (tokenizer, model)}."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    return {repo: (AutoTokenizer.from_pretrained(repo), AutoModelForCausalLM.from_pretrained(repo, dtype=torch.float32))
            for repo in (SMOL, QWEN)}


def load(path, **kwargs):
    from llama_cpp import Llama

    return Llama(model_path=str(path), n_ctx=256, n_threads=1, verbose=False, **kwargs)


def metadata(path, key):
    from gguf import GGUFReader

    return GGUFReader(path).fields[key].contents()


def test_files_shrink_with_fewer_bits(ggufs):
    sizes = {kind: ggufs[kind].stat().st_size for kind in ("f16", "q8_0", "Q4_K_M")}
    assert sizes["f16"] > sizes["q8_0"] > sizes["Q4_K_M"], sizes


def test_summary_reports_architecture_types_parameters_and_chat_template(ggufs, hf):
    model = hf[SMOL][1]
    n_params = sum(p.numel() for p in model.parameters())  # tied embeddings counted once, as in the GGUF
    summaries = {kind: gguf_summary(ggufs[kind]) for kind in ("f16", "q8_0", "Q4_K_M")}
    for kind, summary in summaries.items():
        assert summary["architecture"] == "llama"
        assert summary["has_chat_template"] is True, "the stand-in's chat template travels into the GGUF"
        assert summary["n_params"] == n_params
        assert summary["size_bytes"] == ggufs[kind].stat().st_size
        assert summary["n_tensors"] == summaries["f16"]["n_tensors"]
        assert abs(sum(summary["tensor_types"].values()) - 1) < 1e-3
        assert summary["dominant_type"] == next(iter(summary["tensor_types"]))
    assert summaries["f16"]["dominant_type"] == "F16" and summaries["f16"]["file_type"] == "MOSTLY_F16"
    assert summaries["q8_0"]["dominant_type"] == "Q8_0" and summaries["q8_0"]["file_type"] == "MOSTLY_Q8_0"
    assert summaries["Q4_K_M"]["file_type"] == "MOSTLY_Q4_K_M"
    assert "F16" not in summaries["Q4_K_M"]["tensor_types"]
    assert summaries["f16"]["name"] == "SmolLM2-135M-Instruct", "named after the repo, not the snapshot folder"
    qwen = gguf_summary(ggufs["qwen-f16"])
    assert qwen["architecture"] == "qwen2" and qwen["has_chat_template"] is True


def test_course_tokenizers_are_declared_and_the_reason_is_logged(ggufs):
    assert metadata(ggufs["f16"], "tokenizer.ggml.pre") == "gpt-2"
    assert metadata(ggufs["qwen-f16"], "tokenizer.ggml.pre") == "qwen2"
    declared = [line for line in ggufs["log"] if "declared" in line]
    assert len(declared) == 3, ggufs["log"]
    assert sum("declared 'gpt-2'" in line for line in declared) == 2 and "declared 'qwen2'" in declared[2]
    assert all("GPT-2's byte-level split" in line for line in declared[:2]), "the log says why"


@pytest.mark.parametrize("kind, repo", [("f16", SMOL), ("Q4_K_M", SMOL), ("qwen-f16", QWEN)])
def test_llama_cpp_tokenizes_exactly_like_transformers(ggufs, hf, kind, repo):
    tokenizer = hf[repo][0]
    llm = load(ggufs[kind])
    for text in SENTENCES:
        expected = tokenizer.encode(text, add_special_tokens=False)
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == expected, text


def logits(ggufs, hf, kind):
    """(llama.cpp, transformers) next-token logits at every position of PROMPT."""
    import torch

    tokenizer, model = hf[SMOL]
    ids = tokenizer.encode(PROMPT, add_special_tokens=False)
    llm = load(ggufs[kind], logits_all=True)
    llm.eval(ids)
    ours = np.array(llm.scores[: len(ids)], dtype=np.float32)
    with torch.no_grad():
        theirs = model(torch.tensor([ids])).logits[0].numpy()
    return ours, theirs


def test_f16_logits_agree_with_transformers_and_quantized_files_deviate_more(ggufs, hf):
    # Measured on the stand-in: max |diff| f16 0.0006, q8_0 0.013, Q4_K_M 0.041 (logits up to ~1.5);
    # the same top token at every position for all three.
    reference = logits(ggufs, hf, "f16")[1]
    diff, same_top = {}, {}
    for kind in ("f16", "q8_0", "Q4_K_M"):
        ours = logits(ggufs, hf, kind)[0]
        assert ours.shape == reference.shape
        diff[kind] = float(np.abs(ours - reference).max())
        same_top[kind] = float(np.mean(ours.argmax(-1) == reference.argmax(-1)))
    assert diff["f16"] < 0.01, diff
    assert same_top["f16"] >= 0.9, same_top
    assert diff["f16"] < diff["q8_0"] and diff["f16"] < diff["Q4_K_M"], diff


def test_chat_completion_answers_within_max_tokens(ggufs):
    llm = load(ggufs["Q4_K_M"], seed=0)
    reply = llm.create_chat_completion(messages=[{"role": "user", "content": "Say hello."}], max_tokens=8)
    message = reply["choices"][0]["message"]
    assert message["role"] == "assistant" and isinstance(message["content"], str)
    assert 0 < reply["usage"]["completion_tokens"] <= 8


def test_a_real_tokenizer_goes_through_unchanged(tmp_path, hub, caplog):
    """The real all-MiniLM-L6-v2: llama.cpp recognises its tokenizer itself, nothing is declared."""
    with caplog.at_level(logging.WARNING, logger="course_utils.gguf"):
        path = convert_to_gguf("sentence-transformers/all-MiniLM-L6-v2", tmp_path / "minilm-f16.gguf")
    assert not [record for record in caplog.records if "declared" in record.getMessage()]
    assert gguf_summary(path)["architecture"] == "bert"
    assert metadata(path, "tokenizer.ggml.model") == "bert"
    assert metadata(path, "tokenizer.ggml.pre") not in ("gpt-2", "qwen2")  # llama.cpp's own name for it


def test_a_chat_model_without_chat_template_is_converted_with_a_warning(tmp_path, hub, caplog):
    from huggingface_hub import snapshot_download

    folder = tmp_path / "no-template"
    shutil.copytree(snapshot_download(SMOL), folder, ignore=shutil.ignore_patterns("chat_template.*"))
    with caplog.at_level(logging.WARNING, logger="course_utils.gguf"):
        path = convert_to_gguf(folder, tmp_path / "no-template.gguf", "q8_0")
    assert any("has no chat template" in record.getMessage() for record in caplog.records)
    assert gguf_summary(path)["has_chat_template"] is False


# -- errors ----------------------------------------------------------------------------------------
def test_a_missing_model_folder(tmp_path):
    with pytest.raises(GGUFError, match="does not exist"):
        convert_to_gguf(tmp_path / "no-such-model", tmp_path / "out.gguf")


def test_a_folder_without_config_json(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "model.safetensors").write_bytes(b"")
    with pytest.raises(GGUFError, match="no config.json"):
        convert_to_gguf(tmp_path / "model", tmp_path / "out.gguf")


def test_an_unknown_outtype(tmp_path):
    with pytest.raises(GGUFError, match="f32, f16, bf16, q8_0"):
        convert_to_gguf(tmp_path, tmp_path / "out.gguf", outtype="q4_k_m")


def test_an_unknown_hub_repo_or_one_with_a_card_only(tmp_path, hub):
    with pytest.raises(GGUFError, match="'course/no-such-model' is neither a folder here nor a repo on http"):
        convert_to_gguf("course/no-such-model", tmp_path / "out.gguf")
    with pytest.raises(GGUFError, match="'Qwen/Qwen3-8B' on http.* has no config.json.*catalogue entry"):
        convert_to_gguf("Qwen/Qwen3-8B", tmp_path / "out.gguf")


def test_an_unknown_quantization_method_lists_the_valid_ones(ggufs, tmp_path):
    with pytest.raises(GGUFError, match="unknown quantization method 'Q3_X'") as error:
        quantize_gguf(ggufs["f16"], tmp_path / "out.gguf", "Q3_X")
    assert all(name in str(error.value) for name in ("Q4_K_M", "Q5_K_M", "Q8_0", "Q4_0"))


def test_quantizing_a_quantized_file_fails_with_llama_cpps_reason(ggufs, tmp_path):
    with pytest.raises(GGUFError, match="requantizing from type q8_0 is disabled.*already quantized"):
        quantize_gguf(ggufs["q8_0"], tmp_path / "out.gguf", "Q4_K_M")
    assert not (tmp_path / "out.gguf").exists(), "no partial file is left behind"


def test_quantizing_a_file_that_is_not_gguf(tmp_path):
    (tmp_path / "model.safetensors").write_bytes(b"not a gguf file")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        quantize_gguf(tmp_path / "model.safetensors", tmp_path / "out.gguf")
    with pytest.raises(GGUFError, match="does not exist"):
        quantize_gguf(tmp_path / "missing.gguf", tmp_path / "out.gguf")
