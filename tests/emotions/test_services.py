import pytest
from django.db import IntegrityError, transaction

from emograph.emotions.models import EmotionPrediction, Stage
from emograph.emotions.services import prediction_fields, prediction_record
from emograph.emotions.taxonomy import EMOTIONS, NEGATIVE_EMOTIONS

from ..factories import PostFactory

FEAR = [0.05, 0.05, 0.6, 0.1, 0.1, 0.05, 0.05]


def test_taxonomy_is_the_seven_classes_in_fixed_order():
    assert EMOTIONS == ("anger", "disgust", "fear", "joy", "sadness", "surprise", "neutral")
    assert set(NEGATIVE_EMOTIONS) == {"anger", "disgust", "fear", "sadness"}


def test_prediction_fields_picks_label_and_confidence():
    fields = prediction_fields(probabilities=FEAR)
    assert fields["label"] == "fear"
    assert fields["confidence"] == pytest.approx(0.6)
    assert fields["p_joy"] == pytest.approx(0.1)


@pytest.mark.parametrize(
    ("probabilities", "message"),
    [
        ([0.5, 0.5], "expected 7 probabilities"),
        ([0.5, 0.5, 0.1, 0, 0, 0, 0], "must sum to 1"),
        ([1.5, -0.5, 0, 0, 0, 0, 0], "within [0, 1]"),
        ([float("nan"), 1, 0, 0, 0, 0, 0], "finite"),
    ],
)
def test_prediction_fields_rejects_bad_vectors(probabilities, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        prediction_fields(probabilities=probabilities)


@pytest.mark.django_db
def test_same_model_version_updates_new_version_adds_a_row():
    post = PostFactory()
    common = {"post": post, "stage": Stage.CONTENT, "model_name": "minilm-head"}
    first = prediction_record(**common, model_version="v1", probabilities=FEAR)
    again = prediction_record(**common, model_version="v1", probabilities=[0, 0, 0, 1, 0, 0, 0])
    assert again.pk == first.pk
    assert again.label == "joy"
    prediction_record(**common, model_version="v2", probabilities=FEAR)
    versions = EmotionPrediction.objects.filter(post=post).values_list("model_version", "label")
    assert sorted(versions) == [("v1", "joy"), ("v2", "fear")]


@pytest.mark.django_db
def test_database_rejects_probabilities_outside_unit_range():
    post = PostFactory()
    fields = prediction_fields(probabilities=FEAR)
    fields["p_anger"] = 1.5
    with pytest.raises(IntegrityError), transaction.atomic():
        EmotionPrediction.objects.create(
            post=post, stage=Stage.GRAPH, model_name="gcn", model_version="v1", **fields
        )


@pytest.mark.django_db
def test_stored_labels_are_valid_choices():
    """The admin shows a label through its choices; a stored "fear" must be one of them."""
    from emograph.emotions.models import Emotion

    assert [value for value, _ in Emotion.choices] == list(EMOTIONS)
    row = prediction_record(
        post=PostFactory(), stage=Stage.CONTENT, model_name="m", model_version="1",
        probabilities=FEAR,
    )  # fmt: skip
    row.full_clean()
    assert row.get_label_display() == "Fear"
