# ruff: noqa
# Cells of the datasets quickstart (its NLP part) and of "Load a dataset from the Hub" (up to configurations),
# PyTorch version, run unchanged in order.
# Source: https://github.com/huggingface/datasets/blob/main/docs/source/quickstart.mdx and
#   https://github.com/huggingface/datasets/blob/main/docs/source/load_hub.mdx
# Licence: Apache-2.0 (https://github.com/huggingface/datasets/blob/main/LICENSE)

# %%
from datasets import load_dataset
from transformers import AutoModelForSequenceClassification, AutoTokenizer

model = AutoModelForSequenceClassification.from_pretrained("bert-base-uncased")
tokenizer = AutoTokenizer.from_pretrained("bert-base-uncased")

dataset = load_dataset("nyu-mll/glue", "mrpc", split="train")

# %%
def encode(examples):
    return tokenizer(examples["sentence1"], examples["sentence2"], truncation=True, padding="max_length")

dataset = dataset.map(encode, batched=True)
dataset[0]

# %%
dataset = dataset.map(lambda examples: {"labels": examples["label"]}, batched=True)

# %%
import torch

dataset.set_format(type="torch", columns=["input_ids", "token_type_ids", "attention_mask", "labels"])
dataloader = torch.utils.data.DataLoader(dataset, batch_size=32)

# %%
from datasets import load_dataset_builder

ds_builder = load_dataset_builder("cornell-movie-review-data/rotten_tomatoes")

# Inspect dataset description
ds_builder.info.description

# %%
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
dataset = load_dataset("cornell-movie-review-data/rotten_tomatoes")
dataset
