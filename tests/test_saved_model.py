"""The model export and its reader, and the shared checks, against models that real Keras builds.

Each model goes through the real export (notebook_checks.export_run, the code of the export
cell) and is read back by saved_model.read_saved_model or Submission.model, as a grader does.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import keras  # a dependency of the course: its absence is a failure, not a skip
import numpy as np
import pytest
from keras_course.artifacts.saved_model import ACTIVATIONS, read_saved_model
from keras_course.checks import shared
from keras_course.checks.feedback import CheckFailed
from keras_course.checks.metrics import heldout_measure
from keras_course.checks.submission import Submission
from keras_course.course.config import load_course
from keras_course.course.errors import ExportError
from keras_course.course.paths import ROOT
from keras_course.grade.grading import grade_artifacts
from keras_course.run.outcome import RunResult
from run_here import export, saved


def learner_sees(folder: Path) -> str:
    """The one-line message that a check of `model` fails with, for the export in folder."""
    with pytest.raises(CheckFailed) as caught:
        Submission(load_course().exercise("darts"), RunResult(artifacts=folder)).model()
    message = str(caught.value)
    assert "\n" not in message and "`model`" in message
    return message


def darts_like(units=(128, 64, 32, 4), out="softmax"):
    layers = [keras.Input((2,))]
    layers += [keras.layers.Dense(u, activation="relu") for u in units[:-1]]
    layers.append(keras.layers.Dense(units[-1], activation=out))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def small_model():
    return keras.Sequential(
        [keras.Input((3,)), keras.layers.Dense(7, activation="relu"), keras.layers.Dense(1)]
    )


def without_shared_ids(value: object) -> object:
    """Keras's own config.json marks an object that layers share (the dtype policy) with an id."""
    if isinstance(value, dict):
        return {k: without_shared_ids(v) for k, v in value.items() if k != "shared_object_id"}
    if isinstance(value, list):
        return [without_shared_ids(v) for v in value]
    return value


def test_the_exported_settings_are_those_of_a_keras_file(tmp_path):
    model = darts_like()
    model.save(tmp_path / "model.keras")
    with zipfile.ZipFile(tmp_path / "model.keras") as archive:
        theirs = json.loads(archive.read("config.json"))
    folder, entry = export(tmp_path, model)
    ours = json.loads((folder / entry["config"]).read_text(encoding="utf-8"))
    assert ours == without_shared_ids(theirs)
    assert {"compile_config", "build_config"} <= ours.keys()


def test_numpy_forward_pass_matches_keras(tmp_path):
    keras.utils.set_random_seed(0)
    model = darts_like()
    x = np.random.default_rng(0).uniform(-1, 1, (50, 2)).astype("float32")
    ours = saved(tmp_path, model).predict(x)
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_a_flat_array_is_one_input_per_example_as_in_keras(tmp_path):
    """The meteor notebook predicts with `model.predict(np.arange(-10, 11))`: whole minutes, one
    per example, in a flat array."""
    model = keras.Sequential(
        [keras.Input((1,)), keras.layers.Dense(2, activation="relu"), keras.layers.Dense(1)]
    )
    model.set_weights(
        [np.array([[1.0, -2.0]]), np.array([0.5, 1.0]), np.array([[3.0], [1.0]]), np.array([0.25])]
    )
    minutes = np.arange(-10, 11)
    ours = saved(tmp_path, model).predict(minutes)
    assert ours.shape == (21, 1)
    np.testing.assert_allclose(ours, model.predict(minutes, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_each_activation_the_grader_computes_matches_keras(tmp_path, activation):
    """Over outputs from -6 to 6: a grader's sigmoid scaled or shifted would still round the
    same at 0.5, so only the probabilities themselves tell it apart."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(3, activation=activation)])
    model.set_weights([np.array([[1.0, 2.0, -3.0]]), np.array([0.0, 0.5, -0.5])])
    x = np.linspace(-2, 2, 9, dtype="float32").reshape(-1, 1)
    ours = saved(tmp_path, model).predict(x)
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)


def test_softmax_of_far_apart_outputs_matches_keras(tmp_path):
    """A model whose outputs lie a thousand apart (large weights, as a training run with a huge
    learning rate leaves them) still gets probabilities, not NaN: each example's softmax is
    shifted by that example's own largest output."""
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(3, activation="softmax")])
    model.set_weights([np.array([[1000.0, 0.0, -1000.0]]), np.zeros(3)])
    x = np.array([[1.0], [-1.0], [0.0]], dtype="float32")
    ours = saved(tmp_path, model).predict(x)
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), atol=1e-6)


