# ruff: noqa
# Cells of the Hugging Face course, chapter 4 ("Sharing models and tokenizers": using pretrained models, sharing
# pretrained models), PyTorch version, run unchanged in order. The placeholders of the text ("<path_to_file>",
# "<namespace>") are left as the text has them.
# Source: https://github.com/huggingface/course/blob/16af5667532d6966f0fe83f44cc848dd7698a215/chapters/en/chapter4/2.mdx and chapter4/3.mdx
# Licence: Apache-2.0 (https://github.com/huggingface/course/blob/main/LICENSE)

# %% chapter4/2.mdx
from transformers import pipeline

camembert_fill_mask = pipeline("fill-mask", model="camembert-base")
results = camembert_fill_mask("Le camembert est <mask> :)")

# %% chapter4/2.mdx
from transformers import CamembertTokenizer, CamembertForMaskedLM

tokenizer = CamembertTokenizer.from_pretrained("camembert-base")
model = CamembertForMaskedLM.from_pretrained("camembert-base")

# %% chapter4/2.mdx
from transformers import AutoTokenizer, AutoModelForMaskedLM

tokenizer = AutoTokenizer.from_pretrained("camembert-base")
model = AutoModelForMaskedLM.from_pretrained("camembert-base")

# %% chapter4/3.mdx
from huggingface_hub import notebook_login

notebook_login()

# %% chapter4/3.mdx
from transformers import TrainingArguments

training_args = TrainingArguments(
    "bert-finetuned-mrpc", save_strategy="epoch", push_to_hub=True
)

# %% chapter4/3.mdx
from transformers import AutoModelForMaskedLM, AutoTokenizer

checkpoint = "camembert-base"

model = AutoModelForMaskedLM.from_pretrained(checkpoint)
tokenizer = AutoTokenizer.from_pretrained(checkpoint)

# %% chapter4/3.mdx
model.push_to_hub("dummy-model")

# %% chapter4/3.mdx
tokenizer.push_to_hub("dummy-model")

# %% chapter4/3.mdx
tokenizer.push_to_hub("dummy-model", organization="huggingface")

# %% chapter4/3.mdx
tokenizer.push_to_hub("dummy-model", organization="huggingface", use_auth_token="<TOKEN>")

# %% chapter4/3.mdx
from huggingface_hub import (
    # User management
    login,
    logout,
    whoami,

    # Repository creation and management
    create_repo,
    delete_repo,
    update_repo_visibility,

    # And some methods to retrieve/change information about the content
    list_models,
    list_datasets,
    list_metrics,
    list_repo_files,
    upload_file,
    delete_file,
)

# %% chapter4/3.mdx
from huggingface_hub import create_repo

create_repo("dummy-model")

# %% chapter4/3.mdx
from huggingface_hub import create_repo

create_repo("dummy-model", organization="huggingface")

# %% chapter4/3.mdx
from huggingface_hub import upload_file

upload_file(
    "<path_to_file>/config.json",
    path_in_repo="config.json",
    repo_id="<namespace>/dummy-model",
)

# %% chapter4/3.mdx
from huggingface_hub import Repository

repo = Repository("<path_to_dummy_folder>", clone_from="<namespace>/dummy-model")

# %% chapter4/3.mdx
repo.git_pull()
repo.git_add()
repo.git_commit()
repo.git_push()
repo.git_tag()

# %% chapter4/3.mdx
repo.git_pull()

# %% chapter4/3.mdx
model.save_pretrained("<path_to_dummy_folder>")
tokenizer.save_pretrained("<path_to_dummy_folder>")

# %% chapter4/3.mdx
repo.git_add()
repo.git_commit("Add model and tokenizer files")
repo.git_push()

# %% chapter4/3.mdx
from transformers import AutoModelForMaskedLM, AutoTokenizer

checkpoint = "camembert-base"

model = AutoModelForMaskedLM.from_pretrained(checkpoint)
tokenizer = AutoTokenizer.from_pretrained(checkpoint)

# Do whatever with the model, train it, fine-tune it...

model.save_pretrained("<path_to_dummy_folder>")
tokenizer.save_pretrained("<path_to_dummy_folder>")

