# ruff: noqa
# Cells of the datasets quickstart (its NLP part) and of "Load a dataset from the Hub" (up to "Remote code"),
# PyTorch version, run unchanged in order: the code of each example, without the doctest prompts (">>>", "...")
# and the printed results.
# Source: https://github.com/huggingface/datasets/blob/b7cb10b0e38ab8bbefdb142d0279bc85ac8c7ab8/docs/source/quickstart.mdx and
#   https://github.com/huggingface/datasets/blob/b7cb10b0e38ab8bbefdb142d0279bc85ac8c7ab8/docs/source/load_hub.mdx
# Licence: Apache-2.0 (https://github.com/huggingface/datasets/blob/main/LICENSE)

# %%
from datasets import load_dataset
dataset = load_dataset("nyu-mll/glue", "mrpc", split="train")

# %%
from transformers import AutoModelForSequenceClassification, AutoTokenizer
model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")

# %%
def encode(examples):
    return tokenizer(examples["sentence1"], examples["sentence2"], truncation=True, padding="max_length")
dataset = dataset.map(encode, batched=True)
dataset[0]

# %%
dataset = dataset.map(lambda examples: {"labels": examples["label"]}, batched=True)

# %%
import torch
dataset = dataset.select_columns(["input_ids", "token_type_ids", "attention_mask", "labels"])
dataset = dataset.with_format(type="torch")
dataloader = torch.utils.data.DataLoader(dataset, batch_size=32)

# %%
from datasets import load_dataset_builder
ds_builder = load_dataset_builder("cornell-movie-review-data/rotten_tomatoes")
# Inspect dataset description
ds_builder.info.description
# Inspect dataset features
ds_builder.info.features

# %%
from datasets import load_dataset
dataset = load_dataset("cornell-movie-review-data/rotten_tomatoes", split="train")

# %%
from datasets import get_dataset_split_names
get_dataset_split_names("cornell-movie-review-data/rotten_tomatoes")

# %%
from datasets import load_dataset
dataset = load_dataset("cornell-movie-review-data/rotten_tomatoes", split="train")
dataset

# %%
from datasets import load_dataset
dataset = load_dataset("cornell-movie-review-data/rotten_tomatoes")

# %%
from datasets import get_dataset_config_names
configs = get_dataset_config_names("PolyAI/minds14")
print(configs)

# %%
from datasets import load_dataset
mindsFR = load_dataset("PolyAI/minds14", "fr-FR", split="train")

