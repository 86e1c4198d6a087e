"""The .keras reader and the shared checks, against models that real Keras builds and saves."""

from __future__ import annotations

import keras  # a dependency of the course: its absence is a failure, not a skip
import numpy as np
import pytest
from keras_course import checks
from keras_course.feedback import CheckFailed
from keras_course.keras_file import read_keras_file


def saved(tmp_path, model, name="model"):
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return read_keras_file(path)


def darts_like(units=(128, 64, 32, 4), out="softmax"):
    layers = [keras.Input((2,))]
    layers += [keras.layers.Dense(u, activation="relu") for u in units[:-1]]
    layers.append(keras.layers.Dense(units[-1], activation=out))
    model = keras.Sequential(layers)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_numpy_forward_pass_matches_keras(tmp_path):
    keras.utils.set_random_seed(0)
    model = darts_like()
    x = np.random.default_rng(0).uniform(-1, 1, (50, 2)).astype("float32")
    ours = saved(tmp_path, model).predict(x)
    np.testing.assert_allclose(ours, model.predict(x, verbose=0), rtol=1e-4, atol=1e-5)


def test_reads_structure_parameters_and_compile(tmp_path):
    model = saved(tmp_path, darts_like())
    assert [layer.units for layer in model.layers] == [128, 64, 32, 4]
    assert model.input_shape == (2,)
    assert model.count_params() == darts_like().count_params()
    checks.expect_dense_units(model, [128, 64, 32, 4])
    checks.expect_activations(model, ["relu", "relu", "relu", "softmax"])
    checks.expect_compile(model, "adam", "categorical_crossentropy", ["accuracy"])


def test_wrong_units_message_names_the_layer_and_argument(tmp_path):
    model = saved(tmp_path, darts_like(units=(128, 32, 32, 4)))
    with pytest.raises(CheckFailed) as caught:
        checks.expect_dense_units(model, [128, 64, 32, 4])
    assert str(caught.value) == (
        "Layer 2 should have 64 units; yours has 32. Check the first argument of your second Dense layer."
    )


def test_input_shape_keyword_and_input_layer_read_the_same(tmp_path):
    a = keras.Sequential([keras.layers.Dense(3, input_shape=(2,), activation="relu")])
    b = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(3, activation=keras.activations.relu)])
    ra, rb = saved(tmp_path, a, "a"), saved(tmp_path, b, "b")
    assert ra.input_shape == rb.input_shape == (2,)
    assert ra.layers[0].activation == rb.layers[0].activation == "relu"


def test_unbuilt_and_uncompiled_model_fail_with_their_own_messages(tmp_path):
    model = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)])
    read = saved(tmp_path, model)
    with pytest.raises(CheckFailed, match="does not know the shape of its input"):
        checks.expect_input_shape(read, 2)
    with pytest.raises(CheckFailed, match="has not been built"):
        checks.expect_parameters(read, 13)
    with pytest.raises(CheckFailed, match="was not compiled"):
        checks.expect_compile(read, "adam", "mse")


def test_optimizer_and_loss_objects_count_as_their_names(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.SGD(), loss=keras.losses.BinaryCrossentropy(), metrics=["acc"])
    checks.expect_compile(saved(tmp_path, model), "sgd", "binary_crossentropy", ["accuracy"])
    with pytest.raises(CheckFailed, match="optimizer='adam'; yours uses 'sgd'"):
        checks.expect_compile(saved(tmp_path, model, "m2"), "adam", "binary_crossentropy")


def test_custom_layer_is_reported_as_custom(tmp_path):
    @keras.saving.register_keras_serializable(package="learner")
    class Fake(keras.layers.Dense):
        pass

    model = keras.Sequential([keras.Input((2,)), Fake(10, activation="relu"), keras.layers.Dense(1)])
    read = saved(tmp_path, model)
    assert read.custom_classes == ("Fake",)