def test_reads_structure_parameters_and_compile(tmp_path):
    model = saved(tmp_path, darts_like())
    assert [layer.units for layer in model.layers] == [128, 64, 32, 4]
    assert model.input_shape == (2,)
    assert model.count_params() == darts_like().count_params()
    shared.expect_dense_units(model, [128, 64, 32, 4])
    shared.expect_activations(model, ["relu", "relu", "relu", "softmax"])
    shared.expect_compile(model, "adam", "categorical_crossentropy", ["accuracy"])


def test_wrong_units_message_names_the_layer_and_argument(tmp_path):
    model = saved(tmp_path, darts_like(units=(128, 32, 32, 4)))
    with pytest.raises(CheckFailed) as caught:
        shared.expect_dense_units(model, [128, 64, 32, 4])
    assert str(caught.value) == (
        "Layer 2 should have 64 units; yours has 32. Check the first argument of your second Dense layer."
    )


def test_input_shape_keyword_and_input_layer_read_the_same(tmp_path):
    a = keras.Sequential([keras.layers.Dense(3, input_shape=(2,), activation="relu")])
    b = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation=keras.activations.relu)])
    ra, rb = saved(tmp_path, a, "a"), saved(tmp_path, b, "b")
    assert ra.input_shape == rb.input_shape == (2,)
    assert ra.layers[0].activation == rb.layers[0].activation == "relu"
    assert ra.built and rb.built and ra.count_params() == rb.count_params() == 9


def test_dropout_passes_through(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((2,)),
            keras.layers.Dense(5, activation="relu"),
            keras.layers.Dropout(0.5),
            keras.layers.Dense(1),
        ]
    )
    read = saved(tmp_path, model)
    assert [layer.class_name for layer in read.layers] == ["Dense", "Dropout", "Dense"]
    shared.expect_dense_units(read, [5, 1])
    shared.expect_parameters(read, 21)
    x = np.random.default_rng(1).uniform(-1, 1, (10, 2)).astype("float32")
    np.testing.assert_allclose(read.predict(x), model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_unbuilt_and_uncompiled_model_fail_with_their_own_messages(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)])
    read = saved(tmp_path, model)
    with pytest.raises(CheckFailed, match="does not know the shape of its input"):
        shared.expect_input_shape(read, 2)
    with pytest.raises(CheckFailed, match="has not been built"):
        shared.expect_parameters(read, 13)
    with pytest.raises(CheckFailed, match="was not compiled"):
        shared.expect_compile(read, "adam", "mse")
    with pytest.raises(ExportError, match="^the model was never built, so it has no weights$"):
        read.predict(np.zeros((1, 2)))


def test_a_built_model_that_was_not_compiled_says_so(tmp_path):
    read = saved(tmp_path, small_model())
    shared.expect_parameters(read, 36)
    with pytest.raises(CheckFailed, match="was not compiled"):
        shared.expect_compile(read, "adam", "mse")


def test_optimizer_and_loss_objects_count_as_their_names(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(), loss=keras.losses.BinaryCrossentropy(), metrics=["acc"])
    shared.expect_compile(saved(tmp_path, model), "sgd", "binary_crossentropy", ["accuracy"])
    with pytest.raises(CheckFailed, match="optimizer='adam'; yours uses 'sgd'"):
        shared.expect_compile(saved(tmp_path, model, "m2"), "adam", "binary_crossentropy")


@pytest.mark.parametrize("registered", [True, False], ids=["registered", "not_registered"])
def test_custom_layer_is_reported_as_custom(tmp_path, registered):
    class Fake(keras.layers.Dense):
        pass

    if registered:
        Fake = keras.saving.register_keras_serializable(package="learner")(Fake)
    model = keras.Sequential([keras.Input((2,)), Fake(10, activation="relu"), keras.layers.Dense(1)])
    folder, _ = export(tmp_path, model)
    assert saved(tmp_path, model, "again").custom_classes == ("Fake",)
    assert learner_sees(folder).startswith(
        "`model` uses custom classes (Fake) that the grader does not load."
    )


