"""Layers, by their Keras names."""

from descend.layers.core import Activation, Dense
from descend.layers.dropout import Dropout
from descend.layers.flatten import Flatten
from descend.layers.input_layer import Input, InputLayer, KerasTensor
from descend.layers.layer import Layer

__all__ = [
    "Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "KerasTensor", "Layer",
]
