"""course_offline: the classroom and CI machinery (course hub, course inference server, lesson runner).

You never need to read this to learn: see README.md beside this file. Lessons import `course_utils`.
"""
