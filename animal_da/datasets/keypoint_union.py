"""Datasets with different keypoint sets merged into one union."""
import copy
from typing import List, Optional, Sequence, Union

from mmengine.dataset import BaseDataset
from mmpose.datasets import CombinedDataset
from mmpose.registry import DATASETS

from .keypoint_sets import SOURCES, UNIONS

#: mmpose / animal_da dataset classes whose keypoint set is implied
_IMPLIED_SETS = {'AP10KDataset': 'ap10k', 'AnimalPoseDataset': 'animalpose'}


@DATASETS.register_module()
class KeypointUnionDataset(CombinedDataset):
    """mmpose's ``CombinedDataset`` over sources with different keypoint
    sets, each converted into a union by name.

    Each source config names its keypoint set (``keypoint_set``, as for
    ``SemiPoseDataset``; mmpose's ``AP10KDataset`` and ``AnimalPoseDataset``
    imply theirs) and gets a ``UnionKeypointConverter`` appended to its own
    pipeline, so every instance reaches the shared pipeline in the union's
    order with its keypoint states (joints its source lacks are not
    annotated). mmpose's converter alone would drop the states and needs
    the index map written out, hence the wrapper.

    Args:
        union (str): A union of :mod:`animal_da.datasets.keypoint_sets`.
        datasets (list[dict]): Source dataset configs.
        pipeline (list): The shared pipeline.
        **kwargs: As for mmpose's ``CombinedDataset`` (e.g.
            ``sample_ratio_factor``).
    """

    def __init__(self, union: str, datasets: List[Union[dict, BaseDataset]],
                 pipeline: Optional[Sequence] = None, **kwargs):
        if union not in UNIONS:
            raise KeyError(f'unknown union {union!r}; known: '
                           f'{sorted(UNIONS)}')
        if kwargs.get('metainfo'):
            raise ValueError('KeypointUnionDataset takes its metainfo from '
                             'the union; do not give metainfo')
        self.union = union
        self.sources = []
        converted = []
        for i, cfg in enumerate(datasets):
            if not isinstance(cfg, dict):
                raise TypeError('KeypointUnionDataset takes dataset configs '
                                '(it extends their pipelines)')
            cfg = copy.deepcopy(cfg)
            source = cfg.get('keypoint_set') or _IMPLIED_SETS.get(
                cfg.get('type'))
            if source is None:
                raise ValueError(
                    f'dataset {i} ({cfg.get("type")}) names no '
                    "keypoint_set; give e.g. keypoint_set='tigdog' "
                    f'(known: {sorted(SOURCES) + sorted(UNIONS)})')
            if source == union:  # already in the union's order
                conv = [dict(type='SetKeypointStates')]
            else:
                conv = [dict(type='UnionKeypointConverter', source=source,
                             union=union)]
            cfg['pipeline'] = list(cfg.get('pipeline') or []) + conv
            self.sources.append(source)
            converted.append(cfg)
        super().__init__(metainfo=dict(from_file=UNIONS[union]),
                         datasets=converted, pipeline=pipeline or [],
                         **kwargs)
