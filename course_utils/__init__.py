"""course_utils: the Open Models Course's shared plumbing (setup, the course hub, checks).

Importing it is cheap and imports neither torch nor huggingface_hub: `setup()` must run first.
"""

from .environment import best_device, check_environment
from .session import Course, CourseSetupError, setup
from .tokens import token_status

__all__ = ["setup", "Course", "CourseSetupError", "check_environment", "best_device", "token_status"]
__version__ = "0.1.0"
