# ruff: noqa
# Cells of the Hugging Face course, chapter 3 ("Fine-tuning a pretrained model": processing the data, fine-tuning
# with the Trainer API), PyTorch version, run unchanged in order.
# Source: https://github.com/huggingface/course/tree/16af5667532d6966f0fe83f44cc848dd7698a215/chapters/en/chapter3 (2.mdx, 3.mdx)
# Licence: Apache-2.0 (https://github.com/huggingface/course/blob/main/LICENSE)

# %% chapter3/2.mdx
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

# %% chapter3/2.mdx
from datasets import load_dataset

raw_datasets = load_dataset("glue", "mrpc")
raw_datasets

# %% chapter3/2.mdx
raw_train_dataset = raw_datasets["train"]
raw_train_dataset[0]

# %% chapter3/2.mdx
raw_train_dataset.features

# %% chapter3/2.mdx
from transformers import AutoTokenizer

checkpoint = "bert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
tokenized_sentences_1 = tokenizer(raw_datasets["train"]["sentence1"])
tokenized_sentences_2 = tokenizer(raw_datasets["train"]["sentence2"])

# %% chapter3/2.mdx
inputs = tokenizer("This is the first sentence.", "This is the second one.")
inputs

# %% chapter3/2.mdx
tokenizer.convert_ids_to_tokens(inputs["input_ids"])

# %% chapter3/2.mdx
tokenized_dataset = tokenizer(
    raw_datasets["train"]["sentence1"],
    raw_datasets["train"]["sentence2"],
    padding=True,
    truncation=True,
)

# %% chapter3/2.mdx
def tokenize_function(example):
    return tokenizer(example["sentence1"], example["sentence2"], truncation=True)

# %% chapter3/2.mdx
tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
tokenized_datasets

# %% chapter3/2.mdx
from transformers import DataCollatorWithPadding

data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

# %% chapter3/2.mdx
samples = tokenized_datasets["train"][:8]
samples = {k: v for k, v in samples.items() if k not in ["idx", "sentence1", "sentence2"]}
[len(x) for x in samples["input_ids"]]

# %% chapter3/2.mdx
batch = data_collator(samples)
{k: v.shape for k, v in batch.items()}

# %% chapter3/3.mdx
from datasets import load_dataset
from transformers import AutoTokenizer, DataCollatorWithPadding

raw_datasets = load_dataset("glue", "mrpc")
checkpoint = "bert-base-uncased"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)


def tokenize_function(example):
    return tokenizer(example["sentence1"], example["sentence2"], truncation=True)


tokenized_datasets = raw_datasets.map(tokenize_function, batched=True)
data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

# %% chapter3/3.mdx
from transformers import TrainingArguments

training_args = TrainingArguments("test-trainer")

# %% chapter3/3.mdx
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)

# %% chapter3/3.mdx
from transformers import Trainer

trainer = Trainer(
    model,
    training_args,
    train_dataset=tokenized_datasets["train"],
    eval_dataset=tokenized_datasets["validation"],
    data_collator=data_collator,
    processing_class=tokenizer,
)

# %% chapter3/3.mdx
trainer.train()

# %% chapter3/3.mdx
predictions = trainer.predict(tokenized_datasets["validation"])
print(predictions.predictions.shape, predictions.label_ids.shape)

# %% chapter3/3.mdx
import numpy as np

preds = np.argmax(predictions.predictions, axis=-1)

# %% chapter3/3.mdx
import evaluate

metric = evaluate.load("glue", "mrpc")
metric.compute(predictions=preds, references=predictions.label_ids)

# %% chapter3/3.mdx
def compute_metrics(eval_preds):
    metric = evaluate.load("glue", "mrpc")
    logits, labels = eval_preds
    predictions = np.argmax(logits, axis=-1)
    return metric.compute(predictions=predictions, references=labels)

# %% chapter3/3.mdx
training_args = TrainingArguments("test-trainer", eval_strategy="epoch")
model = AutoModelForSequenceClassification.from_pretrained(checkpoint, num_labels=2)

trainer = Trainer(
    model,
    training_args,
    train_dataset=tokenized_datasets["train"],
    eval_dataset=tokenized_datasets["validation"],
    data_collator=data_collator,
    processing_class=tokenizer,
    compute_metrics=compute_metrics,
)

# %% chapter3/3.mdx
trainer.train()

# %% chapter3/3.mdx
training_args = TrainingArguments(
    "test-trainer",
    eval_strategy="epoch",
    fp16=True,  # Enable mixed precision
)

# %% chapter3/3.mdx
training_args = TrainingArguments(
    "test-trainer",
    eval_strategy="epoch",
    per_device_train_batch_size=4,
    gradient_accumulation_steps=4,  # Effective batch size = 4 * 4 = 16
)

# %% chapter3/3.mdx
training_args = TrainingArguments(
    "test-trainer",
    eval_strategy="epoch",
    learning_rate=2e-5,
    lr_scheduler_type="cosine",  # Try different schedulers
)

