"""Datasets for training candidates, held in memory as tensors.

- ``digits``: scikit-learn's 8x8 handwritten digits (``sklearn.datasets.load_digits``: 1,797 images of
  the UCI optical recognition of handwritten digits test set, CC BY 4.0), embedded in the package as
  ``digits.npz`` (no download).
- ``cifar10``: a local copy of CIFAR-10 in its standard python format (``data_batch_1``..``5``,
  ``test_batch``), e.g. the extracted ``cifar-10-batches-py`` folder.
- ``folder``: images in one sub-folder per class (optionally under ``train/``, ``val/``, ``test/``).
- ``teacher``: 131,072 training images labelled by a fixed random teacher network, generated from
  the seed (``nasbench.training.teacher``): a task for data-scaling laws. ``teacher-sharp``: the
  same images and teacher with logits four times sharper (Bayes error about 2 % instead of 10 %), on
  which small networks fall further behind large ones.

Every split is fixed by ``split_seed``, independent of the search's seed.
"""

from __future__ import annotations

import pickle
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from nasbench.errors import DataError, InvalidOption
from nasbench.space import DataSpec
from nasbench.training.split import Data, Split
from nasbench.training.teacher import SHARPNESSES, teacher_data

DATASETS = ("digits", "cifar10", "folder", *SHARPNESSES)
EMBEDDED = ("digits", *SHARPNESSES)  # generated or shipped with the package: no --data-dir
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp"}


def load_data(dataset: str, data_dir: str | None = None, split_seed: int = 0, image_size: int = 32) -> Data:
    if dataset not in DATASETS:
        raise InvalidOption(f"unknown dataset '{dataset}'; choose from: {', '.join(DATASETS)}")
    if dataset not in EMBEDDED and not data_dir:
        raise InvalidOption(f"dataset '{dataset}' needs --data-dir")
    if dataset in EMBEDDED and data_dir:
        raise InvalidOption(
            f"{dataset} is embedded and reads no --data-dir ({data_dir}); "
            "name the data's format with --dataset cifar10 or folder"
        )
    return _load_cached(dataset, str(Path(data_dir).resolve()) if data_dir else None, split_seed, image_size)


@lru_cache(maxsize=4)  # a worker evaluates many candidates on the same data
def _load_cached(dataset: str, data_dir: str | None, split_seed: int, image_size: int) -> Data:
    if dataset == "digits":
        return _digits(split_seed)
    if dataset in SHARPNESSES:
        return teacher_data(split_seed, SHARPNESSES[dataset])
    if dataset == "cifar10":
        return _cifar10(Path(data_dir), split_seed)
    return _folder(Path(data_dir), split_seed, image_size)


def _split_indices(labels: np.ndarray, fractions: tuple[float, ...], seed: int) -> list[np.ndarray]:
    """Stratified split: every class is divided in the same proportions."""
    rng = np.random.default_rng(seed)
    parts: list[list[int]] = [[] for _ in fractions]
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        bounds = np.round(np.cumsum(fractions) * len(idx)).astype(int)
        for k, chunk in enumerate(np.split(idx, bounds[:-1])):
            parts[k].extend(chunk.tolist())
    return [np.sort(np.asarray(p, dtype=np.int64)) for p in parts]


def _assemble(
    images: np.ndarray, labels: np.ndarray, splits: list[np.ndarray], num_classes: int, augment: bool
) -> Data:
    """Normalise with the training split's per-channel statistics and wrap as tensors."""
    images = images.astype(np.float32)
    train = images[splits[0]]
    mean = train.mean(axis=(0, 2, 3), keepdims=True)
    std = train.std(axis=(0, 2, 3), keepdims=True) + 1e-6

    def make(idx):
        return Split(torch.from_numpy((images[idx] - mean) / std), torch.from_numpy(labels[idx].astype(np.int64)))

    _, c, h, w = images.shape
    test = make(splits[2]) if len(splits) > 2 and len(splits[2]) else None
    return Data(DataSpec(c, h, w, num_classes), make(splits[0]), make(splits[1]), test, augment)


#: scikit-learn's digits, pixel values 0-16; a copy rather than ``load_digits`` because importing
#: ``sklearn.datasets`` costs about 1.5 s, paid again by every fresh process that trains (each Ray trial)
DIGITS = Path(__file__).with_name("digits.npz")


def _digits(split_seed: int) -> Data:
    with np.load(DIGITS, allow_pickle=False) as stored:
        images = stored["images"].reshape(-1, 1, 8, 8) / 16.0
        labels = stored["labels"].astype(np.int64)
    splits = _split_indices(labels, (0.6, 0.2, 0.2), split_seed)
    return _assemble(images, labels, splits, 10, augment=False)


