# ruff: noqa
# Cells of the huggingface_hub quick start (download files, authentication, create a repository, upload files),
# run unchanged in order.
# Source: https://github.com/huggingface/huggingface_hub/blob/ee0a4510f4bc15e26cb722be2efc2bdb01383ca0/docs/source/en/quick-start.md
# Licence: Apache-2.0 (https://github.com/huggingface/huggingface_hub/blob/main/LICENSE)
# Adapted: the upload cell names its author's own file and repo ("/home/lysandre/dummy-test/README.md",
# "lysandre/test-model"); here a learner's own README.md and repo stand in for them.

# %%
from huggingface_hub import hf_hub_download

hf_hub_download(repo_id="google/pegasus-xsum", filename="config.json")

# %%
from huggingface_hub import hf_hub_download

hf_hub_download(
    repo_id="google/pegasus-xsum",
    filename="config.json",
    revision="4d33b01d79672f27f001f6abade33f22d993b151"
)

# %%
from huggingface_hub import login

login()

# %%
from huggingface_hub import HfApi

api = HfApi()
api.create_repo(repo_id="super-cool-model")

# %%
from huggingface_hub import HfApi

api = HfApi()
api.create_repo(repo_id="super-cool-model", private=True)

# %%
from pathlib import Path

Path("README.md").write_text("# My test model\n")  # the learner's own file (the docs use the author's)
from huggingface_hub import HfApi

api = HfApi()
api.upload_file(
    path_or_fileobj="README.md",
    path_in_repo="README.md",
    repo_id="course-learner/super-cool-model",
)
