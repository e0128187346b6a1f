"""Writes the two tiny Keras 3 weight files the .keras samples carry, with the real Keras.

    python3 -m venv /tmp/keras-venv && /tmp/keras-venv/bin/pip install keras 'jax[cpu]'
    KERAS_BACKEND=jax /tmp/keras-venv/bin/python samples/formats/keras/weights/make_weights.py

Every weight is 0.25, so the files are the same on every run (checked: byte-identical with
keras 3.15.1 / h5py 3.16). `../generate.py` (standard library only) packs them.
"""
from pathlib import Path

import keras
import numpy as np

HERE = Path(__file__).resolve().parent


def build(layers, inputs):
    model = keras.Sequential([keras.Input(shape=(inputs,))]
                             + [keras.layers.Dense(u, activation=a, name=n) for n, u, a in layers])
    for layer in model.layers:
        layer.set_weights([np.full(w.shape, 0.25, dtype="float32") for w in layer.get_weights()])
    return model


build([("dense", 4, "relu"), ("dense_1", 2, "linear")], 3).save_weights(HERE / "dense.weights.h5")
build([("dense", 2, "relu")], 3).save_weights(HERE / "one_dense.weights.h5")
