"""The grader's figures (grade/figures.py, report/plots.py) and the training history they draw on.

The exports are made as a kernel makes them (notebook_checks.export_run), from small Keras models
whose weights are set, not trained (value_cases.REFERENCES), so no notebook runs. Each figure's
numbers are worked out here independently of the grader: with Keras's own predictions and the
notebook's own split, then found in the alt text. Held-out data must reach a learner's figure as
totals only: drawn again from held-out rows that are moved but give the same totals, every
learner figure is the same to the pixel, while the instructor's copy, which shows them, is not.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
import pytest
from keras_course.artifacts.history import MAX_HISTORY_BYTES, read_history
from keras_course.artifacts.saved_model import read_saved_model
from keras_course.course import data
from keras_course.course.config import load_course
from keras_course.course.errors import CourseError, ExportError
from keras_course.grade.figures import exercise_figures
from keras_course.grade.notebook_checks import export_run
from keras_course.report.figure import Figure
from keras_course.report.html_report import Part, learner_report
from keras_course.report.plots import CURVE_TITLE
from keras_course.report.results import Result
from keras_course.report.section import Section
from keras_course.run.inside.kernel_cells import MAX_HISTORY_EPOCHS, MAX_HISTORY_KEYS
from matplotlib.image import imread
from value_cases import REFERENCES, dense, learner_file, notebook_function, predict

ORBITS, PAIRPLOT, ANSWERS = "Your model's orbits", "The ", "Your model's answers"
ORBITS_TITLE = "Your model's orbits against the scientists' orbit"
REGIONS, PARCELS = "Your model's decision regions", "Accuracy for each parcel"
NUMBER = r"(-?[\d,]+(?:\.\d+)?(?:e[+-]\d+)?)"


def exported(tmp_path: Path, exercise_id: str, namespace: dict) -> Path:
    """The export folder of a notebook for exercise_id that left namespace behind."""
    folder = tmp_path / f"export-{exercise_id}-{len(list(tmp_path.iterdir()))}"
    export_run(load_course().exercise(exercise_id).variables, namespace, folder, [])
    return folder


def drawn(tmp_path: Path, exercise_id: str, namespace: dict, instructor: bool = False) -> list[Figure]:
    return exercise_figures(exercise_id, exported(tmp_path, exercise_id, namespace), instructor=instructor)


@dataclass(frozen=True)
class Drawing:
    """A case's notebook variables, their export and the learner's figures drawn from it."""

    namespace: dict
    folder: Path
    figures: list[Figure]


@pytest.fixture(scope="module")
def drawing(tmp_path_factory) -> Callable[[str], Drawing]:
    """The Drawing of a case of CASES, made once for the tests that read it."""
    made: dict[str, Drawing] = {}

    def draw(case: str) -> Drawing:
        if case not in made:
            exercise_id, variables = CASES[case]
            namespace = variables()
            folder = exported(tmp_path_factory.mktemp(case), exercise_id, namespace)
            made[case] = Drawing(namespace, folder, exercise_figures(exercise_id, folder))
        return made[case]

    return draw


def titled(figures: list[Figure], start: str) -> Figure:
    found = [figure for figure in figures if figure.title.startswith(start)]
    assert len(found) == 1, f"no one figure titled {start!r} among {[f.title for f in figures]}"
    return found[0]


def numbers_after(text: str, before: str, after: str = "") -> list[float]:
    """The numbers that follow `before` (and precede `after`) in text."""
    found = re.findall(re.escape(before) + NUMBER + re.escape(after), text)
    return [float(n.replace(",", "")) for n in found]


def seeded(model: keras.Model, seed: int = 0) -> keras.Model:
    """The model with weights drawn as Keras initialises an untrained model, seeded."""
    keras.utils.set_random_seed(seed)
    return keras.models.clone_model(model)


def hello_model() -> keras.Model:
    """hello_nets's model: its only figure is the training curve, when it was trained."""
    return dense(2, (10, "relu"), (1, None))


