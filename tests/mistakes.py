"""Realistic learner mistakes and correct variants, made by editing the reference solutions.

Each Variant names the exercise, the edits (exact text of the solution and what replaces it),
and the checks it must fail. A mistake's `fails` is the exact set of checks that lose points,
and `message` is a piece of the feedback of the first of them. Correct variants fail nothing.
`trains` says that the notebook still trains a model, so calibration runs it too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variant:
    exercise: str
    name: str
    edits: tuple[tuple[str, str], ...]
    fails: frozenset[str] = frozenset()
    message: str = ""
    trains: bool = False

    def apply(self, text: str) -> str:
        """The solution notebook's text with the edits made; each must match exactly once."""
        import nbformat

        nb = nbformat.reads(text, as_version=4)
        for old, new in self.edits:
            count = sum(cell.source.count(old) for cell in nb.cells)
            if count != 1:
                raise ValueError(f"{self.exercise}/{self.name}: {old!r} occurs {count} times")
            for cell in nb.cells:
                cell.source = cell.source.replace(old, new)
        return nbformat.writes(nb)

    def without_long_training(self) -> Variant:
        """For the exercises whose training takes long (LONG_TRAINING): the same variant with its
        training left out, which must also fail the checks that need a trained model. Other
        variants as they are."""
        if self.exercise not in LONG_TRAINING or not self.trains:
            return self
        fit, trained_checks = LONG_TRAINING[self.exercise]
        return Variant(
            self.exercise,
            f"{self.name}_untrained",
            (*self.edits, (fit, "")),
            self.fails | trained_checks,
            self.message,
        )


def mistake(exercise, name, old, new, fails, message, trains=False) -> Variant:
    return Variant(exercise, name, ((old, new),), frozenset(fails), message, trains)


HIDDEN_2 = 'model.add(Dense(10, input_shape=(2,), activation="relu"))'
HIDDEN_3 = 'model.add(Dense(5, input_shape=(3,), activation="relu"))'
SHOWN = 'model.add(Dense(3, input_shape=(2,), activation="relu"))'
DARTS_FIT = "model.fit(coord_train, competitors_train, epochs=200)"
IRRIGATION_FIT = "model.fit(sensors_train, parcels_train, epochs=100, validation_split=0.2)"
METEOR_FIT = "model.fit(time_steps, y_positions, epochs=30)"
# The training cell of each exercise whose training takes long in tests, and the checks that
# only a trained model passes.
LONG_TRAINING = {
    "meteor_orbit": (METEOR_FIT, {"trained_loss", "twenty_min_orbit"}),
    "darts": (DARTS_FIT, {"heldout_accuracy"}),
    "irrigation": (IRRIGATION_FIT, {"heldout_accuracy"}),
}

