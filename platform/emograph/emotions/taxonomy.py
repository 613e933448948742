"""The seven emotion classes used everywhere: model heads, database, API, dashboards.

Order matters: it is the index order of every probability vector the project stores or passes.
"""

EMOTIONS = ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
NEGATIVE_EMOTIONS = ("anger", "disgust", "fear", "sadness")
EMOTION_INDEX = {name: i for i, name in enumerate(EMOTIONS)}