def test_a_functional_model_reads_as_its_sequential_twin(tmp_path):
    """The functional API (`keras.Model(inputs, outputs)`) is Keras's own, not a custom class."""
    inputs = keras.Input((3,))
    outputs = keras.layers.Dense(1)(keras.layers.Dense(7, activation="relu")(inputs))
    functional = keras.Model(inputs, outputs)
    read = saved(tmp_path, functional)
    assert read.custom_classes == ()
    assert shared.expect_dense_units(read, [7, 1]) == "Layers: Dense(7), Dense(1)."
    assert shared.expect_input_shape(read, 3) == "The model takes input shape (3,)."
    x = np.random.default_rng(2).uniform(-1, 1, (10, 3)).astype("float32")
    np.testing.assert_allclose(read.predict(x), functional.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_a_custom_model_class_is_named_before_its_custom_layers(tmp_path):
    @keras.saving.register_keras_serializable(package="learner")
    class OwnLayer(keras.layers.Dense):
        pass

    @keras.saving.register_keras_serializable(package="learner")
    class OwnModel(keras.Sequential):
        pass

    model = OwnModel([keras.Input((2,)), OwnLayer(10, activation="relu"), keras.layers.Dense(1)])
    folder, _ = export(tmp_path, model)
    assert learner_sees(folder).startswith(
        "`model` uses custom classes (OwnModel, OwnLayer) that the grader does not load."
    )


def test_a_dense_layer_that_lies_about_its_units_is_caught_by_its_weights(tmp_path):
    class Disguised(keras.layers.Dense):
        def get_config(self):
            return {**super().get_config(), "units": 5}

    Disguised.__name__ = Disguised.__qualname__ = "Dense"
    Disguised.__module__ = "keras.layers"
    folder, _ = export(tmp_path, keras.Sequential([keras.Input((3,)), Disguised(7), keras.layers.Dense(1)]))
    assert learner_sees(folder) == (
        "`model` could not be read back: the saved model does not add up: layer 1 says it has 5 units, "
        "but its weights are those of 7."
    )


def test_nan_weights_fail_the_heldout_check(tmp_path):
    model = small_model()
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    read = saved(tmp_path, model)
    assert read.built and not read.finite
    with pytest.raises(CheckFailed, match="weights hold NaN or infinite values"):
        heldout_measure("dollar_bills", read)


def edit_settings(folder: Path, entry: dict, change) -> None:
    """Run change(settings) on the settings file of an export, as an edit by hand would."""
    config_file = folder / entry["config"]
    config = json.loads(config_file.read_text(encoding="utf-8"))
    change(config)
    config_file.write_text(json.dumps(config), encoding="utf-8")


@pytest.mark.parametrize("dropout_first", [False, True], ids=["dense_first", "dropout_first"])
def test_too_many_parameters_in_the_settings_are_refused_before_any_weight_is_read(tmp_path, dropout_first):
    """A layer in front that the count passes over (a Dropout) hides nothing."""
    model = small_model()
    if dropout_first:
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.1), *model.layers])
    folder, entry = export(tmp_path, model)

    def widen_the_first_dense_layer(config: dict) -> None:
        first_dense = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
        first_dense["config"]["units"] = 100_000_000

    edit_settings(folder, entry, widen_the_first_dense_layer)
    for weights in folder.glob("*.npy"):
        weights.unlink()  # the refusal comes before the reader looks for them
    assert learner_sees(folder) == (
        "`model` could not be read back: the model has 500,000,001 parameters, more than the grader "
        "reads (10,000,000); the exercise needs a few thousand at most."
    )


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        (10_000_001, "the model has 10,000,001 parameters, more than the grader reads (10,000,000); "),
        (10_000_000, "the saved model does not add up: layer 1's weights are not a matrix"),
    ],
    ids=["one_too_many", "as_many_as_read"],
)
def test_weight_files_of_more_parameters_than_the_settings_say_are_refused(tmp_path, parameters, message):
    """Settings of 36 parameters whose first weight file, edited by hand, holds millions: the
    files' own count is checked too, over all of them, and the limit is the grader's to read."""
    folder, entry = export(tmp_path, small_model())
    others = 36 - 3 * 7
    np.save(folder / entry["weights"][0][0], np.zeros(parameters - others, dtype=np.uint8))
    assert message in learner_sees(folder)


def tampered(tmp_path: Path, change) -> Path:
    """The export of small_model() after change(first weight file) ran on it."""
    folder, entry = export(tmp_path, small_model())
    change(folder / entry["weights"][0][0])
    return folder


def test_a_weight_file_whose_header_lies_about_its_size_is_refused(tmp_path):
    def lie(path: Path) -> None:  # says a billion numbers, holds 21
        body = path.read_bytes()[-21 * 4 :]
        with path.open("wb") as handle:
            np.lib.format.write_array_header_1_0(
                handle, {"descr": "<f4", "fortran_order": False, "shape": (31623, 31623)}
            )
            handle.write(body)

    assert learner_sees(tampered(tmp_path, lie)) == (
        "`model` could not be read back: model__0_0.npy is not a plain array "
        "(its header does not match its size)."
    )


def test_a_pickled_weight_file_is_not_unpickled(tmp_path):
    def pickle(path: Path) -> None:
        np.save(path, np.array([{"run": "code"}], dtype=object), allow_pickle=True)

    assert learner_sees(tampered(tmp_path, pickle)) == (
        "`model` could not be read back: model__0_0.npy is not a plain array (it holds Python objects)."
    )


def test_weight_files_of_text_are_refused(tmp_path):
    def text(path: Path) -> None:
        np.save(path, np.array(["a", "b"]), allow_pickle=False)

    assert learner_sees(tampered(tmp_path, text)) == (
        "`model` could not be read back: its file model__0_0.npy holds something other than numbers."
    )