def with_history(model: keras.Model, **curves: list) -> keras.Model:
    """The model with the History that model.fit leaves on it, holding these curves."""
    history = keras.callbacks.History()
    history.history = {key: list(values) for key, values in curves.items()}
    model.history = history
    return model


# meteor_orbit ---------------------------------------------------------------------------------


def untrained_meteor() -> dict:
    """The meteor notebook run without its fit: the model as Keras initialises it."""
    model = seeded(dense(1, (50, "relu"), (50, "relu"), (50, "relu"), (1, None)))
    return {"model": model, "twenty_min_orbit": predict(model, np.arange(-10, 11))}


@pytest.mark.parametrize("case", ["meteor_orbit", "meteor_untrained"])
def test_orbits_carry_the_models_distance_from_the_scientists_orbit(drawing, case):
    model, figures = drawing(case).namespace["model"], drawing(case).figures
    alt = titled(figures, ORBITS).alt
    for name, minutes in (("Twenty minutes", 10), ("Eighty minutes", 40)):
        t = np.arange(-minutes, minutes + 1)
        orbit = predict(model, t).reshape(-1)
        said = alt.split(f"{name}: ")[1]
        gap = numbers_after(said, "on average ", " from")[0]
        assert gap == pytest.approx(np.mean(np.abs(orbit - t**2)), rel=5e-3)
        last = numbers_after(said, f"at minute {minutes} at ", ",")[0]
        assert last == pytest.approx(orbit[-1], rel=5e-3, abs=5e-3)
    assert [f.title for f in figures if f.title == CURVE_TITLE] == []  # never trained: no history


# dollar_bills ---------------------------------------------------------------------------------


OWN_SPLIT = slice(0, 100)  # a learner's X_test of 100 notes, not the notebook's 329


def bills_split(x_test_rows: slice = slice(None)) -> tuple[dict, np.ndarray]:
    """The dollar-bills reference with X_test cut to x_test_rows (a learner's own split), and the
    classes of the notes it trained on: those not in that X_test, by the notebook's own split."""
    banknotes = learner_file("banknotes.csv")
    split = notebook_function("dollar_bills", "train_test_split")
    x_train, x_test, y_train, y_test = split(
        banknotes.drop(columns="class"), banknotes["class"], test_size=0.3
    )
    left_out = np.ones(len(x_test), dtype=bool)
    left_out[x_test_rows] = False
    reference = REFERENCES["dollar_bills"]()
    namespace = {**reference, "X_test": x_test[x_test_rows], "y_test": y_test[x_test_rows]}
    return namespace, np.concatenate([y_train, y_test[left_out]])


@pytest.mark.parametrize("case", ["dollar_bills", "dollar_bills_own_split"])
def test_pairplot_shows_the_notes_the_notebook_trained_on(drawing, case):
    trained = bills_split(OWN_SPLIT if case.endswith("own_split") else slice(None))[1]
    alt = titled(drawing(case).figures, PAIRPLOT).alt
    assert f"the {len(trained)} banknotes you trained on" in alt
    assert f"{np.sum(trained == 0)} genuine, {np.sum(trained == 1)} forged" in alt


def confusion(model: keras.Model, exercise_id: str, classes: int) -> np.ndarray:
    """The model's confusion matrix on the held-out data, by Keras's predictions."""
    held = data.heldout(exercise_id)
    given = predict(model, held.x)
    given = np.argmax(given, axis=1) if classes > 2 else (given.reshape(-1) > 0.5).astype(int)
    right = held.y.reshape(-1).astype(int)
    return np.array([[np.sum((right == i) & (given == j)) for j in range(classes)] for i in range(classes)])


def darts_wrong_units() -> dict:
    """The darts notebook with 32 units in the first layer, instead of 128, untrained."""
    model = seeded(dense(2, (32, "relu"), (64, "relu"), (32, "relu"), (4, "softmax")), seed=3)
    return {**REFERENCES["darts"](), "model": model}


def expected_mistake(matrix: np.ndarray, kinds: list[str], names: list[str]) -> list[str]:
    """How the alt text may name the largest off-diagonal cell (any of them when several tie)."""
    off = matrix - np.diag(np.diag(matrix))
    if not off.any():
        return ["no mistakes"]
    cells = np.argwhere(off == off.max())
    return [f"{off[i, j]} of {matrix[i].sum()} {kinds[i]} classed as {names[j]}" for i, j in cells]