# fmt: off  (one mistake per line group reads as a table)
MISTAKES = [
    # hello_nets
    mistake(
        "hello_nets",
        "sigmoid_hidden",
        HIDDEN_2,
        HIDDEN_2.replace("relu", "sigmoid"),
        {"activations"},
        "Layer 1 should have activation='relu'; yours has activation='sigmoid'. "
        "Check the `activation=` argument of your first Dense layer.",
    ),
    mistake(
        "hello_nets",
        "no_hidden_activation",
        HIDDEN_2,
        "model.add(Dense(10, input_shape=(2,)))",
        {"activations"},
        "Layer 1 should have activation='relu'; yours has no activation",
    ),
    mistake(
        "hello_nets",
        "relu_output",
        "model.add(Dense(1))",
        'model.add(Dense(1, activation="relu"))',
        {"activations"},
        "Layer 2 should have no activation; yours has activation='relu'. "
        "Remove the `activation=` argument of your second Dense layer.",
    ),
    mistake(
        "hello_nets",
        "twelve_units",
        HIDDEN_2,
        HIDDEN_2.replace("10", "12"),
        {"layers", "parameters"},
        "Layer 1 should have 10 units; yours has 12",
    ),
    mistake(
        "hello_nets",
        "no_input_shape",
        HIDDEN_2,
        'model.add(Dense(10, activation="relu"))',
        {"input_shape", "parameters"},
        "does not know the shape of its input",
    ),
    # counting_parameters
    mistake(
        "counting_parameters",
        "whole_model",
        "hidden_layer_params = 20",
        "hidden_layer_params = 26",
        {"hidden_layer_params"},
        "the parameters of the whole model",
    ),
    mistake(
        "counting_parameters",
        "no_biases",
        "hidden_layer_params = 20",
        "hidden_layer_params = 15",
        {"hidden_layer_params"},
        "but not the biases",
    ),
    mistake(
        "counting_parameters",
        "as_text",
        "hidden_layer_params = 20",
        'hidden_layer_params = "20"',
        {"hidden_layer_params"},
        "should be a whole number",
    ),
    mistake(
        "counting_parameters",
        "two_inputs",
        HIDDEN_3,
        HIDDEN_3.replace("(3,)", "(2,)"),
        {"input_shape", "parameters"},
        "should take 3 inputs",
    ),
    # build_as_shown
    mistake(
        "build_as_shown",
        "tanh_hidden",
        SHOWN,
        SHOWN.replace("relu", "tanh"),
        {"activations"},
        "Layer 1 should have activation='relu'; yours has activation='tanh'",
    ),
    mistake(
        "build_as_shown",
        "sigmoid_output",
        "model.add(Dense(1))",
        'model.add(Dense(1, activation="sigmoid"))',
        {"activations"},
        "Layer 2 should have no activation",
    ),
    mistake(
        "build_as_shown",
        "four_units",
        SHOWN,
        SHOWN.replace("Dense(3", "Dense(4"),
        {"layers", "parameters"},
        "Layer 1 should have 3 units; yours has 4",
    ),
    # meteor_orbit
    mistake(
        "meteor_orbit",
        "eighty_range",
        "np.arange(-40, 41))",
        "np.arange(-40, 40))",
        {"orbit_shapes"},
        "`eighty_min_orbit` should have shape (81, 1)",
        trains=True,
    ),
    mistake(
        "meteor_orbit",
        "faked_orbit",
        "twenty_min_orbit = model.predict(np.arange(-10, 11))",
        "twenty_min_orbit = (np.arange(-10, 11) ** 2).reshape(-1, 1)",
        {"twenty_min_orbit"},
        "is not what your model predicts",
        trains=True,
    ),
    mistake(
        "meteor_orbit", "untrained", METEOR_FIT, "", {"trained_loss", "twenty_min_orbit"}, "should be at most"
    ),
    mistake(
        "meteor_orbit",
        "no_compile",
        'model.compile(optimizer="adam", loss="mse")',
        "",
        {"compile", "trained_loss", "twenty_min_orbit"},
        "Your model was not compiled",
    ),
    # dollar_bills
    mistake(
        "dollar_bills",
        "untrained",
        "model.fit(X_train, y_train, epochs=20)",
        "",
        {"heldout_accuracy"},
        "its accuracy is",
    ),
    mistake(
        "dollar_bills",
        "loss_not_accuracy",
        "accuracy = model.evaluate(X_test, y_test)[1]",
        "accuracy = model.evaluate(X_test, y_test)[0]",
        {"accuracy_variable"},
        "Set it with `accuracy = model.evaluate(X_test, y_test)[1]`",
        trains=True,
    ),
    mistake(
        "dollar_bills",
        "adam",
        'optimizer="sgd"',
        'optimizer="adam"',
        {"compile", "heldout_accuracy"},
        "should be compiled with optimizer='sgd'; yours uses 'adam'",
        trains=True,
    ),
    mistake(
        "dollar_bills",
        "two_units",
        'Dense(1, input_shape=(4,), activation="sigmoid")',
        'Dense(2, input_shape=(4,), activation="sigmoid")',
        {"layers", "heldout_accuracy", "accuracy_variable"},
        "Layer 1 should have 1 unit; yours has 2",
    ),
    mistake(
        "dollar_bills",
        "three_features",
        "input_shape=(4,)",
        "input_shape=(3,)",
        {"input_shape", "heldout_accuracy", "accuracy_variable"},
        "should take 4 inputs",
    ),
    mistake(
        "dollar_bills",
        "relu_output",
        'activation="sigmoid"',
        'activation="relu"',
        {"activations", "heldout_accuracy"},
        "should have activation='sigmoid'",
    ),
    # darts
    mistake("darts", "untrained", DARTS_FIT, "", {"heldout_accuracy"}, "its accuracy is"),
    mistake(
        "darts",
        "units_32",
        'model.add(Dense(64, activation="relu"))',
        'model.add(Dense(32, activation="relu"))',
        {"layers"},
        "Layer 2 should have 64 units; yours has 32. Check the first argument of your second Dense layer.",
        trains=True,
    ),
    mistake(
        "darts",
        "argmin",
        "preds_chosen = [np.argmax(pred) for pred in preds]",
        "preds_chosen = [np.argmin(pred) for pred in preds]",
        {"predictions"},
        "Pick each with `np.argmax(pred)`",
        trains=True,
    ),
    mistake(
        "darts",
        "no_codes",
        "darts.competitor = darts.competitor.cat.codes",
        "",
        {"encoding", "heldout_accuracy", "predictions"},
        "still holds names, not numbers",
    ),
    mistake(
        "darts",
        "no_compile",
        'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])',
        "",
        {"compile", "heldout_accuracy"},
        "Your model was not compiled",
    ),
    mistake(
        "darts",
        "sigmoid_output",
        'model.add(Dense(4, activation="softmax"))',
        'model.add(Dense(4, activation="sigmoid"))',
        {"activations"},
        "Layer 4 should have activation='softmax'; yours has activation='sigmoid'",
        trains=True,
    ),
    # irrigation
    mistake("irrigation", "untrained", IRRIGATION_FIT, "", {"heldout_accuracy"}, "its accuracy is"),
    mistake(
        "irrigation",
        "not_rounded",
        "preds_rounded = np.round(preds)",
        "preds_rounded = preds",
        {"rounded_predictions"},
        "should hold only 0 and 1",
        trains=True,
    ),
    mistake(
        "irrigation",
        "units_32",
        'model.add(Dense(64, input_shape=(20,), activation="relu"))',
        'model.add(Dense(32, input_shape=(20,), activation="relu"))',
        {"layers"},
        "Layer 1 should have 64 units; yours has 32",
        trains=True,
    ),
    mistake(
        "irrigation",
        "no_compile",
        'model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])',
        "",
        {"compile", "heldout_accuracy", "rounded_predictions"},
        "Your model was not compiled",
    ),
    mistake(
        "irrigation",
        "softmax_output",
        'model.add(Dense(3, activation="sigmoid"))',
        'model.add(Dense(3, activation="softmax"))',
        {"activations", "heldout_accuracy"},
        "Layer 2 should have activation='sigmoid'; yours has activation='softmax'",
        trains=True,
    ),
]

