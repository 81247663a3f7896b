"""Samplers for batches mixing domains."""
import math
from typing import Iterator, List, Optional, Sequence, Sized

import numpy as np
from mmengine.dataset import ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmengine.registry import DATA_SAMPLERS
from torch.utils.data import Sampler


@DATA_SAMPLERS.register_module()
class DomainBalancedSampler(Sampler):
    """Interleave indices of two domains in a fixed ratio, oversampling the
    smaller one.

    FiDIP's ``BalancedBatchSampler`` (METHODS.md 5.6) as an epoch-based
    mmengine sampler: each epoch, both domains are shuffled, the one with
    fewer samples per ratio unit is repeated (reshuffled each pass), and
    indices come in groups of ``ratio[0]`` of the first domain (the smaller
    value of ``domain_key``) then ``ratio[1]`` of the second, so every batch
    whose size is a multiple of ``sum(ratio)`` holds them in that ratio
    (FiDIP 1:1; FreeNet ``domain_key='is_labelled'``, ``ratio=(7, 1)``:
    56 unlabelled + 8 labelled). Under distributed training every rank gets
    whole groups. (mmdet's ``MultiSourceSampler`` gives fixed-ratio batches
    too, but is infinite and needs one dataset per source; SyRIP flags
    domains inside one file.)

    Args:
        dataset (Sized): The dataset.
        domain_key (str): Data-info field holding each sample's domain
            (e.g. ``is_synthetic``).
        dataset_domains (Sequence[int], optional): For a ``ConcatDataset``
            whose parts have no such field: the domain of each part.
        shuffle (bool): Shuffle within domains.
        seed (int, optional): Random seed (synchronised across ranks).
        ratio (Sequence[int]): Samples of each domain per group, in the
            order of the domain values.
    """

    def __init__(self, dataset: Sized, domain_key: str = 'is_synthetic',
                 dataset_domains: Optional[Sequence[int]] = None,
                 shuffle: bool = True, seed: Optional[int] = None,
                 ratio: Sequence[int] = (1, 1)):
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else seed
        self.shuffle = shuffle
        self.epoch = 0
        domains = np.asarray(self._domains(domain_key, dataset_domains))
        values = sorted(set(domains.tolist()))
        if len(values) != 2:
            raise ValueError(f'DomainBalancedSampler needs samples of two '
                             f'domains, found {values} ({domain_key!r})')
        self.groups = [np.flatnonzero(domains == v) for v in values]
        self.ratio = [int(r) for r in ratio]
        if len(self.ratio) != 2 or min(self.ratio) < 1:
            raise ValueError(f'ratio must be two positive counts, got '
                             f'{ratio}')
        self.pairs_per_rank = math.ceil(
            max(math.ceil(len(g) / r) for g, r in zip(self.groups,
                                                      self.ratio)) /
            self.world_size)

    def _domains(self, key: str, per_dataset: Optional[Sequence[int]]
                 ) -> List[int]:
        if per_dataset is not None:
            if not isinstance(self.dataset, ConcatDataset):
                raise TypeError('dataset_domains needs a ConcatDataset')
            sizes = [len(d) for d in self.dataset.datasets]
            if len(per_dataset) != len(sizes):
                raise ValueError(f'dataset_domains has {len(per_dataset)} '
                                 f'entries for {len(sizes)} datasets')
            return [int(d) for d, n in zip(per_dataset, sizes)
                    for _ in range(n)]
        out = []
        for i in range(len(self.dataset)):
            info = self.dataset.get_data_info(i)
            if key not in info:
                raise KeyError(f'sample {i} has no {key!r} field; give the '
                               'field that holds the domain, or '
                               'dataset_domains for a ConcatDataset')
            out.append(int(info[key]))
        return out

    def _draw(self, group: np.ndarray, n: int,
              rng: np.random.Generator) -> np.ndarray:
        reps = math.ceil(n / len(group))
        parts = [rng.permutation(group) if self.shuffle else group
                 for _ in range(reps)]
        return np.concatenate(parts)[:n]

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng(self.seed + self.epoch)
        n = self.pairs_per_rank * self.world_size
        a, b = (self._draw(g, n * r, rng).reshape(n, r)
                for g, r in zip(self.groups, self.ratio))
        groups = np.concatenate([a, b], axis=1)  # (n, r0 + r1)
        mine = groups[self.rank::self.world_size]
        return iter(mine.reshape(-1).tolist())

    def __len__(self) -> int:
        return sum(self.ratio) * self.pairs_per_rank

    def set_epoch(self, epoch: int) -> None:
        """Reshuffle for ``epoch``."""
        self.epoch = epoch