COMPETITORS = ["Kate", "Michael", "Steve", "Susan"]
CONFUSIONS = {  # what each class's examples are, and the classes
    "dollar_bills": (["genuine notes", "forged notes"], ["genuine", "forged"]),
    "darts": ([f"throws of {name}" for name in COMPETITORS], COMPETITORS),
}


@pytest.mark.parametrize("case", ["dollar_bills", "darts", "darts_wrong_units"])
def test_confusion_matrix_counts_the_held_out_answers(drawing, case):
    exercise_id = CASES[case][0]
    kinds, names = CONFUSIONS[exercise_id]
    matrix = confusion(drawing(case).namespace["model"], exercise_id, len(names))
    alt = titled(drawing(case).figures, ANSWERS).alt
    assert f"on {matrix.sum()} " in alt
    assert numbers_after(alt, "accuracy ", ";")[0] == pytest.approx(np.trace(matrix) / matrix.sum(), abs=1e-3)
    assert any(mistake in alt for mistake in expected_mistake(matrix, kinds, names))


# darts ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", ["darts", "darts_wrong_units"])
def test_decision_regions_carry_each_competitors_share_of_the_board(drawing, case):
    model, alt = drawing(case).namespace["model"], titled(drawing(case).figures, REGIONS).alt
    side = np.linspace(-1, 1, 123)  # another grid than the grader's
    board = np.argmax(predict(model, np.array(np.meshgrid(side, side)).reshape(2, -1).T), axis=1)
    for code, name in enumerate(COMPETITORS):
        assert numbers_after(alt, f"{name} ", "%")[0] == pytest.approx(100 * np.mean(board == code), abs=2)
    darts = learner_file("darts.csv")
    codes = darts.competitor.astype("category").cat.codes.to_numpy()
    right = np.mean(np.argmax(predict(model, darts[["xCoord", "yCoord"]].to_numpy()), axis=1) == codes)
    assert f"The {len(darts)} throws of darts.csv" in alt
    assert numbers_after(alt, "right competitor for ", " of them")[0] == pytest.approx(right, abs=1e-3)


@pytest.mark.parametrize("rows", [slice(200, 800), slice(0, 800, 4)])
def test_decision_regions_show_the_throws_the_notebook_trained_on(tmp_path, rows):
    """With coord_train exported, the regions show those throws, and count the right ones among them."""
    namespace = REFERENCES["darts"]()
    darts = learner_file("darts.csv")
    coords = darts[["xCoord", "yCoord"]].to_numpy()
    namespace["coord_train"] = coords[rows]
    (regions,) = [f for f in drawn(tmp_path, "darts", namespace) if f.title == REGIONS]
    codes = darts.competitor.astype("category").cat.codes.to_numpy()[rows]
    right = np.mean(np.argmax(predict(namespace["model"], coords[rows]), axis=1) == codes)
    assert f"The {len(codes)} throws you trained on, coloured by competitor" in regions.alt
    assert numbers_after(regions.alt, "right competitor for ", " of them")[0] == pytest.approx(
        right, abs=1e-3
    )


def test_decision_regions_of_made_up_training_throws_show_every_throw_of_darts_csv(tmp_path):
    """A coord_train that is not throws of darts.csv is not drawn as if it were: all 800 are."""
    namespace = {**REFERENCES["darts"](), "coord_train": np.array([[0.5, 0.5], [0.1, -0.2]])}
    (regions,) = [f for f in drawn(tmp_path, "darts", namespace) if f.title == REGIONS]
    assert "The 800 throws of darts.csv" in regions.alt


# irrigation -----------------------------------------------------------------------------------


def irrigation_softmax() -> dict:
    """The irrigation notebook with softmax on its output layer (the parcels compete), untrained."""
    return {**REFERENCES["irrigation"](), "model": seeded(dense(20, (64, "relu"), (3, "softmax")), seed=5)}


