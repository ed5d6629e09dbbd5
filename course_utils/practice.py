"""A practice server on this machine that answers like Hugging Face Inference Providers and fails when you ask it to.

Lesson 05 (section "Errors and retries") uses it online and offline alike: `simulate(429)`, `simulate(503)` or a
slow answer make a real client meet real HTTP errors, without spending credits or waiting for a real outage.
Lesson 06 (section "Ollama") uses the same server as a stand-in for the Ollama desktop app where none runs.
Offline, `setup(inference=True)` starts one for the lesson; the machinery itself lives in `course_offline`.
"""

from course_offline.inference import InferenceServer as PracticeServer
from course_offline.inference import InferenceServerError as PracticeServerError
from course_offline.inference import start_inference_server as start_practice_server

__all__ = ["PracticeServer", "PracticeServerError", "start_practice_server"]
