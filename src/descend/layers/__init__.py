"""Layers, by their Keras names (and Keras's short aliases such as ``MaxPool2D``)."""

from descend.layers.convolutional import Conv1D, Conv2D, Conv3D
from descend.layers.core import Activation, Dense
from descend.layers.dropout import Dropout
from descend.layers.flatten import Flatten
from descend.layers.input_layer import Input, InputLayer, KerasTensor
from descend.layers.input_spec import InputSpec
from descend.layers.layer import Layer
from descend.layers.merging import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    minimum,
    multiply,
    subtract,
)
from descend.layers.normalization import BatchNormalization
from descend.layers.op_layer import OpLayer as OpLayer
from descend.layers.pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from descend.layers.preprocessing import (
    CategoryEncoding,
    CenterCrop,
    Discretization,
    Hashing,
    Normalization,
    RandomBrightness,
    RandomContrast,
    RandomCrop,
    RandomFlip,
    RandomRotation,
    RandomTranslation,
    RandomZoom,
    Rescaling,
    Resizing,
)
from descend.layers.reshaping import Cropping1D, Cropping2D, Reshape, ZeroPadding1D, ZeroPadding2D
from descend.layers.serialization import deserialize_layer as deserialize
from descend.layers.serialization import serialize_layer as serialize
from descend.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D

Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (
    GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D)

__all__ = [
    "Activation", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "AvgPool1D",
    "AvgPool2D", "AvgPool3D", "BatchNormalization", "Conv1D", "Conv2D", "Conv3D",
    "Convolution1D", "Convolution2D", "Convolution3D", "Cropping1D", "Cropping2D", "Dense",
    "Dropout", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D",
    "GlobalAveragePooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
    "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "GlobalMaxPooling3D", "Input", "InputLayer", "KerasTensor", "Layer",
    "MaxPool1D", "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
    "Reshape", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "ZeroPadding1D",
    "ZeroPadding2D",
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
    "InputSpec", "deserialize", "serialize",
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]
