"""Stand-ins for what other people's teaching material loads (issue 15), through the stock clients.

The transformers quick tour's speech example (facebook/wav2vec2-base-960h on PolyAI/minds14), the Hugging Face course's
opus-mt translation and camembert-base: each is served under the real id, with the real classes and schema, and says
it is a stand-in.
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest
from huggingface_hub import ModelCard

WAV2VEC2 = "facebook/wav2vec2-base-960h"
MINDS14 = "PolyAI/minds14"
OPUS_FR_EN = "Helsinki-NLP/opus-mt-fr-en"


def test_speech_recognition_stand_in_has_the_real_processor_and_transcribes(hf_api):
    from transformers import Wav2Vec2CTCTokenizer, Wav2Vec2FeatureExtractor, Wav2Vec2ForCTC, pipeline

    speech_recognizer = pipeline("automatic-speech-recognition", model=WAV2VEC2)
    assert isinstance(speech_recognizer.model, Wav2Vec2ForCTC)
    assert isinstance(speech_recognizer.tokenizer, Wav2Vec2CTCTokenizer)
    assert isinstance(speech_recognizer.feature_extractor, Wav2Vec2FeatureExtractor)
    assert speech_recognizer.feature_extractor.sampling_rate == 16000
    # The real convolutional encoder's strides: one frame per 320 samples, so the CTC output has the real length.
    assert speech_recognizer.model.config.inputs_to_logits_ratio == 320
    tokenizer = speech_recognizer.tokenizer
    ids = tokenizer("THE KETTLE BOILS").input_ids
    assert tokenizer.decode(ids, group_tokens=False) == "THE KETTLE BOILS"
    result = speech_recognizer(np.sin(np.arange(16000, dtype=np.float32) / 7))
    assert isinstance(result["text"], str)
    assert "course-stand-in" in ModelCard.load(WAV2VEC2).data.tags
    assert hf_api.model_info(WAV2VEC2).pipeline_tag == "automatic-speech-recognition"


def test_minds14_stand_in_has_the_real_schema_and_labelled_rows(hf_api):
    from datasets import Audio, get_dataset_config_names, load_dataset

    assert {"en-US", "fr-FR"} <= set(get_dataset_config_names(MINDS14))
    dataset = load_dataset(MINDS14, name="en-US", split="train")  # as the transformers quick tour loads it
    assert dataset.column_names == ["path", "audio", "transcription", "english_transcription", "intent_class",
                                    "lang_id"]
    assert dataset.features["audio"].sampling_rate == 8000
    assert dataset.features["intent_class"].num_classes == 14
    assert set(dataset["lang_id"]) == {dataset.features["lang_id"].str2int("en-US")}
    assert all(t.startswith("[course stand-in] ") for t in dataset["transcription"])
    assert all(t.startswith("[course stand-in] ") for t in dataset["english_transcription"])
    resampled = dataset.cast_column("audio", Audio(sampling_rate=16000))
    assert resampled.features["audio"].sampling_rate == 16000
    # The stored audio: WAV files at the real rate, read here without an audio decoder (torchcodec).
    raw = dataset.cast_column("audio", Audio(decode=False))[0]["audio"]
    with wave.open(io.BytesIO(raw["bytes"])) as f:
        assert (f.getframerate(), f.getnchannels(), f.getsampwidth()) == (8000, 1, 2)
        assert f.getnframes() > 0
    card = hf_api.dataset_info(MINDS14).card_data
    assert "course-stand-in" in card.tags


def test_marian_stand_in_translates_with_the_real_classes():
    from transformers import AutoTokenizer, MarianMTModel, MarianTokenizer

    tokenizer = AutoTokenizer.from_pretrained(OPUS_FR_EN)
    assert isinstance(tokenizer, MarianTokenizer)
    model = MarianMTModel.from_pretrained(OPUS_FR_EN)
    assert model.config.decoder_start_token_id == tokenizer.pad_token_id  # Marian starts from <pad>
    batch = tokenizer(["Ce cours est produit par Hugging Face."], return_tensors="pt")
    out = model.generate(**batch, max_new_tokens=5)
    assert out.shape[0] == 1 and isinstance(tokenizer.decode(out[0], skip_special_tokens=True), str)
    assert "course-stand-in" in ModelCard.load(OPUS_FR_EN).data.tags


def test_camembert_legacy_id_serves_the_stand_in_fill_mask(hf_api):
    from transformers import CamembertForMaskedLM, CamembertTokenizer, pipeline

    assert hf_api.model_info("camembert-base").id == "almanach/camembert-base"
    camembert_fill_mask = pipeline("fill-mask", model="camembert-base")  # the Hugging Face course, chapter 4
    results = camembert_fill_mask("Le camembert est <mask> :)")
    assert len(results) == 5 and all(r["sequence"].startswith("Le camembert est") for r in results)
    assert isinstance(CamembertTokenizer.from_pretrained("camembert-base"), CamembertTokenizer)
    assert isinstance(CamembertForMaskedLM.from_pretrained("camembert-base"), CamembertForMaskedLM)


@pytest.mark.parametrize("repo_id", [WAV2VEC2, OPUS_FR_EN, "almanach/camembert-base"])
def test_stand_in_cards_say_random_weights(repo_id):
    card = ModelCard.load(repo_id)
    assert card.text.lstrip().startswith("**Course stand-in with random weights: its output means nothing.**")
