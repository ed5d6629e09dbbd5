# ruff: noqa
# Cells of the Hugging Face course, chapter 2 ("Using 🤗 Transformers": behind the pipeline, models, tokenizers,
# handling multiple sequences, putting it all together), PyTorch version, run unchanged in order. The placeholders
# of the text ("directory_on_my_computer", "your-username") are left as the text has them.
# Source: https://github.com/huggingface/course/tree/16af5667532d6966f0fe83f44cc848dd7698a215/chapters/en/chapter2 (2.mdx to 6.mdx)
# Licence: Apache-2.0 (https://github.com/huggingface/course/blob/main/LICENSE)

# %% chapter2/2.mdx
from transformers import pipeline

classifier = pipeline("sentiment-analysis")
classifier(
    [
        "I've been waiting for a HuggingFace course my whole life.",
        "I hate this so much!",
    ]
)

# %% chapter2/2.mdx
from transformers import AutoTokenizer

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)

# %% chapter2/2.mdx
raw_inputs = [
    "I've been waiting for a HuggingFace course my whole life.",
    "I hate this so much!",
]
inputs = tokenizer(raw_inputs, padding=True, truncation=True, return_tensors="pt")
print(inputs)

# %% chapter2/2.mdx
from transformers import AutoModel

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
model = AutoModel.from_pretrained(checkpoint)

# %% chapter2/2.mdx
outputs = model(**inputs)
print(outputs.last_hidden_state.shape)

# %% chapter2/2.mdx
from transformers import AutoModelForSequenceClassification

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
outputs = model(**inputs)

# %% chapter2/2.mdx
print(outputs.logits.shape)

# %% chapter2/2.mdx
print(outputs.logits)

# %% chapter2/2.mdx
import torch

predictions = torch.nn.functional.softmax(outputs.logits, dim=-1)
print(predictions)

# %% chapter2/2.mdx
model.config.id2label

# %% chapter2/3.mdx
from transformers import AutoModel

model = AutoModel.from_pretrained("bert-base-cased")

# %% chapter2/3.mdx
from transformers import BertModel

model = BertModel.from_pretrained("bert-base-cased")

# %% chapter2/3.mdx
model.save_pretrained("directory_on_my_computer")

# %% chapter2/3.mdx
from transformers import AutoModel

model = AutoModel.from_pretrained("directory_on_my_computer")

# %% chapter2/3.mdx
from huggingface_hub import notebook_login

notebook_login()

# %% chapter2/3.mdx
model.push_to_hub("my-awesome-model")

# %% chapter2/3.mdx
from transformers import AutoModel

model = AutoModel.from_pretrained("your-username/my-awesome-model")

# %% chapter2/3.mdx
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("bert-base-cased")

encoded_input = tokenizer("Hello, I'm a single sentence!")
print(encoded_input)

# %% chapter2/3.mdx
tokenizer.decode(encoded_input["input_ids"])

# %% chapter2/3.mdx
encoded_input = tokenizer("How are you?", "I'm fine, thank you!")
print(encoded_input)

# %% chapter2/3.mdx
encoded_input = tokenizer("How are you?", "I'm fine, thank you!", return_tensors="pt")
print(encoded_input)

# %% chapter2/3.mdx
encoded_input = tokenizer(
    ["How are you?", "I'm fine, thank you!"], padding=True, return_tensors="pt"
)
print(encoded_input)

# %% chapter2/3.mdx
encoded_input = tokenizer(
    "This is a very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very very long sentence.",
    truncation=True,
)
print(encoded_input["input_ids"])

# %% chapter2/3.mdx
encoded_input = tokenizer(
    ["How are you?", "I'm fine, thank you!"],
    padding=True,
    truncation=True,
    max_length=5,
    return_tensors="pt",
)
print(encoded_input)

# %% chapter2/3.mdx
encoded_input = tokenizer("How are you?")
print(encoded_input["input_ids"])
tokenizer.decode(encoded_input["input_ids"])

# %% chapter2/3.mdx
sequences = [
    "I've been waiting for a HuggingFace course my whole life.",
    "I hate this so much!",
]

# %% chapter2/3.mdx
encoded_sequences = [
    [
        101,
        1045,
        1005,
        2310,
        2042,
        3403,
        2005,
        1037,
        17662,
        12172,
        2607,
        2026,
        2878,
        2166,
        1012,
        102,
    ],
    [101, 1045, 5223, 2023, 2061, 2172, 999, 102],
]

# %% chapter2/3.mdx
import torch

model_inputs = torch.tensor(encoded_sequences)

# %% chapter2/3.mdx
output = model(model_inputs)

# %% chapter2/4.mdx
tokenized_text = "Jim Henson was a puppeteer".split()
print(tokenized_text)

# %% chapter2/4.mdx
from transformers import BertTokenizer

tokenizer = BertTokenizer.from_pretrained("bert-base-cased")

# %% chapter2/4.mdx
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("bert-base-cased")

# %% chapter2/4.mdx
tokenizer("Using a Transformer network is simple")

# %% chapter2/4.mdx
tokenizer.save_pretrained("directory_on_my_computer")