@pytest.mark.parametrize("case", ["irrigation", "irrigation_softmax"])
def test_accuracy_for_each_parcel(drawing, case):
    model, alt = drawing(case).namespace["model"], titled(drawing(case).figures, PARCELS).alt
    held = data.heldout("irrigation")
    accuracies = np.mean((predict(model, held.x) > 0.5) == (held.y > 0.5), axis=0)
    assert f"on {len(held.y)} sensor readings" in alt
    for parcel, accuracy in enumerate(accuracies):
        assert numbers_after(alt, f"parcel {parcel} ")[0] == pytest.approx(accuracy, abs=1e-3)


CASES: dict[str, tuple[str, Callable[[], dict]]] = {  # the exercise, and its notebook's variables
    "meteor_orbit": ("meteor_orbit", REFERENCES["meteor_orbit"]),
    "meteor_untrained": ("meteor_orbit", untrained_meteor),
    "dollar_bills": ("dollar_bills", REFERENCES["dollar_bills"]),
    "dollar_bills_own_split": ("dollar_bills", lambda: bills_split(OWN_SPLIT)[0]),
    "darts": ("darts", REFERENCES["darts"]),
    "darts_wrong_units": ("darts", darts_wrong_units),
    "irrigation": ("irrigation", REFERENCES["irrigation"]),
    "irrigation_softmax": ("irrigation", irrigation_softmax),
}


# the training history -------------------------------------------------------------------------


def fitted() -> tuple[keras.Model, dict]:
    """hello_nets's model fit for 3 epochs at a learning rate of 0 (its weights stay as they were
    set), with a validation split, and what model.fit recorded."""
    model = seeded(hello_model())
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse", metrics=["mae"])
    x = np.random.default_rng(0).normal(size=(40, 2))
    model.fit(x, x.sum(axis=1), epochs=3, validation_split=0.25, verbose=0)
    return model, model.history.history


def test_training_curve_is_the_history_the_notebook_recorded(tmp_path):
    model, recorded = fitted()
    folder = exported(tmp_path, "hello_nets", {"model": model})
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["model"]
    history = read_history(folder, entry)
    assert list(history.epochs) == [1, 2, 3]
    assert list(history.curves) == list(recorded)
    for key, values in recorded.items():
        assert list(history.curves[key]) == pytest.approx(values)
    curve = titled(exercise_figures("hello_nets", folder), CURVE_TITLE)
    assert curve.title == "Training, as your notebook recorded it"
    for key, values in recorded.items():
        said = re.search(rf"(?:: |; ){key} from {NUMBER} at epoch 1 to {NUMBER} at epoch 3", curve.alt)
        assert said, f"{key} is not in {curve.alt!r}"
        first, last = (float(n.replace(",", "")) for n in said.groups())
        assert (first, last) == pytest.approx((values[0], values[-1]), rel=5e-3)


def test_history_export_is_bounded_and_finite(tmp_path):
    epochs = 2 * MAX_HISTORY_EPOCHS + 500
    loss = np.linspace(2, 0.1, epochs)
    loss[1000:] = np.nan
    loss[1003] = np.inf
    curves = {"loss": loss.tolist(), **{f"metric_{i}": [0.5] * epochs for i in range(MAX_HISTORY_KEYS + 4)}}
    folder = exported(tmp_path, "hello_nets", {"model": with_history(hello_model(), **curves)})
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["model"]
    history = read_history(folder, entry)
    assert len(history.epochs) <= MAX_HISTORY_EPOCHS and history.epochs[0] == 1
    assert list(history.curves) == list(curves)[:MAX_HISTORY_KEYS]
    assert history.curves["loss"][history.epochs < 1000] == pytest.approx(
        loss[history.epochs[history.epochs < 1000] - 1]
    )
    assert np.isnan(
        history.curves["loss"][history.epochs > 1000]
    ).all()  # NaN and infinity: null, read as NaN
    first_gap = history.epochs[history.epochs > 1000][0]
    alt = titled(exercise_figures("hello_nets", folder), CURVE_TITLE).alt
    assert f"not a finite number at {int(np.sum(history.epochs > 1000))} epochs from epoch {first_gap}" in alt


