"""``AdamW``: Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

Examples
--------
>>> from descend.optimizers import AdamW
>>> AdamW().weight_decay
0.004
"""

from __future__ import annotations

from typing import Any

from descend.optimizers.adam import Adam


class AdamW(Adam):
    """Adam whose weights also decay: :math:`w \\leftarrow w - w\\,\\lambda\\,\\eta` before each
    Adam update (see :class:`Adam` for the update itself).

    Parameters
    ----------
    learning_rate : float or LearningRateSchedule, default 0.001
    weight_decay : float, default 0.004
        :math:`\\lambda`; must not be ``None``.
    beta_1 : float, default 0.9
    beta_2 : float, default 0.999
    epsilon : float, default 1e-7
    amsgrad : bool, default False
    name : str, default "adamw"
    **kwargs
        Common optimizer arguments; see :class:`Optimizer`.

    Raises
    ------
    ValueError
        If ``weight_decay`` is ``None``.

    Examples
    --------
    >>> AdamW(weight_decay=0.01).get_config()["weight_decay"]
    0.01
    """

    _default_name = "adamw"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        name: str | None = None,
        **kwargs: Any,
    ) -> None:
        if weight_decay is None:
            raise ValueError(
                "AdamW: argument `weight_decay` must be a float. Received: weight_decay=None. "
                "Use Adam for no weight decay."
            )
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, name=name,
                         weight_decay=weight_decay, **kwargs)
