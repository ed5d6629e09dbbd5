# ruff: noqa
# Cells of the Hugging Face course, chapter 3 ("Fine-tuning a pretrained model": processing the data, fine-tuning
# with the Trainer API), PyTorch version, run unchanged in order.
# Source: https://github.com/huggingface/course/tree/main/chapters/en/chapter3 (2.mdx, 3.mdx)
# Licence: Apache-2.0 (https://github.com/huggingface/course/blob/main/LICENSE)

# %%
import torch
from torch.optim import AdamW
from transformers import AutoTokenizer, AutoModelForSequenceClassification

# Same as before
checkpoint = "bert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
sequences = [
    "I've been waiting for a HuggingFace course my whole life.",
    "This course is amazing!",
]
batch = tokenizer(sequences, padding=True, truncation=True, return_tensors="pt")

# This is new
batch["labels"] = torch.tensor([1, 1])

optimizer = AdamW(model.parameters())
loss = model(**batch).loss
loss.backward()
optimizer.step()

# %%
from datasets import load_dataset

raw_datasets = load_dataset("glue", "mrpc")
raw_datasets

# %%
raw_train_dataset = raw_datasets["train"]
raw_train_dataset[0]

# %%
raw_train_dataset.features

# %%
from transformers import AutoTokenizer

checkpoint = "bert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
tokenized_sentences_1 = tokenizer(raw_datasets["train"]["sentence1"])
tokenized_sentences_2 = tokenizer(raw_datasets["train"]["sentence2"])

# %%
inputs = tokenizer("This is the first sentence.", "This is the second one.")
inputs

# %%
tokenizer.convert_ids_to_tokens(inputs["input_ids"])

# %%
tokenized_dataset = tokenizer(
    raw_datasets["train"]["sentence1"],
    raw_datasets["train"]["sentence2"],
    padding=True,
    truncation=True,
)

# %%
def tokenize_function(example):
    return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

# %%
tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
tokenized_datasets

# %%
from transformers import DataCollatorWithPadding

data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

# %%
samples = tokenized_datasets["train"][:8]
samples = {k: v for k, v in samples.items() if k not in ["idx", "sentence1", "sentence2"]}
[len(x) for x in samples["input_ids"]]

# %%
batch = data_collator(samples)
{k: v.shape for k, v in batch.items()}

# %%
from transformers import TrainingArguments

training_args = TrainingArguments("test-trainer")

# %%
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)

# %%
from transformers import Trainer

trainer = Trainer(
    model,
    training_args,
    train_dataset=tokenized_datasets["train"],
    eval_dataset=tokenized_datasets["validation"],
    data_collator=data_collator,
    processing_class=tokenizer,
)

# %%
trainer.train()

# %%
predictions = trainer.predict(tokenized_datasets["validation"])
print(predictions.predictions.shape, predictions.label_ids.shape)

# %%
import numpy as np

preds = np.argmax(predictions.predictions, axis=-1)

# %%
import evaluate

metric = evaluate.load("glue", "mrpc")
metric.compute(predictions=preds, references=predictions.label_ids)