def test_a_weight_file_that_is_a_link_is_not_followed(tmp_path):
    def link(path: Path) -> None:  # to a real weight file of the right shape
        path.rename(path.with_name("elsewhere.npy"))
        path.symlink_to(path.with_name("elsewhere.npy"))

    assert learner_sees(tampered(tmp_path, link)) == (
        "`model` could not be read back: its file model__0_0.npy is not a plain file."
    )


# Weight files edited by hand, in the export of 3 inputs -> Dense(7) -> Dropout -> Dense(1) ->
# BatchNormalization -> Dense(2): the weights must be those that the settings say, for each Dense
# layer, across the Dropout, and after a layer that the grader does not compute.
FORGED_WEIGHTS = {
    "input_width": (2, 0, np.zeros((6, 1)), "layer 3's weights take 6 inputs, but 7 come into it"),
    "model_input_width": (0, 0, np.zeros((4, 7)), "layer 1's weights take 4 inputs, but 3 come into it"),
    "bias_width": (0, 1, np.zeros(6), "layer 1 has odd biases"),
    "third_array": (0, 2, np.zeros(7), "layer 1 has odd biases"),
    "flat_kernel": (0, 0, np.zeros(21), "layer 1's weights are not a matrix"),
    "after_other_layer": (4, 1, np.zeros(3), "layer 5 has odd biases"),
}


@pytest.mark.parametrize("name", list(FORGED_WEIGHTS))
def test_weights_that_do_not_add_up_are_refused(tmp_path, name):
    layer, index, array, message = FORGED_WEIGHTS[name]
    model = keras.Sequential(
        [
            keras.Input((3,)),
            keras.layers.Dense(7),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(1),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(2),
        ]
    )
    folder, entry = export(tmp_path, model)
    files = entry["weights"][layer]
    if index == len(files):
        files.append("model__extra.npy")
        (folder / "manifest.json").write_text(json.dumps({"model": entry}), encoding="utf-8")
    np.save(folder / files[index], array.astype("float32"))
    assert (
        learner_sees(folder) == f"`model` could not be read back: the saved model does not add up: {message}."
    )


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"config": "../export_model/model__config.json"}, "the export named a file '../export_model/"),
        ({"weights": [["/etc/passwd"], []]}, "the export named a file '/etc/passwd', not one of its own"),
        ({"weights": [["model__0_0.npy", "model__0_1.npy"]]}, "its weight files are not listed for each"),
        ({"config": "model__0_0.npy"}, "its file model__0_0.npy is not JSON"),
        ({"weights": [["model__0_0.npy"] * 1001, []]}, "more weight files than the grader reads (1000)"),
        ({"weights": [["model__0_0.npy"] * 1000, []]}, "layer 1 has odd biases"),  # 1000 are read
    ],
)
def test_a_forged_model_entry_is_refused_with_a_reason(tmp_path, change, message):
    folder, entry = export(tmp_path, small_model())
    manifest = {"model": {**entry, **change}}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    assert message in learner_sees(folder)


def test_grading_an_exported_model_needs_no_hdf5_or_zip_parser(tmp_path):
    folder, _ = export(tmp_path, darts_like())
    result = grade_artifacts(folder, "darts", here=True)
    passed = {check.name for check in result.checks if check.passed}
    assert {"layers", "activations", "input_shape", "compile"} <= passed

    code = (
        "import sys; from pathlib import Path\n"
        "import keras_course.checks.shared, keras_course.checks.metrics, keras_course.plugin\n"
        "from keras_course.course.config import load_course\n"
        "from keras_course.run.runner import RunResult\n"
        "from keras_course.checks.submission import Submission\n"
        f"run = RunResult(artifacts=Path({str(folder)!r}))\n"
        "model = Submission(load_course().exercise('darts'), run).model()\n"
        "print(model.count_params(), sorted({'h5py', 'keras', 'tensorflow'} & set(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == [str(darts_like().count_params()), "[]"]


@pytest.mark.parametrize("dimension", [2.5, True, "3"], ids=["fraction", "bool", "text"])
def test_a_shape_of_other_than_whole_numbers_is_no_shape(tmp_path, dimension):
    """Settings edited by hand: an input shape is read only if it holds whole numbers."""
    folder, entry = export(tmp_path, small_model())
    assert read_saved_model(folder, entry).input_shape == (3,)

    def reshape(config: dict) -> None:
        config["config"]["layers"][0]["config"]["batch_shape"] = [None, dimension]

    edit_settings(folder, entry, reshape)
    assert read_saved_model(folder, entry).input_shape is None


def test_a_model_entry_without_settings_is_refused(tmp_path):
    folder, entry = export(tmp_path, small_model())
    (folder / entry["config"]).write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ExportError, match="its file model__config.json does not hold a model's settings"):
        read_saved_model(folder, entry)
