"""Submissions that lack what a check checks, made by editing the reference solutions.

Every check must fail when its subject is missing or cut short, with a message that names what
is missing. Each Lacking variant below is one learner's notebook: its `kinds` say what it lacks
(KINDS), and `fails` maps every check that must fail to a piece of its message; every other
check must pass. A variant may also carry a mistake that another check alone reads (say, a
wrong `hidden_layer_params` beside a model without layers), so that one run tests several
checks. The training of every exercise is left out (QUICK_EDITS), so these run in about a
second each; the checks that need a trained model fail, and say why.

test_verdicts.py grades them, and checks that every check of every exercise meets every kind
of lack that applies to it (see REQUIRED_KINDS there).
"""

from __future__ import annotations

from dataclasses import dataclass

from mistakes import DARTS_FIT, HIDDEN_2, HIDDEN_3, IRRIGATION_FIT, METEOR_FIT, SHOWN, Variant

KINDS = {
    "no_layers": "a model without layers (its first layer's line stopped with an error)",
    "one_fewer": "a model with one layer fewer",
    "one_more": "a model with one layer more",
    "wrong_type": "a variable of the wrong type",
    "wrong_shape": "an array of the wrong shape",
}

DOLLAR_FIT = "model.fit(X_train, y_train, epochs=20)"
DOLLAR_PLOT = "sns.pairplot(banknotes, hue='class')\nplt.show()"
METEOR_PLOTS = (("plot_orbit(twenty_min_orbit)", ""), ("plot_orbit(eighty_min_orbit)", ""))
# Left out of every variant: the training and the plots, which take seconds and are not graded.
QUICK_EDITS = {
    "meteor_orbit": ((METEOR_FIT, ""), *METEOR_PLOTS),
    "darts": ((DARTS_FIT, ""),),
    "irrigation": ((IRRIGATION_FIT, ""),),
    "dollar_bills": ((DOLLAR_FIT, ""), (DOLLAR_PLOT, "")),
}


@dataclass(frozen=True)
class Lacking:
    exercise: str
    name: str
    kinds: tuple[str, ...]
    edits: tuple[tuple[str, str], ...]
    fails: dict[str, str]  # check -> a piece of its message

    @property
    def id(self) -> str:
        return f"{self.exercise}/{self.name}"

    def apply(self, text: str) -> str:
        edits = (*self.edits, *QUICK_EDITS.get(self.exercise, ()))
        return Variant(self.exercise, self.name, edits).apply(text)


NO_LAYERS = (
    "Your model has no layers. Add the layers of the instructions with `model.add(Dense(...))`; "
    "if the cell that adds them stopped with an error, fix that first."
)
# The second sentence of a message, which says what to do.
ADD_DENSE = " Add one Dense layer for each layer in the instructions."
SEE_SUMMARY = " model.summary() lists them by layer: check the units and the input shape."
NOT_BUILT = (
    "Your model has not been built, so it has no parameters yet. "
    "Give the first layer an input shape; then model.summary() shows the count."
)
NOT_A_MODEL = "`model` should be a Keras model; yours is a NoneType"
UNTRAINED = "its accuracy is"  # the untrained classifiers' held-out accuracy is too low

OUTPUT_1 = "model.add(Dense(1))"
BILL = 'model.add(Dense(1, input_shape=(4,), activation="sigmoid"))'
METEOR_FIRST = 'model.add(Dense(50, input_shape=(1,), activation="relu"))'
DARTS_FIRST = 'model.add(Dense(128, input_shape=(2,), activation="relu"))'
DARTS_OUTPUT = 'model.add(Dense(4, activation="softmax"))'
DARTS_COMPILE = 'model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])'
DARTS_DROP = 'coordinates = darts.drop(["competitor"], axis=1)'
DARTS_ONE_HOT = "competitors = to_categorical(darts.competitor)"
DARTS_PICK = "preds_chosen = [np.argmax(pred) for pred in preds]"
IRRIGATION_FIRST = 'model.add(Dense(64, input_shape=(20,), activation="relu"))'
IRRIGATION_OUTPUT = 'model.add(Dense(3, activation="sigmoid"))'
IRRIGATION_COMPILE = 'model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])'
ROUNDED = "preds_rounded = np.round(preds)"
TWENTY = "twenty_min_orbit = model.predict(np.arange(-10, 11))"


