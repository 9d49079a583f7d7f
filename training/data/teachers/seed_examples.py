"""Few-shot seed examples for the ``openai`` teacher: (context → response) pairs from our sim.

As in the paper, the only in-context examples a text-only teacher sees are hand-written
responses to symbolic contexts. The contexts are ``symbolic_context()`` of training seeds 1 and 9
at 336 × 336; the responses follow the formats :mod:`training.data.teachers.openai_chat` parses:
``Question:`` / ``===`` / ``Answer:`` blocks for conversation and reasoning, plain text otherwise.
"""
from __future__ import annotations

SEED_1 = """A robot arm at a table with three objects: a large purple sphere, a large orange cylinder and a small blue cone.
From left to right: the orange cylinder, the blue cone and the purple sphere.
The orange cylinder is on the left and the purple sphere is on the right.
The table holds blue, orange and purple objects.

purple sphere: [0.66, 0.42, 0.76, 0.51]
orange cylinder: [0.13, 0.44, 0.24, 0.58]
blue cone: [0.35, 0.48, 0.43, 0.57]
"""

SEED_9 = """A robot arm at a table with three objects: a large green cylinder, a large orange cylinder and a large purple cone.
From left to right: the purple cone, the orange cylinder and the green cylinder.
The purple cone is on the left and the green cylinder is on the right.
The table holds green, orange and purple objects.

green cylinder: [0.71, 0.58, 0.83, 0.73]
orange cylinder: [0.42, 0.27, 0.50, 0.40]
purple cone: [0.16, 0.30, 0.26, 0.42]
"""

SEED_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "brief": [
        (SEED_1, "A robot arm at a table with a large orange cylinder [0.13, 0.44, 0.24, 0.58], a small blue "
                 "cone [0.35, 0.48, 0.43, 0.57] and a large purple sphere [0.66, 0.42, 0.76, 0.51]."),
        (SEED_9, "Three objects in front of a robot: a purple cone [0.16, 0.30, 0.26, 0.42], an orange "
                 "cylinder [0.42, 0.27, 0.50, 0.40] and a green cylinder [0.71, 0.58, 0.83, 0.73]."),
    ],
    "conversation": [
        (SEED_1, """Question:
How many objects are on the table?
===
Answer:
There are three objects: the orange cylinder [0.13, 0.44, 0.24, 0.58], the blue cone [0.35, 0.48, 0.43, 0.57] and the purple sphere [0.66, 0.42, 0.76, 0.51].
===
Question:
What colour is the sphere?
===
Answer:
The sphere is purple. It is the purple sphere [0.66, 0.42, 0.76, 0.51] on the right side of the image.
===
Question:
Is there a red cube in the image?
===
Answer:
No, there is no red cube. The only objects are an orange cylinder, a blue cone and a purple sphere.
"""),
        (SEED_9, """Question:
Which object is on the left?
===
Answer:
The object on the left is the purple cone [0.16, 0.30, 0.26, 0.42].
===
Question:
How many cylinders can you see?
===
Answer:
I can see two cylinders: the orange cylinder [0.42, 0.27, 0.50, 0.40] and the green cylinder [0.71, 0.58, 0.83, 0.73].
===
Question:
Where is the green cylinder?
===
Answer:
The green cylinder [0.71, 0.58, 0.83, 0.73] is in the lower right part of the image, at the front of the table.
"""),
    ],
    "detail": [
        (SEED_1, "The image shows a robot arm standing at the far side of a table with three objects in front "
                 "of it. On the left is a large orange cylinder [0.13, 0.44, 0.24, 0.58]; next to it, a little "
                 "further right, stands a small blue cone [0.35, 0.48, 0.43, 0.57]; and on the right side of the "
                 "image is a large purple sphere [0.66, 0.42, 0.76, 0.51], slightly higher in the image and so "
                 "a little farther from the camera. The rest of the table is empty, leaving room for the robot "
                 "to move between the objects."),
        (SEED_9, "This tabletop scene shows three large objects in front of a robot arm. The purple cone "
                 "[0.16, 0.30, 0.26, 0.42] stands on the left, towards the back of the table. In the middle, "
                 "also near the back and close to the robot, is the orange cylinder [0.42, 0.27, 0.50, 0.40]. "
                 "The green cylinder [0.71, 0.58, 0.83, 0.73] stands on the right, much nearer to the camera "
                 "than the other two. The objects are purple, orange and green."),
    ],
    "reasoning": [
        (SEED_1, """Question:
The robot needs to stack a block on one of these objects. Which one should it choose as the base, and why?
===
Answer:
A base for stacking needs a flat top. The purple sphere [0.66, 0.42, 0.76, 0.51] is round, so a block would roll off, and the blue cone [0.35, 0.48, 0.43, 0.57] ends in a point. The orange cylinder [0.13, 0.44, 0.24, 0.58] has a flat, round top and is large, so it is the best base.
"""),
        (SEED_9, """Question:
Which object is closest to the robot arm, and which is closest to the camera?
===
Answer:
The robot stands at the far side of the table, at the top of the image, so objects higher in the image are nearer to it. The orange cylinder [0.42, 0.27, 0.50, 0.40] is the highest in the image, so it is closest to the robot. The green cylinder [0.71, 0.58, 0.83, 0.73] is the lowest in the image, so it is closest to the camera and farthest from the robot.
"""),
    ],
}
