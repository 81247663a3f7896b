"""Domain labels of samples (domain-adversarial recipes)."""
from typing import Optional

from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS


@TRANSFORMS.register_module()
class SetDomainLabel(BaseTransform):
    """Store the sample's domain label in ``results['domain']``.

    Labels follow the papers: 1 = source / synthetic, 0 = target / real. Give
    either a fixed ``domain`` (one per dataset, e.g. the synthetic source of
    a ``ConcatDataset``) or the ``key`` of an image-level flag kept by the
    dataset (SyRIP's ``is_synthetic``). Add ``'domain'`` to the
    ``meta_keys`` of ``PackPoseInputs`` so estimators can read it.

    Args:
        domain (int, optional): Fixed label.
        key (str, optional): Field of the data info holding the label.
    """

    def __init__(self, domain: Optional[int] = None,
                 key: Optional[str] = None):
        if (domain is None) == (key is None):
            raise ValueError('SetDomainLabel needs exactly one of domain= '
                             'and key=')
        if domain is not None and domain not in (0, 1):
            raise ValueError(f'domain must be 0 (target/real) or 1 '
                             f'(source/synthetic), got {domain!r}')
        self.domain, self.key = domain, key

    def transform(self, results: dict) -> dict:
        if self.key is None:
            results['domain'] = self.domain
            return results
        if self.key not in results:
            raise KeyError(f'sample {results.get("img_path")} has no '
                           f'{self.key!r} field; the dataset must keep it '
                           '(e.g. SyRIPDataset keeps is_synthetic)')
        results['domain'] = int(bool(results[self.key]))
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(domain={self.domain}, '
                f'key={self.key!r})')