# The mistakes that tests/test_nbgrader.py submits through nbgrader, each failing before any
# long training; test_grading.py leaves them to that run.
END_TO_END = {
    "hello_nets": "twelve_units",
    "counting_parameters": "whole_model",
    "build_as_shown": "tanh_hidden",
    "dollar_bills": "untrained",
    "darts": "no_compile",
}


def quick_variants() -> list[Variant]:
    """The mistakes and correct variants that test_grading.py grades in `make test`: without
    their long training, and without those that test_nbgrader.py grades end to end."""
    return [v.without_long_training() for v in MISTAKES + CORRECT if END_TO_END.get(v.exercise) != v.name]


# Correct answers written another way: each must get full marks.
CORRECT = [
    Variant(
        "hello_nets",
        "tf_keras_input_and_function",
        (
            (
                "from keras.models import Sequential\nfrom keras.layers import Dense",
                "import tensorflow as tf\nfrom tensorflow.keras.models import Sequential\n"
                "from tensorflow.keras.layers import Dense, Input",
            ),
            ("model = Sequential()", "model = Sequential([Input(shape=(2,))])"),
            (HIDDEN_2, "model.add(Dense(10, activation=tf.keras.activations.relu))"),
        ),
    ),
    Variant(
        "build_as_shown",
        "list_form",
        (
            (
                "model = Sequential()",
                'model = Sequential([Dense(3, input_shape=(2,), activation="relu"), Dense(1)])',
            ),
            (SHOWN, ""),
            ("model.add(Dense(1))", ""),
        ),
    ),
    Variant(
        "dollar_bills",
        "optimizer_object",
        (
            ('optimizer="sgd"', "optimizer=keras.optimizers.SGD()"),
            ("model = Sequential()", "import keras\nmodel = Sequential()"),
        ),
        trains=True,
    ),
]
# fmt: on