def no_layers(exercise: str, first_layer: str, inputs: int, fails: dict[str, str], *also) -> Lacking:
    """`input_shape=(2)` instead of `(2,)`: Keras cannot make the first layer, and the rest of
    the cell does not run, so the model has no layers."""
    broken = first_layer.replace(f"input_shape=({inputs},)", f"input_shape=({inputs})")
    return Lacking(exercise, "no_layers", ("no_layers",), ((first_layer, broken), *also), fails)


def model_checks(message: str, *checks: str) -> dict[str, str]:
    return dict.fromkeys(checks, message)


SHARED = ("layers", "activations", "input_shape", "parameters")
COMPILED = ("layers", "activations", "input_shape", "compile")

# fmt: off  (one variant per block reads as a table)
LACKING = [
    # hello_nets: a Dense(10) relu layer on 2 inputs, then Dense(1)
    no_layers("hello_nets", HIDDEN_2, 2, model_checks(NO_LAYERS, *SHARED)),
    Lacking(
        "hello_nets",
        "no_hidden_layer",
        ("one_fewer",),
        ((HIDDEN_2, ""),),
        {
            "layers": "Your model should have 2 Dense layers; yours has 1 layer." + ADD_DENSE,
            "activations": "Your model should have 2 Dense layers; yours has 1 layer." + ADD_DENSE,
            "input_shape": "Your model does not know the shape of its input.",
            "parameters": NOT_BUILT,
        },
    ),
    Lacking(
        "hello_nets",
        "extra_hidden_layer",
        ("one_more",),
        ((OUTPUT_1, 'model.add(Dense(10, activation="relu"))\n' + OUTPUT_1),),
        {
            "layers": "Your model should have 2 Dense layers; yours has 3 layers." + ADD_DENSE,
            "activations": "Your model should have 2 Dense layers; yours has 3 layers." + ADD_DENSE,
            "parameters": "Your model should have 41 parameters; yours has 151." + SEE_SUMMARY,
        },
    ),
    Lacking(
        "hello_nets",
        "summary_as_model",
        ("wrong_type",),
        (("model.summary()", "model = model.summary()"),),
        model_checks(NOT_A_MODEL, *SHARED),
    ),
    # build_as_shown: a Dense(3) relu layer on 2 inputs, then Dense(1)
    no_layers("build_as_shown", SHOWN, 2, model_checks(NO_LAYERS, *SHARED)),
    Lacking(
        "build_as_shown",
        "no_hidden_layer",
        ("one_fewer",),
        ((SHOWN, ""),),
        {
            "layers": "Your model should have 2 Dense layers; yours has 1 layer." + ADD_DENSE,
            "activations": "Your model should have 2 Dense layers; yours has 1 layer." + ADD_DENSE,
            "input_shape": "Your model does not know the shape of its input.",
            "parameters": "Your model has not been built",
        },
    ),
    Lacking(
        "build_as_shown",
        "extra_hidden_layer",
        ("one_more",),
        ((OUTPUT_1, 'model.add(Dense(3, activation="relu"))\n' + OUTPUT_1),),
        {
            "layers": "yours has 3 layers",
            "activations": "yours has 3 layers",
            "parameters": "Your model should have 13 parameters; yours has 25." + SEE_SUMMARY,
        },
    ),
    Lacking(
        "build_as_shown",
        "summary_as_model",
        ("wrong_type",),
        (("model.summary()", "model = model.summary()"),),
        model_checks(NOT_A_MODEL, *SHARED),
    ),
    # counting_parameters: Dense(5) relu on 3 inputs, Dense(1), and the hidden layer's count
    no_layers(
        "counting_parameters",
        HIDDEN_3,
        3,
        {
            **model_checks(NO_LAYERS, *SHARED),
            "hidden_layer_params": "`hidden_layer_params` is 26, the parameters of the whole model.",
        },
        ("hidden_layer_params = 20", "hidden_layer_params = 26"),
    ),
    Lacking(
        "counting_parameters",
        "no_hidden_layer",
        ("one_fewer",),
        ((HIDDEN_3, ""), ("hidden_layer_params = 20", "hidden_layer_params = 16")),
        {
            "layers": "yours has 1 layer",
            "activations": "yours has 1 layer",
            "input_shape": "does not know the shape of its input",
            "parameters": "has not been built",
            "hidden_layer_params": "should be the hidden layer's parameter count; yours is 16.",
        },
    ),
    Lacking(
        "counting_parameters",
        "extra_hidden_layer",
        ("one_more",),
        (
            (OUTPUT_1, 'model.add(Dense(5, activation="relu"))\n' + OUTPUT_1),
            ("hidden_layer_params = 20", "hidden_layer_params = 15"),
        ),
        {
            "layers": "yours has 3 layers",
            "activations": "yours has 3 layers",
            "parameters": "Your model should have 26 parameters; yours has 56." + SEE_SUMMARY,
            "hidden_layer_params": "`hidden_layer_params` is 15: you counted the weights",
        },
    ),
    Lacking(
        "counting_parameters",
        "summary_and_count_as_text",
        ("wrong_type",),
        (
            ("model.summary()", "model = model.summary()"),
            ("hidden_layer_params = 20", 'hidden_layer_params = "20"'),
        ),
        {
            **model_checks(NOT_A_MODEL, *SHARED),
            "hidden_layer_params": "should be a whole number (an int); yours is the str '20'",
        },
    ),
    # dollar_bills: one sigmoid neuron on the 4 features; its only layer is also its last
    Lacking(
        "dollar_bills",
        "no_layers",
        ("no_layers", "one_fewer"),
        ((BILL, BILL.replace("(4,)", "(4)")),),
        {
            **model_checks(NO_LAYERS, *COMPILED, "heldout_accuracy"),
            "accuracy_variable": "Your notebook does not define `accuracy`.",
        },
    ),
    Lacking(
        "dollar_bills",
        "softmax_layer_after",
        ("one_more",),
        ((BILL, BILL + '\nmodel.add(Dense(2, activation="softmax"))'),),
        {
            "layers": "Your model should have 1 Dense layer; yours has 2 layers." + ADD_DENSE,
            "activations": "Your model should have 1 Dense layer; yours has 2 layers." + ADD_DENSE,
            "heldout_accuracy": "Your model gives 2 outputs for each example; it should give 1.",
            # evaluate stops: the labels have one column, the model's output two
            "accuracy_variable": "Your notebook does not define `accuracy`.",
        },
    ),
    Lacking(
        "dollar_bills",
        "summary_as_model",
        ("wrong_type",),
        (("model.summary()", "model = model.summary()"),),
        {
            **model_checks(NOT_A_MODEL, *COMPILED, "heldout_accuracy"),
            "accuracy_variable": "Your notebook does not define `accuracy`.",
        },
    ),
    Lacking(
        "dollar_bills",
        "accuracy_as_text",
        ("wrong_type",),
        (
            (
                "accuracy = model.evaluate(X_test, y_test)[1]",
                'accuracy = f"{model.evaluate(X_test, y_test)[1]:.1%}"',
            ),
        ),
        {
            "heldout_accuracy": UNTRAINED,
            "accuracy_variable": "`accuracy` should be a number; yours is a str.",
        },
    ),
    Lacking(
        "dollar_bills",
        "loss_and_accuracy",
        ("wrong_shape",),
        (("accuracy = model.evaluate(X_test, y_test)[1]", "accuracy = model.evaluate(X_test, y_test)"),),
        {
            "heldout_accuracy": UNTRAINED,
            "accuracy_variable": "`accuracy` should be a single value; yours is an array.",
        },
    ),
    # meteor_orbit: three Dense(50) relu layers on 1 input, then Dense(1)
    no_layers(
        "meteor_orbit",
        METEOR_FIRST,
        1,
        {
            **model_checks(NO_LAYERS, *COMPILED, "trained_loss"),
            "orbit_shapes": "Your notebook does not define `twenty_min_orbit`.",
            "twenty_min_orbit": "Your notebook does not define `twenty_min_orbit`.",
        },
    ),
    Lacking(
        "meteor_orbit",
        "no_output_layer",
        ("one_fewer",),
        ((OUTPUT_1, ""),),
        {
            "layers": "Your model should have 4 Dense layers; yours has 3 layers." + ADD_DENSE,
            "activations": "Your model should have 4 Dense layers; yours has 3 layers." + ADD_DENSE,
            "trained_loss": "Your model gives 50 outputs for each example; it should give 1.",
            "orbit_shapes": "`twenty_min_orbit` should have shape (21, 1), one prediction per minute; "
            "yours has shape (21, 50).",
            "twenty_min_orbit": "`twenty_min_orbit` should hold 21 predictions; yours holds 1050.",
        },
    ),
    Lacking(
        "meteor_orbit",
        "layer_after_output",
        ("one_more",),
        ((OUTPUT_1, OUTPUT_1 + "\nmodel.add(Dense(2))"),),
        {
            "layers": "Your model should have 4 Dense layers; yours has 5 layers." + ADD_DENSE,
            "activations": "yours has 5 layers",
            "trained_loss": "Your model gives 2 outputs for each example; it should give 1.",
            "orbit_shapes": "yours has shape (21, 2)",
            "twenty_min_orbit": "yours holds 42",
        },
    ),
    Lacking(
        "meteor_orbit",
        "summary_as_model",
        ("wrong_type",),
        (("model.summary()", "model = model.summary()"),),
        {
            **model_checks(NOT_A_MODEL, *COMPILED, "trained_loss"),
            "orbit_shapes": "Your notebook does not define `twenty_min_orbit`.",
            "twenty_min_orbit": "Your notebook does not define `twenty_min_orbit`.",
        },
    ),
    Lacking(
        "meteor_orbit",
        "predict_not_called",
        ("wrong_type",),
        ((TWENTY, "twenty_min_orbit = model.predict"),),
        {
            "trained_loss": "should be at most",
            "orbit_shapes": "`twenty_min_orbit` should be an array of numbers; yours is a method.",
            "twenty_min_orbit": "`twenty_min_orbit` should be an array of numbers; yours is a method.",
        },
    ),
    Lacking(
        "meteor_orbit",
        "twenty_minutes_only",
        ("wrong_shape",),
        ((TWENTY, "twenty_min_orbit = model.predict(np.arange(-10, 10))"),),
        {
            "trained_loss": "should be at most",
            "orbit_shapes": "`twenty_min_orbit` should have shape (21, 1), one prediction per minute; "
            "yours has shape (20, 1).",
            "twenty_min_orbit": "`twenty_min_orbit` should hold 21 predictions; yours holds 20.",
        },
    ),
    # darts: Dense 128, 64, 32 relu on 2 inputs, then Dense(4) softmax; each variant also
    # breaks one step of the encoding
    no_layers(
        "darts",
        DARTS_FIRST,
        2,
        {
            **model_checks(NO_LAYERS, *COMPILED, "heldout_accuracy", "predictions"),
            "encoding": "`darts` has no `competitor` column any more.",
        },
        (DARTS_DROP, 'competitor_codes = darts.pop("competitor")\ncoordinates = darts'),
        (DARTS_ONE_HOT, "competitors = to_categorical(competitor_codes)"),
    ),
    Lacking(
        "darts",
        "no_output_layer",
        ("one_fewer",),
        (
            (DARTS_OUTPUT, ""),
            (
                "pd.Categorical(darts.competitor)",
                'pd.Categorical(darts.competitor, categories=["Steve", "Susan", "Michael", "Kate"])',
            ),
        ),
        {
            "layers": "Your model should have 4 Dense layers; yours has 3 layers." + ADD_DENSE,
            "activations": "yours has 3 layers",
            "encoding": "`darts.competitor` does not hold the category codes of the competitors.",
            "heldout_accuracy": "Your model gives 32 outputs for each example; it should give 4.",
            "predictions": "Your model gives 32 outputs for each throw; it should give 4.",
        },
    ),
    Lacking(
        "darts",
        "layer_after_output",
        ("one_more",),
        (
            (DARTS_OUTPUT, DARTS_OUTPUT + "\nmodel.add(Dense(1))"),
            (DARTS_ONE_HOT, "competitors = to_categorical(darts.competitor.sort_values())"),
        ),
        {
            "layers": "Your model should have 4 Dense layers; yours has 5 layers." + ADD_DENSE,
            "activations": "yours has 5 layers",
            "encoding": "`competitors` does not one-hot encode the competitor codes.",
            "heldout_accuracy": "Your model gives 1 output for each example; it should give 4.",
            "predictions": "Your model gives 1 output for each throw; it should give 4.",
        },
    ),
    Lacking(
        "darts",
        "compile_as_model",
        ("wrong_type",),
        ((DARTS_COMPILE, "model = " + DARTS_COMPILE), (DARTS_DROP, "coordinates = darts")),
        {
            **model_checks(NOT_A_MODEL, *COMPILED, "heldout_accuracy", "predictions"),
            "encoding": "`coordinates` should have the columns xCoord and yCoord; yours has xCoord, "
            "yCoord, competitor.",
        },
    ),
    Lacking(
        "darts",
        "one_pick_for_all",
        ("wrong_shape",),
        ((DARTS_PICK, "preds_chosen = np.argmax(preds)"), (DARTS_ONE_HOT, "competitors = darts.competitor")),
        {
            "encoding": "`competitors` should be one-hot, with shape (800, 4); yours has shape (800,).",
            "heldout_accuracy": UNTRAINED,
            "predictions": "`preds_chosen` should hold one competitor per throw of coords_small_test, "
            "5 in all; yours holds 1.",
        },
    ),
    Lacking(
        "darts",
        "picks_as_text",
        ("wrong_type",),
        (
            (DARTS_PICK, "preds_chosen = [str(np.argmax(pred)) for pred in preds]"),
            (DARTS_DROP, DARTS_DROP + ".values"),
        ),
        {
            "encoding": "`coordinates` should be a pandas DataFrame; yours is an array.",
            "heldout_accuracy": UNTRAINED,
            "predictions": "`preds_chosen` should hold numbers; yours holds text.",
        },
    ),
    # irrigation: Dense(64) relu on 20 inputs, then Dense(3) sigmoid
    no_layers(
        "irrigation",
        IRRIGATION_FIRST,
        20,
        {
            **model_checks(NO_LAYERS, *COMPILED, "heldout_accuracy"),
            "rounded_predictions": "Your notebook does not define `preds_rounded`.",
        },
    ),
    Lacking(
        "irrigation",
        "no_output_layer",
        ("one_fewer",),
        ((IRRIGATION_OUTPUT, ""),),
        {
            "layers": "Your model should have 2 Dense layers; yours has 1 layer." + ADD_DENSE,
            "activations": "yours has 1 layer",
            "heldout_accuracy": "Your model gives 64 outputs for each example; it should give 3.",
            "rounded_predictions": "`preds_rounded` should have shape (600, 3), one row per test "
            "example and one column per parcel; yours has shape (600, 64).",
        },
    ),
    Lacking(
        "irrigation",
        "layer_after_output",
        ("one_more",),
        ((IRRIGATION_OUTPUT, IRRIGATION_OUTPUT + "\nmodel.add(Dense(1))"),),
        {
            "layers": "Your model should have 2 Dense layers; yours has 3 layers." + ADD_DENSE,
            "activations": "yours has 3 layers",
            "heldout_accuracy": "Your model gives 1 output for each example; it should give 3.",
            "rounded_predictions": "yours has shape (600, 1)",
        },
    ),
    Lacking(
        "irrigation",
        "compile_as_model",
        ("wrong_type",),
        ((IRRIGATION_COMPILE, "model = " + IRRIGATION_COMPILE),),
        {
            **model_checks(NOT_A_MODEL, *COMPILED, "heldout_accuracy"),
            "rounded_predictions": "Your notebook does not define `preds_rounded`.",
        },
    ),
    Lacking(
        "irrigation",
        "round_not_called",
        ("wrong_type",),
        ((ROUNDED, "preds_rounded = preds.round"),),
        {
            "heldout_accuracy": UNTRAINED,
            "rounded_predictions": "`preds_rounded` should be an array of numbers; yours is a "
            "builtin_function_or_method.",
        },
    ),
    Lacking(
        "irrigation",
        "flattened",
        ("wrong_shape",),
        ((ROUNDED, "preds_rounded = np.round(preds).flatten()"),),
        {
            "heldout_accuracy": UNTRAINED,
            "rounded_predictions": "yours has shape (1800,)",
        },
    ),
    Lacking(
        "irrigation",
        "threshold_0_7",
        (),
        ((ROUNDED, "preds_rounded = (preds > 0.7).astype(int)"),),
        {
            "heldout_accuracy": UNTRAINED,
            "rounded_predictions": "`preds_rounded` differs from your model's rounded predictions",
        },
    ),
]
# fmt: on