@pytest.mark.parametrize("history", [{"loss": ["not", "numbers"]}, {"loss": 3.5}, {}, {"loss": []}, "loss"])
def test_a_history_the_export_cannot_write_is_left_out_never_the_model(tmp_path, history):
    model = with_history(hello_model())
    model.history.history = history
    folder = exported(tmp_path, "hello_nets", {"model": model})
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["model"]
    assert "history" not in entry
    assert read_saved_model(folder, entry).count_params() == model.count_params()
    assert exercise_figures("hello_nets", folder) == []


BROKEN_HISTORIES = {
    "not_an_object": ("[1, 2]", "does not hold a training history"),
    "other_keys": ('{"epochs": [1], "curves": {"loss": [1]}, "more": 1}', "does not hold a training history"),
    "no_epochs": ('{"epochs": [], "curves": {"loss": []}}', "lists no epochs"),
    "too_many_epochs": (
        json.dumps({"epochs": list(range(1, MAX_HISTORY_EPOCHS + 2)), "curves": {}}),
        "lists no epochs, or more",
    ),
    "epochs_not_whole": (
        '{"epochs": [1.0], "curves": {"loss": [1]}}',
        "with something other than whole numbers",
    ),
    "epochs_back": (
        '{"epochs": [1, 3, 2], "curves": {"loss": [1, 2, 3]}}',
        "does not count its epochs up from 1",
    ),
    "epoch_zero": ('{"epochs": [0, 1], "curves": {"loss": [1, 2]}}', "does not count its epochs up from 1"),
    "no_curves": ('{"epochs": [1], "curves": {}}', "holds no curves"),
    "too_many_curves": (
        json.dumps({"epochs": [1], "curves": {f"k{i}": [1] for i in range(MAX_HISTORY_KEYS + 1)}}),
        "more than 16",
    ),
    "short_curve": ('{"epochs": [1, 2], "curves": {"loss": [1]}}', "not one point per epoch"),
    "text": ('{"epochs": [1], "curves": {"loss": ["0.5"]}}', "something other than numbers"),
    "booleans": ('{"epochs": [1], "curves": {"loss": [true]}}', "something other than numbers"),
    "nan": ('{"epochs": [1], "curves": {"loss": [NaN]}}', "not a finite number"),
    "infinity": ('{"epochs": [1], "curves": {"loss": [1e999]}}', "not a finite number"),
    "huge_whole_number": ('{"epochs": [1], "curves": {"loss": [1' + "0" * 400 + "]}}", "not a finite number"),
    "long_name": ('{"epochs": [1], "curves": {"' + "k" * 61 + '": [1]}}', "a name too long"),
    "not_json": ("{", "is not JSON"),
    "too_large": (" " * (MAX_HISTORY_BYTES + 1), "more than the grader reads"),
}


@pytest.mark.parametrize("case", list(BROKEN_HISTORIES))
def test_a_history_the_export_never_writes_is_refused_and_not_drawn(tmp_path, case):
    text, message = BROKEN_HISTORIES[case]
    folder = exported(tmp_path, "hello_nets", {"model": with_history(hello_model(), loss=[1.0])})
    assert [f.title for f in exercise_figures("hello_nets", folder)] == [CURVE_TITLE]
    (folder / "model__history.json").write_text(text, encoding="utf-8")
    entry = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["model"]
    with pytest.raises(ExportError, match=re.escape(message)):
        read_history(folder, entry)
    assert exercise_figures("hello_nets", folder) == []


# nothing to draw ------------------------------------------------------------------------------


LAYERS = {  # each exercise's inputs and layers, as its instructions say
    "meteor_orbit": (1, [(50, "relu"), (50, "relu"), (50, "relu"), (1, None)]),
    "dollar_bills": (4, [(1, "sigmoid")]),
    "darts": (2, [(128, "relu"), (64, "relu"), (32, "relu"), (4, "softmax")]),
    "irrigation": (20, [(64, "relu"), (3, "sigmoid")]),
}


def nan_weights(model: keras.Model) -> keras.Model:
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    return model


