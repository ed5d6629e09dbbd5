# ruff: noqa
# Cells of the transformers quick tour (pipeline, AutoClass, save and load, custom config, Trainer), PyTorch
# version, run unchanged in order.
# Source: https://github.com/huggingface/transformers/blob/v4.46.0/docs/source/en/quicktour.md
#   (the login cell from the current quick tour, https://huggingface.co/docs/transformers/quicktour)
# Licence: Apache-2.0 (https://github.com/huggingface/transformers/blob/main/LICENSE)

# %%
from huggingface_hub import login

login()

# %%
from transformers import pipeline

classifier = pipeline("sentiment-analysis")

# %%
classifier("We are very happy to show you the 🤗 Transformers library.")

# %%
results = classifier(["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."])
for result in results:
    print(f"label: {result['label']}, with score: {round(result['score'], 4)}")

# %%
import torch
from transformers import pipeline

speech_recognizer = pipeline("automatic-speech-recognition", model="facebook/wav2vec2-base-960h")

# %%
from datasets import load_dataset, Audio

dataset = load_dataset("PolyAI/minds14", name="en-US", split="train")

# %%
dataset = dataset.cast_column("audio", Audio(sampling_rate=speech_recognizer.feature_extractor.sampling_rate))

# %%
result = speech_recognizer(dataset[:4]["audio"])
print([d["text"] for d in result])

# %%
model_name = "nlptown/bert-base-multilingual-uncased-sentiment"

# %%
from transformers import AutoTokenizer, AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained(model_name)
tokenizer = AutoTokenizer.from_pretrained(model_name)

# %%
classifier = pipeline("sentiment-analysis", model=model, tokenizer=tokenizer)
classifier("Nous sommes très heureux de vous présenter la bibliothèque 🤗 Transformers.")

# %%
from transformers import AutoTokenizer

model_name = "nlptown/bert-base-multilingual-uncased-sentiment"
tokenizer = AutoTokenizer.from_pretrained(model_name)

# %%
encoding = tokenizer("We are very happy to show you the 🤗 Transformers library.")
print(encoding)

# %%
pt_batch = tokenizer(
    ["We are very happy to show you the 🤗 Transformers library.", "We hope you don't hate it."],
    padding=True,
    truncation=True,
    max_length=512,
    return_tensors="pt",
)

# %%
from transformers import AutoModelForSequenceClassification

model_name = "nlptown/bert-base-multilingual-uncased-sentiment"
pt_model = AutoModelForSequenceClassification.from_pretrained(model_name)

# %%
pt_outputs = pt_model(**pt_batch)

# %%
from torch import nn

pt_predictions = nn.functional.softmax(pt_outputs.logits, dim=-1)
print(pt_predictions)

# %%
pt_save_directory = "./pt_save_pretrained"
tokenizer.save_pretrained(pt_save_directory)
pt_model.save_pretrained(pt_save_directory)

# %%
pt_model = AutoModelForSequenceClassification.from_pretrained("./pt_save_pretrained")

# %%
from transformers import AutoConfig

my_config = AutoConfig.from_pretrained("distilbert/distilbert-base-uncased", n_heads=12)

# %%
from transformers import AutoModel

my_model = AutoModel.from_config(my_config)

# %%
from transformers import AutoModelForSequenceClassification

model = AutoModelForSequenceClassification.from_pretrained("distilbert/distilbert-base-uncased")

# %%
from transformers import TrainingArguments

training_args = TrainingArguments(
    output_dir="path/to/save/folder/",
    learning_rate=2e-5,
    per_device_train_batch_size=8,
    per_device_eval_batch_size=8,
    num_train_epochs=2,
)

# %%
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("distilbert/distilbert-base-uncased")

# %%
from datasets import load_dataset

dataset = load_dataset("rotten_tomatoes")  # doctest: +IGNORE_RESULT

# %%
def tokenize_dataset(dataset):
    return tokenizer(dataset["text"])

# %%
dataset = dataset.map(tokenize_dataset, batched=True)

# %%
from transformers import DataCollatorWithPadding

data_collator = DataCollatorWithPadding(tokenizer=tokenizer)

# %%
from transformers import Trainer

trainer = Trainer(
    model=model,
    args=training_args,
    train_dataset=dataset["train"],
    eval_dataset=dataset["test"],
    processing_class=tokenizer,
    data_collator=data_collator,
)  # doctest: +SKIP

# %%
trainer.train()
