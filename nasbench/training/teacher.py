"""``teacher``: an embedded task large enough for data-scaling laws, generated from a seed.

Inputs are smooth random 8x8 images (white noise blurred by a Gaussian, so neighbouring pixels
correlate as in natural images and convolutions are the right prior). A fixed random teacher
network (a two-layer tanh perceptron on the flattened image) gives each image a distribution over
10 classes, and the label is *drawn* from it. Nothing is downloaded; the same seed gives the same
131,072 training and 5,000 validation examples on every machine (numpy's generator, float64).

Why its curves mean something: the labels are a smooth but non-trivial function of the image, so
a student network learns it better with more parameters (approximation) and more examples
(estimation), as on real data, yet the task has no ceiling of its own below the Bayes floor.
Because the labels are drawn, that floor is known exactly: no network can beat the teacher's own
cross-entropy ``E_x[H(p(.|x))]`` (the irreducible loss) or its error ``1 - E_x[max_y p(y|x)]``
(the irreducible, Bayes error). ``irreducible()`` computes both on the validation split, so a
fitted saturating law's ``E`` can be checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

TRAIN_SIZE = 131_072  # 2^17: room for a data axis from 2^7 to 2^17 examples
VALID_SIZE = 5_000
CLASSES = 10
SIDE = 8
HIDDEN = 128
TEACHER_SEED = 20220329  # the teacher is one fixed network; split_seed draws the examples
#: logit scale of the teacher: sharp enough to be learnable, soft enough for a Bayes error of about 10 %
SHARPNESS = 15.0
#: the same teacher four times sharper (Bayes error about 2 %): the labels say more about the argmax, so
#: students differ by what they can represent, not by how much noise they average away
SHARPNESSES = {"teacher": SHARPNESS, "teacher-sharp": 60.0}
BLUR = 1.0  # standard deviation (pixels) of the Gaussian that smooths the noise


@dataclass(frozen=True)
class Floor:
    """What no network can beat on the teacher task (validation split)."""

    loss: float  # nats: the teacher's mean entropy
    error: float  # percent: 100 * (1 - mean top probability)


def _teacher() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(TEACHER_SEED)
    inputs = SIDE * SIDE
    w1 = rng.standard_normal((inputs, HIDDEN)) / np.sqrt(inputs)
    b1 = 0.5 * rng.standard_normal(HIDDEN)
    w2 = rng.standard_normal((HIDDEN, CLASSES)) / np.sqrt(HIDDEN)
    return w1, b1, w2


def _blur_matrix() -> np.ndarray:
    """The zero-padded Gaussian blur of a flattened S x S image, as a matrix (the blur is linear)."""
    offsets = np.arange(-2, 3)
    kernel = np.exp(-0.5 * (offsets / BLUR) ** 2)
    kernel /= kernel.sum()
    line = np.zeros((SIDE, SIDE))
    for i in range(SIDE):
        for offset, weight in zip(offsets, kernel):
            if 0 <= i + offset < SIDE:
                line[i, i + offset] = weight
    return np.kron(line, line)


def class_probabilities(images: np.ndarray, sharpness: float = SHARPNESS) -> np.ndarray:
    """The teacher's distribution over classes for N x S x S images (rows sum to 1)."""
    w1, b1, w2 = _teacher()
    logits = sharpness * (np.tanh(images.reshape(len(images), -1) @ w1 + b1) @ w2)
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    return p / p.sum(axis=1, keepdims=True)


@lru_cache(maxsize=2)
def generate(split_seed: int = 0, sharpness: float = SHARPNESS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(images N x 1 x S x S, labels N, teacher probabilities N x C): training examples first, then validation."""
    rng = np.random.default_rng([split_seed, 0x7EAC])
    n = TRAIN_SIZE + VALID_SIZE
    blur = _blur_matrix()
    images = (rng.standard_normal((n, SIDE * SIDE)) @ blur.T).reshape(n, SIDE, SIDE)
    images /= np.sqrt((blur**2).sum(axis=1).mean())  # about unit variance per pixel
    p = class_probabilities(images, sharpness)
    # inverse-CDF draw of each label from its row of p: one uniform per example
    labels = (p.cumsum(axis=1) < rng.random(n)[:, None]).sum(axis=1).clip(0, CLASSES - 1)
    return images[:, None].astype(np.float32), labels.astype(np.int64), p


def irreducible(split_seed: int = 0, sharpness: float = SHARPNESS) -> Floor:
    """The Bayes floor of loss and error on the validation split (see the module's notes)."""
    _, _, p = generate(split_seed, sharpness)
    p = p[TRAIN_SIZE:]
    entropy = -(p * np.log(np.clip(p, 1e-300, None))).sum(axis=1).mean()
    return Floor(loss=float(entropy), error=float(100.0 * (1.0 - p.max(axis=1).mean())))


def teacher_data(split_seed: int = 0, sharpness: float = SHARPNESS):
    """The task as ``nasbench.training.split.Data``: the images are already standard normal per
    pixel, so they are used as they are (no augmentation: the labels are not flip-invariant)."""
    import torch

    from nasbench.space import DataSpec
    from nasbench.training.split import Data, Split

    images, labels, _ = generate(split_seed, sharpness)
    images, labels = torch.from_numpy(images), torch.from_numpy(labels)
    train = Split(images[:TRAIN_SIZE], labels[:TRAIN_SIZE])
    valid = Split(images[TRAIN_SIZE:], labels[TRAIN_SIZE:])
    return Data(DataSpec(1, SIDE, SIDE, CLASSES), train, valid, None, augment=False)