BROKEN_MODELS = {
    "no_model": lambda inputs, layers: None,
    "text": lambda inputs, layers: "model",
    "array": lambda inputs, layers: np.zeros((3, 3)),
    "nan_weights": lambda inputs, layers: nan_weights(dense(inputs, *layers)),
    "a_layer_short": lambda inputs, layers: dense(inputs, *layers[:-1]),
    "never_built": lambda inputs, layers: keras.Sequential(
        [keras.layers.Dense(u, activation=a) for u, a in layers]
    ),
}


@pytest.mark.parametrize("exercise_id", list(LAYERS))
@pytest.mark.parametrize("case", list(BROKEN_MODELS))
def test_a_model_that_cannot_be_drawn_gives_no_figure_of_it(tmp_path, exercise_id, case):
    """Only the model is exported: every figure of these exercises needs it, but the pairplot of
    dollar_bills, which needs X_test (next test)."""
    model = BROKEN_MODELS[case](*LAYERS[exercise_id])
    assert drawn(tmp_path, exercise_id, {} if model is None else {"model": model}) == []


@pytest.mark.parametrize(
    "x_test", [np.empty((0, 4)), np.zeros((10, 4)), "text"], ids=["empty", "not_banknotes", "text"]
)
def test_a_test_part_that_is_not_of_banknotes_csv_gives_no_pairplot(tmp_path, drawing, x_test):
    figures = drawn(tmp_path, "dollar_bills", {**drawing("dollar_bills").namespace, "X_test": x_test})
    assert [f.title for f in figures] == [titled(figures, ANSWERS).title]


def test_no_export_gives_no_figure(tmp_path, drawing):
    (tmp_path / "empty").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "manifest.json").write_text("{", encoding="utf-8")
    for folder in (None, tmp_path / "empty", tmp_path / "broken", tmp_path / "missing"):
        assert exercise_figures("darts", folder) == []
    assert exercise_figures("no_such_exercise", drawing("darts").folder) == []
    assert exercise_figures("hello_nets", exported(tmp_path, "hello_nets", {"model": hello_model()})) == []


# held-out data --------------------------------------------------------------------------------


def answers(model: keras.Model, x: np.ndarray) -> np.ndarray:
    """The model's answer for each example: its class, or its 0/1 for each output."""
    given = predict(model, x)
    return np.argmax(given, axis=1)[:, None] if given.shape[1] == 4 else given > 0.5


def moved(exercise_id: str, model: keras.Model) -> data.HeldOut:
    """The held-out data with most rows moved a little where the model's answer for the row stays
    the same: every total (counts, accuracies) is as before, the rows are not."""
    held = data.heldout(exercise_id)
    x = held.x + np.random.default_rng(1).normal(0, 0.1 * held.x.std(axis=0), held.x.shape)
    kept = (answers(model, x) == answers(model, held.x)).all(axis=1)
    assert kept.mean() > 0.5, "too few rows moved for this test to mean anything"
    return data.HeldOut(np.where(kept[:, None], x, held.x), held.y)


def pixels(figure: Figure) -> np.ndarray:
    return imread(io.BytesIO(figure.png), format="png")


@pytest.mark.parametrize("exercise_id", ["dollar_bills", "darts", "irrigation"])
def test_held_out_rows_reach_a_learner_figure_only_as_totals(drawing, monkeypatch, exercise_id):
    reference = drawing(exercise_id)
    real, other = data.heldout(exercise_id), moved(exercise_id, reference.namespace["model"])
    monkeypatch.setattr(data, "heldout", lambda exercise: other if exercise == exercise_id else real)
    after = exercise_figures(exercise_id, reference.folder)
    assert len(reference.figures) == len(after) >= 1
    for first, second in zip(reference.figures, after, strict=True):
        assert (first.title, first.alt) == (second.title, second.alt)
        assert np.array_equal(pixels(first), pixels(second)), f"{first.title} shows held-out rows"
        written = first.title + first.alt
        assert [v for v in np.concatenate([real.x, other.x]).reshape(-1) if f"{v:.4f}" in written] == []