# %% chapter2/4.mdx
from transformers import AutoTokenizer

tokenizer = AutoTokenizer.from_pretrained("bert-base-cased")

sequence = "Using a Transformer network is simple"
tokens = tokenizer.tokenize(sequence)

print(tokens)

# %% chapter2/4.mdx
ids = tokenizer.convert_tokens_to_ids(tokens)

print(ids)

# %% chapter2/4.mdx
decoded_string = tokenizer.decode([7993, 170, 11303, 1200, 2443, 1110, 3014])
print(decoded_string)

# %% chapter2/5.mdx
import torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)

sequence = "I've been waiting for a HuggingFace course my whole life."

tokens = tokenizer.tokenize(sequence)
ids = tokenizer.convert_tokens_to_ids(tokens)
input_ids = torch.tensor(ids)
# This line will fail.
model(input_ids)

# %% chapter2/5.mdx
tokenized_inputs = tokenizer(sequence, return_tensors="pt")
print(tokenized_inputs["input_ids"])

# %% chapter2/5.mdx
import torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)

sequence = "I've been waiting for a HuggingFace course my whole life."

tokens = tokenizer.tokenize(sequence)
ids = tokenizer.convert_tokens_to_ids(tokens)

input_ids = torch.tensor([ids])
print("Input IDs:", input_ids)

output = model(input_ids)
print("Logits:", output.logits)

# %% chapter2/5.mdx
batched_ids = [
    [200, 200, 200],
    [200, 200]
]

# %% chapter2/5.mdx
padding_id = 100

batched_ids = [
    [200, 200, 200],
    [200, 200, padding_id],
]

# %% chapter2/5.mdx
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)

sequence1_ids = [[200, 200, 200]]
sequence2_ids = [[200, 200]]
batched_ids = [
    [200, 200, 200],
    [200, 200, tokenizer.pad_token_id],
]

print(model(torch.tensor(sequence1_ids)).logits)
print(model(torch.tensor(sequence2_ids)).logits)
print(model(torch.tensor(batched_ids)).logits)

# %% chapter2/5.mdx
batched_ids = [
    [200, 200, 200],
    [200, 200, tokenizer.pad_token_id],
]

attention_mask = [
    [1, 1, 1],
    [1, 1, 0],
]

outputs = model(torch.tensor(batched_ids), attention_mask=torch.tensor(attention_mask))
print(outputs.logits)

# %% chapter2/5.mdx
sequence = sequence[:max_sequence_length]

# %% chapter2/6.mdx
from transformers import AutoTokenizer

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)

sequence = "I've been waiting for a HuggingFace course my whole life."

model_inputs = tokenizer(sequence)

# %% chapter2/6.mdx
sequence = "I've been waiting for a HuggingFace course my whole life."

model_inputs = tokenizer(sequence)

# %% chapter2/6.mdx
sequences = ["I've been waiting for a HuggingFace course my whole life.", "So have I!"]

model_inputs = tokenizer(sequences)

# %% chapter2/6.mdx
# Will pad the sequences up to the maximum sequence length
model_inputs = tokenizer(sequences, padding="longest")

# Will pad the sequences up to the model max length
# (512 for BERT or DistilBERT)
model_inputs = tokenizer(sequences, padding="max_length")

# Will pad the sequences up to the specified max length
model_inputs = tokenizer(sequences, padding="max_length", max_length=8)

# %% chapter2/6.mdx
sequences = ["I've been waiting for a HuggingFace course my whole life.", "So have I!"]

# Will truncate the sequences that are longer than the model max length
# (512 for BERT or DistilBERT)
model_inputs = tokenizer(sequences, truncation=True)

# Will truncate the sequences that are longer than the specified max length
model_inputs = tokenizer(sequences, max_length=8, truncation=True)

# %% chapter2/6.mdx
sequences = ["I've been waiting for a HuggingFace course my whole life.", "So have I!"]

# Returns PyTorch tensors
model_inputs = tokenizer(sequences, padding=True, return_tensors="pt")

# Returns NumPy arrays
model_inputs = tokenizer(sequences, padding=True, return_tensors="np")

# %% chapter2/6.mdx
sequence = "I've been waiting for a HuggingFace course my whole life."

model_inputs = tokenizer(sequence)
print(model_inputs["input_ids"])

tokens = tokenizer.tokenize(sequence)
ids = tokenizer.convert_tokens_to_ids(tokens)
print(ids)

# %% chapter2/6.mdx
print(tokenizer.decode(model_inputs["input_ids"]))
print(tokenizer.decode(ids))

# %% chapter2/6.mdx
import torch
from transformers import AutoTokenizer, AutoModelForSequenceClassification

checkpoint = "distilbert-base-uncased-finetuned-sst-2-english"
tokenizer = AutoTokenizer.from_pretrained(checkpoint)
model = AutoModelForSequenceClassification.from_pretrained(checkpoint)
sequences = ["I've been waiting for a HuggingFace course my whole life.", "So have I!"]

tokens = tokenizer(sequences, padding=True, truncation=True, return_tensors="pt")
output = model(**tokens)