class _ArraysOnly(pickle.Unpickler):
    """CIFAR's python batches are pickles; allow only what they hold (dicts, lists, numpy arrays).

    Anything else (a callable smuggled into a file) is refused instead of executed. Besides the
    original (Python 2) files, batches re-saved by Python 3 load too: protocol 2 writes bytes
    through ``_codecs.encode``, protocol 5 writes arrays through numpy's ``_frombuffer``.
    """

    ALLOWED = {
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy._core.multiarray", "_reconstruct"),
        ("numpy.core.numeric", "_frombuffer"),
        ("numpy._core.numeric", "_frombuffer"),
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("_codecs", "encode"),
    }

    def find_class(self, module, name):
        if (module, name) in self.ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"forbidden object {module}.{name}")


def _cifar_batch(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.exists():
        raise DataError(f"CIFAR-10 batch {path} is missing")
    try:
        with path.open("rb") as handle:
            batch = _ArraysOnly(handle, encoding="bytes").load()
        batch = {k.decode() if isinstance(k, bytes) else k: v for k, v in batch.items()}
        data = np.asarray(batch["data"], dtype=np.uint8).reshape(-1, 3, 32, 32)
        labels = np.asarray(batch["labels"], dtype=np.int64)
    except Exception as exc:  # any failure to parse means a corrupt file
        raise DataError(f"corrupt CIFAR-10 batch {path}: {type(exc).__name__}: {exc}") from None
    if len(labels) != len(data) or labels.min(initial=0) < 0 or labels.max(initial=0) > 9:
        raise DataError(f"corrupt CIFAR-10 batch {path}: {len(data)} images but {len(labels)} labels in 0..9")
    return data, labels


def _cifar10(root: Path, split_seed: int) -> Data:
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist")
    if (root / "cifar-10-batches-py").is_dir():
        root = root / "cifar-10-batches-py"
    train = [_cifar_batch(root / f"data_batch_{i}") for i in range(1, 6)]
    test_images, test_labels = _cifar_batch(root / "test_batch")
    images = np.concatenate([t[0] for t in train] + [test_images]) / 255.0
    labels = np.concatenate([t[1] for t in train] + [test_labels])
    n_train = sum(len(t[1]) for t in train)
    train_idx, valid_idx = _split_indices(labels[:n_train], (0.9, 0.1), split_seed)
    test_idx = np.arange(n_train, len(labels))
    return _assemble(images, labels, [train_idx, valid_idx, test_idx], 10, augment=True)


def _read_image_folder(root: Path, classes: list[str], image_size: int) -> tuple[np.ndarray, np.ndarray]:
    from PIL import Image, UnidentifiedImageError

    images, labels = [], []
    for label, name in enumerate(classes):
        files = (
            sorted(p for p in (root / name).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if (root / name).is_dir()
            else []
        )
        for file in files:
            try:
                with Image.open(file) as image:
                    image = image.convert("RGB").resize((image_size, image_size))
                    images.append(np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255.0)
            except (UnidentifiedImageError, OSError) as exc:
                raise DataError(f"cannot read image {file}: {exc}") from None
            labels.append(label)
    return np.stack(images) if images else np.zeros((0, 3, image_size, image_size), np.float32), np.asarray(labels)


def _folder(root: Path, split_seed: int, image_size: int) -> Data:
    if not root.is_dir():
        raise DataError(f"data directory {root} does not exist")
    pre_split = (root / "train").is_dir() and (root / "val").is_dir()
    base = root / "train" if pre_split else root
    classes = sorted(p.name for p in base.iterdir() if p.is_dir())
    if len(classes) < 2:
        raise DataError(f"image folder {base} needs one sub-folder per class (at least 2), found {len(classes)}")
    if pre_split:
        parts = [_read_image_folder(root / s, classes, image_size) for s in ("train", "val", "test")]
        images = np.concatenate([p[0] for p in parts])
        labels = np.concatenate([p[1] for p in parts]).astype(np.int64)
        sizes = np.cumsum([len(p[1]) for p in parts])
        splits = [np.arange(0, sizes[0]), np.arange(sizes[0], sizes[1]), np.arange(sizes[1], sizes[2])]
    else:
        images, labels = _read_image_folder(root, classes, image_size)
        splits = _split_indices(labels, (0.8, 0.2), split_seed)
    if min(len(s) for s in splits[:2]) == 0:
        raise DataError(f"image folder {root} has too few images for a training and a validation split")
    return _assemble(images, labels, splits, len(classes), augment=True)