def test_the_instructors_copy_shows_the_held_out_throws(drawing, monkeypatch):
    """The same comparison on the instructor's decision regions, which draw the held-out throws,
    tells the moved rows apart: the test above can fail."""
    reference = drawing("darts")
    before = titled(exercise_figures("darts", reference.folder, instructor=True), REGIONS)
    other = moved("darts", reference.namespace["model"])
    monkeypatch.setattr(data, "heldout", lambda exercise: other)
    after = titled(exercise_figures("darts", reference.folder, instructor=True), REGIONS)
    assert "Held-out throws are drawn as crosses." in before.alt
    assert not np.array_equal(pixels(before), pixels(after))


def test_without_held_out_data_only_its_figures_are_left_out(drawing, monkeypatch):
    """The learner package has no held-out data (course/data.heldout raises): the confusion matrix
    is left out, and the instructor's regions have no held-out throws to show."""

    def no_heldout(exercise_id):
        raise CourseError(
            f"the held-out data of {exercise_id} is only in the instructor's copy of the course"
        )

    reference = drawing("darts")
    monkeypatch.setattr(data, "heldout", no_heldout)
    monkeypatch.setattr(data, "heldout_available", lambda: False)
    regions = exercise_figures("darts", reference.folder, instructor=True)
    assert [f.title for f in regions] == [REGIONS]
    assert np.array_equal(pixels(regions[0]), pixels(titled(reference.figures, REGIONS)))


def test_reading_figures_imports_no_plotting_library_until_one_is_drawn():
    """Grading without --html pays nothing for the figures: their modules import neither
    matplotlib nor seaborn (nor TensorFlow) until a figure is drawn."""
    code = (
        "import sys, keras_course.grade.figures, keras_course.report.plots\n"
        "print(sorted(m for m in ('matplotlib', 'seaborn', 'tensorflow', 'keras') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("exercise_id", ["dollar_bills", "darts"])
def test_a_figure_drawn_from_held_out_totals_says_so_and_keeps_it_in_its_section(drawing, exercise_id):
    """Gradescope's report leaves out before the due date what Figure.heldout marks."""
    figures = drawing(exercise_id).figures
    marked = {f.title: f.heldout for f in figures}
    assert any(marked.values()) and not all(marked.values()), marked
    assert all(f.heldout == ("never seen" in f.title) for f in figures), marked
    again = Section.from_json(Section(None, "", tuple(figures), "").to_json())
    assert [f.heldout for f in again.figures] == [f.heldout for f in figures]


@pytest.mark.parametrize("exercise_id", ["dollar_bills", "darts", "irrigation"])
def test_a_learners_html_report_is_the_same_whatever_the_held_out_rows_behind_its_totals(
    drawing, monkeypatch, exercise_id
):
    """The whole learner report (report/html_report.py), its text and its images' bytes, drawn
    with the held-out rows moved where the totals stay the same: byte for byte the same page, and
    no held-out value or row written in its text."""
    reference, exercise = drawing(exercise_id), load_course().exercise(exercise_id)
    result = Result("ann", exercise_id, 0.0, exercise.max_score, None, [])

    def page(figures: list[Figure]) -> str:
        section = Section(None, "", tuple(figures), "")
        return learner_report("Report", "The report of ann", [Part(exercise, result, section)])

    real, other = data.heldout(exercise_id), moved(exercise_id, reference.namespace["model"])
    monkeypatch.setattr(data, "heldout", lambda exercise: other if exercise == exercise_id else real)
    before, after = page(reference.figures), page(exercise_figures(exercise_id, reference.folder))
    assert before.count("data:image/png;base64,") == len(reference.figures) >= 1
    assert before == after
    text = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", before)
    assert [v for v in np.concatenate([real.x, other.x]).reshape(-1) if f"{v:.4f}" in text] == []
    rows = [" ".join(f"{v:g}" for v in row) for row in real.x[:50]]
    assert [row for row in rows if row in text] == []
    if exercise_id == "darts":  # the comparison tells a page that draws held-out throws apart
        assert page(exercise_figures(exercise_id, reference.folder, instructor=True)) != after
