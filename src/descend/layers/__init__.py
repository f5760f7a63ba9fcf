"""Layers, by their Keras names (and Keras's short aliases such as ``MaxPool2D``)."""

from descend.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from descend.layers.activity_regularization import ActivityRegularization
from descend.layers.adaptive_pooling import (
    AdaptiveAveragePooling1D,
    AdaptiveAveragePooling2D,
    AdaptiveAveragePooling3D,
    AdaptiveMaxPooling1D,
    AdaptiveMaxPooling2D,
    AdaptiveMaxPooling3D,
)
from descend.layers.attention import AdditiveAttention, Attention
from descend.layers.convolutional import Conv1D, Conv2D, Conv3D
from descend.layers.convolutional_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
)
from descend.layers.core import Activation, Dense
from descend.layers.depthwise_separable import (
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
)
from descend.layers.dot import Dot, dot
from descend.layers.dropout import Dropout
from descend.layers.einsum_dense import EinsumDense
from descend.layers.embedding import Embedding
from descend.layers.flatten import Flatten
from descend.layers.group_normalization import GroupNormalization
from descend.layers.group_query_attention import GroupQueryAttention
from descend.layers.identity import Identity
from descend.layers.input_layer import Input, InputLayer, KerasTensor
from descend.layers.input_spec import InputSpec
from descend.layers.lambda_layer import Lambda
from descend.layers.layer import Layer
from descend.layers.layer_normalization import LayerNormalization
from descend.layers.lookups import IntegerLookup, StringLookup
from descend.layers.masking import Masking
from descend.layers.merging import (
    Add,
    Average,
    Concatenate,
    Maximum,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    maximum,
    minimum,
    multiply,
    subtract,
)
from descend.layers.multi_head_attention import MultiHeadAttention
from descend.layers.noise import AlphaDropout, GaussianDropout, GaussianNoise
from descend.layers.normalization import BatchNormalization
from descend.layers.op_layer import OpLayer as OpLayer
from descend.layers.permute import Permute
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
from descend.layers.repeat_vector import RepeatVector
from descend.layers.reshaping import Cropping1D, Cropping2D, Reshape, ZeroPadding1D, ZeroPadding2D
from descend.layers.reshaping_3d import Cropping3D, ZeroPadding3D
from descend.layers.reversible_embedding import ReversibleEmbedding
from descend.layers.rms_normalization import RMSNormalization
from descend.layers.rnn import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    ConvLSTM1D,
    ConvLSTM2D,
    ConvLSTM3D,
    GRUCell,
    LSTMCell,
    SimpleRNN,
    SimpleRNNCell,
    StackedRNNCells,
    TimeDistributed,
)
from descend.layers.serialization import deserialize_layer as deserialize
from descend.layers.serialization import serialize_layer as serialize
from descend.layers.spatial_dropout import SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from descend.layers.spectral_normalization import SpectralNormalization
from descend.layers.text_vectorization import TextVectorization
from descend.layers.unit_normalization import UnitNormalization
from descend.layers.upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from descend.layers.wrapper import Wrapper

Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (
    Conv1DTranspose, Conv2DTranspose, Conv3DTranspose)
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
AdaptiveAvgPool1D, AdaptiveAvgPool2D, AdaptiveAvgPool3D = (
    AdaptiveAveragePooling1D, AdaptiveAveragePooling2D, AdaptiveAveragePooling3D)
AdaptiveMaxPool1D, AdaptiveMaxPool2D, AdaptiveMaxPool3D = (
    AdaptiveMaxPooling1D, AdaptiveMaxPooling2D, AdaptiveMaxPooling3D)
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
    # activation, convolution-family, normalization, noise and structure layers (issue 16)
    "ELU", "LeakyReLU", "PReLU", "ReLU", "Softmax", "ActivityRegularization",
    "AdaptiveAveragePooling1D", "AdaptiveAveragePooling2D", "AdaptiveAveragePooling3D",
    "AdaptiveMaxPooling1D", "AdaptiveMaxPooling2D", "AdaptiveMaxPooling3D",
    "AdaptiveAvgPool1D", "AdaptiveAvgPool2D", "AdaptiveAvgPool3D", "AdaptiveMaxPool1D",
    "AdaptiveMaxPool2D", "AdaptiveMaxPool3D",
    "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "Convolution1DTranspose",
    "Convolution2DTranspose", "Convolution3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
    "SeparableConv1D", "SeparableConv2D", "SeparableConvolution1D", "SeparableConvolution2D",
    "GroupNormalization", "RMSNormalization", "SpectralNormalization", "UnitNormalization",
    "AlphaDropout", "GaussianDropout", "GaussianNoise", "Identity", "Lambda", "Permute",
    "RepeatVector", "Cropping3D", "ZeroPadding3D", "UpSampling1D", "UpSampling2D",
    "UpSampling3D", "Wrapper",
    "AdditiveAttention", "Attention", "EinsumDense", "LayerNormalization", "MultiHeadAttention",
    "GroupQueryAttention",
    "IntegerLookup", "StringLookup", "TextVectorization",
    "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Embedding", "GRU", "GRUCell",
    "LSTM", "LSTMCell", "Masking", "RNN",
    "ReversibleEmbedding",
    "SimpleRNN", "SimpleRNNCell", "StackedRNNCells", "TimeDistributed",
    "CategoryEncoding", "CenterCrop", "Discretization", "Hashing", "Normalization",
    "RandomBrightness", "RandomContrast", "RandomCrop", "RandomFlip", "RandomRotation",
    "RandomTranslation", "RandomZoom", "Rescaling", "Resizing",
]
