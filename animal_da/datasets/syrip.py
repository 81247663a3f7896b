"""SyRIP: real and synthetic infants with COCO-17 keypoints (FiDIP)."""
from typing import Optional

from mmpose.datasets.datasets.body import CocoDataset
from mmpose.registry import DATASETS


@DATASETS.register_module()
class SyRIPDataset(CocoDataset):
    """SyRIP's COCO keypoint files (mmpose's ``CocoDataset`` format) keeping
    the image-level flag ``is_synthetic`` (1 = synthetic, 0 = real) in every
    instance, the domain label of FiDIP (METHODS.md 5.3). Use
    ``SetDomainLabel(key='is_synthetic')`` in the pipeline.

    Args:
        flag (str): Name of the image field holding the flag.
        **kwargs: As for mmpose's ``CocoDataset``.
    """

    def __init__(self, *args, flag: str = 'is_synthetic', **kwargs):
        self.flag = flag
        super().__init__(*args, **kwargs)

    def parse_data_info(self, raw_data_info: dict) -> Optional[dict]:
        info = super().parse_data_info(raw_data_info)
        if info is None:
            return None
        img = raw_data_info['raw_img_info']
        if self.flag not in img:
            raise KeyError(
                f'{self.ann_file}: image {img.get("file_name")} has no '
                f'{self.flag!r} field; SyRIP files flag every image as '
                'real (0) or synthetic (1)')
        info[self.flag] = int(bool(img[self.flag]))
        return info
