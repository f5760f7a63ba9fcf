"""``image_dataset_from_directory``: images in class folders to arrays (Keras's API).

Keras returns a ``tf.data.Dataset``; descend has none, so the images are loaded into NumPy:

- ``batch_size=None``: an :class:`ImageArrays` - a tuple ``(images, labels)`` (just
  ``(images,)`` when ``labels=None``) that also carries ``class_names`` and ``file_paths`` -
  ready for ``model.fit(*data)``;
- ``batch_size=n``: an :class:`ImageBatches` - a list of ``(images, labels)`` batches of up to
  ``n`` samples with the same attributes plus ``images``/``labels`` holding all of them.

Images are float32, ``(n, height, width, channels)`` (channels first if ``data_format``
says so), values 0..255, resized to ``image_size`` as the ``Resizing`` layer does
(``interpolation``, ``crop_to_aspect_ratio``, ``pad_to_aspect_ratio``). Labels: ``"int"``
int32 ``(n,)``, ``"categorical"`` float32 one-hot ``(n, classes)``, ``"binary"`` float32
``(n, 1)`` (two classes only).

Order, as Keras: files are listed per class folder in alphanumeric order; with
``shuffle=True`` (default) the list is shuffled with ``numpy.random.RandomState(seed)``;
``validation_split`` then keeps the first ``n - int(split * n)`` files for
``subset="training"`` and the rest for ``"validation"`` (``"both"`` returns the two). Use
the same ``seed`` for both subsets so they do not overlap.

Needs Pillow (``pip install descend[image]``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from descend import config
from descend import random as descend_random

__all__ = ["ALLOWED_FORMATS", "ImageArrays", "ImageBatches", "image_dataset_from_directory"]

ALLOWED_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")
"""File extensions that are read (case-insensitive)."""


class ImageArrays(tuple):
    """``(images, labels)`` or ``(images,)``, with ``class_names`` and ``file_paths``."""

    class_names: list[str] | None
    file_paths: list[str]


class ImageBatches(list):
    """A list of ``(images, labels)`` batches, with ``class_names``, ``file_paths``,
    ``images`` and ``labels`` (all samples)."""

    class_names: list[str] | None
    file_paths: list[str]
    images: np.ndarray
    labels: np.ndarray | None


def _fail(argument: str, expected: str, received: Any) -> ValueError:
    return ValueError(f"image_dataset_from_directory: `{argument}` must be {expected}, "
                      f"received {argument}={received!r}.")


def _list_files(directory: Path, labels: Any, class_names: list[str] | None,
                follow_links: bool) -> tuple[list[str], list[int], list[str] | None]:
    def walk(folder: Path) -> list[str]:
        found = []
        for root, dirs, files in os.walk(folder, followlinks=follow_links):
            dirs.sort()
            for name in sorted(files):
                if name.lower().endswith(ALLOWED_FORMATS):
                    found.append(os.path.join(root, name))
        return found

    if labels != "inferred":
        paths = walk(directory)
        if labels is None:
            return paths, [], None
        values = list(labels)
        if len(values) != len(paths):
            raise ValueError(f"image_dataset_from_directory: `labels` has {len(values)} "
                             f"entries but {len(paths)} image files were found in "
                             f"{directory}; give one label per file, in alphanumeric order.")
        return paths, [int(v) for v in values], None
    subdirs = sorted(p.name for p in directory.iterdir() if p.is_dir())
    if class_names is not None:
        missing = set(class_names) - set(subdirs)
        if missing or set(subdirs) - set(class_names):
            raise ValueError(f"image_dataset_from_directory: `class_names` {class_names} "
                             f"must match the subfolders of {directory}: {subdirs}.")
        subdirs = list(class_names)
    paths: list[str] = []
    indices: list[int] = []
    for index, name in enumerate(subdirs):
        files = walk(directory / name)
        paths += files
        indices += [index] * len(files)
    return paths, indices, subdirs


def _load(paths: list[str], image_size: tuple[int, int], color_mode: str,
          interpolation: str, crop: bool, pad: bool) -> np.ndarray:
    from descend.layers.preprocessing.resizing import Resizing
    from descend.utils.image_utils import img_to_array, load_img

    resizer = Resizing(image_size[0], image_size[1], interpolation=interpolation,
                       crop_to_aspect_ratio=crop, pad_to_aspect_ratio=pad,
                       data_format="channels_last", dtype="float32")
    images = []
    for path in paths:
        array = img_to_array(load_img(path, color_mode=color_mode), "channels_last", "float32")
        if array.shape[:2] != tuple(image_size):
            array = resizer(array).data
        images.append(array)
    channels = {"grayscale": 1, "rgb": 3, "rgba": 4}[color_mode]
    if not images:
        return np.zeros((0, *image_size, channels), np.float32)
    return np.stack(images).astype(np.float32)


def image_dataset_from_directory(
    directory: str | os.PathLike[str], labels: Any = "inferred", label_mode: str | None = "int",
    class_names: list[str] | None = None, color_mode: str = "rgb",
    batch_size: int | None = 32, image_size: tuple[int, int] = (256, 256),
    shuffle: bool = True, seed: int | None = None, validation_split: float | None = None,
    subset: str | None = None, interpolation: str = "bilinear", follow_links: bool = False,
    crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False,
    data_format: str | None = None, verbose: bool = True,
) -> Any:
    """Load the images under ``directory`` (one subfolder per class) as arrays.

    Parameters
    ----------
    directory : str or os.PathLike
    labels : "inferred", None, or a list of int, default "inferred"
        From the subfolders, none, or one per file (alphanumeric order of the paths).
    label_mode : {"int", "categorical", "binary", None}, default "int"
    class_names : list of str, optional
        Order of the class subfolders (default alphanumeric).
    color_mode : {"grayscale", "rgb", "rgba"}, default "rgb"
    batch_size : int or None, default 32
        None returns :class:`ImageArrays`; an int returns :class:`ImageBatches`.
    image_size : (height, width), default (256, 256)
    shuffle : bool, default True
    seed : int, optional
    validation_split : float, optional
        Fraction in (0, 1) held out; needs ``subset``.
    subset : {"training", "validation", "both"}, optional
    interpolation : str, default "bilinear"
        As ``Resizing``.
    follow_links : bool, default False
    crop_to_aspect_ratio, pad_to_aspect_ratio : bool, default False
    data_format : {"channels_last", "channels_first"}, optional
    verbose : bool, default True
        Print how many files and classes were found.

    Returns
    -------
    ImageArrays or ImageBatches, or a pair of them for ``subset="both"``.
    """
    folder = Path(directory)
    if not folder.is_dir():
        raise _fail("directory", "an existing folder", os.fspath(directory))
    if labels not in ("inferred", None) and not isinstance(labels, (list, tuple, np.ndarray)):
        raise _fail("labels", '"inferred", None, or a list/tuple of integer labels', labels)
    if labels is None:
        label_mode = None
    if label_mode not in ("int", "categorical", "binary", None):
        raise _fail("label_mode", '"int", "categorical", "binary" or None', label_mode)
    if color_mode not in ("grayscale", "rgb", "rgba"):
        raise _fail("color_mode", '"grayscale", "rgb" or "rgba"', color_mode)
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(
            batch_size, int) or batch_size <= 0):
        raise _fail("batch_size", "a positive int or None", batch_size)
    if crop_to_aspect_ratio and pad_to_aspect_ratio:
        raise _fail("pad_to_aspect_ratio", "False when crop_to_aspect_ratio is True",
                    pad_to_aspect_ratio)
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise _fail("data_format", '"channels_last" or "channels_first"', data_format)
    image_size = tuple(int(s) for s in image_size)
    if validation_split is not None:
        if not 0 < validation_split < 1:
            raise _fail("validation_split", "a float in (0, 1)", validation_split)
        if subset not in ("training", "validation", "both"):
            raise _fail("subset", '"training", "validation" or "both" when validation_split '
                        "is set", subset)
        if shuffle and seed is None:
            raise _fail("seed", "an int when shuffling with validation_split (so training "
                        "and validation do not overlap)", seed)
    elif subset is not None:
        raise _fail("subset", "None unless validation_split is set", subset)

    paths, indices, names = _list_files(folder, labels, class_names, follow_links)
    if label_mode == "binary" and names is not None and len(names) != 2:
        raise ValueError(f'image_dataset_from_directory: label_mode="binary" needs exactly 2 '
                         f"classes, found {len(names)}: {names}.")
    if verbose:
        print(f"Found {len(paths)} files" + (f" belonging to {len(names)} classes."
                                              if names is not None else "."))
    if shuffle:
        if seed is None:
            seed = int(descend_random.generator().integers(1_000_000))
        np.random.RandomState(seed).shuffle(paths)
        np.random.RandomState(seed).shuffle(indices)

    def build(selection: slice) -> Any:
        chosen = paths[selection]
        images = _load(chosen, image_size, color_mode, interpolation, crop_to_aspect_ratio,
                       pad_to_aspect_ratio)
        if data_format == "channels_first":
            images = images.transpose(0, 3, 1, 2)
        targets = None
        if label_mode is not None:
            ids = np.asarray(indices[selection], dtype=np.int32)
            classes = len(names) if names is not None else int(ids.max(initial=-1)) + 1
            if label_mode == "int":
                targets = ids
            elif label_mode == "binary":
                targets = ids.astype(np.float32).reshape(-1, 1)
            else:
                targets = np.eye(classes, dtype=np.float32)[ids]
        if batch_size is None:
            out: Any = ImageArrays((images,) if targets is None else (images, targets))
        else:
            out = ImageBatches(
                (images[i:i + batch_size],) if targets is None
                else (images[i:i + batch_size], targets[i:i + batch_size])
                for i in range(0, len(images), batch_size))
            out.images, out.labels = images, targets
        out.class_names, out.file_paths = names, list(chosen)
        return out

    total = len(paths)
    held = int(validation_split * total) if validation_split else 0
    training, validation = slice(0, total - held), slice(total - held, total)
    if subset == "both":
        return build(training), build(validation)
    if subset == "validation":
        return build(validation)
    return build(training)
