"""Recurrent layers: cells, the ``RNN`` loop, ``LSTM``/``GRU``/``SimpleRNN``, ``ConvLSTM`` and
wrappers."""

from descend.layers.rnn.bidirectional import Bidirectional
from descend.layers.rnn.cells import GRUCell, LSTMCell, SimpleRNNCell
from descend.layers.rnn.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D
from descend.layers.rnn.recurrent import GRU, LSTM, SimpleRNN
from descend.layers.rnn.rnn import RNN
from descend.layers.rnn.stacked_rnn_cells import StackedRNNCells
from descend.layers.rnn.time_distributed import TimeDistributed

__all__ = ["GRU", "LSTM", "RNN", "Bidirectional", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D",
           "GRUCell", "LSTMCell", "SimpleRNN",
           "SimpleRNNCell", "StackedRNNCells", "TimeDistributed"]
